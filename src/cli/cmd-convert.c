/* cmd-convert.c - 'sysfence convert': between a policy and other tools'
 * formats, one function per direction: --to oci (a policy as an OCI
 * seccomp profile for Docker, podman, runc and crun, codegen/oci.c) and
 * --to policy (an OCI profile as a policy, front/oci-policy.c) are here;
 * --from systemd and --from nsjail (their settings as a policy) are
 * convert-from.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/file.h"
#include "base/load.h"
#include "cli/options.h"
#include "cli/output.h"
#include "codegen/oci.h"
#include "front/oci.h"
#include "sema/ruleset.h"
#include "sysfence.h"

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
    char *text = n ? sf_oci_profile_text(ctx, rs, n) : NULL;
    fputs(sysfence_diag_text(ctx), stderr);
    const char *out = o->output ? o->output : "-";
    int err = text ? sf_cli_write_text(out, text, strlen(text)) : 0;
    if (err) {
      fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", out, strerror(err));
      rc = EXIT_USAGE;
    } else {
      rc = text ? EXIT_OK : ctx->out_of_memory ? EXIT_USAGE : EXIT_POLICY;
    }
    free(text);
  }
  sysfence_free(ctx);
  return rc;
}

/* ---- --to policy: an OCI profile as a policy (front/oci-policy.c) -------------- */

typedef struct policy_out {
  const sf_oci_profile *p;
  const sysfence_ctx *ctx;
  const char *from;
} policy_out;

static int emit_policy(void *arg, FILE *out) {
  const policy_out *w = arg;
  return sf_oci_write_policy(w->p, w->ctx, w->from, out);
}

static int profile_to_policy(const sf_command *cmd, const sf_cli_opts *o) {
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  int rc = sf_cli_configure(cmd, ctx, o);
  if (rc < 0) {
    const sf_oci_profile *p = NULL;
    ctx->no_derive = sf_derive_defined_off(ctx);
    if (sf_ctx_reset(ctx) == 0) {
      const sf_source *src = sf_load_main_source(ctx);
      if (src) p = sf_oci_read(ctx, src);
    }
    fputs(sysfence_diag_text(ctx), stderr);
    const char *out = o->output ? o->output : "-";
    policy_out w = {p, ctx, o->input};
    if (!p) {
      rc = sysfence_error_count(ctx) ? EXIT_POLICY : EXIT_USAGE;
    } else if (sf_write_atomic(out, emit_policy, &w) != 0) {
      fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", out, strerror(errno));
      rc = EXIT_USAGE;
    } else {
      rc = EXIT_OK;
    }
  }
  sysfence_free(ctx);
  return rc;
}

/* ---- the command ----------------------------------------------------------------- */

static int run_convert(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  if (o.from && o.to)
    return sf_cli_usage_error(cmd, "%s", "--from and --to go apart: --from TOOL "
                                         "writes a policy, --to FORMAT reads one");
  if (o.from) return sf_cli_convert_from(cmd, &o);
  if (!o.to)
    return sf_cli_usage_error(cmd, "%s", "say what to convert: --to oci (a policy "
                                         "into a profile), or --from systemd or "
                                         "--from nsjail (into a policy)");
  if (o.n_calls != 1)
    return sf_cli_usage_error(cmd, "--to %s takes one policy FILE", o.to);
  o.input = o.calls[0];
  if (strcmp(o.to, "oci") == 0) return policy_to_oci(cmd, &o);
  if (strcmp(o.to, "policy") == 0) return profile_to_policy(cmd, &o);
  return sf_cli_usage_error(cmd, "unknown --to '%s' (expected oci or policy)", o.to);
}

const sf_command sf_cmd_convert = {
    "convert", "INPUT...",
    "policy <-> OCI profile; systemd, nsjail settings -> policy",
    "Convert between a policy and other tools' seccomp settings, written to\n"
    "-o atomically (default stdout).\n"
    "\n"
    "--to oci: INPUT is a policy FILE ('-' reads stdin); written is an OCI\n"
    "seccomp profile (JSON) with the same decisions, for\n"
    "'docker run --security-opt seccomp=PROFILE', podman, runc and crun:\n"
    "defaultAction, the architectures it was resolved for (--arch), and\n"
    "syscalls[] grouped by action.  What a profile cannot express (an\n"
    "argument compared with another argument, a masked argument compared\n"
    "with < or >, TRAP with data, a syscall by number) is an error at its\n"
    "rule, and nothing is written.  Arguments narrower than 64 bits are\n"
    "compared by libseccomp on 64 bits: a call with bits set above an\n"
    "argument's width can be decided differently (see the README).\n"
    "\n"
    "--to policy: INPUT is an OCI (Docker, podman) seccomp profile; the\n"
    "policy keeps its comments, names known constants, lists what runc\n"
    "leaves out and why, and compiles to the filter the profile compiles to\n"
    "for the same --arch, --caps and --kernel.\n"
    "\n"
    "--from systemd: INPUT is SystemCallFilter=, SystemCallErrorNumber= and\n"
    "SystemCallArchitectures= lines, as arguments (each a line:\n"
    "'SystemCallFilter=@system-service' 'SystemCallFilter=~@privileged') or files\n"
    "of them (a unit file: other settings are skipped);\n"
    "read in order with systemd's meaning: the first SystemCallFilter= makes an\n"
    "allow-list (which also allows @default) or, with '~', a deny-list; later\n"
    "lines add names of their own kind and take out those of the other kind;\n"
    "an empty one resets.  Deny-listed names take ':ERRNO' or ':kill'.  What\n"
    "systemd ignores with a warning (an unknown name, a '~' that does not start\n"
    "the value, ...) is an error here.\n"
    "SystemCallErrorNumber= is the outcome of the other refused calls (default:\n"
    "KILL_PROCESS).  SystemCallArchitectures= becomes the --arch the policy is\n"
    "to be compiled with (a comment at its top); a group's names the target\n"
    "ABIs lack are left out, as systemd skips them.\n"
    "\n"
    "--from nsjail: INPUT is one nsjail config (protobuf text); the policy\n"
    "written is the one nsjail compiles: its seccomp_string values, each\n"
    "followed by a newline, or the file seccomp_policy_file names.",
    "MKoaIDckhV",
    "--to oci: the architectures the profile is for: one, or a list of ABIs "
    "one kernel runs (x86_64,i386,x32; the native one first), each a "
    "SCMP_ARCH_* of 'architectures'; --from systemd: the architecture "
    "'native' means in SystemCallArchitectures=, and whose names are kept "
    "without that setting (default: the host)",
    0, 1, -1, run_convert,
    "\nExit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n", 0};
