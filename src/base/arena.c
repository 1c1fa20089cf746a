/* arena.c - region allocator (see arena.h). */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ALIGN 8: nothing in the arena needs more than a pointer's or a
 * uint64_t's alignment, and most nodes are a multiple of 8 bytes (not of
 * 16), so a larger alignment would waste up to a fifth of a big policy's
 * syntax tree. */
enum { CHUNK_MIN = 64 * 1024, ALIGN = 8 };

struct chunk {
  struct chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char data[]; /* zeroed when the chunk is made */
};

struct sf_arena {
  struct chunk *head;
};

sf_arena *sf_arena_new(void) { return calloc(1, sizeof(sf_arena)); }

void sf_arena_free(sf_arena *a) {
  if (!a) return;
  struct chunk *c = a->head;
  while (c) {
    struct chunk *next = c->next;
    free(c);
    c = next;
  }
  free(a);
}

static struct chunk *new_chunk(size_t want, int zero) {
  size_t size = want > CHUNK_MIN ? want : CHUNK_MIN;
  /* calloc: memory fresh from the system is known to be zero and is not
   * cleared again, and allocations then need no memset of their own. */
  struct chunk *c = zero ? calloc(1, sizeof(struct chunk) + size)
                         : malloc(sizeof(struct chunk) + size);
  if (!c) return NULL;
  c->next = NULL;
  c->used = 0;
  c->size = size;
  return c;
}

void *sf_arena_alloc_raw(sf_arena *a, size_t size) {
  if (size <= CHUNK_MIN) return sf_arena_alloc(a, size);
  if (size > SIZE_MAX - sizeof(struct chunk)) return NULL;
  /* A block of its own behind the current chunk, as sf_arena_alloc puts a
   * big one. */
  struct chunk *n = new_chunk(size, 0);
  if (!n) return NULL;
  n->used = n->size;
  if (a->head) {
    n->next = a->head->next;
    a->head->next = n;
  } else {
    n->next = NULL;
    a->head = n;
  }
  return n->data;
}

void *sf_arena_alloc(sf_arena *a, size_t size) {
  if (size == 0) size = 1;
  if (size > SIZE_MAX - ALIGN) return NULL;
  size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  struct chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    struct chunk *n = new_chunk(size, 1);
    if (!n) return NULL;
    /* A big one-off block goes behind the current chunk so the free space
     * of the current chunk stays usable. */
    if (c && size > CHUNK_MIN) {
      n->next = c->next;
      c->next = n;
    } else {
      n->next = c;
      a->head = n;
    }
    c = n;
  }
  void *p = c->data + c->used;
  c->used += size;
  return p;
}

char *sf_arena_strndup(sf_arena *a, const char *s, size_t n) {
  char *p = sf_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *sf_arena_strdup(sf_arena *a, const char *s) {
  return sf_arena_strndup(a, s, strlen(s));
}

void *sf_arena_grow(sf_arena *a, void *old, size_t old_size, size_t new_size) {
  if (new_size <= old_size) return old;
  void *p = sf_arena_alloc(a, new_size);
  if (p && old) memcpy(p, old, old_size);
  return p;
}

void sf_arena_stats(const sf_arena *a, size_t *used, size_t *reserved) {
  size_t u = 0, r = 0;
  for (const struct chunk *c = a ? a->head : NULL; c; c = c->next) {
    u += c->used;
    r += c->size;
  }
  if (used) *used = u;
  if (reserved) *reserved = r;
}
