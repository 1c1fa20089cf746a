/* grow.c - room for one more item at the end of an array (see grow.h). */
#include "base/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *sf_grow(void *items, size_t *cap, size_t n, size_t size, size_t first) {
  if (n < *cap) return items;
  size_t want = *cap ? 2 * *cap : first;
  if (size && want > SIZE_MAX / size) return NULL;
  void *moved = realloc(items, want * size);
  if (moved) *cap = want;
  return moved;
}
