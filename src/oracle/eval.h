/* eval.h - the reference semantics of a resolved policy: the oracle that
 * the tests (and 'sysfence eval') hold the generated programs to.  No
 * stage of the compiler uses it. */
#ifndef SF_EVAL_H
#define SF_EVAL_H

#include <stdint.h>

#include "sema/ruleset.h"

/* The reference semantics: the action the policy gives a call, and the
 * rule that decided it (NULL for the default or bad-arch action). */
typedef struct sf_query {
  uint32_t nr, arch;
  uint64_t args[SF_MAX_ARGS];
} sf_query;
uint32_t sf_ruleset_decide(const sf_ruleset *rs, const sf_query *call,
                           const sf_rule **why);
int sf_cond_eval(const sf_cond *c, const uint64_t args[SF_MAX_ARGS]);
/* Does L OP R hold (unsigned 64-bit)? */
int sf_cmp_holds(cmp_op op, uint64_t l, uint64_t r);
uint64_t sf_val_eval(const sf_val *v, const uint64_t args[SF_MAX_ARGS]);

#endif
