/* host.c - the host's own table (the one ABI a loader installs filters
 * for).  It names that table's symbol alone, so a program that links the
 * tables as an archive (sysfence-exec) gets this one table and no other. */
#include "arch/arch.h"
#include "arch/host.h"
#include "arch/tables/tables.h"

const sf_arch *sf_arch_host(void) {
#ifdef SF_HOST_TABLE
  return &SF_HOST_TABLE;
#else
  return NULL;
#endif
}
