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

/* What a range of syscall numbers does. */
typedef struct target {
  int is_block;    /* 1: run block `block`, 0: RET `action` */
  uint32_t action;
  size_t block;
} target;

typedef struct block {
  sf_decision d;
  const sf_sysrules *sys; /* the first syscall with this decision */
  uint64_t hash;
  sf_label label;
} block;

/* A range [lo, next range's lo - 1] (the last one ends at 0xffffffff). */
typedef struct range {
  uint32_t lo;
  target t;
} range;

typedef struct dispatch {
  sf_cg *cg;
  const sf_ruleset *rs; /* the section's primary rule set */
  size_t n_parts;       /* rule sets deciding its numbers (x86_64 and x32) */
  block *blocks;
  size_t n_blocks;
  sf_hash table; /* the blocks, by structure (base/hash.h) */
  range *ranges;
  size_t n_ranges;
} dispatch;

static int target_equal(target a, target b) {
  if (a.is_block != b.is_block) return 0;
  return a.is_block ? a.block == b.block : a.action == b.action;
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
  const block *found = sf_hash_find(&dp->table, h, block_is, d);
  t.is_block = 1;
  if (found) {
    t.block = (size_t)(found - dp->blocks);
    return t;
  }
  block *bl = &dp->blocks[dp->n_blocks];
  bl->d = *d;
  bl->sys = sys;
  bl->hash = h;
  bl->label = sf_label_new(dp->cg->b);
  if (sf_hash_add(&dp->table, dp->cg->ctx->arena, h, bl) != 0) dp->cg->failed = 1;
  t.block = dp->n_blocks++;
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
  dp->blocks = sf_alloc(cg->ctx, (n_sys + 1) * sizeof *dp->blocks);
  if (!dp->ranges || !dp->blocks) return -1;
  interval iv[3];
  size_t n = section_intervals(parts, n_parts, iv);
  for (size_t i = 0; i < n; i++)
    if (interval_ranges(dp, &iv[i]) != 0) return -1;
  return 0;
}

/* ---- step 3: the search tree ------------------------------------------ */

static sf_label target_label(dispatch *dp, target t) {
  return t.is_block ? dp->blocks[t.block].label
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
  PATH_SLACK = 4,      /* longest path: a balanced tree's depth + this, */
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

/* Prefix sums over the arch's syscalls in number order of their weights:
 * WEIGHT_SCALE each, or with a profile PROFILE_FLOOR plus its share of
 * WEIGHT_SCALE x the number of syscalls (the same total). */
static uint64_t *syscall_weights(dispatch *dp) {
  sf_cg *cg = dp->cg;
  const sf_arch *a = cg->rs->arch;
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
  if (dp->blocks[i].d.n > BIG_BLOCK) return TALL;
  sf_builder *tmp = sf_builder_new(cg->ctx);
  if (!tmp) return TALL;
  sf_cg scratch;
  sf_cg_open(&scratch, cg->ctx, cg->rs, tmp);
  sf_code_decision(&scratch, &dp->blocks[i].d);
  size_t h = sf_builder_longest(tmp, 0);
  return scratch.failed || h > TALL ? TALL : (int)h;
}

/* Segments for search.c: targets 0..n_blocks-1 are the blocks, then one id
 * per RET action in order of first appearance; LABELS gets their labels. */
static sf_search_seg *make_segments(dispatch *dp, sf_label **labels) {
  sf_cg *cg = dp->cg;
  size_t n = dp->n_ranges, nb = dp->n_blocks;
  sf_search_seg *seg = sf_alloc(cg->ctx, n * sizeof *seg);
  int *heights = sf_alloc(cg->ctx, (nb + 1) * sizeof *heights);
  *labels = sf_alloc(cg->ctx, (nb + n) * sizeof **labels);
  uint64_t *sw = syscall_weights(dp);
  if (!seg || !heights || !*labels || !sw) return NULL;
  const sf_arch *arch = cg->rs->arch;
  for (size_t i = 0; i < nb; i++) {
    heights[i] = block_height(dp, i);
    (*labels)[i] = dp->blocks[i].label;
  }
  size_t n_ids = nb;
  for (size_t i = 0; i < n; i++) {
    const range *r = &dp->ranges[i];
    uint64_t end = i + 1 < n ? dp->ranges[i + 1].lo : (uint64_t)1 << 32;
    seg[i].lo = r->lo;
    seg[i].weight = sw[first_at(arch, end)] - sw[first_at(arch, r->lo)] + 1;
    if (r->t.is_block) {
      seg[i].target = (int)r->t.block;
      seg[i].height = heights[r->t.block];
      continue;
    }
    sf_label l = sf_ret_label(cg, r->t.action);
    size_t id = nb;
    while (id < n_ids && (*labels)[id] != l) id++;
    if (id == n_ids) (*labels)[n_ids++] = l;
    seg[i].target = (int)id;
    seg[i].height = 1;
  }
  return seg;
}

static void gen_search(dispatch *dp) {
  sf_cg *cg = dp->cg;
  sf_label *labels;
  sf_search_seg *seg = make_segments(dp, &labels);
  sf_search tree;
  int depth = 1;
  while (((size_t)1 << depth) < dp->n_ranges) depth++;
  int slack = depth >= SLACK_MIN_DEPTH ? PATH_SLACK : 0;
  /* A second ABI's numbers (x32 beside x86_64) are rare: room for them to
   * sit deeper than the native ones rather than above them. */
  if (dp->n_parts > 1) slack += SECOND_ABI_SLACK;
  sf_search_opts opts = {depth + 1 + slack, 0};
  if (!seg || sf_search_build(cg->ctx, seg, dp->n_ranges, &opts, &tree) != 0) {
    cg->failed = 1;
    return;
  }
  sf_search_code(cg->b, &tree, labels);
}

/* ---- the program ------------------------------------------------------ */

/* One section: the code for one AUDIT_ARCH, with A holding
 * seccomp_data.arch on entry and the check that it is this section's
 * already made (CHECKED) or still to make (then a mismatch goes to the
 * bad-arch action).  Its decision blocks follow its search. */
static void gen_section(dispatch *dp, int checked) {
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
  for (size_t i = 0; i < dp->n_blocks && !cg->too_long; i++) {
    sf_label_place(b, dp->blocks[i].label);
    sf_code_decision(cg, &dp->blocks[i].d);
  }
}

/* The sections in the order of the targets: the first AUDIT_ARCH check
 * falls through to the native section, each other one jumps ahead to its
 * section, and the last check's mismatch is the bad-arch action. */
static void gen_program(dispatch *dps, size_t n) {
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
    gen_section(&dps[i], i + 1 < n);
    /* Each section ends with the RETs it jumps to: one shared set at the
     * end of a long program would be out of reach of 8-bit jump offsets,
     * and every trampoline on the way costs each call an instruction. */
    if (i + 1 < n) {
      sf_cg_place_rets(cg);
      cg->n_rets = 0;
    }
  }
  cg->rs = dps[0].rs;
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

int sf_codegen_targets(struct sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                       struct sock_filter **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (n == 0 || n > SF_MAX_TARGETS) return -1;
  sf_builder *b = sf_builder_new(ctx);
  if (!b) return -1;
  sf_cg cg;
  sf_cg_open(&cg, ctx, rs[0], b);
  size_t members[SF_MAX_TARGETS][SF_MAX_TARGETS], counts[SF_MAX_TARGETS];
  size_t n_sections = group_sections(rs, n, members, counts);
  dispatch dps[SF_MAX_TARGETS];
  memset(dps, 0, sizeof dps);
  for (size_t s = 0; s < n_sections; s++) {
    const sf_ruleset *parts[SF_MAX_TARGETS] = {0};
    for (size_t k = 0; k < counts[s]; k++) parts[k] = rs[members[s][k]];
    dps[s].cg = &cg;
    dps[s].rs = parts[0];
    dps[s].n_parts = counts[s];
    cg.rs = parts[0];
    if (build_ranges(&dps[s], parts, counts[s]) != 0) return -1;
  }
  gen_program(dps, n_sections);
  if (check_finished(ctx, &cg, b) != 0) return -1;
  return sf_builder_finish(b, out, len);
}

int sf_codegen(struct sysfence_ctx *ctx, const sf_ruleset *rs,
               struct sock_filter **out, size_t *len) {
  return sf_codegen_targets(ctx, &rs, 1, out, len);
}
