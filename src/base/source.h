/* source.h - policy source texts and locations in them. */
#ifndef SF_SOURCE_H
#define SF_SOURCE_H

#include <stddef.h>

typedef struct sf_source sf_source;

/* A position in a source: 1-based line and column (columns count bytes). */
typedef struct sf_loc {
  const sf_source *src; /* NULL: no location */
  int line, col;
} sf_loc;

/* Where each byte of a source text written from another file came from:
 * the policy nsjail assembles from a config's seccomp_string values has its
 * diagnostics shown in the config.  LINE[i], COL[i] for byte i of the text,
 * and for i == len (the end). */
typedef struct sf_origin {
  const sf_source *src; /* the file shown (the nsjail config) */
  const int *line, *col;
} sf_origin;

struct sf_source {
  const char *name;      /* as shown in diagnostics */
  const char *dir;       /* folder of the file, for relative #include; may be NULL */
  const char *text;      /* whole text, NUL-terminated (embedded NULs are lexer errors) */
  size_t len;            /* length of text, which may contain NUL bytes */
  sf_loc included_from;  /* location of the #include, src NULL for the main input */
  int depth;             /* include depth: 0 for the main input */
  const sf_origin *origin; /* NULL: the text is the file itself */
};

/* LOC as diagnostics show it: in the file its source was written from
 * (the source's origin), or LOC itself. */
sf_loc sf_loc_origin(sf_loc loc);

/* Line LINE of SRC, without its newline, into start and len; 0 if absent. */
int sf_source_line(const sf_source *src, int line, const char **start,
                   size_t *len);

#endif
