/* parse.c - running the parser on a loaded source (the grammar is in
 * grammar/parser.y, the tokens and #include splicing in grammar/lexer.l;
 * loading sources is base/load.c's). */
#include "front/parse.h"

#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "lexer_state.h"
#include "parser.h"

/* The first instruction of a compiled filter loads a word of seccomp_data
 * (BPF_LD | BPF_W | BPF_ABS, code 0x20), in either byte order. */
static int looks_like_filter(const unsigned char *t, size_t len) {
  if (len < 8 || len % 8 != 0) return 0;
  return (t[0] == 0x20 && t[1] == 0 && t[2] == 0 && t[3] == 0) ||
         (t[0] == 0 && t[1] == 0x20 && t[2] == 0 && t[3] == 0);
}

/* '{' then '"': a JSON object (a policy never starts with '{'). */
static int looks_like_json(const char *t, size_t len) {
  size_t i = 0;
  while (i < len && strchr(" \t\r\n", t[i]) && t[i]) i++;
  if (i >= len || t[i] != '{') return 0;
  for (i++; i < len && t[i] && strchr(" \t\r\n", t[i]); i++) continue;
  return i < len && (t[i] == '"' || t[i] == '}');
}

/* A main input that is not a policy at all, said once instead of a screen
 * of syntax errors: a compiled filter, a JSON profile, a program; with the
 * command that takes it.  1 if so (the error is recorded). */
static int not_a_policy(sysfence_ctx *ctx, const sf_source *src) {
  const unsigned char *u = (const unsigned char *)src->text;
  const char *name = src->name;
  sf_loc none = {0};
  if (src->depth > 0) return 0;
  if (looks_like_filter(u, src->len)) {
    sf_error(ctx, none, "'%s' is a compiled seccomp filter (raw BPF), not a policy", name);
    sf_note(ctx, none, "list it with 'sysfence disasm %s', run calls through it with "
            "'sysfence sim %s CALL', install it with 'sysfence-exec %s -- COMMAND'",
            name, name, name);
  } else if (looks_like_json(src->text, src->len)) {
    sf_error(ctx, none, "'%s' is a JSON document (an OCI or Docker seccomp profile?), "
             "not a policy", name);
    sf_note(ctx, none, "without '--input policy' it is read as an OCI profile; "
            "'sysfence convert %s --to policy' writes it as a policy", name);
  } else if (src->len >= 4 && memcmp(u, "\x7f" "ELF", 4) == 0) {
    sf_error(ctx, none, "'%s' is an executable program, not a policy", name);
    sf_note(ctx, none, "to run it under a policy: 'sysfence run POLICY -- %s'", name);
  } else {
    return 0;
  }
  return 1;
}

ast_file *sf_parse(sysfence_ctx *ctx, const sf_source *src) {
  if (!src) return NULL;
  if (not_a_policy(ctx, src)) return NULL;
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
