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
/* The same for a filter of several targets: RS[0..N), one rule set per
 * target in target order (as sf_front_end_targets returns them).  The rule
 * set that decides CALL is the first whose architecture has CALL's
 * AUDIT_ARCH and does not find CALL's number foreign (x32's numbers under
 * AUDIT_ARCH_X86_64 go to x32's); no such rule set: the bad-arch action. */
uint32_t sf_targets_decide(const sf_ruleset *const *rs, size_t n,
                           const sf_query *call, const sf_rule **why);
/* That rule set, or NULL when the bad-arch action decides. */
const sf_ruleset *sf_targets_pick(const sf_ruleset *const *rs, size_t n,
                                  const sf_query *call);
int sf_cond_eval(const sf_cond *c, const uint64_t args[SF_MAX_ARGS]);
/* Does L OP R hold (unsigned 64-bit)? */
int sf_cmp_holds(cmp_op op, uint64_t l, uint64_t r);
uint64_t sf_val_eval(const sf_val *v, const uint64_t args[SF_MAX_ARGS]);

#endif
