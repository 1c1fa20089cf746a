/* nsjail.h - the policy of an nsjail config (protobuf text format). */
#ifndef SF_NSJAIL_H
#define SF_NSJAIL_H

#include <stddef.h>

#include "base/source.h"

struct sysfence_ctx;

/* The policy nsjail compiles for the config CFG: its seccomp_string values
 * joined, each followed by "\n" (nsjail's sandbox.cc), as a source whose
 * origin is CFG; or the file seccomp_policy_file names.  NULL after a
 * diagnostic (a syntax error in the config, neither field or both, an
 * unreadable policy file). */
const sf_source *sf_nsjail_policy(struct sysfence_ctx *ctx, const sf_source *cfg);

/* Does TEXT look like an nsjail config: a line that starts (after blanks)
 * with a seccomp_string or seccomp_policy_file field? */
int sf_nsjail_looks_like(const char *text, size_t len);

#endif
