/* check_kernel.c - end-to-end tests: policies compiled by sysfence are
 * installed in the real kernel (in forked children) and raw syscalls with
 * chosen arguments are checked against what the policy says.
 *
 * Needs x86_64, seccomp filtering and the rights to install a filter
 * (no_new_privs is used, so root is not required).  Without seccomp the
 * program prints a loud message and exits 77 (automake SKIP). */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sysfence.h"
#include "testutil.h"

#if defined(__x86_64__)

#define X32_BIT 0x40000000UL
#define DOCKER_POLICY SHARED_DIR "/corpus/docker-default.kafel"

/* ---- helpers ------------------------------------------------------------ */

static const char *describe(const tu_outcome *o) {
  static char buf[200];
  if (o->killed_by == -1)
    snprintf(buf, sizeof buf, "the filter could not be installed");
  else if (o->killed_by)
    snprintf(buf, sizeof buf, "killed by signal %d (%s)", o->killed_by,
             strsignal(o->killed_by));
  else if (o->sigsys)
    snprintf(buf, sizeof buf, "SIGSYS caught (TRAP data %d, nr %d)",
             o->trap_data, o->trap_nr);
  else if (o->ret == -1)
    snprintf(buf, sizeof buf, "ret -1, errno %d (%s)", o->err, strerror(o->err));
  else
    snprintf(buf, sizeof buf, "ret %ld", o->ret);
  return buf;
}

/* Compile SRC for x86_64 with an optional bad-arch action (BAD: 0 keeps
 * the default when USE_BAD is 0). */
static struct sock_fprog compile_opts(const char *src, int use_bad,
                                      uint32_t bad) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_input_string(ctx, "kernel.policy", src),
                   SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  if (use_bad)
    ck_assert_int_eq(sysfence_set_bad_arch_action(ctx, bad), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  int rc = sysfence_compile(ctx, &prog);
  ck_assert_msg(rc == SYSFENCE_OK, "policy failed to compile (rc %d):\n%s\n%s",
                rc, src, sysfence_diag_text(ctx));
  ck_assert_msg(prog.len > 0 && prog.filter != NULL, "empty program");
  char why[256] = "";
  ck_assert_msg(sysfence_validate(&prog, why, sizeof why) == 0,
                "invalid program: %s", why);
  sysfence_free(ctx);
  return prog;
}

static struct sock_fprog compile_ok(const char *src) {
  struct sock_fprog prog = {0};
  char *diags = NULL;
  int rc = tu_compile(src, "x86_64", &prog, &diags);
  ck_assert_msg(rc == SYSFENCE_OK, "policy failed to compile (rc %d):\n%s\n%s",
                rc, src, diags ? diags : "");
  free(diags);
  return prog;
}

static tu_outcome under_prog(const struct sock_fprog *prog, long nr,
                             const uint64_t args[6]) {
  tu_outcome o = tu_syscall_under(prog, nr, args);
  ck_assert_msg(o.killed_by != -1, "the kernel refused to install the filter");
  return o;
}

static tu_outcome under(const char *src, long nr, const uint64_t args[6]) {
  struct sock_fprog prog = compile_ok(src);
  tu_outcome o = under_prog(&prog, nr, args);
  free(prog.filter);
  return o;
}

/* CALL(policy, nr, args...): at least one argument must be given. */
#define CALL(src, nr, ...) under((src), (nr), (const uint64_t[6]){__VA_ARGS__})
#define CALLP(prog, nr, ...)                                                  \
  under_prog((prog), (nr), (const uint64_t[6]){__VA_ARGS__})

#define EXPECT_RET(expr, value)                                               \
  do {                                                                        \
    tu_outcome o_ = (expr);                                                   \
    long v_ = (long)(value);                                                  \
    ck_assert_msg(o_.killed_by == 0 && !o_.sigsys && o_.ret == v_,            \
                  "%s: expected ret %ld, got %s", #expr, v_, describe(&o_));  \
  } while (0)

#define EXPECT_ERRNO(expr, e)                                                 \
  do {                                                                        \
    tu_outcome o_ = (expr);                                                   \
    int e_ = (e);                                                             \
    ck_assert_msg(o_.killed_by == 0 && !o_.sigsys && o_.ret == -1 &&          \
                      o_.err == e_,                                           \
                  "%s: expected errno %d (%s), got %s", #expr, e_,            \
                  strerror(e_), describe(&o_));                               \
  } while (0)

/* Allowed: the call ran (whatever it returned), no errno from the filter. */
#define EXPECT_NOT_ERRNO(expr, e)                                             \
  do {                                                                        \
    tu_outcome o_ = (expr);                                                   \
    int e_ = (e);                                                             \
    ck_assert_msg(o_.killed_by == 0 && !o_.sigsys &&                          \
                      !(o_.ret == -1 && o_.err == e_),                        \
                  "%s: expected the call to run, got %s", #expr,              \
                  describe(&o_));                                             \
  } while (0)

#define EXPECT_KILLED(expr, sig)                                              \
  do {                                                                        \
    tu_outcome o_ = (expr);                                                   \
    int s_ = (sig);                                                           \
    ck_assert_msg(o_.killed_by == s_, "%s: expected death by signal %d, got %s", \
                  #expr, s_, describe(&o_));                                  \
  } while (0)

#define EXPECT_TRAP(expr, data, nr)                                           \
  do {                                                                        \
    tu_outcome o_ = (expr);                                                   \
    int d_ = (data), n_ = (nr);                                               \
    ck_assert_msg(o_.killed_by == 0 && o_.sigsys && o_.trap_data == d_ &&     \
                      o_.trap_nr == n_,                                       \
                  "%s: expected TRAP(%d) for nr %d, got %s", #expr, d_, n_,   \
                  describe(&o_));                                             \
  } while (0)

static int devnull(void) {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  return fd;
}

static uint64_t ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* ---- child runners that tu_syscall_under does not cover ------------------ */

typedef struct probe {
  volatile int installed;   /* the filter went in */
  volatile int reported;    /* the call returned */
  volatile int main_alive;  /* the main thread got past join */
  volatile long ret;
  volatile int err;
} probe;

static probe *probe_new(void) {
  probe *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(p, MAP_FAILED);
  memset(p, 0, sizeof *p);
  return p;
}

static int install(const struct sock_fprog *prog) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}

typedef struct thread_job {
  const struct sock_fprog *prog;
  long nr;
  probe *p;
} thread_job;

static void *thread_main(void *arg) {
  thread_job *j = arg;
  /* Without TSYNC the filter applies to this thread only. */
  if (install(j->prog) != 0) return NULL;
  j->p->installed = 1;
  long r = syscall(j->nr, 0, 0, 0, 0, 0, 0);
  j->p->ret = r;
  j->p->err = r == -1 ? errno : 0;
  j->p->reported = 1;
  return NULL;
}

/* In a forked child, a second thread installs PROG and calls NR; the main
 * thread joins it.  Returns the child's wait status in *st. */
static probe *thread_probe(const struct sock_fprog *prog, long nr, int *st) {
  probe *p = probe_new();
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    thread_job j = {prog, nr, p};
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, &j) != 0) _exit(3);
    pthread_join(t, NULL);
    p->main_alive = 1;
    _exit(0);
  }
  ck_assert_int_eq(waitpid(pid, st, 0), pid);
  return p;
}

/* int $0x80 from 64-bit code: an i386 syscall, seccomp_data.arch is
 * AUDIT_ARCH_I386. */
static long int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

/* Run int80(nr) in a child under PROG (NULL: no filter). */
static probe *int80_probe(const struct sock_fprog *prog, long nr, int *st) {
  probe *p = probe_new();
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (prog && install(prog) != 0) _exit(102);
    p->installed = 1;
    p->ret = int80(nr, 0, 0, 0);
    p->main_alive = (int)syscall(SYS_getpid); /* for the unfiltered probe */
    p->reported = 1;
    syscall(SYS_exit_group, 0);
    _exit(0);
  }
  ck_assert_int_eq(waitpid(pid, st, 0), pid);
  return p;
}

static int ia32_available(void) {
  int st;
  probe *p = int80_probe(NULL, 20 /* i386 getpid */, &st);
  int ok = WIFEXITED(st) && p->reported && p->ret == p->main_alive;
  munmap(p, sizeof *p);
  return ok;
}

/* ---- actions ------------------------------------------------------------ */

START_TEST(action_allow) {
  EXPECT_RET(CALL("ALLOW { getppid, exit_group }", SYS_getppid, 0), getpid());
  EXPECT_RET(CALL("ALLOW { getppid } DEFAULT KILL", SYS_getppid, 0), getpid());
}
END_TEST

START_TEST(action_errno) {
  const char *p = "ALLOW { exit_group } ERRNO(13) { getppid } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getppid, 0), 13);
  EXPECT_ERRNO(CALL("ERRNO(1) { getuid } DEFAULT ALLOW", SYS_getuid, 0), EPERM);
  EXPECT_ERRNO(CALL("ERRNO(4095) { getuid } DEFAULT ALLOW", SYS_getuid, 0), 4095);
  EXPECT_ERRNO(CALL("ERRNO(0x26) { getuid } DEFAULT ALLOW", SYS_getuid, 0), ENOSYS);
  /* ERRNO(0): the call is skipped and returns 0 (not the parent's pid). */
  EXPECT_RET(CALL("ERRNO(0) { getppid } DEFAULT ALLOW", SYS_getppid, 0), 0);
  /* Other calls are untouched. */
  EXPECT_RET(CALL(p, SYS_getuid, 0), getuid());
}
END_TEST

START_TEST(action_kill_thread) {
  /* Single-threaded child: the whole process dies by SIGSYS. */
  EXPECT_KILLED(CALL("ALLOW { exit_group } KILL_THREAD { getppid } DEFAULT ALLOW",
                     SYS_getppid, 0),
                SIGSYS);
  EXPECT_KILLED(CALL("KILL { getppid } DEFAULT ALLOW", SYS_getppid, 0), SIGSYS);
  EXPECT_KILLED(CALL("DENY { getppid } DEFAULT ALLOW", SYS_getppid, 0), SIGSYS);
  /* No DEFAULT: KILL (thread). */
  EXPECT_KILLED(CALL("ALLOW { getpid }", SYS_getppid, 0), SIGSYS);

  /* Multi-threaded: only the calling thread dies. */
  const char *kinds[] = {"KILL_THREAD", "KILL", "DENY"};
  for (size_t i = 0; i < 3; i++) {
    char src[128];
    snprintf(src, sizeof src, "%s { getppid } DEFAULT ALLOW", kinds[i]);
    struct sock_fprog prog = compile_ok(src);
    int st;
    probe *p = thread_probe(&prog, SYS_getppid, &st);
    ck_assert_msg(p->installed, "%s: filter not installed", kinds[i]);
    ck_assert_msg(!p->reported, "%s: the call returned %ld", kinds[i], p->ret);
    ck_assert_msg(p->main_alive && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "%s: the main thread did not survive (status 0x%x)", kinds[i],
                  st);
    munmap(p, sizeof *p);
    free(prog.filter);
  }
  /* No DEFAULT is KILL_THREAD too, not KILL_PROCESS. */
  struct sock_fprog prog = compile_ok("ALLOW { getpid }");
  int st;
  probe *p = thread_probe(&prog, SYS_getppid, &st);
  ck_assert_msg(p->installed && !p->reported && p->main_alive && WIFEXITED(st),
                "missing DEFAULT should kill the thread only (status 0x%x)", st);
  munmap(p, sizeof *p);
  free(prog.filter);
}
END_TEST

START_TEST(action_kill_process) {
  EXPECT_KILLED(CALL("ALLOW { exit_group } KILL_PROCESS { getppid } DEFAULT ALLOW",
                     SYS_getppid, 0),
                SIGSYS);
  /* Multi-threaded: the whole process dies although another thread made
   * the call. */
  struct sock_fprog prog = compile_ok("KILL_PROCESS { getppid } DEFAULT ALLOW");
  int st;
  probe *p = thread_probe(&prog, SYS_getppid, &st);
  ck_assert_msg(p->installed && !p->reported, "call returned");
  ck_assert_msg(!p->main_alive && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
                "expected the process to die by SIGSYS (status 0x%x, main %d)",
                st, p->main_alive);
  munmap(p, sizeof *p);
  free(prog.filter);
  /* Control: the same probe under ALLOW lets the call through. */
  prog = compile_ok("DEFAULT ALLOW");
  p = thread_probe(&prog, SYS_getppid, &st);
  ck_assert_msg(p->reported && p->ret > 0 && p->main_alive, "control failed");
  munmap(p, sizeof *p);
  free(prog.filter);
}
END_TEST

START_TEST(action_trap) {
  EXPECT_TRAP(CALL("ALLOW { exit_group } TRAP(7) { getppid } DEFAULT ALLOW",
                   SYS_getppid, 0),
              7, SYS_getppid);
  EXPECT_TRAP(CALL("TRAP(0) { getuid } DEFAULT ALLOW", SYS_getuid, 0), 0,
              SYS_getuid);
  EXPECT_TRAP(CALL("TRAP(65535) { getuid } DEFAULT ALLOW", SYS_getuid, 0), 65535,
              SYS_getuid);
  EXPECT_TRAP(CALL("TRAP(0x1234) { getuid } DEFAULT ALLOW", SYS_getuid, 0),
              0x1234, SYS_getuid);
}
END_TEST

START_TEST(action_log) {
  EXPECT_RET(CALL("ALLOW { exit_group } LOG { getppid } DEFAULT KILL", SYS_getppid, 0),
             getpid());
  EXPECT_RET(CALL("DEFAULT LOG", SYS_getppid, 0), getpid());
}
END_TEST

START_TEST(action_trace_no_tracer) {
  EXPECT_ERRNO(CALL("ALLOW { exit_group } TRACE(5) { getppid } DEFAULT ALLOW",
                    SYS_getppid, 0),
               ENOSYS);
  EXPECT_ERRNO(CALL("TRACE(0) { getppid } DEFAULT ALLOW", SYS_getppid, 0), ENOSYS);
}
END_TEST

START_TEST(action_user_notif_no_listener) {
  /* Verified on this kernel: without a listener the call fails with ENOSYS. */
  EXPECT_ERRNO(CALL("ALLOW { exit_group } USER_NOTIF { getppid } DEFAULT ALLOW",
                    SYS_getppid, 0),
               ENOSYS);
}
END_TEST

/* USER_NOTIF with a listener: the supervisor (parent) answers the
 * notification with a made-up return value. */
START_TEST(action_user_notif_listener) {
  struct sock_fprog prog = compile_ok("USER_NOTIF { getppid } DEFAULT ALLOW");
  int sv[2];
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  probe *p = probe_new();
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(101);
    int lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                           SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (lfd < 0) _exit(102);
    p->installed = 1;
    /* Pass the listener to the parent. */
    char c = 'x';
    struct iovec iov = {&c, 1};
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &lfd, sizeof lfd);
    if (sendmsg(sv[1], &mh, 0) != 1) _exit(103);
    close(lfd);
    long r = syscall(SYS_getppid);
    p->ret = r;
    p->err = r == -1 ? errno : 0;
    p->reported = 1;
    syscall(SYS_exit_group, 0);
  }
  close(sv[1]);
  char c;
  struct iovec iov = {&c, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                      .msg_controllen = sizeof u.buf};
  ssize_t got = recvmsg(sv[0], &mh, 0);
  ck_assert_msg(got == 1, "no listener fd from the child");
  int lfd;
  memcpy(&lfd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof lfd);
  struct seccomp_notif req;
  memset(&req, 0, sizeof req);
  ck_assert_int_eq(ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
  ck_assert_int_eq(req.data.nr, SYS_getppid);
  ck_assert_uint_eq(req.data.arch, AUDIT_ARCH_X86_64);
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.val = 4242;
  ck_assert_int_eq(ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(p->reported && p->ret == 4242, "notified call returned %ld", p->ret);
  close(lfd);
  close(sv[0]);
  munmap(p, sizeof *p);
  free(prog.filter);
}
END_TEST

START_TEST(default_variants) {
  EXPECT_RET(CALL("DEFAULT ALLOW", SYS_getppid, 0), getpid());
  EXPECT_ERRNO(CALL("ALLOW { exit_group } DEFAULT ERRNO(38)", SYS_getppid, 0), 38);
  EXPECT_KILLED(CALL("ALLOW { exit_group } DEFAULT KILL_PROCESS", SYS_getppid, 0),
                SIGSYS);
  EXPECT_KILLED(CALL("ALLOW { exit_group } DEFAULT KILL", SYS_getppid, 0), SIGSYS);
  EXPECT_KILLED(CALL("ALLOW { exit_group } DEFAULT DENY", SYS_getppid, 0), SIGSYS);
  EXPECT_TRAP(CALL("ALLOW { exit_group } DEFAULT TRAP(9)", SYS_getppid, 0), 9,
              SYS_getppid);
  EXPECT_ERRNO(CALL("ALLOW { exit_group } DEFAULT TRACE(1)", SYS_getppid, 0),
               ENOSYS);
  EXPECT_ERRNO(CALL("ALLOW { exit_group } DEFAULT USER_NOTIF", SYS_getppid, 0),
               ENOSYS);
  /* DEFAULT may come first. */
  EXPECT_ERRNO(CALL("DEFAULT ERRNO(3) ALLOW { exit_group }", SYS_getppid, 0), 3);
  /* An empty policy. */
  EXPECT_KILLED(CALL("DEFAULT KILL", SYS_getppid, 0), SIGSYS);
}
END_TEST

/* ---- x32 numbers, nr -1, foreign arch ------------------------------------ */

START_TEST(x32_numbers_bad_arch) {
  long x32_getpid = (long)(X32_BIT | SYS_getpid);
  /* Even under DEFAULT ALLOW: killed (KILL_PROCESS by default). */
  EXPECT_KILLED(CALL("DEFAULT ALLOW", x32_getpid, 0), SIGSYS);
  EXPECT_KILLED(CALL("ALLOW { getpid } DEFAULT ALLOW", x32_getpid, 0), SIGSYS);
  EXPECT_KILLED(CALL("DEFAULT ERRNO(5)", x32_getpid, 0), SIGSYS);
  /* The range's ends. */
  EXPECT_KILLED(CALL("DEFAULT ALLOW", (long)X32_BIT, 0), SIGSYS);
  EXPECT_KILLED(CALL("DEFAULT ALLOW", 0xfffffffeL, 0), SIGSYS);
  /* Just below the range: the default applies (the kernel says ENOSYS). */
  EXPECT_ERRNO(CALL("DEFAULT ALLOW", 0x3fffffffL, 0), ENOSYS);
  EXPECT_ERRNO(CALL("ALLOW { exit_group } DEFAULT ERRNO(5)", 0x3fffffffL, 0), 5);

  /* KILL_PROCESS, not KILL_THREAD: a multi-threaded child dies entirely. */
  struct sock_fprog prog = compile_ok("DEFAULT ALLOW");
  int st;
  probe *p = thread_probe(&prog, x32_getpid, &st);
  ck_assert_msg(p->installed && !p->reported && !p->main_alive &&
                    WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
                "x32 nr: expected KILL_PROCESS (status 0x%x, main %d)", st,
                p->main_alive);
  munmap(p, sizeof *p);
  free(prog.filter);

  /* Another bad-arch action through the API. */
  uint32_t errno38;
  ck_assert_int_eq(sysfence_parse_action("ERRNO(38)", &errno38), 0);
  ck_assert_uint_eq(errno38, SECCOMP_RET_ERRNO | 38);
  prog = compile_opts("DEFAULT ALLOW", 1, errno38);
  EXPECT_ERRNO(CALLP(&prog, x32_getpid, 0), ENOSYS);
  EXPECT_RET(CALLP(&prog, SYS_getppid, 0), getpid());
  free(prog.filter);
  prog = compile_opts("ALLOW { exit_group } DEFAULT KILL", 1, SECCOMP_RET_ERRNO | 77);
  EXPECT_ERRNO(CALLP(&prog, x32_getpid, 0), 77);
  EXPECT_KILLED(CALLP(&prog, SYS_getppid, 0), SIGSYS);
  free(prog.filter);
  prog = compile_opts("DEFAULT ALLOW", 1, SECCOMP_RET_TRAP | 3);
  EXPECT_TRAP(CALLP(&prog, x32_getpid, 0), 3, (int)x32_getpid);
  free(prog.filter);
  /* KILL_THREAD as bad-arch action: only the thread dies. */
  prog = compile_opts("DEFAULT ALLOW", 1, SECCOMP_RET_KILL_THREAD);
  p = thread_probe(&prog, x32_getpid, &st);
  ck_assert_msg(p->installed && !p->reported && p->main_alive && WIFEXITED(st),
                "bad-arch KILL_THREAD: status 0x%x", st);
  munmap(p, sizeof *p);
  free(prog.filter);
}
END_TEST

START_TEST(nr_minus_one) {
  /* -1 is not an x32 number: it takes the default... */
  EXPECT_ERRNO(CALL("DEFAULT ALLOW", -1L, 0), ENOSYS);
  EXPECT_ERRNO(CALL("ALLOW { exit_group } DEFAULT ERRNO(9)", -1L, 0), 9);
  EXPECT_TRAP(CALL("ALLOW { exit_group } DEFAULT TRAP(4)", -1L, 0), 4, -1);
  /* ...or its SYSCALL[-1] rules. */
  EXPECT_ERRNO(CALL("ERRNO(5) { SYSCALL[-1] } DEFAULT ALLOW", -1L, 0), 5);
  EXPECT_ERRNO(CALL("ERRNO(6) { SYSCALL[0xffffffff] } DEFAULT ALLOW", -1L, 0), 6);
  EXPECT_ERRNO(CALL("#define custom -1\nERRNO(7) { custom } DEFAULT ALLOW", -1L, 0),
               7);
  EXPECT_ERRNO(CALL("ERRNO(5) { SYSCALL[-1](a) { a == 3 } } DEFAULT ALLOW", -1L, 3),
               5);
  EXPECT_ERRNO(CALL("ERRNO(5) { SYSCALL[-1](a) { a == 3 } } DEFAULT ALLOW", -1L, 4),
               ENOSYS);
  /* Even with a bad-arch action set, -1 is not foreign. */
  struct sock_fprog prog = compile_opts("ALLOW { exit_group } DEFAULT ERRNO(9)", 1,
                                        SECCOMP_RET_ERRNO | 77);
  EXPECT_ERRNO(CALLP(&prog, -1L, 0), 9);
  free(prog.filter);
}
END_TEST

START_TEST(foreign_arch_i386) {
  if (!ia32_available()) {
    tu_skip("foreign_arch_i386", "int $0x80 (ia32 emulation) is not available "
            "on this kernel");
    return;
  }
  int st;
  /* i386 nr 20 is getpid; x86_64 nr 20 is writev: a rule about writev
   * must not apply, the bad-arch action must. */
  const char *pols[] = {"DEFAULT ALLOW", "ERRNO(77) { writev } DEFAULT ALLOW",
                        "ALLOW { writev, getpid } DEFAULT ALLOW"};
  for (size_t i = 0; i < 3; i++) {
    struct sock_fprog prog = compile_ok(pols[i]);
    probe *p = int80_probe(&prog, 20, &st);
    ck_assert_msg(p->installed && !p->reported && WIFSIGNALED(st) &&
                      WTERMSIG(st) == SIGSYS,
                  "%s: i386 call: expected death by SIGSYS, status 0x%x ret %ld",
                  pols[i], st, p->ret);
    munmap(p, sizeof *p);
    free(prog.filter);
  }
  struct sock_fprog prog = compile_opts("ERRNO(77) { writev } DEFAULT ALLOW", 1,
                                        SECCOMP_RET_ERRNO | 38);
  probe *p = int80_probe(&prog, 20, &st);
  ck_assert_msg(p->reported && (int)p->ret == -38,
                "i386 call with bad-arch ERRNO(38): ret %ld status 0x%x", p->ret, st);
  munmap(p, sizeof *p);
  /* Native calls are unaffected by the bad-arch action. */
  EXPECT_ERRNO(CALLP(&prog, SYS_writev, 1, 0, 0), 77);
  free(prog.filter);
}
END_TEST

/* ---- argument widths ----------------------------------------------------- */

START_TEST(args_64bit_lseek) {
  int fd = devnull(); /* lseek on /dev/null returns 0 for any offset */
  const char *p = "ERRNO(77) { lseek { offset == 5 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 5, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0x100000005ULL, SEEK_SET), 0);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0xffffffff00000005ULL, SEEK_SET), 0);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 6, SEEK_SET), 0);
  p = "ERRNO(77) { lseek { offset == 0x100000005 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0x100000005ULL, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 5, SEEK_SET), 0);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0x200000005ULL, SEEK_SET), 0);
  /* Unsigned 64-bit inequalities. */
  p = "ERRNO(77) { lseek { offset > 0xffffffff } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0x100000000ULL, SEEK_SET), 77);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, ~0ULL, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0xffffffffULL, SEEK_SET), 0);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0, SEEK_SET), 0);
  p = "ERRNO(77) { lseek { offset >= 0x100000002 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0x100000002ULL, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0x100000001ULL, SEEK_SET), 0);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0xffffffffULL, SEEK_SET), 0);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0x200000000ULL, SEEK_SET), 77);
  p = "ERRNO(77) { lseek { offset < 0x100000000 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0xffffffffULL, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0x100000000ULL, SEEK_SET), 0);
  p = "ERRNO(77) { lseek { offset <= 5 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 5, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0x100000004ULL, SEEK_SET), 0);
  /* -1 as a 64-bit constant. */
  p = "ERRNO(77) { lseek { offset == -1 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, ~0ULL, SEEK_SET), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0xffffffffULL, SEEK_SET), 0);
  close(fd);
}
END_TEST

START_TEST(args_64bit_mmap) {
  const char *p = "ALLOW { exit_group } ERRNO(77) { mmap { len == 0x1000 } } "
                  "DEFAULT ALLOW";
  uint64_t prot = PROT_NONE, fl = MAP_PRIVATE | MAP_ANONYMOUS;
  EXPECT_ERRNO(CALL(p, SYS_mmap, 0, 0x1000, prot, fl, ~0ULL, 0), 77);
  tu_outcome o = CALL(p, SYS_mmap, 0, 0x100001000ULL, prot, fl, ~0ULL, 0);
  ck_assert_msg(!o.killed_by && !o.sigsys && !(o.ret == -1 && o.err == 77),
                "mmap len 0x100001000 was denied: %s", describe(&o));
  /* An allow rule on a high word only. */
  p = "ALLOW { exit_group, mmap { len == 0x100001000 } } DEFAULT ERRNO(77)";
  EXPECT_ERRNO(CALL(p, SYS_mmap, 0, 0x1000, prot, fl, ~0ULL, 0), 77);
  o = CALL(p, SYS_mmap, 0, 0x100001000ULL, prot, fl, ~0ULL, 0);
  ck_assert_msg(!o.killed_by && o.ret != -1, "mmap 0x100001000: %s", describe(&o));
  /* The fd of mmap is unsigned long: -1 is 64 bits wide. */
  p = "ALLOW { exit_group } ERRNO(77) { mmap { fd == 0xffffffff } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_mmap, 0, 0x1000, prot, fl, 0xffffffffULL, 0), 77);
  o = CALL(p, SYS_mmap, 0, 0x1000, prot, fl, ~0ULL, 0);
  ck_assert_msg(!o.killed_by && o.ret != -1, "mmap fd ~0: %s", describe(&o));
}
END_TEST

START_TEST(args_32bit_junk_deny) {
  /* The kernel reads dfd as int: 0xffffff9c is AT_FDCWD whatever the
   * high word holds.  None of these may get through the deny rule. */
  const char *p = "ALLOW { exit_group } KILL { openat { dfd == -100 } } DEFAULT ALLOW";
  const char *path = "/dev/null";
  EXPECT_KILLED(CALL(p, SYS_openat, 0xffffff9cULL, ptr(path), O_RDONLY), SIGSYS);
  EXPECT_KILLED(CALL(p, SYS_openat, 0x12345678ffffff9cULL, ptr(path), O_RDONLY),
                SIGSYS);
  EXPECT_KILLED(CALL(p, SYS_openat, 0xffffffffffffff9cULL, ptr(path), O_RDONLY),
                SIGSYS);
  /* Another dfd with an absolute path: allowed, opens. */
  tu_outcome o = CALL(p, SYS_openat, 0xffffff9bULL, ptr(path), O_RDONLY);
  ck_assert_msg(!o.killed_by && o.ret >= 0, "openat dfd -101: %s", describe(&o));
  o = CALL(p, SYS_openat, 0xffffff9c00000003ULL, ptr(path), O_RDONLY);
  ck_assert_msg(!o.killed_by && o.ret >= 0, "openat dfd 3 with junk: %s",
                describe(&o));
  /* Same with a hex constant and with ERRNO. */
  p = "ERRNO(77) { openat { dfd == 0xffffff9c } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_openat, 0xabcdef01ffffff9cULL, ptr(path), O_RDONLY), 77);
  EXPECT_ERRNO(CALL(p, SYS_openat, 0xffffff9cULL, ptr(path), O_RDONLY), 77);
  /* personality is unsigned int: 0x1ffffffff queries like 0xffffffff. */
  p = "ERRNO(77) { personality { personality == 0xffffffff } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_personality, 0xffffffffULL), 77);
  EXPECT_ERRNO(CALL(p, SYS_personality, 0x1ffffffffULL), 77);
  EXPECT_ERRNO(CALL(p, SYS_personality, ~0ULL), 77);
  /* Inequalities on a 32-bit argument ignore the high word too. */
  p = "ERRNO(77) { personality { personality > 0xfffffff0 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_personality, 0xffffffffULL), 77);
  EXPECT_ERRNO(CALL(p, SYS_personality, 0x5ffffffffULL), 77);
  /* prctl option is int. */
  p = "ERRNO(77) { prctl { option == 3 } } DEFAULT ALLOW"; /* PR_GET_DUMPABLE */
  EXPECT_ERRNO(CALL(p, SYS_prctl, 3), 77);
  EXPECT_ERRNO(CALL(p, SYS_prctl, 0xffffffff00000003ULL), 77);
  EXPECT_NOT_ERRNO(CALL(p, SYS_prctl, 4, 1), 77); /* PR_SET_DUMPABLE */
}
END_TEST

START_TEST(args_32bit_junk_allow) {
  /* Junk in the high word does not defeat an allow rule. */
  const char *p = "ALLOW { exit_group, write { fd == 1 } } DEFAULT ERRNO(77)";
  long real = syscall(SYS_write, 1, "", 0);
  ck_assert_int_ne(real, -1);
  EXPECT_RET(CALL(p, SYS_write, 1, ptr(""), 0), real);
  EXPECT_RET(CALL(p, SYS_write, 0xdeadbeef00000001ULL, ptr(""), 0), real);
  EXPECT_RET(CALL(p, SYS_write, 0xffffffff00000001ULL, ptr(""), 0), real);
  EXPECT_ERRNO(CALL(p, SYS_write, 2, ptr(""), 0), 77);
  EXPECT_ERRNO(CALL(p, SYS_write, 0x100000002ULL, ptr(""), 0), 77);
  /* Deny rule with an inequality: fd 999 with junk is not > 1000. */
  p = "ERRNO(77) { close { fd > 1000 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_close, 0xffffffff000003e7ULL), EBADF);
  EXPECT_ERRNO(CALL(p, SYS_close, 1001), 77);
  /* personality query with junk allowed by an allow rule. */
  long pers = syscall(SYS_personality, 0xffffffffUL);
  p = "ALLOW { exit_group, personality { personality == 0xffffffff } } "
      "DEFAULT ERRNO(77)";
  EXPECT_RET(CALL(p, SYS_personality, 0x1ffffffffULL), pers);
  EXPECT_RET(CALL(p, SYS_personality, 0xffffffffULL), pers);
  /* dfd == -100 as an allow rule with a junk high word. */
  p = "ALLOW { exit_group, openat { dfd == -100 } } DEFAULT ERRNO(77)";
  tu_outcome o = CALL(p, SYS_openat, 0x00000001ffffff9cULL, ptr("/dev/null"), O_RDONLY);
  ck_assert_msg(!o.killed_by && o.ret >= 0, "openat allow with junk: %s",
                describe(&o));
}
END_TEST

START_TEST(args_16bit_mode) {
  int pfd[2];
  ck_assert_int_eq(pipe(pfd), 0); /* fchmod on a pipe is harmless */
  const char *p = "ERRNO(77) { fchmod { mode == 0644 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0644), 77);
  /* umode_t keeps 16 bits: bits above are ignored by the kernel. */
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0x10000 | 0644), 77);
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0xffffffff00010000ULL | 0644), 77);
  EXPECT_RET(CALL(p, SYS_fchmod, pfd[0], 0600), 0);
  p = "ALLOW { exit_group, fchmod { mode == 0600 } } DEFAULT ERRNO(77)";
  EXPECT_RET(CALL(p, SYS_fchmod, pfd[0], 0xabcd0000ULL | 0600), 0);
  EXPECT_RET(CALL(p, SYS_fchmod, pfd[0], 0600), 0);
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0644), 77);
  /* Renamed arguments keep the width of their position. */
  p = "ERRNO(77) { fchmod(f, m) { m == 0644 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0x30000 | 0644), 77);
  /* A negative literal is read at 16 bits: -1 matches mode 0xffff, with
   * or without junk above bit 15 (the kernel sees 0xffff either way). */
  p = "ERRNO(77) { fchmod { mode == -1 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0xffff), 77);
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], ~0ULL), 77);
  EXPECT_ERRNO(CALL(p, SYS_fchmod, pfd[0], 0x7fff0000ffffULL), 77);
  EXPECT_RET(CALL(p, SYS_fchmod, pfd[0], 0600), 0);
  close(pfd[0]);
  close(pfd[1]);
}
END_TEST

START_TEST(args_renamed_and_custom) {
  long real = syscall(SYS_write, 1, "", 0);
  /* write(a, b, c): a is still 32 bits. */
  const char *p = "ALLOW { exit_group, write(a, b, c) { a == 1 && c == 0 } } "
                  "DEFAULT ERRNO(77)";
  EXPECT_RET(CALL(p, SYS_write, 0x700000001ULL, ptr(""), 0), real);
  /* c is size_t: 64 bits. */
  EXPECT_ERRNO(CALL(p, SYS_write, 1, ptr(""), 0x100000000ULL), 77);
  /* Custom SYSCALL[n] arguments compare all 64 bits. */
  p = "ALLOW { exit_group } ERRNO(77) { SYSCALL[39](x) { x == 5 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getpid, 5), 77);
  tu_outcome o = CALL(p, SYS_getpid, 0x100000005ULL);
  ck_assert_msg(!o.killed_by && o.ret > 0, "getpid(0x100000005): %s", describe(&o));
  p = "ERRNO(77) { SYSCALL[39](x, y) { y == 0xffffffff } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getpid, 0, 0xffffffffULL), 77);
  o = CALL(p, SYS_getpid, 0, ~0ULL);
  ck_assert_msg(!o.killed_by && o.ret > 0, "getpid(0, ~0): %s", describe(&o));
}
END_TEST

/* ---- expressions and order ------------------------------------------------ */

START_TEST(rule_order_first_match) {
  EXPECT_ERRNO(CALL("ERRNO(1) { getppid } ERRNO(2) { getppid } DEFAULT ALLOW",
                    SYS_getppid, 0),
               1);
  EXPECT_ERRNO(CALL("ERRNO(2) { getppid } ERRNO(1) { getppid } DEFAULT ALLOW",
                    SYS_getppid, 0),
               2);
  EXPECT_KILLED(CALL("KILL { getppid } ALLOW { getppid } DEFAULT ALLOW",
                     SYS_getppid, 0),
                SIGSYS);
  EXPECT_RET(CALL("ALLOW { getppid } KILL { getppid } DEFAULT KILL", SYS_getppid, 0),
             getpid());
  /* Conditional, then unconditional, then dead rule. */
  int fd = devnull();
  const char *p = "ERRNO(3) { lseek { whence == 1 } } ERRNO(4) { lseek } "
                  "ALLOW { lseek } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 1), 3);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 0), 4);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 2), 4);
  /* Overlapping conditions: the earlier rule wins where both match. */
  p = "ERRNO(10) { lseek { offset > 10 } } ERRNO(20) { lseek { offset > 5 } } "
      "DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 11, 0), 10);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 7, 0), 20);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 3, 0), 0);
  p = "ERRNO(20) { lseek { offset > 5 } } ERRNO(10) { lseek { offset > 10 } } "
      "DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 11, 0), 20);
  /* Several rules for one syscall in one block. */
  p = "ERRNO(30) { lseek { whence == 2 }, lseek { offset == 1 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 2), 30);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 1, 0), 30);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0, 0), 0);
  close(fd);
}
END_TEST

START_TEST(use_expansion_order) {
  const char *p = "POLICY a { ERRNO(5) { getppid } }\n"
                  "POLICY b { ERRNO(6) { getppid }, ERRNO(7) { getuid } }\n"
                  "USE b, USE a DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getppid, 0), 6);
  EXPECT_ERRNO(CALL(p, SYS_getuid, 0), 7);
  p = "POLICY a { ERRNO(5) { getppid } }\n"
      "POLICY b { ERRNO(6) { getppid }, ERRNO(7) { getuid } }\n"
      "USE a, USE b DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getppid, 0), 5);
  /* A rule before the USE wins over the used policy's rule; one after
   * loses. */
  p = "POLICY b { ERRNO(6) { getppid }, ERRNO(7) { getuid } }\n"
      "ERRNO(8) { getuid } USE b ERRNO(9) { getppid, getgid } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getuid, 0), 8);
  EXPECT_ERRNO(CALL(p, SYS_getppid, 0), 6);
  EXPECT_ERRNO(CALL(p, SYS_getgid, 0), 9);
  /* Nested USE. */
  p = "POLICY inner { ERRNO(11) { getgid } }\n"
      "POLICY outer { ERRNO(12) { getuid }, USE inner, ERRNO(13) { getgid } }\n"
      "USE outer DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getgid, 0), 11);
  EXPECT_ERRNO(CALL(p, SYS_getuid, 0), 12);
  /* An unused policy does nothing. */
  p = "POLICY unused { KILL { getppid } } DEFAULT ALLOW";
  EXPECT_RET(CALL(p, SYS_getppid, 0), getpid());
}
END_TEST

START_TEST(expr_var_vs_var) {
  int fd = devnull();
  /* dup2's arguments are both unsigned int. */
  const char *p = "ERRNO(77) { dup2 { oldfd == newfd } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_dup2, fd, fd), 77);
  EXPECT_ERRNO(CALL(p, SYS_dup2, fd, 0xffff000000000000ULL | (unsigned)fd), 77);
  EXPECT_RET(CALL(p, SYS_dup2, fd, 900), 900);
  p = "ERRNO(77) { dup2 { oldfd < newfd } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_dup2, fd, 901), 77);
  EXPECT_RET(CALL(p, SYS_dup2, fd, fd), fd);
  /* 64-bit variables: lseek offset vs fd (fd 32 bits, offset 64). */
  p = "ERRNO(77) { lseek { offset == fd } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, fd, 0), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0x100000000ULL | (unsigned)fd, 0), 0);
  /* Custom 64-bit names. */
  p = "ERRNO(77) { SYSCALL[39](a, b) { a > b } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getpid, 0x100000000ULL, 0xffffffffULL), 77);
  tu_outcome o = CALL(p, SYS_getpid, 0xffffffffULL, 0x100000000ULL);
  ck_assert_msg(!o.killed_by && o.ret > 0, "a < b: %s", describe(&o));
  p = "ERRNO(77) { SYSCALL[39](a, b) { (a & b) == 0 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getpid, 0xf0, 0x0f), 77);
  o = CALL(p, SYS_getpid, 0x100000000ULL, 0x100000000ULL);
  ck_assert_msg(!o.killed_by && o.ret > 0, "(a&b) high: %s", describe(&o));
  close(fd);
}
END_TEST

START_TEST(expr_masks_not_or) {
  const char *path = "/dev/null";
  /* O_CREAT is 0x40. */
  const char *p = "ALLOW { exit_group, openat { (flags & 0x40) == 0 } } "
                  "DEFAULT ERRNO(77)";
  tu_outcome o = CALL(p, SYS_openat, (uint64_t)AT_FDCWD, ptr(path), O_RDONLY);
  ck_assert_msg(!o.killed_by && o.ret >= 0, "openat O_RDONLY: %s", describe(&o));
  EXPECT_ERRNO(CALL(p, SYS_openat, (uint64_t)AT_FDCWD, ptr(path), O_RDONLY | O_CREAT,
                    0600),
               77);
  /* flags is int: a high-word 0x40 is not O_CREAT. */
  o = CALL(p, SYS_openat, (uint64_t)AT_FDCWD, ptr(path), 0x4000000000ULL);
  ck_assert_msg(!o.killed_by && o.ret >= 0, "openat hi 0x40: %s", describe(&o));
  p = "ERRNO(77) { openat { (flags & 0x41) == 0x41 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_openat, (uint64_t)AT_FDCWD, ptr(path),
                    O_WRONLY | O_CREAT, 0600),
               77);
  o = CALL(p, SYS_openat, (uint64_t)AT_FDCWD, ptr(path), O_CREAT, 0600);
  ck_assert_msg(!o.killed_by && o.ret >= 0, "openat O_CREAT only: %s", describe(&o));
  p = "ERRNO(77) { openat { (flags & 0x41) != 0 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_openat, (uint64_t)AT_FDCWD, ptr(path), O_WRONLY), 77);

  int fd = devnull();
  /* '!' */
  p = "ERRNO(77) { lseek { !(whence == 0) } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 1), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0, 0), 0);
  p = "ERRNO(77) { lseek { !whence == 0 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 2), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0, 0), 0);
  p = "ERRNO(77) { lseek { !(whence == 0 || offset == 3) } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 4, 1), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 3, 1), 0);
  /* ',' is OR; '&&' binds tighter than '||'. */
  p = "ERRNO(77) { lseek { whence == 1, whence == 2 } } DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 1), 77);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 0, 2), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 0, 0), 0);
  p = "ERRNO(77) { lseek { whence == 1 || offset == 2 && whence == 0 } } "
      "DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 9, 1), 77);
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 2, 0), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 3, 0), 0);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 2, 2), 0);
  /* bit-or in an operand. */
  p = "#define A 0x1\n#define B 0x2\nERRNO(77) { lseek { offset == A|B } } "
      "DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_lseek, fd, 3, 0), 77);
  EXPECT_RET(CALL(p, SYS_lseek, fd, 1, 0), 0);
  /* clone flags mask as in the redpwn policy. */
  p = "ERRNO(1) { SYSCALL[39](clone_flags) { (clone_flags & 0x7e020000) != 0 } } "
      "DEFAULT ALLOW";
  EXPECT_ERRNO(CALL(p, SYS_getpid, 0x10000000), EPERM);
  o = CALL(p, SYS_getpid, 0x80000000ULL);
  ck_assert_msg(!o.killed_by && o.ret > 0, "clone flags: %s", describe(&o));
  close(fd);
}
END_TEST

/* ---- names ---------------------------------------------------------------- */

START_TEST(names_kafel_aliases) {
  static struct utsname uts;
  static struct stat stbuf;
  const char *pairs[][2] = {{"newuname", "uname"}, {"newstat", "stat"}};
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      char src[128];
      snprintf(src, sizeof src, "ERRNO(77) { %s } DEFAULT ALLOW", pairs[i][j]);
      if (i == 0) {
        EXPECT_ERRNO(CALL(src, SYS_uname, ptr(&uts)), 77);
      } else {
        EXPECT_ERRNO(CALL(src, SYS_stat, ptr("/"), ptr(&stbuf)), 77);
        EXPECT_RET(CALL(src, SYS_lstat, ptr("/"), ptr(&stbuf)), 0);
      }
    }
  const char *other[][2] = {{"sendfile", "sendfile64"},
                            {"umount2", "umount"},
                            {"_sysctl", "sysctl"},
                            {"fstat", "newfstat"},
                            {"lstat", "newlstat"}};
  const long nrs[] = {SYS_sendfile, SYS_umount2, SYS__sysctl, SYS_fstat, SYS_lstat};
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 2; j++) {
      char src[128];
      snprintf(src, sizeof src, "ERRNO(77) { %s } DEFAULT ALLOW", other[i][j]);
      /* Harmless arguments: bad fds / a missing path / NULL. */
      if (nrs[i] == SYS_umount2)
        EXPECT_ERRNO(CALL(src, nrs[i], ptr("/nonexistent-sysfence"), 0), 77);
      else if (nrs[i] == SYS_sendfile)
        EXPECT_ERRNO(CALL(src, nrs[i], 999, 998, 0, 1), 77);
      else
        EXPECT_ERRNO(CALL(src, nrs[i], 999, 0), 77);
    }
}
END_TEST

/* ---- the Docker profile ----------------------------------------------------- */

static struct sock_fprog compile_docker(void) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_int_eq(sysfence_set_input_path(ctx, DOCKER_POLICY), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  int rc = sysfence_compile(ctx, &prog);
  ck_assert_msg(rc == SYSFENCE_OK, "docker-default.kafel: %s",
                sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return prog;
}

static const char *find_python3(void) {
  static char buf[4096];
  const char *fixed[] = {"/usr/bin/python3", "/usr/local/bin/python3"};
  for (size_t i = 0; i < 2; i++)
    if (access(fixed[i], X_OK) == 0) return fixed[i];
  const char *path = getenv("PATH");
  if (!path) return NULL;
  char *copy = strdup(path), *save = NULL;
  for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    snprintf(buf, sizeof buf, "%s/python3", d);
    if (access(buf, X_OK) == 0) {
      free(copy);
      return buf;
    }
  }
  free(copy);
  return NULL;
}

START_TEST(docker_unshare_eperm) {
  TU_NEED_CORPUS("docker_unshare_eperm");
  /* Control: unshare(0) succeeds without a filter. */
  pid_t pid = fork();
  if (pid == 0) _exit(syscall(SYS_unshare, 0) == 0 ? 0 : 1);
  int st;
  waitpid(pid, &st, 0);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                "unshare(0) fails even without a filter");
  struct sock_fprog prog = compile_docker();
  EXPECT_ERRNO(CALLP(&prog, SYS_unshare, 0), EPERM);
  /* Allowed calls still work; personality as in the corpus notes. */
  EXPECT_RET(CALLP(&prog, SYS_getppid, 0), getpid());
  long pers = syscall(SYS_personality, 0xffffffffUL);
  EXPECT_RET(CALLP(&prog, SYS_personality, 0xffffffffULL), pers);
  EXPECT_ERRNO(CALLP(&prog, SYS_personality, 4), EPERM);
  /* The profile declares personality(personality): the argument keeps its
   * 32-bit width (unsigned int), so ~0 is the same query as 0xffffffff for
   * the kernel and is allowed too (Kafel and libseccomp compare 64 bits
   * and return EPERM here). */
  EXPECT_RET(CALLP(&prog, SYS_personality, ~0ULL), pers);
  EXPECT_ERRNO(CALLP(&prog, SYS_personality, 0x100000004ULL), EPERM);
  EXPECT_RET(CALLP(&prog, SYS_personality, 0x100000000ULL | 0x20008), pers);
  /* clone3 gets ENOSYS, x32 numbers the bad-arch action. */
  EXPECT_ERRNO(CALLP(&prog, SYS_clone3, 0, 0), ENOSYS);
  EXPECT_KILLED(CALLP(&prog, (long)(X32_BIT | SYS_getpid), 0), SIGSYS);
  free(prog.filter);
}
END_TEST

START_TEST(docker_python3) {
  TU_NEED_CORPUS("docker_python3");
  const char *py = find_python3();
  if (!py) {
    tu_skip("docker_python3", "python3 not found (install the python3 package)");
    return;
  }
  struct sock_fprog prog = compile_docker();
  int out[2];
  ck_assert_int_eq(pipe(out), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    if (install(&prog) != 0) _exit(102);
    char *argv[] = {(char *)py, "-c", "print(1)", NULL};
    execv(py, argv);
    _exit(127);
  }
  close(out[1]);
  char buf[256];
  size_t n = 0;
  ssize_t got;
  while (n < sizeof buf - 1 && (got = read(out[0], buf + n, sizeof buf - 1 - n)) > 0)
    n += (size_t)got;
  buf[n] = '\0';
  close(out[0]);
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                "%s under docker-default: status 0x%x (signal %d)", py, st,
                WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  ck_assert_str_eq(buf, "1\n");
  free(prog.filter);
}
END_TEST

/* A few corpus policies doing what they say. */
static struct sock_fprog compile_corpus(const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/corpus/kafel/%s", SHARED_DIR, rel);
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  ck_assert_msg(sysfence_compile(ctx, &prog) == SYSFENCE_OK, "%s: %s", rel,
                sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return prog;
}

START_TEST(corpus_policies_enforced) {
  TU_NEED_CORPUS("corpus_policies_enforced");
  struct sock_fprog p = compile_corpus("nsjail/bash-with-fake-geteuid.policy");
  EXPECT_ERRNO(CALLP(&p, SYS_geteuid, 0), 1337);
  EXPECT_ERRNO(CALLP(&p, SYS_ptrace, ~0ULL, 0, 0, 0), EPERM);
  EXPECT_ERRNO(CALLP(&p, SYS_sched_setaffinity, 0, 0, 0), EPERM);
  EXPECT_KILLED(CALLP(&p, SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, 0, 0),
                SIGSYS);
  EXPECT_RET(CALLP(&p, SYS_getuid, 0), getuid());
  free(p.filter);

  p = compile_corpus("other/redpwn-jail-run.sh-errno.policy");
  /* Without the filter these fail with ENOENT / EFAULT. */
  EXPECT_ERRNO(CALLP(&p, SYS_umount2, ptr("/nonexistent-sysfence"), 0), EPERM);
  EXPECT_ERRNO(CALLP(&p, SYS_pivot_root, 0, 0), EPERM);
  EXPECT_ERRNO(CALLP(&p, SYS_mount, 0, 0, 0, 0, 0), EPERM);
  EXPECT_RET(CALLP(&p, SYS_getppid, 0), getpid());
  free(p.filter);
  /* Control for the ENOENT above. */
  EXPECT_ERRNO(CALL("DEFAULT ALLOW", SYS_umount2, ptr("/nonexistent-sysfence"), 0),
               ENOENT);

  p = compile_corpus("nsjail/static-busybox-with-execveat.policy");
  EXPECT_RET(CALLP(&p, SYS_ptrace, ~0ULL, 0, 0, 0), 0); /* ERRNO(0) */
  free(p.filter);

  p = compile_corpus("nsjail/unotify-generated.policy");
  EXPECT_RET(CALLP(&p, SYS_getppid, 0), getpid());
  free(p.filter);
}
END_TEST

/* --------------------------------------------------------------------------- */

static Suite *kernel_suite(void) {
  Suite *s = suite_create("kernel");
  TCase *tc = tcase_create("actions");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, action_allow);
  tcase_add_test(tc, action_errno);
  tcase_add_test(tc, action_kill_thread);
  tcase_add_test(tc, action_kill_process);
  tcase_add_test(tc, action_trap);
  tcase_add_test(tc, action_log);
  tcase_add_test(tc, action_trace_no_tracer);
  tcase_add_test(tc, action_user_notif_no_listener);
  tcase_add_test(tc, action_user_notif_listener);
  tcase_add_test(tc, default_variants);
  suite_add_tcase(s, tc);

  tc = tcase_create("abi");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, x32_numbers_bad_arch);
  tcase_add_test(tc, nr_minus_one);
  tcase_add_test(tc, foreign_arch_i386);
  suite_add_tcase(s, tc);

  tc = tcase_create("args");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, args_64bit_lseek);
  tcase_add_test(tc, args_64bit_mmap);
  tcase_add_test(tc, args_32bit_junk_deny);
  tcase_add_test(tc, args_32bit_junk_allow);
  tcase_add_test(tc, args_16bit_mode);
  tcase_add_test(tc, args_renamed_and_custom);
  suite_add_tcase(s, tc);

  tc = tcase_create("semantics");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, rule_order_first_match);
  tcase_add_test(tc, use_expansion_order);
  tcase_add_test(tc, expr_var_vs_var);
  tcase_add_test(tc, expr_masks_not_or);
  tcase_add_test(tc, names_kafel_aliases);
  suite_add_tcase(s, tc);

  tc = tcase_create("docker");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, docker_unshare_eperm);
  tcase_add_test(tc, docker_python3);
  tcase_add_test(tc, corpus_policies_enforced);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  /* (no CONFIG_SECCOMP_FILTER, or a sandbox forbids it) */
  if (!tu_seccomp_available())
    tu_skip_program_no_seccomp("the kernel end-to-end tests did not run");
  /* The children die by SIGSYS on purpose: no core files. */
  struct rlimit nocore = {0, 0};
  setrlimit(RLIMIT_CORE, &nocore);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return tu_run_suite(kernel_suite());
}

#else /* not x86_64 */

int main(void) {
  tu_skip_program("these tests need an x86_64 host (raw syscall numbers, x32, "
                  "int $0x80)");
}

#endif
