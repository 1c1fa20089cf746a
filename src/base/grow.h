/* grow.h - room for one more item at the end of a malloc()ed array. */
#ifndef SF_GROW_H
#define SF_GROW_H

#include <stddef.h>

/* ITEMS (N items of SIZE bytes, room for *CAP) with room for item N:
 * ITEMS itself, or moved by realloc() to twice the room (FIRST items the
 * first time), *CAP updated.  NULL when memory runs out: ITEMS and *CAP
 * are as they were. */
void *sf_grow(void *items, size_t *cap, size_t n, size_t size, size_t first);

#endif
