/* program.h - the resolved rule set -> BPF.  decide.c generates the
 * per-syscall decision code (argument tests), program.c the search over
 * syscall numbers and the architecture prologue. */
#ifndef SF_PROGRAM_H
#define SF_PROGRAM_H

#include <linux/filter.h>
#include <stddef.h>

#include "bpf/bpf.h"
#include "sema/ruleset.h"

struct sysfence_ctx;

/* Whole program for RS.  Returns 0 and a malloc()ed program, or -1 with a
 * diagnostic (e.g. the 4096-instruction limit). */
/* One program for several targets: RS[0..N) in target order, one section
 * per AUDIT_ARCH (x32's rule set decides x32's numbers in x86_64's). */
int sf_codegen_targets(struct sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                       struct sock_filter **out, size_t *len);
int sf_codegen(struct sysfence_ctx *ctx, const sf_ruleset *rs,
               struct sock_filter **out, size_t *len);

#endif
