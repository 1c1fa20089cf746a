/* builder.c - BPF assembly with symbolic labels (see bpf.h).
 *
 * Instructions are recorded with label ids instead of offsets.  At the end
 * the labels are resolved to instruction indexes, conditional jumps whose
 * target is more than 255 instructions ahead get a JA trampoline right after
 * them, and the offsets are written out.
 *
 * No optimisation happens here: the program comes out exactly as emitted,
 * plus the trampolines that make it encodable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/bpf.h"
#include "base/context.h"
#include "base/diag.h"

enum { JUMP_MAX = 255 }; /* jt/jf are 8 bits */

/* A label placed nowhere yet. */
#define UNPLACED ((size_t)-1)

typedef struct binsn {
  uint16_t code;
  uint32_t k;
  sf_label jt, jf; /* conditional jumps: targets; JA: jt is the target */
} binsn;

struct sf_builder {
  struct sysfence_ctx *ctx;
  binsn *insns;
  size_t n, cap;
  size_t *labels; /* label -> index of the instruction it marks */
  size_t n_labels, cap_labels;
  int failed;       /* out of memory while growing */
  int placed_twice; /* a label was placed more than once: internal error */
};

static const sf_loc NO_LOC = {NULL, 0, 0};

sf_builder *sf_builder_new(struct sysfence_ctx *ctx) {
  sf_builder *b = sf_alloc(ctx, sizeof *b);
  if (b) b->ctx = ctx;
  return b;
}

/* Make room for one more element in an arena array; 0 or -1. */
static int reserve(sf_builder *b, void **arr, size_t *cap, size_t n,
                   size_t elem) {
  if (n < *cap) return 0;
  size_t new_cap = *cap ? *cap * 2 : 64;
  if (new_cap > SIZE_MAX / elem) return -1;
  void *p = sf_alloc(b->ctx, new_cap * elem);
  if (!p) return -1;
  if (*arr) memcpy(p, *arr, n * elem);
  *arr = p;
  *cap = new_cap;
  return 0;
}

sf_label sf_label_new(sf_builder *b) {
  if (!b || b->failed) return 0;
  if (b->n_labels >= INT32_MAX ||
      reserve(b, (void **)&b->labels, &b->cap_labels, b->n_labels,
              sizeof *b->labels) != 0) {
    b->failed = 1;
    return 0;
  }
  b->labels[b->n_labels] = UNPLACED;
  return (sf_label)b->n_labels++;
}

void sf_label_place(sf_builder *b, sf_label label) {
  if (!b || b->failed) return;
  if (label < 0 || (size_t)label >= b->n_labels ||
      b->labels[label] != UNPLACED) {
    b->placed_twice = 1; /* reported by sf_builder_finish */
    return;
  }
  b->labels[label] = b->n;
}

static void append(sf_builder *b, uint16_t code, uint32_t k, sf_label jt,
                   sf_label jf) {
  if (!b || b->failed) return;
  if (reserve(b, (void **)&b->insns, &b->cap, b->n, sizeof *b->insns) != 0) {
    b->failed = 1;
    return;
  }
  b->insns[b->n++] = (binsn){code, k, jt, jf};
}

void sf_builder_op(sf_builder *b, uint16_t code, uint32_t k) {
  append(b, code, k, SF_NO_LABEL, SF_NO_LABEL);
}

void sf_builder_jump(sf_builder *b, uint16_t code, uint32_t k, sf_label jt,
                  sf_label jf) {
  append(b, code, k, jt, jf);
}

void sf_builder_ja(sf_builder *b, sf_label target) {
  append(b, BPF_JMP | BPF_JA, 0, target, SF_NO_LABEL);
}

size_t sf_builder_size(const sf_builder *b) { return b ? b->n : 0; }

/* ---- finishing ------------------------------------------------------ */

static int is_cond_jump(uint16_t code);
static int is_ja(uint16_t code);

/* Longest path from instruction I to a RET, given L[] for later ones. */
static size_t path_via(const sf_builder *b, const size_t *l, size_t i,
                       sf_label label) {
  size_t at = label == SF_NO_LABEL ? i + 1
              : label >= 0 && (size_t)label < b->n_labels ? b->labels[label]
                                                          : UNPLACED;
  if (at == UNPLACED || at <= i || at >= b->n) return 1; /* a later RET */
  return l[at];
}

size_t sf_builder_longest(sf_builder *b, size_t from) {
  if (!b || b->failed || from >= b->n) return 0;
  size_t *l = sf_alloc(b->ctx, b->n * sizeof *l);
  if (!l) {
    b->failed = 1;
    return 0;
  }
  for (size_t i = b->n; i-- > from;) {
    const binsn *in = &b->insns[i];
    size_t a = 0, c = 0;
    if (BPF_CLASS(in->code) == BPF_RET) {
      l[i] = 1;
      continue;
    }
    if (is_ja(in->code)) {
      a = path_via(b, l, i, in->jt);
    } else if (is_cond_jump(in->code)) {
      a = path_via(b, l, i, in->jt);
      c = path_via(b, l, i, in->jf);
    } else {
      a = path_via(b, l, i, SF_NO_LABEL);
    }
    l[i] = 1 + (a > c ? a : c);
  }
  return l[from];
}

static int is_cond_jump(uint16_t code) {
  return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

static int is_ja(uint16_t code) { return code == (BPF_JMP | BPF_JA); }

/* Index of the instruction LABEL marks, as seen from instruction I; sets
 * *out or records an internal error. */
static int resolve(sf_builder *b, size_t i, sf_label label, size_t *out) {
  if (label == SF_NO_LABEL) {
    *out = i + 1;
  } else if (label < 0 || (size_t)label >= b->n_labels) {
    sf_error(b->ctx, NO_LOC, "internal error: instruction %zu jumps to "
             "unknown label %d", i, label);
    return -1;
  } else if (b->labels[label] == UNPLACED) {
    sf_error(b->ctx, NO_LOC, "internal error: instruction %zu jumps to "
             "label %d, which was never placed", i, label);
    return -1;
  } else {
    *out = b->labels[label];
  }
  if (*out <= i) {
    sf_error(b->ctx, NO_LOC, "internal error: instruction %zu jumps "
             "backwards (to %zu)", i, *out);
    return -1;
  }
  if (*out >= b->n) {
    sf_error(b->ctx, NO_LOC, "internal error: instruction %zu jumps past "
             "the end of the program", i);
    return -1;
  }
  return 0;
}

/* Resolved targets of every instruction: tgt[2*i] (jt or JA target) and
 * tgt[2*i+1] (jf), original indexes; unused for straight-line code. */
static size_t *resolve_all(sf_builder *b) {
  if (b->placed_twice) {
    sf_error(b->ctx, NO_LOC, "internal error: a BPF label was placed twice "
             "or does not exist");
    return NULL;
  }
  size_t *tgt = sf_alloc(b->ctx, b->n * 2 * sizeof *tgt);
  if (!tgt) return NULL;
  for (size_t i = 0; i < b->n; i++) {
    const binsn *in = &b->insns[i];
    if (is_ja(in->code)) {
      if (resolve(b, i, in->jt, &tgt[2 * i]) != 0) return NULL;
    } else if (is_cond_jump(in->code)) {
      if (resolve(b, i, in->jt, &tgt[2 * i]) != 0 ||
          resolve(b, i, in->jf, &tgt[2 * i + 1]) != 0)
        return NULL;
    }
  }
  return tgt;
}

/* Which targets of a conditional jump go through a trampoline. */
enum { TRAMP_JT = 1, TRAMP_JF = 2, TRAMP_SHARED = 4 };

static size_t tramp_count(unsigned flags) {
  if (flags & TRAMP_SHARED) return 1;
  return (size_t)((flags & TRAMP_JT) != 0) + ((flags & TRAMP_JF) != 0);
}

/* Decide the trampolines of conditional jump I, whose targets lie at
 * DIST_JT/DIST_JF instructions after it not counting its own trampolines.
 * Its own trampolines sit between it and both targets, so adding one can
 * push the other target out of reach: repeat until stable (at most three
 * rounds, since flags only ever get added). */
static unsigned plan_jump(size_t dist_jt, size_t dist_jf, int same_target) {
  unsigned flags = 0;
  for (;;) {
    size_t own = tramp_count(flags);
    unsigned next = flags;
    if (dist_jt + own > JUMP_MAX) next |= TRAMP_JT;
    if (dist_jf + own > JUMP_MAX) next |= TRAMP_JF;
    if (same_target && (next & (TRAMP_JT | TRAMP_JF))) next |= TRAMP_SHARED;
    if (next == flags) return flags;
    flags = next;
  }
}

/* Plan all trampolines.  Jumps only go forward, so the distance from jump
 * I to its target T depends only on the trampolines of instructions in
 * (I, T).  Walking backwards, these are all decided before I is, so one
 * pass reaches the same fixpoint as re-laying out the program until nothing
 * moves, in O(n).  after[i] = number of trampolines of instructions >= i. */
static void plan_all(const sf_builder *b, const size_t *tgt, unsigned char *flags,
                     size_t *after) {
  after[b->n] = 0;
  for (size_t i = b->n; i-- > 0;) {
    flags[i] = 0;
    if (is_cond_jump(b->insns[i].code)) {
      size_t t = tgt[2 * i], f = tgt[2 * i + 1];
      size_t dist_t = (t - i - 1) + (after[i + 1] - after[t]);
      size_t dist_f = (f - i - 1) + (after[i + 1] - after[f]);
      flags[i] = (unsigned char)plan_jump(dist_t, dist_f, t == f);
    }
    after[i] = after[i + 1] + tramp_count(flags[i]);
  }
}

/* Final position of original instruction I. */
static size_t final_pos(const size_t *after, size_t i) {
  return i + (after[0] - after[i]);
}

static struct sock_filter make(uint16_t code, uint8_t jt, uint8_t jf,
                               uint32_t k) {
  struct sock_filter f = {code, jt, jf, k};
  return f;
}

/* Write conditional jump I and its trampolines at out[p...]; returns the
 * number of instructions written. */
static size_t lay_jump(const binsn *in, size_t p, unsigned flags, size_t t,
                       size_t f, struct sock_filter *out) {
  size_t n = 1, jt_at, jf_at;
  if (flags & TRAMP_SHARED) {
    out[p + n] = make(BPF_JMP | BPF_JA, 0, 0, (uint32_t)(t - (p + n) - 1));
    jt_at = jf_at = p + n++;
  } else {
    jt_at = t;
    jf_at = f;
    if (flags & TRAMP_JT) {
      out[p + n] = make(BPF_JMP | BPF_JA, 0, 0, (uint32_t)(t - (p + n) - 1));
      jt_at = p + n++;
    }
    if (flags & TRAMP_JF) {
      out[p + n] = make(BPF_JMP | BPF_JA, 0, 0, (uint32_t)(f - (p + n) - 1));
      jf_at = p + n++;
    }
  }
  out[p] = make(in->code, (uint8_t)(jt_at - p - 1), (uint8_t)(jf_at - p - 1),
                in->k);
  return n;
}

static void lay_out(const sf_builder *b, const size_t *tgt,
                    const unsigned char *flags, const size_t *after,
                    struct sock_filter *out) {
  size_t p = 0;
  for (size_t i = 0; i < b->n; i++) {
    const binsn *in = &b->insns[i];
    if (is_cond_jump(in->code)) {
      size_t t = final_pos(after, tgt[2 * i]);
      size_t f = final_pos(after, tgt[2 * i + 1]);
      p += lay_jump(in, p, flags[i], t, f, out);
    } else if (is_ja(in->code)) {
      size_t t = final_pos(after, tgt[2 * i]);
      out[p] = make(in->code, 0, 0, (uint32_t)(t - p - 1));
      p++;
    } else {
      out[p++] = make(in->code, 0, 0, in->k);
    }
  }
}

static int too_long(sf_builder *b, size_t n) {
  sf_error(b->ctx, NO_LOC, "the program has %zu instructions; the kernel's "
           "limit is %d (BPF_MAXINSNS)", n, SF_BPF_MAXINSNS);
  return -1;
}

int sf_builder_finish(sf_builder *b, struct sock_filter **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (!b || b->failed) return -1; /* out of memory, already recorded */
  if (b->n == 0) {
    sf_error(b->ctx, NO_LOC, "internal error: empty BPF program");
    return -1;
  }
  size_t *tgt = resolve_all(b);
  if (!tgt) return -1;
  /* Trampolines only add instructions: give up before planning them. */
  if (b->n > SF_BPF_MAXINSNS) return too_long(b, b->n);
  unsigned char *flags = sf_alloc(b->ctx, b->n);
  size_t *after = sf_alloc(b->ctx, (b->n + 1) * sizeof *after);
  if (!flags || !after) return -1;
  plan_all(b, tgt, flags, after);
  size_t total = b->n + after[0];
  if (total > SF_BPF_MAXINSNS) return too_long(b, total);
  struct sock_filter *prog = malloc(total * sizeof *prog);
  if (!prog) {
    b->ctx->out_of_memory = 1;
    return -1;
  }
  lay_out(b, tgt, flags, after, prog);
  *out = prog;
  *len = total;
  return 0;
}
