/* parse.c - running the parser on a loaded source (the grammar is in
 * grammar/parser.y, the tokens and #include splicing in grammar/lexer.l;
 * loading sources is base/load.c's). */
#include "front/parse.h"

#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "lexer_state.h"
#include "parser.h"

ast_file *sf_parse(sysfence_ctx *ctx, const sf_source *src) {
  if (!src) return NULL;
  ast_file *file = sf_alloc(ctx, sizeof *file);
  if (!file) return NULL;
  sf_lexer_state st;
  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  st.src = src;
  sf_parser ps;
  memset(&ps, 0, sizeof ps);
  ps.ctx = ctx;
  ps.lex = &st;
  ps.file = file;
  void *scanner = NULL;
  if (sf_lex_open(&st, &scanner) != 0) return file;
  sf_yyparse(scanner, &ps);
  sf_lex_close(&st, scanner);
  return file;
}
