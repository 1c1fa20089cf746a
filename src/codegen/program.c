/* program.c - the whole program: architecture prologue, a search over
 * syscall numbers, the decision blocks, and the shared RETs.
 *
 * Three steps, kept apart so each can be improved on its own:
 *   1. blocks: each syscall's rules are normalized (decide.c); those that
 *      reduce to one action need no code, identical ones share a block
 *      (hash-consed on structure, numbered in order of syscall number);
 *   2. ranges: the number space [0, 2^32) is partitioned into maximal
 *      ranges of equal behaviour (a RET action or a block);
 *   3. tree: a balanced binary search over the range boundaries.
 * Code is laid out in that order with every jump pointing forward. */
#include <stdlib.h>
#include <string.h>

#include "codegen/program.h"
#include "base/context.h"
#include "base/hash.h"
#include "codegen/decide.h"
#include "base/diag.h"
#include "codegen/search.h"
#include "codegen/window.h"

/* What a range of syscall numbers does: RET `action`, run block `block`,
 * or (T_ZONE) the section's search over x32's numbers (see carve_zone). */
enum { T_RET, T_BLOCK, T_ZONE };

typedef struct target {
  int kind;
  uint32_t action;
  size_t block;
} target;

typedef struct block {
  sf_decision d;
  const sf_sysrules *sys; /* the first syscall with this decision */
  const sf_ruleset *owner; /* its rule set (the arch's argument offsets) */
  uint64_t hash;
  sf_label label;
  int height; /* longest path through its code, -1: not measured yet */
} block;

/* The decision blocks, hash-consed on structure: one pool per section, or
 * one for the whole program when the sections share their blocks. */
typedef struct pool {
  block *blocks;
  size_t n_blocks, cap;
  sf_hash table; /* the blocks, by structure (base/hash.h) */
} pool;

/* A range [lo, next range's lo - 1] (the last one ends at 0xffffffff). */
typedef struct range {
  uint32_t lo;
  target t;
} range;

typedef struct dispatch {
  sf_cg *cg;
  const sf_ruleset *rs; /* the section's primary rule set */
  size_t n_parts;       /* rule sets deciding its numbers (x86_64 and x32) */
  pool *pool;
  range *ranges;
  size_t n_ranges;
  range *zone; /* x32's numbers, searched apart (carve_zone) */
  size_t n_zone;
  uint64_t zone_end; /* the zone is [zone[0].lo, zone_end) */
  const sf_arch *zone_arch; /* whose syscalls weigh the zone's search */
  sf_label zone_label;
} dispatch;

static int target_equal(target a, target b) {
  if (a.kind != b.kind) return 0;
  return a.kind == T_BLOCK ? a.block == b.block
                           : a.kind == T_RET ? a.action == b.action : 1;
}

/* ---- step 1: decision blocks ----------------------------------------- */

/* The target of D: its action if it has no conditions, else its block
 * (shared with every structurally equal decision). */
static int block_is(const void *entry, const void *key) {
  return sf_decision_equal(&((const block *)entry)->d, key);
}

static target intern(dispatch *dp, const sf_sysrules *sys,
                     const sf_decision *d) {
  target t = {0, d->final, 0};
  if (d->n == 0) return t;
  uint64_t h = sf_decision_hash(d);
  pool *pl = dp->pool;
  const block *found = sf_hash_find(&pl->table, h, block_is, d);
  t.kind = T_BLOCK;
  if (found) {
    t.block = (size_t)(found - pl->blocks);
    return t;
  }
  if (pl->n_blocks == pl->cap) { /* sized by the callers: internal */
    dp->cg->failed = 1;
    return t;
  }
  block *bl = &pl->blocks[pl->n_blocks];
  bl->d = *d;
  bl->sys = sys;
  bl->owner = dp->cg->rs;
  bl->hash = h;
  bl->label = sf_label_new(dp->cg->b);
  bl->height = -1;
  if (sf_hash_add(&pl->table, dp->cg->ctx->arena, h, bl) != 0) dp->cg->failed = 1;
  t.block = pl->n_blocks++;
  return t;
}

/* ---- step 2: ranges --------------------------------------------------- */

/* Append [lo, end) with target T (end <= 2^32), merging with the previous
 * range when the behaviour is the same. */
static void add_range(dispatch *dp, uint64_t lo, uint64_t end, target t) {
  if (lo >= end) return;
  if (dp->n_ranges && target_equal(dp->ranges[dp->n_ranges - 1].t, t)) return;
  range *r = &dp->ranges[dp->n_ranges++];
  r->lo = (uint32_t)lo;
  r->t = t;
}

/* A part of a section's number space, and the rule set that decides it
 * (NULL: the numbers belong to no target: the bad-arch action). */
typedef struct interval {
  uint64_t lo, end;
  const sf_ruleset *rs;
} interval;

/* Is [LO, HI] (numbers of another ABI of PRIMARY's AUDIT_ARCH) the own
 * range of RS, i.e. none of it foreign to RS's architecture? */
static int owns(const sf_ruleset *rs, uint64_t lo, uint64_t hi) {
  const sf_arch *a = rs->arch;
  return a->foreign_hi < a->foreign_lo || a->foreign_hi < lo || a->foreign_lo > hi;
}

/* The section's number space, in order: the primary (first) rule set's
 * numbers, and the range of the other ABI that shares its AUDIT_ARCH
 * (x32's numbers beside x86_64's), decided by that ABI's rule set when
 * it is a target (PARTS), else by the bad-arch action.  0xffffffff is
 * never foreign (tracers use -1 to skip a call).  Returns how many. */
static size_t section_intervals(const sf_ruleset *const *parts, size_t n_parts,
                                interval out[3]) {
  const sf_ruleset *rs = parts[0];
  const uint64_t end = (uint64_t)1 << 32;
  uint64_t flo = rs->arch->foreign_lo, fhi = rs->arch->foreign_hi;
  if (fhi > 0xfffffffeu) fhi = 0xfffffffeu;
  if (flo > fhi) {
    out[0] = (interval){0, end, rs};
    return 1;
  }
  const sf_ruleset *other = NULL;
  for (size_t i = 1; i < n_parts && !other; i++)
    if (owns(parts[i], flo, fhi)) other = parts[i];
  size_t n = 0;
  if (flo > 0) out[n++] = (interval){0, flo, rs};
  out[n++] = (interval){flo, fhi + 1, other};
  out[n++] = (interval){fhi + 1, end, rs};
  return n;
}

/* The numbers [LO, END) without rules: RS's default, or (--unknown) its
 * unknown action for those that are no syscall of its table.  0xffffffff
 * keeps the default: tracers use -1 to skip a call. */
static void add_gap(dispatch *dp, const sf_ruleset *rs, uint64_t lo, uint64_t end) {
  const target dflt = {0, rs->default_action, 0};
  if (!rs->has_unknown) {
    add_range(dp, lo, end, dflt);
    return;
  }
  const target unknown = {0, rs->unknown_action, 0};
  const sf_arch *a = rs->arch;
  uint64_t pos = lo;
  for (size_t i = 0; i < a->n_syscalls && pos < end; i++) {
    uint64_t nr = a->by_nr[i]->nr;
    if (nr < pos) continue;
    if (nr >= end) break;
    add_range(dp, pos, nr, unknown);
    add_range(dp, nr, nr + 1, dflt);
    pos = nr + 1;
  }
  uint64_t last = end == ((uint64_t)1 << 32) ? end - 1 : end;
  add_range(dp, pos, last, unknown);
  if (last < end) add_range(dp, last, end, dflt);
}

/* The ranges of interval IV: its rule set's syscalls in it, and the
 * default action between them. */
static int interval_ranges(dispatch *dp, const interval *iv) {
  sf_cg *cg = dp->cg;
  const sf_ruleset *rs = iv->rs;
  if (!rs) {
    add_range(dp, iv->lo, iv->end, (target){0, cg->rs->bad_arch_action, 0});
    return 0;
  }
  const sf_ruleset *primary = cg->rs;
  cg->rs = rs; /* decisions take this rule set's default */
  uint64_t pos = iv->lo;
  for (size_t i = 0; i < rs->n_sys; i++) {
    uint64_t nr = rs->sys[i].nr;
    /* Numbers outside the interval belong to another: the rules of one
     * ABI never decide another ABI's numbers. */
    if (nr < iv->lo || nr >= iv->end) continue;
    sf_decision d;
    if (sf_decision_make(cg, &rs->sys[i], &d) != 0) {
      cg->rs = primary;
      return -1;
    }
    add_gap(dp, rs, pos, nr);
    add_range(dp, nr, nr + 1, intern(dp, &rs->sys[i], &d));
    pos = nr + 1;
  }
  cg->rs = primary;
  add_gap(dp, rs, pos, iv->end);
  return 0;
}

static int build_ranges(dispatch *dp, const sf_ruleset *const *parts, size_t n_parts) {
  sf_cg *cg = dp->cg;
  size_t n_sys = 0;
  for (size_t i = 0; i < n_parts; i++) n_sys += parts[i]->n_sys;
  /* At most: a default gap before each syscall, the syscall, the other
   * ABI's range with its gaps, and the default tail. */
  size_t n_table = 0; /* --unknown splits the gaps at the table's syscalls */
  for (size_t i = 0; i < n_parts; i++)
    if (parts[i]->has_unknown) n_table += parts[i]->arch->n_syscalls;
  dp->ranges = sf_alloc(cg->ctx, (2 * n_sys + 2 * n_table + 7) * sizeof *dp->ranges);
  if (!dp->ranges) return -1;
  interval iv[3];
  size_t n = section_intervals(parts, n_parts, iv);
  for (size_t i = 0; i < n; i++)
    if (interval_ranges(dp, &iv[i]) != 0) return -1;
  return 0;
}

/* ---- step 3: the search tree ------------------------------------------ */

static sf_label target_label(dispatch *dp, target t) {
  if (t.kind == T_ZONE) return dp->zone_label;
  return t.kind == T_BLOCK ? dp->pool->blocks[t.block].label
                           : sf_ret_label(dp->cg, t.action);
}

static int is_single(const dispatch *dp, size_t i) {
  return i + 1 < dp->n_ranges && dp->ranges[i + 1].lo - dp->ranges[i].lo == 1;
}

static void gen_tree(dispatch *dp, size_t lo, size_t hi);

/* The label to go to for numbers in ranges LO..HI: the target itself for
 * one range, else a fresh label for the subtree's node (placed when it is
 * emitted, after its parent). */
static sf_label subtree_label(dispatch *dp, size_t lo, size_t hi) {
  if (lo == hi) return target_label(dp, dp->ranges[lo].t);
  return sf_label_new(dp->cg->b);
}

/* Emit the search over ranges LO..HI (LO < HI): A holds the number, which
 * is known to lie in them. */
static void gen_tree(dispatch *dp, size_t lo, size_t hi) {
  sf_builder *b = dp->cg->b;
  const range *r = dp->ranges;
  /* One number between two ranges of the same behaviour: a single jeq. */
  if (hi - lo == 2 && target_equal(r[lo].t, r[hi].t) && is_single(dp, lo + 1)) {
    sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, r[lo + 1].lo,
                 target_label(dp, r[lo + 1].t), target_label(dp, r[lo].t));
    return;
  }
  size_t mid = lo + (hi - lo + 1) / 2; /* first range of the upper half */
  sf_label below = subtree_label(dp, lo, mid - 1);
  sf_label above = subtree_label(dp, mid, hi);
  sf_builder_jump(b, BPF_JMP | BPF_JGE | BPF_K, r[mid].lo, above, below);
  if (mid - 1 > lo) {
    sf_label_place(b, below);
    gen_tree(dp, lo, mid - 1);
  }
  if (hi > mid) {
    sf_label_place(b, above);
    gen_tree(dp, mid, hi);
  }
}

/* ---- step 3, optimized: a weighted search (search.c) ------------------- */

enum {
  WEIGHT_SCALE = 4096, /* per real syscall; every range also weighs 1, so
                          ranges without syscalls only break ties */
  PATH_SLACK = 6,      /* longest path: a balanced tree's depth + this, */
  SLACK_MIN_DEPTH = 6, /* for searches at least this deep (below that the
                          gain in the mean is small and the worst path
                          matters more) */
  SECOND_ABI_SLACK = 6, /* more room in a section with a second ABI */
  BIG_BLOCK = 32,      /* rules above which a block's height is not measured */
  TALL = 64            /* assumed height of a block not measured */
};

/* Index in the arch's by_nr table of the first syscall with nr >= LO. */
static size_t first_at(const sf_arch *a, uint64_t lo) {
  size_t l = 0, h = a->n_syscalls;
  while (l < h) {
    size_t m = l + (h - l) / 2;
    if (a->by_nr[m]->nr < lo) l = m + 1;
    else h = m;
  }
  return l;
}

enum {
  PROFILE_FLOOR = WEIGHT_SCALE / 64 /* a syscall absent from the profile */
};

/* Prefix sums over ARCH's syscalls in number order of their weights:
 * WEIGHT_SCALE each, or with a profile PROFILE_FLOOR plus its share of
 * WEIGHT_SCALE x the number of syscalls (the same total). */
static uint64_t *syscall_weights(sf_cg *cg, const sf_arch *a) {
  size_t n = a->n_syscalls;
  uint64_t *pre = sf_alloc(cg->ctx, (n + 1) * sizeof *pre);
  uint64_t *cnt = sf_alloc(cg->ctx, (n + 1) * sizeof *cnt);
  if (!pre || !cnt) return NULL;
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t c = sf_profile_count(cg->ctx, a->by_nr[i]->name);
    cnt[i] = c > 0 ? (uint64_t)c : 0;
    total = total + cnt[i] < total ? UINT64_MAX : total + cnt[i];
  }
  /* Scale the counts down so that count x WEIGHT_SCALE x n fits. */
  unsigned shift = 0;
  while ((total >> shift) > ((uint64_t)1 << 32)) shift++;
  total >>= shift;
  pre[0] = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t w = WEIGHT_SCALE;
    if (total > 0)
      w = PROFILE_FLOOR + (cnt[i] >> shift) * WEIGHT_SCALE * n / total;
    pre[i + 1] = pre[i] + w;
  }
  return pre;
}

/* Longest path through block I's code, measured on a scratch builder. */
static int block_height(dispatch *dp, size_t i) {
  sf_cg *cg = dp->cg;
  block *bl = &dp->pool->blocks[i];
  if (bl->height >= 0) return bl->height;
  bl->height = TALL;
  if (bl->d.n > BIG_BLOCK) return TALL;
  sf_builder *tmp = sf_builder_new(cg->ctx);
  if (!tmp) return TALL;
  sf_cg scratch;
  sf_cg_open(&scratch, cg->ctx, bl->owner, tmp);
  sf_code_decision(&scratch, &bl->d);
  size_t h = sf_builder_longest(tmp, 0);
  if (!scratch.failed && h <= TALL) bl->height = (int)h;
  return bl->height;
}

/* One search's input: segments for search.c, whose targets 0..n_blocks-1
 * are the blocks, then one id per RET action (and the zone) in order of
 * first appearance; labels[id] is where a target's code is. */
typedef struct seg_set {
  sf_search_seg *seg;
  size_t n;
  sf_label *labels;
  size_t n_ids;
  uint64_t end; /* where the last segment ends */
} seg_set;

/* Target ids and heights of the targets of R[0..N), weighted by ARCH's
 * syscalls; ZONE_HEIGHT is the height of the zone's code. */
static int make_segments(dispatch *dp, const range *r, size_t n, uint64_t end,
                         const sf_arch *arch, int zone_height, seg_set *out) {
  sf_cg *cg = dp->cg;
  size_t nb = dp->pool->n_blocks;
  out->seg = sf_alloc(cg->ctx, n * sizeof *out->seg);
  out->labels = sf_alloc(cg->ctx, (nb + n) * sizeof *out->labels);
  uint64_t *sw = syscall_weights(cg, arch);
  if (!out->seg || !out->labels || !sw) return -1;
  out->n = n;
  out->end = end;
  for (size_t i = 0; i < nb; i++) out->labels[i] = dp->pool->blocks[i].label;
  size_t n_ids = nb;
  for (size_t i = 0; i < n; i++) {
    uint64_t e = i + 1 < n ? r[i + 1].lo : end;
    sf_search_seg *sg = &out->seg[i];
    sg->lo = r[i].lo;
    sg->weight = sw[first_at(arch, e)] - sw[first_at(arch, r[i].lo)] + 1;
    if (r[i].t.kind == T_BLOCK) {
      sg->target = (int)r[i].t.block;
      sg->height = block_height(dp, r[i].t.block); /* measured once, cached */
      continue;
    }
    sf_label l = target_label(dp, r[i].t);
    size_t id = nb;
    while (id < n_ids && out->labels[id] != l) id++;
    if (id == n_ids) out->labels[n_ids++] = l;
    sg->target = (int)id;
    sg->height = r[i].t.kind == T_ZONE ? zone_height : 1;
  }
  out->n_ids = n_ids;
  return 0;
}

/* Build the search over SS, its longest path bounded as everywhere: a
 * balanced tree's depth plus slack (SLACK more for a second ABI). */
static int build_search(dispatch *dp, const seg_set *ss, int slack, sf_search *tree) {
  int depth = 1;
  while (((size_t)1 << depth) < ss->n) depth++;
  if (depth >= SLACK_MIN_DEPTH) slack += PATH_SLACK;
  sf_search_opts opts = {depth + 1 + slack, 0};
  return sf_search_build(dp->cg->ctx, ss->seg, ss->n, &opts, tree);
}

/* ---- x32's numbers ---------------------------------------------------- */

/* The numbers of a section that the kernel's action cache never holds:
 * x32's.  The cache's bitmaps cover the native and the compat ABI's
 * numbers below their syscall counts (kernel/seccomp.c,
 * seccomp_cache_check_allow_bitmap: a number at or above the bitmap's size
 * always runs the filter), and x32's numbers carry __X32_SYSCALL_BIT,
 * 0x40000000 (arch/x86/include/uapi/asm/unistd.h).  x32 is the one ABI
 * sharing an AUDIT_ARCH with another (arch.h's foreign range), on either
 * side of it.  -1 (which is not x32's: tracers use it to skip a call) is
 * never cached either; it joins the zone when it does what the zone's last
 * numbers do.  The zone's code may use what the cache cannot evaluate:
 * bit-table windows (window.h). */
static int uncached_zone(const sf_arch *a, uint64_t *lo, uint64_t *end) {
  if (a->foreign_hi < a->foreign_lo) return 0;
  *lo = a->foreign_lo > 0 ? a->foreign_lo : (uint64_t)a->foreign_hi + 1;
  *end = 0xffffffffu;
  return 1;
}

enum { ZONE_MIN = 6 }; /* ranges in the zone worth a search of its own */

/* Move the ranges of the uncached zone into dp->zone, leaving one T_ZONE
 * range in their place: x32's numbers get a search of their own, where
 * windows may decide them. */
static int carve_zone(dispatch *dp, const sf_ruleset *const *parts, size_t n_parts) {
  uint64_t zlo, zend;
  if (dp->cg->ctx->opt_level == 0 || !uncached_zone(dp->rs->arch, &zlo, &zend)) return 0;
  size_t n = dp->n_ranges, first = n, inside = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t lo = dp->ranges[i].lo, e = i + 1 < n ? dp->ranges[i + 1].lo : (uint64_t)1 << 32;
    if (e <= zlo || lo >= zend) continue;
    if (first == n) first = i;
    inside++;
  }
  if (inside < ZONE_MIN) return 0;
  range *zone = sf_alloc(dp->cg->ctx, inside * sizeof *zone);
  range *rest = sf_alloc(dp->cg->ctx, (n - inside + 3) * sizeof *rest);
  if (!zone || !rest) return -1;
  size_t nr = 0;
  for (size_t i = 0; i < first; i++) rest[nr++] = dp->ranges[i];
  for (size_t k = 0; k < inside; k++) {
    zone[k] = dp->ranges[first + k];
    if (zone[k].lo < zlo) zone[k].lo = (uint32_t)zlo; /* straddles the start */
  }
  /* A range straddling the start keeps its part below it. */
  if (dp->ranges[first].lo < zlo) rest[nr++] = dp->ranges[first];
  rest[nr++] = (range){(uint32_t)zlo, {T_ZONE, 0, 0}};
  /* The range holding zend (-1) continues after the zone, unless it is
   * the zone's last: then -1 is left in it, saving a test. */
  size_t last = first + inside - 1;
  uint64_t last_end = last + 1 < n ? dp->ranges[last + 1].lo : (uint64_t)1 << 32;
  dp->zone_end = last_end > zend ? (uint64_t)1 << 32 : zend;
  for (size_t i = last + 1; i < n; i++) rest[nr++] = dp->ranges[i];
  dp->zone = zone;
  dp->n_zone = inside;
  dp->ranges = rest;
  dp->n_ranges = nr;
  dp->zone_label = sf_label_new(dp->cg->b);
  dp->zone_arch = dp->rs->arch;
  for (size_t i = 0; i < n_parts; i++)
    if (!sf_arch_nr_is_foreign(parts[i]->arch, (uint32_t)zlo)) {
      dp->zone_arch = parts[i]->arch;
      break;
    }
  return 0;
}
/* The zone's search, with windows where they make the code smaller. */
typedef struct zone_plan {
  seg_set ss;
  sf_search tree;
  sf_window *win;
  size_t n_win;
  sf_label *win_labels;
  int height; /* longest path through the zone's code */
} zone_plan;

/* Instructions of the windows' code: ld and ja each (the last of a group
 * falls through), rsh and jset per group. */
static size_t windows_size(const sf_window *w, size_t n) {
  size_t groups = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < i && (w[j].one != w[i].one || w[j].zero != w[i].zero)) j++;
    groups += j == i;
  }
  return 2 * n + groups;
}

/* PLAIN's segments with each window's merged into one of target
 * n_ids + w (its label new), into OUT. */
static int merge_windows(dispatch *dp, const seg_set *plain, const int *cover,
                         zone_plan *zp, seg_set *out) {
  sf_cg *cg = dp->cg;
  *out = *plain;
  out->seg = sf_alloc(cg->ctx, plain->n * sizeof *out->seg);
  out->labels = sf_alloc(cg->ctx, (plain->n_ids + zp->n_win) * sizeof *out->labels);
  zp->win_labels = sf_alloc(cg->ctx, zp->n_win * sizeof *zp->win_labels);
  int *h = sf_alloc(cg->ctx, plain->n_ids * sizeof *h);
  if (!out->seg || !out->labels || !zp->win_labels || !h) return -1;
  memcpy(out->labels, plain->labels, plain->n_ids * sizeof *out->labels);
  for (size_t i = 0; i < plain->n; i++) h[plain->seg[i].target] = plain->seg[i].height;
  for (size_t w = 0; w < zp->n_win; w++) {
    zp->win_labels[w] = sf_label_new(cg->b);
    out->labels[plain->n_ids + w] = zp->win_labels[w];
  }
  out->n_ids = plain->n_ids + zp->n_win;
  size_t n = 0;
  for (size_t i = 0; i < plain->n; i++) {
    int w = cover[i];
    if (w >= 0 && i > 0 && cover[i - 1] == w) {
      out->seg[n - 1].weight += plain->seg[i].weight;
      continue;
    }
    out->seg[n] = plain->seg[i];
    if (w >= 0) {
      const sf_window *win = &zp->win[w];
      int th = h[win->one] > h[win->zero] ? h[win->one] : h[win->zero];
      out->seg[n].target = (int)plain->n_ids + w;
      out->seg[n].height = SF_WINDOW_HEIGHT + th;
    }
    n++;
  }
  out->n = n;
  return 0;
}

/* Windows planned with COST (sf_window_plan) into CAND; *SIZE: the zone's
 * instructions with them (SIZE_MAX: none planned). */
static int try_windows(dispatch *dp, const seg_set *plain, size_t cost, zone_plan *cand,
                       size_t *size) {
  sf_cg *cg = dp->cg;
  const size_t prologue = 3;
  *cand = (zone_plan){0};
  *size = SIZE_MAX;
  cand->win = sf_alloc(cg->ctx, plain->n * sizeof *cand->win);
  int *cover = sf_alloc(cg->ctx, plain->n * sizeof *cover);
  if (!cand->win || !cover) return -1;
  cand->n_win = sf_window_plan(cg->ctx, plain->seg, plain->n, plain->end, cost,
                               cand->win, cover);
  if (cand->n_win == 0) return cg->ctx->out_of_memory ? -1 : 0;
  if (merge_windows(dp, plain, cover, cand, &cand->ss) != 0 ||
      build_search(dp, &cand->ss, 0, &cand->tree) != 0)
    return -1;
  cand->height = cand->tree.height + (int)prologue;
  *size = cand->tree.tests + windows_size(cand->win, cand->n_win) + prologue;
  return 0;
}

enum { MIN_WINDOW_COST = 2, MAX_WINDOW_COST = 3 };

/* The zone's search: plain, or with the windows that make it smallest. */
static int plan_zone(dispatch *dp, const sf_arch *arch, zone_plan *zp) {
  seg_set plain;
  memset(zp, 0, sizeof *zp);
  if (make_segments(dp, dp->zone, dp->n_zone, dp->zone_end, arch, 0, &plain) != 0 ||
      build_search(dp, &plain, 0, &zp->tree) != 0)
    return -1;
  zp->ss = plain;
  zp->height = zp->tree.height;
  size_t best = zp->tree.tests;
  for (size_t cost = MIN_WINDOW_COST; cost <= MAX_WINDOW_COST; cost++) {
    zone_plan cand;
    size_t size;
    if (try_windows(dp, &plain, cost, &cand, &size) != 0) return -1;
    if (size < best) {
      best = size;
      *zp = cand;
    }
  }
  return 0;
}

static void gen_search(dispatch *dp) {
  sf_cg *cg = dp->cg;
  zone_plan zp;
  seg_set ss;
  sf_search tree;
  memset(&zp, 0, sizeof zp);
  /* A second ABI's numbers (x32 beside x86_64) are rare: room for them to
   * sit deeper than the native ones rather than above them, unless they
   * have a search of their own. */
  int slack = dp->n_parts > 1 && dp->n_zone == 0 ? SECOND_ABI_SLACK : 0;
  if ((dp->n_zone && plan_zone(dp, dp->zone_arch, &zp) != 0) ||
      make_segments(dp, dp->ranges, dp->n_ranges, (uint64_t)1 << 32, cg->rs->arch,
                    zp.height, &ss) != 0 ||
      build_search(dp, &ss, slack, &tree) != 0) {
    cg->failed = 1;
    return;
  }
  sf_search_code(cg->b, &tree, ss.labels);
  if (dp->n_zone == 0) return;
  sf_label_place(cg->b, dp->zone_label);
  if (zp.n_win) sf_window_prologue(cg->b);
  sf_search_code(cg->b, &zp.tree, zp.ss.labels);
  if (zp.n_win &&
      sf_window_code(cg->ctx, cg->b, zp.win, zp.n_win, zp.win_labels, zp.ss.labels) != 0)
    cg->failed = 1;
}

/* ---- the program ------------------------------------------------------ */

/* The blocks of PL, each with its rule set's argument offsets. */
static void gen_blocks(sf_cg *cg, const pool *pl) {
  const sf_ruleset *keep = cg->rs;
  for (size_t i = 0; i < pl->n_blocks && !cg->too_long; i++) {
    cg->rs = pl->blocks[i].owner;
    sf_label_place(cg->b, pl->blocks[i].label);
    sf_code_decision(cg, &pl->blocks[i].d);
  }
  cg->rs = keep;
}

/* One section: the code for one AUDIT_ARCH, with A holding
 * seccomp_data.arch on entry and the check that it is this section's
 * already made (CHECKED) or still to make (then a mismatch goes to the
 * bad-arch action).  Its decision blocks follow its search unless the
 * sections share theirs (SHARED). */
static void gen_section(dispatch *dp, int checked, int shared) {
  sf_cg *cg = dp->cg;
  sf_builder *b = cg->b;
  const sf_ruleset *rs = cg->rs;
  if (dp->n_ranges == 1) {
    /* One action for every number (no other ABI's range, no conditions:
     * blocks need at least two ranges around them). */
    uint32_t action = dp->ranges[0].t.action;
    if (!checked && action != rs->bad_arch_action)
      sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, rs->arch->audit_arch,
                      SF_NO_LABEL, sf_ret_label(cg, rs->bad_arch_action));
    sf_builder_op(b, BPF_RET | BPF_K, action);
    return;
  }
  if (!checked)
    sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, rs->arch->audit_arch, SF_NO_LABEL,
                    sf_ret_label(cg, rs->bad_arch_action));
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, SF_OFF_NR);
  if (cg->ctx->opt_level > 0) gen_search(dp);
  else gen_tree(dp, 0, dp->n_ranges - 1);
  if (!shared) gen_blocks(cg, dp->pool);
}

/* The sections in the order of the targets: the first AUDIT_ARCH check
 * falls through to the native section, each other one jumps ahead to its
 * section, and the last check's mismatch is the bad-arch action.  Each
 * section ends with its blocks and the RETs it jumps to, or (SHARED) all
 * of them follow the last section, once. */
static void gen_program(dispatch *dps, size_t n, int shared) {
  sf_cg *cg = dps[0].cg;
  sf_builder *b = cg->b;
  /* One action for everything, foreign architectures included: no check. */
  int uniform = n == 1 && dps[0].n_ranges == 1 &&
                dps[0].ranges[0].t.action == dps[0].rs->bad_arch_action;
  if (!uniform) sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, SF_OFF_ARCH);
  sf_label next = SF_NO_LABEL;
  for (size_t i = 0; i < n && !cg->too_long; i++) {
    if (next != SF_NO_LABEL) sf_label_place(b, next);
    cg->rs = dps[i].rs;
    if (i + 1 < n) {
      /* Not this one's AUDIT_ARCH: try the next section's. */
      next = sf_label_new(b);
      sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, cg->rs->arch->audit_arch,
                      SF_NO_LABEL, next);
    }
    gen_section(&dps[i], i + 1 < n, shared);
    if (i + 1 < n && !shared) {
      sf_cg_place_rets(cg);
      cg->n_rets = 0;
    }
  }
  cg->rs = dps[0].rs;
  if (shared) gen_blocks(cg, dps[0].pool);
  sf_cg_place_rets(cg);
}

/* Group RS by AUDIT_ARCH in target order: SECTION[i] holds the indexes of
 * the rule sets of the i-th AUDIT_ARCH.  Returns the number of sections. */
static size_t group_sections(const sf_ruleset *const *rs, size_t n,
                             size_t members[][SF_MAX_TARGETS], size_t *counts) {
  size_t n_sections = 0;
  for (size_t i = 0; i < n; i++) {
    size_t s = 0;
    while (s < n_sections && rs[members[s][0]]->arch->audit_arch != rs[i]->arch->audit_arch)
      s++;
    if (s == n_sections) counts[n_sections++] = 0;
    members[s][counts[s]++] = i;
  }
  return n_sections;
}

static int check_finished(sysfence_ctx *ctx, sf_cg *cg, sf_builder *b) {
  if (cg->too_long && !cg->failed && !ctx->out_of_memory) {
    sf_error(ctx, (sf_loc){0}, "the program has over %zu instructions; the "
             "kernel's limit is %d (BPF_MAXINSNS)", sf_builder_size(b),
             SF_BPF_MAXINSNS);
    return -1;
  }
  if (cg->failed || ctx->out_of_memory) {
    if (!ctx->out_of_memory) sf_error(ctx, (sf_loc){0}, "internal error in code generation");
    return -1;
  }
  return 0;
}

/* A pool for N_SYS syscalls' blocks. */
static pool *new_pool(sysfence_ctx *ctx, size_t n_sys) {
  pool *pl = sf_alloc(ctx, sizeof *pl);
  if (!pl) return NULL;
  memset(pl, 0, sizeof *pl);
  pl->cap = n_sys + 1;
  pl->blocks = sf_alloc(ctx, pl->cap * sizeof *pl->blocks);
  return pl->blocks ? pl : NULL;
}

/* The program for RS[0..N), sections laid out as SHARED says (see
 * gen_program); *EMITTED: its instructions before the trampolines that the
 * builder adds for jumps beyond 255 instructions. */
static int build_program(sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                         int shared, struct sock_filter **out, size_t *len,
                         size_t *emitted) {
  sf_builder *b = sf_builder_new(ctx);
  if (!b) return -1;
  sf_cg cg;
  sf_cg_open(&cg, ctx, rs[0], b);
  size_t members[SF_MAX_TARGETS][SF_MAX_TARGETS], counts[SF_MAX_TARGETS];
  size_t n_sections = group_sections(rs, n, members, counts);
  dispatch dps[SF_MAX_TARGETS];
  memset(dps, 0, sizeof dps);
  size_t n_sys = 0;
  for (size_t i = 0; i < n; i++) n_sys += rs[i]->n_sys;
  pool *common = shared ? new_pool(ctx, n_sys) : NULL;
  for (size_t s = 0; s < n_sections; s++) {
    const sf_ruleset *parts[SF_MAX_TARGETS] = {0};
    size_t section_sys = 0;
    for (size_t k = 0; k < counts[s]; k++) {
      parts[k] = rs[members[s][k]];
      section_sys += parts[k]->n_sys;
    }
    dps[s].cg = &cg;
    dps[s].rs = parts[0];
    dps[s].n_parts = counts[s];
    dps[s].pool = shared ? common : new_pool(ctx, section_sys);
    cg.rs = parts[0];
    if (!dps[s].pool || build_ranges(&dps[s], parts, counts[s]) != 0 ||
        carve_zone(&dps[s], parts, counts[s]) != 0)
      return -1;
  }
  gen_program(dps, n_sections, shared);
  if (check_finished(ctx, &cg, b) != 0) return -1;
  *emitted = sf_builder_size(b);
  return sf_builder_finish(b, out, len);
}

/* Several sections: their blocks and RETs once, after the last section,
 * when every jump reaches its target without a trampoline (which would
 * cost the calls on its way an instruction): that program is never larger,
 * sharing only removes duplicates.  Else each section with its own, within
 * reach, unless that is no smaller either. */
int sf_codegen_targets(struct sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                       struct sock_filter **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (n == 0 || n > SF_MAX_TARGETS) return -1;
  size_t members[SF_MAX_TARGETS][SF_MAX_TARGETS], counts[SF_MAX_TARGETS];
  int share = ctx->opt_level > 0 && group_sections(rs, n, members, counts) > 1;
  size_t emitted;
  if (build_program(ctx, rs, n, share, out, len, &emitted) != 0) return -1;
  if (!share || *len == emitted) return 0;
  struct sock_filter *alt;
  size_t alt_len, alt_emitted;
  if (build_program(ctx, rs, n, 0, &alt, &alt_len, &alt_emitted) != 0) {
    free(*out);
    *out = NULL;
    *len = 0;
    return -1;
  }
  if (alt_len <= *len) {
    free(*out);
    *out = alt;
    *len = alt_len;
  } else {
    free(alt);
  }
  return 0;
}

int sf_codegen(struct sysfence_ctx *ctx, const sf_ruleset *rs,
               struct sock_filter **out, size_t *len) {
  return sf_codegen_targets(ctx, &rs, 1, out, len);
}
