/* constants.h - the named constants predefined for policies (errno names,
 * AF_*, SOCK_*, O_*, AT_*, F_*, PROT_*, MAP_*, MADV_*, CLONE_*, PR_*, ioctl
 * requests, personality values), one table per architecture: their values
 * differ (errno on mips and parisc, O_* on parisc, ioctl numbers on mips,
 * powerpc, parisc and sh, ...).  The tables are generated into
 * src/arch/tables/const-*.c by tools/gen-constants.py from the kernel's
 * headers; never edit them. */
#ifndef SF_CONSTANTS_H
#define SF_CONSTANTS_H

#include <stddef.h>
#include <stdint.h>

struct sf_arch;

typedef struct sf_constant {
  const char *name;
  int64_t value;
} sf_constant;

/* The constants of ARCH, sorted by strcmp of their names, and how many
 * (*N); NULL (and 0) for an architecture without a table. */
const sf_constant *sf_constants_of(const struct sf_arch *arch, size_t *n);
/* The constant NAME of ARCH, or NULL. */
const sf_constant *sf_constant_find(const struct sf_arch *arch, const char *name);

/* The generated index (src/arch/tables/const-index.c): which table each
 * architecture (by name) uses. */
typedef struct sf_constant_table {
  const char *arch;
  const sf_constant *entries;
  const size_t *n;
} sf_constant_table;
extern const sf_constant_table sf_gen_constant_tables[];
extern const size_t sf_gen_n_constant_tables;

#endif
