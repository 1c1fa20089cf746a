/* cmd-run.c - 'sysfence run POLICY [OPTIONS] -- COMMAND [ARG...]': compile
 * a policy for the host, install it and exec the command, as sysfence-exec
 * does with a compiled blob (same checks, same exit statuses). */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/context.h"
#include "cli/options.h"
#include "cli/supervised.h"
#include "sema/defines.h"
#include "launch/launch.h"
#include "launch/supervise.h"
#include "sysfence.h"

#define PROG "sysfence run"
/* The prefix of run's own messages ("sysfence: run: error: ..."). */
#define PROG_MSG "sysfence: run"

static const char run_epilog[] =
    "\n"
    "SYSFENCE_PID is always defined: the pid of the process that runs COMMAND\n"
    "(this one, which execs it); a -D of it is refused.\n"
    "\n"
    "Preflight (as sysfence-exec's): unless the filter gives the execve(2)\n"
    "that starts COMMAND ALLOW or LOG in the simulator, nothing is installed.\n"
    "\n"
    "A supervisor (--audit, --report, or a policy with USER_NOTIF rules):\n"
    "sysfence forks, COMMAND runs in the child with a filter whose\n"
    "USER_NOTIF calls come to sysfence, which reports them (stderr, or\n"
    "--audit-log), answers, and waits for COMMAND and every process it left\n"
    "behind.  No preflight then; SYSFENCE_PID is the child's pid.  --report\n"
    "gives ERRNO as the kernel would, kills for KILL_PROCESS and\n"
    "KILL_THREAD with SIGKILL after reporting (the whole process, and\n"
    "status 159 as for SIGSYS), leaves TRAP and TRACE to the kernel,\n"
    "unreported; USER_NOTIF rules are reported and let through.\n"
    "\n"
    "Exit status: COMMAND's own (128 + N if a signal N killed it); 125\n"
    "nothing was run (usage, errors in the policy, refused by the preflight,\n"
    "install error); 126 COMMAND not executable; 127 not found.\n";

/* Options, then "--" and the command: the options end at the first "--". */
static int parse(const sf_command *cmd, int argc, char **argv, sf_cli_opts *o,
                 char ***command) {
  int rc = sf_cli_parse_command(cmd, argc, argv, o, command);
  if (rc >= 0) return rc;
  if (!*command && !o->dry_run) return sf_cli_usage_error(cmd, "missing '-- COMMAND'");
  if (o->audit && o->report)
    return sf_cli_usage_error(cmd, "--audit and --report exclude each other");
  if (o->dry_run && (o->audit || o->report || o->audit_log))
    return sf_cli_usage_error(cmd, "--dry-run lists the policy's own filter: it does not "
                              "go with --%s", o->audit ? "audit" : o->report ? "report"
                                                                              : "audit-log");
  return -1;
}

/* -D, then SYSFENCE_PID: this process's pid, since it execs the command
 * (no fork in between), so rules on SYSFENCE_PID mean the command itself.
 * A -D SYSFENCE_PID would aim them at another process: refused. */
static int define_constants(sysfence_ctx *ctx, const sf_cli_opts *o, long pid_value) {
  char why[512];
  for (size_t i = 0; i < o->n_defines; i++) {
    const char *d = o->defines[i];
    size_t n = strlen(SF_PID_CONSTANT);
    if (strncmp(d, SF_PID_CONSTANT, n) == 0 && (d[n] == '=' || d[n] == '\0'))
      return sf_cli_usage_error(&sf_cmd_run, "-D %s: 'sysfence run' defines %s itself (the pid of "
                         "the command it runs)", d, SF_PID_CONSTANT);
    if (sf_cli_define(ctx, d, why, sizeof why) != 0) return sf_cli_usage_error(&sf_cmd_run, "%s", why);
  }
  char pid[32];
  snprintf(pid, sizeof pid, "%ld", pid_value);
  if (sysfence_define(ctx, SF_PID_CONSTANT, pid) != SYSFENCE_OK)
    return sf_cli_usage_error(&sf_cmd_run, "%s", strerror(errno));
  return -1;
}

static int configure(sysfence_ctx *ctx, const sf_cli_opts *o) {
  if (o->arch) {
    char why[256];
    if (sysfence_set_arches(ctx, o->arch, why, sizeof why) != SYSFENCE_OK)
      return sf_cli_usage_error(&sf_cmd_run, "--arch %s: %s", o->arch, why);
    /* A filter for another ABI kills the loader's own execve. */
    const char *host = sysfence_host_arch();
    if (!o->dry_run && (!host || strcmp(sysfence_get_arch(ctx), host) != 0))
      return sf_cli_usage_error(&sf_cmd_run, "--arch %s is not the host's (%s): a filter can only be "
                         "applied here for the host; use --dry-run to list it",
                         sysfence_get_arch(ctx), host ? host : "unknown");
  } else if (!sysfence_host_arch()) {
    return sf_cli_usage_error(&sf_cmd_run, "no syscall table for this host; give --arch");
  }
  sf_cli_configure_diags(ctx, o);
  char why[512];
  if (sf_cli_set_options(ctx, o->bad_arch, o->includes, o->n_includes, why,
                         sizeof why) != 0 ||
      sf_cli_set_input(ctx, o->input, why, sizeof why) != 0)
    return sf_cli_usage_error(&sf_cmd_run, "%s", why);
  if (sf_cli_is_nsjail(o)) sysfence_set_input_kind(ctx, SYSFENCE_INPUT_NSJAIL);
  uint32_t unknown;
  if (o->unknown && sysfence_parse_action(o->unknown, &unknown) != 0)
    return sf_cli_usage_error(&sf_cmd_run, "invalid --unknown action '%s'", o->unknown);
  if (o->unknown) sysfence_set_unknown_action(ctx, 1, unknown);
  return define_constants(ctx, o, (long)getpid());
}

/* Compile: 0 and *prog filled, or an exit status. */
static int compile(const sf_cli_opts *o, char *const *command, sysfence_ctx *ctx,
                   struct sock_fprog *prog) {
  int rc = configure(ctx, o);
  if (rc >= 0) return rc;
  int st = sysfence_compile(ctx, prog);
  sf_cli_print_diags(ctx, o);
  if (st == SYSFENCE_OK) return 0;
  fprintf(stderr, "sysfence: run: error: %s; '%s' not run\n",
          st == SYSFENCE_EPOLICY ? "the policy has errors" : strerror(errno),
          command ? command[0] : "nothing");
  return SF_EXIT_LOADER;
}

/* The policy's name in the preflight's messages. */
static const char *policy_name(const sf_cli_opts *o) {
  return strcmp(o->input, "-") == 0 ? "<stdin>" : o->input;
}

/* --dry-run: the listing, and the preflight when the filter is the
 * host's.  0 or an exit status. */
static int dry_run(const sf_cli_opts *o, char *const *argv, sysfence_ctx *ctx,
                   const struct sock_fprog *prog) {
  if (sysfence_emit(ctx, prog, SYSFENCE_FORMAT_ASM, NULL, stdout) != SYSFENCE_OK ||
      fflush(stdout) != 0) {
    fprintf(stderr, "sysfence: run: error: cannot write the listing: %s\n",
            strerror(errno));
    return SF_EXIT_LOADER;
  }
  char verdict[64] = "skipped (--no-preflight)";
  const char *host = sysfence_host_arch();
  if (o->no_preflight) {
    /* as initialised */
  } else if (!host || strcmp(sysfence_get_arch(ctx), host) != 0) {
    snprintf(verdict, sizeof verdict, "skipped (not the host's architecture)");
  } else if (sf_launch_preflight(PROG_MSG, policy_name(o), prog,
                                 argv ? argv[0] : NULL, argv, verdict,
                                 sizeof verdict) >= 0) {
    return SF_EXIT_LOADER;
  }
  char f[64];
  fprintf(stderr, "sysfence: run: dry run: %u instructions for %s; preflight: %s; "
                  "flags: %s; nothing installed, %s%s%s\n", (unsigned)prog->len,
          sysfence_get_arch(ctx), verdict, sf_launch_flags_str(o->flags, f, sizeof f),
          argv ? "'" : "no command", argv ? argv[0] : "", argv ? "' not run" : "");
  return 0;
}

/* Find the command, preflight and install the filter: -1 to exec *PATH
 * (malloc()ed), or an exit status. */
static int prepare(const sf_cli_opts *o, char *const *command,
                   const struct sock_fprog *prog, char **path) {
  /* Before anything is installed, so 126/127 do not depend on the filter. */
  int rc = sf_launch_find("sysfence", command[0], path);
  char verdict[64];
  if (rc < 0 && !o->no_preflight)
    rc = sf_launch_preflight(PROG_MSG, policy_name(o), prog, *path, command,
                             verdict, sizeof verdict);
  if (rc < 0) rc = sf_launch_apply("sysfence", prog, o->flags);
  return rc;
}

/* ---- under a supervisor ----------------------------------------------- */

/* Which supervisor the run needs: --audit, --report, or NOTIFY for a policy
 * with USER_NOTIF rules; -1 for none.  CTX has just compiled the policy. */
static int supervisor_mode(const sf_cli_opts *o, sysfence_ctx *ctx) {
  if (o->audit) return SF_MODE_AUDIT;
  if (o->report) return SF_MODE_REPORT;
  const struct ast_file *tree;
  const sf_ruleset *rs[SF_MAX_TARGETS];
  size_t n = sf_front_end_targets(ctx, &tree, rs);
  return n && sf_rulesets_notify(rs, n) ? SF_MODE_NOTIFY : -1;
}

/* The report's stream: --audit-log FILE (appended; above fd 2, so that a
 * closed stderr does not make it one), or stderr.  NULL after a message. */
static FILE *open_log(const sf_cli_opts *o) {
  if (!o->audit_log) return stderr;
  int fd = open(o->audit_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd >= 0 && fd <= 2) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    fd = moved;
  }
  FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
  if (!f) {
    fprintf(stderr, "sysfence: run: error: cannot open '%s': %s\n", o->audit_log,
            strerror(errno));
    if (fd >= 0) close(fd);
  }
  return f;
}

/* Fork, then compile the supervised filter for the child (its pid is
 * SYSFENCE_PID) and start it: -1 with *RS, *N the policy's rule sets, or
 * an exit status. */
static int start_supervised(const sf_cli_opts *o, sysfence_ctx *ctx, sf_mode mode,
                            sf_supervisor *sv, const char *path, char *const *command,
                            const sf_ruleset **rs, size_t *n) {
  int rc = sf_supervise_prepare(sv, "sysfence");
  if (rc < 0) rc = sf_supervise_fork(sv, o->flags, path, command);
  if (rc >= 0) return rc;
  sysfence_clear_defines(ctx);
  const struct ast_file *tree;
  if (define_constants(ctx, o, (long)sv->child) >= 0 ||
      !(*n = sf_front_end_targets(ctx, &tree, rs))) {
    fputs(sysfence_diag_text(ctx), stderr);
    sf_supervise_abandon(sv);
    return SF_EXIT_LOADER;
  }
  return sf_supervised_start(ctx, rs, *n, mode, sv);
}

/* Run COMMAND under the policy with a supervisor in MODE: its exit status. */
static int run_supervised(const sf_cli_opts *o, char *const *command,
                          sysfence_ctx *ctx, sf_mode mode) {
  char *path = NULL;
  int rc = sf_launch_find("sysfence", command[0], &path);
  FILE *log = rc < 0 ? open_log(o) : NULL;
  if (rc < 0 && !log) rc = SF_EXIT_LOADER;
  sf_supervisor sv;
  const sf_ruleset *rs[SF_MAX_TARGETS];
  size_t n = 0;
  if (rc < 0) rc = start_supervised(o, ctx, mode, &sv, path, command, rs, &n);
  if (rc < 0) {
    sf_reporter *r = sf_reporter_new(rs, n, mode, log);
    sv.on_call = r ? sf_reporter_on_call : NULL; /* no memory: CONTINUE */
    sv.user = r;
    rc = sf_supervise_run(&sv);
    sf_reporter_finish(r);
  }
  if (log && log != stderr) fclose(log);
  free(path);
  return rc;
}

static int run_run(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  char **command = NULL;
  int rc = parse(cmd, argc, argv, &o, &command);
  if (rc >= 0) return rc;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  struct sock_fprog prog = {0};
  char *path = NULL;
  rc = compile(&o, command, ctx, &prog);
  int mode = rc == 0 && !o.dry_run ? supervisor_mode(&o, ctx) : -1;
  if (rc == 0 && o.dry_run) {
    rc = dry_run(&o, command, ctx, &prog);
  } else if (rc == 0 && mode >= 0) {
    free(prog.filter);
    prog.filter = NULL;
    rc = run_supervised(&o, command, ctx, (sf_mode)mode);
  } else if (rc == 0) {
    /* Freed before the filter is installed: under it, the execve should be
     * the only call left to make. */
    sysfence_free(ctx);
    ctx = NULL;
    rc = prepare(&o, command, &prog, &path);
  }
  free(prog.filter);
  sysfence_free(ctx);
  if (rc < 0 && mode < 0) rc = sf_launch_exec("sysfence", path, command);
  free(path);
  return rc;
}

const sf_command sf_cmd_run = {
    "run", "POLICY -- COMMAND [ARG...]",
    "compile POLICY for the host and run COMMAND under it",
    "Compile POLICY ('-': standard input) for the host, install the filter\n"
    "(no_new_privs, seccomp(2)) and run COMMAND under it.",
    "aIDBUNcktgspYArG" SF_DIAG_OPTS "hV", "the host's only (others with --dry-run)", 1, 0, -1,
    run_run, run_epilog, SF_EXIT_LOADER};
