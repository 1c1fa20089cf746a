/* cmd-trace.c - 'sysfence trace [-o POLICY] [--arch LIST] [--default ACTION]
 * -- COMMAND [ARG...]': run COMMAND with every syscall notified to this
 * process (SECCOMP_RET_USER_NOTIF) and let through, then write the policy
 * that allows what it used (tracepolicy.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/context.h"
#include "base/file.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/supervised.h"
#include "cli/tracepolicy.h"
#include "launch/launch.h"
#include "launch/supervise.h"

#define PROG_MSG "sysfence: trace"

static const char trace_epilog[] =
    "\n"
    "Every syscall of COMMAND, its threads and its children goes to sysfence\n"
    "(SECCOMP_RET_USER_NOTIF) and is let through; when COMMAND and every\n"
    "process it left behind are gone, the policy that allows exactly what was\n"
    "called is written (grouped, with counts and programs in comments, and\n"
    "conditions on socket domain and type, ioctl, fcntl and prctl commands,\n"
    "clone flags, mmap/mprotect protection and personality when they took at\n"
    "most 8 values).\n"
    "\n"
    "Exit status: COMMAND's own (128 + N if a signal N killed it), also when\n"
    "the policy cannot be written (that is said on stderr, and POLICY is left\n"
    "as it was); 125 nothing was run (usage, no USER_NOTIF in the kernel);\n"
    "126 COMMAND not executable; 127 not found.\n";

static const char trace_policy[] =
    "// sysfence trace: every call goes to the supervisor\n"
    "DEFAULT USER_NOTIF\n";

/* What write_policy writes. */
typedef struct trace_out {
  const sf_trace *t;
  char *const *command;
  const char *def, *arches;
} trace_out;

static int emit_policy(void *arg, FILE *f) {
  const trace_out *o = arg;
  return sf_trace_write(o->t, f, o->command, o->def, o->arches);
}

/* The policy into PATH atomically (sf_write_atomic): PATH is the old file
 * or the whole new one.  0, or an errno. */
static int write_policy(const sf_trace *t, const char *path, char *const *command,
                        const char *def, const char *arches) {
  trace_out o = {t, command, def, arches};
  errno = 0;
  return sf_write_atomic(path, emit_policy, &o) == 0 ? 0 : errno ? errno : EIO;
}

static int parse(const sf_command *cmd, int argc, char **argv, sf_cli_opts *o,
                 char ***command) {
  int rc = sf_cli_parse_command(cmd, argc, argv, o, command);
  if (rc >= 0) return rc;
  if (!*command) return sf_cli_usage_error(cmd, "missing '-- COMMAND'");
  if (!o->output) o->output = "-";
  if (!o->default_action) o->default_action = "KILL_PROCESS";
  /* Checked before COMMAND runs, so a bad -o costs nothing. */
  int err = sf_cli_check_output(o->output);
  if (err)
    return sf_cli_usage_error(cmd, "cannot write '%s': %s", o->output, strerror(err));
  return -1;
}

/* The trace filter's rule sets for the targets (-a, or the host): -1, or
 * an exit status. */
static int targets(const sf_command *cmd, const sf_cli_opts *o, sysfence_ctx *ctx,
                   const sf_ruleset **rs, size_t *n) {
  char why[256];
  const char *host = sysfence_host_arch();
  if (!host) return sf_cli_usage_error(cmd, "no syscall table for this host");
  if (o->arch && sysfence_set_arches(ctx, o->arch, why, sizeof why) != SYSFENCE_OK)
    return sf_cli_usage_error(cmd, "--arch %s: %s", o->arch, why);
  if (strcmp(sysfence_get_arch(ctx), host) != 0)
    return sf_cli_usage_error(cmd, "--arch %s: the first architecture must be the "
                              "host's (%s)", o->arch, host);
  if (sysfence_set_input_string(ctx, "<trace>", trace_policy) != SYSFENCE_OK)
    return sf_cli_usage_error(cmd, "%s", strerror(errno));
  const struct ast_file *tree;
  *n = sf_front_end_targets(ctx, &tree, rs);
  if (*n) return -1;
  fputs(sysfence_diag_text(ctx), stderr);
  return SF_EXIT_LOADER;
}

/* Fork, compile the trace filter for the child's set-up, start it: -1, or
 * an exit status. */
static int start(sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                 sf_supervisor *sv, const char *path, char *const *command) {
  int rc = sf_supervise_prepare(sv, PROG_MSG);
  if (rc < 0) rc = sf_supervise_fork(sv, 0, path, command);
  if (rc >= 0) return rc;
  return sf_supervised_start(ctx, rs, n, SF_MODE_TRACE, sv);
}

static int run_trace(const sf_command *cmd, int argc, char **argv) {
  sf_cli_opts o = {.opt_level = -1};
  char **command = NULL;
  int rc = parse(cmd, argc, argv, &o, &command);
  if (rc >= 0) return rc;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  const sf_ruleset *rs[SF_MAX_TARGETS];
  size_t n = 0;
  char *path = NULL;
  sf_trace *t = NULL;
  sf_supervisor sv;
  rc = targets(cmd, &o, ctx, rs, &n);
  if (rc < 0) rc = sf_launch_find("sysfence", command[0], &path);
  if (rc < 0 && !(t = sf_trace_new(rs, n))) rc = sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  if (rc < 0) rc = start(ctx, rs, n, &sv, path, command);
  if (rc < 0) {
    sv.on_call = sf_trace_on_call;
    sv.user = t;
    rc = sf_supervise_run(&sv);
    sf_trace_summary(t, stderr);
    const char *names[SF_MAX_TARGETS];
    char arches[256] = "";
    size_t k = sysfence_get_arches(ctx, names, SF_MAX_TARGETS);
    for (size_t i = 0; i < k; i++)
      snprintf(arches + strlen(arches), sizeof arches - strlen(arches), "%s%s",
               i ? "," : "", names[i]);
    int err = write_policy(t, o.output, command, o.default_action, arches);
    if (err)
      fprintf(stderr, "sysfence: trace: error: cannot write the policy to '%s': %s\n",
              o.output, strerror(err));
  }
  sf_trace_free(t);
  free(path);
  sysfence_free(ctx);
  return rc;
}

const sf_command sf_cmd_trace = {
    "trace", "-- COMMAND [ARG...]",
    "run COMMAND and write the policy that allows what it used",
    "Run COMMAND (with its threads and children) with every syscall reported\n"
    "to sysfence and let through, and write a policy that allows exactly what\n"
    "was used.",
    "oad", "the ABIs to trace, a comma list with the host's first "
    "(x86_64,i386): calls through others are let through unrecorded, with a "
    "warning (default: the host's only)", 0, 0, 0, run_trace, trace_epilog,
    SF_EXIT_LOADER};
