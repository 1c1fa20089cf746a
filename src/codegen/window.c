/* window.c - bit-table windows over syscall numbers; see window.h.
 *
 * The plan is a dynamic programme over the segments: a prefix is covered
 * by runs of plain segments (left to the search) and windows, at their
 * cost in instructions.  A plain run of m segments costs the search about
 * m tests (one per leaf), less one for each isolated key between two
 * segments of the same target (one JEQ takes it out and lets the two
 * merge); a window costs about its leaf and two instructions (ld, ja), and
 * the tails (two instructions per pair of targets) are left out: the model
 * is rough, so program.c tries a few window costs and keeps the smallest
 * result, or the plain search when that is no bigger. */
#include "codegen/window.h"

#include <string.h>

#include "base/context.h"

static uint64_t seg_end(const sf_search_seg *seg, size_t n, uint64_t end, size_t i) {
  return i + 1 < n ? seg[i + 1].lo : end;
}

static int is_single(const sf_search_seg *seg, size_t n, uint64_t end, size_t i) {
  return seg_end(seg, n, end, i) - seg[i].lo == 1;
}

/* Cost of leaving SEG[j..i) to the search. */
static size_t plain_cost(const sf_search_seg *seg, size_t n, uint64_t end, size_t j,
                         size_t i) {
  size_t peels = 0;
  for (size_t p = j + 1; p + 1 < i; p++)
    if (is_single(seg, n, end, p) && seg[p - 1].target == seg[p + 1].target) {
      peels++;
      p++; /* p + 1 merged into p - 1: the next candidate is p + 2 */
    }
  return (i - j) - peels;
}


static sf_window make_window(const sf_search_seg *seg, size_t n, uint64_t end, size_t j,
                             size_t i) {
  int a = seg[j].target, b = seg[j + 1].target;
  sf_window w = {seg[j].lo, 0, 0, a < b ? a : b, a < b ? b : a};
  w.len = (uint32_t)(seg_end(seg, n, end, i - 1) - seg[j].lo);
  for (size_t p = j; p < i; p++) {
    if (seg[p].target != w.one) continue;
    for (uint64_t k = seg[p].lo; k < seg_end(seg, n, end, p); k++)
      w.bits |= (uint32_t)1 << (k & 31);
  }
  return w;
}

enum {
  MAX_RUN = 16 /* segments in one plain piece (longer runs: several pieces,
                  losing at most a JEQ where they meet) */
};

size_t sf_window_plan(struct sysfence_ctx *ctx, const sf_search_seg *seg, size_t n,
                      uint64_t end, size_t cost, sf_window *win, int *cover) {
  /* best[i]: cost of SEG[0..i); from[i]: where its last piece starts,
   * negative (-1 - start) for a window. */
  size_t *best = sf_alloc(ctx, (n + 1) * sizeof *best);
  long *from = sf_alloc(ctx, (n + 1) * sizeof *from);
  if (n == 0 || !best || !from) return 0;
  best[0] = 0;
  for (size_t i = 1; i <= n; i++) {
    best[i] = (size_t)-1;
    for (size_t j = i > MAX_RUN ? i - MAX_RUN : 0; j < i; j++) {
      size_t c = best[j] + plain_cost(seg, n, end, j, i);
      if (c < best[i]) {
        best[i] = c;
        from[i] = (long)j;
      }
    }
    /* Windows ending at i: SEG[j..i) of at least two segments, at most 32
     * keys, alternating between two targets (consecutive segments differ,
     * so the two of SEG[i-1] and SEG[i-2]). */
    uint64_t last = seg_end(seg, n, end, i - 1);
    for (size_t j = i - 1; j-- > 0;) {
      if (last - seg[j].lo > SF_WINDOW_KEYS) break;
      if (j + 2 < i && seg[j].target != seg[j + 2].target) break;
      if (best[j] + cost < best[i]) {
        best[i] = best[j] + cost;
        from[i] = -1 - (long)j;
      }
    }
  }
  size_t n_win = 0;
  for (size_t p = 0; p < n; p++) cover[p] = -1;
  for (size_t i = n; i > 0;) {
    long f = from[i];
    size_t j = f < 0 ? (size_t)(-1 - f) : (size_t)f;
    if (f < 0) {
      win[n_win] = make_window(seg, n, end, j, i);
      for (size_t p = j; p < i; p++) cover[p] = (int)n_win;
      n_win++;
    }
    i = j;
  }
  /* Found back to front: number them in key order. */
  for (size_t a = 0, b = n_win; a + 1 < b; a++, b--) {
    sf_window t = win[a];
    win[a] = win[b - 1];
    win[b - 1] = t;
  }
  for (size_t p = 0; p < n; p++)
    if (cover[p] >= 0) cover[p] = (int)n_win - 1 - cover[p];
  return n_win;
}

void sf_window_prologue(sf_builder *b) {
  sf_builder_op(b, BPF_ALU | BPF_AND | BPF_K, SF_WINDOW_KEYS - 1);
  sf_builder_op(b, BPF_MISC | BPF_TAX, 0);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, SF_OFF_NR);
}

int sf_window_code(struct sysfence_ctx *ctx, sf_builder *b, const sf_window *win, size_t n,
                   const sf_label *labels, const sf_label *targets) {
  unsigned char *done = sf_alloc(ctx, n + 1);
  if (!done) return -1;
  memset(done, 0, n + 1);
  /* One group per pair of targets, in order of first appearance; each
   * group's last window falls through into the group's tail. */
  for (size_t g = 0; g < n; g++) {
    if (done[g]) continue;
    size_t last = g;
    for (size_t i = g; i < n; i++)
      if (win[i].one == win[g].one && win[i].zero == win[g].zero) last = i;
    sf_label tail = sf_label_new(b);
    for (size_t i = g; i <= last; i++) {
      if (done[i] || win[i].one != win[g].one || win[i].zero != win[g].zero) continue;
      done[i] = 1;
      sf_label_place(b, labels[i]);
      sf_builder_op(b, BPF_LD | BPF_IMM, win[i].bits);
      if (i != last) sf_builder_ja(b, tail);
    }
    sf_label_place(b, tail);
    sf_builder_op(b, BPF_ALU | BPF_RSH | BPF_X, 0);
    sf_builder_jump(b, BPF_JMP | BPF_JSET | BPF_K, 1, targets[win[g].one],
                    targets[win[g].zero]);
  }
  return 0;
}
