/* ast.h - the syntax tree the parser builds: policies as written, names not
 * yet resolved.  All nodes live in the context's arena. */
#ifndef SF_AST_H
#define SF_AST_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"

/* ---- argument expressions ------------------------------------------- */

typedef enum {
  AST_NUM,    /* number literal: value, negative set for a '-' literal */
  AST_IDENT,  /* argument name or #define'd constant: name */
  AST_BITAND, /* lhs & rhs */
  AST_BITOR,  /* lhs | rhs */
  AST_CMP,    /* lhs op rhs, op one of AST_EQ..AST_GE */
  AST_AND,    /* lhs && rhs */
  AST_OR,     /* lhs || rhs, also ',' inside a filter */
  AST_NOT     /* !lhs */
} ast_expr_kind;

typedef enum { AST_EQ, AST_NE, AST_LT, AST_LE, AST_GT, AST_GE } ast_cmp_op;

/* Kept small (40 bytes): a large policy has millions of these.  Only the
 * fields of the node's kind are meaningful. */
typedef struct ast_expr {
  sf_loc loc;          /* first character of the node */
  ast_expr_kind kind;
  ast_cmp_op op;       /* AST_CMP */
  union {
    struct {
      uint64_t value;  /* AST_NUM: two's complement for negatives */
      int negative;    /* AST_NUM written with a leading '-' */
    };
    const char *name;  /* AST_IDENT */
    struct {
      struct ast_expr *lhs, *rhs; /* operators (AST_NOT: lhs only) */
    };
  };
} ast_expr;

/* ---- actions -------------------------------------------------------- */

typedef enum {
  AST_ACT_ALLOW, AST_ACT_LOG, AST_ACT_KILL, /* KILL, KILL_THREAD, DENY */
  AST_ACT_KILL_PROCESS, AST_ACT_USER_NOTIF, AST_ACT_ERRNO, AST_ACT_TRAP,
  AST_ACT_TRACE
} ast_action_kind;

typedef struct ast_action {
  ast_action_kind kind;
  int negative;   /* the number was written with '-' */
  uint64_t value; /* ERRNO/TRAP/TRACE argument as written */
  const char *value_name; /* ... or the #define'd name written instead */
  sf_loc loc;
  sf_loc value_loc; /* location of the number, for range errors */
} ast_action;

/* ---- rules ---------------------------------------------------------- */

typedef struct ast_ident {
  const char *name;
  sf_loc loc;
} ast_ident;

typedef struct ast_rule {
  sf_loc loc;
  /* The syscall: a name (syscall or #define'd number), or SYSCALL[n]. */
  ast_ident name;     /* !is_custom */
  uint64_t number;    /* is_custom */
  sf_loc number_loc;
  unsigned char is_custom; /* SYSCALL[n] */
  unsigned char number_negative;
  /* Positional argument names: has_args is set when "( ... )" is written
   * (possibly empty). */
  unsigned char has_args;
  unsigned char empty_filter; /* the filter is written as "{ }" */
  uint32_t n_args;
  ast_ident *args;
  /* ON guard: n_archs == 0 means no guard. */
  ast_ident *archs;
  size_t n_archs;
  ast_expr *filter;   /* NULL: no filter or "{ }" */
  struct ast_rule *next;
} ast_rule;

/* ---- entries: USE or an action block -------------------------------- */

typedef enum { AST_ENTRY_USE, AST_ENTRY_BLOCK } ast_entry_kind;

typedef struct ast_entry {
  ast_entry_kind kind;
  sf_loc loc;
  ast_ident use;      /* AST_ENTRY_USE */
  ast_action action;  /* AST_ENTRY_BLOCK */
  ast_rule *rules;    /* AST_ENTRY_BLOCK: list, may be empty */
  struct ast_entry *next;
} ast_entry;

/* ---- top level ------------------------------------------------------ */

typedef enum {
  AST_TOP_DEFINE,  /* #define name value */
  AST_TOP_POLICY,  /* POLICY name { entries } */
  AST_TOP_ENTRIES, /* entries appended to the main policy */
  AST_TOP_DEFAULT  /* DEFAULT action */
} ast_top_kind;

typedef struct ast_top {
  ast_top_kind kind;
  sf_loc loc;
  ast_ident name;       /* DEFINE, POLICY */
  uint64_t value;       /* DEFINE */
  int negative;         /* DEFINE value written with '-' */
  ast_entry *entries;   /* POLICY, ENTRIES */
  ast_action action;    /* DEFAULT */
  struct ast_top *next;
} ast_top;

typedef struct ast_file {
  ast_top *items; /* in source order, includes spliced in place */
} ast_file;

#endif
