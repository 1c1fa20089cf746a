/* launch.c - installing a filter and running a command under it, for
 * sysfence-exec (src/loader) and 'sysfence run' (src/cli/run.c): finding the
 * command, the preflight (the filter run in the simulator on the execve
 * that will start it), installing, exec'ing. */
#include "launch/launch.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bpf/bpf.h"
#include "bpf/listing.h"
#include "bpf/action.h"
#include "sysfence.h"

int sf_launch_split(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) return i;
  return argc;
}

/* 0 if PATH is a regular file we may execute, else an errno. */
static int check_file(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (access(path, X_OK) != 0) return errno;
  return 0;
}

static int not_runnable(const char *progname, const char *command, int err) {
  if (err == ENOENT || err == ENOTDIR) {
    fprintf(stderr, "%s: %s: command not found\n", progname, command);
    return SF_EXIT_NOTFOUND;
  }
  fprintf(stderr, "%s: %s: cannot execute: %s\n", progname, command,
          err == EISDIR ? "Is a directory" : strerror(err));
  return SF_EXIT_NOEXEC;
}

/* A copy of PATH in *OUT: -1 (found), or not_runnable's ENOMEM status. */
static int found(const char *progname, const char *command, const char *path,
                 char **out) {
  *out = strdup(path);
  return *out ? -1 : not_runnable(progname, command, ENOMEM);
}

int sf_launch_find(const char *progname, const char *command, char **resolved) {
  *resolved = NULL;
  if (!command || !*command) return not_runnable(progname, "''", ENOENT);
  if (strchr(command, '/')) {
    int err = check_file(command);
    return err ? not_runnable(progname, command, err)
               : found(progname, command, command, resolved);
  }
  /* execvp's search: each folder of $PATH (an empty entry is the current
   * folder: the bare name, as glibc's execvp passes it), the first
   * executable file wins; if none, a file that exists but cannot be run is
   * reported as such (EACCES) rather than as not found. */
  const char *path = getenv("PATH");
  if (!path) path = "/bin:/usr/bin";
  int seen = ENOENT;
  size_t clen = strlen(command);
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    char *full = malloc(dlen + clen + 3);
    if (!full) return not_runnable(progname, command, ENOMEM);
    if (dlen == 0)
      snprintf(full, dlen + clen + 3, "%s", command);
    else
      snprintf(full, dlen + clen + 3, "%.*s/%s", (int)dlen, p, command);
    int err = check_file(full);
    if (err == 0) {
      *resolved = full;
      return -1;
    }
    free(full);
    if (err != ENOENT && err != ENOTDIR) seen = err;
    if (!end) break;
    p = end;
  }
  return not_runnable(progname, command, seen);
}

const char *sf_launch_flags_str(unsigned flags, char *buf, size_t size) {
  snprintf(buf, size, "%s%s%s%s", flags & SYSFENCE_APPLY_TSYNC ? ",tsync" : "",
           flags & SYSFENCE_APPLY_LOG ? ",log" : "",
           flags & SYSFENCE_APPLY_SPEC_ALLOW ? ",spec-allow" : "",
           flags ? "" : ",none");
  memmove(buf, buf + 1, strlen(buf)); /* drop the leading comma */
  return buf;
}

int sf_launch_apply(const char *progname, const struct sock_fprog *prog,
                    unsigned flags) {
  if (sysfence_apply(prog, flags) == 0) return -1;
  int err = errno;
  char f[64];
  fprintf(stderr, "%s: error: cannot install the filter (flags: %s): %s\n",
          progname, sf_launch_flags_str(flags, f, sizeof f), strerror(err));
  if (err == EINVAL && flags)
    fprintf(stderr, "%s: note: this kernel may not support the flags requested\n",
            progname);
  else if (err == ENOSYS && flags)
    fprintf(stderr, "%s: note: seccomp(2) is missing; the prctl fallback cannot "
                    "honour flags\n", progname);
  else if (err == EBUSY)
    fprintf(stderr, "%s: note: another thread has a diverging filter "
                    "(--tsync)\n", progname);
  return SF_EXIT_LOADER;
}

/* execvp's fallback for a file the kernel cannot execute (ENOEXEC: no
 * "#!" line): run it with /bin/sh, as "/bin/sh PATH ARG...".  Returns only
 * if that fails. */
static void exec_with_shell(const char *path, char *const argv[]) {
  size_t argc = 0;
  while (argv[argc]) argc++;
  /* malloc rather than a VLA: argv may be longer than the stack allows. */
  char **sh_argv = malloc((argc + 2) * sizeof *sh_argv);
  if (!sh_argv) return;
  sh_argv[0] = (char *)"/bin/sh";
  sh_argv[1] = (char *)path;
  for (size_t i = 1; i <= argc; i++) sh_argv[i + 1] = argv[i]; /* and NULL */
  execve("/bin/sh", sh_argv, environ);
  free(sh_argv);
}

int sf_launch_exec(const char *progname, const char *path, char *const argv[]) {
  fflush(stdout);
  fflush(stderr);
  /* The path sf_launch_find resolved, with the pointers the preflight
   * simulated: the single execve the filter has to allow.  (execvp would
   * walk $PATH again, under the filter.) */
  execve(path, argv, environ);
  if (errno == ENOEXEC) {
    exec_with_shell(path, argv);
    errno = ENOEXEC;
  }
  /* The filter is in place: this message may itself be refused. */
  return not_runnable(progname, argv[0], errno);
}

/* ---- preflight ----------------------------------------------------------- */

/* What the path the simulator took did with seccomp_data.arch: filled by
 * watch_arch after each instruction. */
typedef struct arch_watch {
  uint32_t host;    /* the host's AUDIT_ARCH */
  int a_is_arch;    /* A holds seccomp_data.arch, unchanged */
  int matched;      /* A was compared (JEQ) with the host's AUDIT_ARCH */
  int other_seen;   /* ... or with another value: the first is OTHER */
  uint32_t other;
} arch_watch;

static void watch_arch(void *user, size_t pc, const struct sock_filter *in,
                       uint32_t a, uint32_t x) {
  arch_watch *w = user;
  (void)pc, (void)a, (void)x;
  uint16_t cls = BPF_CLASS(in->code);
  if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
    w->a_is_arch = in->k == SF_OFF_ARCH;
  } else if (cls == BPF_JMP) {
    if (w->a_is_arch && in->code == (BPF_JMP | BPF_JEQ | BPF_K)) {
      if (in->k == w->host) {
        w->matched = 1;
      } else if (!w->other_seen) {
        w->other_seen = 1;
        w->other = in->k;
      }
    }
  } else if (cls == BPF_ST || cls == BPF_STX || cls == BPF_LDX ||
             in->code == (BPF_MISC | BPF_TAX)) {
    /* A is left as it was. */
  } else {
    w->a_is_arch = 0; /* ALU, other loads, TXA, RET */
  }
}

/* ALLOW and LOG let the call through.  Everything else stops it: ERRNO,
 * TRAP, KILL_*; TRACE without a tracer and USER_NOTIF without a listener
 * fail it with ENOSYS (kernel/seccomp.c, __seccomp_filter); unknown
 * actions kill the process. */
static int action_passes(uint32_t action) {
  uint32_t a = action & SF_RET_ACTION_FULL;
  return a == SF_RET_ALLOW || a == SF_RET_LOG;
}

/* What ACTION on execve would do, for the note after the error. */
static const char *refusal_hint(uint32_t action, char *buf, size_t size) {
  switch (action & SF_RET_ACTION_FULL) {
  case SF_RET_ERRNO:
    snprintf(buf, size, "execve would fail (%s)", strerror((int)(action & SF_RET_DATA)));
    return buf;
  case SF_RET_TRACE: return "TRACE lets execve through only under a ptrace tracer";
  case SF_RET_USER_NOTIF: return "USER_NOTIF needs a supervisor, and there is none";
  case SF_RET_TRAP: return "the loader would die of SIGSYS before the command starts";
  default: return "the loader would be killed before the command starts";
  }
}

static void report_refusal(const char *progname, const char *what,
                           const arch_watch *w, const sf_arch *host,
                           uint32_t action, const char *command) {
  char act[32];
  sf_action_str(action, act, sizeof act);
  if (w->other_seen && !w->matched) {
    /* The path never accepted the host's AUDIT_ARCH: a filter for another
     * architecture, for which the host's execve is foreign. */
    const char *name = sf_audit_arch_name(w->other);
    const char *hname = sf_audit_arch_name(host->audit_arch);
    fprintf(stderr, "%s: error: %s: wrong architecture: the filter is for %s%s"
                    "0x%08x%s, this host is %s (%s%s0x%08x); execve gets %s\n",
            progname, what, name ? name : "", name ? " (" : "AUDIT_ARCH ", w->other,
            name ? ")" : "", host->name, hname ? hname : "", hname ? ", " : "",
            host->audit_arch, act);
    fprintf(stderr, "%s: note: compile the policy for this host (--arch %s)\n",
            progname, host->name);
  } else {
    fprintf(stderr, "%s: error: %s: the filter refuses the execve that starts "
                    "the command: execve gets %s\n", progname, what, act);
    char hint[128];
    fprintf(stderr, "%s: note: %s; allow execve in the policy\n", progname,
            refusal_hint(action, hint, sizeof hint));
  }
  fprintf(stderr, "%s: note: %s; --no-preflight installs the filter anyway\n",
          progname, command ? "the command was not run" : "nothing was run");
}

int sf_launch_preflight(const char *progname, const char *what,
                        const struct sock_fprog *prog, const char *path,
                        char *const argv[], char *verdict, size_t size) {
  const sf_arch *host = sf_arch_host();
  if (!host) {
    fprintf(stderr, "%s: error: %s: no syscall table for this host: cannot check "
                    "the filter before installing it\n", progname, what);
    fprintf(stderr, "%s: note: --no-preflight installs it unchecked\n", progname);
    return SF_EXIT_LOADER;
  }
  /* The call sf_launch_exec makes, as the kernel will show it to the
   * filter: the host's AUDIT_ARCH, this program's own execve number, the
   * very pointers it passes.  Not modelled: the instruction pointer and
   * the unused argument registers (args[3..5]), both taken as 0. */
  sf_seccomp_data d = {.nr = (uint32_t)SYS_execve, .arch = host->audit_arch};
  d.args[0] = (uint64_t)(uintptr_t)path;
  d.args[1] = (uint64_t)(uintptr_t)argv;
  d.args[2] = (uint64_t)(uintptr_t)environ;
  arch_watch w = {.host = host->audit_arch};
  uint32_t action = sf_bpf_run_trace(prog->filter, prog->len, host, &d, NULL,
                                     watch_arch, &w);
  if (action_passes(action)) {
    char act[32];
    snprintf(verdict, size, "execve gets %s", sf_action_str(action, act, sizeof act));
    return -1;
  }
  report_refusal(progname, what, &w, host, action, argv ? argv[0] : NULL);
  return SF_EXIT_LOADER;
}
