/* cmd-convert.c - 'sysfence convert': a policy into another format
 * (--to oci: an OCI seccomp profile for Docker, podman, runc and crun). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/file.h"
#include "cli/options.h"
#include "codegen/oci.h"
#include "sema/ruleset.h"
#include "sysfence.h"

static int write_text(void *arg, FILE *out) {
  const char *text = arg;
  return fputs(text, out) == EOF ? -1 : 0;
}

/* The policy's rule sets for every target, as an OCI profile: nothing is
 * written unless the whole profile says what the policy says. */
static int policy_to_oci(const sf_command *cmd, const sf_cli_opts *o) {
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  int rc = sf_cli_configure(cmd, ctx, o);
  if (rc < 0) {
    const sf_ruleset *rs[SF_MAX_TARGETS];
    const struct ast_file *tree;
    size_t n = sf_front_end_targets(ctx, &tree, rs);
    char *text = n ? sf_oci_profile(ctx, rs, n) : NULL;
    fputs(sysfence_diag_text(ctx), stderr);
    const char *out = o->output ? o->output : "-";
    if (text && sf_write_atomic(out, write_text, text) != 0) {
      fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", out, strerror(errno));
      rc = EXIT_USAGE;
    } else {
      rc = text ? EXIT_OK : ctx->out_of_memory ? EXIT_USAGE : EXIT_POLICY;
    }
    free(text);
  }
  sysfence_free(ctx);
  return rc;
}

static int run_convert(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  if (!o.to) return sf_cli_usage_error(cmd, "%s", "missing --to FORMAT (oci)");
  if (strcmp(o.to, "oci") == 0) return policy_to_oci(cmd, &o);
  return sf_cli_usage_error(cmd, "unknown --to '%s' (expected oci)", o.to);
}

const sf_command sf_cmd_convert = {
    "convert", "FILE",
    "convert the policy FILE into another format (--to oci)",
    "Convert the policy FILE ('-' reads stdin) into another format.  --to oci\n"
    "writes an OCI seccomp profile (JSON) with the same decisions, for\n"
    "'docker run --security-opt seccomp=PROFILE', podman, runc and crun:\n"
    "defaultAction, the architectures it was resolved for, and syscalls[]\n"
    "grouped by action.  What a profile cannot express (an argument compared\n"
    "with another argument, a masked argument compared with < or >, TRAP\n"
    "with data, a syscall by number) is an error at its rule, and nothing is\n"
    "written.  Arguments narrower than 64 bits are compared by libseccomp on\n"
    "64 bits: a call with bits set above an argument's width can be decided\n"
    "differently (see the README).",
    "oWaIDhV",
    "the architectures the profile is for: one, or a list of ABIs one kernel "
    "runs (x86_64,i386,x32; the native one first), each a SCMP_ARCH_* of "
    "'architectures'",
    1, 0, 0, run_convert, NULL, 0};
