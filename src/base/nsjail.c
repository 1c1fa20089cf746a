/* nsjail.c - the policy of an nsjail config (see nsjail.h).
 *
 * nsjail reads its config with protobuf's text format parser (config.cc)
 * into NsJailConfig (config.proto: "optional string seccomp_policy_file =
 * 68; repeated string seccomp_string = 69;") and, in sandbox.cc, gives
 * Kafel either the file or every seccomp_string followed by '\n'; both
 * fields set is an error there.  This is a reader for just that much of
 * the text format: fields NAME: VALUE or NAME { ... } / NAME < ... >
 * (nested messages are skipped), '#' comments, ',' or ';' between fields,
 * strings in '...' or "..." with C escapes, adjacent strings concatenated,
 * and the list form NAME: [V, V] of a repeated field.  Every byte of the
 * joined policy remembers where it was in the config, so diagnostics point
 * there. */
#include "base/nsjail.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "base/file.h"
#include "base/load.h"

typedef struct scan {
  sysfence_ctx *ctx;
  const sf_source *cfg;
  const char *t;
  size_t len, i;
  int line, col;
  int failed;
} scan;

/* Bytes with the config position each came from. */
typedef struct joined {
  char *text;
  int *line, *col;
  size_t n, cap;
} joined;

static int cur(const scan *s) { return s->i < s->len ? (unsigned char)s->t[s->i] : -1; }

static void adv(scan *s) {
  if (s->i >= s->len) return;
  if (s->t[s->i++] == '\n') {
    s->line++;
    s->col = 1;
  } else {
    s->col++;
  }
}

static sf_loc here(const scan *s) { return (sf_loc){s->cfg, s->line, s->col}; }

static void fail(scan *s, const char *what) {
  if (!s->failed) sf_error(s->ctx, here(s), "%s", what);
  s->failed = 1;
}

static void skip_blank(scan *s) {
  for (;;) {
    int c = cur(s);
    if (c == '#')
      while (cur(s) != -1 && cur(s) != '\n') adv(s);
    else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
      adv(s);
    else
      return;
  }
}

static int put(scan *s, joined *j, char ch, int line, int col) {
  if (!j) return 0;
  if (j->n + 1 >= j->cap) { /* one more for the end's position */
    size_t cap = j->cap ? 2 * j->cap : 256;
    char *t = realloc(j->text, cap + 2);
    if (t) j->text = t;
    int *l = t ? realloc(j->line, cap * sizeof *l) : NULL;
    if (l) j->line = l;
    int *c = l ? realloc(j->col, cap * sizeof *c) : NULL;
    if (!c) {
      s->ctx->out_of_memory = 1;
      fail(s, "out of memory");
      return -1;
    }
    j->col = c;
    j->cap = cap;
  }
  j->text[j->n] = ch;
  j->line[j->n] = line;
  j->col[j->n] = col;
  j->n++;
  return 0;
}

static int hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The escape after a backslash (the scanner is on the character after
 * it): its byte, or -1 after an error. */
static int escape(scan *s) {
  static const char simple[] = "n\nt\tr\ra\ab\bf\fv\v\\\\''\"\"??";
  int c = cur(s);
  for (const char *p = simple; *p; p += 2)
    if (c == p[0]) {
      adv(s);
      return (unsigned char)p[1];
    }
  int v = 0, digits = 0;
  if (c >= '0' && c <= '7') {
    for (; digits < 3 && cur(s) >= '0' && cur(s) <= '7'; digits++, adv(s))
      v = v * 8 + (cur(s) - '0');
    return v & 0xff;
  }
  if (c == 'x' || c == 'X') {
    adv(s);
    for (; digits < 2 && hex_digit(cur(s)) >= 0; digits++, adv(s))
      v = v * 16 + hex_digit(cur(s));
    if (digits) return v;
  }
  fail(s, "unknown escape sequence in a string");
  return -1;
}

/* A quoted string: its bytes go to J (NULL: skipped). */
static int read_string(scan *s, joined *j) {
  int quote = cur(s);
  adv(s);
  while (cur(s) != quote) {
    int line = s->line, col = s->col, c = cur(s);
    if (c == -1 || c == '\n') {
      fail(s, "unterminated string");
      return -1;
    }
    adv(s);
    if (c == '\\' && (c = escape(s)) < 0) return -1;
    if (put(s, j, (char)c, line, col) != 0) return -1;
  }
  adv(s);
  return 0;
}

static int is_quote(int c) { return c == '"' || c == '\''; }

/* One value: adjacent strings, concatenated as protobuf does.  *END is
 * the position just after the last closing quote. */
static int read_strings(scan *s, joined *j, sf_loc *end) {
  if (!is_quote(cur(s))) {
    fail(s, "expected a string");
    return -1;
  }
  while (is_quote(cur(s))) {
    if (read_string(s, j) != 0) return -1;
    *end = here(s);
    skip_blank(s);
  }
  return 0;
}

/* One value of a seccomp_string: its bytes and the '\n' nsjail adds. */
static int seccomp_string(scan *s, joined *j) {
  sf_loc end;
  if (read_strings(s, j, &end) != 0) return -1;
  return put(s, j, '\n', end.line, end.col);
}

/* NAME: [V, V, ...] with each V read by ONE (NULL: skipped). */
static int read_list(scan *s, joined *j, int (*one)(scan *, joined *)) {
  adv(s);
  skip_blank(s);
  while (cur(s) != ']') {
    if (one(s, j) != 0) return -1;
    skip_blank(s);
    if (cur(s) == ',') {
      adv(s);
      skip_blank(s);
    } else if (cur(s) != ']') {
      fail(s, "expected ',' or ']' in a list");
      return -1;
    }
  }
  adv(s);
  return 0;
}

static int skip_message(scan *s);

/* A value of a field we do not need: a message, a list, strings or one
 * scalar (a number, an enum name, true/false). */
static int skip_value(scan *s, joined *unused) {
  (void)unused;
  int c = cur(s);
  if (c == '{' || c == '<') return skip_message(s);
  if (c == '[') return read_list(s, NULL, skip_value);
  if (is_quote(c)) {
    sf_loc end;
    return read_strings(s, NULL, &end);
  }
  size_t start = s->i;
  while ((c = cur(s)) != -1 && !strchr(" \t\r\n\f\v,;#{}<>[]:\"'", c)) adv(s);
  if (s->i == start) {
    fail(s, "expected a value");
    return -1;
  }
  return 0;
}

static int is_ident_start(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* A field name, or an extension's [name]: into NAME (cut to SIZE). */
static int field_name(scan *s, char *name, size_t size) {
  size_t n = 0;
  if (cur(s) == '[') {
    while (cur(s) != -1 && cur(s) != ']' && cur(s) != '\n') adv(s);
    if (cur(s) != ']') {
      fail(s, "expected ']' after an extension name");
      return -1;
    }
    adv(s);
  } else if (is_ident_start(cur(s))) {
    for (; is_ident(cur(s)); adv(s))
      if (n + 1 < size) name[n++] = (char)cur(s);
  } else {
    fail(s, "expected a field name");
    return -1;
  }
  name[n] = '\0';
  return 0;
}

/* The fields up to CLOSE (-1: the end of the config); FIELD (NULL at any
 * depth but the top) handles the fields we read.  Returns 0 or -1. */
typedef int (*field_fn)(scan *s, const char *name, void *user);

static int read_fields(scan *s, int close, field_fn field, void *user) {
  for (skip_blank(s); cur(s) != close; skip_blank(s)) {
    if (cur(s) == -1) {
      fail(s, close == '}' ? "missing '}' at the end of a message"
                           : "missing '>' at the end of a message");
      return -1;
    }
    char name[64];
    if (field_name(s, name, sizeof name) != 0) return -1;
    skip_blank(s);
    int colon = cur(s) == ':';
    if (colon) {
      adv(s);
      skip_blank(s);
    } else if (cur(s) != '{' && cur(s) != '<') {
      fail(s, "expected ':' after a field name");
      return -1;
    }
    int rc = field ? field(s, name, user) : 1;
    if (rc > 0) rc = skip_value(s, NULL); /* not one we read */
    if (rc != 0) return -1;
    skip_blank(s);
    if (cur(s) == ',' || cur(s) == ';') adv(s);
  }
  return 0;
}

static int skip_message(scan *s) {
  int close = cur(s) == '{' ? '}' : '>';
  adv(s);
  if (read_fields(s, close, NULL, NULL) != 0) return -1;
  adv(s);
  return 0;
}

/* ---- the two fields ------------------------------------------------------------ */

typedef struct fields {
  joined policy;    /* the seccomp_string values, joined */
  int n_strings;
  joined file;      /* seccomp_policy_file's value */
  sf_loc file_at, string_at;
  int has_file;
} fields;

static int top_field(scan *s, const char *name, void *user) {
  fields *f = user;
  if (strcmp(name, "seccomp_string") == 0) {
    if (!f->n_strings++) f->string_at = here(s);
    return cur(s) == '[' ? read_list(s, &f->policy, seccomp_string)
                         : seccomp_string(s, &f->policy);
  }
  if (strcmp(name, "seccomp_policy_file") == 0) {
    f->file_at = here(s);
    f->has_file = 1;
    f->file.n = 0; /* an optional field given twice: the last one counts */
    sf_loc end;
    if (read_strings(s, &f->file, &end) != 0) return -1;
    return put(s, &f->file, '\0', end.line, end.col);
  }
  return 1;
}

/* ---- the policy ------------------------------------------------------------------ */

/* The folder of PATH for #include ("." when it has none), in the arena. */
static const char *folder_of(sysfence_ctx *ctx, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return sf_strdup(ctx, ".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = sf_alloc(ctx, n + 1);
  if (!d) return NULL;
  memcpy(d, path, n);
  d[n] = '\0';
  return d;
}

static sf_source *new_source(sysfence_ctx *ctx, const char *name, const char *dir,
                             const char *text, size_t len) {
  sf_source *src = sf_alloc(ctx, sizeof *src);
  if (!src) return NULL;
  memset(src, 0, sizeof *src);
  src->name = name;
  src->dir = dir;
  src->text = text;
  src->len = len;
  return src;
}

/* seccomp_policy_file: that file, opened as nsjail opens it. */
static const sf_source *policy_file(sysfence_ctx *ctx, const fields *f) {
  const char *path = f->file.text;
  sf_input in;
  int err = sf_read_path(path, SF_MAX_SOURCE_SIZE, ctx->arena, &in);
  if (!err && in.more) err = EFBIG;
  if (err) {
    if (err == ENOMEM) ctx->out_of_memory = 1;
    sf_error(ctx, f->file_at, "cannot read seccomp_policy_file '%s': %s", path,
             strerror(err));
    return NULL;
  }
  const char *name = sf_strdup(ctx, path), *dir = folder_of(ctx, path);
  return name && dir ? new_source(ctx, name, dir, in.data, in.len) : NULL;
}

/* The seccomp_string values, joined, with their origin in CFG. */
static const sf_source *joined_strings(sysfence_ctx *ctx, const sf_source *cfg,
                                       const joined *j) {
  char *text = sf_alloc(ctx, j->n + 2);
  int *line = sf_alloc(ctx, (j->n + 1) * sizeof *line);
  int *col = sf_alloc(ctx, (j->n + 1) * sizeof *col);
  sf_origin *o = sf_alloc(ctx, sizeof *o);
  if (!text || !line || !col || !o) return NULL;
  memcpy(text, j->text, j->n);
  text[j->n] = text[j->n + 1] = '\0';
  memcpy(line, j->line, j->n * sizeof *line);
  memcpy(col, j->col, j->n * sizeof *col);
  /* the end of the policy: where its last '\n' stands, after the last value */
  line[j->n] = j->line[j->n - 1];
  col[j->n] = j->col[j->n - 1];
  *o = (sf_origin){cfg, line, col};
  sf_source *src = new_source(ctx, cfg->name, cfg->dir, text, j->n);
  if (src) src->origin = o;
  return src;
}

static const sf_source *policy_of(sysfence_ctx *ctx, const sf_source *cfg,
                                  const fields *f) {
  if (f->has_file && f->n_strings) {
    sf_error(ctx, f->file_at, "both seccomp_policy_file and seccomp_string are "
             "set; nsjail takes one only");
    sf_note(ctx, f->string_at, "the first seccomp_string is here");
    return NULL;
  }
  if (f->has_file) return policy_file(ctx, f);
  if (!f->n_strings) {
    sf_error(ctx, (sf_loc){0}, "'%s' has no seccomp_string or seccomp_policy_file: "
             "nsjail would install no seccomp filter", cfg->name);
    return NULL;
  }
  return joined_strings(ctx, cfg, &f->policy);
}

const sf_source *sf_nsjail_policy(sysfence_ctx *ctx, const sf_source *cfg) {
  scan s = {.ctx = ctx, .cfg = cfg, .t = cfg->text, .len = cfg->len, .line = 1, .col = 1};
  fields f;
  memset(&f, 0, sizeof f);
  const sf_source *out = NULL;
  skip_blank(&s);
  if (cur(&s) == '{')
    fail(&s, "this looks like an nsjail config in JSON; only the protobuf text "
             "format is read");
  else if (read_fields(&s, -1, top_field, &f) == 0)
    out = policy_of(ctx, cfg, &f);
  free(f.policy.text), free(f.policy.line), free(f.policy.col);
  free(f.file.text), free(f.file.line), free(f.file.col);
  return out;
}

int sf_nsjail_looks_like(const char *text, size_t len) {
  static const char *const fields_read[] = {"seccomp_string", "seccomp_policy_file"};
  for (size_t i = 0; i < len;) {
    while (i < len && (text[i] == ' ' || text[i] == '\t')) i++;
    for (int k = 0; k < 2; k++) {
      size_t n = strlen(fields_read[k]);
      if (i + n < len && memcmp(text + i, fields_read[k], n) == 0 &&
          !is_ident((unsigned char)text[i + n]))
        return 1;
    }
    const char *nl = memchr(text + i, '\n', len - i);
    if (!nl) break;
    i = (size_t)(nl - text) + 1;
  }
  return 0;
}
