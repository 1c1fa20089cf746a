/* constants.c - the predefined constants of each architecture (the tables
 * are generated: src/arch/tables/const-*.c, tools/gen-constants.py). */
#include "arch/constants.h"

#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"

const sf_constant *sf_constants_of(const sf_arch *arch, size_t *n) {
  *n = 0;
  if (!arch) return NULL;
  for (size_t i = 0; i < sf_gen_n_constant_tables; i++) {
    const sf_constant_table *t = &sf_gen_constant_tables[i];
    if (strcmp(t->arch, arch->name) == 0) {
      *n = *t->n;
      return t->entries;
    }
  }
  return NULL;
}

static int by_name(const void *key, const void *entry) {
  return strcmp(key, ((const sf_constant *)entry)->name);
}

const sf_constant *sf_constant_find(const sf_arch *arch, const char *name) {
  size_t n;
  const sf_constant *all = sf_constants_of(arch, &n);
  if (!all || !name) return NULL;
  return bsearch(name, all, n, sizeof *all, by_name);
}
