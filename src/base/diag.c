/* diag.c - recording diagnostics and formatting them the way compilers do:
 *   file:line:col: error: message
 *    12 |   ALLOW { opneat }
 *       |           ^
 * with "In file included from" lines for errors inside included files. */
#include "base/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"

SF_PRINTF(4, 0)
static int push_diag(sysfence_ctx *ctx, sysfence_severity sev, sf_loc loc,
                     const char *fmt, va_list ap) {
  if (ctx->n_diags == ctx->cap_diags) {
    size_t cap = ctx->cap_diags ? ctx->cap_diags * 2 : 16;
    sf_diag *d = realloc(ctx->diags, cap * sizeof *d);
    if (!d) {
      ctx->out_of_memory = 1;
      return -1;
    }
    ctx->diags = d;
    ctx->cap_diags = cap;
  }
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  char *msg = sf_strdup(ctx, buf);
  if (!msg) return -1;
  sf_diag *d = &ctx->diags[ctx->n_diags++];
  memset(d, 0, sizeof *d);
  loc = sf_loc_origin(loc); /* an nsjail config's policy: shown in the config */
  d->loc = loc;
  d->pub.severity = sev;
  d->pub.message = msg;
  d->pub.file = loc.src ? loc.src->name : NULL;
  d->pub.line = loc.src ? loc.line : 0;
  d->pub.column = loc.src ? loc.col : 0;
  free(ctx->diag_text);
  ctx->diag_text = NULL;
  return 0;
}

static int same_place(sf_loc a, sf_loc b) {
  return a.src == b.src && a.line == b.line && a.col == b.col;
}

/* Was the last message pushed (at the end of the list) there already? */
static int repeats_earlier(const sysfence_ctx *ctx) {
  const sf_diag *last = &ctx->diags[ctx->n_diags - 1];
  for (size_t i = 0; i + 1 < ctx->n_diags; i++) {
    const sf_diag *d = &ctx->diags[i];
    if (d->pub.severity == last->pub.severity && same_place(d->loc, last->loc) &&
        strcmp(d->pub.message, last->pub.message) == 0)
      return 1;
  }
  return 0;
}

/* After an error or warning: in a resolution for several targets, drop it
 * (and its notes) if an earlier target made it, else say which target. */
static void settle_target(sysfence_ctx *ctx, size_t before, int is_error) {
  if (!ctx->dedupe || ctx->n_diags == before) return;
  if (repeats_earlier(ctx)) {
    ctx->n_diags--;
    if (is_error) ctx->n_errors--;
    else ctx->n_warnings--;
    ctx->dropping_notes = 1;
    return;
  }
  if (ctx->in_target)
    sf_note(ctx, (sf_loc){0}, "in the %s part of the filter", ctx->in_target);
}

SF_PRINTF(3, 0)
static void add_error(sysfence_ctx *ctx, sf_loc loc, const char *fmt, va_list ap) {
  /* Past the cap, errors are counted but not kept: one more "too many
   * errors" note says so. */
  ctx->n_errors++;
  ctx->dropping_notes = ctx->n_errors > ctx->max_errors;
  if (ctx->dropping_notes) return;
  size_t before = ctx->n_diags;
  push_diag(ctx, SYSFENCE_ERROR, loc, fmt, ap);
  settle_target(ctx, before, 1);
}

void sf_error(sysfence_ctx *ctx, sf_loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_error(ctx, loc, fmt, ap);
  va_end(ap);
}

/* -Werror: the warning's text as an error's, marked as gcc marks it. */
SF_PRINTF(3, 0)
static void warning_as_error(sysfence_ctx *ctx, sf_loc loc, const char *fmt,
                             va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  sf_error(ctx, loc, "%s [-Werror]", buf);
}

void sf_warning(sysfence_ctx *ctx, sf_loc loc, const char *fmt, ...) {
  if (ctx->warnings_mode == SYSFENCE_WARNINGS_HIDE) {
    ctx->dropping_notes = 1; /* and its notes */
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  if (ctx->warnings_mode == SYSFENCE_WARNINGS_AS_ERRORS) {
    warning_as_error(ctx, loc, fmt, ap);
    va_end(ap);
    return;
  }
  ctx->n_warnings++;
  ctx->dropping_notes = ctx->n_warnings > SF_MAX_WARNINGS;
  if (!ctx->dropping_notes) {
    size_t before = ctx->n_diags;
    push_diag(ctx, SYSFENCE_WARNING, loc, fmt, ap);
    settle_target(ctx, before, 0);
  }
  va_end(ap);
}

void sf_fixit(sysfence_ctx *ctx, sf_loc loc, size_t len, const char *text) {
  if (ctx->dropping_notes) return;
  /* A note of the multi-target resolution may follow its diagnostic. */
  size_t i = ctx->n_diags;
  while (i > 0 && ctx->diags[i - 1].pub.severity == SYSFENCE_NOTE) i--;
  if (!i || !same_place(ctx->diags[i - 1].loc, loc)) return;
  sf_diag *d = &ctx->diags[i - 1];
  char *copy = sf_strdup(ctx, text);
  if (!copy) return;
  d->pub.fixit = copy;
  d->pub.fixit_length = (int)len;
}

void sf_note(sysfence_ctx *ctx, sf_loc loc, const char *fmt, ...) {
  /* A note belongs to the diagnostic before it; drop it if that one was
   * dropped by a cap. */
  if (ctx->dropping_notes) return;
  va_list ap;
  va_start(ap, fmt);
  push_diag(ctx, SYSFENCE_NOTE, loc, fmt, ap);
  va_end(ap);
}

/* Stages go on until one error past the cap, so the note above knows that
 * errors were really left out. */
int sf_too_many_errors(const sysfence_ctx *ctx) {
  return ctx->n_errors > ctx->max_errors || ctx->out_of_memory;
}

/* ---- did you mean ------------------------------------------------------ */

/* Damerau-Levenshtein (optimal string alignment) distance, bounded: stops
 * early and returns LIMIT+1 once the distance must exceed LIMIT. */
static size_t edit_distance(const char *a, const char *b, size_t limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return limit + 1;
  if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
  size_t d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  }
  return d[la][lb];
}

const char *sf_closest_name(const char *word, const char *const *names,
                            size_t n) {
  /* Allow about one typo per three characters, at most 3. */
  size_t len = strlen(word);
  size_t limit = len < 3 ? 1 : (len / 3 > 3 ? 3 : len / 3);
  const char *best = NULL;
  size_t best_d = limit + 1;
  for (size_t i = 0; i < n; i++) {
    if (!names[i] || strcmp(names[i], word) == 0) continue;
    size_t dist = edit_distance(word, names[i], limit);
    if (dist < best_d) {
      best_d = dist;
      best = names[i];
    }
  }
  return best;
}

/* ---- formatting -------------------------------------------------------- */

typedef struct strbuf {
  char *s;
  size_t len, cap;
  int failed;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_printf(strbuf *b, const char *fmt, ...) SF_PRINTF(2, 3);
static void sb_printf(strbuf *b, const char *fmt, ...) {
  char buf[1200];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  sb_add(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static const char *severity_name(sysfence_severity s) {
  switch (s) {
  case SYSFENCE_ERROR: return "error";
  case SYSFENCE_WARNING: return "warning";
  default: return "note";
  }
}

static void format_include_chain(strbuf *b, const sf_source *src) {
  for (sf_loc at = src->included_from; at.src; at = at.src->included_from)
    sb_printf(b, "In file included from %s:%d:\n", at.src->name, at.line);
}

/* Bytes that would garble a terminal (NUL cuts the text short) are shown
 * as '?'; tabs are kept so the caret lines up with what the user sees. */
static void add_visible(strbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char out = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
    sb_add(b, &out, 1);
  }
}

enum { SHOW_MAX = 160, SHOW_BEFORE = 100 };

/* The source line with a caret under the column.  A long line is shown as
 * a window around the column, marked with "...". */
static void format_source_line(strbuf *b, sf_loc loc) {
  const char *line;
  size_t len;
  if (!sf_source_line(loc.src, loc.line, &line, &len)) return;
  size_t col = loc.col > 0 ? (size_t)loc.col - 1 : 0;
  if (col > len) col = len;
  size_t start = 0, end = len;
  if (len > SHOW_MAX) {
    start = col > SHOW_BEFORE ? col - SHOW_BEFORE : 0;
    end = start + SHOW_MAX < len ? start + SHOW_MAX : len;
  }
  const char *lead = start > 0 ? "..." : "";
  sb_printf(b, "%5d | %s", loc.line, lead);
  add_visible(b, line + start, end - start);
  if (end < len) sb_add(b, "...", 3);
  sb_add(b, "\n      | ", 9);
  sb_add(b, "   ", strlen(lead));
  for (size_t i = start; i < col; i++)
    sb_add(b, line[i] == '\t' ? "\t" : " ", 1);
  sb_add(b, "^\n", 2);
}

static void format_one(strbuf *b, const sf_diag *d) {
  const sf_loc *loc = &d->loc;
  if (loc->src && d->pub.severity != SYSFENCE_NOTE)
    format_include_chain(b, loc->src);
  if (loc->src)
    sb_printf(b, "%s:%d:%d: ", loc->src->name, loc->line, loc->col);
  else
    sb_add(b, "sysfence: ", 10);
  sb_printf(b, "%s: %s\n", severity_name(d->pub.severity), d->pub.message);
  if (loc->src && loc->line > 0) format_source_line(b, *loc);
}

const char *sysfence_diag_text(const sysfence_ctx *ctx) {
  if (!ctx) return "";
  sysfence_ctx *c = (sysfence_ctx *)ctx; /* the text is a cache */
  if (c->diag_text) return c->diag_text;
  strbuf b = {0};
  sb_add(&b, "", 0);
  for (size_t i = 0; i < c->n_diags; i++) format_one(&b, &c->diags[i]);
  if (c->n_warnings > SF_MAX_WARNINGS)
    sb_printf(&b, "sysfence: note: %zu more warnings not shown\n",
              c->n_warnings - SF_MAX_WARNINGS);
  if (c->n_errors > c->max_errors)
    sb_printf(&b, "sysfence: note: stopped after %zu errors; more errors not "
                  "shown (--max-errors)\n", c->max_errors);
  if (b.failed) {
    free(b.s);
    return "sysfence: error: out of memory\n";
  }
  c->diag_text = b.s;
  return c->diag_text;
}

size_t sysfence_diag_count(const sysfence_ctx *ctx) {
  return ctx ? ctx->n_diags : 0;
}

const sysfence_diag *sysfence_diag_get(const sysfence_ctx *ctx, size_t i) {
  return ctx && i < ctx->n_diags ? &ctx->diags[i].pub : NULL;
}

size_t sysfence_error_count(const sysfence_ctx *ctx) {
  return ctx ? ctx->n_errors + (size_t)ctx->out_of_memory : 0;
}
