/* call.c - parsing calls written on the command line (see call.h) and
 * explaining the reference semantics' decision for one. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "bpf/action.h"
#include "front/ast.h"
#include "cli/call.h"
#include "base/context.h"
#include "base/diag.h"
#include "front/parse.h"
#include "base/literal.h"
#include "sema/defines.h"
#include "sema/ruleset.h"

/* ---- constants and the front end --------------------------------------- */

int sf_define_lookup(const ast_file *file, const char *name, uint64_t *value) {
  for (const ast_top *t = file ? file->items : NULL; t; t = t->next)
    if (t->kind == AST_TOP_DEFINE && strcmp(t->name.name, name) == 0) {
      *value = t->value;
      return 0;
    }
  return -1;
}

/* ---- the parser ------------------------------------------------------------ */

typedef struct cursor {
  const char *p;
  const ast_file *defs;
  const sysfence_ctx *ctx; /* its run-time constants (-D), or NULL */
  char *err;
  size_t err_size;
} cursor;

SF_PRINTF(2, 3)
static int fail(cursor *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->err_size, fmt, ap);
  va_end(ap);
  return -1;
}

static void skip_ws(cursor *c) {
  while (isspace((unsigned char)*c->p)) c->p++;
}

static int is_ident_start(char ch) { return isalpha((unsigned char)ch) || ch == '_'; }
static int is_ident_char(char ch) { return isalnum((unsigned char)ch) || ch == '_'; }

/* The word at the cursor (identifier or number characters) into BUF. */
static size_t take_word(cursor *c, char *buf, size_t size) {
  size_t n = 0;
  while (is_ident_char(c->p[n])) n++;
  size_t keep = n < size - 1 ? n : size - 1;
  memcpy(buf, c->p, keep);
  buf[keep] = '\0';
  c->p += n;
  return n;
}

/* A number at the cursor, '-' allowed (two's complement of the magnitude,
 * which must fit in int64).  Sets *NEGATIVE. */
static int parse_number(cursor *c, uint64_t *out, int *negative) {
  const char *start = c->p;
  *negative = *c->p == '-';
  if (*negative) c->p++;
  char word[64];
  size_t n = take_word(c, word, sizeof word);
  uint64_t v;
  if (n == 0 || n >= sizeof word || sf_literal_parse_unsigned(word, &v) != 0 ||
      (*negative && v > (uint64_t)1 << 63))
    return fail(c, "bad number '%.*s'", (int)(c->p - start), start);
  *out = *negative ? (uint64_t)0 - v : v;
  return 0;
}

/* Did-you-mean suffix for WORD among NAMES into BUF ("" if none). */
static const char *hint(const char *word, const char *const *names, size_t n,
                        char *buf, size_t size) {
  const char *best = sf_closest_name(word, names, n);
  if (best) snprintf(buf, size, "; did you mean '%s'?", best);
  else buf[0] = '\0';
  return buf;
}

static int unknown_constant(cursor *c, const char *name) {
  if (!c->defs)
    return fail(c, "'%s' is not a number (named constants need a policy)", name);
  size_t n = 0;
  for (const ast_top *t = c->defs->items; t; t = t->next) n += t->kind == AST_TOP_DEFINE;
  const char **names = malloc((n ? n : 1) * sizeof *names);
  if (!names) return fail(c, "out of memory");
  n = 0;
  for (const ast_top *t = c->defs->items; t; t = t->next)
    if (t->kind == AST_TOP_DEFINE) names[n++] = t->name.name;
  char h[96];
  int rc = fail(c, "'%s' is neither a number nor a constant #define'd in the "
                   "policy%s", name, hint(name, names, n, h, sizeof h));
  free(names);
  return rc;
}

static int parse_term(cursor *c, uint64_t *out) {
  skip_ws(c);
  if (!*c->p || strchr(",|)", *c->p)) return fail(c, "missing argument");
  if (!is_ident_start(*c->p)) {
    int negative;
    return parse_number(c, out, &negative);
  }
  char name[128];
  if (take_word(c, name, sizeof name) >= sizeof name)
    return fail(c, "name too long");
  if (sf_define_lookup(c->defs, name, out) == 0) return 0;
  const sf_define *d = c->ctx ? sf_define_find(c->ctx, name) : NULL;
  if (!d) return unknown_constant(c, name);
  *out = d->value;
  return 0;
}

/* TERM {'|' TERM} */
static int parse_arg(cursor *c, uint64_t *out) {
  if (parse_term(c, out) != 0) return -1;
  for (skip_ws(c); *c->p == '|'; skip_ws(c)) {
    uint64_t v;
    c->p++;
    if (parse_term(c, &v) != 0) return -1;
    *out |= v;
  }
  return 0;
}

/* '(' [ARG {',' ARG}] ')' at the cursor. */
static int parse_args(cursor *c, uint64_t args[SF_MAX_ARGS]) {
  c->p++; /* '(' */
  skip_ws(c);
  if (*c->p == ')') {
    c->p++;
    return 0;
  }
  for (int i = 0;; i++) {
    if (i == SF_MAX_ARGS)
      return fail(c, "too many arguments (a syscall has at most %d)", SF_MAX_ARGS);
    if (parse_arg(c, &args[i]) != 0) return -1;
    if (*c->p == ')') break;
    if (!*c->p) return fail(c, "missing ')'");
    if (*c->p != ',') return fail(c, "expected ',' or ')' at '%s'", c->p);
    c->p++;
  }
  c->p++; /* ')' */
  return 0;
}

/* "ABI:" prefix, if any: sets *ABI (default TARGET). */
static int parse_abi(cursor *c, const sf_arch *target, const sf_arch **abi) {
  *abi = target;
  const char *colon = strchr(c->p, ':'), *paren = strchr(c->p, '(');
  if (!colon || (paren && paren < colon)) return 0;
  char name[32];
  size_t n = (size_t)(colon - c->p);
  while (n && isspace((unsigned char)c->p[n - 1])) n--;
  snprintf(name, sizeof name, "%.*s", (int)n, c->p);
  *abi = sf_arch_by_name(name);
  if (*abi) {
    c->p = colon + 1;
    return 0;
  }
  size_t count;
  const sf_arch *const *all = sf_arch_all(&count);
  const char *names[64];
  if (count > 64) count = 64;
  for (size_t i = 0; i < count; i++) names[i] = all[i]->name;
  char h[96];
  return fail(c, "unknown architecture '%s'%s", name,
              hint(name, names, count, h, sizeof h));
}

static int unknown_syscall(cursor *c, const sf_arch *abi, const char *name) {
  const char **names = malloc((abi->n_syscalls + 1) * sizeof *names);
  if (!names) return fail(c, "out of memory");
  for (size_t i = 0; i < abi->n_syscalls; i++) names[i] = abi->syscalls[i].name;
  char h[96];
  int rc = fail(c, "unknown syscall '%s' on %s%s", name, abi->name,
                hint(name, names, abi->n_syscalls, h, sizeof h));
  free(names);
  return rc;
}

/* The syscall: a name in ABI's table or a number (seccomp_data.nr). */
static int parse_sys(cursor *c, sf_call_spec *out) {
  skip_ws(c);
  if (!is_ident_start(*c->p)) {
    uint64_t v;
    int negative;
    if (!*c->p || *c->p == '(') return fail(c, "missing syscall name or number");
    if (parse_number(c, &v, &negative) != 0) return -1;
    if (negative ? v < 0xffffffff80000000ULL : v > 0xffffffffULL)
      return fail(c, "syscall number out of range");
    out->call.nr = (uint32_t)v;
    out->name = NULL;
    return 0;
  }
  char name[128];
  if (take_word(c, name, sizeof name) >= sizeof name)
    return fail(c, "name too long");
  const sf_syscall *sc = sf_syscall_by_name(out->abi, name);
  if (!sc) return unknown_syscall(c, out->abi, name);
  out->call.nr = sc->nr;
  out->name = sc->name;
  return 0;
}

int sf_call_parse(const char *text, const sf_arch *target, const ast_file *defs,
                  const sysfence_ctx *ctx,
                  sf_call_spec *out, char *err, size_t err_size) {
  cursor c = {text, defs, ctx, err, err_size};
  memset(out, 0, sizeof *out);
  if (err_size) err[0] = '\0';
  skip_ws(&c);
  if (parse_abi(&c, target, &out->abi) != 0) return -1;
  out->call.arch = out->abi->audit_arch;
  if (parse_sys(&c, out) != 0) return -1;
  skip_ws(&c);
  if (*c.p == '(' && parse_args(&c, out->call.args) != 0) return -1;
  skip_ws(&c);
  if (*c.p) return fail(&c, "unexpected '%s'", c.p);
  return 0;
}

/* ---- explaining a decision ----------------------------------------------- */

uint32_t sf_call_explain(const sf_ruleset *const *rs, size_t n, const sf_query *call,
                         char *why, size_t why_size) {
  const sf_rule *rule;
  uint32_t action = sf_targets_decide(rs, n, call, &rule);
  const sf_ruleset *pick = sf_targets_pick(rs, n, call);
  /* With several targets, which one's rules decided. */
  char on[40] = "";
  if (pick && n > 1) snprintf(on, sizeof on, " on %s", pick->arch->name);
  if (!rule) {
    int unknown = pick && pick->has_unknown && action == pick->unknown_action &&
                  call->nr != UINT32_MAX && !sf_syscall_by_nr(pick->arch, call->nr);
    snprintf(why, why_size, "(%s%s)", !pick     ? "bad architecture"
                                      : unknown ? "not a syscall of the table: --unknown"
                                                : "default action", on);
    return action;
  }
  const sf_syscall *sc = sf_syscall_by_nr(pick->arch, call->nr);
  char name[32];
  if (sc) snprintf(name, sizeof name, "%s", sc->name);
  else snprintf(name, sizeof name, "SYSCALL[%u]", call->nr);
  sf_loc at = sf_loc_origin(rule->loc); /* in an nsjail config: there */
  snprintf(why, why_size, "(%s:%d:%d: rule for %s%s)", at.src ? at.src->name : "?",
           at.line, at.col, name, on);
  return action;
}

sf_call_spec *sf_calls_parse(char *const *calls, size_t n, const sf_arch *target,
                             const ast_file *defs, const sysfence_ctx *ctx) {
  sf_call_spec *specs = calloc(n ? n : 1, sizeof *specs);
  if (!specs) {
    fprintf(stderr, "sysfence: error: %s\n", strerror(ENOMEM));
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char err[256];
    if (sf_call_parse(calls[i], target, defs, ctx, &specs[i], err, sizeof err) != 0) {
      fprintf(stderr, "sysfence: error: bad call '%s': %s\n", calls[i], err);
      free(specs);
      return NULL;
    }
  }
  return specs;
}

void sf_call_print(const char *call, size_t n_calls, uint32_t action,
                   const char *why) {
  char act[32];
  if (n_calls > 1) printf("%s -> ", call);
  printf("%s  %s\n", sf_action_str(action, act, sizeof act), why);
}
