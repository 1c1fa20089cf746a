/* run.c - 'sysfence run POLICY [OPTIONS] -- COMMAND [ARG...]': compile a
 * policy for the host, install it and exec the command, as sysfence-exec
 * does with a compiled blob (same checks, same exit statuses). */
#include "cli/run.h"

#include <errno.h>
#include <getopt.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "sema/defines.h"
#include "launch/launch.h"
#include "sysfence.h"

#define PROG "sysfence run"
/* The prefix of run's own messages ("sysfence: run: error: ..."). */
#define PROG_MSG "sysfence: run"

static const char run_usage[] =
    "Usage: sysfence run POLICY [OPTIONS] -- COMMAND [ARG...]\n"
    "\n"
    "Compile POLICY ('-': standard input) for the host, install the filter\n"
    "(no_new_privs, seccomp(2)) and run COMMAND under it.\n"
    "\n"
    "Options:\n"
    "  -a, --arch ARCH    must be the host's (other targets only with --dry-run)\n"
    "  -I, --include DIR  search DIR for #include files; may be repeated\n"
    "  -D, --define NAME=VALUE  a constant for the policy (as #define); may\n"
    "                     be repeated.  SYSFENCE_PID is always defined: the\n"
    "                     pid of the process that runs COMMAND (this one,\n"
    "                     which execs it)\n"
    "      --bad-arch ACTION  action for a foreign architecture (default\n"
    "                     KILL_PROCESS)\n"
    "      --tsync, --log, --spec-allow  SECCOMP_FILTER_FLAG_TSYNC, _LOG,\n"
    "                     _SPEC_ALLOW\n"
    "      --no-preflight install the filter even if, run in the simulator, it\n"
    "                     refuses the execve that starts COMMAND\n"
    "  -n, --dry-run      compile, preflight and print the listing; run nothing\n"
    "  -h, --help         show this help and exit\n"
    "\n"
    "Preflight (as sysfence-exec's): unless the filter gives the execve(2)\n"
    "that starts COMMAND ALLOW or LOG in the simulator, nothing is installed.\n"
    "\n"
    "Exit status: COMMAND's own; 125 nothing was run (usage, errors in the\n"
    "policy, refused by the preflight, install error); 126 COMMAND not\n"
    "executable; 127 not found.\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sysfence: run: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'sysfence run --help' for more information.\n");
  return SF_EXIT_LOADER;
}

typedef struct run_options {
  const char *policy, *arch, *bad_arch;
  const char **includes;
  size_t n_includes;
  const char **defines; /* -D NAME=VALUE */
  size_t n_defines;
  unsigned flags;
  int dry_run;
  int no_preflight;
  char **command;
} run_options;

static int parse(int argc, char **argv, run_options *o) {
  static const struct option longs[] = {
      {"arch", required_argument, NULL, 'a'},
      {"include", required_argument, NULL, 'I'},
      {"define", required_argument, NULL, 'D'},
      {"bad-arch", required_argument, NULL, 'B'},
      {"tsync", no_argument, NULL, 'T'},
      {"log", no_argument, NULL, 'L'},
      {"spec-allow", no_argument, NULL, 'S'},
      {"no-preflight", no_argument, NULL, 'P'},
      {"dry-run", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int dd = sf_launch_split(argc, argv);
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(dd, argv, ":a:I:D:nh", longs, NULL)) != -1) {
    switch (c) {
    case 'a': o->arch = optarg; break;
    case 'I': o->includes[o->n_includes++] = optarg; break;
    case 'D': o->defines[o->n_defines++] = optarg; break;
    case 'B': o->bad_arch = optarg; break;
    case 'T': o->flags |= SYSFENCE_APPLY_TSYNC; break;
    case 'L': o->flags |= SYSFENCE_APPLY_LOG; break;
    case 'S': o->flags |= SYSFENCE_APPLY_SPEC_ALLOW; break;
    case 'P': o->no_preflight = 1; break;
    case 'n': o->dry_run = 1; break;
    case 'h': fputs(run_usage, stdout); return 0;
    case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
      if (optopt) return usage_error("unknown option '-%c'", optopt);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  int npos = dd - optind;
  if (npos == 0) return usage_error("missing POLICY");
  if (npos > 1) return usage_error("'%s': put the command after '--'", argv[optind + 1]);
  o->policy = argv[optind];
  if (dd + 1 < argc) o->command = argv + dd + 1;
  if (!o->command && !o->dry_run) return usage_error("missing '-- COMMAND'");
  return -1;
}

/* -D, then SYSFENCE_PID: this process's pid, since it execs the command
 * (no fork in between), so rules on SYSFENCE_PID mean the command itself.
 * A -D SYSFENCE_PID would aim them at another process: refused. */
static int define_constants(sysfence_ctx *ctx, const run_options *o) {
  char why[512];
  for (size_t i = 0; i < o->n_defines; i++) {
    const char *d = o->defines[i];
    size_t n = strlen(SF_PID_CONSTANT);
    if (strncmp(d, SF_PID_CONSTANT, n) == 0 && (d[n] == '=' || d[n] == '\0'))
      return usage_error("-D %s: 'sysfence run' defines %s itself (the pid of "
                         "the command it runs)", d, SF_PID_CONSTANT);
    if (sf_cli_define(ctx, d, why, sizeof why) != 0) return usage_error("%s", why);
  }
  char pid[32];
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  if (sysfence_define(ctx, SF_PID_CONSTANT, pid) != SYSFENCE_OK)
    return usage_error("%s", strerror(errno));
  return -1;
}

static int configure(sysfence_ctx *ctx, const run_options *o) {
  if (o->arch) {
    if (sysfence_set_arch(ctx, o->arch) != SYSFENCE_OK)
      return usage_error("unknown architecture '%s' (see 'sysfence arches')", o->arch);
    /* A filter for another ABI kills the loader's own execve. */
    const char *host = sysfence_host_arch();
    if (!o->dry_run && (!host || strcmp(sysfence_get_arch(ctx), host) != 0))
      return usage_error("--arch %s is not the host's (%s): a filter can only be "
                         "applied here for the host; use --dry-run to list it",
                         sysfence_get_arch(ctx), host ? host : "unknown");
  } else if (!sysfence_host_arch()) {
    return usage_error("no syscall table for this host; give --arch");
  }
  char why[512];
  if (sf_cli_set_options(ctx, o->bad_arch, o->includes, o->n_includes, why,
                         sizeof why) != 0 ||
      sf_cli_set_input(ctx, o->policy, why, sizeof why) != 0)
    return usage_error("%s", why);
  return define_constants(ctx, o);
}

/* Compile: 0 and *prog filled, or an exit status. */
static int compile(const run_options *o, sysfence_ctx *ctx, struct sock_fprog *prog) {
  int rc = configure(ctx, o);
  if (rc >= 0) return rc;
  int st = sysfence_compile(ctx, prog);
  fputs(sysfence_diag_text(ctx), stderr);
  if (st == SYSFENCE_OK) return 0;
  fprintf(stderr, "sysfence: run: error: %s; '%s' not run\n",
          st == SYSFENCE_EPOLICY ? "the policy has errors" : strerror(errno),
          o->command ? o->command[0] : "nothing");
  return SF_EXIT_LOADER;
}

/* The policy's name in the preflight's messages. */
static const char *policy_name(const run_options *o) {
  return strcmp(o->policy, "-") == 0 ? "<stdin>" : o->policy;
}

/* --dry-run: the listing, and the preflight when the filter is the
 * host's.  0 or an exit status. */
static int dry_run(const run_options *o, sysfence_ctx *ctx,
                   const struct sock_fprog *prog) {
  if (sysfence_emit(ctx, prog, SYSFENCE_FORMAT_ASM, NULL, stdout) != SYSFENCE_OK ||
      fflush(stdout) != 0) {
    fprintf(stderr, "sysfence: run: error: cannot write the listing: %s\n",
            strerror(errno));
    return SF_EXIT_LOADER;
  }
  char verdict[64] = "skipped (--no-preflight)";
  const char *host = sysfence_host_arch();
  char *const *argv = o->command;
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
          o->command ? "'" : "no command", o->command ? o->command[0] : "",
          o->command ? "' not run" : "");
  return 0;
}

/* Find the command, preflight and install the filter: -1 to exec *PATH
 * (malloc()ed), or an exit status. */
static int prepare(const run_options *o, const struct sock_fprog *prog, char **path) {
  /* Before anything is installed, so 126/127 do not depend on the filter. */
  int rc = sf_launch_find("sysfence", o->command[0], path);
  char verdict[64];
  if (rc < 0 && !o->no_preflight)
    rc = sf_launch_preflight(PROG_MSG, policy_name(o), prog, *path, o->command,
                             verdict, sizeof verdict);
  if (rc < 0) rc = sf_launch_apply("sysfence", prog, o->flags);
  return rc;
}

int sf_cli_run(int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  run_options o = {.includes = includes, .defines = defines};
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return usage_error("%s", strerror(ENOMEM));
  struct sock_fprog prog = {0};
  char *path = NULL;
  rc = compile(&o, ctx, &prog);
  if (rc == 0 && o.dry_run) {
    rc = dry_run(&o, ctx, &prog);
  } else if (rc == 0) {
    /* Freed before the filter is installed: under it, the execve should be
     * the only call left to make. */
    sysfence_free(ctx);
    ctx = NULL;
    rc = prepare(&o, &prog, &path);
  }
  free(prog.filter);
  sysfence_free(ctx);
  if (rc < 0) rc = sf_launch_exec("sysfence", path, o.command);
  free(path);
  return rc;
}
