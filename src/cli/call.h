/* call.h - syscalls written as calls ("openat(-100, 0, 0x241)",
 * "x32:read", "i386:open(0)") for the eval and sim commands, and the
 * explanation of the reference semantics' decision for one call.
 *
 * Syntax:  [ABI ':'] SYSCALL [ '(' [ARG {',' ARG}] ')' ]
 *   ABI      an architecture name (x32, i386, aarch64, ...): the syscall
 *            number comes from that ABI's table and seccomp_data.arch is
 *            its AUDIT_ARCH; without it, the target architecture's
 *   SYSCALL  a name in that table, or a number (decimal, 0x hex) used as
 *            seccomp_data.nr as it is
 *   ARG      TERM {'|' TERM}; TERM is a number (decimal, 0x hex, 0b
 *            binary, 0 octal; with '-': 64-bit two's complement) or a constant
 *            #define'd in the policy (when one is given)
 * At most 6 arguments; the missing ones are 0. */
#ifndef SF_CALL_H
#define SF_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "oracle/eval.h"
#include "sema/ruleset.h"

struct sysfence_ctx;
struct ast_file;

typedef struct sf_call_spec {
  sf_query call;          /* nr, arch (AUDIT_ARCH) and args */
  const sf_arch *abi;    /* the table the syscall was looked up in */
  const char *name;      /* syscall name, or NULL when given as a number */
} sf_call_spec;

/* Parse TEXT for TARGET (the filter's architecture).  DEFS (may be NULL)
 * provides the #define'd constants, then CTX (may be NULL) its run-time
 * constants (-D).  Returns 0, or -1 with a message (with a did-you-mean
 * hint where one helps) in ERR. */
int sf_call_parse(const char *text, const sf_arch *target,
                  const struct ast_file *defs, const struct sysfence_ctx *ctx,
                  sf_call_spec *out, char *err, size_t err_size);

/* The value of constant NAME #define'd in FILE: 0, or -1 if none. */
int sf_define_lookup(const struct ast_file *file, const char *name,
                     uint64_t *value);


/* The reference decision for CALL by the rule sets RS[0..N) of a filter's
 * targets (sf_targets_decide) and why, as "(policy:12:5: rule for openat)",
 * "(default action)" or "(bad architecture)" into WHY; with several
 * targets, the deciding one follows: "(policy:3:1: rule for open on i386)",
 * "(default action on x32)". */
uint32_t sf_call_explain(const sf_ruleset *const *rs, size_t n, const sf_query *call,
                         char *why, size_t why_size);

/* Parse every one of N CALLS (all before any output): a malloc()ed array,
 * or NULL after "sysfence: error: bad call ..." on stderr. */
sf_call_spec *sf_calls_parse(char *const *calls, size_t n, const sf_arch *target,
                             const struct ast_file *defs,
                             const struct sysfence_ctx *ctx);
/* Print one result line: "ACTION  WHY", after "CALL -> " when there are
 * several calls. */
void sf_call_print(const char *call, size_t n_calls, uint32_t action,
                   const char *why);

#endif
