/* resolve.c - from the syntax tree to the rule set of one architecture:
 * constants, named policies and USE, syscall names and numbers, ON guards,
 * argument names and widths, constant folding, and the per-syscall rule
 * chains with their dead rules.  See ruleset.h for what the result means.
 *
 * Top-level items are handled in source order, so a POLICY or an entry
 * block sees the constants defined above it, and USE sees the policies
 * defined above it.  Every POLICY is resolved when it is defined (errors in
 * unused policies are reported too); its items keep USE references, which
 * are expanded only for the main policy, once DEFAULT is known. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "front/ast.h"
#include "bpf/bpf.h"
#include "bpf/action.h"
#include "base/context.h"
#include "sema/defines.h"
#include "arch/constants.h"
#include "base/diag.h"
#include "base/hash.h"
#include "sema/ruleset.h"

/* ---- state ---------------------------------------------------------------- */

typedef struct constant {
  const char *name;
  uint64_t value;
  int negative;
  sf_loc loc;        /* no location: a run-time constant (-D) or a
                        predefined one */
  int predefined;    /* from the target's table (arch/constants.h), not
                        yet #define'd by the policy */
  struct constant *next;
} constant;

typedef struct item item;

typedef struct policy {
  const char *name;
  sf_loc loc;
  item *items, **tail;
  unsigned mark; /* expansion generation that reached it */
  struct policy *next;
} policy;

/* A resolved rule, or a USE of a policy. */
struct item {
  policy *use;          /* USE: the policy; NULL for a rule */
  sf_loc loc;
  const char *name;     /* syscall as written */
  const char *guard;    /* skipped: the guard's architectures */
  const sf_cond *cond;
  item *next;
  uint32_t nr;
  uint32_t action;
  unsigned char skipped; /* the ON guard leaves out the target arch */
  unsigned char uncarried; /* another target's argument: see build_ruleset */
  unsigned char dropped; /* condition always false, or a foreign number */
};

/* Values are never changed once made, so equal leaves are shared: one
 * node per argument and width, and per small constant. */
enum { SMALL_CONSTS = 256 };

/* Constants and policies by name (base/hash.h): they are looked up for
 * every rule, so not by a list scan. */
typedef struct sym {
  const char *name;
  void *val;
} sym;
typedef sf_hash symtab;

typedef struct rstate {
  sysfence_ctx *ctx;
  const sf_arch *arch;
  const ast_top *top;      /* the item being resolved */
  constant *consts;        /* newest first (the order of suggestions) */
  policy *policies;        /* newest first */
  symtab const_tab, policy_tab;
  const char *defining;    /* name of the POLICY being resolved, or NULL */
  int have_default, seen_default;
  uint32_t default_action;
  sf_loc default_loc;
  int quiet;               /* suppress warnings (rules skipped by ON) */
  sf_loc rule_loc;         /* the rule being resolved (for notes) */
  const char *uncarried;   /* an argument of the native target's syscall
                              that this target's lacks (i386's mmap has no
                              'prot'): set by resolve_val */
  size_t n_absent;         /* rules naming syscalls this target lacks */
  sf_loc absent_loc;       /* the first of them */
  char absent[400];        /* their names, for one note */
  size_t n_nowhere;        /* rules naming syscalls no target has */
  sf_loc nowhere_loc;
  char nowhere[400];
  unsigned gen;
  sf_val *arg_vals[SF_MAX_ARGS][65]; /* [arg][bits] */
  sf_val *small_consts[SMALL_CONSTS];
} rstate;

/* Names of the arguments of the syscall a filter belongs to. */
typedef struct argtab {
  const char *names[SF_MAX_ARGS];
  const char *aliases[SF_MAX_ARGS]; /* Kafel's names (table names only) */
  sf_loc locs[SF_MAX_ARGS];
  int bits[SF_MAX_ARGS];
  int n;
  const char *what; /* "'read'" or "SYSCALL[5]", for messages */
  const char *sysname; /* the syscall's name, NULL for SYSCALL[n] */
} argtab;

static void warn(rstate *st, sf_loc loc, const char *fmt, ...) SF_PRINTF(3, 4);
static void warn(rstate *st, sf_loc loc, const char *fmt, ...) {
  if (st->quiet) return;
  char buf[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  sf_warning(st->ctx, loc, "%s", buf);
}

static const char *fmt_u64(rstate *st, uint64_t v, int negative) {
  char buf[32];
  if (negative && (int64_t)v < 0)
    snprintf(buf, sizeof buf, "%lld", (long long)v);
  else if (v < 10)
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
  else
    snprintf(buf, sizeof buf, "%#llx", (unsigned long long)v);
  return sf_strdup(st->ctx, buf);
}

/* As written in decimal (syscall numbers). */
static const char *fmt_dec(rstate *st, uint64_t v, int negative) {
  char buf[32];
  if (negative && (int64_t)v < 0)
    snprintf(buf, sizeof buf, "%lld", (long long)v);
  else
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
  return sf_strdup(st->ctx, buf);
}

/* ---- lookups ---------------------------------------------------------------- */

static int sym_is(const void *entry, const void *name) {
  return strcmp(((const sym *)entry)->name, name) == 0;
}

static void *sym_find(const symtab *t, const char *name) {
  const sym *e = sf_hash_find(t, sf_hash_string(name), sym_is, name);
  return e ? e->val : NULL;
}

/* Add NAME (not in T yet).  -1 when out of memory. */
static int sym_add(rstate *st, symtab *t, const char *name, void *val) {
  sym *e = sf_alloc(st->ctx, sizeof *e);
  if (!e) return -1;
  e->name = name;
  e->val = val;
  if (sf_hash_add(t, st->ctx->arena, sf_hash_string(name), e) == 0) return 0;
  st->ctx->out_of_memory = 1;
  return -1;
}

static void add_constant(rstate *st, const char *name, uint64_t value,
                         int negative, sf_loc loc);

/* A constant of the policy or -D, else the target's predefined one (taken
 * into the table on first use, so each target gets its own value). */
static constant *find_const(rstate *st, const char *name) {
  constant *c = sym_find(&st->const_tab, name);
  if (c) return c;
  const sf_constant *p = sf_constant_find(st->arch, name);
  if (!p) return NULL;
  add_constant(st, p->name, (uint64_t)p->value, p->value < 0, (sf_loc){0});
  c = sym_find(&st->const_tab, name);
  if (c) c->predefined = 1;
  return c;
}

static policy *find_policy(rstate *st, const char *name) {
  return sym_find(&st->policy_tab, name);
}

/* Did-you-mean suffix ("; did you mean 'x'?") or "". */
static const char *suggest(rstate *st, const char *word,
                           const char *const *names, size_t n) {
  const char *best = sf_closest_name(word, names, n);
  if (!best) return "";
  size_t len = strlen(best) + 24;
  char *s = sf_alloc(st->ctx, len);
  if (!s) return "";
  snprintf(s, len, "; did you mean '%s'?", best);
  return s;
}

static const char *suggest_syscall(rstate *st, const sf_arch *arch,
                                   const char *word) {
  const char **names = sf_alloc(st->ctx, (arch->n_syscalls + 1) * sizeof *names);
  if (!names) return "";
  for (size_t i = 0; i < arch->n_syscalls; i++) names[i] = arch->syscalls[i].name;
  return suggest(st, word, names, arch->n_syscalls);
}

static const char *suggest_arch(rstate *st, const char *word) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  const char **names = sf_alloc(st->ctx, (n + 1) * sizeof *names);
  if (!names) return "";
  for (size_t i = 0; i < n; i++) names[i] = all[i]->name;
  return suggest(st, word, names, n);
}

/* "a, b, c" from up to N strings, in the arena. */
static const char *join(rstate *st, const char *const *parts, size_t n) {
  size_t len = 1;
  for (size_t i = 0; i < n; i++) len += strlen(parts[i]) + 2;
  char *s = sf_alloc(st->ctx, len);
  if (!s) return "";
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(s, ", ");
    strcat(s, parts[i]);
  }
  return s;
}

/* Note where else an unknown syscall name exists. */
static void note_other_arches(rstate *st, const char *name, sf_loc loc,
                              const char *target) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  const char **has = sf_alloc(st->ctx, (n + 1) * sizeof *has);
  if (!has) return;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (sf_syscall_by_name(all[i], name)) has[k++] = all[i]->name;
  if (k)
    sf_note(st->ctx, loc, "'%s' exists on %s but not on %s", name,
            join(st, has, k), target);
}

/* SYSFENCE_PID used but not defined: an error that says who defines it
 * (never a silent default: a wrong pid would aim the rule at another
 * process).  Returns 1 if NAME is that case (the error is recorded). */
static int pid_constant_missing(rstate *st, const char *name, sf_loc loc) {
  if (strcmp(name, SF_PID_CONSTANT) != 0) return 0;
  sf_error(st->ctx, loc,
           "'%s' is not defined: it is the pid of the process the filter is "
           "for, which 'sysfence run' defines",
           name);
  sf_note(st->ctx, loc, "to compile the policy ahead, give the pid with -D %s=PID",
          name);
  return 1;
}

/* ---- actions ------------------------------------------------------------------ */

/* How many constants the policy can use on this target: its own and -D's
 * (in st->consts) and the target's predefined ones (some may be both). */
static size_t n_constant_names(rstate *st) {
  size_t n = 0;
  for (constant *k = st->consts; k; k = k->next) n++;
  size_t predefined;
  sf_constants_of(st->arch, &predefined);
  return n + predefined;
}

/* Their names into NAMES (room for n_constant_names()); how many. */
static size_t constant_names(rstate *st, const char **names) {
  size_t j = 0;
  for (constant *k = st->consts; k; k = k->next) names[j++] = k->name;
  size_t predefined;
  const sf_constant *all = sf_constants_of(st->arch, &predefined);
  for (size_t i = 0; i < predefined; i++) names[j++] = all[i].name;
  return j;
}

/* ERRNO(EPERM): the value of a #define'd or predefined constant (Kafel
 * only takes a literal there). */
static int action_constant(rstate *st, const ast_action *a, sf_loc loc,
                           uint64_t *value, int *negative) {
  constant *c = find_const(st, a->value_name);
  if (c) {
    *value = c->value;
    *negative = c->negative;
    return 0;
  }
  if (pid_constant_missing(st, a->value_name, loc)) return -1;
  const char **names = sf_alloc(st->ctx, (n_constant_names(st) + 1) * sizeof *names);
  const char *hint = "";
  if (names) hint = suggest(st, a->value_name, names, constant_names(st, names));
  sf_error(st->ctx, loc, "'%s' is not a defined constant%s", a->value_name, hint);
  return -1;
}

static int resolve_action(rstate *st, const ast_action *a, uint32_t *out) {
  uint32_t base = 0;
  int has_value = 0;
  switch (a->kind) {
  case AST_ACT_ALLOW: base = SF_RET_ALLOW; break;
  case AST_ACT_LOG: base = SF_RET_LOG; break;
  case AST_ACT_KILL: base = SF_RET_KILL_THREAD; break;
  case AST_ACT_KILL_PROCESS: base = SF_RET_KILL_PROCESS; break;
  case AST_ACT_USER_NOTIF: base = SF_RET_USER_NOTIF; break;
  case AST_ACT_ERRNO: base = SF_RET_ERRNO; has_value = 1; break;
  case AST_ACT_TRAP: base = SF_RET_TRAP; has_value = 1; break;
  case AST_ACT_TRACE: base = SF_RET_TRACE; has_value = 1; break;
  }
  *out = base;
  if (!has_value) return 0;
  sf_loc vloc = a->value_loc.src ? a->value_loc : a->loc;
  uint64_t value = a->value;
  int negative = a->negative;
  if (a->value_name && action_constant(st, a, vloc, &value, &negative) != 0)
    return -1;
  if (value > 0xffff) {
    sf_error(st->ctx, vloc,
             "%s value %s is out of range: seccomp keeps 16 bits (0..65535)",
             sf_action_name(base), fmt_dec(st, value, negative));
    return -1;
  }
  if (a->kind == AST_ACT_ERRNO && value > 4095)
    warn(st, vloc,
         "ERRNO(%u) is above 4095 (MAX_ERRNO); the kernel clamps it to 4095",
         (unsigned)value);
  *out = base | (uint32_t)value;
  return 0;
}

static int permissive(uint32_t action) {
  return action == SF_RET_ALLOW || action == SF_RET_LOG;
}

/* ---- values and conditions -------------------------------------------------- */

static uint64_t mask_bits(int bits) {
  return bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
}

/* Smallest 2^k-1 >= v. */
static uint64_t smear(uint64_t v) {
  v |= v >> 1;
  v |= v >> 2;
  v |= v >> 4;
  v |= v >> 8;
  v |= v >> 16;
  v |= v >> 32;
  return v;
}

/* An upper bound of a value. */
uint64_t sf_val_max(const sf_val *v) {
  switch (v->kind) {
  case VAL_CONST: return v->k;
  case VAL_ARG: return mask_bits(v->bits);
  case VAL_AND: {
    uint64_t l = sf_val_max(v->lhs), r = sf_val_max(v->rhs);
    return l < r ? l : r;
  }
  case VAL_OR: return smear(sf_val_max(v->lhs)) | smear(sf_val_max(v->rhs));
  }
  return ~(uint64_t)0;
}

static int val_same(const sf_val *a, const sf_val *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case VAL_CONST: return a->k == b->k;
  case VAL_ARG: return a->arg == b->arg && a->bits == b->bits;
  default: return val_same(a->lhs, b->lhs) && val_same(a->rhs, b->rhs);
  }
}

/* Index of the argument called NAME, or -1.  Kafel's alias of an argument
 * is accepted too, but a real name always wins: if a policy's NAME is one
 * argument's alias and another argument's real name in the same syscall, it
 * means the latter (so aliases never change what a name meant before). */
static int lookup_arg(const argtab *tab, const char *name) {
  for (int i = 0; i < tab->n; i++)
    if (tab->names[i] && strcmp(tab->names[i], name) == 0) return i;
  for (int i = 0; i < tab->n; i++)
    if (tab->aliases[i] && strcmp(tab->aliases[i], name) == 0) return i;
  return -1;
}

typedef struct cmpctx {
  int width;          /* the widest argument in the comparison: 16, 32, 64 */
  int any_arg;
  const char *arg;    /* the widest argument (first of that width), as
                         written, for messages */
  int failed;
} cmpctx;

/* Scan a bit expression for arguments: the widest one sets cc->width. */
static void scan_args(const ast_expr *e, const argtab *tab, cmpctx *cc) {
  if (!e) return;
  if (e->kind == AST_IDENT) {
    int i = lookup_arg(tab, e->name);
    if (i >= 0) {
      cc->any_arg = 1;
      if (tab->bits[i] > cc->width) {
        cc->width = tab->bits[i];
        cc->arg = e->name; /* as written (maybe an alias) */
      }
    }
    return;
  }
  if (e->kind == AST_BITAND || e->kind == AST_BITOR) {
    scan_args(e->lhs, tab, cc);
    scan_args(e->rhs, tab, cc);
  }
}

static sf_val *new_const(rstate *st, uint64_t k) {
  if (k < SMALL_CONSTS && st->small_consts[k]) return st->small_consts[k];
  sf_val *v = sf_alloc(st->ctx, sizeof *v);
  if (v) {
    v->kind = VAL_CONST;
    v->k = k;
    if (k < SMALL_CONSTS) st->small_consts[k] = v;
  }
  return v;
}

static sf_val *arg_val(rstate *st, int arg, int bits) {
  sf_val **slot = bits >= 0 && bits <= 64 ? &st->arg_vals[arg][bits] : NULL;
  if (slot && *slot) return *slot;
  sf_val *v = sf_alloc(st->ctx, sizeof *v);
  if (!v) return NULL;
  v->kind = VAL_ARG;
  v->arg = arg;
  v->bits = bits;
  if (slot) *slot = v;
  return v;
}

/* In a target other than the native one: is NAME an argument of the same
 * syscall on the native target (the policy was written for its layout)? */
static int native_argument(rstate *st, const argtab *tab, const char *name) {
  const sf_arch *native = st->ctx->arches[0];
  if (!tab->sysname || !native || st->arch == native) return 0;
  const sf_syscall *s = sf_syscall_by_name(native, tab->sysname);
  for (int i = 0; s && i < s->nargs; i++)
    if (strcmp(s->args[i].name, name) == 0 ||
        (s->args[i].alias && strcmp(s->args[i].alias, name) == 0))
      return 1;
  return 0;
}

/* A literal or constant read at the comparison's width W (that of its
 * widest argument): a number that fits in W bits as is, or a negative
 * number that fits in W bits signed (sign-extended from bit W-1: -1 is
 * 0xffff for a 16-bit umode_t, 0xffffffff for an int), keeps its low W
 * bits, which are all the kernel looks at. */
static uint64_t at_width(rstate *st, cmpctx *cc, uint64_t k, int negative,
                         sf_loc loc) {
  if (cc->width >= 64 || !cc->any_arg || k <= mask_bits(cc->width)) return k;
  uint64_t sign_ext = ~(uint64_t)0 << (cc->width - 1);
  if ((k & sign_ext) == sign_ext) return k & mask_bits(cc->width);
  warn(st, loc,
       "the constant %s does not fit in the %d-bit argument '%s'; the "
       "comparison is computed on 64 bits",
       fmt_u64(st, k, negative), cc->width, cc->arg);
  return k;
}

static sf_val *resolve_val(rstate *st, const ast_expr *e, const argtab *tab,
                           cmpctx *cc) {
  sysfence_ctx *ctx = st->ctx;
  switch (e->kind) {
  case AST_NUM:
    return new_const(st, at_width(st, cc, e->value, e->negative, e->loc));
  case AST_IDENT: {
    int i = lookup_arg(tab, e->name);
    if (i >= 0) return arg_val(st, i, tab->bits[i]);
    constant *c = find_const(st, e->name);
    if (c) return new_const(st, at_width(st, cc, c->value, c->negative, e->loc));
    if (pid_constant_missing(st, e->name, e->loc)) {
      cc->failed = 1;
      return NULL;
    }
    if (native_argument(st, tab, e->name)) {
      st->uncarried = e->name;
      cc->failed = 1;
      return NULL;
    }
    /* Unknown: suggest among the argument names (aliases included) and the
     * constants. */
    size_t n = 2 * (size_t)tab->n + n_constant_names(st);
    const char **names = sf_alloc(ctx, (n + 1) * sizeof *names);
    const char *hint = "";
    if (names) {
      size_t j = 0;
      for (int a = 0; a < tab->n; a++) names[j++] = tab->names[a];
      for (int a = 0; a < tab->n; a++)
        if (tab->aliases[a]) names[j++] = tab->aliases[a];
      j += constant_names(st, names + j);
      hint = suggest(st, e->name, names, j);
    }
    sf_error(ctx, e->loc,
             "'%s' is neither an argument of %s nor a constant%s", e->name,
             tab->what, hint);
    /* No close name: say what the arguments are called. */
    if (!*hint && tab->n > 0 && names) {
      for (int a = 0; a < tab->n; a++) names[a] = tab->names[a];
      sf_note(ctx, e->loc, "the arguments of %s are: %s", tab->what,
              join(st, names, (size_t)tab->n));
    }
    cc->failed = 1;
    return NULL;
  }
  case AST_BITAND:
  case AST_BITOR: {
    sf_val *l = resolve_val(st, e->lhs, tab, cc);
    sf_val *r = resolve_val(st, e->rhs, tab, cc);
    if (!l || !r) return NULL;
    int is_and = e->kind == AST_BITAND;
    if (l->kind == VAL_CONST && r->kind == VAL_CONST)
      return new_const(st, is_and ? l->k & r->k : l->k | r->k);
    /* x & 0 == 0, x | ~0 == ~0 */
    for (int side = 0; side < 2; side++) {
      sf_val *k = side ? r : l;
      if (k->kind != VAL_CONST) continue;
      if (is_and && k->k == 0) return new_const(st, 0);
      if (!is_and && k->k == ~(uint64_t)0) return new_const(st, ~(uint64_t)0);
    }
    sf_val *v = sf_alloc(ctx, sizeof *v);
    if (!v) return NULL;
    v->kind = is_and ? VAL_AND : VAL_OR;
    v->lhs = l;
    v->rhs = r;
    return v;
  }
  default:
    sf_error(ctx, e->loc, "expected a value, found a condition");
    cc->failed = 1;
    return NULL;
  }
}

static sf_cond *new_cond(rstate *st, cond_kind kind) {
  sf_cond *c = sf_alloc(st->ctx, sizeof *c);
  if (c) c->kind = kind;
  return c;
}

/* x OP k with x in [0, max]: 1 always true, 0 always false, -1 unknown. */
static int fold_bound(cmp_op op, uint64_t max, uint64_t k) {
  switch (op) {
  case CMP_EQ: return k > max ? 0 : -1;
  case CMP_NE: return k > max ? 1 : -1;
  case CMP_LT: return k > max ? 1 : k == 0 ? 0 : -1;
  case CMP_LE: return k >= max ? 1 : -1;
  case CMP_GT: return k >= max ? 0 : -1;
  case CMP_GE: return k > max ? 0 : k == 0 ? 1 : -1;
  }
  return -1;
}

/* Constant OP constant, folded by the resolver itself (the reference
 * evaluator in src/oracle is the tests' oracle: the compiler never borrows
 * it, so a bug in one cannot hide in the other).  The OCI writer folds
 * with it too. */
int sf_cmp_fold(cmp_op op, uint64_t l, uint64_t r) {
  int order = l < r ? -1 : l > r;
  switch (op) {
  case CMP_EQ: return order == 0;
  case CMP_NE: return order != 0;
  case CMP_LT: return order < 0;
  case CMP_LE: return order <= 0;
  case CMP_GT: return order > 0;
  case CMP_GE: return order >= 0;
  }
  return -1;
}

cmp_op sf_cmp_mirror(cmp_op op) {
  switch (op) {
  case CMP_LT: return CMP_GT;
  case CMP_LE: return CMP_GE;
  case CMP_GT: return CMP_LT;
  case CMP_GE: return CMP_LE;
  default: return op;
  }
}

static sf_cond *resolve_cmp(rstate *st, const ast_expr *e, const argtab *tab) {
  cmpctx cc = {0};
  scan_args(e->lhs, tab, &cc);
  scan_args(e->rhs, tab, &cc);
  sf_val *l = resolve_val(st, e->lhs, tab, &cc);
  sf_val *r = resolve_val(st, e->rhs, tab, &cc);
  if (!l || !r || cc.failed) return NULL;
  static const cmp_op ops[] = {CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE};
  cmp_op op = ops[e->op];
  int v = -1;
  if (l->kind == VAL_CONST && r->kind == VAL_CONST)
    v = sf_cmp_fold(op, l->k, r->k);
  else if (r->kind == VAL_CONST)
    v = fold_bound(op, sf_val_max(l), r->k);
  else if (l->kind == VAL_CONST)
    v = fold_bound(sf_cmp_mirror(op), sf_val_max(r), l->k);
  else if (val_same(l, r))
    v = op == CMP_EQ || op == CMP_LE || op == CMP_GE;
  if (v >= 0) return new_cond(st, v ? COND_TRUE : COND_FALSE);
  sf_cond *c = new_cond(st, COND_CMP);
  if (!c) return NULL;
  c->op = op;
  c->lhs = l;
  c->rhs = r;
  c->width = sf_val_max(l) <= 0xffffffffu && sf_val_max(r) <= 0xffffffffu ? 32 : 64;
  return c;
}

static sf_cond *resolve_cond(rstate *st, const ast_expr *e, const argtab *tab) {
  switch (e->kind) {
  case AST_CMP: return resolve_cmp(st, e, tab);
  case AST_NOT: {
    sf_cond *a = resolve_cond(st, e->lhs, tab);
    if (!a) return NULL;
    if (a->kind == COND_TRUE || a->kind == COND_FALSE)
      return new_cond(st, a->kind == COND_TRUE ? COND_FALSE : COND_TRUE);
    if (a->kind == COND_NOT) return a->a;
    sf_cond *c = new_cond(st, COND_NOT);
    if (c) c->a = a;
    return c;
  }
  case AST_AND:
  case AST_OR: {
    sf_cond *a = resolve_cond(st, e->lhs, tab);
    sf_cond *b = resolve_cond(st, e->rhs, tab);
    if (!a || !b) return NULL;
    int is_and = e->kind == AST_AND;
    cond_kind absorbing = is_and ? COND_FALSE : COND_TRUE;
    cond_kind neutral = is_and ? COND_TRUE : COND_FALSE;
    if (a->kind == absorbing || b->kind == absorbing) return new_cond(st, absorbing);
    if (a->kind == neutral) return b;
    if (b->kind == neutral) return a;
    sf_cond *c = new_cond(st, is_and ? COND_AND : COND_OR);
    if (c) {
      c->a = a;
      c->b = b;
    }
    return c;
  }
  default:
    sf_error(st->ctx, e->loc, "expected a comparison");
    return NULL;
  }
}

/* ---- rules -------------------------------------------------------------------- */

/* A syscall number written as a literal or a constant: 0..2^32-1, or a
 * negative number that fits in 32 bits signed (two's complement). */
static int nr_in_range(uint64_t v, int negative, uint32_t *nr) {
  if (negative ? v < 0xffffffff80000000u : v > 0xffffffffu) return 0;
  *nr = (uint32_t)v;
  return 1;
}

/* Build the argument table of a rule.  Returns -1 on errors. */
static int build_args(rstate *st, const ast_rule *r, const sf_arch *arch,
                      const sf_syscall *sys, argtab *tab) {
  int ok = 0;
  int nargs = sys ? sys->nargs : -1;
  memset(tab, 0, sizeof *tab);
  if (!r->has_args) {
    for (int i = 0; i < nargs && i < SF_MAX_ARGS; i++) {
      tab->names[i] = sys->args[i].name;
      tab->aliases[i] = sys->args[i].alias;
      tab->bits[i] = arch->bits == 32 && sys->args[i].bits > 32 ? 32 : sys->args[i].bits;
    }
    tab->n = nargs > 0 ? nargs : 0;
    return 0;
  }
  if (r->n_args > SF_MAX_ARGS) {
    sf_error(st->ctx, r->args[SF_MAX_ARGS].loc,
             "too many argument names: a syscall has at most %d arguments",
             SF_MAX_ARGS);
    ok = -1;
  }
  for (size_t i = 0; i < r->n_args && i < SF_MAX_ARGS; i++) {
    for (size_t j = 0; j < i; j++)
      if (strcmp(r->args[i].name, r->args[j].name) == 0) {
        sf_error(st->ctx, r->args[i].loc, "duplicate argument name '%s'",
                 r->args[i].name);
        sf_note(st->ctx, r->args[j].loc, "'%s' is first declared here",
                r->args[j].name);
        ok = -1;
        break;
      }
    tab->names[i] = r->args[i].name;
    tab->locs[i] = r->args[i].loc;
    int bits = (int)i < nargs ? sys->args[i].bits : 64;
    if (arch->bits == 32 && bits > 32) bits = 32;
    tab->bits[i] = bits;
  }
  tab->n = r->n_args < SF_MAX_ARGS ? (int)r->n_args : SF_MAX_ARGS;
  if (nargs >= 0 && (int)r->n_args > nargs && nargs < SF_MAX_ARGS)
    warn(st, r->args[nargs].loc, "%s takes %d argument%s", sys->name, nargs,
         nargs == 1 ? "" : "s");
  return ok;
}

static item *new_item(rstate *st) { return sf_alloc(st->ctx, sizeof(item)); }

/* A rule's ON guard: the architectures it names, and whether the target
 * is one of them (a rule without a guard applies everywhere). */
typedef struct guard {
  const sf_arch **archs;
  const char **names;
  size_t n;
  int applies; /* the target is in the guard, or there is none */
} guard;

/* Returns 0, or -1 after errors (unknown or repeated architectures). */
static int resolve_guard(rstate *st, const ast_rule *r, guard *g) {
  sysfence_ctx *ctx = st->ctx;
  memset(g, 0, sizeof *g);
  g->applies = r->n_archs == 0;
  if (r->n_archs == 0) return 0;
  g->archs = sf_alloc(ctx, r->n_archs * sizeof *g->archs);
  g->names = sf_alloc(ctx, r->n_archs * sizeof *g->names);
  if (!g->archs || !g->names) return -1;
  int bad = 0;
  for (size_t i = 0; i < r->n_archs; i++) {
    const sf_arch *a = sf_arch_by_name(r->archs[i].name);
    if (!a) {
      sf_error(ctx, r->archs[i].loc, "unknown architecture '%s'%s",
               r->archs[i].name, suggest_arch(st, r->archs[i].name));
      bad = 1;
      continue;
    }
    size_t j;
    for (j = 0; j < g->n && g->archs[j] != a; j++) {
    }
    if (j < g->n) {
      sf_error(ctx, r->archs[i].loc,
               "architecture '%s' is listed twice in the ON guard", r->archs[i].name);
      for (size_t k = 0; k < i; k++)
        if (sf_arch_by_name(r->archs[k].name) == a) {
          sf_note(ctx, r->archs[k].loc, "first listed here");
          break;
        }
      bad = 1;
      continue;
    }
    g->names[g->n] = a->name;
    g->archs[g->n++] = a;
    if (a == st->arch) g->applies = 1;
  }
  return bad ? -1 : 0;
}

/* What a rule names: a syscall of a table, or a custom number. */
typedef struct target_sys {
  const sf_syscall *sys;   /* NULL for a custom number */
  const sf_arch *table;    /* the arch whose argument names apply */
  uint32_t nr;
  int custom;
  char what[64];           /* "'read'", "SYSCALL[5]" for messages */
} target_sys;

/* SYSCALL[n]: 0, or -1 after an error. */
static int resolve_custom_number(rstate *st, const ast_rule *r, target_sys *t) {
  if (!nr_in_range(r->number, r->number_negative, &t->nr)) {
    sf_error(st->ctx, r->number_loc.src ? r->number_loc : r->loc,
             "syscall number %s is out of range: it must fit in 32 bits",
             fmt_dec(st, r->number, r->number_negative));
    return -1;
  }
  t->custom = 1;
  snprintf(t->what, sizeof t->what, "SYSCALL[%s]",
           fmt_dec(st, r->number, r->number_negative));
  return 0;
}

/* Add NAME to the list LIST (for one note), counting it in *N. */
static void list_name(char *list, size_t size, size_t *n, const char *name) {
  (*n)++;
  size_t used = strlen(list);
  if (used + strlen(name) + 3 < size)
    snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
  else if (!strstr(list, "..."))
    snprintf(list + used, size - used, ", ...");
}

/* In a filter for several targets, a syscall of some other architecture
 * that none of the targets has (alarm for aarch64,arm): the rule is left
 * out, with one note in the native target's pass (a policy written for
 * x86_64 then compiles for aarch64,arm as it is).  A name no architecture
 * has stays an error (a typo, with its did-you-mean). */
static int no_target_has(rstate *st, const char *name) {
  sysfence_ctx *ctx = st->ctx;
  for (size_t i = 0; i < ctx->n_arches; i++)
    if (sf_syscall_by_name(ctx->arches[i], name)) return 0;
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  for (size_t i = 0; i < n; i++) {
    if (!sf_syscall_by_name(all[i], name)) continue;
    if (st->arch == ctx->arches[0]) {
      if (st->n_nowhere == 0) st->nowhere_loc = st->rule_loc;
      list_name(st->nowhere, sizeof st->nowhere, &st->n_nowhere, name);
    }
    return 1;
  }
  return 0;
}

/* In a filter for several architectures, a syscall some targets lack
 * (socketcall on x86_64, arch_prctl on i386) applies to those that have
 * it: a note for the others, an error only where no target has it.
 * Returns 1 (with the note) if NAME is a syscall of another target. */
static int absent_here(rstate *st, const guard *g, const char *name) {
  sysfence_ctx *ctx = st->ctx;
  if (!g->applies || ctx->n_arches < 2) return 0;
  if (no_target_has(st, name)) return 1;
  for (size_t i = 0; i < ctx->n_arches; i++) {
    if (ctx->arches[i] == st->arch || !sf_syscall_by_name(ctx->arches[i], name))
      continue;
    /* Collected for one note at the end of this target's resolution. */
    if (st->n_absent == 0) st->absent_loc = st->rule_loc;
    list_name(st->absent, sizeof st->absent, &st->n_absent, name);
    return 1;
  }
  return 0;
}

/* The note about the syscalls this target lacks (absent_here). */
static void note_absent(rstate *st) {
  if (st->n_nowhere) {
    st->ctx->dropping_notes = 0;
    sf_note(st->ctx, st->nowhere_loc, "%zu rule%s name%s syscalls that none of the "
            "targets has (%s): left out", st->n_nowhere, st->n_nowhere == 1 ? "" : "s",
            st->n_nowhere == 1 ? "s" : "", st->nowhere);
  }
  if (!st->n_absent) return;
  st->ctx->dropping_notes = 0; /* a note of its own, not of the last warning */
  sf_note(st->ctx, st->absent_loc, "%zu rule%s name%s syscalls that %s lacks (%s): %s "
          "to the other targets only", st->n_absent, st->n_absent == 1 ? "" : "s",
          st->n_absent == 1 ? "s" : "", st->arch->name, st->absent,
          st->n_absent == 1 ? "it applies" : "they apply");
}

/* A name that is no syscall of the tables looked in: a constant used as a
 * syscall number, or an error with a did-you-mean.  0, 1 when the name is
 * another target's syscall (the rule does not apply here), or -1. */
static int resolve_unknown_name(rstate *st, const ast_rule *r, const guard *g,
                                target_sys *t) {
  sysfence_ctx *ctx = st->ctx;
  const char *written = r->name.name;
  constant *c = find_const(st, written);
  if (c) {
    if (!nr_in_range(c->value, c->negative, &t->nr)) {
      sf_error(ctx, r->name.loc,
               "constant '%s' (%s) is not a syscall number: it must fit in 32 bits",
               written, fmt_u64(st, c->value, c->negative));
      return -1;
    }
    t->custom = 1;
    return 0;
  }
  if (absent_here(st, g, written)) return 1;
  const sf_arch *hint_arch = g->applies ? st->arch : g->archs[0];
  const char *where = g->applies ? st->arch->name : join(st, g->names, g->n);
  const char *kernel[2];
  size_t nk = sf_syscall_kernel_names(hint_arch, written, kernel, 2);
  if (nk)
    sf_error(ctx, r->name.loc, "unknown syscall '%s' for %s: the C library's %s() "
             "calls '%s'%s%s%s there", written, where, written, kernel[0],
             nk > 1 ? " or '" : "", nk > 1 ? kernel[1] : "", nk > 1 ? "'" : "");
  else
    sf_error(ctx, r->name.loc, "unknown syscall '%s' for %s%s", written, where,
             suggest_syscall(st, hint_arch, written));
  if (nk) sf_fixit(ctx, r->name.loc, strlen(written), kernel[0]);
  note_other_arches(st, written, r->name.loc, where);
  return -1;
}

/* "'NAME'" into DST (for messages; every rule gets one, so no printf). */
static void quote_name(char *dst, size_t size, const char *name) {
  size_t n = strlen(name);
  if (n > size - 3) n = size - 3;
  dst[0] = '\'';
  memcpy(dst + 1, name, n);
  dst[n + 1] = '\'';
  dst[n + 2] = '\0';
}

/* The syscall a rule names, looked up in the target's table, or (for a
 * rule whose guard excludes the target) in the guard's tables.  0, 1 when
 * it is another target's syscall only, or -1. */
static int resolve_target(rstate *st, const ast_rule *r, const guard *g,
                          target_sys *t) {
  memset(t, 0, sizeof *t);
  t->table = st->arch;
  if (r->is_custom) return resolve_custom_number(st, r, t);
  quote_name(t->what, sizeof t->what, r->name.name);
  if (g->applies) {
    t->sys = sf_syscall_by_name(st->arch, r->name.name);
  } else {
    for (size_t i = 0; i < g->n && !t->sys; i++) {
      t->sys = sf_syscall_by_name(g->archs[i], r->name.name);
      if (t->sys) t->table = g->archs[i];
    }
  }
  if (t->sys) {
    t->nr = t->sys->nr;
    return 0;
  }
  return resolve_unknown_name(st, r, g, t);
}

/* The rule's filter over its arguments (checked even when the guard skips
 * the rule for this target, with its warnings silent then).  0 and *COND
 * (NULL: no filter), or -1 after errors. */
static int resolve_filter(rstate *st, const ast_rule *r, const guard *g,
                          target_sys *t, const sf_cond **cond) {
  int saved_quiet = st->quiet;
  if (!g->applies) st->quiet = 1;
  argtab tab;
  int bad = build_args(st, r, t->table, t->sys, &tab) != 0;
  tab.what = t->what;
  tab.sysname = t->sys ? t->sys->name : NULL;
  *cond = NULL;
  if (!bad && r->filter) {
    *cond = resolve_cond(st, r->filter, &tab);
    if (!*cond) bad = 1;
  }
  st->quiet = saved_quiet;
  return bad ? -1 : 0;
}

/* The item for a rule that applies to the target: constant filters
 * folded, rules that can never match marked dropped (with a warning). */
static void settle_item(rstate *st, const ast_rule *r, const target_sys *t,
                        const sf_cond *cond, item *it) {
  const sf_arch *arch = st->arch;
  if (cond && cond->kind == COND_FALSE) {
    warn(st, r->filter->loc, "condition is always false; the rule for %s is dropped",
         t->what);
    it->dropped = 1;
  } else if (cond && cond->kind == COND_TRUE) {
    cond = NULL;
  }
  it->cond = cond;
  if (t->custom && sf_arch_nr_is_foreign(arch, t->nr)) {
    warn(st, r->is_custom && r->number_loc.src ? r->number_loc : r->loc,
         "syscall number %#x belongs to another ABI sharing AUDIT_ARCH "
         "%#x; this %s filter gives it the bad-arch action, so the rule never "
         "applies",
         (unsigned)t->nr, (unsigned)arch->audit_arch, arch->name);
    it->dropped = 1;
  }
}

/* A rule whose filter names an argument this target's syscall lacks (the
 * native target's layout differs: i386's mmap takes one pointer): its
 * syscall gets the most restrictive outcome of its rules here
 * (build_ruleset), with a warning. */
static item *uncarried_item(rstate *st, const ast_rule *r, const target_sys *t,
                            uint32_t action) {
  item *it = new_item(st);
  if (!it) return NULL;
  it->loc = r->loc;
  it->name = t->sys->name;
  it->nr = t->nr;
  it->action = action;
  it->uncarried = 1;
  warn(st, r->filter->loc, "%s on %s has no argument '%s' (the rule is written for %s's): "
       "%s gets the most restrictive outcome of its rules there", t->what, st->arch->name,
       st->uncarried, st->ctx->arches[0]->name, t->what);
  return it;
}

static item *resolve_rule(rstate *st, const ast_rule *r, uint32_t action) {
  guard g;
  target_sys t;
  const sf_cond *cond;
  st->rule_loc = r->name.loc.src ? r->name.loc : r->loc;
  st->uncarried = NULL;
  if (resolve_guard(st, r, &g) != 0 || resolve_target(st, r, &g, &t) != 0)
    return NULL;
  if (resolve_filter(st, r, &g, &t, &cond) != 0)
    return st->uncarried ? uncarried_item(st, r, &t, action) : NULL;
  item *it = new_item(st);
  if (!it) return NULL;
  const char *written = r->is_custom ? NULL : r->name.name;
  it->loc = r->loc;
  it->name = t.custom ? written : (t.sys ? t.sys->name : written);
  it->action = action;
  it->nr = t.nr;
  if (!g.applies) {
    it->skipped = 1;
    it->name = written;
    it->guard = join(st, g.names, g.n);
    return it;
  }
  settle_item(st, r, &t, cond, it);
  return it;
}

/* ---- entries and policies ---------------------------------------------------- */

static void append(policy *p, item *it) {
  *p->tail = it;
  p->tail = &it->next;
}

static void resolve_use(rstate *st, const ast_entry *e, policy *into) {
  sysfence_ctx *ctx = st->ctx;
  const char *name = e->use.name;
  policy *p = find_policy(st, name);
  if (p) {
    item *it = new_item(st);
    if (!it) return;
    it->use = p;
    it->loc = e->loc;
    append(into, it);
    return;
  }
  if (st->defining && strcmp(st->defining, name) == 0) {
    sf_error(ctx, e->use.loc, "policy '%s' cannot USE itself", name);
    return;
  }
  size_t n = 0;
  for (policy *q = st->policies; q; q = q->next) n++;
  const char **names = sf_alloc(ctx, (n + 1) * sizeof *names);
  const char *hint = "";
  if (names) {
    size_t j = 0;
    for (policy *q = st->policies; q; q = q->next) names[j++] = q->name;
    hint = suggest(st, name, names, j);
  }
  sf_error(ctx, e->use.loc, "unknown policy '%s'%s", name, hint);
  for (const ast_top *t = st->top ? st->top->next : NULL; t; t = t->next)
    if (t->kind == AST_TOP_POLICY && strcmp(t->name.name, name) == 0) {
      sf_note(ctx, t->name.loc,
              "'%s' is defined here, after its use; a policy must be defined "
              "before USE",
              name);
      break;
    }
}

static void resolve_entries(rstate *st, const ast_entry *entries, policy *into) {
  for (const ast_entry *e = entries; e; e = e->next) {
    if (sf_too_many_errors(st->ctx)) return;
    if (e->kind == AST_ENTRY_USE) {
      resolve_use(st, e, into);
      continue;
    }
    uint32_t action = 0;
    resolve_action(st, &e->action, &action);
    for (const ast_rule *r = e->rules; r; r = r->next) {
      if (sf_too_many_errors(st->ctx)) return;
      item *it = resolve_rule(st, r, action);
      if (it) append(into, it);
    }
  }
}

static policy *new_policy(rstate *st, const char *name, sf_loc loc) {
  policy *p = sf_alloc(st->ctx, sizeof *p);
  if (!p) return NULL;
  p->name = name;
  p->loc = loc;
  p->tail = &p->items;
  return p;
}

static void add_constant(rstate *st, const char *name, uint64_t value,
                         int negative, sf_loc loc) {
  constant *c = sf_alloc(st->ctx, sizeof *c);
  if (!c) return;
  c->name = name;
  c->value = value;
  c->negative = negative;
  c->loc = loc;
  c->next = st->consts;
  st->consts = c;
  sym_add(st, &st->const_tab, name, c);
}

/* A policy's #define of a predefined name: the same value is what Kafel
 * policies write (accepted silently); another value is the policy's to
 * choose, but worth a warning naming both. */
static void redefine_predefined(rstate *st, constant *c, const ast_top *t) {
  if (c->value != t->value || c->negative != t->negative)
    warn(st, t->name.loc,
         "'%s' is predefined as %s on %s; the policy's value %s is used",
         c->name, fmt_u64(st, c->value, c->negative), st->arch->name,
         fmt_u64(st, t->value, t->negative));
  c->value = t->value;
  c->negative = t->negative;
  c->loc = t->name.loc;
  c->predefined = 0;
}

static void define_constant(rstate *st, const ast_top *t) {
  sysfence_ctx *ctx = st->ctx;
  const char *name = t->name.name;
  if (sf_is_known_syscall_or_arg(name)) {
    size_t n;
    const sf_arch *const *all = sf_arch_all(&n);
    const char *kind = "an argument";
    for (size_t i = 0; i < n; i++)
      if (sf_syscall_by_name(all[i], name)) kind = "a syscall";
    sf_error(ctx, t->name.loc,
             "'%s' is %s name; a #define would silently replace it", name, kind);
    return;
  }
  constant *c = find_const(st, name);
  if (c && c->predefined) {
    redefine_predefined(st, c, t);
    return;
  }
  if (c) {
    if (c->value != t->value) {
      sf_error(ctx, t->name.loc, "'%s' is redefined with a different value (%s, was %s)",
               name, fmt_u64(st, t->value, t->negative),
               fmt_u64(st, c->value, c->negative));
      if (c->loc.src)
        sf_note(ctx, c->loc, "previous definition of '%s' is here", name);
      else
        sf_note(ctx, c->loc, "'%s' is defined for this compilation (-D %s=%s%s)",
                name, name, fmt_u64(st, c->value, c->negative),
                strcmp(name, SF_PID_CONSTANT) == 0 ? ", by 'sysfence run'" : "");
    }
    return;
  }
  add_constant(st, name, t->value, t->negative, t->name.loc);
}

/* The run-time constants (-D) come first, as if #define'd before the
 * policy's first line, and obey the same rule: no syscall or argument
 * name may be replaced. */
static void predefine_constants(rstate *st) {
  sysfence_ctx *ctx = st->ctx;
  for (size_t i = 0; i < ctx->n_defines; i++) {
    const sf_define *d = &ctx->defines[i];
    if (sf_is_known_syscall_or_arg(d->name)) {
      sf_error(ctx, (sf_loc){0},
               "-D %s: '%s' is a syscall or argument name; a constant would "
               "silently replace it", d->name, d->name);
      continue;
    }
    add_constant(st, d->name, d->value, d->negative, (sf_loc){0});
  }
}

/* ---- the main policy ------------------------------------------------------------ */

typedef struct collect {
  item **rules;
  size_t n, cap;
} collect;

/* Item lists being walked, innermost last: USE chains can be as long as
 * the policy, so the walk keeps its own stack rather than recursing. */
typedef struct walk {
  item **at;
  size_t n, cap;
} walk;

static int walk_push(rstate *st, walk *w, item *first) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 16;
    item **a = sf_arena_grow(st->ctx->arena, w->at, w->cap * sizeof *a,
                             cap * sizeof *a);
    if (!a) {
      st->ctx->out_of_memory = 1;
      return -1;
    }
    w->at = a;
    w->cap = cap;
  }
  w->at[w->n++] = first;
  return 0;
}

/* The next item in USE-expanded order, or NULL at the end. */
static item *walk_next(rstate *st, walk *w) {
  while (w->n > 0) {
    item *it = w->at[w->n - 1];
    if (!it) {
      w->n--;
      continue;
    }
    w->at[w->n - 1] = it->next;
    if (!it->use) return it;
    /* A policy reached again in one expansion adds nothing new. */
    if (it->use->mark != st->gen) {
      it->use->mark = st->gen;
      if (walk_push(st, w, it->use->items) != 0) return NULL;
    }
  }
  return NULL;
}

static void expand(rstate *st, policy *p, collect *out) {
  walk w = {0};
  p->mark = st->gen;
  if (walk_push(st, &w, p->items) != 0) return;
  for (item *it; (it = walk_next(st, &w)) != NULL;) {
    if (it->skipped) {
      if (permissive(st->default_action) && !permissive(it->action))
        warn(st, it->loc,
             "'%s' is denied only ON %s; this %s filter lets it through "
             "(DEFAULT %s)",
             it->name, it->guard, st->arch->name,
             st->default_action == SF_RET_ALLOW ? "ALLOW" : "LOG");
      continue;
    }
    if (it->dropped) continue;
    if (out->n == out->cap) {
      size_t cap = out->cap ? out->cap * 2 : 64;
      item **r = sf_arena_grow(st->ctx->arena, out->rules, out->cap * sizeof *r,
                               cap * sizeof *r);
      if (!r) {
        st->ctx->out_of_memory = 1;
        return;
      }
      out->rules = r;
      out->cap = cap;
    }
    out->rules[out->n++] = it;
  }
}

static int same_loc(sf_loc a, sf_loc b) {
  if (a.line != b.line || a.col != b.col) return 0;
  if (a.src == b.src) return 1;
  return a.src && b.src && strcmp(a.src->name, b.src->name) == 0;
}

/* The rules ALL sorted by syscall number, in policy order for each number
 * (a stable LSD radix sort on the 32-bit number, a byte at a time: linear,
 * and no comparisons). */
static item **sort_by_nr(rstate *st, item **all, size_t n) {
  item **tmp = sf_alloc(st->ctx, (n + 1) * sizeof *tmp);
  if (!tmp) return NULL;
  item **from = all, **to = tmp;
  size_t count[256];
  for (int shift = 0; shift < 32; shift += 8) {
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) count[(from[i]->nr >> shift) & 0xff]++;
    if (count[(from[0]->nr >> shift) & 0xff] == n) continue; /* one digit */
    size_t sum = 0;
    for (size_t d = 0; d < 256; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      to[count[(from[i]->nr >> shift) & 0xff]++] = from[i];
    item **t = from;
    from = to;
    to = t;
  }
  return from;
}

/* Locations already warned about as shadowed (a rule reached through two
 * USEs is reported once): a hash set on line and column. */
/* Locations warned about already (base/hash.h). */
typedef sf_hash locset;

static int loc_is(const void *entry, const void *key) {
  return same_loc(*(const sf_loc *)entry, *(const sf_loc *)key);
}

/* Add LOC; 0 if it was there already, 1 if added, -1 out of memory. */
static int locset_add(rstate *st, locset *s, sf_loc loc) {
  uint64_t h = (uint32_t)loc.line * 2654435761u ^ (uint32_t)loc.col * 40503u;
  if (sf_hash_find(s, h, loc_is, &loc)) return 0;
  sf_loc *e = sf_alloc(st->ctx, sizeof *e);
  if (!e) return -1;
  *e = loc;
  if (sf_hash_add(s, st->ctx->arena, h, e) != 0) {
    st->ctx->out_of_memory = 1;
    return -1;
  }
  return 1;
}

/* A syscall one of whose rules could not be carried to this target
 * (uncarried_item): one rule with the most restrictive action its rules
 * (up to the first unconditional one) and, if they can all fail, the
 * default can give.  S->rules has room for the one rule. */
static void settle_uncarried(const sf_ruleset *rs, item *const *its, size_t n,
                             sf_sysrules *s) {
  int any = 0, stopped = 0;
  uint32_t worst = SF_RET_ALLOW;
  for (size_t k = 0; k < n && !stopped; k++) {
    if (its[k]->dropped) continue;
    any |= its[k]->uncarried;
    worst = sf_action_stricter(worst, its[k]->action);
    stopped = !its[k]->cond && !its[k]->uncarried;
  }
  if (!any) return;
  if (!stopped) worst = sf_action_stricter(worst, rs->default_action);
  s->rules[0] = (sf_rule){NULL, worst, its[0]->loc};
  s->n_rules = 1;
}

static sf_ruleset *build_ruleset(rstate *st, policy *main_policy) {
  sysfence_ctx *ctx = st->ctx;
  collect all = {0};
  st->gen++;
  expand(st, main_policy, &all);
  if (ctx->out_of_memory) return NULL;

  sf_ruleset *rs = sf_alloc(ctx, sizeof *rs);
  if (!rs) return NULL;
  rs->arch = st->arch;
  rs->default_action = st->have_default ? st->default_action : SF_RET_KILL_THREAD;
  rs->bad_arch_action = ctx->bad_arch_action;
  rs->has_unknown = ctx->has_unknown;
  rs->unknown_action = ctx->unknown_action;
  if (all.n == 0) {
    rs->sys = sf_alloc(ctx, sizeof *rs->sys);
    return rs->sys ? rs : NULL;
  }
  item **ord = sort_by_nr(st, all.rules, all.n);
  if (!ord) return NULL;

  size_t nsys = 0;
  for (size_t i = 0; i < all.n; i++)
    if (i == 0 || ord[i]->nr != ord[i - 1]->nr) nsys++;
  rs->sys = sf_alloc(ctx, (nsys + 1) * sizeof *rs->sys);
  /* Every rule up to the first unconditional one of its syscall is kept. */
  sf_rule *rules = sf_alloc(ctx, all.n * sizeof *rules);
  if (!rs->sys || !rules) return NULL;
  locset warned = {0};
  for (size_t i = 0; i < all.n;) {
    size_t j = i;
    while (j < all.n && ord[j]->nr == ord[i]->nr) j++;
    sf_sysrules *s = &rs->sys[rs->n_sys++];
    s->nr = ord[i]->nr;
    const sf_syscall *known = sf_syscall_by_nr(st->arch, s->nr);
    s->name = known ? known->name : NULL;
    s->rules = rules;
    const item *stop = NULL;
    for (size_t k = i; k < j; k++) {
      const item *it = ord[k];
      if (stop) {
        int added = locset_add(st, &warned, it->loc);
        if (added < 0) return NULL;
        if (added) {
          sf_warning(ctx, it->loc, "rule for '%s' can never match",
                     s->name ? s->name : it->name ? it->name : "?");
          sf_note(ctx, stop->loc, "shadowed by the rule at %s:%d:%d",
                  stop->loc.src ? stop->loc.src->name : "?", stop->loc.line,
                  stop->loc.col);
        }
        continue;
      }
      sf_rule *rule = &s->rules[s->n_rules++];
      rule->cond = it->cond;
      rule->action = it->action;
      rule->loc = it->loc;
      if (!it->cond && !it->uncarried) stop = it; /* see settle_uncarried */
    }
    settle_uncarried(rs, ord + i, j - i, s);
    rules += s->n_rules;
    i = j;
  }
  return rs;
}

/* ---- entry point ---------------------------------------------------------------- */

/* The other ABIs a kernel for ARCH can run beside it (its compat and x32
 * syscall entries: CONFIG_IA32_EMULATION and CONFIG_X86_X32_ABI on x86_64,
 * CONFIG_COMPAT on arm64, powerpc, parisc and s390, CONFIG_MIPS32_O32 and
 * CONFIG_MIPS32_N32 on mips64; x32 processes can make x86_64 and i386
 * syscalls too). */
static const char *other_abis(const sf_arch *arch) {
  static const struct { const char *arch, *others; } tab[] = {
      {"x86_64", "i386 (int $0x80, 32-bit programs) and x32 (numbers from 0x40000000)"},
      {"x32", "x86_64 (numbers below 0x40000000) and i386"},
      {"i386", "x86_64 and x32, where the kernel is 64-bit"},
      {"aarch64", "arm (32-bit programs)"},
      {"arm", "aarch64, where the kernel is 64-bit"},
      {"mips64", "mips o32 and n32"},
      {"mips64el", "mipsel o32 and n32"},
      {"ppc64", "ppc (32-bit programs)"},
      {"ppc64le", "ppc (32-bit programs)"},
      {"parisc64", "parisc (32-bit programs)"},
      {"s390x", "s390 (31-bit programs, kernels before 6.19)"},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp(tab[i].arch, arch->name) == 0) return tab[i].others;
  return NULL;
}

/* --bad-arch ALLOW or LOG switches filtering off for every foreign ABI,
 * the hole this compiler exists to close: say what gets through. */
static void warn_permissive_bad_arch(rstate *st) {
  sysfence_ctx *ctx = st->ctx;
  if (!permissive(ctx->bad_arch_action) || st->arch != ctx->arches[0]) return;
  const char *others = other_abis(st->arch);
  sf_warning(ctx, (sf_loc){0},
             "--bad-arch %s: syscalls made through any ABI other than %s are "
             "allowed%s without filtering%s%s%s",
             ctx->bad_arch_action == SF_RET_ALLOW ? "ALLOW" : "LOG", st->arch->name,
             ctx->bad_arch_action == SF_RET_ALLOW ? "" : " (and logged)",
             others ? " (on this target: " : "", others ? others : "",
             others ? ")" : "");
  sf_note(ctx, (sf_loc){0},
          "every rule of the policy can be bypassed that way; "
          "use KILL_PROCESS (the default) or an ERRNO action");
}

sf_ruleset *sf_resolve(sysfence_ctx *ctx, const ast_file *file) {
  if (!ctx || !file) return NULL;
  rstate st = {0};
  st.ctx = ctx;
  st.arch = ctx->arch;
  if (!st.arch) {
    sf_error(ctx, (sf_loc){0}, "no target architecture");
    return NULL;
  }
  size_t errors_before = ctx->n_errors;
  policy *main_policy = new_policy(&st, "@main", (sf_loc){0});
  if (!main_policy) return NULL;
  predefine_constants(&st);

  for (const ast_top *t = file->items; t; t = t->next) {
    if (sf_too_many_errors(ctx)) break;
    st.top = t;
    switch (t->kind) {
    case AST_TOP_DEFINE: define_constant(&st, t); break;
    case AST_TOP_POLICY: {
      policy *prev = find_policy(&st, t->name.name);
      policy *p = new_policy(&st, t->name.name, t->name.loc);
      if (!p) break;
      if (prev) {
        sf_error(ctx, t->name.loc, "policy '%s' is defined twice", t->name.name);
        sf_note(ctx, prev->loc, "previous definition of '%s' is here",
                t->name.name);
      }
      st.defining = t->name.name;
      resolve_entries(&st, t->entries, p);
      st.defining = NULL;
      if (!prev) {
        p->next = st.policies;
        st.policies = p;
        sym_add(&st, &st.policy_tab, p->name, p);
      }
      break;
    }
    case AST_TOP_ENTRIES: resolve_entries(&st, t->entries, main_policy); break;
    case AST_TOP_DEFAULT: {
      if (st.seen_default) {
        sf_error(ctx, t->loc, "DEFAULT is given twice");
        sf_note(ctx, st.default_loc, "the first DEFAULT is here");
        break;
      }
      st.seen_default = 1;
      st.default_loc = t->loc;
      uint32_t a;
      if (resolve_action(&st, &t->action, &a) == 0) {
        st.have_default = 1;
        st.default_action = a;
      }
      break;
    }
    }
  }
  if (ctx->n_errors > errors_before || ctx->out_of_memory) return NULL;
  warn_permissive_bad_arch(&st);
  note_absent(&st);
  if (!st.have_default) st.default_action = SF_RET_KILL_THREAD;
  sf_ruleset *rs = build_ruleset(&st, main_policy);
  if (ctx->n_errors > errors_before || ctx->out_of_memory) return NULL;
  return rs;
}
