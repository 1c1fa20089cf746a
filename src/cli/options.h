/* cli.h - what the sysfence commands share: exit statuses, and applying
 * the common options (--bad-arch, -I, the input) to a context. */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stddef.h>

#include "sysfence.h"

enum {
  EXIT_OK = 0,     /* success */
  EXIT_POLICY = 1, /* the policy (or the input program) has errors */
  EXIT_USAGE = 2   /* bad command line, unreadable file, I/O error */
};

/* Set --bad-arch (may be NULL) and the -I folders.  Returns 0, or -1 with
 * a message for the user in WHY. */
int sf_cli_set_options(sysfence_ctx *ctx, const char *bad_arch,
                       const char *const *includes, size_t n_includes,
                       char *why, size_t why_size);
/* -D ARG: "NAME=VALUE", or "NAME" (VALUE 1), as a run-time constant
 * (sysfence_define).  Returns 0, or -1 with a message in WHY. */
int sf_cli_define(sysfence_ctx *ctx, const char *arg, char *why, size_t why_size);
/* Use PATH ("-": stdin) as the policy.  An unreadable file is reported
 * here, as a usage error, rather than later as a policy error.  Returns 0,
 * or -1 with a message in WHY. */
int sf_cli_set_input(sysfence_ctx *ctx, const char *path, char *why,
                     size_t why_size);

#endif
