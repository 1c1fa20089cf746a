/* oci.h - the rule sets of a policy as an OCI seccomp profile: the JSON
 * that Docker, podman, runc and crun read ('sysfence convert --to oci'). */
#ifndef SF_CODEGEN_OCI_H
#define SF_CODEGEN_OCI_H

#include <stddef.h>

struct sysfence_ctx;
struct sf_ruleset;

/* The profile for the targets RS[0..N) (as sf_front_end_targets returns
 * them, native first): pretty-printed JSON ending in a newline, malloc()ed.
 * NULL when the policy says something a profile cannot express (errors
 * recorded in CTX at the rules concerned) or out of memory.
 *
 * What runc reads back is what the policy means on every call whose
 * arguments have no bits set above their kernel widths: the entries of
 * different actions never overlap, and conditions that would repeat an
 * argument index (runc ORs those) are rewritten as SCMP_CMP_MASKED_EQ
 * blocks.  libseccomp compares all 64 bits, so a call with junk above a
 * narrower argument's width can be decided differently by a plain
 * comparison (the README's "width bypass"); masked comparisons (blocks
 * included) have their masks cut to the width and keep it. */
char *sf_oci_profile_text(struct sysfence_ctx *ctx, const struct sf_ruleset *const *rs,
                     size_t n);

#endif
