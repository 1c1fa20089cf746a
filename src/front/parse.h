/* parse.h - front end: policy text -> syntax tree (grammar/lexer.l and
 * grammar/parser.y do the work; #include is spliced in by the lexer). */
#ifndef SF_PARSE_H
#define SF_PARSE_H

#include "front/ast.h"

struct sysfence_ctx;

/* Maximum #include nesting and expression nesting (clear errors beyond). */
enum { SF_MAX_INCLUDE_DEPTH = 16, SF_MAX_EXPR_DEPTH = 200 };
/* Largest policy file read (a sanity bound: /dev/zero never ends). */
#define SF_MAX_SOURCE_SIZE ((size_t)128 << 20)

/* Load the context's input (string or path) as the main source.  NULL on
 * failure (diagnostic recorded). */
const sf_source *sf_load_main_source(struct sysfence_ctx *ctx);
/* Load a file for #include NAME written at LOC, searching the including
 * file's folder and then the include paths.  NULL on failure (diagnostic
 * recorded, with a hint listing where it looked). */
const sf_source *sf_load_include(struct sysfence_ctx *ctx, const char *name,
                                 sf_loc loc);

/* Parse SRC.  Returns the tree even when errors were found (with the parts
 * that could be recovered) and NULL only when nothing could be built; the
 * caller checks the context's error count. */
ast_file *sf_parse(struct sysfence_ctx *ctx, const sf_source *src);

#endif
