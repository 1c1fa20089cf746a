/* profile.c - syscall frequency profiles: the weights of the range search
 * over syscall numbers (sysfence_set_weights, sysfence_set_profile; the
 * `strace -c` table or "NAME COUNT" lines). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "sysfence.h"

typedef struct prof_entry {
  const char *name;
  uint64_t count;
} prof_entry;

static int cmp_prof(const void *a, const void *b) {
  return strcmp(((const prof_entry *)a)->name, ((const prof_entry *)b)->name);
}

int sysfence_set_weights(sysfence_ctx *ctx, const char *const *names,
                         const uint64_t *counts, size_t n) {
  if (!ctx || (n && names && !counts)) return SYSFENCE_EUSAGE;
  if (n == 0 || !names) {
    sf_profile_clear(ctx);
    return SYSFENCE_OK;
  }
  for (size_t i = 0; i < n; i++)
    if (!names[i]) return SYSFENCE_EUSAGE;
  prof_entry *e = malloc(n * sizeof *e);
  if (!e) return SYSFENCE_ESYSTEM;
  for (size_t i = 0; i < n; i++) {
    e[i].name = names[i];
    e[i].count = counts[i];
  }
  qsort(e, n, sizeof *e, cmp_prof);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (m && strcmp(e[m - 1].name, e[i].name) == 0) {
      uint64_t c = e[m - 1].count + e[i].count;
      e[m - 1].count = c < e[i].count ? UINT64_MAX : c;
    } else {
      e[m++] = e[i];
    }
  }
  char **nn = calloc(m, sizeof *nn);
  uint64_t *cc = malloc(m * sizeof *cc);
  int ok = nn && cc;
  for (size_t i = 0; ok && i < m; i++) {
    nn[i] = strdup(e[i].name);
    cc[i] = e[i].count;
    ok = nn[i] != NULL;
  }
  free(e);
  if (!ok) {
    for (size_t i = 0; nn && i < m; i++) free(nn[i]);
    free(nn);
    free(cc);
    return SYSFENCE_ESYSTEM;
  }
  sf_profile_clear(ctx);
  ctx->profile_names = nn;
  ctx->profile_counts = cc;
  ctx->n_profile = m;
  return SYSFENCE_OK;
}


/* A whitespace-separated field of a profile line: [start, end). */
typedef struct field {
  size_t start, end;
} field;

enum { PROF_MAX_FIELDS = 16 };

static size_t split_fields(const char *s, field *f) {
  size_t n = 0, i = 0;
  for (;;) {
    while (s[i] == ' ' || s[i] == '\t') i++;
    if (!s[i]) return n;
    if (n == PROF_MAX_FIELDS) return n + 1;
    f[n].start = i;
    while (s[i] && s[i] != ' ' && s[i] != '\t') i++;
    f[n++].end = i;
  }
}

static int field_is(const char *s, field f, const char *word) {
  size_t len = strlen(word);
  return f.end - f.start == len && memcmp(s + f.start, word, len) == 0;
}

/* Decimal count; -1 if not one or too large. */
static int parse_count(const char *s, field f, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = f.start; i < f.end; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

static int is_syscall_name(const char *s, field f) {
  if (!(s[f.start] == '_' || (s[f.start] >= 'a' && s[f.start] <= 'z') ||
        (s[f.start] >= 'A' && s[f.start] <= 'Z')))
    return 0;
  for (size_t i = f.start; i < f.end; i++)
    if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
          (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
      return 0;
  return 1;
}

typedef struct prof_reader {
  char **names;
  uint64_t *counts;
  size_t n, cap;
} prof_reader;

static int prof_add(prof_reader *r, const char *s, field name, uint64_t count) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 64;
    char **nn = realloc(r->names, cap * sizeof *nn);
    if (!nn) return -1;
    r->names = nn;
    uint64_t *cc = realloc(r->counts, cap * sizeof *cc);
    if (!cc) return -1;
    r->counts = cc;
    r->cap = cap;
  }
  char *p = strndup(s + name.start, name.end - name.start);
  if (!p) return -1;
  r->names[r->n] = p;
  r->counts[r->n++] = count;
  return 0;
}

static void prof_why(char *why, size_t why_size, const char *path, size_t line,
                     const char *msg) {
  if (!why || !why_size) return;
  if (line) snprintf(why, why_size, "%s:%zu: %s", path, line, msg);
  else snprintf(why, why_size, "%s: %s", path, msg);
}

/* One line of a profile: 0, or -1 with MSG set (or errno for memory). */
static int prof_line(prof_reader *r, char *s, int *strace, field *calls,
                     const char **msg) {
  size_t len = strlen(s);
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = '\0';
  field f[PROF_MAX_FIELDS + 1];
  size_t n = split_fields(s, f);
  if (n == 0 || s[f[0].start] == '#') return 0;
  if (n > PROF_MAX_FIELDS) {
    *msg = "too many fields for a profile line";
    return -1;
  }
  /* strace -c: its header, rulers, summaries and messages. */
  if (field_is(s, f[n - 1], "syscall")) {
    for (size_t i = 0; i < n; i++)
      if (field_is(s, f[i], "calls")) {
        *strace = 1;
        *calls = f[i];
        return 0;
      }
  }
  if (strncmp(s + f[0].start, "---", 3) == 0 ||
      strncmp(s + f[0].start, "strace:", 7) == 0 ||
      strncmp(s + f[0].start, "System call usage summary", 25) == 0)
    return 0;
  field name = f[n - 1], count;
  if (*strace) {
    if (field_is(s, name, "total")) return 0;
    size_t i = 0;
    while (i + 1 < n && !(f[i].start < calls->end && f[i].end > calls->start))
      i++;
    if (i + 1 >= n) {
      *msg = "no count under the 'calls' column";
      return -1;
    }
    count = f[i];
  } else {
    if (n != 2) {
      *msg = "expected 'NAME COUNT' or a row of 'strace -c' output";
      return -1;
    }
    name = f[0];
    count = f[1];
  }
  uint64_t c;
  if (parse_count(s, count, &c) != 0) {
    *msg = "the count is not a whole number (decimal, below 2^64)";
    return -1;
  }
  if (!is_syscall_name(s, name)) {
    *msg = "not a syscall name";
    return -1;
  }
  if (prof_add(r, s, name, c) != 0) {
    *msg = NULL;
    return -1;
  }
  return 0;
}

int sysfence_set_profile(sysfence_ctx *ctx, const char *path, char *why,
                         size_t why_size) {
  if (!ctx) return SYSFENCE_EUSAGE;
  if (!path) return sysfence_set_weights(ctx, NULL, NULL, 0);
  int is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "r");
  const char *name = is_stdin ? "<stdin>" : path;
  if (!f) {
    prof_why(why, why_size, name, 0, strerror(errno));
    return SYSFENCE_ESYSTEM;
  }
  prof_reader r = {NULL, NULL, 0, 0};
  char *buf = NULL;
  size_t cap = 0, line = 0;
  int strace = 0, rc = SYSFENCE_OK;
  field calls = {0, 0};
  const char *msg = NULL;
  while (getline(&buf, &cap, f) >= 0) {
    line++;
    if (strlen(buf) > 4096) {
      prof_why(why, why_size, name, line, "line too long");
      rc = SYSFENCE_EUSAGE;
      break;
    }
    if (prof_line(&r, buf, &strace, &calls, &msg) != 0) {
      if (msg) {
        prof_why(why, why_size, name, line, msg);
        rc = SYSFENCE_EUSAGE;
      } else {
        prof_why(why, why_size, name, 0, strerror(ENOMEM));
        rc = SYSFENCE_ESYSTEM;
      }
      break;
    }
  }
  if (rc == SYSFENCE_OK && ferror(f)) {
    prof_why(why, why_size, name, 0, strerror(errno));
    rc = SYSFENCE_ESYSTEM;
  }
  if (rc == SYSFENCE_OK && r.n == 0) {
    prof_why(why, why_size, name, 0, "no syscall counts in the profile");
    rc = SYSFENCE_EUSAGE;
  }
  if (rc == SYSFENCE_OK) {
    rc = sysfence_set_weights(ctx, (const char *const *)r.names, r.counts, r.n);
    if (rc != SYSFENCE_OK) prof_why(why, why_size, name, 0, strerror(ENOMEM));
  }
  free(buf);
  for (size_t i = 0; i < r.n; i++) free(r.names[i]);
  free(r.names);
  free(r.counts);
  if (!is_stdin) fclose(f);
  return rc;
}
