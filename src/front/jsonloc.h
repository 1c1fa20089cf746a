/* jsonloc.h - where a value of a JSON document is in its text.  json-c
 * (which parses the profiles) keeps no positions; diagnostics need them.
 * This is no parser: it skips over a text json-c has already accepted,
 * following a path of keys and indexes. */
#ifndef SF_JSONLOC_H
#define SF_JSONLOC_H

#include <stddef.h>

#include "base/source.h"

/* One step of a path: a member KEY of an object, or (KEY NULL) the
 * element INDEX of an array. */
typedef struct sf_jstep {
  const char *key;
  size_t index;
} sf_jstep;

/* The offset in TEXT[0..LEN) of the value PATH[0..N) leads to (N 0: the
 * document), or of the last step's key when AT_KEY is set and that step is
 * a key; -1 when the path does not lead anywhere. */
long sf_json_locate(const char *text, size_t len, const sf_jstep *path, size_t n,
                    int at_key);

/* One step from the value at offset AT (as sf_json_locate's steps), and
 * from the element of an array at AT to the next one; -1 when there is
 * none.  For walking a document in order without starting over. */
long sf_json_step(const char *text, size_t len, long at, const sf_jstep *step, int at_key);
long sf_json_next_element(const char *text, size_t len, long at);

/* The line and column of byte OFFSET of SRC. */
sf_loc sf_json_loc_at(const sf_source *src, size_t offset);

#endif
