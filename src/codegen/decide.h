/* decide.h - internal interface between decide.c (per-syscall decision
 * code) and program.c (prologue, search over syscall numbers).
 *
 * A code generation session (sf_cg) carries the context for diagnostics
 * and allocation, the builder, and the table of shared RET instructions;
 * program.c opens one per sf_codegen call. */
#ifndef SF_DECIDE_H
#define SF_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "codegen/program.h"
#include "sema/ruleset.h"

struct sysfence_ctx;

/* A syscall's rules with every compile-time-constant condition folded
 * away: N conditional rules, tried in order, none of them constant, and
 * the action when none matches.  N == 0 means the syscall's behaviour is
 * simply "RET final"; dispatch then needs no decision block for it.
 * Trailing rules whose action is `final` are dropped: they cannot change
 * the outcome. */
typedef struct sf_decision {
  const sf_rule *const *rules;
  size_t n;
  uint32_t final;
} sf_decision;

typedef struct sf_cg_ret {
  uint32_t action;
  sf_label label;
} sf_cg_ret;

typedef struct sf_cg {
  struct sysfence_ctx *ctx;
  const sf_ruleset *rs;
  sf_builder *b;
  sf_cg_ret *rets; /* shared RETs in order of first use (deterministic) */
  size_t n_rets, cap_rets;
  int failed; /* out of memory or an internal error while emitting */
  int too_long; /* emission stopped: past the kernel's instruction limit */
  /* What A holds where code is being emitted (optimized code only reuses
   * it): an argument word's offset, or A_UNKNOWN / A_UNREACHED; per label,
   * the meet over the jumps to it emitted so far (decide.c). */
  int opt;
  int a_word;
  int *lstate;
  size_t n_lstate;
} sf_cg;

/* Start a session on builder B. */
void sf_cg_open(sf_cg *cg, struct sysfence_ctx *ctx, const sf_ruleset *rs,
                sf_builder *b);

/* Emit the decision code for one syscall's rules (A holds nothing useful on
 * entry); every path ends in a RET or a jump to a shared RET. */
void sf_code_rules(sf_cg *cg, const sf_sysrules *sys);
/* The same for a decision already made by sf_decision_make. */
void sf_code_decision(sf_cg *cg, const sf_decision *d);
/* Jump target for a RET of ACTION, shared across the program. */
sf_label sf_ret_label(sf_cg *cg, uint32_t action);

/* Normalize SYS's rules into *OUT (allocated in the context's arena).
 * Returns 0, or -1 after recording an error (an expression needing more
 * than SF_BPF_MEMWORDS scratch words, out of memory). */
int sf_decision_make(sf_cg *cg, const sf_sysrules *sys, sf_decision *out);
/* Structural hash and equality: equal decisions may share one block.
 * Neither depends on pointer values. */
uint64_t sf_decision_hash(const sf_decision *d);
int sf_decision_equal(const sf_decision *a, const sf_decision *b);
/* Place every shared RET requested so far (call last). */
void sf_cg_place_rets(sf_cg *cg);

#endif
