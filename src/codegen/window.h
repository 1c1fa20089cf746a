/* window.h - bit-table windows: deciding up to 32 consecutive syscall
 * numbers with two outcomes in one lookup, for numbers the kernel's action
 * cache never holds (x32's, see program.c).
 *
 * A window covers the keys [lo, lo + len), len <= 32; key & 31 is distinct
 * for each of them, so bit (key & 31) of one 32-bit word says which of the
 * two targets the key goes to.  The code, with X = key & 31 set once by
 * the prologue:
 *
 *     window:  ld #bits          (A = the window's bits)
 *              ja tail           (or fall through into it)
 *     tail:    rsh x             (A = bits >> (key & 31))
 *              jset #1 jt one jf zero
 *
 * Windows with the same pair of targets share one tail.  These are ALU
 * instructions, which the kernel's action cache cannot evaluate
 * (kernel/seccomp.c, seccomp_is_const_allow): only use them where the
 * cache never looks. */
#ifndef SF_WINDOW_H
#define SF_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/bpf.h"
#include "codegen/search.h"

struct sysfence_ctx;

enum {
  SF_WINDOW_KEYS = 32, /* keys in one window: the bits of a word */
  SF_WINDOW_HEIGHT = 4 /* ld, ja, rsh, jset: a window's path before its target */
};

typedef struct sf_window {
  uint32_t lo, len;
  uint32_t bits; /* bit (key & 31) set: `one`, clear: `zero` */
  int one, zero; /* the caller's target ids */
} sf_window;

/* Choose windows over the segments SEG[0..N) (in key order, the last one
 * ending before END <= 2^32) where a window, counted as COST segments of
 * the search (about 3: its leaf, ld and ja), is cheaper than the segments
 * it replaces.  Writes the windows to WIN (room for N) and, per
 * segment, the index of the window covering it or -1 to COVER.  Returns
 * how many windows it chose (none when out of memory: the context says
 * so). */
size_t sf_window_plan(struct sysfence_ctx *ctx, const sf_search_seg *seg, size_t n,
                      uint64_t end, size_t cost, sf_window *win, int *cover);

/* With A holding the key: X = key & 31, and A reloaded with
 * seccomp_data.nr (the key). */
void sf_window_prologue(sf_builder *b);

/* Each window at its label LABELS[i], then the shared tails; TARGETS maps
 * the caller's target ids to labels. */
int sf_window_code(struct sysfence_ctx *ctx, sf_builder *b, const sf_window *win, size_t n,
                   const sf_label *labels, const sf_label *targets);

#endif
