/* search.h - the search over a partition of the 32-bit key space: the syscall
 * number dispatch, and the value sets of one argument word.
 *
 * The input is a sequence of segments (maximal ranges of equal behaviour,
 * in key order, covering [0, 2^32)), each with the caller's target id, a
 * weight (how often a key in it is looked up) and the height of the
 * target's own code.  The output is a binary search over the keys whose
 * expected cost (sum of weight x tests on the way) is minimal or close to
 * it, within a bound on the longest path: JGE splits, JEQ tests that let
 * the two ranges around an isolated key merge, and (for value sets with two
 * outcomes) one JSET when a set is 0 plus every combination of its bits. */
#ifndef SF_SEARCH_H
#define SF_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/bpf.h"

struct sysfence_ctx;

typedef struct sf_search_seg {
  uint32_t lo;     /* first key; the segment ends before the next one's lo
                      (the last one at 0xffffffff) */
  int target;      /* caller's id, >= 0 */
  uint64_t weight; /* relative lookup frequency; 0 allowed */
  int height;      /* longest path through the target's own code */
} sf_search_seg;

typedef enum { SF_SN_LEAF, SF_SN_JGE, SF_SN_JEQ, SF_SN_JSET } sf_search_kind;

/* A node: LEAF goes to `target`; the tests go to `yes` when key >= k,
 * key == k, or key & k != 0, else to `no` (node indexes). */
typedef struct sf_search_node {
  sf_search_kind kind;
  uint32_t k;
  int target;
  int yes, no;
} sf_search_node;

typedef struct sf_search {
  sf_search_node *nodes;
  size_t n;
  int root;
  uint64_t cost;  /* sum of weight x tests on the way */
  size_t tests;   /* number of test nodes (instructions) */
  int height;     /* longest path: tests + the target's height */
} sf_search;

/* Options of sf_search_build. */
typedef struct sf_search_opts {
  int max_height; /* bound on the longest path (tests + target height);
                     0: none.  Best effort: the shallowest tree found is
                     returned when the bound cannot be met. */
  int try_jset;   /* consider one JSET for two-outcome value sets */
} sf_search_opts;

/* Build the search for SEGS[0..N) (N >= 1) in the context's arena.
 * Deterministic.  Returns 0, or -1 when out of memory. */
int sf_search_build(struct sysfence_ctx *ctx, const sf_search_seg *segs, size_t n,
                  const sf_search_opts *opts, sf_search *out);

/* Emit TREE with A holding the key: leaves jump to LABELS[target]. */
void sf_search_code(sf_builder *b, const sf_search *tree, const sf_label *labels);

#endif
