/* host.c - the architecture lookups sysfence-exec needs, over the
 * host's table alone.  The loader only ever applies host filters, and its
 * --dry-run listing names syscalls with the host's numbers; linking arch.c
 * would pull in every architecture's table (about 1.5 MB).  The generated
 * file is included here so its tables are visible; the loader is linked
 * with --gc-sections, which drops the tables nothing refers to. */
#include "arch/syscalls_gen.c"

#include "arch/host.h"

const sf_arch *sf_arch_host(void) {
#ifdef SF_HOST_TABLE
  return &SF_HOST_TABLE;
#else
  return NULL;
#endif
}
