/* arena.h - region allocator: everything a compilation allocates lives in
 * one arena owned by the context and is released in one call.  That is how
 * the library frees every allocation on every error path without tracking
 * individual objects. */
#ifndef SF_ARENA_H
#define SF_ARENA_H

#include <stddef.h>

typedef struct sf_arena sf_arena;

sf_arena *sf_arena_new(void);
void sf_arena_free(sf_arena *a);
/* Zeroed memory; NULL only when the system is out of memory. */
void *sf_arena_alloc(sf_arena *a, size_t size);
/* The same, not zeroed: for a big table every cell of which is written
 * before it is read (clearing it would cost more than filling it). */
void *sf_arena_alloc_raw(sf_arena *a, size_t size);
char *sf_arena_strdup(sf_arena *a, const char *s);
char *sf_arena_strndup(sf_arena *a, const char *s, size_t n);
/* Grow an array allocated in the arena (old contents copied; old block is
 * simply abandoned to the arena). */
void *sf_arena_grow(sf_arena *a, void *old, size_t old_size, size_t new_size);
/* Bytes handed out so far, and bytes obtained from the system (for
 * measurements). */
void sf_arena_stats(const sf_arena *a, size_t *used, size_t *reserved);

#endif
