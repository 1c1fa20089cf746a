/* lookup.c - syscall by number, and which ABI a number belongs to.  A file
 * of its own because the loader (sysfence-exec) needs them without the
 * rest of arch.c, which would pull in every architecture's table. */
#include "arch/arch.h"

const sf_syscall *sf_syscall_by_nr(const sf_arch *arch, uint32_t nr) {
  if (!arch) return NULL;
  size_t lo = 0, hi = arch->n_syscalls;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint32_t v = arch->by_nr[mid]->nr;
    if (v == nr) return arch->by_nr[mid];
    if (nr < v)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

int sf_arch_nr_is_foreign(const sf_arch *arch, uint32_t nr) {
  if (!arch || nr == UINT32_MAX) return 0;
  if (arch->foreign_hi < arch->foreign_lo) return 0;
  return nr >= arch->foreign_lo && nr <= arch->foreign_hi;
}
