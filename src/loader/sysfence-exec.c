/* sysfence-exec.c - the loader: read a raw seccomp filter, check it,
 * install it and exec a command under it.  No compiler is linked in: only
 * the validator, the blob decoder, the simulator (for the preflight) and
 * the listing (for --dry-run), with the host's syscall table.  Fails
 * closed: on any error before the exec the command is not run (exit
 * statuses in launch.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bpf/bpf.h"
#include "config.h"
#include "base/file.h"
#include "bpf/blob.h"
#include "bpf/listing.h"
#include "launch/launch.h"
#include "sysfence.h"

#define PROG "sysfence-exec"

static const char usage_text[] =
    "Usage: " PROG " [OPTIONS] FILE.bpf -- COMMAND [ARG...]\n"
    "       " PROG " [OPTIONS] --fd N -- COMMAND [ARG...]\n"
    "\n"
    "Install the raw seccomp filter FILE.bpf ('-': standard input) on itself,\n"
    "then run COMMAND under it.  The filter must be an array of 8-byte struct\n"
    "sock_filter in the host's byte order (as 'sysfence compile' writes it),\n"
    "1 to 4096 instructions that pass the kernel's checks.\n"
    "\n"
    "Options:\n"
    "      --fd N       read the filter from file descriptor N (then closed)\n"
    "      --tsync      SECCOMP_FILTER_FLAG_TSYNC: filter all threads\n"
    "      --log        SECCOMP_FILTER_FLAG_LOG: log the actions taken\n"
    "      --spec-allow SECCOMP_FILTER_FLAG_SPEC_ALLOW: keep speculative\n"
    "                   store bypass mitigation off\n"
    "      --no-preflight  install the filter even if, run in the simulator,\n"
    "                   it refuses the execve that starts COMMAND\n"
    "  -n, --dry-run    check the filter (the preflight included) and print\n"
    "                   it as a listing; install nothing and run nothing\n"
    "                   (COMMAND may be left out)\n"
    "  -h, --help       show this help and exit\n"
    "  -V, --version    show the version and exit\n"
    "\n"
    "Preflight: before installing, the filter is run in the simulator on the\n"
    "execve(2) that will start COMMAND (this host's AUDIT_ARCH and syscall\n"
    "number, the real arguments); unless it gets ALLOW or LOG, nothing is\n"
    "installed or run (a filter for another architecture is reported as such).\n"
    "\n"
    "no_new_privs is always set.  Exit status: COMMAND's own; 125 the loader\n"
    "failed (usage, unreadable or invalid filter, refused by the preflight,\n"
    "install error: COMMAND was not run); 126 COMMAND found but not\n"
    "executable; 127 COMMAND not found.\n";

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, PROG ": error: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return SF_EXIT_LOADER;
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, PROG ": ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
  return SF_EXIT_LOADER;
}

static int parse_fd(const char *s, int *fd) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > INT_MAX) return -1;
  *fd = (int)v;
  return 0;
}

typedef struct options {
  const char *file; /* NULL with --fd */
  int fd;           /* -1 unless --fd */
  unsigned flags;
  int dry_run;
  int no_preflight;
  char **command; /* NULL-terminated; NULL if none */
} options;

/* Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, options *o) {
  static const struct option longs[] = {
      {"fd", required_argument, NULL, 'F'},
      {"tsync", no_argument, NULL, 'T'},
      {"log", no_argument, NULL, 'L'},
      {"spec-allow", no_argument, NULL, 'S'},
      {"no-preflight", no_argument, NULL, 'P'},
      {"dry-run", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  /* Options are read up to "--"; everything after it is the command,
   * untouched (its own options included). */
  int dd = sf_launch_split(argc, argv);
  int c;
  opterr = 0;
  while ((c = getopt_long(dd, argv, ":nhV", longs, NULL)) != -1) {
    switch (c) {
    case 'F':
      if (parse_fd(optarg, &o->fd) != 0)
        return usage_error("--fd '%s' is not a file descriptor number", optarg);
      break;
    case 'T': o->flags |= SYSFENCE_APPLY_TSYNC; break;
    case 'L': o->flags |= SYSFENCE_APPLY_LOG; break;
    case 'S': o->flags |= SYSFENCE_APPLY_SPEC_ALLOW; break;
    case 'P': o->no_preflight = 1; break;
    case 'n': o->dry_run = 1; break;
    case 'h': fputs(usage_text, stdout); return 0;
    case 'V': printf(PROG " (sysfence) %s\n", PACKAGE_VERSION); return 0;
    case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
      if (optopt) return usage_error("unknown option '-%c'", optopt);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  int npos = dd - optind;
  if (o->fd >= 0) {
    if (npos > 0) return usage_error("both --fd and a FILE given");
  } else {
    if (npos == 0) return usage_error("missing filter FILE.bpf (or --fd N)");
    if (npos > 1)
      return usage_error("'%s': put the command after '--'", argv[optind + 1]);
    o->file = argv[optind];
  }
  if (dd < argc && dd + 1 < argc) o->command = argv + dd + 1;
  if (!o->command && !o->dry_run) return usage_error("missing '-- COMMAND'");
  return -1;
}

/* The filter's name in messages: its file, or "fd N". */
static const char *filter_name(const options *o, char *buf, size_t size) {
  if (o->file) return o->file;
  snprintf(buf, size, "fd %d", o->fd);
  return buf;
}

/* Read and check the filter: 0 and *prog filled (free prog->filter), or an
 * exit status. */
static int load(const options *o, struct sock_fprog *prog) {
  char fdname[32];
  const char *name = filter_name(o, fdname, sizeof fdname);
  int fd = o->fd;
  if (o->file)
    fd = strcmp(o->file, "-") == 0 ? STDIN_FILENO : open(o->file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open '%s': %s", name, strerror(errno));
  sf_input in;
  int err = sf_read_fd(fd, SF_BLOB_READ_MAX, NULL, &in);
  /* The command does not inherit the filter's descriptor. */
  if (fd > STDERR_FILENO) close(fd);
  if (err) return fail("cannot read '%s': %s", name, strerror(err));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const int big_endian = 1;
#else
  const int big_endian = 0;
#endif
  struct sock_filter *insns;
  size_t n;
  char why[300];
  /* A larger input keeps one byte more than the limit: too long, it says. */
  int rc = sf_blob_load((const unsigned char *)in.data, in.len + (in.more ? 1 : 0),
                        big_endian, &insns, &n, why, sizeof why);
  free(in.data);
  if (rc != 0) return fail("%s: %s", name, why);
  prog->filter = insns;
  prog->len = (unsigned short)n;
  return 0;
}

static int dry_run(const options *o, const struct sock_fprog *prog) {
  const sf_arch *arch = sf_arch_host();
  if (!arch) return fail("no syscall table for this host: cannot list the filter");
  if (sf_write_asm(prog->filter, prog->len, arch, stdout) != 0 || fflush(stdout) != 0)
    return fail("cannot write the listing: %s", strerror(errno));
  /* The command is not looked up: its name stands for the path. */
  char verdict[64] = "skipped (--no-preflight)", fdname[32];
  char *const *argv = o->command;
  if (!o->no_preflight &&
      sf_launch_preflight(PROG, filter_name(o, fdname, sizeof fdname), prog,
                          argv ? argv[0] : NULL, argv, verdict, sizeof verdict) >= 0)
    return SF_EXIT_LOADER;
  char f[64];
  fprintf(stderr, PROG ": dry run: %u instructions, valid for %s; preflight: %s; "
                  "flags: %s; nothing installed, ", (unsigned)prog->len, arch->name,
          verdict, sf_launch_flags_str(o->flags, f, sizeof f));
  if (o->command)
    fprintf(stderr, "'%s' not run\n", o->command[0]);
  else
    fprintf(stderr, "no command\n");
  return 0;
}

int main(int argc, char **argv) {
  options o = {.fd = -1};
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  struct sock_fprog prog = {0};
  if ((rc = load(&o, &prog)) != 0) return rc;
  if (o.dry_run) {
    rc = dry_run(&o, &prog);
    free(prog.filter);
    return rc;
  }
  /* Before anything is installed, so 126/127 do not depend on the filter;
   * the preflight checks the execve of the path found. */
  char *path = NULL, verdict[64], fdname[32];
  if ((rc = sf_launch_find(PROG, o.command[0], &path)) < 0 && !o.no_preflight)
    rc = sf_launch_preflight(PROG, filter_name(&o, fdname, sizeof fdname), &prog,
                             path, o.command, verdict, sizeof verdict);
  if (rc < 0) rc = sf_launch_apply(PROG, &prog, o.flags);
  free(prog.filter);
  if (rc < 0) rc = sf_launch_exec(PROG, path, o.command);
  free(path);
  return rc;
}
