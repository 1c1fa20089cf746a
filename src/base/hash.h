/* hash.h - the one hash table: open addressing over entries that live in
 * the arena (names of constants and policies, interned identifiers,
 * decision blocks, diagnostic locations).  The table stores each entry's
 * hash and a pointer to it; equality is the caller's. */
#ifndef SF_HASH_H
#define SF_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

typedef struct sf_hash {
  struct sf_hash_slot {
    uint64_t hash;
    const void *entry; /* NULL: empty */
  } *v;
  size_t cap, n;
} sf_hash;

/* FNV-1a over N bytes (or, for the string variant, up to the NUL). */
uint64_t sf_hash_bytes(const void *p, size_t n);
uint64_t sf_hash_string(const char *s);
/* Is ENTRY the one KEY looks for? */
typedef int (*sf_hash_eq)(const void *entry, const void *key);
/* The entry with hash H that EQ says is KEY's, or NULL. */
const void *sf_hash_find(const sf_hash *t, uint64_t h, sf_hash_eq eq, const void *key);
/* Add ENTRY (not in T yet) with hash H; the slots come from ARENA (the
 * table never shrinks and is dropped with it).  0, or -1 out of memory. */
int sf_hash_add(sf_hash *t, sf_arena *arena, uint64_t h, const void *entry);

#endif
