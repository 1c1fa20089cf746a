/* parser.y - grammar of the policy language (Kafel-compatible) building
 * the syntax tree of ast.h.
 *
 * Argument expressions use one expression grammar for values and
 * conditions (which avoids the '(' ambiguity between "( condition )" and
 * "( bits ) == x"); kinds are checked while the tree is built. */
%code top {
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
}

%code requires {
#include "front/ast.h"
#include "lexer_state.h"
#include "base/source.h"
}

%code provides {
int sf_yyparse(void *scanner, sf_parser *ps);
}

%code {
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "base/context.h"
#include "base/diag.h"

int sf_yylex(SF_YYSTYPE *lvalp, SF_YYLTYPE *llocp, void *scanner);
static void sf_yyerror(SF_YYLTYPE *loc, void *scanner, sf_parser *ps,
                       const char *msg);

#define YYLLOC_DEFAULT(Cur, Rhs, N)          \
  do {                                       \
    if (N) (Cur) = YYRHSLOC(Rhs, 1);         \
    else (Cur) = YYRHSLOC(Rhs, 0);           \
  } while (0)

static ast_expr *new_expr(sf_parser *ps, ast_expr_kind kind, sf_loc loc);
static sf_xv leaf(sf_parser *ps, ast_expr_kind kind, sf_loc loc);
static sf_xv binary(sf_parser *ps, ast_expr_kind kind, sf_loc loc, sf_xv l,
                    sf_loc lloc, sf_xv r, sf_loc rloc, int op);
static sf_xv negation(sf_parser *ps, sf_loc loc, sf_xv e, sf_loc eloc);
static ast_expr *condition(sf_parser *ps, sf_xv e, sf_loc loc);
static int open_nest(sf_parser *ps, sf_loc loc);
static void default_in_policy(sf_parser *ps, sf_loc loc);
static void ident_add(sf_parser *ps, sf_identlist *l, const char *name,
                      sf_loc loc);
static void rules_add(sf_rulelist *l, ast_rule *r);
static void entries_add(sf_entrylist *l, ast_entry *e);
static ast_top *top_add(sf_parser *ps, ast_top_kind kind, sf_loc loc);
static void top_entry(sf_parser *ps, ast_entry *e);
static ast_entry *new_action(sf_parser *ps, ast_action_kind kind, sf_loc loc);
static ast_entry *action_number(sf_parser *ps, ast_action_kind kind,
                                sf_loc loc, sf_numval num, sf_loc num_loc);
static ast_entry *action_name(sf_parser *ps, ast_action_kind kind, sf_loc loc,
                              const char *name, sf_loc name_loc);
}

%define api.pure full
%define api.prefix {sf_yy}
%define api.token.prefix {TOK_}
%define api.location.type {sf_loc}
%define parse.error custom
%define parse.lac full
%locations
%lex-param {void *scanner}
%parse-param {void *scanner} {sf_parser *ps}

/* Every member is at most 16 bytes: values are copied on every shift and
 * reduction.  An action is parsed straight into the entry it starts. */
%union {
  sf_numval num;
  const char *str;
  sf_xv ex;
  int op;
  ast_rule *rule;
  sf_rulelist rules;
  ast_entry *entry;
  sf_entrylist entries;
  sf_identlist ids;
}

%token <str> IDENT "identifier"
%token <num> NUMBER "number"
%token POLICY "POLICY" USE "USE" DEFAULT "DEFAULT" SYSCALL "SYSCALL" ON "ON"
%token ALLOW "ALLOW" LOG "LOG" KILL "KILL" KILL_THREAD "KILL_THREAD"
%token DENY "DENY" KILL_PROCESS "KILL_PROCESS" USER_NOTIF "USER_NOTIF"
%token ERRNO "ERRNO" TRAP "TRAP" TRACE "TRACE"
%token DEFINE "#define"
%token EQ "==" NE "!=" LT "<" LE "<=" GT ">" GE ">="
%token OROR "||" ANDAND "&&"

%type <ex> expr
%type <op> cmp_op
%type <rule> rule
%type <rules> rule_list rules_opt
%type <entry> entry body_entry action
%type <entries> body body_entries
%type <ids> ident_list archs
%type <str> name

%left ','
%left OROR
%left ANDAND
%precedence '!'
%nonassoc EQ NE LT LE GT GE
%left '|'
%left '&'

%%

file:
    %empty
  | file top_item
  ;

top_item:
    DEFINE name NUMBER {
      ast_top *t = top_add(ps, AST_TOP_DEFINE, @1);
      if (t) {
        t->name.name = $2;
        t->name.loc = @2;
        t->value = $3.value;
        t->negative = $3.negative;
      }
    }
  | POLICY name '{' body '}' {
      ast_top *t = top_add(ps, AST_TOP_POLICY, @1);
      if (t) {
        t->name.name = $2;
        t->name.loc = @2;
        t->entries = $4.head;
      }
    }
  | DEFAULT action {
      ast_top *t = top_add(ps, AST_TOP_DEFAULT, @1);
      if (t && $2) t->action = $2->action;
    }
  | top_entries
  | error
  ;

/* Top-level entries: separated by ',' or simply following each other. */
top_entries:
    entry { top_entry(ps, $1); }
  | top_entries ',' entry { top_entry(ps, $3); }
  ;

name:
    IDENT { $$ = $1; }
  ;

/* A POLICY body: entries separated by ',' (also accepted without). */
body:
    %empty { $$.head = $$.tail = NULL; }
  | body_entries
  ;

body_entries:
    body_entry { $$.head = $$.tail = NULL; entries_add(&$$, $1); }
  | body_entries ',' body_entry { $$ = $1; entries_add(&$$, $3); }
  | body_entries body_entry { $$ = $1; entries_add(&$$, $2); }
  ;

body_entry:
    entry
  | DEFAULT action {
      default_in_policy(ps, @1);
      $$ = NULL;
    }
  | DEFINE name NUMBER {
      sf_error(ps->ctx, @1,
               "#define is only allowed at top level, not inside POLICY");
      $$ = NULL;
    }
  | error { $$ = NULL; }
  ;

entry:
    USE name {
      ps->use_before = 1;
      $$ = sf_alloc(ps->ctx, sizeof *$$);
      if ($$) {
        $$->kind = AST_ENTRY_USE;
        $$->loc = @1;
        $$->use.name = $2;
        $$->use.loc = @2;
      }
    }
  | action '{' rules_opt '}' {
      ps->use_before = 0;
      $$ = $1;
      if ($$) $$->rules = $3.head;
    }
  ;

action:
    ALLOW { $$ = new_action(ps, AST_ACT_ALLOW, @1); }
  | LOG { $$ = new_action(ps, AST_ACT_LOG, @1); }
  | KILL { $$ = new_action(ps, AST_ACT_KILL, @1); }
  | KILL_THREAD { $$ = new_action(ps, AST_ACT_KILL, @1); }
  | DENY { $$ = new_action(ps, AST_ACT_KILL, @1); }
  | KILL_PROCESS { $$ = new_action(ps, AST_ACT_KILL_PROCESS, @1); }
  | USER_NOTIF { $$ = new_action(ps, AST_ACT_USER_NOTIF, @1); }
  | ERRNO '(' NUMBER ')' { $$ = action_number(ps, AST_ACT_ERRNO, @1, $3, @3); }
  | TRAP '(' NUMBER ')' { $$ = action_number(ps, AST_ACT_TRAP, @1, $3, @3); }
  | TRACE '(' NUMBER ')' { $$ = action_number(ps, AST_ACT_TRACE, @1, $3, @3); }
  | ERRNO '(' IDENT ')' { $$ = action_name(ps, AST_ACT_ERRNO, @1, $3, @3); }
  | TRAP '(' IDENT ')' { $$ = action_name(ps, AST_ACT_TRAP, @1, $3, @3); }
  | TRACE '(' IDENT ')' { $$ = action_name(ps, AST_ACT_TRACE, @1, $3, @3); }
  ;

rules_opt:
    %empty { $$.head = $$.tail = NULL; }
  | rule_list
  ;

rule_list:
    rule { $$.head = $$.tail = NULL; rules_add(&$$, $1); }
  | rule_list ',' rule { $$ = $1; rules_add(&$$, $3); }
  ;

rule:
    IDENT {
      ast_rule *r = sf_alloc(ps->ctx, sizeof *r);
      if (r) {
        r->loc = @1;
        r->name.name = $1;
        r->name.loc = @1;
      }
      $<rule>$ = r;
    } args_opt archs_opt filter_opt { $$ = $<rule>2; }
  | SYSCALL '[' NUMBER ']' {
      ast_rule *r = sf_alloc(ps->ctx, sizeof *r);
      if (r) {
        r->loc = @1;
        r->is_custom = 1;
        r->number = $3.value;
        r->number_negative = $3.negative;
        r->number_loc = @3;
      }
      $<rule>$ = r;
    } args_opt archs_opt filter_opt { $$ = $<rule>5; }
  | error { $$ = NULL; ps->nest = 0; ps->depth_reported = 0; }
  ;

/* The three optional parts of a rule fill in the rule just created, which
 * is the mid-rule value below them on the stack. */
args_opt:
    %empty
  | '(' ')' {
      ast_rule *r = $<rule>0;
      if (r) r->has_args = 1;
    }
  | '(' ident_list ')' {
      ast_rule *r = $<rule>0;
      if (r) {
        r->has_args = 1;
        r->args = $2.v;
        r->n_args = $2.n;
      }
    }
  ;

archs_opt:
    %empty
  | ON archs {
      ast_rule *r = $<rule>-1;
      if (r) {
        r->archs = $2.v;
        r->n_archs = $2.n;
      }
    }
  ;

archs:
    IDENT { $$.v = NULL; $$.n = $$.cap = 0; ident_add(ps, &$$, $1, @1); }
  | '{' ident_list '}' { $$ = $2; }
  ;

filter_opt:
    %empty { ps->nest = 0; ps->depth_reported = 0; }
  | '{' '}' {
      ast_rule *r = $<rule>-2;
      if (r) r->empty_filter = 1;
      ps->nest = 0;
      ps->depth_reported = 0;
    }
  | '{' expr '}' {
      ast_rule *r = $<rule>-2;
      ast_expr *e = condition(ps, $2, @2);
      if (r) r->filter = e;
      ps->nest = 0;
      ps->depth_reported = 0;
    }
  | '{' error '}' { ps->nest = 0; ps->depth_reported = 0; }
  ;

ident_list:
    IDENT { $$.v = NULL; $$.n = $$.cap = 0; ident_add(ps, &$$, $1, @1); }
  | ident_list ',' IDENT { $$ = $1; ident_add(ps, &$$, $3, @3); }
  ;

expr:
    NUMBER {
      $$ = leaf(ps, AST_NUM, @1);
      if ($$.e) {
        $$.e->value = $1.value;
        $$.e->negative = $1.negative;
      }
    }
  | IDENT {
      $$ = leaf(ps, AST_IDENT, @1);
      if ($$.e) $$.e->name = $1;
    }
  | lparen expr ')' { $$ = $2; ps->nest--; }
  | bang expr %prec '!' { $$ = negation(ps, @1, $2, @2); ps->nest--; }
  | expr ',' expr { $$ = binary(ps, AST_OR, @1, $1, @1, $3, @3, ','); }
  | expr OROR expr { $$ = binary(ps, AST_OR, @1, $1, @1, $3, @3, TOK_OROR); }
  | expr ANDAND expr { $$ = binary(ps, AST_AND, @1, $1, @1, $3, @3, TOK_ANDAND); }
  | expr '|' expr { $$ = binary(ps, AST_BITOR, @1, $1, @1, $3, @3, '|'); }
  | expr '&' expr { $$ = binary(ps, AST_BITAND, @1, $1, @1, $3, @3, '&'); }
  | expr cmp_op expr %prec EQ {
      $$ = binary(ps, AST_CMP, @1, $1, @1, $3, @3, $2);
    }
  ;

cmp_op:
    EQ { $$ = AST_EQ; }
  | NE { $$ = AST_NE; }
  | LT { $$ = AST_LT; }
  | LE { $$ = AST_LE; }
  | GT { $$ = AST_GT; }
  | GE { $$ = AST_GE; }
  ;

/* '(' and '!' count the nesting so that deep input cannot grow the parser
 * stack without bound. */
lparen:
    '(' { if (open_nest(ps, @1) != 0) YYABORT; }
  ;

bang:
    '!' { if (open_nest(ps, @1) != 0) YYABORT; }
  ;

%%

/* ---- tree building ---------------------------------------------------- */

static ast_expr *new_expr(sf_parser *ps, ast_expr_kind kind, sf_loc loc) {
  ast_expr *e = sf_alloc(ps->ctx, sizeof *e);
  if (e) {
    e->kind = kind;
    e->loc = loc;
  }
  return e;
}

static sf_xv leaf(sf_parser *ps, ast_expr_kind kind, sf_loc loc) {
  sf_xv v = {new_expr(ps, kind, loc), 1};
  return v;
}

static int is_condition(const ast_expr *e) { return e->kind >= AST_CMP; }

static const char *op_text(int op) {
  switch (op) {
  case ',': return ",";
  case TOK_OROR: return "||";
  case TOK_ANDAND: return "&&";
  case '|': return "|";
  case '&': return "&";
  case AST_EQ: return "==";
  case AST_NE: return "!=";
  case AST_LT: return "<";
  case AST_LE: return "<=";
  case AST_GT: return ">";
  case AST_GE: return ">=";
  default: return "?";
  }
}

/* Report a value used where a condition is needed. */
static void need_condition(sf_parser *ps, const ast_expr *e, sf_loc loc) {
  if (e->kind == AST_IDENT)
    sf_error(ps->ctx, loc, "expected a comparison, found '%s' alone (e.g. "
             "'%s != 0')", e->name, e->name);
  else
    sf_error(ps->ctx, loc, "expected a comparison, found a value");
}

static void need_value(sf_parser *ps, sf_loc loc, int op) {
  sf_error(ps->ctx, loc, "a comparison cannot be an operand of '%s'",
           op_text(op));
}

static int too_deep(sf_parser *ps, int depth, sf_loc loc) {
  if (depth <= SF_MAX_EXPR_DEPTH) return 0;
  if (!ps->depth_reported)
    sf_error(ps->ctx, loc,
             "expression is nested too deeply (more than %d levels)",
             SF_MAX_EXPR_DEPTH);
  ps->depth_reported = 1;
  return 1;
}

static sf_xv binary(sf_parser *ps, ast_expr_kind kind, sf_loc loc, sf_xv l,
                    sf_loc lloc, sf_xv r, sf_loc rloc, int op) {
  sf_xv v = {NULL, (l.depth > r.depth ? l.depth : r.depth) + 1};
  if (!l.e || !r.e) return v;
  int want_cond = kind == AST_AND || kind == AST_OR;
  int ok = 1;
  if (want_cond) {
    if (!is_condition(l.e)) { need_condition(ps, l.e, lloc); ok = 0; }
    if (!is_condition(r.e)) { need_condition(ps, r.e, rloc); ok = 0; }
  } else {
    if (is_condition(l.e)) { need_value(ps, lloc, op); ok = 0; }
    if (is_condition(r.e)) { need_value(ps, rloc, op); ok = 0; }
  }
  if (!ok || too_deep(ps, v.depth, loc)) return v;
  v.e = new_expr(ps, kind, loc);
  if (v.e) {
    v.e->lhs = l.e;
    v.e->rhs = r.e;
    if (kind == AST_CMP) v.e->op = (ast_cmp_op)op;
  }
  return v;
}

static sf_xv negation(sf_parser *ps, sf_loc loc, sf_xv e, sf_loc eloc) {
  sf_xv v = {NULL, e.depth + 1};
  if (!e.e) return v;
  if (!is_condition(e.e)) {
    need_condition(ps, e.e, eloc);
    return v;
  }
  if (too_deep(ps, v.depth, loc)) return v;
  v.e = new_expr(ps, AST_NOT, loc);
  if (v.e) v.e->lhs = e.e;
  return v;
}

/* The whole filter: must be a condition. */
static ast_expr *condition(sf_parser *ps, sf_xv e, sf_loc loc) {
  if (!e.e) return NULL;
  if (!is_condition(e.e)) {
    need_condition(ps, e.e, loc);
    return NULL;
  }
  return e.e;
}

static int open_nest(sf_parser *ps, sf_loc loc) {
  if (++ps->nest <= SF_MAX_EXPR_DEPTH) return 0;
  sf_error(ps->ctx, loc,
           "expression is nested too deeply (more than %d levels)",
           SF_MAX_EXPR_DEPTH);
  return -1;
}

static void ident_add(sf_parser *ps, sf_identlist *l, const char *name,
                      sf_loc loc) {
  if (l->n == l->cap) {
    uint32_t cap = l->cap ? l->cap * 2 : 4;
    ast_ident *v = sf_alloc(ps->ctx, cap * sizeof *v);
    if (!v) return;
    if (l->n) memcpy(v, l->v, l->n * sizeof *v);
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n].name = name;
  l->v[l->n].loc = loc;
  l->n++;
}

static void rules_add(sf_rulelist *l, ast_rule *r) {
  if (!r) return;
  if (l->tail) l->tail->next = r;
  else l->head = r;
  l->tail = r;
}

static void entries_add(sf_entrylist *l, ast_entry *e) {
  if (!e) return;
  if (l->tail) l->tail->next = e;
  else l->head = e;
  l->tail = e;
}

static ast_top *top_add(sf_parser *ps, ast_top_kind kind, sf_loc loc) {
  ast_top *t = sf_alloc(ps->ctx, sizeof *t);
  if (!t) return NULL;
  t->kind = kind;
  t->loc = loc;
  if (ps->last_top) ps->last_top->next = t;
  else ps->file->items = t;
  ps->last_top = t;
  ps->top_tail = NULL;
  return t;
}

/* A top-level entry joins the entries item right before it, if any. */
static void top_entry(sf_parser *ps, ast_entry *e) {
  if (!e) return;
  if (!ps->last_top || ps->last_top->kind != AST_TOP_ENTRIES) {
    if (!top_add(ps, AST_TOP_ENTRIES, e->loc)) return;
  }
  if (ps->top_tail) ps->top_tail->next = e;
  else ps->last_top->entries = e;
  ps->top_tail = e;
}

/* An action starts an entry (an action block; or DEFAULT, which takes
 * just the action). */
static ast_entry *new_action(sf_parser *ps, ast_action_kind kind, sf_loc loc) {
  ast_entry *e = sf_alloc(ps->ctx, sizeof *e);
  if (!e) return NULL;
  e->kind = AST_ENTRY_BLOCK;
  e->loc = loc;
  e->action.kind = kind;
  e->action.loc = loc;
  return e;
}

static ast_entry *action_number(sf_parser *ps, ast_action_kind kind,
                                sf_loc loc, sf_numval num, sf_loc num_loc) {
  ast_entry *e = new_action(ps, kind, loc);
  if (e) {
    e->action.value = num.value;
    e->action.negative = num.negative;
    e->action.value_loc = num_loc;
  }
  return e;
}

static ast_entry *action_name(sf_parser *ps, ast_action_kind kind, sf_loc loc,
                              const char *name, sf_loc name_loc) {
  ast_entry *e = new_action(ps, kind, loc);
  if (e) {
    e->action.value_name = name;
    e->action.value_loc = name_loc;
  }
  return e;
}

/* ---- syntax errors ---------------------------------------------------- */

static void sf_yyerror(SF_YYLTYPE *loc, void *scanner, sf_parser *ps,
                       const char *msg) {
  (void)scanner;
  if (strcmp(msg, "memory exhausted") == 0)
    sf_error(ps->ctx, *loc, "policy is nested too deeply");
  else
    sf_error(ps->ctx, *loc, "%s", msg);
}

/* The '{' not closed yet: the innermost (INNERMOST) or the outermost.
 * 0 if none is open (or it is too deep to be kept). */
static int open_brace(const sf_parser *ps, int innermost, sf_loc *loc) {
  int n = ps->lex->n_open;
  if (n == 0 || (innermost && n > SF_MAX_OPEN_BRACES)) return 0;
  *loc = ps->lex->open_braces[innermost ? n - 1 : 0];
  return 1;
}

/* DEFAULT inside a POLICY's braces: most often its '}' is missing (the
 * POLICY's '{' is the outermost one open). */
static void default_in_policy(sf_parser *ps, sf_loc loc) {
  sf_loc brace;
  /* "USE p DEFAULT KILL" is the top level's closing line: after it, the
   * POLICY above has no '}'. */
  if (!ps->use_before || !open_brace(ps, 0, &brace)) {
    sf_error(ps->ctx, loc, "DEFAULT is only allowed at top level, not inside POLICY");
    return;
  }
  sf_error(ps->ctx, loc, "expected '}' before DEFAULT: DEFAULT is only allowed at top "
           "level, not inside POLICY");
  sf_note(ps->ctx, brace, "to match this '{'");
}

static int is_keyword(yysymbol_kind_t k) {
  switch (k) {
  case YYSYMBOL_POLICY: case YYSYMBOL_USE: case YYSYMBOL_DEFAULT:
  case YYSYMBOL_SYSCALL: case YYSYMBOL_ON: case YYSYMBOL_ALLOW:
  case YYSYMBOL_LOG: case YYSYMBOL_KILL: case YYSYMBOL_KILL_THREAD:
  case YYSYMBOL_DENY: case YYSYMBOL_KILL_PROCESS: case YYSYMBOL_USER_NOTIF:
  case YYSYMBOL_ERRNO: case YYSYMBOL_TRAP: case YYSYMBOL_TRACE:
    return 1;
  default:
    return 0;
  }
}

static int is_action(yysymbol_kind_t k) {
  switch (k) {
  case YYSYMBOL_ALLOW: case YYSYMBOL_LOG: case YYSYMBOL_KILL:
  case YYSYMBOL_KILL_THREAD: case YYSYMBOL_DENY: case YYSYMBOL_KILL_PROCESS:
  case YYSYMBOL_USER_NOTIF: case YYSYMBOL_ERRNO: case YYSYMBOL_TRAP:
  case YYSYMBOL_TRACE:
    return 1;
  default:
    return 0;
  }
}

static int is_cmp(yysymbol_kind_t k) {
  return k == YYSYMBOL_EQ || k == YYSYMBOL_NE || k == YYSYMBOL_LT ||
         k == YYSYMBOL_LE || k == YYSYMBOL_GT || k == YYSYMBOL_GE;
}

/* How a token is named in messages: 'x' for fixed tokens. */
static void token_name(yysymbol_kind_t k, char *buf, size_t size) {
  const char *n = yysymbol_name(k);
  if (k == YYSYMBOL_YYEOF) {
    snprintf(buf, size, "end of file");
  } else if (k == YYSYMBOL_IDENT) {
    snprintf(buf, size, "an identifier");
  } else if (k == YYSYMBOL_NUMBER) {
    snprintf(buf, size, "a number");
  } else if (n[0] == '\'') {
    snprintf(buf, size, "%s", n);
  } else if (n[0] == '"') {
    size_t len = strlen(n);
    snprintf(buf, size, "'%.*s'", (int)(len > 2 ? len - 2 : 0), n + 1);
  } else {
    snprintf(buf, size, "'%s'", n);
  }
}

/* 'ON' after a rule's filter braces: it goes between the name and the
 * filter.  1 if that is the case (the error is recorded). */
static int misplaced_on(sf_parser *ps, sf_loc loc) {
  sf_loc brace = ps->lex->last_closed;
  if (!brace.src) return 0;
  sf_error(ps->ctx, loc, "'ON' comes before the argument filter, not after it: "
           "write NAME ON ARCH { FILTER }");
  sf_note(ps->ctx, brace, "move 'ON ...' before this '{'");
  return 1;
}

/* A misspelled keyword (ALOW, ERNO, DEFALT): the closest of the keywords
 * expected there, as " ; did you mean 'ALLOW'?" into HINT. */
static void keyword_hint(const char *text, const yysymbol_kind_t *exp, int n,
                         char *hint, size_t size) {
  const char *names[YYNTOKENS];
  size_t k = 0;
  for (int i = 0; i < n; i++) /* a keyword's token name is the keyword */
    if (is_keyword(exp[i])) names[k++] = yysymbol_name(exp[i]);
  char upper[48];
  size_t len = strlen(text);
  if (len >= sizeof upper) return;
  for (size_t i = 0; i <= len; i++) upper[i] = (char)toupper((unsigned char)text[i]);
  const char *best = sf_closest_name(upper, names, k);
  if (best) snprintf(hint, size, "; did you mean '%s'?", best);
}

/* The notes and fix-its an error gets: the unclosed '{' an end of file or
 * a top-level keyword shows, the correction of a misspelled keyword. */
static void after_syntax_error(sf_parser *ps, yysymbol_kind_t tok, sf_loc loc,
                               const char *text, const char *hint) {
  const char *q = strstr(hint, "'");
  if (tok == YYSYMBOL_IDENT && q) {
    char word[32];
    snprintf(word, sizeof word, "%s", q + 1);
    char *end = strchr(word, '\'');
    if (end) *end = '\0';
    sf_fixit(ps->ctx, loc, strlen(text), word);
  }
  sf_loc brace;
  if ((tok == YYSYMBOL_YYEOF || tok == YYSYMBOL_POLICY || tok == YYSYMBOL_DEFINE) &&
      open_brace(ps, 1, &brace))
    sf_note(ps->ctx, brace, "to match this '{'");
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, void *scanner,
                                 sf_parser *ps) {
  (void)scanner;
  sf_loc loc = *yypcontext_location(yyctx);
  yysymbol_kind_t tok = yypcontext_token(yyctx);
  yysymbol_kind_t exp[YYNTOKENS];
  int n = yypcontext_expected_tokens(yyctx, exp, YYNTOKENS);
  if (n < 0) n = 0;
  const char *text = ps->lex->tok_text;
  if (tok == YYSYMBOL_YYEOF && ps->lex->quiet_eof) return 0;

  int want_ident = 0, want_syscall = 0, n_actions = 0, n_cmps = 0;
  for (int i = 0; i < n; i++) {
    if (exp[i] == YYSYMBOL_IDENT) want_ident = 1;
    if (exp[i] == YYSYMBOL_SYSCALL) want_syscall = 1;
    if (is_action(exp[i])) n_actions++;
    if (is_cmp(exp[i])) n_cmps++;
  }
  if (is_keyword(tok) && want_ident) {
    sf_error(ps->ctx, loc, "keyword '%s' cannot be used as a name", text);
    return 0;
  }
  if (tok == YYSYMBOL_ON && misplaced_on(ps, loc)) return 0;

  /* What was found. */
  char found[96];
  if (tok == YYSYMBOL_IDENT)
    snprintf(found, sizeof found, "identifier '%s'", text);
  else if (tok == YYSYMBOL_NUMBER)
    snprintf(found, sizeof found, "number '%s'", text);
  else
    token_name(tok, found, sizeof found);

  /* "allow" for "ALLOW": keywords are upper case. */
  char hint[64] = "";
  if (tok == YYSYMBOL_IDENT && strlen(text) < 20) {
    static const char *const kw[] = {
        "POLICY", "USE", "DEFAULT", "SYSCALL", "ON", "ALLOW", "LOG", "KILL",
        "KILL_THREAD", "DENY", "KILL_PROCESS", "USER_NOTIF", "ERRNO", "TRAP",
        "TRACE"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
      if (strcasecmp(text, kw[i]) == 0)
        snprintf(hint, sizeof hint, " (keywords are upper case: '%s')",
                 kw[i]);
  }
  /* What was expected, with groups of tokens named by what they mean. */
  const char *items[YYNTOKENS + 4];
  char names[YYNTOKENS][32];
  int m = 0;
  if (want_ident && want_syscall) items[m++] = "a syscall name";
  if (n_actions == 10) items[m++] = "an action";
  if (n_cmps == 6) items[m++] = "a comparison operator";
  for (int i = 0; i < n; i++) {
    yysymbol_kind_t k = exp[i];
    if (want_ident && want_syscall &&
        (k == YYSYMBOL_IDENT || k == YYSYMBOL_SYSCALL))
      continue;
    if (n_actions == 10 && is_action(k)) continue;
    if (n_cmps == 6 && is_cmp(k)) continue;
    token_name(k, names[i], sizeof names[i]);
    items[m++] = names[i];
  }
  if (!hint[0] && tok == YYSYMBOL_IDENT)
    keyword_hint(text, exp, n, hint, sizeof hint);
  if (m == 0 || m > 8) {
    sf_error(ps->ctx, loc, "unexpected %s%s", found, hint);
    after_syntax_error(ps, tok, loc, text, hint);
    return 0;
  }
  char list[512];
  size_t used = 0;
  list[0] = '\0';
  for (int i = 0; i < m && used < sizeof list; i++) {
    const char *sep = i == 0 ? "" : i == m - 1 ? " or " : ", ";
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", sep,
                             items[i]);
  }
  sf_error(ps->ctx, loc, "unexpected %s, expected %s%s", found, list, hint);
  after_syntax_error(ps, tok, loc, text, hint);
  return 0;
}
