/* ruleset.h - the resolved policy for one target architecture: for every
 * syscall number that has rules, the rules in priority order (USE expanded,
 * names, constants and arguments resolved, widths applied).  This is what
 * the policy means; code generation and the reference evaluator
 * (src/oracle/eval.h) both read it. */
#ifndef SF_RULESET_H
#define SF_RULESET_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "base/source.h"

struct sysfence_ctx;
struct ast_file;

/* ---- values: 64-bit unsigned arithmetic on arguments and constants ---- */

typedef enum { VAL_CONST, VAL_ARG, VAL_AND, VAL_OR } val_kind;

typedef struct sf_val {
  val_kind kind;
  uint64_t k;   /* VAL_CONST */
  int arg;      /* VAL_ARG: 0..5 */
  int bits;     /* VAL_ARG: 16, 32 or 64; the value is args[arg] with only
                   the low `bits` bits kept (zero-extended) */
  struct sf_val *lhs, *rhs;
} sf_val;

/* An upper bound of V's value (an argument's by its width, AND by the
 * smaller side, OR by the bits either side can set): a comparison is
 * made on 32 bits when both sides' bounds fit (sf_cond.width). */
uint64_t sf_val_max(const sf_val *v);

/* ---- conditions ----------------------------------------------------- */

typedef enum { COND_TRUE, COND_FALSE, COND_CMP, COND_AND, COND_OR, COND_NOT } cond_kind;
typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } cmp_op;

/* Constant L OP constant R, as the compiler folds it (1 or 0; -1 for no
 * comparison).  The oracle (src/oracle) keeps its own evaluation. */
int sf_cmp_fold(cmp_op op, uint64_t l, uint64_t r);
/* The comparison that holds for R, L where OP holds for L, R. */
cmp_op sf_cmp_mirror(cmp_op op);

typedef struct sf_cond {
  cond_kind kind;
  cmp_op op;           /* COND_CMP: unsigned comparison of 64-bit values */
  sf_val *lhs, *rhs;   /* COND_CMP */
  int width;           /* COND_CMP: 32 if both sides are known to fit in 32
                          bits (high words are zero), else 64 */
  struct sf_cond *a, *b; /* AND/OR: a, b; NOT: a */
} sf_cond;

/* ---- rules ---------------------------------------------------------- */

typedef struct sf_rule {
  const sf_cond *cond; /* NULL: unconditional */
  uint32_t action;     /* seccomp return value (SECCOMP_RET_* | data) */
  sf_loc loc;          /* the rule in the source */
} sf_rule;

typedef struct sf_sysrules {
  uint32_t nr;
  const char *name;    /* syscall name, or NULL for a custom number */
  sf_rule *rules;      /* priority order; ends at the first unconditional */
  size_t n_rules;
} sf_sysrules;

typedef struct sf_ruleset {
  const sf_arch *arch;
  uint32_t default_action;  /* DEFAULT, or KILL_THREAD when absent */
  uint32_t bad_arch_action; /* foreign arch and foreign ABI numbers */
  int has_unknown;          /* numbers without rules that are no syscall of
                               the arch's table (not -1, not foreign) get
                               unknown_action instead of the default */
  uint32_t unknown_action;
  sf_sysrules *sys;         /* sorted by nr, unique */
  size_t n_sys;
} sf_ruleset;

/* Resolve FILE for the context's architecture.  NULL on errors (recorded
 * as diagnostics); warnings are recorded as well. */
sf_ruleset *sf_resolve(struct sysfence_ctx *ctx, const struct ast_file *file);

#endif
