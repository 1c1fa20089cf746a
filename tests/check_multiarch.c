/* check_multiarch.c - filters for several architectures at once
 * (--arch x86_64,i386,x32) on the real x86_64 kernel: real static i386
 * programs (built here with gcc -m32 -static) run under the filter, int $0x80
 * from 64-bit code, x32 calls when the kernel has the x32 ABI, and the
 * simulator against the reference evaluator for x32 either way.
 *
 * Needs an x86_64 host with seccomp; the i386 programs need gcc-multilib
 * (a loud SKIP without it) and a kernel with ia32 emulation. */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#if defined(__x86_64__)

#define X32_BIT 0x40000000u
/* Junk for the upper halves of 64-bit registers: an i386 call only has the
 * low 32 bits of each. */
#define HI_JUNK 0x5a5a123400000000ull

/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl in the kernel) */
enum {
  I386_KILL = 37, I386_DUP = 41, I386_GETPPID = 64, I386_GETPID = 20,
  I386_CHMOD = 15, I386_SOCKETCALL = 102, I386_SOCKET = 359
};

/* ---- the i386 programs, built once by main() ------------------------------ */

/* probe32 ARG...: each ARG is "NR[,A0[,A1...]]"; make that raw i386 call
 * and print "RET ERRNO" on a line of its own, flushed before the next call
 * (a call that kills leaves the lines of the calls before it). */
static const char probe32_src[] =
    "#include <errno.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <unistd.h>\n"
    "int main(int argc, char **argv) {\n"
    "  for (int i = 1; i < argc; i++) {\n"
    "    long a[6] = {0};\n"
    "    char *p = argv[i];\n"
    "    long nr = strtol(p, &p, 0);\n"
    "    for (int n = 0; *p == ',' && n < 6; n++) a[n] = (long)strtoul(p + 1, &p, 0);\n"
    "    errno = 0;\n"
    "    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);\n"
    "    printf(\"%ld %d\\n\", r, r == -1 ? errno : 0);\n"
    "    fflush(stdout);\n"
    "  }\n"
    "  return 0;\n"
    "}\n";

/* socket32: the ways an i386 program creates a socket, each printed as
 * "NAME RET ERRNO".  Raw numbers: socket 359, socketpair 360, socketcall
 * 102 with SYS_SOCKET 1 (syscall_32.tbl, include/uapi/linux/net.h). */
static const char socket32_src[] =
    "#include <errno.h>\n"
    "#include <stdio.h>\n"
    "#include <sys/socket.h>\n"
    "#include <unistd.h>\n"
    "static void show(const char *what, long r) {\n"
    "  printf(\"%s %ld %d\\n\", what, r, r < 0 ? errno : 0);\n"
    "  fflush(stdout);\n"
    "}\n"
    "int main(void) {\n"
    "  int sv[2];\n"
    "  unsigned long a[3] = {AF_INET, SOCK_STREAM, 0};\n"
    "  errno = 0; show(\"socket_inet\", syscall(359, AF_INET, SOCK_STREAM, 0));\n"
    "  errno = 0; show(\"socket_unix\", syscall(359, AF_UNIX, SOCK_STREAM, 0));\n"
    "  errno = 0; show(\"socketpair_inet\", syscall(360, AF_INET, SOCK_STREAM, 0, sv));\n"
    "  errno = 0; show(\"socketpair_unix\", syscall(360, AF_UNIX, SOCK_STREAM, 0, sv));\n"
    "  errno = 0; show(\"socketcall_inet\", syscall(102, 1, a));\n"
    "  errno = 0; show(\"libc_socket_inet\", socket(AF_INET, SOCK_STREAM, 0));\n"
    "  return 0;\n"
    "}\n";

/* Set once by main() before the tests fork; NULL with a reason in
 * build_failure when the i386 programs could not be built or run. */
static char *probe32, *socket32;
static char build_failure[512];

static char *build_i386(const char *dir, const char *name, const char *src) {
  char file[64];
  snprintf(file, sizeof file, "%s.c", name);
  char *c = tu_write(dir, file, src);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *exe = malloc(n);
  snprintf(exe, n, "%s/%s", dir, name);
  tu_result r = tu_sh("gcc -m32 -static -O1 -o '%s' '%s' 2>&1", exe, c);
  free(c);
  if (!r.exited || r.status != 0) {
    snprintf(build_failure, sizeof build_failure,
             "gcc -m32 -static cannot build an i386 program (install "
             "gcc-multilib): %.300s", r.out);
    free(exe);
    exe = NULL;
  }
  tu_result_free(&r);
  return exe;
}

/* In a test that needs the i386 programs: skip loudly without them. */
#define NEED_I386(test)                                                        \
  do {                                                                         \
    if (!probe32 || !socket32) {                                               \
      tu_skip((test), "%s", build_failure);                                    \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* ---- compiling ------------------------------------------------------------ */

static struct sock_fprog compile_ctx(sysfence_ctx *ctx, const char *arches,
                                     const char *what) {
  char why[256] = "";
  ck_assert_msg(sysfence_set_arches(ctx, arches, why, sizeof why) == SYSFENCE_OK,
                "--arch %s: %s", arches, why);
  struct sock_fprog prog = {0};
  int rc = sysfence_compile(ctx, &prog);
  ck_assert_msg(rc == SYSFENCE_OK, "%s failed to compile for %s (rc %d):\n%s",
                what, arches, rc, sysfence_diag_text(ctx));
  ck_assert_msg(sysfence_validate(&prog, why, sizeof why) == 0,
                "invalid program: %s", why);
  sysfence_free(ctx);
  return prog;
}

static struct sock_fprog compile_for(const char *src, const char *arches) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  sysfence_set_input_string(ctx, "multiarch.policy", src);
  return compile_ctx(ctx, arches, src);
}

static struct sock_fprog compile_file_for(const char *path, const char *arches) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
  return compile_ctx(ctx, arches, path);
}

/* ---- running under a filter ------------------------------------------------ */

static int install(const struct sock_fprog *prog) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}

/* Run the i386 program PATH with ARGS (NULL-ended) under PROG in a forked
 * child (stdin /dev/null, stdout captured); exit status 126 means the filter
 * could not be installed, 127 that execve failed. */
static tu_result run_under(const struct sock_fprog *prog, const char *path,
                           const char *const *args) {
  char *argv[16];
  size_t n = 0;
  argv[n++] = (char *)path;
  while (args && args[n - 1] && n < 15) argv[n] = (char *)args[n - 1], n++;
  argv[n] = NULL;
  int out[2];
  ck_assert_int_eq(pipe(out), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out[1], 1);
    close(out[0]);
    if (install(prog) != 0) _exit(126);
    execv(path, argv);
    _exit(127);
  }
  close(out[1]);
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  ssize_t got;
  while ((got = read(out[0], buf + len, cap - len - 1)) > 0)
    if ((len += (size_t)got) + 1 == cap) buf = realloc(buf, cap *= 2);
  buf[len] = '\0';
  close(out[0]);
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  tu_result r = {WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
                 buf, strdup("")};
  ck_assert_msg(!(r.exited && (r.status == 126 || r.status == 127)),
                "%s: %s", path, r.status == 126 ? "the filter was refused"
                                                : "execve failed");
  return r;
}

/* The Ith output line ("RET ERRNO") of probe32; 0 if there is none. */
static int probe_line(const tu_result *r, int i, long *ret, int *err) {
  const char *p = r->out;
  for (int k = 0; k < i && p; k++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  return p && sscanf(p, "%ld %d", ret, err) == 2;
}

/* The line "NAME RET ERRNO" of socket32. */
static int named_line(const tu_result *r, const char *name, long *ret, int *err) {
  size_t len = strlen(name);
  for (const char *p = r->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, name, len) == 0 && p[len] == ' ' &&
        sscanf(p + len, "%ld %d", ret, err) == 2)
      return 1;
  return 0;
}

/* probe32's call I: errno E (E 0: the call ran and did not fail). */
static void expect_probe(const tu_result *r, int i, int e, const char *what) {
  long ret = 0;
  int err = 0;
  ck_assert_msg(probe_line(r, i, &ret, &err),
                "%s: the i386 program printed no line %d (exit %s %d); output:\n%s",
                what, i, r->exited ? "status" : "signal", r->status, r->out);
  if (e)
    ck_assert_msg(ret == -1 && err == e, "%s: expected errno %d, got ret %ld errno %d",
                  what, e, ret, err);
  else
    ck_assert_msg(ret >= 0, "%s: expected the call to run, got ret %ld errno %d",
                  what, ret, err);
}

static void expect_killed(const tu_result *r, int lines, const char *what) {
  long ret;
  int err;
  ck_assert_msg(!r->exited && r->status == SIGSYS && probe_line(r, lines - 1, &ret, &err) &&
                    !probe_line(r, lines, &ret, &err),
                "%s: expected death by SIGSYS after %d lines, got %s %d; output:\n%s",
                what, lines, r->exited ? "exit status" : "signal", r->status, r->out);
}

/* A 64-bit call under PROG: errno E (0: it ran), or killed (E < 0). */
static void expect_64(const struct sock_fprog *prog, long nr, uint64_t a0,
                      uint64_t a1, int e, const char *what) {
  const uint64_t args[6] = {a0, a1, 0, 0, 0, 0};
  tu_outcome o = tu_syscall_under(prog, nr, args);
  ck_assert_msg(o.killed_by != -1, "%s: the filter was refused", what);
  if (e < 0)
    ck_assert_msg(o.killed_by == SIGSYS, "%s: expected death by SIGSYS, got "
                  "killed %d ret %ld errno %d", what, o.killed_by, o.ret, o.err);
  else if (e > 0)
    ck_assert_msg(!o.killed_by && o.ret == -1 && o.err == e,
                  "%s: expected errno %d, got killed %d ret %ld errno %d", what, e,
                  o.killed_by, o.ret, o.err);
  else
    ck_assert_msg(!o.killed_by && o.ret >= 0, "%s: expected the call to run, got "
                  "killed %d ret %ld errno %d", what, o.killed_by, o.ret, o.err);
}

/* ---- 1. real i386 programs ------------------------------------------------- */

/* i386 getppid is 64, and 64 is semget on x86_64: each side must be decided
 * by its own table.  Errno values no call here returns by itself. */
static const char deny_policy[] =
    "ERRNO(71) { getppid }\n"
    "ERRNO(72) { dup { fildes == 5 } }\n"
    "ERRNO(73) { semget }\n"
    "KILL_PROCESS { kill }\n"
    "DEFAULT ALLOW\n";

START_TEST(i386_program_deny_list) {
  NEED_I386("i386_program_deny_list");
  struct sock_fprog prog = compile_for(deny_policy, "x86_64,i386");
  const char *calls[] = {"20", "64", "41,5", "41,0", "37,0,0", NULL};
  tu_result r = run_under(&prog, probe32, calls);
  expect_probe(&r, 0, 0, "i386 getpid (allowed)");
  expect_probe(&r, 1, 71, "i386 getppid (nr 64)");
  expect_probe(&r, 2, 72, "i386 dup(5)");
  expect_probe(&r, 3, 0, "i386 dup(0)");
  expect_killed(&r, 4, "i386 kill");
  tu_result_free(&r);
  /* The same policy on the 64-bit side. */
  expect_64(&prog, SYS_getpid, 0, 0, 0, "x86_64 getpid");
  expect_64(&prog, SYS_getppid, 0, 0, 71, "x86_64 getppid");
  expect_64(&prog, SYS_dup, 5, 0, 72, "x86_64 dup(5)");
  expect_64(&prog, SYS_dup, 0, 0, 0, "x86_64 dup(0)");
  expect_64(&prog, 64 /* semget */, 0, 0, 73, "x86_64 nr 64 (semget)");
  expect_64(&prog, SYS_kill, 0, 0, -1, "x86_64 kill");
  free(prog.filter);
}
END_TEST

/* An allow-list: what a static i386 (and the x86_64 test child) needs to
 * start, print and exit, as strace shows for Debian 12's glibc; a name that
 * one of the two tables lacks (ugetrlimit, newfstatat) is only a note. */
static const char allow_policy[] =
    "ALLOW {\n"
    "  execve, brk, set_thread_area, set_tid_address, set_robust_list, rseq,\n"
    "  ugetrlimit, prlimit64, readlink, getrandom, mprotect, statx, fstat64,\n"
    "  fstat, newfstatat, write, exit_group, exit, getpid,\n"
    "  dup { fildes == 0 }\n"
    "}\n"
    "ERRNO(74) { getppid }\n"
    "DEFAULT KILL_PROCESS\n";

START_TEST(i386_program_allow_list) {
  NEED_I386("i386_program_allow_list");
  struct sock_fprog prog = compile_for(allow_policy, "x86_64,i386");
  const char *calls[] = {"20", "64", "41,0", "41,1", NULL};
  tu_result r = run_under(&prog, probe32, calls);
  expect_probe(&r, 0, 0, "i386 getpid (listed)");
  expect_probe(&r, 1, 74, "i386 getppid");
  expect_probe(&r, 2, 0, "i386 dup(0) (listed with its argument)");
  expect_killed(&r, 3, "i386 dup(1) (not listed)");
  tu_result_free(&r);
  expect_64(&prog, SYS_getpid, 0, 0, 0, "x86_64 getpid");
  expect_64(&prog, SYS_getppid, 0, 0, 74, "x86_64 getppid");
  expect_64(&prog, SYS_dup, 0, 0, 0, "x86_64 dup(0)");
  expect_64(&prog, SYS_dup, 1, 0, -1, "x86_64 dup(1)");
  free(prog.filter);
}
END_TEST

/* A filter for x86_64 alone gives every i386 call the bad-arch action: the
 * i386 program dies at its first call (what the tests above would see if
 * the i386 section were missing). */
START_TEST(i386_program_native_only_filter) {
  NEED_I386("i386_program_native_only_filter");
  struct sock_fprog prog = compile_for(deny_policy, "x86_64");
  const char *calls[] = {"20", NULL};
  tu_result r = run_under(&prog, probe32, calls);
  ck_assert_msg(!r.exited && r.status == SIGSYS && r.out[0] == '\0',
                "i386 program under an x86_64-only filter: expected death by "
                "SIGSYS before any output, got %s %d; output:\n%s",
                r.exited ? "exit status" : "signal", r.status, r.out);
  tu_result_free(&r);
  free(prog.filter);
}
END_TEST

/* ---- 4. the shipped deny-list policies/no-network.policy ------------------ */

static void expect_named(const tu_result *r, const char *name, int e) {
  long ret = 0;
  int err = 0;
  ck_assert_msg(named_line(r, name, &ret, &err),
                "socket32 printed no %s line (exit %s %d); output:\n%s", name,
                r->exited ? "status" : "signal", r->status, r->out);
  if (e)
    ck_assert_msg(ret == -1 && err == e, "i386 %s: expected errno %d, got ret %ld "
                  "errno %d", name, e, ret, err);
  else
    ck_assert_msg(ret >= 0, "i386 %s: expected the call to run, got ret %ld errno %d",
                  name, ret, err);
}

START_TEST(i386_no_network_policy) {
  NEED_I386("i386_no_network_policy");
  struct sock_fprog prog =
      compile_file_for(SRCDIR "/policies/no-network.policy", "x86_64,i386");
  tu_result r = run_under(&prog, socket32, NULL);
  ck_assert_msg(r.exited && r.status == 0, "socket32 under no-network: %s %d; "
                "output:\n%s", r.exited ? "exit status" : "signal", r.status, r.out);
  expect_named(&r, "socket_inet", EACCES);
  expect_named(&r, "socket_unix", 0);
  expect_named(&r, "socketpair_inet", EACCES);
  expect_named(&r, "socketpair_unix", 0);
  /* socketcall(SYS_SOCKET, args), which glibc's i386 socket() uses: its
   * arguments are in memory, so it gets the most restrictive outcome of
   * socket's rules (src/sema/derive.c) and cannot open a network socket. */
  expect_named(&r, "socketcall_inet", EACCES);
  expect_named(&r, "libc_socket_inet", EACCES);
  tu_result_free(&r);
  expect_64(&prog, SYS_socket, AF_INET, SOCK_STREAM, EACCES, "x86_64 socket(AF_INET)");
  expect_64(&prog, SYS_socket, AF_UNIX, SOCK_STREAM, 0, "x86_64 socket(AF_UNIX)");
  free(prog.filter);
}
END_TEST

/* ---- 2. int $0x80 from 64-bit code ---------------------------------------- */

typedef struct int80_result {
  int installed, reported;
  long ret;
} int80_result;

/* An i386 call made with int $0x80 from 64-bit code (tu_int80_under) under
 * PROG; *killed_by is the signal that ended the child before it reported,
 * 0 if none; ret is the kernel's return value (-errno on failure). */
static int80_result int80_under(const struct sock_fprog *prog, long nr,
                                const uint64_t a[5], int *killed_by) {
  tu_outcome o = tu_int80_under(prog, nr, a);
  ck_assert_msg(o.killed_by != -1, "the filter was refused");
  *killed_by = o.killed_by;
  return (int80_result){1, o.reported, o.ret};
}

/* int $0x80 under PROG returns RET (killed_by 0). */
static void expect_int80(const struct sock_fprog *prog, long nr, const uint64_t a[5],
                         long ret, const char *what) {
  int killed;
  int80_result r = int80_under(prog, nr, a, &killed);
  ck_assert_msg(!killed && r.reported && r.ret == ret,
                "%s: expected int $0x80 to return %ld, got %s %ld", what, ret,
                killed ? "death by signal" : "ret", killed ? (long)killed : r.ret);
}

static int ia32_available(void) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  int killed;
  const uint64_t none[5] = {0};
  int80_result r = int80_under(&prog, I386_GETPID, none, &killed);
  return !killed && r.reported && r.ret > 0;
}

#define NEED_IA32(test)                                                        \
  do {                                                                         \
    if (!ia32_available()) {                                                   \
      tu_skip((test), "int $0x80 (ia32 emulation) is not available on this "   \
                      "kernel");                                               \
      return;                                                                  \
    }                                                                          \
  } while (0)

START_TEST(int80_decided_by_i386_rules) {
  NEED_IA32("int80_decided_by_i386_rules");
  /* nr 20 is getpid on i386 and writev on x86_64. */
  struct sock_fprog prog = compile_for("ERRNO(71) { getpid }\n"
                                       "ERRNO(72) { writev }\n"
                                       "DEFAULT ALLOW\n", "x86_64,i386");
  const uint64_t none[5] = {0};
  expect_int80(&prog, 20, none, -71, "int $0x80 nr 20 (i386 getpid)");
  expect_int80(&prog, I386_GETPPID, none, getpid(), "int $0x80 nr 64 (i386 getppid)");
  expect_64(&prog, SYS_writev, 1, 0, 72, "x86_64 nr 20 (writev)");
  expect_64(&prog, SYS_getpid, 0, 0, 71, "x86_64 getpid (nr 39)");
  expect_64(&prog, SYS_getppid, 0, 0, 0, "x86_64 getppid");
  free(prog.filter);
}
END_TEST

/* 6 instructions to pick the i386 getpid, 3 per argument, the last RET */
#define HIGH_PROBE_LEN (6 + 3 * 5 + 1)

/* A filter that shows what the kernel puts in the upper halves of
 * seccomp_data.args for an i386 getpid: ERRNO(100 + i) for the first
 * argument i whose high word is not zero, ERRNO(99) if all are. */
static struct sock_fprog high_word_probe(struct sock_filter f[HIGH_PROBE_LEN]) {
  size_t n = 0;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, nr));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, I386_GETPID, 1, 0);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  for (uint32_t i = 0; i < 5; i++) {
    /* little endian: the high word is the second one */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, args[i]) + 4);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (100 + i));
  }
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 99);
  return (struct sock_fprog){(unsigned short)n, f};
}

/* What the kernel does: arch/x86/include/asm/syscall.h syscall_get_arguments
 * copies regs->bx, cx, dx, si, di, bp whole for a TS_COMPAT task, and the
 * int $0x80 entry from 64-bit code saves the full 64-bit registers; the
 * i386 syscall itself uses only their low 32 bits.  So a filter sees the
 * junk, and the i386 section must compare low words only. */
START_TEST(int80_high_words_seen_by_seccomp) {
  NEED_IA32("int80_high_words_seen_by_seccomp");
  struct sock_filter f[HIGH_PROBE_LEN];
  struct sock_fprog probe = high_word_probe(f);
  int passed = 0;
  for (int i = 0; i < 5; i++) {
    uint64_t a[5] = {1, 2, 3, 4, 5};
    a[i] |= HI_JUNK;
    int killed;
    int80_result r = int80_under(&probe, I386_GETPID, a, &killed);
    ck_assert_msg(!killed && r.reported && (r.ret == -(100 + i) || r.ret == -99),
                  "high-word probe, argument %d: got %s %ld", i,
                  killed ? "signal" : "ret", killed ? (long)killed : r.ret);
    passed += r.ret == -(100 + i);
  }
  ck_assert_msg(passed == 0 || passed == 5,
                "the kernel passes the high word of only %d of 5 arguments", passed);
  if (passed == 0)
    tu_not_applicable("int80_high_words_seen_by_seccomp",
                      "this kernel zero-extends int $0x80 arguments for seccomp");
  else
    fprintf(stderr, "check_multiarch: int $0x80 from 64-bit code: the kernel "
            "passes the registers' high words to seccomp_data.args\n");
}
END_TEST

START_TEST(int80_arg_rules_compare_low_words) {
  NEED_IA32("int80_arg_rules_compare_low_words");
  struct sock_fprog deny = compile_for("ERRNO(72) { dup { fildes == 5 } }\n"
                                       "ERRNO(73) { chmod { mode == 0777 } }\n"
                                       "DEFAULT ALLOW\n", "x86_64,i386");
  /* Had the high words counted, the kernel would have run dup(5) (EBADF)
   * and chmod(NULL, 0777) (EFAULT): the deny rules bypassed. */
  expect_int80(&deny, I386_DUP, (const uint64_t[5]){HI_JUNK | 5}, -72,
               "int $0x80 dup(junk:5)");
  /* mode is 16 bits (umode_t): junk above bit 15 too */
  expect_int80(&deny, I386_CHMOD, (const uint64_t[5]){0, HI_JUNK | 0xabcd0000u | 0777},
               -73, "int $0x80 chmod(NULL, junk:0777)");
  expect_int80(&deny, I386_CHMOD, (const uint64_t[5]){0, HI_JUNK | 0776}, -EFAULT,
               "int $0x80 chmod(NULL, junk:0776)");
  expect_64(&deny, SYS_dup, HI_JUNK | 5, 0, 72, "x86_64 dup(junk:5)");
  free(deny.filter);
  /* The allow direction: the call the kernel makes, dup(0), is allowed. */
  struct sock_fprog allow = compile_for("ALLOW { dup { fildes == 0 } }\n"
                                        "ERRNO(75) { dup }\n"
                                        "DEFAULT ALLOW\n", "x86_64,i386");
  int killed;
  int80_result r = int80_under(&allow, I386_DUP, (const uint64_t[5]){HI_JUNK}, &killed);
  ck_assert_msg(!killed && r.reported && r.ret >= 0,
                "int $0x80 dup(junk:0) under ALLOW { dup { fildes == 0 } }: "
                "expected a new fd, got %s %ld", killed ? "signal" : "ret",
                killed ? (long)killed : r.ret);
  expect_int80(&allow, I386_DUP, (const uint64_t[5]){HI_JUNK | 1}, -75,
               "int $0x80 dup(junk:1)");
  free(allow.filter);
}
END_TEST

/* ---- 3. x32 ---------------------------------------------------------------- */

/* x32's numbers differ from x86_64's by the X32 bit, and some calls have
 * x32 numbers of their own (writev is 0x40000000 + 516). */
static const char x32_policy[] =
    "ERRNO(71) { getppid }\n"
    "ERRNO(72) { dup { fildes == 5 } }\n"
    "ERRNO(73) { writev }\n"
    "DEFAULT ALLOW\n";

/* Does the kernel run x32 calls?  ENOSYS: it was built without the x32 ABI
 * or booted without syscall.x32=y. */
static int x32_available(void) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  const uint64_t none[6] = {0};
  tu_outcome o = tu_syscall_under(&prog, (long)(X32_BIT | SYS_getpid), none);
  return !o.killed_by && o.ret > 0;
}

START_TEST(x32_on_the_kernel) {
  if (!x32_available()) {
    tu_not_applicable("x32_on_the_kernel", "the kernel does not run x32 calls "
                      "(ENOSYS: CONFIG_X86_X32_ABI off, or syscall.x32=y not "
                      "given); here x32 calls are checked in the simulator and "
                      "the filter's decisions for x32 numbers in this kernel "
                      "(x32_windows_in_the_kernel), and x32 calls on a real "
                      "kernel by 'make check-kernels' (Debian's amd64 kernel "
                      "booted with syscall.x32=y under qemu)");
    return;
  }
  const char *lists[] = {"x86_64,x32", "x86_64,i386,x32"};
  for (size_t i = 0; i < 2; i++) {
    struct sock_fprog prog = compile_for(x32_policy, lists[i]);
    expect_64(&prog, (long)(X32_BIT | SYS_getppid), 0, 0, 71, "x32 getppid");
    expect_64(&prog, (long)(X32_BIT | SYS_dup), 5, 0, 72, "x32 dup(5)");
    expect_64(&prog, (long)(X32_BIT | SYS_dup), 0, 0, 0, "x32 dup(0)");
    expect_64(&prog, (long)(X32_BIT | SYS_getpid), 0, 0, 0, "x32 getpid");
    expect_64(&prog, SYS_getppid, 0, 0, 71, "x86_64 getppid");
    free(prog.filter);
  }
  /* Without x32 among the targets its numbers get the bad-arch action. */
  struct sock_fprog prog = compile_for(x32_policy, "x86_64,i386");
  expect_64(&prog, (long)(X32_BIT | SYS_getpid), 0, 0, -1, "x32 getpid, no x32 target");
  free(prog.filter);
}
END_TEST

/* ---- the simulator against the reference evaluator ------------------------ */

typedef struct target_sets {
  sysfence_ctx *ctx[3];
  const sf_ruleset *rs[3]; /* each target resolved on its own */
  size_t n;
} target_sets;

static target_sets resolve_each(const char *src, const char *list) {
  target_sets t = {{0}, {0}, 0};
  char names[64];
  snprintf(names, sizeof names, "%s", list);
  for (char *save = NULL, *name = strtok_r(names, ",", &save); name && t.n < 3;
       name = strtok_r(NULL, ",", &save)) {
    sysfence_ctx *ctx = sysfence_new();
    ck_assert_ptr_nonnull(ctx);
    sysfence_set_input_string(ctx, "multiarch.policy", src);
    ck_assert_int_eq(sysfence_set_arch(ctx, name), SYSFENCE_OK);
    const ast_file *file;
    t.rs[t.n] = sf_front_end_tree(ctx, &file);
    ck_assert_msg(t.rs[t.n] != NULL, "%s: %s", name, sysfence_diag_text(ctx));
    t.ctx[t.n++] = ctx;
  }
  return t;
}

static void free_sets(target_sets *t) {
  for (size_t i = 0; i < t->n; i++) sysfence_free(t->ctx[i]);
}

/* What the combined filter must do: the rule set of the target whose
 * AUDIT_ARCH and number range the call has; else the bad-arch action. */
static uint32_t decide_multi(const target_sets *t, const sf_query *q) {
  for (size_t i = 0; i < t->n; i++)
    if (q->arch == t->rs[i]->arch->audit_arch &&
        !sf_arch_nr_is_foreign(t->rs[i]->arch, q->nr))
      return sf_ruleset_decide(t->rs[i], q, NULL);
  return t->rs[0]->bad_arch_action;
}

static uint32_t sim(const struct sock_fprog *prog, uint32_t arch, uint32_t nr,
                    const uint64_t args[6]) {
  sf_seccomp_data d = {nr, arch, 0, {0}};
  memcpy(d.args, args, sizeof d.args);
  return sf_bpf_run(prog->filter, prog->len, sf_arch_by_name("x86_64"), &d, NULL);
}

/* Every number from each target's lowest syscall to 40 above its highest
 * (holes included), and some numbers no table has, with arguments around
 * the policy's constants, junk high words included. */
static void sweep(const struct sock_fprog *prog, const target_sets *t,
                  const char *list) {
  static const uint64_t variants[][6] = {
      {0}, {5}, {HI_JUNK | 5}, {HI_JUNK}, {1, 5}, {0xffffffffu, HI_JUNK | 5}};
  static const uint32_t extra_nrs[] = {0x3fffffff, X32_BIT - 1, X32_BIT,
                                       X32_BIT + 1000, 0xfffffffe, 0xffffffff};
  size_t checked = 0;
  for (size_t i = 0; i < t->n; i++) {
    const sf_arch *a = t->rs[i]->arch;
    uint32_t first = a->by_nr[0]->nr, span = a->by_nr[a->n_syscalls - 1]->nr - first + 41;
    size_t n_nrs = span + sizeof extra_nrs / sizeof extra_nrs[0];
    for (size_t k = 0; k < n_nrs; k++) {
      uint32_t nr = k < span ? first + (uint32_t)k : extra_nrs[k - span];
      for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        sf_query q = {nr, a->audit_arch, {0}};
        memcpy(q.args, variants[v], sizeof q.args);
        uint32_t want = decide_multi(t, &q), got = sim(prog, q.arch, nr, q.args);
        ck_assert_msg(got == want, "--arch %s: %s nr 0x%x args[0] 0x%llx: the "
                      "filter gives 0x%x, the rule sets 0x%x", list, a->name, nr,
                      (unsigned long long)q.args[0], got, want);
        checked++;
      }
    }
  }
  ck_assert_uint_gt(checked, 1000);
}

START_TEST(x32_simulator_matches_oracle) {
  const char *lists[] = {"x86_64,x32", "x86_64,i386,x32", "x86_64,i386"};
  const uint64_t a5[6] = {5}, a0[6] = {0}, j5[6] = {HI_JUNK | 5};
  for (size_t i = 0; i < 3; i++) {
    struct sock_fprog prog = compile_for(x32_policy, lists[i]);
    target_sets t = resolve_each(x32_policy, lists[i]);
    sweep(&prog, &t, lists[i]);
    /* Spelled out, so that a mistake the rule sets share cannot hide. */
    const uint32_t x86 = AUDIT_ARCH_X86_64, x32 = i < 2;
    uint32_t expect_x32 = SECCOMP_RET_KILL_PROCESS;
    ck_assert_uint_eq(sim(&prog, x86, X32_BIT | SYS_getppid, a0),
                      x32 ? SECCOMP_RET_ERRNO | 71 : expect_x32);
    ck_assert_uint_eq(sim(&prog, x86, X32_BIT | SYS_dup, a5),
                      x32 ? SECCOMP_RET_ERRNO | 72 : expect_x32);
    /* x32's dup takes a 32-bit fd: the high word does not count */
    ck_assert_uint_eq(sim(&prog, x86, X32_BIT | SYS_dup, j5),
                      x32 ? SECCOMP_RET_ERRNO | 72 : expect_x32);
    ck_assert_uint_eq(sim(&prog, x86, X32_BIT | SYS_dup, a0),
                      x32 ? SECCOMP_RET_ALLOW : expect_x32);
    ck_assert_uint_eq(sim(&prog, x86, X32_BIT | 516 /* x32 writev */, a0),
                      x32 ? SECCOMP_RET_ERRNO | 73 : expect_x32);
    ck_assert_uint_eq(sim(&prog, x86, X32_BIT | SYS_writev, a0),
                      x32 ? SECCOMP_RET_ALLOW : expect_x32); /* x32's 20: not writev */
    ck_assert_uint_eq(sim(&prog, x86, SYS_writev, a0), SECCOMP_RET_ERRNO | 73);
    ck_assert_uint_eq(sim(&prog, AUDIT_ARCH_I386, I386_GETPPID, a0),
                      i ? SECCOMP_RET_ERRNO | 71 : SECCOMP_RET_KILL_PROCESS);
    free_sets(&t);
    free(prog.filter);
  }
}
END_TEST

/* x32's numbers are never in the kernel's action cache, so the code
 * generator may decide up to 32 of them with one bit-table lookup
 * (codegen/window.h).  A policy that allows every other x32 syscall makes
 * the most of them; each number must still get what the rule sets say. */
static char *alternating_policy(const char *extra) {
  const sf_arch *x32 = sf_arch_by_name("x32");
  size_t cap = 16384, len = 0;
  char *src = malloc(cap);
  ck_assert_ptr_nonnull(src);
  len += (size_t)snprintf(src + len, cap - len, "%sALLOW {\n", extra);
  for (size_t i = 0; i < x32->n_syscalls; i += 2)
    len += (size_t)snprintf(src + len, cap - len, "%s  %s", i ? ",\n" : "",
                            x32->by_nr[i]->name);
  snprintf(src + len, cap - len, "\n}\nDEFAULT ERRNO(1)\n");
  return src;
}

static int has_window(const struct sock_fprog *prog) {
  for (size_t i = 0; i < prog->len; i++)
    if (prog->filter[i].code == (BPF_ALU | BPF_RSH | BPF_X)) return 1;
  return 0;
}

START_TEST(x32_windows_match_oracle) {
  /* Plain, with argument rules among the windows, and with a third
   * action among them (windows beside other outcomes). */
  const char *extras[] = {"", "ERRNO(72) { dup { fildes == 5 }, kill { pid == 1 } }\n",
                          "KILL { getppid }\n"};
  /* (Not with i386: the oracle's rule sets are resolved one target at a
   * time, where x32's names that i386 lacks are errors.) */
  const char *lists[] = {"x86_64,x32", "x32,x86_64"};
  for (size_t e = 0; e < 3; e++) {
    char *src = alternating_policy(extras[e]);
    for (size_t i = 0; i < 2; i++) {
      struct sock_fprog prog = compile_for(src, lists[i]);
      ck_assert_msg(has_window(&prog), "--arch %s: no window in the program", lists[i]);
      target_sets t = resolve_each(src, lists[i]);
      sweep(&prog, &t, lists[i]);
      /* Spelled out: x32's read (0) allowed, write (1) not, x32 writev
       * (516) per the table's order. */
      const uint64_t a0[6] = {0};
      ck_assert_uint_eq(sim(&prog, AUDIT_ARCH_X86_64, X32_BIT | 0, a0), SECCOMP_RET_ALLOW);
      ck_assert_uint_eq(sim(&prog, AUDIT_ARCH_X86_64, X32_BIT | 1, a0),
                        SECCOMP_RET_ERRNO | 1);
      free_sets(&t);
      free(prog.filter);
    }
    free(src);
  }
}
END_TEST

/* On a kernel without x32 (ENOSYS for its numbers) the filter still runs
 * for them first (seccomp sees seccomp_data.nr before the syscall table is
 * consulted: arch/x86/entry/syscall_64.c), so the windows' decisions can be
 * checked in the real kernel for every x32 number: a number the filter
 * refuses gets its errno, one it lets through gets ENOSYS.  Where x32 is
 * enabled the calls it lets through would run; x32_on_the_kernel covers
 * that case. */
enum { X32_SPAN = 600 };

START_TEST(x32_windows_in_the_kernel) {
  if (x32_available()) {
    tu_not_applicable("x32_windows_in_the_kernel", "the kernel runs x32 calls, so the "
                      "ones the filter allows would really run (x32_on_the_kernel "
                      "checks x32 there)");
    return;
  }
  char *src = alternating_policy("ERRNO(72) { dup { fildes == 5 } }\n");
  struct sock_fprog prog = compile_for(src, "x86_64,x32");
  target_sets t = resolve_each(src, "x86_64,x32");
  free(src);
  ck_assert(has_window(&prog));
  int *err = mmap(NULL, X32_SPAN * sizeof *err, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert(err != MAP_FAILED);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (install(&prog) != 0) _exit(3);
    for (int i = 0; i < X32_SPAN; i++) {
      errno = 0;
      long r = syscall((long)(X32_BIT + (unsigned)i), 0, 0, 0, 0, 0, 0);
      err[i] = r == -1 ? errno : -1000;
    }
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
  size_t refused = 0;
  for (int i = 0; i < X32_SPAN; i++) {
    /* What the rule sets say (the oracle), not what the program says. */
    sf_query q = {X32_BIT + (unsigned)i, AUDIT_ARCH_X86_64, {0}};
    uint32_t action = decide_multi(&t, &q);
    int want = action == SECCOMP_RET_ALLOW ? ENOSYS : (int)(action & SECCOMP_RET_DATA);
    ck_assert_msg((action == SECCOMP_RET_ALLOW ||
                   (action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) &&
                      err[i] == want,
                  "x32 number %d: the kernel gave errno %d, the rule sets say 0x%x", i,
                  err[i], action);
    refused += action != SECCOMP_RET_ALLOW;
  }
  free_sets(&t);
  /* Both outcomes occur, so the comparison could tell them apart. */
  ck_assert_uint_gt(refused, 100);
  ck_assert_uint_lt(refused, X32_SPAN - 100);
  munmap(err, X32_SPAN * sizeof *err);
  free(prog.filter);
}
END_TEST

/* ---- the suite ------------------------------------------------------------- */

static Suite *multiarch_suite(void) {
  Suite *s = suite_create("multiarch");
  TCase *tc = tcase_create("kernel");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, i386_program_deny_list);
  tcase_add_test(tc, i386_program_allow_list);
  tcase_add_test(tc, i386_program_native_only_filter);
  tcase_add_test(tc, i386_no_network_policy);
  tcase_add_test(tc, int80_decided_by_i386_rules);
  tcase_add_test(tc, int80_high_words_seen_by_seccomp);
  tcase_add_test(tc, int80_arg_rules_compare_low_words);
  tcase_add_test(tc, x32_on_the_kernel);
  tcase_add_test(tc, x32_windows_in_the_kernel);
  suite_add_tcase(s, tc);
  TCase *sim_tc = tcase_create("simulator");
  tcase_add_test(sim_tc, x32_simulator_matches_oracle);
  tcase_add_test(sim_tc, x32_windows_match_oracle);
  suite_add_tcase(s, sim_tc);
  return s;
}

int main(void) {
  if (!tu_seccomp_available())
    tu_skip_program_no_seccomp("filters for several architectures on the kernel");
  char *dir = tu_tmpdir();
  if (!tu_have("gcc")) {
    snprintf(build_failure, sizeof build_failure,
             "gcc is not on $PATH: the i386 programs cannot be built");
  } else {
    probe32 = build_i386(dir, "probe32", probe32_src);
    if (probe32) socket32 = build_i386(dir, "socket32", socket32_src);
  }
  int rc = tu_run_suite(multiarch_suite());
  tu_rmtree(dir);
  free(dir);
  free(probe32);
  free(socket32);
  return rc;
}

#else

int main(void) {
  tu_skip_program("these tests need an x86_64 host (i386 programs, int $0x80, "
                  "x32)");
}

#endif
