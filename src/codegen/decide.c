/* decide.c - the decision code of one syscall: its rules in order, each
 * condition compiled as short-circuit control flow over 32-bit words.
 *
 * Values are 64-bit (sf_val); classic BPF has 32-bit A and X, so every
 * comparison is split into its high and low words.  A word comparison is
 * a three-way branch (greater / equal / less) whose three targets are
 * labels; what the bounds of the operands make impossible is dropped, and
 * whatever remains becomes one jeq/jgt/jge/jset (two targets) or a jgt+jeq
 * pair (three).  A 64-bit comparison is the high word's three-way branch
 * with its "equal" target pointing at the low word's branch.
 *
 * Whether a condition is a compile-time constant is decided by the same
 * bound analysis that drives emission, so constant conditions fold away
 * completely before any code is emitted. */
#include "codegen/decide.h"

#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "codegen/search.h"

/* A jump target that cannot be reached (an impossible outcome). */
#define NO_TARGET (-2)

/* ---- sessions ------------------------------------------------------ */

void sf_cg_open(sf_cg *cg, struct sysfence_ctx *ctx, const sf_ruleset *rs,
                sf_builder *b) {
  memset(cg, 0, sizeof *cg);
  cg->ctx = ctx;
  cg->rs = rs;
  cg->b = b;
  cg->opt = ctx->opt_level;
  cg->a_word = -1;
}

static sf_label cg_ret_label(sf_cg *cg, uint32_t action) {
  for (size_t i = 0; i < cg->n_rets; i++)
    if (cg->rets[i].action == action) return cg->rets[i].label;
  if (cg->n_rets == cg->cap_rets) {
    size_t cap = cg->cap_rets ? 2 * cg->cap_rets : 8;
    sf_cg_ret *r = sf_arena_grow(cg->ctx->arena, cg->rets,
                                 cg->n_rets * sizeof *r, cap * sizeof *r);
    if (!r) {
      cg->ctx->out_of_memory = 1;
      cg->failed = 1;
      return sf_label_new(cg->b); /* never placed: finish will fail */
    }
    cg->rets = r;
    cg->cap_rets = cap;
  }
  sf_cg_ret *r = &cg->rets[cg->n_rets++];
  r->action = action;
  r->label = sf_label_new(cg->b);
  return r->label;
}

void sf_cg_place_rets(sf_cg *cg) {
  for (size_t i = 0; i < cg->n_rets; i++) {
    sf_label_place(cg->b, cg->rets[i].label);
    sf_builder_op(cg->b, BPF_RET | BPF_K, cg->rets[i].action);
  }
}

sf_label sf_ret_label(sf_cg *cg, uint32_t action) {
  return cg_ret_label(cg, action);
}

/* ---- emitting while tracking A ------------------------------------- *
 *
 * Optimized code does not reload an argument word that A already holds.
 * Jumps only go forward, so when a label is placed every jump to it has
 * been emitted: what A holds there is the meet of those jumps' states and
 * of the fall-through. */

#define A_UNKNOWN (-1)
#define A_UNREACHED (-2) /* after JA or a two-way jump: no fall-through */

static int a_meet(int x, int y) {
  if (x == A_UNREACHED) return y;
  if (y == A_UNREACHED) return x;
  return x == y ? x : A_UNKNOWN;
}

/* Record that control reaches LABEL with the current A. */
static void note(sf_cg *cg, sf_label label) {
  if (label < 0) return;
  if ((size_t)label >= cg->n_lstate) {
    size_t n = cg->n_lstate ? 2 * cg->n_lstate : 64;
    while (n <= (size_t)label) n *= 2;
    int *p = sf_arena_grow(cg->ctx->arena, cg->lstate,
                           cg->n_lstate * sizeof *p, n * sizeof *p);
    if (!p) {
      cg->ctx->out_of_memory = 1;
      cg->failed = 1;
      return;
    }
    for (size_t i = cg->n_lstate; i < n; i++) p[i] = A_UNREACHED;
    cg->lstate = p;
    cg->n_lstate = n;
  }
  cg->lstate[label] = a_meet(cg->lstate[label], cg->a_word);
}

static void cg_jump(sf_cg *cg, uint16_t code, uint32_t k, sf_label jt,
                    sf_label jf) {
  note(cg, jt);
  note(cg, jf);
  sf_builder_jump(cg->b, code, k, jt, jf);
  if (jt != SF_NO_LABEL && jf != SF_NO_LABEL) cg->a_word = A_UNREACHED;
}

static void cg_ja(sf_cg *cg, sf_label target) {
  note(cg, target);
  sf_builder_ja(cg->b, target);
  cg->a_word = A_UNREACHED;
}

static void cg_place(sf_cg *cg, sf_label label) {
  note(cg, label); /* the fall-through, and makes the slot exist */
  cg->a_word = cg->failed ? A_UNKNOWN : cg->lstate[label];
  if (cg->a_word == A_UNREACHED) cg->a_word = A_UNKNOWN;
  sf_label_place(cg->b, label);
}

/* A = the 32-bit word at OFF of seccomp_data. */
static void cg_load(sf_cg *cg, uint32_t off) {
  if (cg->opt > 0 && cg->a_word == (int)off) return;
  sf_builder_op(cg->b, BPF_LD | BPF_W | BPF_ABS, off);
  cg->a_word = (int)off;
}

/* Any other straight-line instruction; those that change A forget it. */
static void cg_op(sf_cg *cg, uint16_t code, uint32_t k) {
  sf_builder_op(cg->b, code, k);
  uint16_t cls = BPF_CLASS(code);
  if (cls == BPF_LD || cls == BPF_ALU ||
      (cls == BPF_MISC && BPF_MISCOP(code) == BPF_TXA))
    cg->a_word = A_UNKNOWN;
}

/* ---- 32-bit halves of values: constants, bounds, cost ---------------- */

enum { LO = 0, HI = 1 };

/* Bits of the half that may be 1. */
static uint32_t half_ones(const sf_val *v, int hi) {
  switch (v->kind) {
  case VAL_CONST:
    return (uint32_t)(v->k >> (hi ? 32 : 0));
  case VAL_ARG:
    if (hi) return v->bits == 64 ? 0xffffffffu : 0;
    return v->bits == 16 ? 0xffffu : 0xffffffffu;
  case VAL_AND:
    return half_ones(v->lhs, hi) & half_ones(v->rhs, hi);
  case VAL_OR:
    return half_ones(v->lhs, hi) | half_ones(v->rhs, hi);
  }
  return 0xffffffffu;
}

/* Is the half a compile-time constant?  Then *k is its value. */
static int half_const(const sf_val *v, int hi, uint32_t *k) {
  uint32_t kl, kr;
  int cl, cr;
  if (half_ones(v, hi) == 0) {
    *k = 0;
    return 1;
  }
  switch (v->kind) {
  case VAL_CONST:
    *k = (uint32_t)(v->k >> (hi ? 32 : 0));
    return 1;
  case VAL_ARG:
    return 0; /* a zero high half was caught by half_ones */
  case VAL_AND:
  case VAL_OR:
    cl = half_const(v->lhs, hi, &kl);
    cr = half_const(v->rhs, hi, &kr);
    if (cl && cr) {
      *k = v->kind == VAL_AND ? kl & kr : kl | kr;
      return 1;
    }
    /* x | ~0 is ~0 whatever x is (x & 0 was caught by half_ones). */
    if (v->kind == VAL_OR && ((cl && kl == 0xffffffffu) ||
                              (cr && kr == 0xffffffffu))) {
      *k = 0xffffffffu;
      return 1;
    }
    return 0;
  }
  return 0;
}

/* Unsigned bounds of the half: *lb <= value <= *ub. */
static void half_bounds(const sf_val *v, int hi, uint32_t *lb, uint32_t *ub) {
  uint32_t k, l1, u1, l2, u2;
  if (half_const(v, hi, &k)) {
    *lb = *ub = k;
    return;
  }
  uint32_t ones = half_ones(v, hi);
  *lb = 0;
  *ub = ones; /* a value never exceeds the OR of its possible bits */
  if (v->kind == VAL_AND) {
    half_bounds(v->lhs, hi, &l1, &u1);
    half_bounds(v->rhs, hi, &l2, &u2);
    uint32_t m = u1 < u2 ? u1 : u2;
    if (m < *ub) *ub = m;
  } else if (v->kind == VAL_OR) {
    half_bounds(v->lhs, hi, &l1, &u1);
    half_bounds(v->rhs, hi, &l2, &u2);
    *lb = l1 > l2 ? l1 : l2;
  }
}

/* Can the half be computed into A without touching X or scratch words?
 * (Arguments, constants, and those combined with constants.) */
static int half_simple(const sf_val *v, int hi) {
  uint32_t k;
  if (half_const(v, hi, &k)) return 1;
  switch (v->kind) {
  case VAL_CONST:
  case VAL_ARG:
    return 1;
  case VAL_AND:
  case VAL_OR:
    if (half_const(v->lhs, hi, &k)) return half_simple(v->rhs, hi);
    if (half_const(v->rhs, hi, &k)) return half_simple(v->lhs, hi);
    return 0;
  }
  return 0;
}

static int half_need(const sf_val *v, int hi);

/* Scratch words to bring two non-constant halves into A and X (see
 * gen_pair for the strategy this counts). */
static int pair_need(const sf_val *l, const sf_val *r, int hi) {
  int sl = half_simple(l, hi), sr = half_simple(r, hi);
  if (sl && sr) return 0;
  if (sr) return half_need(l, hi);
  if (sl) return half_need(r, hi);
  int nl = half_need(l, hi), nr = half_need(r, hi);
  int big = nl >= nr ? nl : nr, small = nl >= nr ? nr : nl;
  return big > small + 1 ? big : small + 1;
}

/* Scratch words needed to compute the half into A. */
static int half_need(const sf_val *v, int hi) {
  uint32_t k;
  if (half_const(v, hi, &k)) return 0;
  if (v->kind != VAL_AND && v->kind != VAL_OR) return 0;
  if (half_const(v->lhs, hi, &k)) return half_need(v->rhs, hi);
  if (half_const(v->rhs, hi, &k)) return half_need(v->lhs, hi);
  return pair_need(v->lhs, v->rhs, hi);
}

/* ---- emitting halves ------------------------------------------------- */

static void gen_half(sf_cg *cg, const sf_val *v, int hi, int slot);

static void gen_alu(sf_cg *cg, val_kind kind, uint16_t src, uint32_t k) {
  cg_op(cg, BPF_ALU | (kind == VAL_AND ? BPF_AND : BPF_OR) | src, k);
}

/* A = V's half with constant K applied by V->kind's operator. */
static void gen_with_const(sf_cg *cg, val_kind kind, const sf_val *v, int hi,
                            uint32_t k, int slot) {
  if (kind == VAL_AND && v->kind == VAL_ARG && v->bits == 16 && !hi) {
    /* Fold the 16-bit truncation into the mask. */
    cg_load(cg, sf_arg_lo_offset(cg->rs->arch, v->arg));
    cg_op(cg, BPF_ALU | BPF_AND | BPF_K, k & 0xffffu);
    return;
  }
  gen_half(cg, v, hi, slot);
  if ((kind == VAL_AND && k == 0xffffffffu) || (kind == VAL_OR && k == 0))
    return; /* identity */
  gen_alu(cg, kind, BPF_K, k);
}

/* Bring two non-constant halves into A and X using scratch words from
 * SLOT up.  A half that is simple can be computed last without disturbing
 * X; when neither is, the costlier one goes first and waits in M[SLOT].
 * Returns the side now in A (0: L, 1: R); the other is in X. */
static int gen_pair(sf_cg *cg, const sf_val *l, const sf_val *r, int hi,
                     int slot) {
  int sl = half_simple(l, hi), sr = half_simple(r, hi);
  if (sl) { /* R (anything) first, then L into A */
    gen_half(cg, r, hi, slot);
    cg_op(cg, BPF_MISC | BPF_TAX, 0);
    gen_half(cg, l, hi, slot);
    return 0;
  }
  if (sr) {
    gen_half(cg, l, hi, slot);
    cg_op(cg, BPF_MISC | BPF_TAX, 0);
    gen_half(cg, r, hi, slot);
    return 1;
  }
  if (slot >= SF_BPF_MEMWORDS) { /* sf_decision_make checked: internal */
    cg->failed = 1;
    return 0;
  }
  int r_first = half_need(r, hi) > half_need(l, hi);
  gen_half(cg, r_first ? r : l, hi, slot);
  cg_op(cg, BPF_ST, (uint32_t)slot);
  gen_half(cg, r_first ? l : r, hi, slot + 1);
  cg_op(cg, BPF_LDX | BPF_MEM, (uint32_t)slot);
  return r_first ? 0 : 1;
}

/* A = the half of V (not constant-folded by the caller necessarily). */
static void gen_half(sf_cg *cg, const sf_val *v, int hi, int slot) {
  uint32_t k;
  if (half_const(v, hi, &k)) {
    cg_op(cg, BPF_LD | BPF_IMM, k);
    return;
  }
  switch (v->kind) {
  case VAL_CONST: /* constant: handled above */
    return;
  case VAL_ARG:
    /* Only the low half of a 16/32-bit argument is non-constant. */
    cg_load(cg, hi ? sf_arg_hi_offset(cg->rs->arch, v->arg)
                   : sf_arg_lo_offset(cg->rs->arch, v->arg));
    if (!hi && v->bits == 16) cg_op(cg, BPF_ALU | BPF_AND | BPF_K, 0xffffu);
    return;
  case VAL_AND:
  case VAL_OR:
    if (half_const(v->lhs, hi, &k)) {
      gen_with_const(cg, v->kind, v->rhs, hi, k, slot);
    } else if (half_const(v->rhs, hi, &k)) {
      gen_with_const(cg, v->kind, v->lhs, hi, k, slot);
    } else {
      gen_pair(cg, v->lhs, v->rhs, hi, slot); /* commutative: order moot */
      gen_alu(cg, v->kind, BPF_X, 0);
    }
    return;
  }
}

/* ---- three-way word comparisons ------------------------------------- */

/* Where control goes when the left word is greater than / equal to / less
 * than the right one; NO_TARGET for an outcome that cannot happen. */
typedef struct tri {
  sf_label gt, eq, lt;
} tri;

/* Drop the outcomes the operands' bounds rule out. */
static tri tri_prune(tri t, const sf_val *l, const sf_val *r, int hi) {
  uint32_t ll, lu, rl, ru;
  half_bounds(l, hi, &ll, &lu);
  half_bounds(r, hi, &rl, &ru);
  if (!(lu > rl)) t.gt = NO_TARGET;
  if (!(ll < ru)) t.lt = NO_TARGET;
  if ((ll > rl ? ll : rl) > (lu < ru ? lu : ru)) t.eq = NO_TARGET;
  return t;
}

/* The one target all possible outcomes share, or NO_TARGET. */
static sf_label tri_single(tri t) {
  sf_label x = NO_TARGET;
  const sf_label all[3] = {t.gt, t.eq, t.lt};
  for (int i = 0; i < 3; i++) {
    if (all[i] == NO_TARGET) continue;
    if (x != NO_TARGET && x != all[i]) return NO_TARGET;
    x = all[i];
  }
  return x;
}

/* Merge two targets of one jump class; -3 if they conflict. */
#define CONFLICT (-3)
static sf_label merge(sf_label a, sf_label b) {
  if (a == NO_TARGET) return b;
  if (b == NO_TARGET || a == b) return a;
  return CONFLICT;
}

static void gen_ja_unless_next(sf_cg *cg, sf_label target, sf_label next) {
  if (target != next) cg_ja(cg, target);
}

/* Emit the branch with A = left word and the right word in K (X_SRC 0)
 * or X.  T is pruned and has at least two distinct targets. */
static void gen_tri_jumps(sf_cg *cg, tri t, uint16_t src, uint32_t k) {
  sf_label a, b;
  /* {eq} vs {gt, lt} */
  if ((b = merge(t.gt, t.lt)) != CONFLICT && t.eq != NO_TARGET && b != NO_TARGET) {
    cg_jump(cg, BPF_JMP | BPF_JEQ | src, k, t.eq, b);
    return;
  }
  /* {gt} vs {eq, lt} */
  if ((b = merge(t.eq, t.lt)) != CONFLICT && t.gt != NO_TARGET && b != NO_TARGET) {
    cg_jump(cg, BPF_JMP | BPF_JGT | src, k, t.gt, b);
    return;
  }
  /* {gt, eq} vs {lt} */
  if ((a = merge(t.gt, t.eq)) != CONFLICT && a != NO_TARGET && t.lt != NO_TARGET) {
    cg_jump(cg, BPF_JMP | BPF_JGE | src, k, a, t.lt);
    return;
  }
  /* Three distinct targets: A and the operand stay put across the pair. */
  cg_jump(cg, BPF_JMP | BPF_JGT | src, k, t.gt, SF_NO_LABEL);
  cg_jump(cg, BPF_JMP | BPF_JEQ | src, k, t.eq, t.lt);
}

static int is_pow2(uint32_t m) { return m && !(m & (m - 1)); }

/* (y & m) against 0, or against m for a single bit m, is one jset. */
static int try_jset(sf_cg *cg, tri t, const sf_val *l, uint32_t k, int hi,
                    int slot) {
  uint32_t m;
  const sf_val *y;
  if (l->kind != VAL_AND) return 0;
  if (half_const(l->rhs, hi, &m)) y = l->lhs;
  else if (half_const(l->lhs, hi, &m)) y = l->rhs;
  else return 0;
  sf_label set, clear;
  if (k == 0 && t.lt == NO_TARGET) { /* nonzero is "greater" */
    set = t.gt;
    clear = t.eq;
  } else if (k == m && is_pow2(m) && t.gt == NO_TARGET) {
    set = t.eq;
    clear = t.lt;
  } else {
    return 0;
  }
  if (set == NO_TARGET || clear == NO_TARGET) return 0;
  if (y->kind == VAL_ARG && y->bits == 16 && !hi) {
    cg_load(cg, sf_arg_lo_offset(cg->rs->arch, y->arg));
    m &= 0xffffu; /* nonzero: else the half would have folded to 0 */
  } else {
    gen_half(cg, y, hi, slot);
  }
  cg_jump(cg, BPF_JMP | BPF_JSET | BPF_K, m, set, clear);
  return 1;
}

static tri tri_swap(tri t) {
  sf_label g = t.gt;
  t.gt = t.lt;
  t.lt = g;
  return t;
}

/* Compare the HI/LO words of L and R and branch three ways.  NEXT is the
 * label placed right after this code (or NO_TARGET). */
static void gen_word3(sf_cg *cg, const sf_val *l, const sf_val *r, int hi,
                       tri t, sf_label next) {
  uint32_t k;
  t = tri_prune(t, l, r, hi);
  sf_label one = tri_single(t);
  if (one != NO_TARGET) {
    gen_ja_unless_next(cg, one, next);
    return;
  }
  if (half_const(l, hi, &k)) { /* put the constant on the right */
    const sf_val *tmp = l;
    l = r;
    r = tmp;
    t = tri_swap(t);
  }
  if (half_const(r, hi, &k)) {
    if (try_jset(cg, t, l, k, hi, 0)) return;
    gen_half(cg, l, hi, 0);
    gen_tri_jumps(cg, t, BPF_K, k);
    return;
  }
  if (gen_pair(cg, l, r, hi, 0) == 1) t = tri_swap(t); /* A holds R */
  gen_tri_jumps(cg, t, BPF_X, 0);
}

/* ---- comparisons and conditions ----------------------------------- */

/* For each operator, the result when the left value is greater / equal /
 * less. */
static const unsigned char cmp_table[6][3] = {
    [CMP_EQ] = {0, 1, 0}, [CMP_NE] = {1, 0, 1}, [CMP_LT] = {0, 0, 1},
    [CMP_LE] = {0, 1, 1}, [CMP_GT] = {1, 0, 0}, [CMP_GE] = {1, 1, 0},
};

static tri tri_of(cmp_op op, sf_label t, sf_label f) {
  tri r = {cmp_table[op][0] ? t : f, cmp_table[op][1] ? t : f,
           cmp_table[op][2] ? t : f};
  return r;
}

static int val_equal(const sf_val *a, const sf_val *b);

/* Labels 1 and 0 stand in for true/false to evaluate a comparison's
 * possible results with the same pruning emission uses.  Returns 1/0 for
 * a constant comparison, -1 otherwise. */
static int cmp_value(const sf_cond *c) {
  if (val_equal(c->lhs, c->rhs)) return cmp_table[c->op][1];
  tri lo = tri_prune(tri_of(c->op, 1, 0), c->lhs, c->rhs, LO);
  sf_label lo1 = tri_single(lo);
  if (c->width == 32) return lo1 == NO_TARGET ? -1 : lo1;
  /* The high word's "equal" defers to the low word: model it as label 2
   * unless the low word is itself constant. */
  tri hi = tri_of(c->op, 1, 0);
  hi.eq = lo1 == NO_TARGET ? 2 : lo1;
  sf_label hi1 = tri_single(tri_prune(hi, c->lhs, c->rhs, HI));
  return hi1 == 0 || hi1 == 1 ? hi1 : -1;
}

/* 1: always true, 0: always false, -1: depends on the arguments. */
static int cond_value(const sf_cond *c) {
  int a, b;
  switch (c->kind) {
  case COND_TRUE:
    return 1;
  case COND_FALSE:
    return 0;
  case COND_CMP:
    return cmp_value(c);
  case COND_NOT:
    a = cond_value(c->a);
    return a < 0 ? a : !a;
  case COND_AND:
  case COND_OR: {
    int absorbing = c->kind == COND_OR; /* true absorbs OR, false AND */
    a = cond_value(c->a);
    if (a == absorbing) return a;
    b = cond_value(c->b);
    if (b == absorbing) return b;
    return a == !absorbing && b == !absorbing ? !absorbing : -1;
  }
  }
  return -1;
}

static void gen_cmp(sf_cg *cg, const sf_cond *c, sf_label t, sf_label f,
                     sf_label next) {
  tri lo = tri_of(c->op, t, f);
  if (c->width == 32) {
    gen_word3(cg, c->lhs, c->rhs, LO, lo, next);
    return;
  }
  sf_label lo1 = tri_single(tri_prune(lo, c->lhs, c->rhs, LO));
  tri hi = tri_of(c->op, t, f);
  hi.eq = lo1 != NO_TARGET ? lo1 : sf_label_new(cg->b);
  gen_word3(cg, c->lhs, c->rhs, HI, hi, lo1 != NO_TARGET ? next : hi.eq);
  if (lo1 == NO_TARGET) {
    cg_place(cg, hi.eq);
    gen_word3(cg, c->lhs, c->rhs, LO, lo, next);
  }
}

/* Control goes to T if C holds, else to F.  NEXT: see gen_word3. */
static void gen_cond(sf_cg *cg, const sf_cond *c, sf_label t, sf_label f,
                      sf_label next) {
  int v = cond_value(c);
  if (v >= 0) {
    gen_ja_unless_next(cg, v ? t : f, next);
    return;
  }
  switch (c->kind) {
  case COND_TRUE:
  case COND_FALSE: /* constant: handled above */
    return;
  case COND_NOT:
    gen_cond(cg, c->a, f, t, next);
    return;
  case COND_AND:
  case COND_OR: {
    int is_and = c->kind == COND_AND;
    /* A constant operand here is the neutral one (else v >= 0). */
    if (cond_value(c->a) >= 0) {
      gen_cond(cg, c->b, t, f, next);
      return;
    }
    if (cond_value(c->b) >= 0) {
      gen_cond(cg, c->a, t, f, next);
      return;
    }
    sf_label mid = sf_label_new(cg->b);
    gen_cond(cg, c->a, is_and ? mid : t, is_and ? f : mid, mid);
    cg_place(cg, mid);
    gen_cond(cg, c->b, t, f, next);
    return;
  }
  case COND_CMP:
    gen_cmp(cg, c, t, f, next);
    return;
  }
}

/* Scratch words the condition's code needs. */
static int cond_need(const sf_cond *c) {
  int a, b, n;
  uint32_t k;
  switch (c->kind) {
  case COND_CMP:
    n = 0;
    for (int hi = 0; hi <= (c->width == 64); hi++) {
      int cl = half_const(c->lhs, hi, &k), cr = half_const(c->rhs, hi, &k);
      if (cl && cr) a = 0;
      else if (cl) a = half_need(c->rhs, hi);
      else if (cr) a = half_need(c->lhs, hi);
      else a = pair_need(c->lhs, c->rhs, hi);
      if (a > n) n = a;
    }
    return n;
  case COND_NOT:
    return cond_need(c->a);
  case COND_AND:
  case COND_OR:
    a = cond_need(c->a);
    b = cond_need(c->b);
    return a > b ? a : b;
  default:
    return 0;
  }
}

/* ---- complements ---------------------------------------------------- */

static int cond_equal(const sf_cond *a, const sf_cond *b);

/* Is X structurally the negation of Y (NOT, the complementary operator,
 * De Morgan)?  A rule whose condition is the negation of an earlier rule's
 * always matches once reached: the earlier one did not. */
static int cond_negates(const sf_cond *x, const sf_cond *y) {
  static const cmp_op neg[] = {[CMP_EQ] = CMP_NE, [CMP_NE] = CMP_EQ,
                               [CMP_LT] = CMP_GE, [CMP_GE] = CMP_LT,
                               [CMP_LE] = CMP_GT, [CMP_GT] = CMP_LE};
  if (x->kind == COND_NOT) return cond_equal(x->a, y);
  if (y->kind == COND_NOT) return cond_equal(x, y->a);
  if (x->kind == COND_CMP && y->kind == COND_CMP)
    return x->op == neg[y->op] && val_equal(x->lhs, y->lhs) &&
           val_equal(x->rhs, y->rhs);
  if ((x->kind == COND_AND && y->kind == COND_OR) ||
      (x->kind == COND_OR && y->kind == COND_AND))
    return (cond_negates(x->a, y->a) && cond_negates(x->b, y->b)) ||
           (cond_negates(x->a, y->b) && cond_negates(x->b, y->a));
  return 0;
}

/* Does R's condition hold whenever none of the N earlier rules matched?
 * Only the last few are looked at: linear time on long rule lists. */
enum { NEGATION_WINDOW = 8 };
static int follows_from_earlier(const sf_rule *r, const sf_rule *const *earlier,
                                size_t n) {
  for (size_t i = n > NEGATION_WINDOW ? n - NEGATION_WINDOW : 0; i < n; i++)
    if (cond_negates(r->cond, earlier[i]->cond)) return 1;
  return 0;
}

/* ---- decisions --------------------------------------------------------- */

int sf_decision_make(sf_cg *cg, const sf_sysrules *sys, sf_decision *out) {
  const sf_rule **rules = NULL;
  size_t n = 0;
  uint32_t final = cg->rs->default_action;
  if (sys->n_rules) {
    rules = sf_alloc(cg->ctx, sys->n_rules * sizeof *rules);
    if (!rules) return -1;
  }
  for (size_t i = 0; i < sys->n_rules; i++) {
    const sf_rule *r = &sys->rules[i];
    int v = r->cond ? cond_value(r->cond) : 1;
    if (v < 0 && cg->opt > 0 && follows_from_earlier(r, rules, n)) v = 1;
    if (v == 0) continue; /* never matches */
    if (v == 1) {
      final = r->action; /* matches always: later rules are dead */
      break;
    }
    if (cond_need(r->cond) > SF_BPF_MEMWORDS) {
      sf_error(cg->ctx, r->loc, "expression needs more than %d scratch words",
               SF_BPF_MEMWORDS);
      return -1;
    }
    rules[n++] = r;
  }
  /* A last conditional rule with the fallback's own action decides
   * nothing. */
  while (n > 0 && rules[n - 1]->action == final) n--;
  out->rules = rules;
  out->n = n;
  out->final = final;
  return 0;
}

/* ---- structural hash and equality -------------------------------- */

static uint64_t mix(uint64_t h, uint64_t x) {
  h ^= x + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdu;
}

static uint64_t val_hash(const sf_val *v, uint64_t h) {
  h = mix(h, (uint64_t)v->kind);
  switch (v->kind) {
  case VAL_CONST:
    return mix(h, v->k);
  case VAL_ARG:
    return mix(mix(h, (uint64_t)v->arg), (uint64_t)v->bits);
  case VAL_AND:
  case VAL_OR:
    return val_hash(v->rhs, val_hash(v->lhs, h));
  }
  return h;
}

static int val_equal(const sf_val *a, const sf_val *b) {
  if (a == b) return 1;
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case VAL_CONST:
    return a->k == b->k;
  case VAL_ARG:
    return a->arg == b->arg && a->bits == b->bits;
  case VAL_AND:
  case VAL_OR:
    return val_equal(a->lhs, b->lhs) && val_equal(a->rhs, b->rhs);
  }
  return 0;
}

static uint64_t cond_hash(const sf_cond *c, uint64_t h) {
  h = mix(h, (uint64_t)c->kind);
  switch (c->kind) {
  case COND_CMP:
    h = mix(mix(h, (uint64_t)c->op), (uint64_t)c->width);
    return val_hash(c->rhs, val_hash(c->lhs, h));
  case COND_NOT:
    return cond_hash(c->a, h);
  case COND_AND:
  case COND_OR:
    return cond_hash(c->b, cond_hash(c->a, h));
  default:
    return h;
  }
}

static int cond_equal(const sf_cond *a, const sf_cond *b) {
  if (a == b) return 1;
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case COND_CMP:
    return a->op == b->op && a->width == b->width &&
           val_equal(a->lhs, b->lhs) && val_equal(a->rhs, b->rhs);
  case COND_NOT:
    return cond_equal(a->a, b->a);
  case COND_AND:
  case COND_OR:
    return cond_equal(a->a, b->a) && cond_equal(a->b, b->b);
  default:
    return 1;
  }
}

uint64_t sf_decision_hash(const sf_decision *d) {
  uint64_t h = mix(0, d->final);
  h = mix(h, d->n);
  for (size_t i = 0; i < d->n; i++)
    h = cond_hash(d->rules[i]->cond, mix(h, d->rules[i]->action));
  return h;
}

int sf_decision_equal(const sf_decision *a, const sf_decision *b) {
  if (a->final != b->final || a->n != b->n) return 0;
  for (size_t i = 0; i < a->n; i++)
    if (a->rules[i]->action != b->rules[i]->action ||
        !cond_equal(a->rules[i]->cond, b->rules[i]->cond))
      return 0;
  return 1;
}

/* ---- value sets: decisions on one argument word --------------------- *
 *
 * When every comparison of a syscall's rules is between the same 16- or
 * 32-bit argument and constants, the decision is a function of that one
 * word, constant on the intervals between the constants: it is emitted as
 * one load and a search over those intervals (search.c), which may be a
 * single JSET ({0, 8, 0x20000, 0x20008} is "no bit outside 0x20008"). */

enum { VS_MAX_CONSTS = 64 };

typedef struct vset {
  int arg, bits; /* the word: argument ARG's low half, BITS 16 or 32 */
  uint32_t k[2 * VS_MAX_CONSTS + 1];
  size_t nk;
} vset;

/* The argument V reads as a 16- or 32-bit word (*BITS): the argument
 * itself, or its low 16 bits (arg & 0xffff: ipc's call number); NULL for
 * anything else. */
static const sf_val *word_of(const sf_val *v, int *bits) {
  if (v->kind == VAL_ARG && (v->bits == 16 || v->bits == 32)) {
    *bits = v->bits;
    return v;
  }
  if (v->kind != VAL_AND) return NULL;
  const sf_val *a = v->lhs, *m = v->rhs;
  if (a->kind == VAL_CONST) {
    a = v->rhs;
    m = v->lhs;
  }
  if (a->kind != VAL_ARG || a->bits < 16 || m->kind != VAL_CONST || m->k != 0xffff)
    return NULL;
  *bits = 16;
  return a;
}

/* Collect the constants of C if it only compares one word with constants. */
static int vs_collect(const sf_cond *c, vset *vs) {
  switch (c->kind) {
  case COND_TRUE:
  case COND_FALSE:
    return 1;
  case COND_NOT:
    return vs_collect(c->a, vs);
  case COND_AND:
  case COND_OR:
    return vs_collect(c->a, vs) && vs_collect(c->b, vs);
  case COND_CMP: {
    const sf_val *a = c->lhs, *k = c->rhs;
    if (a->kind == VAL_CONST) {
      a = c->rhs;
      k = c->lhs;
    }
    int bits;
    a = word_of(a, &bits);
    if (c->width != 32 || !a || k->kind != VAL_CONST || k->k > 0xffffffffu) return 0;
    if (vs->arg < 0) {
      vs->arg = a->arg;
      vs->bits = bits;
    }
    if (a->arg != vs->arg || bits != vs->bits || vs->nk + 2 > 2 * VS_MAX_CONSTS)
      return 0;
    /* The function can only change at k and right after it. */
    vs->k[vs->nk++] = (uint32_t)k->k;
    if (k->k < 0xffffffffu) vs->k[vs->nk++] = (uint32_t)k->k + 1;
    return 1;
  }
  }
  return 0;
}

static int cmp_u32(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return a < b ? -1 : a > b;
}

/* Does C hold when the value set's word is V?  The code generator's own
 * evaluation: the reference evaluator (src/oracle) is what the tests hold
 * the generated programs to, so the generator never borrows it.
 * vs_collect admitted only comparisons of the one word (zero-extended from
 * vs->bits) with constants below 2^32: each is between two 32-bit numbers. */
static int vs_holds(const sf_cond *c, const vset *vs, uint32_t v) {
  switch (c->kind) {
  case COND_TRUE: return 1;
  case COND_FALSE: return 0;
  case COND_NOT: return !vs_holds(c->a, vs, v);
  case COND_AND: return vs_holds(c->a, vs, v) && vs_holds(c->b, vs, v);
  case COND_OR: return vs_holds(c->a, vs, v) || vs_holds(c->b, vs, v);
  case COND_CMP: break;
  }
  uint32_t word = vs->bits == 16 ? v & 0xffffu : v;
  int word_left = c->lhs->kind != VAL_CONST;
  uint32_t l = word_left ? word : (uint32_t)c->lhs->k;
  uint32_t r = word_left ? (uint32_t)c->rhs->k : word;
  switch (c->op) {
  case CMP_EQ: return l == r;
  case CMP_NE: return l != r;
  case CMP_LT: return l < r;
  case CMP_LE: return !(r < l);
  case CMP_GT: return r < l;
  case CMP_GE: return !(l < r);
  }
  return 0;
}

/* The action D gives when the word is V. */
static uint32_t vs_decide(const sf_decision *d, const vset *vs, uint32_t v) {
  for (size_t i = 0; i < d->n; i++)
    if (vs_holds(d->rules[i]->cond, vs, v)) return d->rules[i]->action;
  return d->final;
}

/* Segments of D's function of the word, targets indexing *ACTIONS. */
static size_t vs_segments(sf_cg *cg, const sf_decision *d, vset *vs,
                          sf_search_seg *seg, sf_label *labels) {
  vs->k[vs->nk++] = 0;
  qsort(vs->k, vs->nk, sizeof vs->k[0], cmp_u32);
  size_t n = 0, n_ids = 0;
  uint32_t ids[2 * VS_MAX_CONSTS + 1];
  for (size_t i = 0; i < vs->nk; i++) {
    if (i && vs->k[i] == vs->k[i - 1]) continue;
    uint32_t act = vs_decide(d, vs, vs->k[i]);
    size_t id = 0;
    while (id < n_ids && ids[id] != act) id++;
    if (id == n_ids) {
      ids[n_ids] = act;
      labels[n_ids++] = cg_ret_label(cg, act);
    }
    if (n && seg[n - 1].target == (int)id) continue;
    seg[n] = (sf_search_seg){vs->k[i], (int)id, 1, 1};
    n++;
  }
  return n;
}

/* Emit D as a value set if it is one; returns 0 if it is not. */
static int gen_value_set(sf_cg *cg, const sf_decision *d) {
  vset vs;
  vs.arg = -1;
  vs.nk = 0;
  for (size_t i = 0; i < d->n; i++)
    if (!vs_collect(d->rules[i]->cond, &vs)) return 0;
  if (vs.arg < 0) return 0;
  sf_search_seg seg[2 * VS_MAX_CONSTS + 1];
  sf_label labels[2 * VS_MAX_CONSTS + 1];
  size_t n = vs_segments(cg, d, &vs, seg, labels);
  sf_search tree;
  sf_search_opts opts = {0, 1};
  if (sf_search_build(cg->ctx, seg, n, &opts, &tree) != 0) {
    cg->failed = 1;
    return 1;
  }
  cg_load(cg, sf_arg_lo_offset(cg->rs->arch, vs.arg));
  if (vs.bits == 16) cg_op(cg, BPF_ALU | BPF_AND | BPF_K, 0xffffu);
  sf_search_code(cg->b, &tree, labels);
  cg->a_word = A_UNREACHED;
  return 1;
}

/* ---- emitting decisions --------------------------------------------- */

static void gen_decision(sf_cg *cg, const sf_decision *d) {
  if (cg->opt > 0 && d->n > 0 && gen_value_set(cg, d)) return;
  for (size_t i = 0; i < d->n; i++) {
    /* Trampolines only add: a program already too long stays so; stop
     * early rather than emit megabytes of code to refuse. */
    if (sf_builder_size(cg->b) > SF_BPF_MAXINSNS) {
      cg->too_long = 1;
      return;
    }
    sf_label t = cg_ret_label(cg, d->rules[i]->action);
    int last = i + 1 == d->n;
    sf_label next = last ? NO_TARGET : sf_label_new(cg->b);
    gen_cond(cg, d->rules[i]->cond, t,
              last ? cg_ret_label(cg, d->final) : next, next);
    if (!last) cg_place(cg, next);
  }
  if (d->n == 0) cg_ja(cg, cg_ret_label(cg, d->final));
}

void sf_code_rules(sf_cg *cg, const sf_sysrules *sys) {
  sf_decision d;
  if (sf_decision_make(cg, sys, &d) != 0) {
    cg->failed = 1;
    return;
  }
  sf_code_decision(cg, &d);
}

void sf_code_decision(sf_cg *cg, const sf_decision *d) {
  cg->a_word = A_UNKNOWN; /* A holds the syscall number */
  gen_decision(cg, d);
}
