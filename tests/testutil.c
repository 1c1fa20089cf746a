/* testutil.c - helpers shared by the Check test programs. */
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- checks that cannot run here ---------------------------------------- */

/* The test program's name as make check knows it (its log is NAME.log). */
static const char *program_name(void) {
  const char *p = program_invocation_short_name;
  /* a libtool wrapper runs .libs/lt-NAME */
  return strncmp(p, "lt-", 3) == 0 ? p + 3 : p;
}

static int require_all(void) {
  const char *v = getenv("SYSFENCE_REQUIRE_ALL");
  return v && strcmp(v, "1") == 0;
}

/* One write(2) per line: Check runs each test in a child of its own, and
 * their lines must not interleave in the log that check-local reads. */
__attribute__((format(printf, 3, 0)))
static void say_line(const char *test, const char *kind, const char *fmt,
                     va_list ap) {
  char reason[1024], line[1400];
  vsnprintf(reason, sizeof reason, fmt, ap);
  int n = test ? snprintf(line, sizeof line, "%s: %s: %s: %s\n", program_name(),
                          test, kind, reason)
               : snprintf(line, sizeof line, "%s: %s: %s\n", program_name(), kind,
                          reason);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  fflush(stderr);
  ssize_t w = write(2, line, len);
  (void)w;
}

void tu_skip(const char *test, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (require_all()) {
    char reason[1024];
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    ck_abort_msg("%s: cannot run here and SYSFENCE_REQUIRE_ALL=1: %s", test,
                 reason);
    return;
  }
  say_line(test, "SKIPPED", fmt, ap);
  va_end(ap);
}

void tu_skip_program(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (require_all()) {
    char reason[1024];
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: FAILED: cannot run here and SYSFENCE_REQUIRE_ALL=1: %s\n",
            program_name(), reason);
    exit(1);
  }
  say_line(NULL, "SKIPPED", fmt, ap);
  va_end(ap);
  exit(77);
}

void tu_not_applicable(const char *test, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  say_line(test, "NOT APPLICABLE", fmt, ap);
  va_end(ap);
}

int tu_under_valgrind(void) {
  const char *p = getenv("LD_PRELOAD");
  return p && strstr(p, "vgpreload") != NULL;
}

#define NO_SECCOMP "seccomp filters cannot be installed here"
#define VALGRIND_NO_SECCOMP "valgrind does not implement seccomp(2)"

void tu_skip_no_seccomp(const char *test) {
  if (tu_under_valgrind()) tu_not_applicable(test, VALGRIND_NO_SECCOMP);
  else tu_skip(test, NO_SECCOMP);
}

void tu_skip_program_no_seccomp(const char *what) {
  if (!tu_under_valgrind()) tu_skip_program(NO_SECCOMP ": %s", what);
  fprintf(stderr, "%s: NOT APPLICABLE: " VALGRIND_NO_SECCOMP ": %s\n",
          program_name(), what);
  exit(77);
}

int tu_have_corpus(void) {
  struct stat st;
  return stat(SHARED_DIR "/corpus", &st) == 0 && S_ISDIR(st.st_mode);
}

int tu_have_program(const char *program) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", program);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  tu_result r = tu_run(argv, NULL);
  int ok = r.exited && r.status == 0;
  tu_result_free(&r);
  return ok;
}

int tu_compile(const char *src, const char *arch, struct sock_fprog *prog,
               char **diags) {
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return SYSFENCE_ESYSTEM;
  sysfence_set_input_string(ctx, "test.policy", src);
  if (arch && sysfence_set_arch(ctx, arch) != SYSFENCE_OK) {
    sysfence_free(ctx);
    return SYSFENCE_EUSAGE;
  }
  int rc = sysfence_compile(ctx, prog);
  if (diags) *diags = strdup(sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return rc;
}

void tu_result_free(tu_result *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

typedef struct sink {
  int fd;
  char *buf;
  size_t len, cap;
} sink;

static void sink_read(sink *s) {
  if (s->len + 4096 + 1 > s->cap) {
    s->cap = (s->cap ? s->cap * 2 : 8192) + 4096;
    s->buf = realloc(s->buf, s->cap);
  }
  ssize_t n = read(s->fd, s->buf + s->len, 4096);
  if (n <= 0) {
    close(s->fd);
    s->fd = -1;
  } else {
    s->len += (size_t)n;
  }
  s->buf[s->len] = '\0';
}

tu_result tu_run(char *const argv[], const char *stdin_text) {
  tu_result r = {0};
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) abort();
  pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (stdin_text) {
    /* Small inputs only: a pipe holds 64 KiB, more would need polling. */
    ssize_t w = write(in[1], stdin_text, strlen(stdin_text));
    (void)w;
  }
  close(in[1]);
  sink s[2] = {{out[0], NULL, 0, 0}, {err[0], NULL, 0, 0}};
  while (s[0].fd >= 0 || s[1].fd >= 0) {
    struct pollfd p[2] = {{s[0].fd, POLLIN, 0}, {s[1].fd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++)
      if (s[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        sink_read(&s[i]);
  }
  int st;
  waitpid(pid, &st, 0);
  r.exited = WIFEXITED(st);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
  r.out = s[0].buf ? s[0].buf : strdup("");
  r.err = s[1].buf ? s[1].buf : strdup("");
  return r;
}

const char *tu_sysfence(void) {
  const char *p = getenv("SYSFENCE");
  return p ? p : BUILDDIR "/src/sysfence";
}

char *tu_tmpdir(void) {
  char tmpl[] = "/tmp/sysfence-test-XXXXXX";
  if (!mkdtemp(tmpl)) abort();
  return strdup(tmpl);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void tu_rmtree(const char *dir) {
  /* Make unreadable test folders removable first. */
  chmod(dir, 0700);
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_write(const char *dir, const char *name, const char *text) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  fwrite(text, 1, strlen(text), f);
  fclose(f);
  return path;
}

char *tu_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

int tu_seccomp_available(void) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog p = {1, &allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(1);
    _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) == 0 ? 0 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Shared page where the child reports what it saw. */
static volatile tu_outcome *child_report;

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  child_report->sigsys = 1;
  child_report->trap_data = si->si_errno;
  child_report->trap_nr = si->si_syscall;
  child_report->ret = -1;
  child_report->err = 0;
  child_report->reported = 1;
  _exit(0);
}

#if defined(__x86_64__)
/* An i386 call from 64-bit code: seccomp_data.arch is AUDIT_ARCH_I386 and
 * the kernel takes the number from the i386 table.  Five arguments (ebx,
 * ecx, edx, esi, edi), whole 64-bit registers; the sixth, ebp, is the
 * frame pointer and not needed.  The kernel's return value, -errno on
 * failure. */
static long int80(long nr, const uint64_t a[6]) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}
#endif

/* The call of tu_syscall_under (INT80: tu_int80_under) in a forked child. */
static tu_outcome call_under(const struct sock_fprog *prog, long nr, const uint64_t args[6],
                             int use_int80) {
  tu_outcome *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) abort();
  memset(shared, 0, sizeof *shared);
  pid_t pid = fork();
  if (pid == 0) {
    child_report = shared;
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(101);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0) _exit(102);
    errno = 0;
    long ret;
#if defined(__x86_64__)
    if (use_int80) {
      ret = int80(nr, args);
      shared->ret = ret;
      shared->err = ret < 0 && ret > -4096 ? (int)-ret : 0;
    } else
#endif
    {
      (void)use_int80;
      ret = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
      shared->ret = ret;
      shared->err = ret == -1 ? errno : 0;
    }
    shared->reported = 1;
    /* exit_group is needed by a filter-abiding child: use the raw call so
     * a filter that kills exit_group shows as a kill, not a hang. */
    syscall(SYS_exit_group, 0);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  tu_outcome o = *shared;
  munmap(shared, sizeof *shared);
  /* A kill after the report is the filter refusing exit_group, not the
   * call under test. */
  if (WIFSIGNALED(st) && !o.reported) o.killed_by = WTERMSIG(st);
  else if (WEXITSTATUS(st) == 101 || WEXITSTATUS(st) == 102) o.killed_by = -1;
  return o;
}

tu_outcome tu_syscall_under(const struct sock_fprog *prog, long nr,
                            const uint64_t args[6]) {
  return call_under(prog, nr, args, 0);
}

#if defined(__x86_64__)
tu_outcome tu_int80_under(const struct sock_fprog *prog, long nr, const uint64_t args[5]) {
  const uint64_t six[6] = {args[0], args[1], args[2], args[3], args[4], 0};
  return call_under(prog, nr, six, 1);
}
#endif

const char *tu_loader(void) {
  const char *p = getenv("SYSFENCE_EXEC");
  return p ? p : BUILDDIR "/src/sysfence-exec";
}

tu_result tu_run_program(const char *program, const char *stdin_text, ...) {
  char *argv[34];
  int n = 0;
  argv[n++] = (char *)program;
  va_list ap;
  va_start(ap, stdin_text);
  const char *a;
  while ((a = va_arg(ap, const char *)) != NULL && n < 33) argv[n++] = (char *)a;
  va_end(ap);
  argv[n] = NULL;
  return tu_run(argv, stdin_text);
}

tu_result tu_sh(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  return tu_run(argv, NULL);
}

int tu_have(const char *program) {
  tu_result r = tu_sh("command -v '%s' >/dev/null 2>&1", program);
  int ok = r.exited && r.status == 0;
  tu_result_free(&r);
  return ok;
}

int tu_run_suite(Suite *suite) {
  SRunner *sr = srunner_create(suite);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
