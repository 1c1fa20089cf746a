/* difftest.h - differential testing of the whole pipeline, shared by the
 * Check slice (tests/check_diff.c) and the long-running driver
 * (tests/difftest_main.c, `make difftest`).
 *
 * Policies are random SOURCE TEXT (kept alongside as a small syntax tree)
 * and the compatibility suite's files (for six ABIs one by one, and as one
 * filter for x86_64,i386,x32, for aarch64,arm and for s390x,s390).  Each one goes through the public
 * pipeline (load, parse, resolve, codegen, validate); then many calls are
 * decided three or four ways and compared:
 *   - the reference evaluator on the resolved rule set (sf_ruleset_decide),
 *     or for a program of several targets (one ABI family, e.g.
 *     x86_64,i386,x32) on their rule sets together (sf_targets_decide),
 *   - the simulator on the compiled program, optimized and -O0 (sf_bpf_run),
 *   - for random single-target policies, an independent evaluator of the
 *     generated tree following the language's rules in README (widths, constants,
 *     first match after USE expansion, ON guards, x32 numbers),
 *   - for a sample of x86_64 calls, the kernel itself (the program is
 *     installed in a forked child and a harmless syscall is made).
 * Any difference is shrunk (policy tree and call) while it persists and
 * printed with both actions.  Everything is driven by one seed. */
#ifndef SF_DIFFTEST_H
#define SF_DIFFTEST_H

#include <stdint.h>
#include <stdio.h>

typedef struct dt_options {
  uint64_t seed;
  int random;            /* run random policies */
  uint64_t max_cases;    /* stop the random part after this many cases (0: none) */
  double max_seconds;    /* ... or after this long (0: no limit) */
  uint64_t kernel_cases; /* at most this many kernel comparisons (0: none) */
  int corpus;            /* run the compatibility suite */
  const char *corpus_dir; /* its folder (SHARED_DIR "/corpus") */
  long only_policy;      /* >= 0: only this random policy (to reproduce) */
  int max_reports;       /* differences printed in full (then only counted) */
  int verbose;           /* print every policy's text */
  FILE *out;             /* progress, reports and the summary */
} dt_options;

typedef struct dt_stats {
  uint64_t cases;            /* calls compared (all oracles) */
  uint64_t policies;         /* random policies generated */
  uint64_t compiled;         /* ... that compiled */
  uint64_t too_long;         /* ... refused for the 4096-instruction limit */
  uint64_t with_warnings;    /* ... compiled with warnings */
  uint64_t unexpected_errors; /* compile errors on policies believed valid */
  uint64_t differences;      /* oracle disagreements (all kinds) */
  uint64_t kernel_cases, kernel_differences;
  int kernel_skipped;        /* 1: no kernel comparison (reason printed) */
  const char *kernel_skip_why; /* ... and the reason (a static string) */
  uint64_t corpus_files, corpus_programs, corpus_cases;
  /* Programs for several ABIs of one kernel (x86_64,i386,x32, ...),
   * decided by the targets' rule sets together (sf_targets_decide). */
  uint64_t multi_policies, multi_compiled; /* random policies */
  uint64_t multi_cases;                    /* ... their calls compared */
  uint64_t insns_total;      /* instructions of all programs compiled */
  uint64_t insns_max;        /* the longest program */
  double seconds;
} dt_stats;

void dt_default_options(dt_options *o);
/* Run; returns 0 when there was no difference and no unexpected error. */
int dt_run(const dt_options *o, dt_stats *st);
/* "difftest: N cases, D differences" and the details. */
void dt_print_stats(FILE *f, const dt_options *o, const dt_stats *st);

#endif
