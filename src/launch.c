/* launch.c - installing a filter and running a command under it, for
 * sysfence-exec (src/exec.c) and 'sysfence run' (src/run.c). */
#include "launch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int sf_launch_find(const char *progname, const char *command) {
  if (!command || !*command) return not_runnable(progname, "''", ENOENT);
  if (strchr(command, '/')) {
    int err = check_file(command);
    return err ? not_runnable(progname, command, err) : -1;
  }
  /* execvp's search: each folder of $PATH (empty entries are "."), the
   * first executable file wins; if none, a file that exists but cannot be
   * run is reported as such (EACCES) rather than as not found. */
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
      snprintf(full, dlen + clen + 3, "./%s", command);
    else
      snprintf(full, dlen + clen + 3, "%.*s/%s", (int)dlen, p, command);
    int err = check_file(full);
    free(full);
    if (err == 0) return -1;
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

int sf_launch_exec(const char *progname, char *const argv[]) {
  fflush(stdout);
  fflush(stderr);
  execvp(argv[0], argv);
  /* The filter is in place: this message may itself be refused. */
  return not_runnable(progname, argv[0], errno);
}
