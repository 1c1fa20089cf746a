/* parse.h - front end: policy text -> syntax tree (grammar/lexer.l and
 * grammar/parser.y do the work; #include is spliced in by the lexer). */
#ifndef SF_PARSE_H
#define SF_PARSE_H

#include "base/load.h"
#include "front/ast.h"

struct sysfence_ctx;

/* Maximum expression nesting (a clear error beyond). */
enum { SF_MAX_EXPR_DEPTH = 200 };

/* Parse SRC.  Returns the tree even when errors were found (with the parts
 * that could be recovered) and NULL only when nothing could be built; the
 * caller checks the context's error count. */
ast_file *sf_parse(struct sysfence_ctx *ctx, const sf_source *src);

#endif
