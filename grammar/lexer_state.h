/* lexer_state.h - state shared by the lexer (grammar/lexer.l), the parser
 * (grammar/parser.y) and the driver (src/parse.c).
 *
 * The lexer splices #include'd files into the token stream: each included
 * file gets its own flex buffer, and a stack of frames remembers where to
 * resume in the including file. */
#ifndef SF_LEXER_STATE_H
#define SF_LEXER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "front/ast.h"
#include "front/parse.h"
#include "base/hash.h"
#include "base/source.h"

struct sysfence_ctx;

/* Value of a NUMBER token. */
typedef struct sf_numval {
  uint64_t value; /* two's complement for negatives */
  int negative;
} sf_numval;

/* An expression under construction, with its depth (for the nesting
 * limit).  e is NULL after an error in the expression. */
typedef struct sf_xv {
  ast_expr *e;
  int depth;
} sf_xv;

typedef struct sf_identlist {
  ast_ident *v;
  uint32_t n, cap;
} sf_identlist;

typedef struct sf_rulelist {
  ast_rule *head, *tail;
} sf_rulelist;

typedef struct sf_entrylist {
  ast_entry *head, *tail;
} sf_entrylist;

/* One level of the include stack: what to resume when the file above it
 * ends.  Level i of the stack is frames[i] for i < n_frames, and the
 * lexer state itself for the file being read. */
typedef struct sf_incl_frame {
  void *buf;              /* flex buffer of this level (YY_BUFFER_STATE) */
  const sf_source *src;
  int line, col;          /* position to resume at */
  const char *real;       /* canonical path, NULL if unknown */
  const char *written;    /* name as written in the #include, NULL for main */
  /* #include names of this level's directive not yet spliced in. */
  const char **pend;
  sf_loc *pend_locs;      /* where each name is written */
  size_t pend_n, pend_i;
} sf_incl_frame;

/* Identifiers, each stored once (see intern() in lexer.l), in a table of
 * base/hash.h. */
typedef struct sf_interned {
  const char *str;
  size_t len;
} sf_interned;

enum { SF_MAX_OPEN_BRACES = 64 };

typedef struct sf_lexer_state {
  struct sysfence_ctx *ctx;
  /* The file being read and the position in it. */
  const sf_source *src;
  int line, col;
  const char *real;
  const char *written;
  const char **pend;
  sf_loc *pend_locs;
  size_t pend_n, pend_i;
  /* Files being included, outermost first. */
  sf_incl_frame frames[SF_MAX_INCLUDE_DEPTH + 1];
  int n_frames;
  /* #include directive being read. */
  sf_loc dir_loc;
  const char **dir_names;
  sf_loc *dir_locs;
  size_t dir_n, dir_cap;
  int dir_bad;
  /* Start of the block comment being read. */
  sf_loc comment_loc;
  /* The last NUL byte seen (NUL runs are reported once). */
  sf_loc last_nul;
  /* An unterminated comment ended the input: no "unexpected end of
   * file" on top of it. */
  int quiet_eof;
  /* Every identifier read so far. */
  sf_hash names;
  /* Text of the last token returned (truncated), for error messages. */
  char tok_text[48];
  /* The '{' not closed yet, innermost last (deeper ones are counted, not
   * kept), for "to match this '{'"; and the '{' the last '}' closed. */
  sf_loc open_braces[SF_MAX_OPEN_BRACES];
  int n_open;
  sf_loc last_closed;
} sf_lexer_state;

/* Parser state (the %parse-param). */
typedef struct sf_parser {
  struct sysfence_ctx *ctx;
  sf_lexer_state *lex;
  ast_file *file;
  ast_top *last_top;     /* tail of file->items */
  ast_entry *top_tail;   /* tail of the entries of last_top if ENTRIES */
  int nest;              /* open '(' and '!' in the current filter */
  int depth_reported;    /* nesting error already reported in this filter */
  int use_before;        /* the last entry was a USE (for DEFAULT after it) */
} sf_parser;

/* Set up a scanner reading ST->src (ST already filled in).  Source texts
 * are scanned in place: each must be followed by two NUL bytes (text[len]
 * and text[len + 1]), as sf_load_main_source and sf_load_include make
 * them.  Returns 0, or
 * -1 when out of memory or the text is too large (diagnostic recorded). */
int sf_lex_open(sf_lexer_state *st, void **scanner);
/* Release the scanner and every buffer of the include stack. */
void sf_lex_close(sf_lexer_state *st, void *scanner);

#endif
