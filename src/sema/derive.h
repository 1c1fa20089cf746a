/* derive.h - the rules a target gets from the policy's rules for other
 * syscalls: twins on 32-bit ABIs and multiplexed calls (derive.c). */
#ifndef SF_DERIVE_H
#define SF_DERIVE_H

#include <stddef.h>

#include "sema/ruleset.h"

struct sysfence_ctx;

/* Add to ALL[WHICH] (the rule set of target WHICH of ALL[0..N), ALL[0]
 * the native one): for the multiplexers its ABI has (socketcall, ipc) a
 * rule per sub-call whose direct syscall has rules, and (for a target
 * other than the native one) the rules of each syscall for its twins the
 * native ABI lacks.  Warnings say where arguments could not carry over.
 * 0, or -1 when out of memory. */
int sf_derive(struct sysfence_ctx *ctx, const sf_ruleset *const *all, size_t n,
              size_t which);

/* The multiplexer ("socketcall", "ipc") of ARCH that also makes the
 * syscall NAME as one of its sub-calls, or NULL. */
const char *sf_multiplexer_of(const sf_arch *arch, const char *name);

#endif
