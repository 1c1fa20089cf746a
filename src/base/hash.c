/* hash.c - the one hash table (see hash.h). */
#include "base/hash.h"

#include <string.h>

uint64_t sf_hash_bytes(const void *p, size_t n) {
  const unsigned char *s = p;
  uint64_t h = 14695981039346656037u; /* FNV-1a, 64-bit */
  for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211u;
  return h;
}

uint64_t sf_hash_string(const char *s) { return sf_hash_bytes(s, strlen(s)); }

const void *sf_hash_find(const sf_hash *t, uint64_t h, sf_hash_eq eq, const void *key) {
  if (!t->n) return NULL;
  size_t mask = t->cap - 1;
  for (size_t i = (size_t)h & mask; t->v[i].entry; i = (i + 1) & mask)
    if (t->v[i].hash == h && eq(t->v[i].entry, key)) return t->v[i].entry;
  return NULL;
}

/* Double the slots (at least 16), re-placing every entry. */
static int grow(sf_hash *t, sf_arena *arena) {
  size_t cap = t->cap ? 2 * t->cap : 16;
  struct sf_hash_slot *v = sf_arena_alloc(arena, cap * sizeof *v);
  if (!v) return -1;
  for (size_t j = 0; j < t->cap; j++) {
    if (!t->v[j].entry) continue;
    size_t i = (size_t)t->v[j].hash & (cap - 1);
    while (v[i].entry) i = (i + 1) & (cap - 1);
    v[i] = t->v[j];
  }
  t->v = v;
  t->cap = cap;
  return 0;
}

int sf_hash_add(sf_hash *t, sf_arena *arena, uint64_t h, const void *entry) {
  /* At most half full: probes stay short. */
  if (2 * (t->n + 1) > t->cap && grow(t, arena) != 0) return -1;
  size_t mask = t->cap - 1, i = (size_t)h & mask;
  while (t->v[i].entry) i = (i + 1) & mask;
  t->v[i].hash = h;
  t->v[i].entry = entry;
  t->n++;
  return 0;
}
