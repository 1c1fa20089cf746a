/* check_policies.c - the shipped policies (the .policy files in policies/) at work.
 *
 * Every shipped policy and group compiles without a diagnostic;
 * policies/docker-default.policy decides exactly as the machine-converted
 * corpus profile does; and real programs (CPython, /bin/sh, coreutils) run
 * under each policy in forked children that install the compiled filter
 * (PR_SET_NO_NEW_PRIVS + seccomp(2)) and then execve the program: what the
 * policy allows works, what it refuses fails with the documented errno or
 * kills the process.  The Python sandbox is also run as the README says
 * (sysfence-exec or sysfence run with the launcher, and the bubblewrap
 * recipe) against a victim process that must stay untouched, one test per
 * family of syscalls that can reach another process.  Interop: the raw
 * blob through bubblewrap's --seccomp, and the C header output compiled
 * into a program.
 *
 * Needs x86_64 and seccomp (else exit 77, automake SKIP).  Python, bwrap
 * and a C compiler are optional: the tests that need one say loudly that
 * they were skipped. */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#if defined(__x86_64__)

#define POLICY_DIR SRCDIR "/policies"
#define DOCKER_CORPUS SHARED_DIR "/corpus/docker-default.kafel"
#define X32_BIT 0x40000000U

/* ---- compiling the shipped policies --------------------------------------- */

/* Compile policies/NAME for x86_64 with the library; it must compile
 * without any diagnostic, warnings included. */
static struct sock_fprog compile_policy_path(const char *path) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  int rc = sysfence_compile(ctx, &prog);
  ck_assert_msg(rc == SYSFENCE_OK, "%s does not compile (rc %d):\n%s", path,
                rc, sysfence_diag_text(ctx));
  ck_assert_msg(sysfence_diag_count(ctx) == 0, "%s: diagnostics:\n%s", path,
                sysfence_diag_text(ctx));
  char why[256] = "";
  ck_assert_msg(sysfence_validate(&prog, why, sizeof why) == 0,
                "%s: invalid program: %s", path, why);
  sysfence_free(ctx);
  return prog;
}

static struct sock_fprog compile_policy(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", POLICY_DIR, name);
  return compile_policy_path(path);
}

/* Write PROG as a raw blob (host byte order) to DIR/NAME. */
static char *write_blob(const char *dir, const char *name,
                        const struct sock_fprog *prog) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  ck_assert_ptr_nonnull(path);
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(prog->filter, sizeof prog->filter[0], prog->len, f),
                    prog->len);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

static const char *const shipped[] = {
    "docker-default.policy", "stdio-only.policy",     "python-sandbox.policy",
    "no-exec.policy",
    "network-client.policy", "no-network.policy",     "groups/basic-io.policy",
    "groups/memory.policy",  "groups/time.policy",    "groups/signals.policy",
    "groups/files-readonly.policy", "groups/networking.policy",
    "groups/process.policy",
};

START_TEST(all_compile_silently) {
  for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
    struct sock_fprog p = compile_policy(shipped[i]);
    ck_assert_uint_gt(p.len, 4);
    free(p.filter);
    /* and the CLI's check prints nothing */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", POLICY_DIR, shipped[i]);
    char *argv[] = {(char *)tu_sysfence(), "check", path, "--arch", "x86_64",
                    NULL};
    tu_result r = tu_run(argv, NULL);
    ck_assert_msg(r.exited && r.status == 0 && r.out[0] == '\0' &&
                      r.err[0] == '\0',
                  "sysfence check %s: status %d, output:\n%s%s", shipped[i],
                  r.status, r.out, r.err);
    tu_result_free(&r);
  }
}
END_TEST

/* ---- running things under a filter in a forked child ---------------------- */

typedef int (*child_fn)(void *arg);

typedef struct child {
  pid_t pid;
  char *dir, *out_path, *err_path;
} child;

/* Fork; the child gets STDIN_TEXT on stdin and files for stdout/stderr,
 * only descriptors 0..2 (and KEEP_FD as 9, if >= 0) stay open, an alarm
 * limits it to 20 s, and FN(ARG) runs; its return value is the exit
 * status. */
static child child_start(const char *stdin_text, int keep_fd, child_fn fn,
                         void *arg) {
  child c = {0};
  c.dir = tu_tmpdir();
  char *in = tu_write(c.dir, "stdin", stdin_text ? stdin_text : "");
  c.out_path = tu_write(c.dir, "stdout", "");
  c.err_path = tu_write(c.dir, "stderr", "");
  fflush(NULL);
  c.pid = fork();
  ck_assert_int_ge(c.pid, 0);
  if (c.pid == 0) {
    int i = open(in, O_RDONLY), o = open(c.out_path, O_WRONLY | O_TRUNC),
        e = open(c.err_path, O_WRONLY | O_TRUNC);
    if (i < 0 || o < 0 || e < 0) _exit(120);
    if (dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(121);
    if (keep_fd >= 0 && dup2(keep_fd, 9) < 0) _exit(122);
    int from = keep_fd >= 0 ? 10 : 3;
    if (keep_fd >= 0) syscall(SYS_close_range, 3, 8, 0);
    syscall(SYS_close_range, from, ~0U, 0);
    signal(SIGPIPE, SIG_DFL);
    alarm(20);
    _exit(fn(arg));
  }
  free(in);
  return c;
}

static tu_result child_wait(child *c) {
  int st;
  ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
  tu_result r = {0};
  r.exited = WIFEXITED(st);
  r.status = r.exited ? WEXITSTATUS(st) : WTERMSIG(st);
  r.out = tu_read(c->out_path, NULL);
  r.err = tu_read(c->err_path, NULL);
  ck_assert_ptr_nonnull(r.out);
  ck_assert_ptr_nonnull(r.err);
  tu_rmtree(c->dir);
  free(c->dir);
  free(c->out_path);
  free(c->err_path);
  return r;
}

static int install(const struct sock_fprog *prog) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}

/* The loader: install the filter (if any), then execve the program. */
typedef struct exec_job {
  const struct sock_fprog *prog;
  char *const *argv;
} exec_job;

static char *const clean_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                  "LC_ALL=C", NULL};

static int exec_child(void *arg) {
  const exec_job *j = arg;
  if (j->prog && install(j->prog) != 0) return 123;
  execve(j->argv[0], j->argv, clean_env);
  return 124;
}

/* Run ARGV under PROG (NULL: no filter) with STDIN_TEXT on stdin. */
static tu_result run_under(const struct sock_fprog *prog, char *const argv[],
                           const char *stdin_text) {
  exec_job j = {prog, argv};
  child c = child_start(stdin_text, -1, exec_child, &j);
  tu_result r = child_wait(&c);
  ck_assert_msg(!(r.exited && (r.status == 123 || r.status == 124)),
                "%s: the loader failed (status %d: %s)", argv[0], r.status,
                r.status == 123 ? "filter not installed" : "execve failed");
  return r;
}

static void describe_fail(const char *what, const tu_result *r) {
  ck_abort_msg("%s: %s %d\n--- stdout:\n%s--- stderr:\n%s", what,
               r->exited ? "exit status" : "killed by signal", r->status,
               r->out, r->err);
}

#define EXPECT_EXIT(r, code, what)                                            \
  do {                                                                        \
    if (!((r).exited && (r).status == (code))) describe_fail((what), &(r));   \
  } while (0)

#define EXPECT_SIGNAL(r, sig, what)                                           \
  do {                                                                        \
    if (!(!(r).exited && (r).status == (sig))) describe_fail((what), &(r));   \
  } while (0)

#define EXPECT_OUT(r, text, what)                                             \
  ck_assert_msg(strstr((r).out, (text)) != NULL,                              \
                "%s: expected \"%s\" in stdout\n--- stdout:\n%s--- stderr:\n%s", \
                (what), (text), (r).out, (r).err)

/* ---- optional tools -------------------------------------------------------- */

static char python_path[4096];

/* The Debian interpreter if present, else whatever python3 resolves to
 * (asked unfiltered, so wrapper scripts such as pyenv's shims resolve to
 * the real executable). */
static const char *python(void) {
  if (python_path[0]) return python_path;
  if (access("/usr/bin/python3", X_OK) == 0) {
    snprintf(python_path, sizeof python_path, "/usr/bin/python3");
    return python_path;
  }
  char *argv[] = {"/usr/bin/env", "python3", "-c",
                  "import sys; print(sys.executable)", NULL};
  tu_result r = tu_run(argv, NULL);
  if (r.exited && r.status == 0 && r.out[0] == '/') {
    r.out[strcspn(r.out, "\n")] = '\0';
    snprintf(python_path, sizeof python_path, "%s", r.out);
  }
  tu_result_free(&r);
  return python_path[0] ? python_path : NULL;
}

#define NEED_PYTHON(test)                                                     \
  const char *py = python();                                                  \
  if (!py) {                                                                  \
    tu_skip(test, "no python3 found (install the python3 package)");         \
    return;                                                                   \
  }

/* ---- docker-default: equivalent to the corpus conversion ------------------ */

typedef struct resolved {
  sysfence_ctx *ctx;
  const sf_ruleset *rs;
  struct sock_fprog prog;
} resolved;

/* Both views of a policy file: the resolved rule set (for the reference
 * evaluator) and the compiled program (for the simulator). */
static resolved resolve_path(const char *path) {
  resolved r = {0};
  r.prog = compile_policy_path(path);
  r.ctx = sysfence_new();
  ck_assert_ptr_nonnull(r.ctx);
  ck_assert_int_eq(sysfence_set_input_path(r.ctx, path), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(r.ctx, "x86_64"), SYSFENCE_OK);
  const ast_file *f;
  r.rs = sf_front_end_tree(r.ctx, &f);
  ck_assert_msg(r.rs != NULL, "%s: %s", path, sysfence_diag_text(r.ctx));
  return r;
}

static void resolved_free(resolved *r) {
  free(r->prog.filter);
  sysfence_free(r->ctx);
}

/* Argument values around every constant of the conditional rules, with and
 * without junk in the upper 32 bits. */
static size_t interesting_values(uint64_t *v, size_t max) {
  static const uint64_t consts[] = {
      /* socket families */
      0, 1, 2, 10, 16, 17, 37, 38, 39, 40, 41, 45, 46,
      /* personality */
      0x8, 0x20000, 0x20008, 0x400000, 0xffffffff,
      /* clone flags: each namespace flag, the mask, CLONE_THREAD|... */
      0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000,
      0x40000000, 0x7e020000, 0x80000000, 0x3d0f00, 0x1200011, 0x11};
  size_t n = 0;
  for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
    for (int d = -1; d <= 1; d++)
      for (int hi = 0; hi < 3; hi++) {
        uint64_t x = (uint64_t)((uint32_t)(consts[i] + (uint64_t)(int64_t)d));
        if (hi == 1) x |= 0xdeadbeef00000000ULL;
        if (hi == 2) x |= 0x100000000ULL;
        if (n < max) v[n++] = x;
      }
  if (n < max) v[n++] = ~0ULL;
  if (n < max) v[n++] = 0x7fffffffffffffffULL;
  return n;
}

START_TEST(docker_equivalent_to_corpus) {
  TU_NEED_CORPUS("docker_equivalent_to_corpus");
  /* The corpus is there: this file of it must be too. */
  ck_assert_msg(access(DOCKER_CORPUS, R_OK) == 0, "the corpus has no %s",
                DOCKER_CORPUS);
  resolved mine = resolve_path(POLICY_DIR "/docker-default.policy");
  resolved ref = resolve_path(DOCKER_CORPUS);

  uint32_t nrs[700];
  size_t n_nrs = 0;
  for (uint32_t nr = 0; nr <= 600; nr++) nrs[n_nrs++] = nr;
  static const uint32_t extra[] = {
      X32_BIT, X32_BIT | 1, X32_BIT | 41, X32_BIT | 56, X32_BIT | 59,
      X32_BIT | 101, X32_BIT | 135, X32_BIT | 272, X32_BIT | 512,
      X32_BIT | 520, X32_BIT | 547, X32_BIT | 0x3fffffff, 0x3fffffff,
      0x80000000, 0xfffffffe, 0xffffffff /* -1 */, 1000, 4095, 0x10000};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
    nrs[n_nrs++] = extra[i];

  uint64_t vals[400];
  size_t n_vals = interesting_values(vals, 400);
  static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386,
                                    AUDIT_ARCH_AARCH64};
  size_t compared = 0, allowed = 0, conditional_seen = 0;
  for (size_t a = 0; a < 3; a++)
    for (size_t i = 0; i < n_nrs; i++)
      for (size_t k = 0; k <= n_vals; k++) {
        /* k == n_vals: all-zero arguments; else the value in arg 0 (socket
         * family, personality, clone flags) and, shifted, in arg 1. */
        sf_query call = {.nr = nrs[i], .arch = arches[a]};
        if (k < n_vals) {
          call.args[0] = vals[k];
          call.args[1] = vals[(k + 7) % n_vals];
        }
        uint32_t want = sf_ruleset_decide(ref.rs, &call, NULL);
        uint32_t got = sf_ruleset_decide(mine.rs, &call, NULL);
        sf_seccomp_data d = {.nr = call.nr, .arch = call.arch};
        memcpy(d.args, call.args, sizeof d.args);
        uint32_t sim_ref = sf_bpf_run(ref.prog.filter, ref.prog.len,
                                      ref.rs->arch, &d, NULL);
        uint32_t sim_mine = sf_bpf_run(mine.prog.filter, mine.prog.len,
                                       mine.rs->arch, &d, NULL);
        ck_assert_msg(got == want && sim_mine == want && sim_ref == want,
                      "nr %u (%s) arch %#x args %#llx %#llx: corpus %#x, "
                      "docker-default.policy %#x; simulated: corpus %#x, "
                      "docker-default.policy %#x",
                      call.nr, sysfence_syscall_name("x86_64", call.nr) ?
                      sysfence_syscall_name("x86_64", call.nr) : "?",
                      call.arch, (unsigned long long)call.args[0],
                      (unsigned long long)call.args[1], want, got, sim_ref,
                      sim_mine);
        compared++;
        if (want == SECCOMP_RET_ALLOW) allowed++;
        if (k < n_vals && a == 0 &&
            (call.nr == SYS_socket || call.nr == SYS_personality ||
             call.nr == SYS_clone))
          conditional_seen++;
        /* Unconditional numbers need one argument vector per arch. */
        if (k == 0 && call.nr != SYS_socket && call.nr != SYS_personality &&
            call.nr != SYS_clone)
          k = n_vals - 1;
      }
  /* The comparison is not vacuous: both allow and refuse things, and the
   * conditional rules saw both outcomes. */
  ck_assert_uint_gt(allowed, 300);
  ck_assert_uint_gt(compared, allowed * 2);
  ck_assert_uint_eq(conditional_seen, 3 * n_vals);
  sf_seccomp_data d = {.nr = SYS_socket, .arch = AUDIT_ARCH_X86_64};
  d.args[0] = 40; /* AF_VSOCK */
  ck_assert_uint_eq(sf_bpf_run(mine.prog.filter, mine.prog.len, mine.rs->arch,
                               &d, NULL), SECCOMP_RET_ERRNO | 1);
  d.args[0] = 2;
  ck_assert_uint_eq(sf_bpf_run(mine.prog.filter, mine.prog.len, mine.rs->arch,
                               &d, NULL), SECCOMP_RET_ALLOW);
  d.nr = SYS_clone;
  d.args[0] = 0x10000000; /* CLONE_NEWUSER */
  ck_assert_uint_eq(sf_bpf_run(mine.prog.filter, mine.prog.len, mine.rs->arch,
                               &d, NULL), SECCOMP_RET_ERRNO | 1);
  resolved_free(&mine);
  resolved_free(&ref);
}
END_TEST

#define CALLP(prog, nr, ...)                                                  \
  tu_syscall_under((prog), (nr), (const uint64_t[6]){__VA_ARGS__})

static void expect_errno(tu_outcome o, int e, const char *what) {
  ck_assert_msg(o.killed_by == 0 && !o.sigsys && o.ret == -1 && o.err == e,
                "%s: expected errno %d, got killed_by %d ret %ld errno %d",
                what, e, o.killed_by, o.ret, o.err);
}

static void expect_runs(tu_outcome o, const char *what) {
  ck_assert_msg(o.killed_by == 0 && !o.sigsys && o.ret >= 0,
                "%s: expected success, got killed_by %d ret %ld errno %d",
                what, o.killed_by, o.ret, o.err);
}

START_TEST(docker_runs_programs) {
  struct sock_fprog p = compile_policy("docker-default.policy");
  char *sh[] = {"/bin/sh", "-c",
                "ls / >/dev/null && cat /etc/passwd | head -n 1 >/dev/null &&"
                " true && echo docker-ok",
                NULL};
  tu_result r = run_under(&p, sh, NULL);
  EXPECT_EXIT(r, 0, "sh under docker-default");
  EXPECT_OUT(r, "docker-ok\n", "sh under docker-default");
  tu_result_free(&r);

  /* What a container may not do. */
  expect_errno(CALLP(&p, SYS_unshare, 0x10000000), EPERM, "unshare(NEWUSER)");
  expect_errno(CALLP(&p, SYS_clone, 0x20000000 | SIGCHLD, 0), EPERM,
               "clone(NEWPID)");
  expect_errno(CALLP(&p, SYS_clone3, 0, 0), ENOSYS, "clone3");
  expect_errno(CALLP(&p, SYS_mount, 0, 0, 0, 0, 0), EPERM, "mount");
  expect_errno(CALLP(&p, SYS_keyctl, 0, 0), EPERM, "keyctl");
  expect_errno(CALLP(&p, SYS_socket, 40, SOCK_STREAM, 0), EPERM,
               "socket(AF_VSOCK)");
  expect_errno(CALLP(&p, SYS_personality, 0x400000), EPERM,
               "personality(READ_IMPLIES_EXEC)");
  /* ... and what it may. */
  expect_runs(CALLP(&p, SYS_socket, AF_INET, SOCK_STREAM, 0), "socket(AF_INET)");
  expect_runs(CALLP(&p, SYS_personality, 0xffffffff), "personality(query)");
  free(p.filter);
}
END_TEST

/* ---- stdio-only: a process that locks itself down -------------------------- */

static int stdio_work(const struct sock_fprog *prog) {
  /* Set up first: stdout is used once so the C library is ready. */
  printf("worker ready\n");
  fflush(stdout);
  if (install(prog) != 0) return 50;
  char buf[256];
  size_t n = 0;
  ssize_t got;
  while (n < sizeof buf && (got = read(0, buf + n, sizeof buf - n)) > 0)
    n += (size_t)got;
  char *heap = malloc(1 << 20); /* a large block: mmap */
  if (!heap) return 51;
  for (size_t i = 0; i < n; i++)
    heap[i] = (buf[i] >= 'a' && buf[i] <= 'z') ? (char)(buf[i] - 32) : buf[i];
  if (write(1, heap, n) != (ssize_t)n) return 52;
  free(heap);
  /* refused with EPERM */
  errno = 0;
  if (open("/etc/passwd", O_RDONLY) != -1 || errno != EPERM) return 53;
  errno = 0;
  if (syscall(SYS_getpid) != -1 || errno != EPERM) return 54;
  errno = 0;
  if (write(9, "x", 1) != -1 || errno != EPERM) return 55;
  errno = 0;
  if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
           0) != MAP_FAILED ||
      errno != EPERM)
    return 56;
  printf("worker done\n");
  fflush(stdout);
  return 0;
}

/* Ends with the raw exit_group the policy allows: the exit paths of the C
 * library and of a sanitizer runtime make calls of their own (ASan's
 * sigaltstack), which the policy rightly refuses. */
static int stdio_worker(void *arg) {
  syscall(SYS_exit_group, stdio_work(arg));
  return 57; /* not reached */
}

typedef struct kill_job {
  const struct sock_fprog *prog;
  long nr;
  long a0, a1, a2;
} kill_job;

static int call_child(void *arg) {
  const kill_job *j = arg;
  if (install(j->prog) != 0) return 50;
  syscall(j->nr, j->a0, j->a1, j->a2, 0, 0, 0);
  return 0; /* not reached if the call kills */
}

START_TEST(stdio_only_worker) {
  struct sock_fprog p = compile_policy("stdio-only.policy");
  child c = child_start("hello, strict world\n", -1, stdio_worker, &p);
  tu_result r = child_wait(&c);
  EXPECT_EXIT(r, 0, "stdio-only worker");
  ck_assert_str_eq(r.out, "worker ready\nHELLO, STRICT WORLD\nworker done\n");
  tu_result_free(&r);

  /* Starting a program, a process, or using the network kills. */
  static const long killers[][4] = {
      {SYS_execve, 0, 0, 0},  {SYS_fork, 0, 0, 0},
      {SYS_clone, SIGCHLD, 0, 0}, {SYS_socket, AF_UNIX, SOCK_STREAM, 0},
      {SYS_ptrace, 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof killers / sizeof killers[0]; i++) {
    kill_job j = {&p, killers[i][0], killers[i][1], killers[i][2],
                  killers[i][3]};
    child k = child_start(NULL, -1, call_child, &j);
    tu_result kr = child_wait(&k);
    EXPECT_SIGNAL(kr, SIGSYS, "stdio-only: forbidden call");
    tu_result_free(&kr);
  }
  /* A program cannot even be started under it (see the policy's
   * comments): the execve kills. */
  char *cat[] = {"/bin/cat", NULL};
  exec_job ej = {&p, cat};
  child e = child_start("x", -1, exec_child, &ej);
  tu_result er = child_wait(&e);
  EXPECT_SIGNAL(er, SIGSYS, "stdio-only: execve of cat");
  tu_result_free(&er);
  free(p.filter);
}
END_TEST

/* ---- machine-code syscall entry through the other ABIs ------------------- */

static int i386_getpid_child(void *arg) {
  if (install(arg) != 0) return 50;
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
  return r > 0 ? 60 : 61; /* not reached: the filter kills */
}

static int i386_socket_child(void *arg) {
  if (install(arg) != 0) return 50;
  long r;
  /* i386 socket(AF_INET, SOCK_STREAM, 0) is number 359 */
  __asm__ volatile("int $0x80"
                   : "=a"(r)
                   : "a"(359L), "b"(2L), "c"(1L), "d"(0L)
                   : "memory");
  return r >= 0 ? 60 : 61;
}

static int x32_child(void *arg) {
  const kill_job *j = arg;
  if (install(j->prog) != 0) return 50;
  long r;
  register long a0 __asm__("rdi") = j->a0;
  register long a1 __asm__("rsi") = j->a1;
  register long a2 __asm__("rdx") = j->a2;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(X32_BIT | j->nr), "r"(a0), "r"(a1), "r"(a2)
                   : "rcx", "r11", "memory");
  return r >= 0 ? 60 : 61;
}

static void expect_abi_kills(const struct sock_fprog *p, const char *policy) {
  char what[200];
  child c = child_start(NULL, -1, i386_getpid_child, (void *)p);
  tu_result r = child_wait(&c);
  snprintf(what, sizeof what, "%s: int $0x80 getpid", policy);
  EXPECT_SIGNAL(r, SIGSYS, what);
  tu_result_free(&r);

  c = child_start(NULL, -1, i386_socket_child, (void *)p);
  r = child_wait(&c);
  snprintf(what, sizeof what, "%s: int $0x80 socket", policy);
  EXPECT_SIGNAL(r, SIGSYS, what);
  tu_result_free(&r);

  kill_job x = {p, SYS_getpid, 0, 0, 0};
  c = child_start(NULL, -1, x32_child, &x);
  r = child_wait(&c);
  snprintf(what, sizeof what, "%s: x32 getpid", policy);
  EXPECT_SIGNAL(r, SIGSYS, what);
  tu_result_free(&r);

  kill_job xs = {p, SYS_socket, AF_INET, SOCK_STREAM, 0};
  c = child_start(NULL, -1, x32_child, &xs);
  r = child_wait(&c);
  snprintf(what, sizeof what, "%s: x32 socket", policy);
  EXPECT_SIGNAL(r, SIGSYS, what);
  tu_result_free(&r);
}

/* ---- python-sandbox -------------------------------------------------------- */

/* Normal work, then escape attempts.  Each attempt prints
 * "refused NAME ERRNO" or "ESCAPED NAME ...".  The arguments are chosen so
 * that, without a filter, each attempt succeeds or fails differently (the
 * test runs the script unfiltered too); none of them harms the machine
 * when it does succeed. */
static const char escape_py[] =
    "import ctypes, errno, json, re, math, hashlib, mmap, os, socket, sys\n"
    "import subprocess, threading, decimal, statistics, collections\n"
    "tmp = sys.argv[1]\n"
    "r = []\n"
    "t = threading.Thread(target=lambda: r.append(sum(i * i for i in range(10**5))))\n"
    "t.start(); t.join()\n"
    "doc = json.loads(json.dumps({'k': [math.isqrt(10**12), re.sub('a+', 'b', 'caaat')]}))\n"
    "print('compute', r[0], doc['k'][0], doc['k'][1],\n"
    "      hashlib.sha256(b'sysfence').hexdigest()[:12],\n"
    "      decimal.Decimal(1) / decimal.Decimal(8), statistics.mean([1, 2, 3, 4]))\n"
    "print('listing', len(os.listdir('/usr')) > 0, open('/etc/passwd').read(4))\n"
    "sys.stdout.flush()\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "libc.syscall.restype = ctypes.c_long\n"
    "def sc(nr, *a):\n"
    "    ctypes.set_errno(0)\n"
    "    v = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(x) for x in a])\n"
    "    return -ctypes.get_errno() if v == -1 else v\n"
    "def attempt(name, fn):\n"
    "    try:\n"
    "        v = fn()\n"
    "    except OSError as e:\n"
    "        print('refused', name, e.errno); return\n"
    "    if isinstance(v, int) and v < 0:\n"
    "        print('refused', name, -v); return\n"
    "    print('ESCAPED', name, v)\n"
    "def fork():\n"
    "    pid = os.fork()\n"
    "    if pid == 0: os._exit(0)\n"
    "    return os.waitpid(pid, 0)[1]\n"
    "def spawn():\n"
    "    return os.waitpid(os.posix_spawn('/bin/true', ['true'], {}), 0)[1]\n"
    "def mprotect_exec():\n"
    "    m = mmap.mmap(-1, 4096)\n"
    "    return sc(10, ctypes.addressof(ctypes.c_char.from_buffer(m)), 4096, 5)\n"
    "mark = os.path.join(tmp, 'marker')\n"
    "st = os.system('echo pwned > ' + mark)\n"
    "print('refused os.system' if st != 0 and not os.path.exists(mark)\n"
    "      else 'ESCAPED os.system %d' % st)\n"
    "sys.stdout.flush()\n"
    "attempt('subprocess', lambda: subprocess.run(['/bin/true']).returncode)\n"
    "attempt('fork', fork)\n"
    "attempt('posix_spawn', spawn)\n"
    "attempt('execveat', lambda: sc(322, -100, 0, 0, 0, 0))\n"
    "attempt('socket_inet', lambda: socket.socket(socket.AF_INET))\n"
    "attempt('socket_inet6', lambda: socket.socket(socket.AF_INET6))\n"
    "attempt('socket_unix', lambda: socket.socket(socket.AF_UNIX))\n"
    "attempt('socketpair', socket.socketpair)\n"
    "attempt('ptrace', lambda: sc(101, 2, os.getppid(), 0, 0))\n"
    "attempt('process_vm_readv', lambda: sc(310, os.getppid(), 0, 0, 0, 0, 0))\n"
    "attempt('kill', lambda: os.kill(os.getppid(), 0))\n"
    "attempt('open_write', lambda: open(os.path.join(tmp, 'w'), 'w'))\n"
    "attempt('open_creat', lambda: os.open(os.path.join(tmp, 'c'), os.O_RDONLY | os.O_CREAT))\n"
    "attempt('open_trunc', lambda: os.open(os.path.join(tmp, 'trunc'), os.O_RDONLY | os.O_TRUNC))\n"
    "attempt('mkdir', lambda: os.mkdir(os.path.join(tmp, 'd')))\n"
    "attempt('unlink', lambda: os.unlink(os.path.join(tmp, 'keep')))\n"
    "attempt('write_other_fd', lambda: os.write(os.dup(1), b''))\n"
    "attempt('unshare', lambda: sc(272, 0))\n"
    "attempt('setns', lambda: sc(308, 0, 0x40000000))\n"
    "attempt('mount', lambda: sc(165, 0, 0, 0, 0, 0))\n"
    "attempt('chroot', lambda: os.chroot('/'))\n"
    "attempt('setuid', lambda: os.setuid(os.getuid()))\n"
    "attempt('setresuid', lambda: os.setresuid(-1, -1, -1))\n"
    "attempt('capset', lambda: sc(126, 0, 0))\n"
    "attempt('prctl', lambda: sc(157, 3, 0, 0, 0, 0))\n"
    "attempt('init_module', lambda: sc(175, 0, 0, 0))\n"
    "attempt('finit_module', lambda: sc(313, -1, 0, 0))\n"
    "attempt('bpf', lambda: sc(321, 0, 0, 0))\n"
    "attempt('io_uring_setup', lambda: sc(425, 1, 0))\n"
    "attempt('mmap_exec', lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC))\n"
    "attempt('mprotect_exec', mprotect_exec)\n"
    "attempt('personality', lambda: sc(135, 0xffffffff))\n"
    "print('done')\n";

/* ANY_KERNEL: without the filter the attempt never gives this errno; the
 * others may, depending on privileges or sysctls (an unprivileged user
 * gets EPERM for init_module, a kernel with io_uring disabled EPERM for
 * io_uring_setup), so for those the unfiltered run proves nothing. */
#define ANY_KERNEL 1
static const struct {
  const char *name;
  int err;
  int any_kernel;
} escapes[] = {
    {"subprocess", EPERM, ANY_KERNEL},  {"fork", EPERM, ANY_KERNEL},
    {"posix_spawn", EPERM, ANY_KERNEL}, {"execveat", EPERM, ANY_KERNEL},
    {"socket_inet", EPERM, ANY_KERNEL}, {"socket_inet6", EPERM, 0},
    {"socket_unix", EPERM, ANY_KERNEL}, {"socketpair", EPERM, ANY_KERNEL},
    {"ptrace", EPERM, ANY_KERNEL},      {"process_vm_readv", EPERM, ANY_KERNEL},
    {"kill", EPERM, ANY_KERNEL},        {"open_write", EACCES, 0},
    {"open_creat", EACCES, 0},          {"open_trunc", EACCES, 0},
    {"mkdir", EPERM, 0},                {"unlink", EPERM, 0},
    {"write_other_fd", EBADF, ANY_KERNEL}, {"unshare", EPERM, ANY_KERNEL},
    {"setns", EPERM, ANY_KERNEL},       {"mount", EPERM, 0},
    {"chroot", EPERM, 0},               {"setuid", EPERM, ANY_KERNEL},
    {"setresuid", EPERM, ANY_KERNEL},   {"capset", EPERM, ANY_KERNEL},
    {"prctl", EPERM, ANY_KERNEL},       {"init_module", EPERM, 0},
    {"finit_module", EPERM, 0},         {"bpf", EPERM, 0},
    {"io_uring_setup", EPERM, 0},       {"mmap_exec", EPERM, ANY_KERNEL},
    {"mprotect_exec", EPERM, ANY_KERNEL}, {"personality", EPERM, ANY_KERNEL},
};

static char *sandbox_tmp(void) {
  char *tmp = tu_tmpdir();
  free(tu_write(tmp, "keep", "keep me"));
  free(tu_write(tmp, "trunc", "keep me"));
  return tmp;
}

static void expect_file(const char *dir, const char *name, const char *text) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (!text) {
    ck_assert_msg(access(path, F_OK) == -1, "%s was created", path);
    return;
  }
  char *got = tu_read(path, NULL);
  ck_assert_msg(got && strcmp(got, text) == 0, "%s: changed or removed", path);
  free(got);
}

START_TEST(python_sandbox) {
  NEED_PYTHON("python_sandbox");
  struct sock_fprog p = compile_policy("python-sandbox.policy");

  /* Unfiltered, the same script escapes: the attempts are real. */
  char *tmp = sandbox_tmp();
  char *argv[] = {(char *)py, "-I", "-c", (char *)escape_py, tmp, NULL};
  tu_result free_run = run_under(NULL, argv, NULL);
  EXPECT_EXIT(free_run, 0, "the escape script without a filter");
  ck_assert_msg(strstr(free_run.out, "ESCAPED os.system 0\n") != NULL,
                "without a filter os.system should work:\n%s", free_run.out);
  for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
    char line[100];
    snprintf(line, sizeof line, "refused %s %d\n", escapes[i].name,
             escapes[i].err);
    if (escapes[i].any_kernel)
      ck_assert_msg(strstr(free_run.out, line) == NULL,
                    "without a filter '%s' already fails the same way:\n%s",
                    escapes[i].name, free_run.out);
  }
  tu_result_free(&free_run);
  tu_rmtree(tmp);
  free(tmp);
  tmp = sandbox_tmp();
  argv[4] = tmp;

  tu_result r = run_under(&p, argv, NULL);
  EXPECT_EXIT(r, 0, "python under python-sandbox");
  EXPECT_OUT(r, "compute 333328333350000 1000000 cbt ", "python computation");
  EXPECT_OUT(r, " 0.125 2.5\n", "python computation");
  EXPECT_OUT(r, "listing True root\n", "python reading files");
  EXPECT_OUT(r, "refused os.system\n", "os.system");
  for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
    char line[100];
    snprintf(line, sizeof line, "refused %s %d\n", escapes[i].name,
             escapes[i].err);
    EXPECT_OUT(r, line, escapes[i].name);
  }
  ck_assert_msg(strstr(r.out, "ESCAPED") == NULL, "an escape worked:\n%s",
                r.out);
  EXPECT_OUT(r, "done\n", "python under python-sandbox");
  expect_file(tmp, "marker", NULL);
  expect_file(tmp, "w", NULL);
  expect_file(tmp, "c", NULL);
  expect_file(tmp, "keep", "keep me");
  expect_file(tmp, "trunc", "keep me");
  tu_result_free(&r);

  /* execve stays allowed (the policy says why): a program exec'd from the
   * sandbox runs under the same filter and gains nothing. */
  char script[4400];
  snprintf(script, sizeof script,
           "import os; os.execv('/bin/sh', ['sh', '-c', 'echo shell-ran; "
           "echo pwned > %s/marker; /bin/true; echo after-true=$?'])",
           tmp);
  char *exec_argv[] = {(char *)py, "-I", "-c", script, NULL};
  r = run_under(&p, exec_argv, NULL);
  EXPECT_OUT(r, "shell-ran\n", "sh exec'd from the sandbox");
  ck_assert_msg(strstr(r.out, "after-true=0") == NULL,
                "the exec'd shell could start a process:\n%s", r.out);
  expect_file(tmp, "marker", NULL);
  tu_result_free(&r);

  /* Through python-sandbox-launch.py, which stacks no-exec.policy before
   * running the script, execve is refused too; a filter it cannot read
   * means the script does not run (exit 125). */
  struct sock_fprog noexec = compile_policy("no-exec.policy");
  char *noexec_blob = write_blob(tmp, "no-exec.bpf", &noexec);
  char *user = tu_write(tmp, "user.py",
                        "import os, json\n"
                        "print('sum', sum(range(10)), json.dumps([1]))\n"
                        "try:\n"
                        "    os.execv('/bin/sh', ['sh', '-c', 'echo shell-ran'])\n"
                        "except PermissionError as e:\n"
                        "    print('refused execv', e.errno)\n"
                        "print('done')\n");
  char *launch_argv[] = {(char *)py, "-I", POLICY_DIR "/python-sandbox-launch.py",
                         noexec_blob, user, NULL};
  r = run_under(&p, launch_argv, NULL);
  EXPECT_EXIT(r, 0, "python-sandbox-launch.py");
  EXPECT_OUT(r, "sum 45 [1]\nrefused execv 1\ndone\n", "the launched script");
  ck_assert_msg(strstr(r.out, "shell-ran") == NULL, "execve worked:\n%s", r.out);
  tu_result_free(&r);
  launch_argv[3] = "/nonexistent/no-exec.bpf";
  r = run_under(&p, launch_argv, NULL);
  EXPECT_EXIT(r, 125, "python-sandbox-launch.py without its filter");
  ck_assert_msg(strstr(r.out, "sum") == NULL, "the script ran:\n%s", r.out);
  tu_result_free(&r);
  free(noexec.filter);
  free(noexec_blob);
  free(user);
  tu_rmtree(tmp);
  free(tmp);

  /* The policy forbids executable memory, so machine code is tried from C
   * under the same compiled filter: the i386 and x32 ABIs kill. */
  expect_abi_kills(&p, "python-sandbox");
  free(p.filter);
}
END_TEST

/* ---- python-sandbox: other processes, descriptors, exec ------------------ */

/* The sandbox started as the README says: sysfence-exec (or sysfence run)
 * with the compiled python-sandbox.policy runs python3 -I
 * python-sandbox-launch.py no-exec.bpf SCRIPT; the script is attack_py
 * with a FAMILY of escape attempts aimed at a VICTIM process.  Each
 * attempt prints "refused NAME ERRNO" or "ESCAPED NAME ...".  stdin is a
 * file opened read-write (as a terminal often is), which must not change. */
static const char attack_py[] =
    "import ctypes, fcntl, mmap, os, resource, select, signal, struct, sys\n"
    "family, victim = sys.argv[1], int(sys.argv[2])\n"
    "out = sys.stderr if family == 'close' else sys.stdout\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "libc.syscall.restype = ctypes.c_long\n"
    "buf = ctypes.create_string_buffer(256)\n"
    "A = ctypes.addressof(buf)\n"
    "def sc(nr, *a):\n"
    "    ctypes.set_errno(0)\n"
    "    v = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(x) for x in a])\n"
    "    if v == -1:\n"
    "        raise OSError(ctypes.get_errno(), 'syscall %d' % nr)\n"
    "    return v\n"
    "def put(fmt, *v):\n"
    "    ctypes.memmove(buf, struct.pack(fmt, *v), struct.calcsize(fmt))\n"
    "    return A\n"
    "def scribble(addr, mprotect=False):\n"
    "    if mprotect:\n"
    "        sc(10, addr, 4096, 3)\n"
    "    ctypes.memmove(addr, b'pwned', 5)\n"
    "    return 'wrote through a shared mapping'\n"
    "def attempt(name, fn):\n"
    "    try:\n"
    "        v = fn()\n"
    "    except OSError as e:\n"
    "        print('refused', name, e.errno, file=out, flush=True)\n"
    "        return None\n"
    "    print('ESCAPED', name, v, file=out, flush=True)\n"
    "    return v\n"
    "def signals():\n"
    "    got = []\n"
    "    signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))\n"
    "    usr1 = signal.SIGUSR1\n"
    "    attempt('kill', lambda: os.kill(victim, usr1))\n"
    "    attempt('killpg', lambda: os.killpg(victim, usr1))\n"
    "    attempt('tkill', lambda: sc(200, victim, usr1))\n"
    "    attempt('tgkill', lambda: sc(234, victim, victim, usr1))\n"
    "    # siginfo: si_signo, si_errno, si_code = SI_QUEUE (-1)\n"
    "    attempt('rt_sigqueueinfo', lambda: sc(129, victim, usr1, put('iii', usr1, 0, -1)))\n"
    "    attempt('rt_tgsigqueueinfo', lambda: sc(297, victim, victim, usr1, put('iii', usr1, 0, -1)))\n"
    "    attempt('pidfd_open', lambda: os.pidfd_open(victim))\n"
    "    # a /proc/PID directory works as a pidfd for pidfd_send_signal\n"
    "    procfd = os.open('/proc/%d' % victim, os.O_RDONLY | os.O_DIRECTORY)\n"
    "    send = signal.pidfd_send_signal\n"
    "    attempt('pidfd_send_signal', lambda: send(procfd, usr1))\n"
    "    attempt('kill_self', lambda: os.kill(os.getpid(), usr1))\n"
    "    attempt('raise', lambda: signal.raise_signal(usr1))\n"
    "    print('self signals', len(got))\n"
    "def sigio():\n"
    "    fd = os.open(sys.argv[3], os.O_RDONLY | os.O_NONBLOCK)\n"
    "    attempt('F_SETOWN', lambda: fcntl.fcntl(fd, fcntl.F_SETOWN, victim))\n"
    "    attempt('F_SETOWN_EX', lambda: sc(72, fd, 15, put('ii', 1, victim)))\n"
    "    attempt('F_SETSIG', lambda: fcntl.fcntl(fd, 10, signal.SIGUSR2))\n"
    "    attempt('O_ASYNC', lambda: fcntl.fcntl(fd, fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK))\n"
    "    attempt('FIOSETOWN', lambda: fcntl.ioctl(fd, 0x8901, struct.pack('i', victim)))\n"
    "    attempt('SIOCSPGRP', lambda: fcntl.ioctl(fd, 0x8902, struct.pack('i', victim)))\n"
    "    attempt('FIOASYNC', lambda: fcntl.ioctl(fd, 0x5452, struct.pack('i', 1)))\n"
    "    attempt('TIOCSPGRP', lambda: fcntl.ioctl(0, 0x5410, struct.pack('i', victim)))\n"
    "    attempt('TIOCSTI', lambda: fcntl.ioctl(0, 0x5412, b'x'))\n"
    "    print('armed', flush=True)\n"
    "    # the test writes into the FIFO now: with an owner and O_ASYNC set, the\n"
    "    # kernel would signal the owner\n"
    "    select.select([fd], [], [], 15)\n"
    "def priority():\n"
    "    attempt('getpriority', lambda: os.getpriority(os.PRIO_PROCESS, victim))\n"
    "    attempt('getpriority_pgrp', lambda: os.getpriority(os.PRIO_PGRP, victim))\n"
    "    attempt('getpriority_user', lambda: os.getpriority(os.PRIO_USER, os.getuid()))\n"
    "    attempt('setpriority', lambda: os.setpriority(os.PRIO_PROCESS, victim, 19))\n"
    "    attempt('setpriority_pgrp', lambda: os.setpriority(os.PRIO_PGRP, victim, 19))\n"
    "    print('self priority', os.getpriority(os.PRIO_PROCESS, 0))\n"
    "def affinity():\n"
    "    attempt('sched_getaffinity', lambda: os.sched_getaffinity(victim))\n"
    "    attempt('sched_setaffinity', lambda: os.sched_setaffinity(victim, {0}))\n"
    "    print('self affinity', len(os.sched_getaffinity(0)) > 0)\n"
    "def scheduler():\n"
    "    attempt('sched_getscheduler', lambda: os.sched_getscheduler(victim))\n"
    "    attempt('sched_getparam', lambda: os.sched_getparam(victim))\n"
    "    zero = os.sched_param(0)\n"
    "    attempt('sched_setscheduler', lambda: os.sched_setscheduler(victim, os.SCHED_IDLE, zero))\n"
    "    attempt('sched_setparam', lambda: os.sched_setparam(victim, zero))\n"
    "    # struct sched_attr: size 48, SCHED_IDLE (5)\n"
    "    attr = put('IIQiIQQQ', 48, 5, 0, 0, 0, 0, 0, 0)\n"
    "    attempt('sched_setattr', lambda: sc(314, victim, attr, 0))\n"
    "    attempt('sched_getattr', lambda: sc(315, victim, A, 48, 0))\n"
    "    attempt('sched_rr_get_interval', lambda: os.sched_rr_get_interval(victim))\n"
    "    # IOPRIO_WHO_PROCESS (1); IOPRIO_CLASS_IDLE (3) << IOPRIO_CLASS_SHIFT (13)\n"
    "    attempt('ioprio_get', lambda: sc(252, 1, victim))\n"
    "    attempt('ioprio_set', lambda: sc(251, 1, victim, 3 << 13))\n"
    "    print('self scheduler', os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)\n"
    "def rlimits():\n"
    "    nofile = resource.RLIMIT_NOFILE\n"
    "    attempt('prlimit_get', lambda: resource.prlimit(victim, nofile))\n"
    "    attempt('prlimit_set', lambda: resource.prlimit(victim, nofile, (64, 64)))\n"
    "    attempt('prlimit_set_cpu', lambda: resource.prlimit(victim, resource.RLIMIT_CPU, (1, 1)))\n"
    "    print('self rlimit', resource.getrlimit(nofile) == resource.prlimit(0, nofile))\n"
    "def groups():\n"
    "    attempt('getpgid', lambda: os.getpgid(victim))\n"
    "    attempt('getsid', lambda: os.getsid(victim))\n"
    "    attempt('setpgid', lambda: os.setpgid(victim, victim))\n"
    "    print('self groups', os.getpgid(0) == os.getpgrp(), os.getsid(0) > 0)\n"
    "def internals():\n"
    "    attempt('get_robust_list', lambda: sc(274, victim, A, A + 16))\n"
    "    # capget: struct __user_cap_header_struct {_LINUX_CAPABILITY_VERSION_3, pid}\n"
    "    attempt('capget', lambda: sc(125, put('Ii', 0x20080522, victim), A + 16))\n"
    "    attempt('kcmp', lambda: sc(312, os.getpid(), victim, 0, 0, 0))\n"
    "    attempt('migrate_pages', lambda: sc(256, victim, 64, A + 64, A + 128))\n"
    "    attempt('move_pages', lambda: sc(279, victim, 0, 0, 0, 0, 0))\n"
    "    attempt('process_madvise', lambda: sc(440, 0, A, 1, 20, 0))\n"
    "    attempt('process_mrelease', lambda: sc(448, 0, 0))\n"
    "    attempt('waitid', lambda: os.waitid(os.P_PID, victim, os.WEXITED | os.WNOHANG))\n"
    "    attempt('wait4', lambda: os.wait4(victim, os.WNOHANG))\n"
    "    print('self robust_list', sc(274, 0, A, A + 16))\n"
    "def descriptors():\n"
    "    src = os.open('/etc/passwd', os.O_RDONLY)\n"
    "    attempt('write0', lambda: os.write(0, b'pwned'))\n"
    "    attempt('pwrite0', lambda: os.pwrite(0, b'pwned', 0))\n"
    "    attempt('writev0', lambda: os.writev(0, [b'pwned']))\n"
    "    attempt('dup0', lambda: os.dup(0))\n"
    "    attempt('F_DUPFD0', lambda: fcntl.fcntl(0, fcntl.F_DUPFD, 3))\n"
    "    attempt('F_DUPFD_CLOEXEC0', lambda: fcntl.fcntl(0, 1030, 3))\n"
    "    attempt('dup2_onto_2', lambda: os.dup2(src, 2))\n"
    "    attempt('dup3_onto_1', lambda: sc(292, src, 1, 0))\n"
    "    # mmap(NULL, 4096, prot, MAP_SHARED, 0, 0) (not mmap.mmap(), which\n"
    "    # dup()s the descriptor first); a read-only shared mapping of a file\n"
    "    # opened read-write could be made writable with mprotect\n"
    "    attempt('mmap_shared0', lambda: scribble(sc(9, 0, 4096, 3, 1, 0, 0)))\n"
    "    attempt('mmap_shared0_ro', lambda: scribble(sc(9, 0, 4096, 1, 1, 0, 0), True))\n"
    "    # the kernel truncates mmap's fd to 32 bits: this is descriptor 0\n"
    "    attempt('mmap_shared0_hi', lambda: scribble(sc(9, 0, 4096, 3, 1, 1 << 32, 0)))\n"
    "    attempt('ftruncate0', lambda: os.ftruncate(0, 0))\n"
    "    attempt('fallocate0', lambda: sc(285, 0, 0, 0, 4096))\n"
    "    attempt('fchmod0', lambda: os.fchmod(0, 0o777))\n"
    "    attempt('fchown0', lambda: os.fchown(0, 1, 1))\n"
    "    attempt('fsetxattr0', lambda: os.setxattr(0, 'user.sysfence', b'x'))\n"
    "    attempt('sendfile0', lambda: os.sendfile(0, src, 0, 5))\n"
    "    attempt('splice0', lambda: os.splice(src, 0, 5))\n"
    "    attempt('copy_file_range0', lambda: os.copy_file_range(src, 0, 5))\n"
    "    # dup2(0, 1) last: if it worked, stdout would be stdin's file\n"
    "    attempt('dup2_0_1', lambda: os.dup2(0, 1))\n"
    "    print('still writing to stdout', len(mmap.mmap(-1, 4096)))\n"
    "def close_routes():\n"
    "    # close stdout, then try to put stdin's open file into the free slot;\n"
    "    # results go to stderr\n"
    "    os.close(1)\n"
    "    for name, fn in [('dup0_into_1', lambda: os.dup(0)),\n"
    "                     ('F_DUPFD0_into_1', lambda: fcntl.fcntl(0, fcntl.F_DUPFD, 0)),\n"
    "                     ('dup3_0_1', lambda: sc(292, 0, 1, 0))]:\n"
    "        fd = attempt(name, fn)\n"
    "        if fd is not None:\n"
    "            os.write(fd, b'pwned')\n"
    "    sc(436, 1, 2, 0)  # close_range(1, 2): stderr too\n"
    "    for fn in [lambda: os.dup(0), lambda: fcntl.fcntl(0, fcntl.F_DUPFD, 1)]:\n"
    "        try:\n"
    "            os.write(fn(), b'pwned')\n"
    "            os._exit(3)\n"
    "        except OSError as e:\n"
    "            if e.errno != 1:\n"
    "                os._exit(4)\n"
    "    os._exit(0)\n"
    "def execs():\n"
    "    attempt('execv', lambda: os.execv('/bin/sh', ['sh', '-c', 'echo shell-ran']))\n"
    "    attempt('execve', lambda: os.execve('/usr/bin/true', ['true'], {}))\n"
    "    attempt('execveat', lambda: sc(322, -100, 0, 0, 0, 0))\n"
    "    attempt('posix_spawn', lambda: os.posix_spawn('/usr/bin/true', ['true'], {}))\n"
    "    attempt('fork', os.fork)\n"
    "def namespace():\n"
    "    # under the README's bubblewrap recipe\n"
    "    print('root', sorted(os.listdir('/')))\n"
    "    print('procs', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
    "    attempt('read_etc', lambda: open('/etc/passwd').read())\n"
    "    attempt('kill', lambda: os.kill(victim, signal.SIGUSR1))\n"
    "    execs()\n"
    "{'signals': signals, 'sigio': sigio, 'priority': priority, 'affinity': affinity,\n"
    " 'scheduler': scheduler, 'rlimits': rlimits, 'groups': groups,\n"
    " 'internals': internals, 'descriptors': descriptors, 'close': close_routes,\n"
    " 'exec': execs, 'namespace': namespace}[family]()\n"
    "print('done', family, flush=True)\n";

static const char *sysfence_exec_path(void) {
  const char *p = getenv("SYSFENCE_EXEC");
  return p ? p : BUILDDIR "/src/sysfence-exec";
}

#define LAUNCHER POLICY_DIR "/python-sandbox-launch.py"
#define STDIN_TEXT "keep me\n"

typedef struct sandbox {
  char *dir, *py_bpf, *noexec_bpf, *script, *stdin_file;
  mode_t stdin_mode;
} sandbox;

static sandbox sandbox_new(void) {
  sandbox s;
  s.dir = tu_tmpdir();
  struct sock_fprog py = compile_policy("python-sandbox.policy");
  struct sock_fprog noexec = compile_policy("no-exec.policy");
  s.py_bpf = write_blob(s.dir, "py.bpf", &py);
  s.noexec_bpf = write_blob(s.dir, "no-exec.bpf", &noexec);
  free(py.filter);
  free(noexec.filter);
  s.script = tu_write(s.dir, "attack.py", attack_py);
  s.stdin_file = tu_write(s.dir, "stdin", STDIN_TEXT);
  struct stat st;
  ck_assert_int_eq(stat(s.stdin_file, &st), 0);
  s.stdin_mode = st.st_mode;
  return s;
}

static void sandbox_free(sandbox *s) {
  /* what the sandbox was given as stdin is unchanged */
  struct stat st;
  ck_assert_int_eq(stat(s->stdin_file, &st), 0);
  char *text = tu_read(s->stdin_file, NULL);
  ck_assert_msg(text && strcmp(text, STDIN_TEXT) == 0 &&
                    st.st_mode == s->stdin_mode,
                "the sandbox changed its stdin file: mode %o, \"%s\"",
                (unsigned)(st.st_mode & 07777), text ? text : "(gone)");
  free(text);
  tu_rmtree(s->dir);
  free(s->dir);
  free(s->py_bpf);
  free(s->noexec_bpf);
  free(s->script);
  free(s->stdin_file);
}

typedef struct launch_job {
  char *const *argv;
  const char *rw_stdin; /* reopened read-write as descriptor 0 */
} launch_job;

static int launch_child(void *arg) {
  const launch_job *j = arg;
  int fd = open(j->rw_stdin, O_RDWR);
  if (fd < 0 || dup2(fd, 0) < 0) return 120;
  if (fd != 0) close(fd);
  execve(j->argv[0], j->argv, clean_env);
  return 124;
}

typedef enum { VIA_SYSFENCE_EXEC, VIA_SYSFENCE_RUN } sandbox_via;

typedef struct sandbox_cmd {
  char *argv[20];
  char victim[24];
  launch_job job;
} sandbox_cmd;

/* The README's command lines, with "attack.py FAMILY VICTIM [EXTRA]". */
static void sandbox_cmd_init(sandbox_cmd *c, const sandbox *s, sandbox_via via,
                             const char *family, pid_t victim,
                             const char *extra) {
  size_t n = 0;
  if (via == VIA_SYSFENCE_EXEC) {
    c->argv[n++] = (char *)sysfence_exec_path();
    c->argv[n++] = s->py_bpf;
  } else {
    c->argv[n++] = (char *)tu_sysfence();
    c->argv[n++] = "run";
    c->argv[n++] = POLICY_DIR "/python-sandbox.policy";
  }
  snprintf(c->victim, sizeof c->victim, "%ld", (long)victim);
  char *rest[] = {"--", (char *)python(), "-I", LAUNCHER, s->noexec_bpf,
                  s->script, (char *)family, c->victim, (char *)extra, NULL};
  for (size_t i = 0; rest[i]; i++) c->argv[n++] = rest[i];
  c->argv[n] = NULL;
  c->job.argv = c->argv;
  c->job.rw_stdin = s->stdin_file;
}

static tu_result sandbox_run(const sandbox *s, sandbox_via via,
                             const char *family, pid_t victim) {
  sandbox_cmd c;
  sandbox_cmd_init(&c, s, via, family, victim, NULL);
  child ch = child_start(NULL, -1, launch_child, &c.job);
  return child_wait(&ch);
}

/* Every LINES[i] is in the output (stdout, or stderr for ON_STDERR), and
 * no attempt escaped. */
static void expect_lines(const tu_result *r, const char *const lines[],
                         int on_stderr, const char *what) {
  const char *text = on_stderr ? r->err : r->out;
  for (size_t i = 0; lines[i]; i++)
    if (!strstr(text, lines[i]))
      ck_abort_msg("%s: expected \"%s\"\n--- stdout:\n%s--- stderr:\n%s",
                   what, lines[i], r->out, r->err);
  ck_assert_msg(!strstr(r->out, "ESCAPED") && !strstr(r->err, "ESCAPED"),
                "%s: an attempt escaped:\n%s%s", what, r->out, r->err);
}

/* ---- the victim: a process the sandbox must not be able to touch --------- */

typedef struct victim {
  pid_t pid;
  int signals; /* read end: one byte per signal the victim received */
} victim;

typedef struct victim_state {
  int nice, policy, priority;
  long ioprio;
  pid_t pgid, sid;
  cpu_set_t cpus;
  struct rlimit lim[RLIM_NLIMITS];
} victim_state;

static int victim_note_fd = -1; /* in the victim process only */

static void victim_note(int sig) {
  unsigned char c = (unsigned char)sig;
  if (write(victim_note_fd, &c, 1) < 0) _exit(99);
}

/* A forked child in a session of its own (no terminal signals) that
 * records every signal it gets and sleeps until killed (or the test
 * process dies). */
static victim victim_start(void) {
  int p[2];
  ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(p[0]);
    victim_note_fd = p[1];
    if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(98);
    struct sigaction sa = {.sa_handler = victim_note};
    sigfillset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
      if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, NULL);
    unsigned char ready = 0;
    if (write(p[1], &ready, 1) != 1) _exit(97);
    for (int i = 0; i < 120; i++) sleep(1);
    _exit(0);
  }
  close(p[1]);
  unsigned char ready = 1;
  ck_assert_int_eq(read(p[0], &ready, 1), 1);
  ck_assert_int_eq(ready, 0);
  ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
  return (victim){pid, p[0]};
}

static victim_state victim_state_of(pid_t pid) {
  victim_state s;
  memset(&s, 0, sizeof s);
  errno = 0;
  s.nice = getpriority(PRIO_PROCESS, (id_t)pid);
  ck_assert_int_eq(errno, 0);
  ck_assert_int_eq(sched_getaffinity(pid, sizeof s.cpus, &s.cpus), 0);
  for (int r = 0; r < RLIM_NLIMITS; r++)
    ck_assert_int_eq(prlimit(pid, r, NULL, &s.lim[r]), 0);
  s.policy = sched_getscheduler(pid);
  ck_assert_int_ge(s.policy, 0);
  struct sched_param sp;
  ck_assert_int_eq(sched_getparam(pid, &sp), 0);
  s.priority = sp.sched_priority;
  s.ioprio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pid);
  ck_assert_int_ge(s.ioprio, 0);
  s.pgid = getpgid(pid);
  s.sid = getsid(pid);
  return s;
}

/* The victim is alive, got no signal, and is as it was. */
static void victim_check(const victim *v, const victim_state *before,
                         const char *what) {
  int st = 0;
  ck_assert_msg(waitpid(v->pid, &st, WNOHANG) == 0,
                "%s: the victim died (status %#x)", what, st);
  /* a signal sent is delivered at once, but give its handler time to run */
  struct pollfd pfd = {v->signals, POLLIN, 0};
  (void)poll(&pfd, 1, 300);
  unsigned char sig = 0;
  ssize_t n = read(v->signals, &sig, 1);
  ck_assert_msg(n < 0 && errno == EAGAIN,
                "%s: the victim received signal %d", what, sig);
  victim_state now = victim_state_of(v->pid);
  ck_assert_msg(now.nice == before->nice, "%s: victim's nice %d -> %d", what,
                before->nice, now.nice);
  ck_assert_msg(CPU_EQUAL(&now.cpus, &before->cpus),
                "%s: victim's CPU affinity changed", what);
  for (int r = 0; r < RLIM_NLIMITS; r++)
    ck_assert_msg(now.lim[r].rlim_cur == before->lim[r].rlim_cur &&
                      now.lim[r].rlim_max == before->lim[r].rlim_max,
                  "%s: victim's rlimit %d changed", what, r);
  ck_assert_msg(now.policy == before->policy &&
                    now.priority == before->priority,
                "%s: victim's scheduler %d/%d -> %d/%d", what, before->policy,
                before->priority, now.policy, now.priority);
  ck_assert_msg(now.ioprio == before->ioprio, "%s: victim's ioprio %#lx -> %#lx",
                what, before->ioprio, now.ioprio);
  ck_assert_msg(now.pgid == before->pgid && now.sid == before->sid,
                "%s: victim's process group or session changed", what);
}

static void victim_stop(victim *v) {
  kill(v->pid, SIGKILL);
  waitpid(v->pid, NULL, 0);
  close(v->signals);
}

/* Run FAMILY against a fresh victim through sysfence-exec and the launcher;
 * every line of EXPECT must appear, and the victim must be untouched. */
static void attack_victim(const char *family, const char *const expect[]) {
  sandbox s = sandbox_new();
  victim v = victim_start();
  victim_state before = victim_state_of(v.pid);
  tu_result r = sandbox_run(&s, VIA_SYSFENCE_EXEC, family, v.pid);
  char what[100];
  snprintf(what, sizeof what, "python-sandbox, %s", family);
  EXPECT_EXIT(r, 0, what);
  expect_lines(&r, expect, 0, what);
  char done[100];
  snprintf(done, sizeof done, "done %s\n", family);
  EXPECT_OUT(r, done, what);
  victim_check(&v, &before, what);
  tu_result_free(&r);
  victim_stop(&v);
  sandbox_free(&s);
}

#define ATTACK_TEST(test, family, ...)                                        \
  START_TEST(test) {                                                          \
    NEED_PYTHON(#test);                                                       \
    (void)py;                                                                 \
    static const char *const expect[] = {__VA_ARGS__, NULL};                  \
    attack_victim(family, expect);                                            \
  }                                                                           \
  END_TEST

/* Signals are refused outright, to the sandbox itself too (a filter cannot
 * tell its own pid from another). */
ATTACK_TEST(sandbox_signals, "signals", "refused kill 1\n", "refused killpg 1\n",
            "refused tkill 1\n", "refused tgkill 1\n",
            "refused rt_sigqueueinfo 1\n", "refused rt_tgsigqueueinfo 1\n",
            "refused pidfd_open 1\n", "refused pidfd_send_signal 1\n",
            "refused kill_self 1\n", "refused raise 1\n", "self signals 0\n")

ATTACK_TEST(sandbox_priority, "priority", "refused getpriority 1\n",
            "refused getpriority_pgrp 1\n", "refused getpriority_user 1\n",
            "refused setpriority 1\n", "refused setpriority_pgrp 1\n",
            "self priority 0\n")

ATTACK_TEST(sandbox_affinity, "affinity", "refused sched_getaffinity 1\n",
            "refused sched_setaffinity 1\n", "self affinity True\n")

ATTACK_TEST(sandbox_scheduler, "scheduler", "refused sched_getscheduler 1\n",
            "refused sched_getparam 1\n", "refused sched_setscheduler 1\n",
            "refused sched_setparam 1\n", "refused sched_setattr 1\n",
            "refused sched_getattr 1\n", "refused sched_rr_get_interval 1\n",
            "refused ioprio_get 1\n", "refused ioprio_set 1\n",
            "self scheduler 0 0\n")

ATTACK_TEST(sandbox_rlimits, "rlimits", "refused prlimit_get 1\n",
            "refused prlimit_set 1\n", "refused prlimit_set_cpu 1\n",
            "self rlimit True\n")

ATTACK_TEST(sandbox_groups, "groups", "refused getpgid 1\n",
            "refused getsid 1\n", "refused setpgid 1\n",
            "self groups True True\n")

/* wait4 and waitid stay allowed (bubblewrap's init needs them) but only
 * reach the caller's children: ECHILD. */
ATTACK_TEST(sandbox_internals, "internals", "refused get_robust_list 1\n",
            "refused capget 1\n", "refused kcmp 1\n",
            "refused migrate_pages 1\n", "refused move_pages 1\n",
            "refused process_madvise 1\n", "refused process_mrelease 1\n",
            "refused waitid 10\n", "refused wait4 10\n",
            "self robust_list 0\n")

/* SIGIO: an owner and O_ASYNC on a FIFO the script opened read-only; the
 * test writes into the FIFO once the script is "armed". */
START_TEST(sandbox_sigio) {
  NEED_PYTHON("sandbox_sigio");
  (void)py;
  sandbox s = sandbox_new();
  char fifo[4200];
  snprintf(fifo, sizeof fifo, "%s/fifo", s.dir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  int w = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ck_assert_int_ge(w, 0);
  victim v = victim_start();
  victim_state before = victim_state_of(v.pid);
  sandbox_cmd c;
  sandbox_cmd_init(&c, &s, VIA_SYSFENCE_EXEC, "sigio", v.pid, fifo);
  child ch = child_start(NULL, -1, launch_child, &c.job);
  int armed = 0;
  for (int i = 0; i < 300 && !armed; i++) {
    char *out = tu_read(ch.out_path, NULL);
    armed = out && strstr(out, "armed\n");
    free(out);
    if (!armed) usleep(50000);
  }
  ck_assert_int_eq(write(w, "x", 1), 1);
  tu_result r = child_wait(&ch);
  ck_assert_msg(armed, "the script never got ready:\n%s%s", r.out, r.err);
  EXPECT_EXIT(r, 0, "python-sandbox, sigio");
  static const char *const expect[] = {
      "refused F_SETOWN 1\n",  "refused F_SETOWN_EX 1\n",
      "refused F_SETSIG 1\n",  "refused O_ASYNC 1\n",
      "refused FIOSETOWN 1\n", "refused SIOCSPGRP 1\n",
      "refused FIOASYNC 1\n",  "refused TIOCSPGRP 1\n",
      "refused TIOCSTI 1\n",   "done sigio\n",
      NULL};
  expect_lines(&r, expect, 0, "python-sandbox, sigio");
  victim_check(&v, &before, "python-sandbox, sigio");
  tu_result_free(&r);
  close(w);
  victim_stop(&v);
  sandbox_free(&s);
}
END_TEST

/* Writes go to descriptors 1 and 2 only: stdin, a file opened read-write,
 * can be neither written nor moved to a descriptor that can (sandbox_free
 * checks that the file is unchanged). */
START_TEST(sandbox_descriptors) {
  NEED_PYTHON("sandbox_descriptors");
  (void)py;
  sandbox s = sandbox_new();
  tu_result r = sandbox_run(&s, VIA_SYSFENCE_EXEC, "descriptors", getpid());
  EXPECT_EXIT(r, 0, "python-sandbox, descriptors");
  static const char *const expect[] = {
      "refused write0 9\n",        "refused pwrite0 9\n",
      "refused writev0 9\n",       "refused dup0 1\n",
      "refused F_DUPFD0 1\n",      "refused F_DUPFD_CLOEXEC0 1\n",
      "refused dup2_onto_2 1\n",   "refused dup3_onto_1 1\n",
      "refused mmap_shared0 1\n",  "refused mmap_shared0_ro 1\n",
      "refused mmap_shared0_hi 1\n",
      "refused ftruncate0 1\n",    "refused fallocate0 1\n",
      "refused fchmod0 1\n",       "refused fchown0 1\n",
      "refused fsetxattr0 1\n",    "refused sendfile0 1\n",
      "refused splice0 1\n",       "refused copy_file_range0 1\n",
      "refused dup2_0_1 1\n",      "still writing to stdout 4096\n",
      "done descriptors\n",        NULL};
  expect_lines(&r, expect, 0, "python-sandbox, descriptors");
  tu_result_free(&r);

  /* close(1) or close_range(1, 2), then stdin into the free slot (the
   * script exits 3 or 4 if the close_range route worked) */
  r = sandbox_run(&s, VIA_SYSFENCE_EXEC, "close", getpid());
  EXPECT_EXIT(r, 0, "python-sandbox, close routes");
  static const char *const close_expect[] = {
      "refused dup0_into_1 1\n", "refused F_DUPFD0_into_1 1\n",
      "refused dup3_0_1 1\n", NULL};
  expect_lines(&r, close_expect, 1, "python-sandbox, close routes");
  tu_result_free(&r);
  sandbox_free(&s);
}
END_TEST

static const char *const exec_refused[] = {
    "refused execv 1\n",       "refused execve 1\n", "refused execveat 1\n",
    "refused posix_spawn 1\n", "refused fork 1\n",   NULL};

/* Exec is refused through sysfence-exec and through sysfence run (both
 * with the launcher); without its filter the launcher runs nothing. */
START_TEST(sandbox_exec) {
  NEED_PYTHON("sandbox_exec");
  (void)py;
  sandbox s = sandbox_new();
  static const sandbox_via vias[] = {VIA_SYSFENCE_EXEC, VIA_SYSFENCE_RUN};
  static const char *const names[] = {"sysfence-exec", "sysfence run"};
  for (size_t i = 0; i < 2; i++) {
    tu_result r = sandbox_run(&s, vias[i], "exec", getpid());
    EXPECT_EXIT(r, 0, names[i]);
    expect_lines(&r, exec_refused, 0, names[i]);
    EXPECT_OUT(r, "done exec\n", names[i]);
    ck_assert_msg(!strstr(r.out, "shell-ran"), "%s: exec worked", names[i]);
    tu_result_free(&r);

    sandbox_cmd c;
    sandbox_cmd_init(&c, &s, vias[i], "exec", getpid(), NULL);
    for (size_t k = 0; c.argv[k]; k++)
      if (c.argv[k] == s.noexec_bpf) c.argv[k] = "/nonexistent/no-exec.bpf";
    child ch = child_start(NULL, -1, launch_child, &c.job);
    r = child_wait(&ch);
    EXPECT_EXIT(r, 125, names[i]);
    ck_assert_msg(!strstr(r.out, "refused") && !strstr(r.out, "done"),
                  "%s: the script ran without no-exec.bpf:\n%s", names[i],
                  r.out);
    tu_result_free(&r);
  }
  sandbox_free(&s);
}
END_TEST

/* The README's bubblewrap recipe, word for word (the files in the test's
 * folder): namespaces hide the file system and other processes, the
 * filter and the launcher refuse exec and signals. */
static int recipe_child(void *arg) {
  char *const *argv = arg;
  execve(argv[0], argv, clean_env);
  return 124;
}

static int bwrap_recipe_usable(void) {
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    tu_skip("sandbox_bubblewrap", "%s", "/usr/bin/bwrap missing (install bubblewrap)");
    return 0;
  }
  char buf[32];
  ssize_t a = readlink("/lib", buf, sizeof buf - 1);
  ssize_t b = readlink("/lib64", buf, sizeof buf - 1);
  if (a < 0 || b < 0 || access("/usr/bin/python3", X_OK) != 0) {
    tu_skip("sandbox_bubblewrap", "%s", "the recipe needs a merged /usr (/lib "
                "and /lib64 links into /usr) and /usr/bin/python3");
    return 0;
  }
  char *probe[] = {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
                   "--new-session", "--ro-bind", "/usr", "/usr", "--symlink",
                   "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                   "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true",
                   NULL};
  tu_result r = tu_run(probe, NULL);
  int ok = r.exited && r.status == 0;
  if (!ok) {
    fprintf(stderr, "bwrap: %s", r.err);
    tu_skip("sandbox_bubblewrap", "%s", "bwrap cannot create its sandbox here");
  }
  tu_result_free(&r);
  return ok;
}

START_TEST(sandbox_bubblewrap) {
  if (!bwrap_recipe_usable()) return;
  sandbox s = sandbox_new();
  victim v = victim_start();
  victim_state before = victim_state_of(v.pid);
  char pid[24];
  snprintf(pid, sizeof pid, "%ld", (long)v.pid);
  char *argv[] = {
      "/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--new-session",
      "--clearenv", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
      "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
      "--proc", "/proc", "--dev", "/dev",
      "--ro-bind", LAUNCHER, "/sandbox/launch.py",
      "--ro-bind", s.noexec_bpf, "/sandbox/no-exec.bpf",
      "--ro-bind", s.script, "/sandbox/script.py",
      "--seccomp", "9", "--", "/usr/bin/python3", "-I", "/sandbox/launch.py",
      "/sandbox/no-exec.bpf", "/sandbox/script.py", "namespace", pid, NULL};
  int fd = open(s.py_bpf, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  child ch = child_start(NULL, fd, recipe_child, argv);
  close(fd);
  tu_result r = child_wait(&ch);
  EXPECT_EXIT(r, 0, "the README's bubblewrap recipe");
  static const char *const expect[] = {
      "root ['bin', 'dev', 'lib', 'lib64', 'proc', 'sandbox', 'usr']\n",
      "procs [1, 2]\n", "refused read_etc 2\n", "refused kill 1\n",
      "done namespace\n", NULL};
  expect_lines(&r, expect, 0, "the README's bubblewrap recipe");
  expect_lines(&r, exec_refused, 0, "the README's bubblewrap recipe");
  ck_assert_msg(!strstr(r.out, "shell-ran"), "exec worked:\n%s", r.out);
  victim_check(&v, &before, "the README's bubblewrap recipe");
  tu_result_free(&r);
  victim_stop(&v);
  sandbox_free(&s);
}
END_TEST

/* ---- network-client ---------------------------------------------------------- */

static const char client_py[] =
    "import os, socket, sys\n"
    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)\n"
    "s.sendall(b'hello'); print('reply', s.recv(100).decode()); s.close()\n"
    "def attempt(name, fn):\n"
    "    try:\n"
    "        fn(); print('ESCAPED', name)\n"
    "    except OSError as e:\n"
    "        print('refused', name, e.errno)\n"
    "attempt('bind', lambda: socket.socket().bind(('127.0.0.1', 0)))\n"
    "attempt('listen', lambda: socket.socket().listen())\n"
    "attempt('accept', lambda: socket.socket().accept())\n"
    "attempt('netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW))\n"
    "attempt('raw', lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1))\n"
    "attempt('packet', lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))\n"
    "attempt('fork', os.fork)\n"
    "attempt('open_write', lambda: open('/tmp/sysfence-network-client', 'w'))\n"
    "u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.close()\n"
    "print('done')\n";

START_TEST(network_client) {
  struct sock_fprog p = compile_policy("network-client.policy");

  /* cat works */
  char *cat[] = {"/bin/cat", "/etc/passwd", NULL};
  tu_result r = run_under(&p, cat, NULL);
  EXPECT_EXIT(r, 0, "cat under network-client");
  ck_assert_msg(strncmp(r.out, "root:", 5) == 0, "cat: %s", r.out);
  tu_result_free(&r);

  NEED_PYTHON("network_client (python part)");
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(srv, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(srv, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(srv, 1), 0);
  socklen_t alen = sizeof a;
  ck_assert_int_eq(getsockname(srv, (struct sockaddr *)&a, &alen), 0);
  char port[16];
  snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
  char *argv[] = {(char *)py, "-I", "-c", (char *)client_py, port, NULL};
  exec_job j = {&p, argv};
  child c = child_start(NULL, -1, exec_child, &j);
  struct pollfd pfd = {srv, POLLIN, 0};
  int ready = poll(&pfd, 1, 15000);
  char buf[16] = "";
  if (ready == 1) {
    int conn = accept(srv, NULL, NULL);
    ck_assert_int_ge(conn, 0);
    ssize_t n = read(conn, buf, 5);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(write(conn, "world", 5), 5);
    close(conn);
  }
  close(srv);
  r = child_wait(&c);
  ck_assert_msg(ready == 1, "the client never connected:\n%s%s", r.out, r.err);
  ck_assert_str_eq(buf, "hello");
  EXPECT_EXIT(r, 0, "python client under network-client");
  EXPECT_OUT(r, "reply world\n", "python client");
  static const struct {
    const char *name;
    int err;
  } refused[] = {{"bind", EPERM},    {"listen", EPERM}, {"accept", EPERM},
                 {"netlink", EPERM}, {"raw", EPERM},    {"packet", EPERM},
                 {"fork", EPERM},    {"open_write", EACCES}};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    char line[100];
    snprintf(line, sizeof line, "refused %s %d\n", refused[i].name,
             refused[i].err);
    EXPECT_OUT(r, line, refused[i].name);
  }
  ck_assert_msg(strstr(r.out, "ESCAPED") == NULL, "%s", r.out);
  EXPECT_OUT(r, "done\n", "python client");
  tu_result_free(&r);
  free(p.filter);
}
END_TEST

/* ---- no-network ------------------------------------------------------------- */

START_TEST(no_network) {
  struct sock_fprog p = compile_policy("no-network.policy");
  char *ls[] = {"/bin/ls", "/", NULL};
  tu_result r = run_under(&p, ls, NULL);
  EXPECT_EXIT(r, 0, "ls under no-network");
  EXPECT_OUT(r, "usr\n", "ls under no-network");
  tu_result_free(&r);

  char *sh_true[] = {"/bin/sh", "-c", "true", NULL};
  r = run_under(&p, sh_true, NULL);
  EXPECT_EXIT(r, 0, "sh -c true under no-network");
  tu_result_free(&r);

  char *sh_pipe[] = {"/bin/sh", "-c", "cat | tr a-z A-Z && /bin/true && echo piped",
                     NULL};
  r = run_under(&p, sh_pipe, "abc\n");
  EXPECT_EXIT(r, 0, "a shell pipeline under no-network");
  ck_assert_str_eq(r.out, "ABC\npiped\n");
  tu_result_free(&r);

  expect_errno(CALLP(&p, SYS_socket, AF_INET, SOCK_STREAM, 0), EACCES,
               "no-network: socket(AF_INET)");
  expect_errno(CALLP(&p, SYS_socket, AF_NETLINK, SOCK_RAW, 0), EACCES,
               "no-network: socket(AF_NETLINK)");
  /* junk in the upper half of the int argument does not help */
  expect_errno(CALLP(&p, SYS_socket, 0x100000000ULL | AF_INET, SOCK_STREAM, 0),
               EACCES, "no-network: socket(AF_INET | junk)");
  expect_runs(CALLP(&p, SYS_socket, AF_UNIX, SOCK_STREAM, 0),
              "no-network: socket(AF_UNIX)");
  expect_errno(CALLP(&p, SYS_io_uring_setup, 1, 0), EPERM,
               "no-network: io_uring_setup");
  expect_abi_kills(&p, "no-network");

  NEED_PYTHON("no_network (python part)");
  char *py_inet[] = {(char *)py, "-I", "-c",
                     "import socket\n"
                     "u = socket.socket(socket.AF_UNIX); a, b = socket.socketpair()\n"
                     "print('unix ok')\n"
                     "try:\n"
                     "    socket.socket()\n"
                     "    print('ESCAPED')\n"
                     "except PermissionError as e:\n"
                     "    print('refused', e.errno)\n"
                     "socket.socket(socket.AF_INET6)\n",
                     NULL};
  r = run_under(&p, py_inet, NULL);
  EXPECT_EXIT(r, 1, "python socket() under no-network");
  ck_assert_str_eq(r.out, "unix ok\nrefused 13\n");
  ck_assert_msg(strstr(r.err, "PermissionError") != NULL, "%s", r.err);
  tu_result_free(&r);
  free(p.filter);
}
END_TEST

/* ---- bubblewrap --seccomp ---------------------------------------------------- */

typedef struct bwrap_job {
  char *const *argv;
} bwrap_job;

static int bwrap_child(void *arg) {
  const bwrap_job *j = arg;
  execve(j->argv[0], j->argv, clean_env);
  return 124;
}

static tu_result run_bwrap(const char *blob, char *const cmd[]) {
  char *argv[32] = {"/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
                    "--seccomp", "9", "--"};
  size_t n = 9;
  for (size_t i = 0; cmd[i] && n < 31; i++) argv[n++] = cmd[i];
  argv[n] = NULL;
  int fd = open(blob, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  bwrap_job j = {argv};
  child c = child_start(NULL, fd, bwrap_child, &j);
  close(fd);
  return child_wait(&c);
}

START_TEST(bubblewrap) {
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    tu_skip("bubblewrap", "/usr/bin/bwrap missing (install bubblewrap)");
    return;
  }
  char *probe[] = {"/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
                   "--", "/bin/true", NULL};
  tu_result r = tu_run(probe, NULL);
  if (!(r.exited && r.status == 0)) {
    fprintf(stderr, "bwrap: %s", r.err);
    tu_skip("bubblewrap", "bwrap cannot create its sandbox here");
    tu_result_free(&r);
    return;
  }
  tu_result_free(&r);

  char *dir = tu_tmpdir();
  struct sock_fprog nonet = compile_policy("no-network.policy");
  char *blob = write_blob(dir, "no-network.bpf", &nonet);
  char *sh[] = {"/bin/sh", "-c", "ls / | grep -c usr && echo bwrap-ok", NULL};
  r = run_bwrap(blob, sh);
  EXPECT_EXIT(r, 0, "bwrap --seccomp no-network: sh");
  ck_assert_str_eq(r.out, "1\nbwrap-ok\n");
  tu_result_free(&r);
  /* the filter is really in place: a denied call is refused */
  const char *py = python();
  if (py) {
    char *pysock[] = {(char *)py, "-I", "-c",
                      "import socket\n"
                      "try:\n"
                      "    socket.socket(); print('ESCAPED')\n"
                      "except OSError as e:\n"
                      "    print('refused', e.errno)\n",
                      NULL};
    r = run_bwrap(blob, pysock);
    EXPECT_EXIT(r, 0, "bwrap --seccomp no-network: python");
    ck_assert_str_eq(r.out, "refused 13\n");
    tu_result_free(&r);

    struct sock_fprog pys = compile_policy("python-sandbox.policy");
    char *pyblob = write_blob(dir, "python-sandbox.bpf", &pys);
    char *pywork[] = {(char *)py, "-I", "-c",
                      "import json, os\n"
                      "print(json.dumps(sum(range(100))))\n"
                      "try:\n"
                      "    os.fork(); print('ESCAPED')\n"
                      "except OSError as e:\n"
                      "    print('refused', e.errno)\n",
                      NULL};
    r = run_bwrap(pyblob, pywork);
    EXPECT_EXIT(r, 0, "bwrap --seccomp python-sandbox");
    ck_assert_str_eq(r.out, "4950\nrefused 1\n");
    tu_result_free(&r);
    free(pyblob);
    free(pys.filter);
  } else {
    tu_skip("bubblewrap (python part)", "no python3 found (install the python3 package)");
  }
  free(blob);
  free(nonet.filter);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- the C header output ---------------------------------------------------- */

static const char header_test_c[] =
    "#define _GNU_SOURCE\n"
    "#include <errno.h>\n"
    "#include <linux/seccomp.h>\n"
    "#include <stdio.h>\n"
    "#include <sys/prctl.h>\n"
    "#include <sys/socket.h>\n"
    "#include <sys/syscall.h>\n"
    "#include <unistd.h>\n"
    "#include \"nonet.h\"\n"
    "int main(int argc, char **argv) {\n"
    "  if (argc != 2) return 2;\n"
    "  FILE *f = fopen(argv[1], \"wb\");\n"
    "  if (!f || fwrite(nonet, sizeof nonet[0], nonet_LEN, f) != nonet_LEN ||\n"
    "      fclose(f) != 0) return 3;\n"
    "  struct sock_fprog prog = {.len = nonet_LEN,\n"
    "                            .filter = (struct sock_filter *)nonet};\n"
    "  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||\n"
    "      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 4;\n"
    "  errno = 0;\n"
    "  int s = socket(AF_INET, SOCK_STREAM, 0);\n"
    "  printf(\"inet %d %d\\n\", s, errno);\n"
    "  s = socket(AF_UNIX, SOCK_STREAM, 0);\n"
    "  printf(\"unix %d\\n\", s >= 0);\n"
    "  return 0;\n"
    "}\n";

static int socket_probe_child(void *arg) {
  if (install(arg) != 0) return 50;
  errno = 0;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("inet %d %d\n", s, errno);
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("unix %d\n", s >= 0);
  return fflush(stdout) == 0 ? 0 : 51;
}

START_TEST(c_header) {
  const char *cc = NULL;
  static const char *const ccs[] = {"/usr/bin/cc", "/usr/bin/gcc",
                                    "/usr/bin/clang"};
  for (size_t i = 0; i < 3 && !cc; i++)
    if (access(ccs[i], X_OK) == 0) cc = ccs[i];
  if (!cc) {
    tu_skip("c_header", "no C compiler (cc, gcc, clang) found");
    return;
  }
  char *dir = tu_tmpdir();
  char hdr[4200], src[4200], exe[4200], dump[4200];
  snprintf(hdr, sizeof hdr, "%s/nonet.h", dir);
  snprintf(exe, sizeof exe, "%s/t", dir);
  snprintf(dump, sizeof dump, "%s/dump.bpf", dir);
  char *policy = POLICY_DIR "/no-network.policy";
  char *gen[] = {(char *)tu_sysfence(), "compile", policy, "--format", "c",
                 "--name", "nonet", "-o", hdr, NULL};
  tu_result r = tu_run(gen, NULL);
  ck_assert_msg(r.exited && r.status == 0, "sysfence compile --format c: %s",
                r.err);
  tu_result_free(&r);
  char *srcp = tu_write(dir, "t.c", header_test_c);
  snprintf(src, sizeof src, "%s", srcp);
  free(srcp);
  char *build[] = {(char *)cc, "-std=c11", "-Wall", "-Wextra", "-Werror",
                   "-o", exe, src, NULL};
  r = tu_run(build, NULL);
  ck_assert_msg(r.exited && r.status == 0, "%s failed on the header:\n%s%s",
                cc, r.out, r.err);
  tu_result_free(&r);

  char *run[] = {exe, dump, NULL};
  tu_result from_header = run_under(NULL, run, NULL);
  EXPECT_EXIT(from_header, 0, "program built with the C header");

  /* the header holds exactly the raw blob's instructions */
  struct sock_fprog p = compile_policy("no-network.policy");
  size_t len = 0;
  char *bytes = tu_read(dump, &len);
  ck_assert_ptr_nonnull(bytes);
  ck_assert_uint_eq(len, p.len * sizeof p.filter[0]);
  ck_assert_int_eq(memcmp(bytes, p.filter, len), 0);
  free(bytes);

  /* and behaves like the raw blob installed directly */
  child c = child_start(NULL, -1, socket_probe_child, &p);
  tu_result from_blob = child_wait(&c);
  EXPECT_EXIT(from_blob, 0, "raw blob");
  ck_assert_str_eq(from_header.out, "inet -1 13\nunix 1\n");
  ck_assert_str_eq(from_blob.out, from_header.out);
  tu_result_free(&from_header);
  tu_result_free(&from_blob);
  free(p.filter);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static Suite *policies_suite(void) {
  Suite *s = suite_create("policies");
  TCase *tc = tcase_create("shipped");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, all_compile_silently);
  tcase_add_test(tc, docker_equivalent_to_corpus);
  tcase_add_test(tc, docker_runs_programs);
  tcase_add_test(tc, stdio_only_worker);
  tcase_add_test(tc, python_sandbox);
  tcase_add_test(tc, sandbox_signals);
  tcase_add_test(tc, sandbox_sigio);
  tcase_add_test(tc, sandbox_priority);
  tcase_add_test(tc, sandbox_affinity);
  tcase_add_test(tc, sandbox_scheduler);
  tcase_add_test(tc, sandbox_rlimits);
  tcase_add_test(tc, sandbox_groups);
  tcase_add_test(tc, sandbox_internals);
  tcase_add_test(tc, sandbox_descriptors);
  tcase_add_test(tc, sandbox_exec);
  tcase_add_test(tc, sandbox_bubblewrap);
  tcase_add_test(tc, network_client);
  tcase_add_test(tc, no_network);
  tcase_add_test(tc, bubblewrap);
  tcase_add_test(tc, c_header);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (!tu_seccomp_available())
    tu_skip_program_no_seccomp("the shipped policies were not run");
  /* Children die by SIGSYS on purpose: no core files. */
  struct rlimit nocore = {0, 0};
  setrlimit(RLIMIT_CORE, &nocore);
  return tu_run_suite(policies_suite());
}

#else /* not x86_64 */

int main(void) {
  tu_skip_program("the shipped policies are tested on x86_64 hosts only");
}

#endif
