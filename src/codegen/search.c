/* search.c - optimal (or nearly) search over key segments; see search.h.
 *
 * Dynamic programming over intervals [i..j] of segments, as for optimal
 * alphabetic search trees: an interval is either one leaf, a chain of JEQ
 * tests peeling isolated keys off a background that is otherwise one target
 * (A s1 A s2 A: the A parts merge once the s are gone), or a JGE split.
 * Within the table a JEQ sits at the bottom, where it is cheapest: every
 * key that reaches a test pays for it.  (Above the whole search a JEQ can
 * still pay off when removing its key lets the ranges around it merge; see
 * "JEQs above the search".)
 *
 * The split search is limited by Knuth's monotonicity of roots, which makes
 * the whole table O(n^2); with chains the bound is a heuristic, so the
 * result is near-optimal rather than proven optimal.  Large inputs use a
 * weight-balanced top-down split (O(n log n)).  The bound on the longest
 * path is met by raising the weight of segments that end up too deep and
 * building again (a few rounds).  Ties are broken by size, then by the
 * lowest split, so the output is deterministic. */
#include "codegen/search.h"

#include <string.h>

#include "base/context.h"

enum {
  MAX_CHAIN = 4,     /* JEQs in one chain */
  DP_LIMIT = 256,    /* segments handled by the table (n^2 cells) */
  HEIGHT_ROUNDS = 24 /* reweighting rounds for the path bound */
};

typedef struct cell {
  uint64_t cost;
  uint32_t size;
  int32_t split; /* best JGE split (first segment above), -1: none */
  int chain;     /* 1: the chain/leaf beats the split */
} cell;

typedef struct tb {
  struct sysfence_ctx *ctx;
  const sf_search_seg *s;
  size_t n;
  uint64_t *w;   /* effective weights (input + reweighting) */
  uint64_t *pre; /* prefix sums of w */
  size_t *alt;   /* alt[i]: last j with [i..j] alternating A s A ... */
  cell *t;       /* n x n, only i <= j used */
  sf_search *out;
  size_t cap;
  int failed;
} tb;

static int is_single(const tb *b, size_t i) {
  uint64_t end = i + 1 < b->n ? b->s[i + 1].lo : (uint64_t)1 << 32;
  return end - b->s[i].lo == 1;
}

static uint64_t wsum(const tb *b, size_t i, size_t j) {
  return b->pre[j + 1] - b->pre[i];
}

/* Chains: [i..j] is A s1 A s2 ... A with singleton s and one target A. */
static void compute_alt(tb *b) {
  for (size_t i = b->n; i-- > 0;) {
    b->alt[i] = i;
    if (i + 2 < b->n && is_single(b, i + 1) &&
        b->s[i + 2].target == b->s[i].target)
      b->alt[i] = b->alt[i + 2];
  }
}

/* Singletons of the chain [i..j], heaviest first (ties: lower key). */
static size_t chain_order(const tb *b, size_t i, size_t j, size_t *ord) {
  size_t m = 0;
  for (size_t p = i + 1; p < j; p += 2) {
    size_t q = m++;
    while (q > 0 && b->w[ord[q - 1]] < b->w[p]) {
      ord[q] = ord[q - 1];
      q--;
    }
    ord[q] = p;
  }
  return m;
}

/* Cost of [i..j] as a chain; 0 on success, -1 if it is not one. */
static int chain_cost(const tb *b, size_t i, size_t j, uint64_t *cost,
                      uint32_t *size) {
  if (b->alt[i] < j || (j - i) % 2 || (j - i) / 2 > MAX_CHAIN) return -1;
  size_t ord[MAX_CHAIN];
  size_t m = chain_order(b, i, j, ord);
  uint64_t c = 0, rest = wsum(b, i, j);
  for (size_t k = 0; k < m; k++) {
    c += rest; /* everyone still here pays for test k */
    rest -= b->w[ord[k]];
  }
  *cost = c;
  *size = (uint32_t)m;
  return 0;
}

static int better(uint64_t c1, uint32_t s1, uint64_t c2, uint32_t s2) {
  return c1 < c2 || (c1 == c2 && s1 < s2);
}

/* Fill cell [i..j] from the shorter intervals. */
static void fill_cell(tb *b, size_t i, size_t j) {
  cell *c = &b->t[i * b->n + j];
  uint64_t cc;
  uint32_t cs;
  c->chain = 0;
  c->split = -1;
  c->cost = UINT64_MAX;
  c->size = UINT32_MAX;
  if (chain_cost(b, i, j, &cc, &cs) == 0) {
    c->cost = cc;
    c->size = cs;
    c->chain = 1;
  }
  if (i == j) return;
  size_t lo = i + 1, hi = j;
  const cell *l = &b->t[i * b->n + (j - 1)], *r = &b->t[(i + 1) * b->n + j];
  if (j - 1 > i && l->split > (int32_t)lo) lo = (size_t)l->split;
  if (i + 1 < j && r->split >= 0 && (size_t)r->split < hi) hi = (size_t)r->split;
  if (lo > hi) lo = hi;
  uint64_t best = UINT64_MAX;
  uint32_t bsize = UINT32_MAX;
  uint64_t wij = wsum(b, i, j);
  for (size_t k = lo; k <= hi; k++) {
    const cell *a = &b->t[i * b->n + (k - 1)], *z = &b->t[k * b->n + j];
    uint64_t cost = wij + a->cost + z->cost;
    uint32_t size = 1 + a->size + z->size;
    if (better(cost, size, best, bsize)) {
      best = cost;
      bsize = size;
      c->split = (int32_t)k;
    }
  }
  if (better(best, bsize, c->cost, c->size)) {
    c->cost = best;
    c->size = bsize;
    c->chain = 0;
  }
}

static void run_dp(tb *b) {
  for (size_t len = 0; len < b->n; len++)
    for (size_t i = 0; i + len < b->n; i++) fill_cell(b, i, i + len);
}

/* ---- the output tree ------------------------------------------------ */

static int new_node(tb *b, sf_search_kind kind, uint32_t k, int target) {
  sf_search *t = b->out;
  if (t->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 32;
    sf_search_node *p = sf_alloc(b->ctx, cap * sizeof *p);
    if (!p) {
      b->failed = 1;
      return 0;
    }
    if (t->n) memcpy(p, t->nodes, t->n * sizeof *p);
    t->nodes = p;
    b->cap = cap;
  }
  sf_search_node *nd = &t->nodes[t->n];
  nd->kind = kind;
  nd->k = k;
  nd->target = target;
  nd->yes = nd->no = -1;
  return (int)t->n++;
}

static int leaf(tb *b, size_t i) {
  return new_node(b, SF_SN_LEAF, 0, b->s[i].target);
}

static int make_chain(tb *b, size_t i, size_t j) {
  size_t ord[MAX_CHAIN];
  size_t m = chain_order(b, i, j, ord);
  int first = -1, prev = -1;
  for (size_t k = 0; k < m; k++) {
    int nd = new_node(b, SF_SN_JEQ, b->s[ord[k]].lo, 0);
    int yes = leaf(b, ord[k]);
    if (b->failed) return 0;
    b->out->nodes[nd].yes = yes;
    if (prev >= 0) b->out->nodes[prev].no = nd;
    else first = nd;
    prev = nd;
  }
  int bg = leaf(b, i);
  if (b->failed) return 0;
  if (prev < 0) return bg;
  b->out->nodes[prev].no = bg;
  return first;
}

static int make_split(tb *b, size_t i, size_t j, size_t k, int (*sub)(tb *, size_t, size_t)) {
  int nd = new_node(b, SF_SN_JGE, b->s[k].lo, 0);
  int no = sub(b, i, k - 1);
  int yes = sub(b, k, j);
  if (b->failed) return 0;
  b->out->nodes[nd].yes = yes;
  b->out->nodes[nd].no = no;
  return nd;
}

static int make_dp(tb *b, size_t i, size_t j) {
  const cell *c = &b->t[i * b->n + j];
  if (c->chain) return make_chain(b, i, j);
  return make_split(b, i, j, (size_t)c->split, make_dp);
}

/* Large inputs: split where the weights balance, chains when they fit. */
static int make_balanced(tb *b, size_t i, size_t j) {
  uint64_t cc;
  uint32_t cs;
  if (chain_cost(b, i, j, &cc, &cs) == 0 && cs <= 1) return make_chain(b, i, j);
  if (i == j) return leaf(b, i);
  uint64_t half = b->pre[i] + wsum(b, i, j) / 2;
  size_t lo = i + 1, hi = j; /* first k with pre[k + 1] > half, in [i+1, j] */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b->pre[mid] >= half) hi = mid;
    else lo = mid + 1;
  }
  return make_split(b, i, j, lo, make_balanced);
}

/* ---- measuring a tree ---------------------------------------------- */

/* Count the tests of the subtree at ND (at depth DEPTH) into t->tests and
 * its longest path, target code included, into *HEIGHT. */
static void measure(sf_search *t, int nd, int depth, const int *theight,
                    int *height) {
  const sf_search_node *x = &t->nodes[nd];
  if (x->kind == SF_SN_LEAF) {
    int h = depth + theight[x->target];
    if (h > *height) *height = h;
    return;
  }
  t->tests++;
  measure(t, x->yes, depth + 1, theight, height);
  measure(t, x->no, depth + 1, theight, height);
}

/* Depth of the leaf reached by KEY. */
static int key_depth(const sf_search *t, uint32_t key) {
  int d = 0, nd = t->root;
  for (;;) {
    const sf_search_node *x = &t->nodes[nd];
    int yes;
    switch (x->kind) {
    case SF_SN_LEAF: return d;
    case SF_SN_JGE: yes = key >= x->k; break;
    case SF_SN_JEQ: yes = key == x->k; break;
    default: yes = (key & x->k) != 0; break;
    }
    nd = yes ? x->yes : x->no;
    d++;
  }
}

/* Expected cost and, per segment, whether its path is too long (its first
 * key stands for it: every key of a segment takes the same path unless a
 * chain or split cuts inside it, which the DP never does). */
static int violations(tb *b, const sf_search *t, int max_height,
                      unsigned char *bad) {
  int any = 0, floor = 1;
  while (((size_t)1 << floor) < b->n) floor++; /* a balanced tree's depth */
  for (size_t i = 0; i < b->n; i++) {
    int d = key_depth(t, b->s[i].lo);
    /* A target too tall for the bound still gets a balanced depth. */
    int limit = max_height - b->s[i].height;
    if (limit < floor) limit = floor;
    bad[i] = max_height > 0 && d > limit;
    any |= bad[i];
  }
  return any;
}

/* ---- JSET for two-outcome value sets ------------------------------- */

/* Does every key of segment I have only bits of M? */
static int seg_in_mask(const tb *b, size_t i, uint32_t m) {
  uint32_t lo = b->s[i].lo;
  uint32_t hi = i + 1 < b->n ? b->s[i + 1].lo - 1 : 0xffffffffu;
  uint32_t d = lo ^ hi, low = 0;
  while (low < d) low = (low << 1) | 1; /* bits up to d's highest */
  return (low & ~m) == 0 && (lo & ~low & ~m) == 0;
}

/* Is the set of target-X segments, without segment SKIP, exactly the
 * submasks of their OR?  Then *M is that OR. */
static int submask_set(const tb *b, int x, size_t skip, uint32_t *m) {
  uint32_t or = 0;
  uint64_t count = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (b->s[i].target != x || i == skip) continue;
    uint32_t lo = b->s[i].lo;
    uint32_t hi = i + 1 < b->n ? b->s[i + 1].lo - 1 : 0xffffffffu;
    uint32_t d = lo ^ hi, low = 0;
    while (low < d) low = (low << 1) | 1;
    or |= lo | hi | low;
    count += (uint64_t)hi - lo + 1;
  }
  if (or == 0xffffffffu) return 0;
  for (size_t i = 0; i < b->n; i++)
    if (b->s[i].target == x && i != skip && !seg_in_mask(b, i, or)) return 0;
  uint64_t pop = 0;
  for (uint32_t v = or; v; v &= v - 1) pop++;
  if (count != (uint64_t)1 << pop) return 0;
  *m = or;
  return 1;
}

/* Two targets: "key has a bit outside M" vs not, after at most one JEQ on
 * a singleton of the in-set target.  Returns the root or -1. */
static int make_jset(tb *b) {
  int t0 = b->s[0].target, t1 = -1;
  for (size_t i = 0; i < b->n; i++) {
    if (b->s[i].target == t0) continue;
    if (t1 >= 0 && b->s[i].target != t1) return -1;
    t1 = b->s[i].target;
  }
  if (t1 < 0 || b->n > 64) return -1;
  for (int pass = 0; pass < 2; pass++) {
    int x = pass ? t1 : t0, y = pass ? t0 : t1;
    for (size_t skip = b->n; skip + 1 > 0; skip--) { /* n: none; then each */
      if (skip < b->n && (b->s[skip].target != x || !is_single(b, skip)))
        continue;
      uint32_t m;
      if (!submask_set(b, x, skip, &m)) continue;
      int js = new_node(b, SF_SN_JSET, ~m, 0);
      int ly = new_node(b, SF_SN_LEAF, 0, y), lx = new_node(b, SF_SN_LEAF, 0, x);
      if (b->failed) return -1;
      b->out->nodes[js].yes = ly;
      b->out->nodes[js].no = lx;
      if (skip == b->n) return js;
      int eq = new_node(b, SF_SN_JEQ, b->s[skip].lo, 0);
      int lx2 = new_node(b, SF_SN_LEAF, 0, x);
      if (b->failed) return -1;
      b->out->nodes[eq].yes = lx2;
      b->out->nodes[eq].no = js;
      return eq;
    }
  }
  return -1;
}

/* ---- driver ---------------------------------------------------------- */

static int build_once(tb *b) {
  b->out->n = 0;
  b->pre[0] = 0;
  for (size_t i = 0; i < b->n; i++) b->pre[i + 1] = b->pre[i] + b->w[i];
  if (b->n <= DP_LIMIT) {
    run_dp(b);
    return make_dp(b, 0, b->n - 1);
  }
  return make_balanced(b, 0, b->n - 1);
}

static void finish(sf_search *t, int root, const tb *b, const int *theight) {
  t->root = root;
  t->tests = 0;
  t->height = 0;
  measure(t, root, 0, theight, &t->height);
  uint64_t cost = 0;
  for (size_t i = 0; i < b->n; i++)
    cost += (uint64_t)key_depth(t, b->s[i].lo) * b->s[i].weight;
  t->cost = cost;
}

static int alloc_tb(tb *b) {
  size_t n = b->n;
  b->w = sf_alloc(b->ctx, n * sizeof *b->w);
  b->pre = sf_alloc(b->ctx, (n + 1) * sizeof *b->pre);
  b->alt = sf_alloc(b->ctx, n * sizeof *b->alt);
  /* Not zeroed: run_dp writes each cell before any longer interval reads
   * it (only i <= j is used). */
  if (n <= DP_LIMIT) b->t = sf_alloc_raw(b->ctx, n * n * sizeof *b->t);
  return b->w && b->pre && b->alt && (n > DP_LIMIT || b->t) ? 0 : -1;
}

/* Target heights indexed by target id. */
static int *target_heights(tb *b) {
  int maxt = 0;
  for (size_t i = 0; i < b->n; i++)
    if (b->s[i].target > maxt) maxt = b->s[i].target;
  int *h = sf_alloc(b->ctx, ((size_t)maxt + 1) * sizeof *h);
  if (!h) return NULL;
  for (size_t i = 0; i < b->n; i++) h[b->s[i].target] = b->s[i].height;
  return h;
}

static int build_core(struct sysfence_ctx *ctx, const sf_search_seg *segs, size_t n,
                      const sf_search_opts *opts, sf_search *out) {
  tb b;
  memset(&b, 0, sizeof b);
  memset(out, 0, sizeof *out);
  b.ctx = ctx;
  b.s = segs;
  b.n = n;
  b.out = out;
  int *theight = NULL;
  if (n == 0 || alloc_tb(&b) != 0 || !(theight = target_heights(&b))) return -1;
  compute_alt(&b);
  for (size_t i = 0; i < n; i++) b.w[i] = segs[i].weight;
  unsigned char *bad = sf_alloc(ctx, n);
  if (!bad) return -1;

  /* Reweight the segments whose path is too long until none is. */
  int root = 0;
  for (int round = 0; round < HEIGHT_ROUNDS; round++) {
    root = build_once(&b);
    if (b.failed) return -1;
    out->root = root;
    if (!violations(&b, out, opts ? opts->max_height : 0, bad)) break;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += b.w[i];
    for (size_t i = 0; i < n; i++)
      if (bad[i]) b.w[i] += total / 8 + 1;
  }
  finish(out, root, &b, theight);

  if (opts && opts->try_jset) {
    sf_search alt = *out;
    size_t keep = out->n;
    int j = make_jset(&b);
    if (b.failed) return -1;
    if (j >= 0) {
      finish(out, j, &b, theight);
      /* Keep the JSET form when it is no worse in cost, size and height. */
      if (better(alt.cost, (uint32_t)alt.tests, out->cost, (uint32_t)out->tests) ||
          (out->height > alt.height && alt.tests <= out->tests)) {
        alt.n = keep;
        alt.nodes = out->nodes;
        *out = alt;
      }
    }
  }
  return 0;
}

/* ---- JEQs above the search ------------------------------------------ */

/* The DP only peels isolated keys at the bottom of an interval whose
 * other segments are all one target.  A JEQ at the root can pay off too:
 * with the key gone, the ranges around it merge, so the search below has
 * fewer segments (A s B A s' A ...: once s is out, the rest is smaller).
 * A greedy loop tries each such key on the current (merged) sequence and
 * keeps the one that helps most, while the result is no worse in cost,
 * size and height, and better in cost or size. */

enum {
  PEEL_LIMIT = 16, /* segments up to which the root JEQs are searched */
  MAX_PEEL = 4     /* JEQs above the search */
};

/* Cost, tests and height of T over the segments SEGS[0..N). */
static void measure_on(sf_search *t, const sf_search_seg *segs, size_t n,
                       const int *theight) {
  tb b;
  memset(&b, 0, sizeof b);
  b.s = segs;
  b.n = n;
  finish(t, t->root, &b, theight);
}

/* *OUT = the JEQs on KEYS[0..K) (to TARGETS) above SUB. */
static int compose(struct sysfence_ctx *ctx, const sf_search *sub,
                   const uint32_t *keys, const int *targets, size_t k,
                   sf_search *out) {
  size_t n = sub->n + 2 * k;
  sf_search_node *nd = sf_alloc(ctx, n * sizeof *nd);
  if (!nd) return -1;
  memcpy(nd, sub->nodes, sub->n * sizeof *nd);
  for (size_t i = 0; i < k; i++) {
    sf_search_node *eq = &nd[sub->n + 2 * i], *lf = &nd[sub->n + 2 * i + 1];
    eq->kind = SF_SN_JEQ;
    eq->k = keys[i];
    eq->target = 0;
    eq->yes = (int)(sub->n + 2 * i + 1);
    eq->no = i + 1 < k ? (int)(sub->n + 2 * i + 2) : sub->root;
    lf->kind = SF_SN_LEAF;
    lf->k = 0;
    lf->target = targets[i];
    lf->yes = lf->no = -1;
  }
  memset(out, 0, sizeof *out);
  out->nodes = nd;
  out->n = n;
  out->root = k ? (int)sub->n : sub->root;
  return 0;
}

static int no_worse(const sf_search *a, const sf_search *b) {
  return a->cost <= b->cost && a->tests <= b->tests && a->height <= b->height &&
         (a->cost < b->cost || a->tests < b->tests);
}

static int peel_search(struct sysfence_ctx *ctx, const sf_search_seg *segs, size_t n,
                       const sf_search_opts *opts, sf_search *out) {
  tb hb;
  memset(&hb, 0, sizeof hb);
  hb.ctx = ctx;
  hb.s = segs;
  hb.n = n;
  int *theight = target_heights(&hb);
  sf_search_seg *cur = sf_alloc(ctx, n * sizeof *cur);
  sf_search_seg *red = sf_alloc(ctx, n * sizeof *red);
  if (!theight || !cur || !red) return -1;
  memcpy(cur, segs, n * sizeof *cur);
  size_t m = n, k = 0;
  uint32_t keys[MAX_PEEL];
  int targets[MAX_PEEL];
  while (k < MAX_PEEL && m >= 5) {
    sf_search best = *out, cand, sub;
    size_t bp = 0;
    for (size_t p = 1; p + 1 < m; p++) {
      if (cur[p + 1].lo - cur[p].lo != 1 ||
          cur[p - 1].target != cur[p + 1].target)
        continue;
      /* The sequence without p, p-1 and p+1 merged. */
      memcpy(red, cur, p * sizeof *red);
      memcpy(red + p, cur + p + 2, (m - p - 2) * sizeof *red);
      red[p - 1].weight += cur[p + 1].weight;
      sf_search_opts so = {0, opts ? opts->try_jset : 0};
      if (opts && opts->max_height > 0)
        so.max_height = opts->max_height - (int)k - 1 > 1
                            ? opts->max_height - (int)k - 1 : 1;
      if (build_core(ctx, red, m - 2, &so, &sub) != 0) return -1;
      keys[k] = cur[p].lo;
      targets[k] = cur[p].target;
      if (compose(ctx, &sub, keys, targets, k + 1, &cand) != 0) return -1;
      measure_on(&cand, segs, n, theight);
      if (no_worse(&cand, &best)) {
        best = cand;
        bp = p;
      }
    }
    if (!bp) break;
    keys[k] = cur[bp].lo;
    targets[k] = cur[bp].target;
    k++;
    cur[bp - 1].weight += cur[bp + 1].weight;
    memmove(cur + bp, cur + bp + 2, (m - bp - 2) * sizeof *cur);
    m -= 2;
    *out = best;
  }
  return 0;
}

int sf_search_build(struct sysfence_ctx *ctx, const sf_search_seg *segs, size_t n,
                  const sf_search_opts *opts, sf_search *out) {
  if (build_core(ctx, segs, n, opts, out) != 0) return -1;
  if (n < 5 || n > PEEL_LIMIT) return 0;
  return peel_search(ctx, segs, n, opts, out);
}

/* ---- emission ------------------------------------------------------- */

static void gen_node(sf_builder *b, const sf_search *t, int nd, sf_label self,
                      const sf_label *labels);

static sf_label node_label(sf_builder *b, const sf_search *t, int nd,
                           const sf_label *labels) {
  const sf_search_node *x = &t->nodes[nd];
  return x->kind == SF_SN_LEAF ? labels[x->target] : sf_label_new(b);
}

static void gen_node(sf_builder *b, const sf_search *t, int nd, sf_label self,
                      const sf_label *labels) {
  static const uint16_t op[] = {[SF_SN_JGE] = BPF_JGE, [SF_SN_JEQ] = BPF_JEQ,
                                [SF_SN_JSET] = BPF_JSET};
  const sf_search_node *x = &t->nodes[nd];
  if (self != SF_NO_LABEL) sf_label_place(b, self);
  sf_label yes = node_label(b, t, x->yes, labels);
  sf_label no = node_label(b, t, x->no, labels);
  sf_builder_jump(b, BPF_JMP | op[x->kind] | BPF_K, x->k, yes, no);
  if (t->nodes[x->no].kind != SF_SN_LEAF) gen_node(b, t, x->no, no, labels);
  if (t->nodes[x->yes].kind != SF_SN_LEAF) gen_node(b, t, x->yes, yes, labels);
}

void sf_search_code(sf_builder *b, const sf_search *t, const sf_label *labels) {
  const sf_search_node *r = &t->nodes[t->root];
  if (r->kind == SF_SN_LEAF) {
    sf_builder_ja(b, labels[r->target]);
    return;
  }
  gen_node(b, t, t->root, SF_NO_LABEL, labels);
}
