/* oci.c - a policy's rule sets as an OCI seccomp profile (see oci.h).
 *
 * runc gives every entry of syscalls[] to libseccomp as rules; libseccomp
 * merges the rules of a syscall into one decision tree, and where rules of
 * different actions overlap, which one wins is libseccomp's business, not
 * the first-match order of a policy.  So the profile is built from what
 * the policy decides, region by region: for each syscall, rule i decides
 * the calls where its condition holds and no earlier rule's does; those
 * regions are disjoint, and each becomes a disjunction (DNF) of
 * conjunctions of comparisons of one argument with constants.  A
 * conjunction is one entry, provided it names each argument index once
 * (runc turns an entry whose indices repeat into one rule per condition,
 * ORed); several comparisons of one argument are rewritten into one, or
 * into SCMP_CMP_MASKED_EQ blocks (an interval is a union of aligned
 * power-of-two blocks, each a masked equality).  The default action's
 * region is not written (runc drops such entries anyway). */
#include "codegen/oci.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "bpf/bpf.h"
#include "sema/derive.h"
#include "sema/ruleset.h"

/* Bounds on the rewriting: a policy that needs more is refused (an error
 * at its rule) rather than written as a profile nobody can read. */
enum { MAX_TERMS = 4096, MAX_ALTS = 512, MAX_ENTRIES = 4096 };

/* One comparison of an argument with constants.  OP_MEQ: (arg & m) == v;
 * OP_NONE: no constraint (an alternative that is always true). */
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MEQ, OP_NONE } oci_op;
typedef struct atom {
  int idx;
  oci_op op;
  uint64_t v, m;
  uint64_t w; /* the argument's width mask (not written: plain comparisons
                 are made by libseccomp on 64 bits) */
} atom;

typedef struct term { /* a conjunction */
  atom *a;
  size_t n;
} term;

typedef struct dnf { /* a disjunction; no terms: false */
  term *t;
  size_t n;
} dnf;

typedef struct conv {
  sysfence_ctx *ctx;
  sf_loc loc; /* the rule being converted, for errors */
  int failed;
  unsigned no_order; /* bit i: write <, <=, >, >= on argument i as masked-
                        equality blocks (sys_entries) */
} conv;

static const char *const op_names[] = {"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT",
                                       "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE",
                                       "SCMP_CMP_MASKED_EQ"};

static void fail(conv *cv, const char *msg) {
  if (!cv->failed) sf_error(cv->ctx, cv->loc, "%s", msg);
  cv->failed = 1;
}

static void *alloc(conv *cv, size_t n, size_t size) {
  void *p = n ? sf_alloc(cv->ctx, n * size) : NULL;
  if (n && !p) cv->failed = 1;
  return p;
}

/* ---- one argument's constraints ---------------------------------------- */

typedef struct pattern { /* the values x with (x & m) == v */
  uint64_t m, v;
} pattern;

/* [lo, hi] as aligned blocks, each one pattern. */
static int interval_blocks(uint64_t lo, uint64_t hi, pattern *out, size_t *n, size_t max) {
  for (;;) {
    uint64_t low = 0; /* the block is [lo, lo | low] */
    while (low != ~(uint64_t)0) {
      uint64_t next = (low << 1) | 1;
      if ((lo & next) != 0 || (lo | next) > hi) break;
      low = next;
    }
    if (*n == max) return -1;
    out[(*n)++] = (pattern){~low, lo};
    if ((lo | low) >= hi) return 0;
    lo = (lo | low) + 1;
  }
}

/* A block's mask is cut to the argument's width W, so that the masked
 * comparison looks at the bits the kernel passes (and no others): a
 * one-value block of a narrower argument stays masked, not SCMP_CMP_EQ. */
static atom pattern_atom(int idx, pattern p, uint64_t w) {
  p.m &= w;
  if (p.m == 0) return (atom){idx, OP_NONE, 0, 0, w};
  if (p.m == ~(uint64_t)0) return (atom){idx, OP_EQ, p.v, 0, w};
  return (atom){idx, OP_MEQ, p.v & p.m, p.m, w};
}

/* The values an interval allows, as one atom where one says it exactly. */
static int interval_atom(int idx, uint64_t lo, uint64_t hi, uint64_t w, atom *out) {
  if (lo == hi) *out = (atom){idx, OP_EQ, lo, 0, w};
  else if (lo == 0 && hi == w) *out = (atom){idx, OP_NONE, 0, 0, w};
  else if (lo == 0) *out = (atom){idx, OP_LE, hi, 0, w};
  else if (hi == w) *out = (atom){idx, OP_GE, lo, 0, w};
  else return 0;
  return 1;
}

typedef struct span {
  uint64_t lo, hi;
} span;

/* Narrow [*lo, *hi] by an order comparison; 0 if nothing is left. */
static int narrow(const atom *a, uint64_t *lo, uint64_t *hi) {
  const uint64_t max = ~(uint64_t)0;
  uint64_t l = 0, h = max;
  switch (a->op) {
  case OP_EQ: l = h = a->v; break;
  case OP_LT: if (a->v == 0) return 0; h = a->v - 1; break;
  case OP_LE: h = a->v; break;
  case OP_GT: if (a->v == max) return 0; l = a->v + 1; break;
  case OP_GE: l = a->v; break;
  default: break;
  }
  if (l > *lo) *lo = l;
  if (h < *hi) *hi = h;
  return *lo <= *hi;
}

/* Split SPANS around the value K (an SCMP_CMP_NE). */
static int split_spans(span *spans, size_t *n, size_t max, uint64_t k) {
  for (size_t i = 0; i < *n; i++) {
    if (k < spans[i].lo || k > spans[i].hi) continue;
    span s = spans[i];
    spans[i] = spans[--*n];
    if (s.lo < k) {
      if (*n == max) return -1;
      spans[(*n)++] = (span){s.lo, k - 1};
    }
    if (k < s.hi) {
      if (*n == max) return -1;
      spans[(*n)++] = (span){k + 1, s.hi};
    }
    return 0; /* the spans are disjoint: K is in one at most */
  }
  return 0;
}

/* Intersect the patterns P[0..*n) with (m, v), dropping the empty ones. */
static void intersect(pattern *p, size_t *n, uint64_t m, uint64_t v) {
  size_t k = 0;
  for (size_t i = 0; i < *n; i++)
    if (((p[i].v ^ v) & p[i].m & m) == 0)
      p[k++] = (pattern){p[i].m | m, (p[i].v & p[i].m) | (v & m)};
  *n = k;
}

/* Does a masked equality of T on argument IDX exclude the value K (so
 * that x != K says nothing more)? */
static int masks_exclude(const term *t, int idx, uint64_t k) {
  for (size_t i = 0; i < t->n; i++)
    if (t->a[i].idx == idx && t->a[i].op == OP_MEQ && (k & t->a[i].m) != t->a[i].v) return 1;
  return 0;
}

/* The conjunction of T's atoms on argument IDX as alternatives (ORed),
 * each one atom (OP_NONE: no constraint): none when unsatisfiable.  -1
 * when it takes more than MAX. */
static int is_order(oci_op op) {
  return op == OP_LT || op == OP_LE || op == OP_GT || op == OP_GE;
}

static int arg_alternatives(const term *t, int idx, int no_order, atom *alts, size_t *n_alts,
                            size_t max) {
  enum { MAX_SPANS = 64 };
  uint64_t lo = 0, hi = ~(uint64_t)0, w = ~(uint64_t)0;
  size_t n_ne = 0, n_meq = 0, n_atoms = 0;
  const atom *only = NULL;
  *n_alts = 0;
  for (size_t i = 0; i < t->n; i++) {
    const atom *a = &t->a[i];
    if (a->idx != idx) continue;
    n_atoms++, only = a, w &= a->w;
    if (a->op == OP_NE) n_ne++;
    else if (a->op == OP_MEQ) n_meq++;
    else if (!narrow(a, &lo, &hi)) return 0;
  }
  if (n_atoms == 0) {
    alts[(*n_alts)++] = (atom){idx, OP_NONE, 0, 0, w};
    return 0;
  }
  if (hi > w) hi = w; /* the kernel passes no more */
  if (lo > hi) return 0;
  if (n_atoms == 1 && !(no_order && is_order(only->op))) { /* as written */
    alts[(*n_alts)++] = *only;
    return 0;
  }
  span spans[MAX_SPANS] = {{lo, hi}};
  size_t n_spans = 1;
  for (size_t i = 0; i < t->n; i++)
    if (t->a[i].idx == idx && t->a[i].op == OP_NE && !masks_exclude(t, idx, t->a[i].v) &&
        split_spans(spans, &n_spans, MAX_SPANS, t->a[i].v) != 0)
      return -1;
  if (n_spans == 0) return 0;
  if (n_meq == 0 && n_spans == 1 && interval_atom(idx, spans[0].lo, spans[0].hi, w, alts) &&
      !(no_order && is_order(alts[0].op))) {
    *n_alts = 1;
    return 0;
  }
  if (n_meq == 0 && n_ne == 1 && n_spans == 2 && lo == 0 && hi == w) {
    for (size_t i = 0; i < t->n; i++)
      if (t->a[i].idx == idx && t->a[i].op == OP_NE) alts[0] = t->a[i];
    *n_alts = 1;
    return 0;
  }
  pattern *p = malloc(max * sizeof *p);
  if (!p) return -1;
  size_t n = 0;
  int rc = 0;
  for (size_t s = 0; s < n_spans && rc == 0; s++)
    rc = interval_blocks(spans[s].lo, spans[s].hi, p, &n, max);
  for (size_t i = 0; i < t->n && rc == 0; i++)
    if (t->a[i].idx == idx && t->a[i].op == OP_MEQ) intersect(p, &n, t->a[i].m, t->a[i].v);
  for (size_t i = 0; i < n && rc == 0; i++) alts[(*n_alts)++] = pattern_atom(idx, p[i], w);
  free(p);
  return rc;
}

/* Can T hold?  (-1: too complex to tell within the bounds.) */
static int satisfiable(const term *t) {
  atom *alts = malloc(MAX_ALTS * sizeof *alts);
  if (!alts) return -1;
  int ok = 1;
  for (int idx = 0; idx < SF_MAX_ARGS && ok == 1; idx++) {
    size_t n;
    if (arg_alternatives(t, idx, 0, alts, &n, MAX_ALTS) != 0) ok = -1;
    else if (n == 0) ok = 0;
  }
  free(alts);
  return ok;
}

/* ---- conditions -> DNF --------------------------------------------------- */

static dnf dnf_bool(conv *cv, int truth) {
  dnf d = {NULL, 0};
  if (truth) {
    d.t = alloc(cv, 1, sizeof *d.t);
    if (d.t) d.t[0] = (term){NULL, 0}, d.n = 1;
  }
  return d;
}

static dnf dnf_or(conv *cv, dnf a, dnf b) {
  if (a.n + b.n > MAX_TERMS) {
    fail(cv, "this rule needs too many OCI entries (more than 4096 conjunctions)");
    return (dnf){NULL, 0};
  }
  dnf d = {alloc(cv, a.n + b.n, sizeof *d.t), a.n + b.n};
  if (!d.t) return (dnf){NULL, 0};
  if (a.n) memcpy(d.t, a.t, a.n * sizeof *a.t);
  if (b.n) memcpy(d.t + a.n, b.t, b.n * sizeof *b.t);
  return d;
}

/* A AND B, distributed, without the conjunctions that cannot hold. */
static dnf dnf_and(conv *cv, dnf a, dnf b) {
  dnf d = {NULL, 0};
  if (a.n * b.n > MAX_TERMS) {
    fail(cv, "this rule needs too many OCI entries (more than 4096 conjunctions)");
    return d;
  }
  d.t = alloc(cv, a.n * b.n, sizeof *d.t);
  for (size_t i = 0; d.t && i < a.n; i++)
    for (size_t j = 0; j < b.n && !cv->failed; j++) {
      term t = {alloc(cv, a.t[i].n + b.t[j].n, sizeof(atom)), a.t[i].n + b.t[j].n};
      if (t.n && !t.a) return (dnf){NULL, 0};
      if (a.t[i].n) memcpy(t.a, a.t[i].a, a.t[i].n * sizeof(atom));
      if (b.t[j].n) memcpy(t.a + a.t[i].n, b.t[j].a, b.t[j].n * sizeof(atom));
      int sat = satisfiable(&t);
      if (sat < 0) fail(cv, "this rule compares one argument in too many ways for an OCI profile");
      if (sat > 0) d.t[d.n++] = t;
    }
  return cv->failed ? (dnf){NULL, 0} : d;
}

static dnf dnf_atom(conv *cv, atom a) {
  dnf d = dnf_bool(cv, 1);
  if (d.n) {
    d.t[0].a = alloc(cv, 1, sizeof(atom));
    if (!d.t[0].a) return (dnf){NULL, 0};
    d.t[0].a[0] = a;
    d.t[0].n = 1;
  }
  return d;
}

/* (x & m) != v, x = arg IDX: the first bit of m from the top where x
 * differs from v, one disjoint conjunction per bit. */
static dnf dnf_masked_ne(conv *cv, int idx, uint64_t m, uint64_t v, uint64_t w) {
  dnf d = {NULL, 0};
  uint64_t above = 0;
  for (int b = 63; b >= 0; b--) {
    uint64_t bit = (uint64_t)1 << b;
    if (!(m & bit)) continue;
    above |= bit;
    d = dnf_or(cv, d, dnf_atom(cv, pattern_atom(idx, (pattern){above, (v & above) ^ bit}, w)));
  }
  return d;
}

/* A value of at most one argument: (args[idx] & m) | c, idx -1 for a
 * constant; WIDTH the argument's mask. */
typedef struct lin {
  int idx;
  uint64_t m, c, width;
} lin;

static int lin_of(const sf_val *v, lin *out) {
  lin l, r;
  switch (v->kind) {
  case VAL_CONST: *out = (lin){-1, 0, v->k, 0}; return 0;
  case VAL_ARG: {
    uint64_t w = v->bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << v->bits) - 1);
    *out = (lin){v->arg, w, 0, w};
    return 0;
  }
  case VAL_AND:
  case VAL_OR:
    if (lin_of(v->lhs, &l) != 0 || lin_of(v->rhs, &r) != 0) return -1;
    if (l.idx >= 0 && r.idx >= 0) return -1; /* two arguments combined */
    if (l.idx < 0 && r.idx < 0) {
      *out = (lin){-1, 0, v->kind == VAL_AND ? l.c & r.c : l.c | r.c, 0};
      return 0;
    }
    if (l.idx < 0) { lin t = l; l = r; r = t; } /* the constant on the right */
    /* ((x & m) | c) & K = (x & (m & K)) | (c & K); ... | K sets K's bits. */
    if (v->kind == VAL_AND) *out = (lin){l.idx, l.m & r.c, l.c & r.c, l.width};
    else *out = (lin){l.idx, l.m & ~r.c, l.c | r.c, l.width};
    return 0;
  }
  return -1;
}

static oci_op op_of(cmp_op op) {
  static const oci_op map[] = {OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE};
  return map[op];
}

static cmp_op negated(cmp_op op) {
  static const cmp_op map[] = {CMP_NE, CMP_EQ, CMP_GE, CMP_GT, CMP_LE, CMP_LT};
  return map[op];
}

/* A comparison (negated if NEG) as a DNF of atoms. */
static dnf dnf_cmp(conv *cv, const sf_cond *c, int neg) {
  lin l, r;
  if (lin_of(c->lhs, &l) != 0 || lin_of(c->rhs, &r) != 0 || (l.idx >= 0 && r.idx >= 0)) {
    fail(cv, "an argument is compared with (or combined with) another argument, "
             "which an OCI profile cannot express: it compares arguments with "
             "constants only");
    return (dnf){NULL, 0};
  }
  cmp_op op = neg ? negated(c->op) : c->op;
  if (l.idx < 0 && r.idx < 0) return dnf_bool(cv, sf_cmp_fold(op, l.c, r.c));
  /* K op x  ==  x mirror(op) K */
  if (l.idx < 0) { lin t = l; l = r; r = t; op = sf_cmp_mirror(op); }
  uint64_t k = r.c;
  if (l.c == 0 && l.m == l.width) { /* the argument itself */
    if (k > l.width) /* beyond its width: the kernel never passes that */
      return dnf_bool(cv, op == CMP_NE || op == CMP_LT || op == CMP_LE);
    return dnf_atom(cv, (atom){l.idx, op_of(op), k, 0, l.width});
  }
  if (op != CMP_EQ && op != CMP_NE) {
    fail(cv, "a masked argument is compared with <, <=, > or >=, which an OCI "
             "profile cannot express: SCMP_CMP_MASKED_EQ tests equality only");
    return (dnf){NULL, 0};
  }
  /* (x & m) | c == k: the bits of c must be set in k, the others equal. */
  int can = (l.c & ~k) == 0 && (k & ~(l.m | l.c)) == 0;
  uint64_t m = l.m & ~l.c, v = k & m;
  if (!can || m == 0) return dnf_bool(cv, (op == CMP_EQ) == can);
  if (op == CMP_EQ) return dnf_atom(cv, pattern_atom(l.idx, (pattern){m, v}, l.width));
  return dnf_masked_ne(cv, l.idx, m, v, l.width);
}

static dnf dnf_of(conv *cv, const sf_cond *c, int neg) {
  if (cv->failed) return (dnf){NULL, 0};
  switch (c->kind) {
  case COND_TRUE: return dnf_bool(cv, !neg);
  case COND_FALSE: return dnf_bool(cv, neg);
  case COND_CMP: return dnf_cmp(cv, c, neg);
  case COND_NOT: return dnf_of(cv, c->a, !neg);
  case COND_AND:
  case COND_OR: {
    dnf a = dnf_of(cv, c->a, neg), b = dnf_of(cv, c->b, neg);
    if (cv->failed) return (dnf){NULL, 0};
    /* De Morgan: a negated AND is an OR of the negations. */
    return (c->kind == COND_AND) != neg ? dnf_and(cv, a, b) : dnf_or(cv, a, b);
  }
  }
  return (dnf){NULL, 0};
}

/* ---- entries --------------------------------------------------------------- */

/* One syscalls[] entry for one name on one target. */
typedef struct entry {
  const char *name;
  size_t target;
  uint32_t action;
  atom args[SF_MAX_ARGS];
  int n_args;
  sf_loc loc;
} entry;

typedef struct entries {
  entry *e;
  size_t n, cap;
} entries;

static int entry_same(const entry *a, const entry *b) {
  if (a->action != b->action || a->n_args != b->n_args) return 0;
  for (int i = 0; i < a->n_args; i++)
    if (a->args[i].idx != b->args[i].idx || a->args[i].op != b->args[i].op ||
        a->args[i].v != b->args[i].v || a->args[i].m != b->args[i].m)
      return 0;
  return 1;
}

static int has_entry(const entries *l, const entry *e, size_t target) {
  for (size_t i = 0; i < l->n; i++)
    if (l->e[i].target == target && strcmp(l->e[i].name, e->name) == 0 &&
        entry_same(&l->e[i], e))
      return 1;
  return 0;
}

static void push_entry(conv *cv, entries *l, const entry *e) {
  if (has_entry(l, e, e->target)) return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 256;
    entry *ne = realloc(l->e, cap * sizeof *ne);
    if (!ne) {
      cv->failed = 1;
      cv->ctx->out_of_memory = 1;
      return;
    }
    l->e = ne, l->cap = cap;
  }
  l->e[l->n++] = *e;
}

/* The entries of conjunction T: one per choice of an alternative for each
 * argument (arg_alternatives). */
static void term_entries(conv *cv, const term *t, const entry *proto, entries *out) {
  atom *alts = malloc(SF_MAX_ARGS * MAX_ALTS * sizeof *alts);
  size_t n[SF_MAX_ARGS], pick[SF_MAX_ARGS] = {0}, total = 1;
  if (!alts) {
    cv->failed = 1;
    return;
  }
  for (int i = 0; i < SF_MAX_ARGS && total; i++) {
    if (arg_alternatives(t, i, (cv->no_order >> i) & 1, alts + i * MAX_ALTS, &n[i],
                         MAX_ALTS) != 0)
      total = MAX_ENTRIES + 1;
    else
      total = total * n[i] > MAX_ENTRIES ? MAX_ENTRIES + 1 : total * n[i];
  }
  if (total > MAX_ENTRIES)
    fail(cv, "this rule needs too many OCI entries (more than 4096)");
  for (size_t k = 0; k < total && !cv->failed; k++) {
    entry e = *proto;
    for (int i = 0; i < SF_MAX_ARGS; i++) {
      const atom *a = &alts[i * MAX_ALTS + pick[i]];
      if (a->op != OP_NONE) e.args[e.n_args++] = *a;
    }
    push_entry(cv, out, &e);
    for (int i = SF_MAX_ARGS - 1; i >= 0; i--) { /* the next choice */
      if (++pick[i] < n[i]) break;
      pick[i] = 0;
    }
  }
  free(alts);
}

/* OCI's name for ACTION, with its errnoRet in *RET (*HAS_RET). */
static const char *action_name(uint32_t action, int *has_ret, uint32_t *ret) {
  uint32_t data = action & SF_RET_DATA;
  *has_ret = 0;
  *ret = data;
  switch (action & SF_RET_ACTION_FULL) {
  case SF_RET_ALLOW: return "SCMP_ACT_ALLOW";
  case SF_RET_ERRNO: *has_ret = 1; return "SCMP_ACT_ERRNO";
  /* runc gives SCMP_ACT_TRACE its errnoRet as the tracer's message */
  case SF_RET_TRACE: *has_ret = 1; return "SCMP_ACT_TRACE";
  case SF_RET_TRAP: return data ? NULL : "SCMP_ACT_TRAP";
  case SF_RET_LOG: return "SCMP_ACT_LOG";
  case SF_RET_USER_NOTIF: return "SCMP_ACT_NOTIFY";
  case SF_RET_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
  case SF_RET_KILL_THREAD: return "SCMP_ACT_KILL"; /* the name every runtime knows */
  }
  return NULL;
}

static int action_ok(conv *cv, uint32_t action) {
  int has_ret;
  uint32_t ret;
  if ((action & SF_RET_ACTION_FULL) == SF_RET_USER_NOTIF)
    sf_warning(cv->ctx, cv->loc, "SCMP_ACT_NOTIFY needs a listener: runc wants the "
               "profile's listenerPath (a socket of the runtime's user), which is not written");
  if (action_name(action, &has_ret, &ret)) return 1;
  fail(cv, (action & SF_RET_ACTION_FULL) == SF_RET_TRAP
               ? "TRAP with data cannot be expressed in an OCI profile: "
                 "SCMP_ACT_TRAP has none"
               : "this action has no OCI name");
  return 0;
}

/* The entries of one syscall on target T: rule i's region is where its
 * condition holds and no earlier rule's does (REMAINING). */
static void sys_regions(conv *cv, const sf_ruleset *rs, size_t t, const sf_sysrules *sys,
                        entries *out) {
  dnf remaining = dnf_bool(cv, 1);
  for (size_t i = 0; i < sys->n_rules && !cv->failed && remaining.n; i++) {
    const sf_rule *r = &sys->rules[i];
    int last = i + 1 == sys->n_rules || !r->cond;
    int written = r->action != rs->default_action;
    cv->loc = r->loc;
    if (!written && last) break;
    dnf cond = r->cond ? dnf_of(cv, r->cond, 0) : dnf_bool(cv, 1);
    if (written && action_ok(cv, r->action)) {
      dnf region = dnf_and(cv, remaining, cond);
      if (region.n && !sys->name) {
        char msg[160];
        snprintf(msg, sizeof msg, "syscall number %lld is no syscall of %s's table: an "
                 "OCI profile names syscalls",
                 sys->nr == UINT32_MAX ? -1LL : (long long)sys->nr, rs->arch->name);
        fail(cv, msg);
      }
      entry proto = {sys->name, t, r->action, {{0}}, 0, r->loc};
      for (size_t k = 0; k < region.n && !cv->failed; k++)
        term_entries(cv, &region.t[k], &proto, out);
    }
    if (!last && !cv->failed) remaining = dnf_and(cv, remaining, dnf_of(cv, r->cond, 1));
  }
}

/* libseccomp (2.5.4) merges the rules of a syscall into one tree, and
 * gets the order comparisons (<, <=, >, >=) of one argument in different
 * rules wrong: with a0 >= 10 && a2 > 100 -> ERRNO(5) and a0 >= 20 &&
 * a2 <= 7 -> LOG it decides a0 = 10, a2 = 0 as LOG (its PFC shows the LOG
 * branch under a0 >= 10).  Equalities and masked equalities it merges
 * right, so where the entries of a syscall compare an argument in more
 * than one way and one of them is an order comparison, that argument's
 * order comparisons are written as masked-equality blocks (an interval is
 * a union of aligned power-of-two blocks).  Entries that agree on an
 * argument share one node, which libseccomp merges right. */
static unsigned ordered_args(const entries *l, size_t start) {
  unsigned mask = 0;
  for (int idx = 0; idx < SF_MAX_ARGS; idx++) {
    const atom *first = NULL;
    int order = 0, several = 0;
    for (size_t i = start; i < l->n; i++)
      for (int k = 0; k < l->e[i].n_args; k++) {
        const atom *a = &l->e[i].args[k];
        if (a->idx != idx) continue;
        order |= is_order(a->op);
        if (!first) first = a;
        else several |= a->op != first->op || a->v != first->v || a->m != first->m;
      }
    /* an entry without a comparison of IDX is one more way */
    for (size_t i = start; first && i < l->n; i++) {
      int has = 0;
      for (int k = 0; k < l->e[i].n_args; k++) has |= l->e[i].args[k].idx == idx;
      several |= !has;
    }
    if (order && several) mask |= 1u << idx;
  }
  return mask;
}

static void sys_entries(conv *cv, const sf_ruleset *rs, size_t t, const sf_sysrules *sys,
                        entries *out) {
  size_t start = out->n;
  cv->no_order = 0;
  sys_regions(cv, rs, t, sys, out);
  unsigned mask = cv->failed ? 0 : ordered_args(out, start);
  if (!mask) return;
  out->n = start;
  cv->no_order = mask;
  sys_regions(cv, rs, t, sys, out);
}

static size_t count_for(const entries *l, const char *name, size_t target) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    n += l->e[i].target == target && strcmp(l->e[i].name, name) == 0;
  return n;
}

/* On an ABI with socketcall or ipc, libseccomp adds the rules of a
 * sub-call (socket, semop, ...) for the multiplexed form too, where the
 * arguments are in memory: with conditions, the profile would let that
 * form through where the policy (sf_derive) gives it the most restrictive
 * outcome. */
static int multiplexed_ok(conv *cv, const sf_ruleset *const *rs, size_t n, const entries *l,
                          const entry *first) {
  const entry *e = NULL;
  for (size_t i = 0; i < l->n && !e; i++)
    if (l->e[i].n_args && strcmp(l->e[i].name, first->name) == 0) e = &l->e[i];
  for (size_t t = 0; e && t < n; t++) {
    const char *mux = sf_multiplexer_of(rs[t]->arch, e->name);
    if (!mux) continue;
    sf_error(cv->ctx, e->loc, "on %s, libseccomp applies the entries of '%s' to %s too, "
             "whose arguments are in memory, so the profile's argument conditions would "
             "not hold there: convert without %s, or without conditions on '%s'",
             rs[t]->arch->name, e->name, mux, rs[t]->arch->name, e->name);
    return 0;
  }
  return 1;
}

/* libseccomp compares the low 32 bits of an argument alone on its ILP32
 * ABIs, x32 and mips64 n32 among them, where the kernel (and sysfence)
 * passes 64: a comparison with a value above 32 bits would be decided on
 * the low word alone, wrongly for every call.  (A mask above bit 31 with
 * a value below only asks for high bits of zero: like the width bypass,
 * only calls with high bits set can be decided differently there.) */
static int scmp_compares_32(const sf_arch *arch) {
  return strcmp(arch->name, "x32") == 0 || strncmp(arch->name, "mips64n32", 9) == 0;
}

static int high_bits_ok(conv *cv, const sf_ruleset *const *rs, const entry *e) {
  if (!scmp_compares_32(rs[e->target]->arch)) return 1;
  for (int k = 0; k < e->n_args; k++)
    if (e->args[k].v >> 32) {
      sf_error(cv->ctx, e->loc, "on %s, libseccomp compares the low 32 bits of an argument "
               "only, so this rule's comparison of argument %d beyond bit 31 cannot be "
               "expressed: convert without %s", rs[e->target]->arch->name, e->args[k].idx,
               rs[e->target]->arch->name);
      return 0;
    }
  return 1;
}

/* Every target whose table has the syscall must get the same entries for
 * it: the profile gives a name the same entries on every architecture. */
static int targets_agree(conv *cv, const sf_ruleset *const *rs, size_t n, const entries *l) {
  int ok = 1;
  for (size_t i = 0; i < l->n; i++) {
    const entry *e = &l->e[i];
    int first = 1;
    for (size_t j = 0; j < i && first; j++) first = strcmp(l->e[j].name, e->name) != 0;
    if (first && !multiplexed_ok(cv, rs, n, l, e)) {
      ok = 0;
      continue;
    }
    if (!high_bits_ok(cv, rs, e)) {
      ok = 0;
      continue;
    }
    for (size_t t = 0; first && t < n; t++) {
      const sf_syscall *s = sf_syscall_by_name(rs[t]->arch, e->name);
      if (t == e->target || !s || strcmp(s->name, e->name) != 0) continue;
      int same = count_for(l, e->name, t) == count_for(l, e->name, e->target);
      for (size_t k = 0; k < l->n && same; k++)
        if (l->e[k].target == e->target && strcmp(l->e[k].name, e->name) == 0)
          same = has_entry(l, &l->e[k], t);
      if (!same) {
        sf_error(cv->ctx, e->loc, "the rules of '%s' mean different things on %s and "
                 "%s (argument widths, or rules derived for one of them), but an OCI "
                 "profile gives a name the same entries on every architecture; "
                 "convert for each architecture with its own --arch",
                 e->name, rs[e->target]->arch->name, rs[t]->arch->name);
        ok = 0;
        break;
      }
    }
  }
  return ok;
}

/* ---- JSON ------------------------------------------------------------------ */

/* SCMP_ARCH_* of each architecture (libseccomp's names, as the OCI runtime
 * spec lists them). */
static const char *arch_name(const sf_arch *arch) {
  static const char *const names[][2] = {
      {"x86_64", "SCMP_ARCH_X86_64"},       {"i386", "SCMP_ARCH_X86"},
      {"x32", "SCMP_ARCH_X32"},             {"aarch64", "SCMP_ARCH_AARCH64"},
      {"arm", "SCMP_ARCH_ARM"},             {"loongarch64", "SCMP_ARCH_LOONGARCH64"},
      {"m68k", "SCMP_ARCH_M68K"},           {"mips", "SCMP_ARCH_MIPS"},
      {"mipsel", "SCMP_ARCH_MIPSEL"},       {"mips64", "SCMP_ARCH_MIPS64"},
      {"mips64el", "SCMP_ARCH_MIPSEL64"},   {"mips64n32", "SCMP_ARCH_MIPS64N32"},
      {"mips64n32el", "SCMP_ARCH_MIPSEL64N32"}, {"parisc", "SCMP_ARCH_PARISC"},
      {"parisc64", "SCMP_ARCH_PARISC64"},   {"ppc", "SCMP_ARCH_PPC"},
      {"ppc64", "SCMP_ARCH_PPC64"},         {"ppc64le", "SCMP_ARCH_PPC64LE"},
      {"riscv64", "SCMP_ARCH_RISCV64"},     {"s390", "SCMP_ARCH_S390"},
      {"s390x", "SCMP_ARCH_S390X"},         {"sh", "SCMP_ARCH_SHEB"},
      {"shel", "SCMP_ARCH_SH"},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i][0], arch->name) == 0) return names[i][1];
  return NULL;
}

typedef struct jctx {
  int ok; /* 0 once json-c ran out of memory */
} jctx;

static void put(jctx *j, json_object *o, const char *key, json_object *v) {
  if (!o || !v || json_object_object_add(o, key, v) != 0) {
    json_object_put(v);
    j->ok = 0;
  }
}

static void append(jctx *j, json_object *arr, json_object *v) {
  if (!arr || !v || json_object_array_add(arr, v) != 0) {
    json_object_put(v);
    j->ok = 0;
  }
}

static void put_action(jctx *j, json_object *o, uint32_t action, const char *key,
                       const char *ret_key) {
  int has_ret;
  uint32_t ret;
  put(j, o, key, json_object_new_string(action_name(action, &has_ret, &ret)));
  if (has_ret) put(j, o, ret_key, json_object_new_uint64(ret));
}

/* {"index", "value", "valueTwo", "op"}: SCMP_CMP_MASKED_EQ's value is the
 * mask and valueTwo what the masked argument must equal (libseccomp's
 * datum_a and datum_b, which runc passes on as they are). */
static json_object *arg_json(jctx *j, const atom *a) {
  json_object *o = json_object_new_object();
  put(j, o, "index", json_object_new_int(a->idx));
  put(j, o, "value", json_object_new_uint64(a->op == OP_MEQ ? a->m : a->v));
  put(j, o, "valueTwo", json_object_new_uint64(a->op == OP_MEQ ? a->v : 0));
  put(j, o, "op", json_object_new_string(op_names[a->op]));
  return o;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entry of E's action and arguments, with every name that has them,
 * sorted; DONE marks the entries it takes. */
static json_object *group_json(jctx *j, const entries *l, size_t first, char *done) {
  const char **names = malloc(l->n * sizeof *names);
  if (!names) {
    j->ok = 0;
    return NULL;
  }
  size_t n = 0;
  for (size_t i = first; i < l->n; i++) {
    if (done[i] || !entry_same(&l->e[i], &l->e[first])) continue;
    done[i] = 1;
    int seen = 0;
    for (size_t k = 0; k < n && !seen; k++) seen = strcmp(names[k], l->e[i].name) == 0;
    if (!seen) names[n++] = l->e[i].name;
  }
  qsort(names, n, sizeof *names, cmp_names);
  json_object *o = json_object_new_object(), *arr = json_object_new_array();
  for (size_t k = 0; k < n; k++) append(j, arr, json_object_new_string(names[k]));
  free(names);
  put(j, o, "names", arr);
  put_action(j, o, l->e[first].action, "action", "errnoRet");
  if (l->e[first].n_args) {
    json_object *args = json_object_new_array();
    for (int i = 0; i < l->e[first].n_args; i++)
      append(j, args, arg_json(j, &l->e[first].args[i]));
    put(j, o, "args", args);
  }
  return o;
}

/* syscalls[]: the entries grouped by action (in the order the actions
 * first appear), then by arguments. */
static json_object *syscalls_json(jctx *j, const entries *l) {
  json_object *arr = json_object_new_array();
  char *done = calloc(l->n ? l->n : 1, 1), *action_done = calloc(l->n ? l->n : 1, 1);
  if (!done || !action_done) j->ok = 0;
  for (size_t a = 0; j->ok && a < l->n; a++) {
    if (action_done[a]) continue;
    for (size_t i = a; i < l->n && j->ok; i++) {
      if (l->e[i].action != l->e[a].action) continue;
      action_done[i] = 1;
      if (!done[i]) append(j, arr, group_json(j, l, i, done));
    }
  }
  free(done);
  free(action_done);
  return arr;
}

static char *profile_text(jctx *j, const sf_ruleset *const *rs, size_t n,
                          const entries *l) {
  json_object *root = json_object_new_object(), *arches = json_object_new_array();
  put_action(j, root, rs[0]->default_action, "defaultAction", "defaultErrnoRet");
  for (size_t t = 0; t < n; t++) append(j, arches, json_object_new_string(arch_name(rs[t]->arch)));
  put(j, root, "architectures", arches);
  put(j, root, "syscalls", syscalls_json(j, l));
  char *text = NULL;
  const char *s = j->ok ? json_object_to_json_string_ext(
                              root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                        JSON_C_TO_STRING_NOSLASHESCAPE)
                        : NULL;
  if (s && (text = malloc(strlen(s) + 2))) {
    strcpy(text, s);
    strcat(text, "\n");
  }
  json_object_put(root);
  return text;
}

char *sf_oci_profile_text(sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n) {
  conv cv = {ctx, {0}, 0, 0};
  int ok = n > 0;
  for (size_t t = 0; t < n; t++)
    if (!arch_name(rs[t]->arch)) {
      sf_error(ctx, (sf_loc){0}, "an OCI profile has no name for the architecture %s",
               rs[t]->arch->name);
      ok = 0;
    }
  if (ok && !action_ok(&cv, rs[0]->default_action)) ok = 0;
  entries list = {NULL, 0, 0};
  int dedupe = ctx->dedupe;
  ctx->dedupe = 1; /* a rule that fails on every target is reported once */
  for (size_t t = 0; ok && t < n; t++)
    for (size_t s = 0; s < rs[t]->n_sys; s++) {
      cv.failed = 0;
      sys_entries(&cv, rs[t], t, &rs[t]->sys[s], &list);
      if (cv.failed) ok = 0;
    }
  ctx->dedupe = dedupe;
  if (ok) ok = targets_agree(&cv, rs, n, &list);
  jctx j = {1};
  char *text = ok ? profile_text(&j, rs, n, &list) : NULL;
  if (ok && !text) ctx->out_of_memory = 1;
  free(list.e);
  return text;
}
