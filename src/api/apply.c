/* apply.c - installing a filter for real: sysfence_apply (the library), used
 * by sysfence-exec and 'sysfence run' too, so the rules live in one place:
 * validate, no_new_privs, seccomp(2), prctl only as a flagless fallback. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf/bpf.h"
#include "sysfence.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

int sysfence_apply(const struct sock_fprog *prog, unsigned flags) {
  const unsigned known =
      SYSFENCE_APPLY_TSYNC | SYSFENCE_APPLY_LOG | SYSFENCE_APPLY_SPEC_ALLOW;
  if (!prog || !prog->filter || (flags & ~known) ||
      sf_bpf_validate(prog->filter, prog->len, NULL, 0) != 0) {
    errno = EINVAL;
    return -1;
  }
  unsigned long kflags = 0;
  if (flags & SYSFENCE_APPLY_TSYNC) kflags |= SECCOMP_FILTER_FLAG_TSYNC;
  if (flags & SYSFENCE_APPLY_LOG) kflags |= SECCOMP_FILTER_FLAG_LOG;
  if (flags & SYSFENCE_APPLY_SPEC_ALLOW) kflags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) return -1;
  long rc = -1;
#ifdef SYS_seccomp
  rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kflags, prog);
#else
  errno = ENOSYS;
#endif
  if (rc == 0) return 0;
  if (rc > 0) {
    /* TSYNC: the ID of a thread that could not be synchronized. */
    errno = EBUSY;
    return -1;
  }
  /* The prctl interface has no flags: falling back with flags would drop
   * what the caller asked for, so only a flagless request falls back. */
  if (errno == ENOSYS && flags == 0)
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0L, 0L) == 0 ? 0 : -1;
  return -1;
}
