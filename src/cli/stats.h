/* stats.h - what a seccomp program costs per syscall, and what the kernel's
 * constant-action cache makes of it.
 *
 * Definitions (all by simulation with sf_bpf_run, on the architecture the
 * program is for):
 *   path       instructions executed for one call, the final RET included.
 *   steps      the path of each syscall in the arch's table with
 *              seccomp_data.arch the arch's AUDIT_ARCH and all arguments
 *              (and ip) zero; shortest/longest/mean are over the table.
 *   worst      for a syscall whose zero-argument path loads an argument
 *              word: the longest path over probe arguments (one argument,
 *              or all six, set to boundary values: 0, 1, 0x7fffffff,
 *              0x80000000, 0xffffffff and k-1, k, k+1 for every constant k
 *              the program compares an argument word with on the paths
 *              seen, each as the low word, the high word, both words, and
 *              the low word under a high word of all ones).  A lower bound
 *              of the true worst case; equal to steps for other syscalls.
 *   allowed    the program returns exactly ALLOW with all arguments zero
 *              or for one of the probes (so a syscall allowed only for some
 *              arguments, like write(1, ...), counts).
 *   cached     the kernel's seccomp_is_const_allow (Linux 5.11+) accepts
 *              it: emulated with only nr and arch known, the path uses only
 *              loads of nr/arch, JEQ/JGE/JGT/JSET K, AND K, JA and RET K,
 *              and ends in RET K with K == SECCOMP_RET_ALLOW.  Numbers
 *              from 0x40000000 up (x32's) are outside the kernel's bitmap
 *              and never cached.  Such syscalls never run the filter. */
#ifndef SF_STATS_H
#define SF_STATS_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

typedef struct sf_stats_sys {
  const char *name;
  uint32_t nr;
  uint32_t action;  /* result with all arguments zero */
  size_t steps;     /* path with all arguments zero */
  size_t worst;     /* longest path over the probes (see above) */
  int loads_args;   /* the zero-argument path loads an argument or ip word */
  int allowed;      /* ALLOW with zero arguments or for some probe */
  int cached;       /* always allowed through the kernel's cache */
} sf_stats_sys;

typedef struct sf_stats {
  const sf_arch *arch;
  size_t len;                 /* instructions in the program */
  sf_stats_sys *sys;          /* the arch's table, by name (malloc()ed) */
  size_t n_sys;
  size_t min_steps, max_steps, worst_steps;
  double mean_steps;
  size_t bad_arch_steps;      /* path for seccomp_data.arch == 0 */
  uint32_t bad_arch_action;
  size_t n_allowed, n_allowed_zero, n_cached, n_loads_args;
  /* The kernel's bitmap the arch's calls are looked up in on a 64-bit
   * kernel: "native", "compat", "none" (x32), or NULL where not known. */
  const char *bitmap;
} sf_stats;

/* Analyse a valid PROG for ARCH into OUT.  0, or -1 if out of memory.
 * Free with sf_stats_free. */
int sf_stats_compute(const struct sock_filter *prog, size_t len,
                     const sf_arch *arch, sf_stats *out);
void sf_stats_free(sf_stats *s);

/* The kernel's seccomp_is_const_allow for NR and ARCH (1: the filter
 * always allows that call; 0: it must run). */
int sf_const_allow(const struct sock_filter *prog, size_t len, uint32_t nr,
                   uint32_t arch);

#endif
