/* eval.c - the reference semantics: what a resolved policy decides for a
 * call, computed straight from the rule set and never through BPF.  It is
 * the specification in code, so it stays small and obvious; the tests hold
 * the generated programs to it. */
#include <stddef.h>

#include "oracle/eval.h"

static uint64_t mask_bits(int bits) {
  return bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
}

uint64_t sf_val_eval(const sf_val *v, const uint64_t args[SF_MAX_ARGS]) {
  switch (v->kind) {
  case VAL_CONST: return v->k;
  /* The kernel casts the register to the parameter's type: only the low
   * `bits` bits reach the syscall. */
  case VAL_ARG: return args[v->arg] & mask_bits(v->bits);
  case VAL_AND: return sf_val_eval(v->lhs, args) & sf_val_eval(v->rhs, args);
  case VAL_OR: return sf_val_eval(v->lhs, args) | sf_val_eval(v->rhs, args);
  }
  return 0;
}

int sf_cmp_holds(cmp_op op, uint64_t l, uint64_t r) {
  switch (op) {
  case CMP_EQ: return l == r;
  case CMP_NE: return l != r;
  case CMP_LT: return l < r;
  case CMP_LE: return l <= r;
  case CMP_GT: return l > r;
  case CMP_GE: return l >= r;
  }
  return 0;
}

int sf_cond_eval(const sf_cond *c, const uint64_t args[SF_MAX_ARGS]) {
  switch (c->kind) {
  case COND_TRUE: return 1;
  case COND_FALSE: return 0;
  case COND_CMP:
    return sf_cmp_holds(c->op, sf_val_eval(c->lhs, args),
                        sf_val_eval(c->rhs, args));
  case COND_AND: return sf_cond_eval(c->a, args) && sf_cond_eval(c->b, args);
  case COND_OR: return sf_cond_eval(c->a, args) || sf_cond_eval(c->b, args);
  case COND_NOT: return !sf_cond_eval(c->a, args);
  }
  return 0;
}

static const sf_sysrules *find_sys(const sf_ruleset *rs, uint32_t nr) {
  size_t lo = 0, hi = rs->n_sys;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (rs->sys[mid].nr == nr) return &rs->sys[mid];
    if (rs->sys[mid].nr < nr) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

uint32_t sf_ruleset_decide(const sf_ruleset *rs, const sf_query *call,
                           const sf_rule **why) {
  if (why) *why = NULL;
  /* A foreign architecture, or the other ABI's numbers under the same
   * AUDIT_ARCH (x32 on x86_64), never reach the rules. */
  if (call->arch != rs->arch->audit_arch ||
      sf_arch_nr_is_foreign(rs->arch, call->nr))
    return rs->bad_arch_action;
  const sf_sysrules *sys = find_sys(rs, call->nr);
  /* --unknown: a number without rules that is no syscall of the table. */
  if (!sys && rs->has_unknown && call->nr != UINT32_MAX &&
      !sf_syscall_by_nr(rs->arch, call->nr))
    return rs->unknown_action;
  for (size_t i = 0; sys && i < sys->n_rules; i++) {
    const sf_rule *r = &sys->rules[i];
    if (!r->cond || sf_cond_eval(r->cond, call->args)) {
      if (why) *why = r;
      return r->action;
    }
  }
  return rs->default_action;
}

/* The filter of several targets, as the kernel sees it: seccomp_data.arch
 * picks the ABIs of that AUDIT_ARCH; where two share it (x86_64 and x32),
 * the number says which: each ABI's foreign range is the other's.  The
 * first target of that AUDIT_ARCH (in target order) to which the number is
 * not foreign decides; -1 is never foreign, so it goes to the first. */
const sf_ruleset *sf_targets_pick(const sf_ruleset *const *rs, size_t n,
                                  const sf_query *call) {
  for (size_t i = 0; i < n; i++)
    if (rs[i]->arch->audit_arch == call->arch &&
        !sf_arch_nr_is_foreign(rs[i]->arch, call->nr))
      return rs[i];
  return NULL;
}

uint32_t sf_targets_decide(const sf_ruleset *const *rs, size_t n,
                           const sf_query *call, const sf_rule **why) {
  if (why) *why = NULL;
  const sf_ruleset *pick = sf_targets_pick(rs, n, call);
  /* No target runs this call: an AUDIT_ARCH of no target, or the numbers
   * of a sharing ABI that is not a target (x32's with only x86_64).  Every
   * target has the context's one bad-arch action. */
  if (!pick) return n ? rs[0]->bad_arch_action : 0;
  return sf_ruleset_decide(pick, call, why);
}
