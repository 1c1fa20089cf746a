/* check_trace.c - the SECCOMP_RET_USER_NOTIF supervisor on this kernel:
 * 'sysfence trace' on real programs (a shell pipeline, CPython with
 * threads, a program that forks and execs, one that dies of a signal, an
 * interrupted blocking read), the trace -> run round trip, and the reports
 * of 'sysfence run --audit', '--report' and of a policy's USER_NOTIF
 * rules, each mode on the same four kinds of program (a pipeline whose
 * grandchild execs, CPython, a threaded C program, a 32-bit one).  Every
 * filter is installed by a sysfence process this test starts (a child),
 * never in the test itself. */
#include <check.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testutil.h"

#define PY "/usr/bin/python3"

/* USER_NOTIF with FLAG_CONTINUE (Linux 5.5): 'sysfence trace' runs 'true'.
 * 0 if not, after a loud skip of TEST. */
static int have_notify(const char *test) {
  if (!tu_seccomp_available()) {
    tu_skip_no_seccomp(test);
    return 0;
  }
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    tu_skip(test, "the kernel lacks SECCOMP_RET_USER_NOTIF (seccomp: %s)",
            strerror(errno));
    return 0;
  }
  tu_result r = tu_sh("'%s' trace -o /dev/null -- true 2>&1", tu_sysfence());
  int ok = r.exited && r.status == 0;
  if (!ok) tu_skip(test, "'sysfence trace -- true' failed here: %s", r.out);
  tu_result_free(&r);
  return ok;
}

static int have_python(const char *test) {
  if (access(PY, X_OK) == 0) return 1;
  tu_skip(test, "%s is not there", PY);
  return 0;
}

#define NEED(test)                                                              \
  do {                                                                         \
    if (!have_notify(test)) return;                                            \
  } while (0)

/* NEED, and python3 as well. */
#define NEED_PYTHON(test)                                                       \
  do {                                                                         \
    if (!have_notify(test) || !have_python(test)) return;                      \
  } while (0)

static void expect_status(const tu_result *r, int status, const char *what) {
  ck_assert_msg(r->exited && r->status == status,
                "%s: expected exit %d, got %s %d\nstdout: %s\nstderr: %s", what,
                status, r->exited ? "exit" : "signal", r->status, r->out, r->err);
}

static void expect_has(const char *text, const char *part, const char *what) {
  ck_assert_msg(strstr(text, part), "%s: '%s' not in:\n%s", what, part, text);
}

static char *read_text(const char *path) {
  size_t len;
  char *t = tu_read(path, &len);
  ck_assert_msg(t, "cannot read %s", path);
  return t;
}

/* trace COMMAND (a shell command line) into DIR/NAME; returns its result. */
static tu_result trace(const char *policy, const char *command) {
  return tu_sh("'%s' trace -o '%s' -- /bin/sh -c '%s'", tu_sysfence(), policy, command);
}

static tu_result run_under(const char *opts, const char *policy, const char *command) {
  return tu_sh("'%s' run %s '%s' -- /bin/sh -c '%s'", tu_sysfence(), opts, policy,
               command);
}

/* sysfence SUB 'POLICY' -- python3 'SCRIPT' (SUB "trace -o", "run",
 * "run --audit"...): its result, which exited with STATUS and wrote OUT. */
static tu_result script_under(const char *sub, const char *policy, const char *script,
                              int status, const char *out, const char *what) {
  tu_result r = tu_sh("'%s' %s '%s' -- %s '%s'", tu_sysfence(), sub, policy, PY, script);
  expect_status(&r, status, what);
  ck_assert_str_eq(r.out, out);
  return r;
}

/* script_under, when the result needs no other check. */
static void expect_script(const char *sub, const char *policy, const char *script,
                          int status, const char *out, const char *what) {
  tu_result r = script_under(sub, policy, script, status, out, what);
  tu_result_free(&r);
}

/* A full disk costs the policy, not the command's status (and /dev/full
 * stays the device: written in place, never renamed over). */
static void expect_full_disk(void) {
  tu_result r = tu_sh("'%s' trace -o /dev/full -- /bin/sh -c 'exit 6'", tu_sysfence());
  expect_status(&r, 6, "trace -o /dev/full");
  expect_has(r.err, "cannot write the policy to '/dev/full': No space left on device",
             "the error");
  tu_result_free(&r);
  struct stat st;
  ck_assert_msg(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode), "/dev/full replaced");
}

/* The policy compiles as it is. */
static void expect_compiles(const char *policy) {
  tu_result r = tu_sh("'%s' compile -o /dev/null '%s'", tu_sysfence(), policy);
  expect_status(&r, 0, "the written policy compiles");
  tu_result_free(&r);
}

/* ---- trace ------------------------------------------------------------------ */

START_TEST(trace_pipeline_round_trip) {
  NEED("trace_pipeline_round_trip");
  char *dir = tu_tmpdir();
  char policy[512], made[512];
  snprintf(policy, sizeof policy, "%s/pipe.policy", dir);
  snprintf(made, sizeof made, "%s/made", dir);
  tu_result r = trace(policy, "ls / | wc -l; exit 3");
  expect_status(&r, 3, "trace gives the command's status");
  ck_assert_msg(atoi(r.out) > 0, "wc's output: %s", r.out);
  char *count = strdup(r.out);
  tu_result_free(&r);
  char *text = read_text(policy);
  expect_has(text, "DEFAULT KILL_PROCESS", "the default");
  expect_has(text, "POLICY program_start", "grouped");
  /* ls and wc start in either order. */
  expect_has(text, "execve, // 3 calls, starting: sh, ", "execs counted and named");
  const char *exec_line = strstr(text, "execve, //");
  const char *eol = strchr(exec_line, '\n');
  ck_assert_msg(eol && memmem(exec_line, (size_t)(eol - exec_line), " ls", 3) &&
                    memmem(exec_line, (size_t)(eol - exec_line), " wc", 3),
                "ls and wc started:\n%s", text);
  expect_has(text, "clone { (clone_flags == 0x", "clone flags checked");
  expect_has(text, "wait4", "the shell waits");
  ck_assert_msg(!strstr(text, "sendmsg"), "the set-up call is not in the policy:\n%s", text);
  ck_assert_msg(!strstr(text, "mkdir"), "mkdir was never called:\n%s", text);
  expect_compiles(policy);
  /* The same workload under the policy: same output, same status. */
  r = run_under("", policy, "ls / | wc -l; exit 3");
  expect_status(&r, 3, "the traced workload under its policy");
  ck_assert_str_eq(r.out, count);
  tu_result_free(&r);
  /* A call it never made: mkdir(2) kills mkdir(1) (SIGSYS: 128 + 31). */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "ls / | wc -l; mkdir %s", made);
  r = run_under("", policy, cmd);
  expect_status(&r, 159, "mkdir under the traced policy");
  struct stat st;
  ck_assert_msg(stat(made, &st) != 0, "mkdir was not refused");
  tu_result_free(&r);
  free(text);
  free(count);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static const char py_threads[] =
    "import threading, os\n"
    "def work(): sum(range(20000)); os.getpid()\n"
    "ts = [threading.Thread(target=work) for i in range(16)]\n"
    "[t.start() for t in ts]; [t.join() for t in ts]\n"
    "print(\"threads ok\")\n";

START_TEST(trace_python_threads) {
  NEED_PYTHON("trace_python_threads");
  char *dir = tu_tmpdir();
  char *script = tu_write(dir, "threads.py", py_threads);
  char policy[512];
  snprintf(policy, sizeof policy, "%s/py.policy", dir);
  expect_script("trace -o", policy, script, 0, "threads ok\n", "python3 with 16 threads traced");
  char *text = read_text(policy);
  expect_has(text, "futex", "threads wait on futexes");
  expect_has(text, "mmap { (prot ==", "mmap's protections checked");
  expect_has(text, "python3", "the program is named");
  expect_compiles(policy);
  expect_script("run", policy, script, 0, "threads ok\n",
                "the threaded script under its policy");
  /* A call the script never made is refused. */
  tu_result r = tu_sh("'%s' run '%s' -- %s -c 'import os; os.mkdir(\"%s/d\")'", tu_sysfence(),
            policy, PY, dir);
  expect_status(&r, 159, "os.mkdir under the policy of the threaded script");
  tu_result_free(&r);
  free(text);
  free(script);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(trace_fork_exec_and_signals) {
  NEED_PYTHON("trace_fork_exec_and_signals");
  char *dir = tu_tmpdir();
  char policy[512];
  snprintf(policy, sizeof policy, "%s/fork.policy", dir);
  /* fork + exec from Python (subprocess), a child left behind. */
  tu_result r = tu_sh("'%s' trace -o '%s' -- %s -c 'import subprocess, os\n"
                      "subprocess.run([\"/bin/true\"])\n"
                      "if os.fork() == 0: os.execv(\"/bin/echo\", [\"echo\", \"child\"])\n"
                      "os.wait()'", tu_sysfence(), policy, PY);
  expect_status(&r, 0, "fork and exec traced");
  ck_assert_str_eq(r.out, "child\n");
  tu_result_free(&r);
  char *text = read_text(policy);
  expect_has(text, "starting: python3", "the first exec");
  expect_has(text, "true", "subprocess's exec");
  expect_has(text, "echo", "the forked child's exec");
  free(text);
  /* A command killed by a signal: 128 + SIGSEGV; the policy is written. */
  unlink(policy);
  r = trace(policy, "kill -SEGV $$");
  expect_status(&r, 139, "a command that dies of SIGSEGV");
  text = read_text(policy);
  expect_has(text, "kill", "kill(2) recorded");
  free(text);
  tu_result_free(&r);
  /* The supervisor killed: the command dies with it, even where it could
   * go on (here only getppid needs the supervisor). */
  char *notify = tu_write(dir, "n.policy", "USER_NOTIF { getppid }\nDEFAULT ALLOW\n");
  char alive[600];
  snprintf(alive, sizeof alive, "%s/alive", dir);
  r = tu_sh("'%s' run '%s' -- /bin/sh -c 'kill -9 $PPID; sleep 0.5; echo alive > %s'",
            tu_sysfence(), notify, alive);
  expect_status(&r, 137, "sysfence killed");
  tu_result_free(&r);
  usleep(1000 * 1000);
  struct stat st;
  ck_assert_msg(stat(alive, &st) != 0, "the command outlived its supervisor");
  free(notify);
  /* A child left running after the command exits is supervised, and
   * waited for: its output comes before trace ends. */
  r = trace(policy, "(sleep 0.3; echo late) & exit 0");
  expect_status(&r, 0, "a child left behind");
  ck_assert_str_eq(r.out, "late\n");
  tu_result_free(&r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A blocking read on a pipe, interrupted by SIGALRM whose handler raises. */
static const char py_interrupted[] =
    "import os, signal\n"
    "class Alarm(Exception): pass\n"
    "def h(s, f): raise Alarm()\n"
    "signal.signal(signal.SIGALRM, h)\n"
    "r, w = os.pipe()\n"
    "signal.setitimer(signal.ITIMER_REAL, 0.2)\n"
    "try:\n"
    "    os.read(r, 1)\n"
    "except Alarm:\n"
    "    print(\"interrupted\")\n";

START_TEST(trace_interrupted_read) {
  NEED_PYTHON("trace_interrupted_read");
  char *dir = tu_tmpdir();
  char *script = tu_write(dir, "intr.py", py_interrupted);
  char *allow = tu_write(dir, "allow.policy", "ERRNO(1) { mkdir }\nDEFAULT ALLOW\n");
  char policy[512];
  snprintf(policy, sizeof policy, "%s/intr.policy", dir);
  expect_script("trace -o", policy, script, 0, "interrupted\n", "interrupted read under trace");
  char *text = read_text(policy);
  expect_has(text, "setitimer", "the timer");
  expect_has(text, "rt_sigreturn", "the handler returned");
  free(text);
  /* Audit mode: read is allowed in the kernel, interrupted all the same. */
  expect_script("run --audit", allow, script, 0, "interrupted\n",
                "interrupted read under --audit");
  /* Every call supervised (USER_NOTIF) while the signal comes in. */
  char *notify = tu_write(dir, "notify.policy", "USER_NOTIF { read }\nDEFAULT ALLOW\n");
  tu_result r = script_under("run", notify, script, 0, "interrupted\n",
                             "interrupted notified read");
  expect_has(r.err, "notify: read(", "the notified read is reported");
  tu_result_free(&r);
  free(notify);
  free(allow);
  free(script);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(trace_options) {
  NEED("trace_options");
  char *dir = tu_tmpdir();
  char policy[512];
  snprintf(policy, sizeof policy, "%s/o.policy", dir);
  tu_result r = tu_sh("'%s' trace --default 'ERRNO(1)' -o '%s' -- /bin/true", tu_sysfence(),
                      policy);
  expect_status(&r, 0, "--default");
  tu_result_free(&r);
  char *text = read_text(policy);
  expect_has(text, "DEFAULT ERRNO(1)", "--default ERRNO(1)");
  free(text);
  r = tu_sh("'%s' trace --default BOGUS -- /bin/true", tu_sysfence());
  expect_status(&r, 125, "a bad --default");
  expect_has(r.err, "invalid --default action 'BOGUS'", "its message");
  tu_result_free(&r);
  r = tu_sh("'%s' trace -o /nonexistent/dir/p -- /bin/true", tu_sysfence());
  expect_status(&r, 125, "an -o that cannot be written, before running");
  tu_result_free(&r);
  r = tu_sh("'%s' trace -- /nonexistent-command", tu_sysfence());
  expect_status(&r, 127, "a command not found");
  tu_result_free(&r);
  /* Stdout is the default; with stderr closed the policy and the status
   * are still there. */
  r = tu_sh("'%s' trace -- /bin/sh -c 'exit 4' 2>&-", tu_sysfence());
  expect_status(&r, 4, "trace with stderr closed");
  expect_has(r.out, "DEFAULT KILL_PROCESS", "the policy on stdout");
  tu_result_free(&r);
  expect_full_disk();
  /* An existing policy is left as it was when the new one cannot be
   * written: a file size limit makes the write fail half-way (EFBIG), as a
   * full disk would. */
  char *old = tu_write(dir, "old.policy", "DEFAULT ALLOW\n");
  r = tu_sh("trap '' XFSZ; ulimit -f 1; '%s' trace -o '%s' -- /bin/sh -c 'exit 8'",
            tu_sysfence(), old);
  expect_status(&r, 8, "trace with a file size limit");
  expect_has(r.err, "cannot write the policy", "the error");
  text = read_text(old);
  ck_assert_str_eq(text, "DEFAULT ALLOW\n");
  free(text);
  free(old);
  tu_result_free(&r);
  r = tu_sh("'%s' trace --arch x86_64,i386 -o '%s' -- /bin/true && grep -c 'for x86_64,i386' '%s'",
            tu_sysfence(), policy, policy);
  expect_status(&r, 0, "--arch with two ABIs");
  tu_result_free(&r);
  expect_compiles(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The barrier makes the threads wait in futex(2) in every run: without it,
 * a run whose threads all ended before their joins made no futex call, and
 * its traced policy then killed a run that did. */
static const char threads_c[] =
    "#include <pthread.h>\n"
    "#include <stdio.h>\n"
    "#include <unistd.h>\n"
    "static pthread_barrier_t go;\n"
    "static void *work(void *p) {\n"
    "  (void)p;\n"
    "  pthread_barrier_wait(&go);\n"
    "  return (void *)(long)getpid();\n"
    "}\n"
    "int main(void) {\n"
    "  pthread_t t[8];\n"
    "  pthread_barrier_init(&go, NULL, 9);\n"
    "  for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, work, NULL);\n"
    "  pthread_barrier_wait(&go);\n"
    "  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);\n"
    "  printf(\"%d-bit threads ok\\n\", (int)(8 * sizeof(void *)));\n"
    "  return 0;\n"
    "}\n";

/* Build SOURCE with FLAGS into DIR/NAME: 0, or -1 after a loud skip. */
static int build_program(const char *test, const char *dir, const char *name,
                         const char *source, const char *flags) {
  char file[256];
  snprintf(file, sizeof file, "%s.c", name);
  char *src = tu_write(dir, file, source);
  tu_result r = tu_sh("cc %s -pthread -o '%s/%s' '%s' 2>&1", flags, dir, name, src);
  int ok = r.exited && r.status == 0;
  if (!ok) tu_skip(test, "cannot build a test program with 'cc %s': %s", flags, r.out);
  tu_result_free(&r);
  free(src);
  return ok ? 0 : -1;
}

static int build(const char *test, const char *dir, const char *name, const char *flags) {
  return build_program(test, dir, name, threads_c, flags);
}

START_TEST(trace_threaded_c_and_32bit) {
  NEED("trace_threaded_c_and_32bit");
  char *dir = tu_tmpdir();
  char policy[512];
  snprintf(policy, sizeof policy, "%s/c.policy", dir);
  if (build("trace_threaded_c_and_32bit", dir, "t64", "") == 0) {
    tu_result r = tu_sh("'%s' trace -o '%s' -- '%s/t64' && '%s' run '%s' -- '%s/t64'",
                        tu_sysfence(), policy, dir, tu_sysfence(), policy, dir);
    expect_status(&r, 0, "a threaded C program traced, then run under its policy");
    ck_assert_str_eq(r.out, "64-bit threads ok\n64-bit threads ok\n");
    tu_result_free(&r);
  }
  if (build("trace_threaded_c_and_32bit", dir, "t32", "-m32 -static") == 0) {
    /* Without i386 among the targets its calls are let through, unrecorded,
     * with a warning. */
    tu_result r = tu_sh("'%s' trace -o '%s' -- '%s/t32'", tu_sysfence(), policy, dir);
    expect_status(&r, 0, "a 32-bit program traced for x86_64 only");
    expect_has(r.err, "calls through an ABI that was not traced (AUDIT_ARCH 0x40000003)",
               "the warning");
    tu_result_free(&r);
    expect_full_disk();
    r = tu_sh("'%s' trace --arch x86_64,i386 -o '%s' -- '%s/t32' && "
              "'%s' run --arch x86_64,i386 '%s' -- '%s/t32'", tu_sysfence(), policy, dir,
              tu_sysfence(), policy, dir);
    expect_status(&r, 0, "a 32-bit program traced and run for x86_64,i386");
    ck_assert_str_eq(r.out, "32-bit threads ok\n32-bit threads ok\n");
    tu_result_free(&r);
    char *text = read_text(policy);
    expect_has(text, "mmap2", "i386's mmap2");
    free(text);
    /* Audit mode names the target that decided. */
    char *refuse = tu_write(dir, "getpid.policy", "ERRNO(1) { getpid }\nDEFAULT ALLOW\n");
    r = tu_sh("'%s' run --audit --arch x86_64,i386 '%s' -- '%s/t32'", tu_sysfence(),
              refuse, dir);
    expect_status(&r, 0, "a 32-bit program under --audit");
    ck_assert_str_eq(r.out, "32-bit threads ok\n");
    expect_has(r.err, "audit: getpid() -> ERRNO(1): ", "the 32-bit call reported");
    expect_has(r.err, ":1:12 (rule for getpid on i386) [pid ", "on i386");
    expect_has(r.err, "audit summary: 8 calls", "one per thread");
    tu_result_free(&r);
    free(refuse);
  }
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- audit, report, notify -------------------------------------------------- */

static const char socket_policy[] =
    "// refuses sockets\n"
    "ERRNO(1) { socket }\n"
    "KILL_PROCESS { getppid }\n"
    "DEFAULT ALLOW\n";

static const char py_sockets[] =
    "import socket\n"
    "for i in range(3):\n"
    "    try:\n"
    "        socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
    "        print(\"made\")\n"
    "    except OSError as e:\n"
    "        print(\"refused\", e.errno)\n";

START_TEST(run_audit) {
  NEED_PYTHON("run_audit");
  char *dir = tu_tmpdir();
  char *policy = tu_write(dir, "sock.policy", socket_policy);
  char *script = tu_write(dir, "sock.py", py_sockets);
  tu_result r = tu_sh("'%s' run --audit '%s' -- %s '%s'; echo status $?", tu_sysfence(),
                      policy, PY, script);
  /* Complain mode: the sockets are made. */
  ck_assert_str_eq(r.out, "made\nmade\nmade\nstatus 0\n");
  char want[1024];
  snprintf(want, sizeof want,
           "audit: socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) -> ERRNO(1): %s:2:12 "
           "(rule for socket) [pid ", policy);
  expect_has(r.err, want, "the audit line");
  /* Once per syscall and rule, counted in the summary. */
  ck_assert_msg(strstr(strstr(r.err, want) + 1, want) == NULL, "reported twice:\n%s", r.err);
  expect_has(r.err, "sysfence: audit summary: 3 calls the policy would refuse (1 kind)",
             "the summary");
  expect_has(r.err, "       3  socket", "the summary's count");
  tu_result_free(&r);
  /* --audit-log: the reports go to the file; a full disk costs the report
   * only. */
  char log[512];
  snprintf(log, sizeof log, "%s/audit.log", dir);
  r = tu_sh("'%s' run --audit --audit-log '%s' '%s' -- %s '%s'", tu_sysfence(), log,
            policy, PY, script);
  expect_status(&r, 0, "--audit-log");
  ck_assert_msg(!strstr(r.err, "audit:"), "reports on stderr:\n%s", r.err);
  char *text = read_text(log);
  expect_has(text, "audit: socket(AF_INET", "the log");
  expect_has(text, "audit summary", "the log's summary");
  free(text);
  tu_result_free(&r);
  r = script_under("run --audit --audit-log /dev/full", policy, script, 0,
                   "made\nmade\nmade\n", "--audit-log on a full disk");
  expect_has(r.err, "the audit report is incomplete", "said on stderr");
  tu_result_free(&r);
  r = tu_sh("'%s' run --audit '%s' -- %s '%s' 2>&-", tu_sysfence(), policy, PY, script);
  expect_status(&r, 0, "--audit with stderr closed");
  ck_assert_str_eq(r.out, "made\nmade\nmade\n");
  tu_result_free(&r);
  /* A call the policy allows never reaches the supervisor. */
  r = tu_sh("'%s' run --audit '%s' -- /bin/true", tu_sysfence(), policy);
  expect_status(&r, 0, "allowed calls only");
  expect_has(r.err, "audit summary: no call the policy would refuse", "nothing reported");
  tu_result_free(&r);
  free(script);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(run_report) {
  NEED_PYTHON("run_report");
  char *dir = tu_tmpdir();
  char *policy = tu_write(dir, "sock.policy", socket_policy);
  char *script = tu_write(dir, "sock.py", py_sockets);
  tu_result r = script_under("run --report", policy, script, 0,
                             "refused 1\nrefused 1\nrefused 1\n", "--report enforces ERRNO");
  expect_has(r.err, "report: socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) -> ERRNO(1)",
             "the report line");
  expect_has(r.err, "report summary: 3 calls", "the summary");
  tu_result_free(&r);
  /* A file name is read from the caller's memory and quoted. */
  char *mk = tu_write(dir, "mk.policy", "ERRNO(13) { mkdir, mkdirat }\nDEFAULT ALLOW\n");
  r = tu_sh("'%s' run --report '%s' -- /bin/mkdir '%s/new'", tu_sysfence(), mk, dir);
  ck_assert_msg(r.exited && r.status != 0, "mkdir refused: %s", r.err);
  char want[700];
  snprintf(want, sizeof want, "report: mkdir(\"%s/new\", 511) -> ERRNO(13): %s:1:13 "
           "(rule for mkdir", dir, mk);
  expect_has(r.err, want, "the file name in the report");
  tu_result_free(&r);
  free(mk);
  /* A kill: reported before the program dies; status as SIGSYS's. */
  r = tu_sh("'%s' run --report '%s' -- %s -c 'import os; print(\"before\", flush=True); "
            "os.getppid(); print(\"after\")'", tu_sysfence(), policy, PY);
  expect_status(&r, 159, "KILL_PROCESS under --report");
  ck_assert_str_eq(r.out, "before\n");
  expect_has(r.err, "report: getppid() -> KILL_PROCESS: ", "the kill reported");
  expect_has(r.err, ":3:16 (rule for getppid)", "the rule");
  tu_result_free(&r);
  /* Plain enforcement gives the same status (the shell's 128 + SIGSYS). */
  r = tu_sh("'%s' run '%s' -- %s -c 'import os; os.getppid()'", tu_sysfence(), policy, PY);
  expect_status(&r, 159, "KILL_PROCESS under plain run");
  tu_result_free(&r);
  free(script);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(run_user_notif_policy) {
  NEED("run_user_notif_policy");
  char *dir = tu_tmpdir();
  char *policy = tu_write(dir, "n.policy", "USER_NOTIF { getppid }\nDEFAULT ALLOW\n");
  /* Before: USER_NOTIF without a supervisor fails the call (ENOSYS). */
  tu_result r = run_under("", policy, "echo $PPID; exit 5");
  expect_status(&r, 5, "a USER_NOTIF policy");
  tu_result_free(&r);
  r = tu_sh("'%s' run '%s' -- %s", tu_sysfence(), policy,
            access(PY, X_OK) == 0 ? PY " -c 'import os; print(os.getppid() > 0)'"
                                  : "/bin/true");
  expect_status(&r, 0, "a USER_NOTIF call lets the program go on");
  if (access(PY, X_OK) == 0) {
    ck_assert_str_eq(r.out, "True\n");
    expect_has(r.err, "notify: getppid() -> USER_NOTIF: ", "reported");
    expect_has(r.err, "n.policy:1:14 (rule for getppid)", "with its rule");
  }
  tu_result_free(&r);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(run_supervised_usage) {
  char *dir = tu_tmpdir();
  char *policy = tu_write(dir, "a.policy", "DEFAULT ALLOW\n");
  tu_result r = tu_sh("'%s' run --audit --report '%s' -- /bin/true", tu_sysfence(), policy);
  expect_status(&r, 125, "--audit with --report");
  expect_has(r.err, "--audit and --report exclude each other", "the message");
  tu_result_free(&r);
  r = tu_sh("'%s' run --dry-run --audit '%s' -- /bin/true", tu_sysfence(), policy);
  expect_status(&r, 125, "--dry-run with --audit");
  tu_result_free(&r);
  r = tu_sh("'%s' run --help", tu_sysfence());
  expect_has(r.out, "--audit-log FILE", "run's help");
  expect_has(r.out, "--report", "run's help");
  tu_result_free(&r);
  r = tu_sh("'%s' trace --help", tu_sysfence());
  expect_has(r.out, "--default ACTION", "trace's help");
  /* Every line of the option list is indented (the help's own newlines
   * were once printed as they were, starting a line at column 0). */
  const char *opts = strstr(r.out, "Options:\n");
  ck_assert_ptr_nonnull(opts);
  for (const char *l = opts + 9; *l && *l != '\n'; l = strchr(l, '\n') + 1)
    ck_assert_msg(*l == ' ', "an option's help line at column 0:\n%s", r.out);
  tu_result_free(&r);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- each supervised mode with each kind of program -------------------------
 * --audit, --report and a USER_NOTIF policy under plain run, each on a shell
 * pipeline whose grandchild execs and makes the refused call, on a threaded
 * C program, and on the same program built for i386 (CPython: run_audit,
 * run_report, run_user_notif_policy above). */

typedef struct mode_case {
  const char *opts;   /* sysfence run's options */
  const char *word;   /* the first word of its reports */
  const char *action; /* the policy's action for the watched calls */
  int enforces;       /* the call fails (1) or runs (0) */
} mode_case;

/* The loop tests' _i. */
static const mode_case modes[] = {
    {"--audit", "audit", "ERRNO(1)", 0},
    {"--report", "report", "ERRNO(1)", 1},
    {"", "notify", "USER_NOTIF", 0},
};

static int count_of(const char *text, const char *part) {
  int n = 0;
  for (const char *p = strstr(text, part); p; p = strstr(p + 1, part)) n++;
  return n;
}

/* TEXT has LINE (a report up to its "[pid "), exactly once: the pid after it. */
static long reported_pid(const char *text, const char *line) {
  ck_assert_msg(count_of(text, line) == 1, "'%s' expected once in:\n%s", line, text);
  char *end;
  long pid = strtol(strstr(text, line) + strlen(line), &end, 10);
  ck_assert_msg(pid > 0 && *end == ']', "no pid after '%s' in:\n%s", line, text);
  return pid;
}

/* 16 threads wait at a barrier, then make the same call (getppid) at once;
 * the main thread calls getuid (getuid32 on i386). */
static const char refusing_threads_c[] =
    "#include <errno.h>\n"
    "#include <pthread.h>\n"
    "#include <stdio.h>\n"
    "#include <sys/syscall.h>\n"
    "#include <unistd.h>\n"
    "#define N 16\n"
    "static pthread_barrier_t go;\n"
    "static long ret[N], tid[N];\n"
    "static int err[N];\n"
    "static void *work(void *p) {\n"
    "  long i = (long)p;\n"
    "  tid[i] = syscall(SYS_gettid);\n"
    "  pthread_barrier_wait(&go);\n"
    "  errno = 0;\n"
    "  ret[i] = syscall(SYS_getppid);\n"
    "  err[i] = errno;\n"
    "  return NULL;\n"
    "}\n"
    "int main(void) {\n"
    /* glibc's getuid() sets no errno: -EPERM comes back as the uid. */
    "  int refused = getuid() == (uid_t)-EPERM;\n"
    "  printf(\"pid %d: getuid %s\\n\", (int)getpid(), refused ? \"EPERM\" : \"ran\");\n"
    "  fflush(stdout);\n"
    "  pthread_t t[N];\n"
    "  pthread_barrier_init(&go, NULL, N);\n"
    "  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, work, (void *)i);\n"
    "  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);\n"
    "  int ran = 0, eperm = 0;\n"
    "  for (int i = 0; i < N; i++) {\n"
    "    if (ret[i] > 0) ran++;\n"
    "    else if (ret[i] == -1 && err[i] == EPERM) eperm++;\n"
    "  }\n"
    "  printf(\"getppid: %d ran, %d EPERM\\ntids:\", ran, eperm);\n"
    "  for (int i = 0; i < N; i++) printf(\" %ld\", tid[i]);\n"
    "  printf(\" \\n\");\n"
    "  return 0;\n"
    "}\n";

/* The policy "ACTION { getppid, getuid }" in DIR (malloc()ed path). */
static char *threads_policy(const char *dir, const char *action) {
  char text[128];
  snprintf(text, sizeof text, "%s { getppid, getuid }\nDEFAULT ALLOW\n", action);
  return tu_write(dir, "threads.policy", text);
}

/* PROGRAM (refusing_threads_c) under mode M with ARCH (sysfence run's
 * --arch option or ""); ON is " on i386" for the i386 build, GETUID the
 * name of getuid there. */
static void threads_in_mode(const mode_case *m, const char *dir, const char *program,
                            const char *arch, const char *on, const char *getuid) {
  char *policy = threads_policy(dir, m->action);
  tu_result r = tu_sh("'%s' run %s %s '%s' -- '%s'", tu_sysfence(), m->opts, arch, policy,
                      program);
  expect_status(&r, 0, m->word);
  /* The calls ran, or failed with the policy's errno (--report). */
  char want[1024];
  snprintf(want, sizeof want, ": getuid %s\ngetppid: %s\ntids: ",
           m->enforces ? "EPERM" : "ran", m->enforces ? "0 ran, 16 EPERM" : "16 ran, 0 EPERM");
  expect_has(r.out, want, "what the program saw");
  long pid = strtol(r.out + 4, NULL, 10);
  /* One line per syscall and rule, whichever thread came first; each call
   * counted in the summary. */
  int col = (int)strlen(m->action) + 4;
  snprintf(want, sizeof want, "%s: getppid() -> %s: %s:1:%d (rule for getppid%s) [pid ",
           m->word, m->action, policy, col, on);
  char tid[32];
  snprintf(tid, sizeof tid, " %ld ", reported_pid(r.err, want));
  ck_assert_msg(strstr(strstr(r.out, "tids:"), tid), "pid%snot one of the threads:\n%s",
                tid, r.out);
  snprintf(want, sizeof want, "%s: %s() -> %s: %s:1:%d (rule for %s%s) [pid ", m->word,
           getuid, m->action, policy, col + 9, getuid, on);
  ck_assert_int_eq(reported_pid(r.err, want), pid);
  snprintf(want, sizeof want, "sysfence: %s summary: 17 calls ", m->word);
  expect_has(r.err, want, "the summary");
  snprintf(want, sizeof want, "\n        16  getppid              %-16s %s:1:%d (rule for "
           "getppid%s)\n", m->action, policy, col, on);
  expect_has(r.err, want, "the summary's count of the threads' calls");
  tu_result_free(&r);
  free(policy);
}

START_TEST(run_modes_threaded_c) {
  NEED("run_modes_threaded_c");
  char *dir = tu_tmpdir();
  if (build_program("run_modes_threaded_c", dir, "r64", refusing_threads_c, "") == 0) {
    char program[512];
    snprintf(program, sizeof program, "%s/r64", dir);
    threads_in_mode(&modes[_i], dir, program, "", "", "getuid");
  }
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(run_modes_32bit) {
  NEED("run_modes_32bit");
  char *dir = tu_tmpdir();
  if (build_program("run_modes_32bit", dir, "r32", refusing_threads_c, "-m32 -static") ==
      0) {
    char program[512];
    snprintf(program, sizeof program, "%s/r32", dir);
    /* i386's calls are decided by the i386 target and named by its table. */
    threads_in_mode(&modes[_i], dir, program, "--arch x86_64,i386", " on i386",
                    "getuid32");
  }
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A pipeline (fork and exec), then a grandchild of sysfence that prints its
 * pid and execs mkdir(1). */
static char *pipeline_script(const char *dir) {
  char text[1024];
  snprintf(text, sizeof text,
           "ls / | wc -l | sed \"s/^/entries /\"\n"
           "/bin/sh -c 'echo child $$; exec mkdir %s/made'\n"
           "echo status $?\n", dir);
  return tu_write(dir, "pipe.sh", text);
}

/* DIR/POLICY: "ACTION { mkdir, mkdirat }" (malloc()ed path). */
static char *mkdir_policy(const char *dir, const char *action) {
  char text[128];
  snprintf(text, sizeof text, "%s { mkdir, mkdirat }\nDEFAULT ALLOW\n", action);
  return tu_write(dir, "mkdir.policy", text);
}

/* sysfence run OPTS POLICY -- sh SCRIPT: the grandchild's report (WORD:
 * mkdir(...) -> ACTION) has its pid; "status S" printed; made or not. */
static void expect_grandchild(const char *opts, const char *word, const char *action,
                              const char *dir, int status, int made) {
  char *policy = mkdir_policy(dir, action);
  char *script = pipeline_script(dir);
  char path[512];
  snprintf(path, sizeof path, "%s/made", dir);
  rmdir(path);
  tu_result r = tu_sh("'%s' run %s '%s' -- /bin/sh '%s'", tu_sysfence(), opts, policy,
                      script);
  expect_status(&r, 0, "the script's own status");
  ck_assert_msg(strncmp(r.out, "entries ", 8) == 0 && atoi(r.out + 8) > 0,
                "the pipeline's output: %s", r.out);
  const char *child = strstr(r.out, "\nchild ");
  ck_assert_msg(child, "the grandchild's pid: %s", r.out);
  long pid = strtol(child + 7, NULL, 10);
  char want[1024];
  snprintf(want, sizeof want, "\nstatus %d\n", status);
  expect_has(r.out, want, "mkdir's status, seen by the shell");
  snprintf(want, sizeof want, "%s: mkdir(\"%s\", 511) -> %s: %s:1:%d (rule for mkdir) [pid ",
           word, path, action, policy, (int)strlen(action) + 4);
  ck_assert_int_eq(reported_pid(r.err, want), pid);
  struct stat st;
  ck_assert_msg((stat(path, &st) == 0) == made, "%s: the directory was%s made:\n%s", opts,
                made ? " not" : "", r.err);
  tu_result_free(&r);
  free(script);
  free(policy);
}

START_TEST(run_modes_pipeline) {
  NEED("run_modes_pipeline");
  char *dir = tu_tmpdir();
  const mode_case *m = &modes[_i];
  /* mkdir(1) fails with EPERM (status 1) under --report only. */
  expect_grandchild(m->opts, m->word, m->action, dir, m->enforces ? 1 : 0, !m->enforces);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* KILL_PROCESS under --report: reported once, then the caller dies; under
 * --audit the call runs. */
START_TEST(run_report_kills) {
  NEED("run_report_kills");
  char *dir = tu_tmpdir();
  /* The grandchild is killed with SIGKILL (its shell sees 137), where plain
   * enforcement's SIGSYS gives 159: sysfence(1), SUPERVISOR. */
  expect_grandchild("--report", "report", "KILL_PROCESS", dir, 137, 0);
  expect_grandchild("--audit", "audit", "KILL_PROCESS", dir, 0, 1);
  char *policy = mkdir_policy(dir, "KILL_PROCESS");
  char *script = pipeline_script(dir);
  tu_result r = tu_sh("'%s' run '%s' -- /bin/sh '%s'", tu_sysfence(), policy, script);
  expect_has(r.out, "\nstatus 159\n", "plain enforcement's SIGSYS");
  tu_result_free(&r);
  free(script);
  free(policy);
  /* The command itself killed: 159 as under plain enforcement, one report
   * for the 16 threads (those after the first may be counted or not: the
   * process is dying). */
  const char *builds[][4] = {{"k64", "", "", ""},
                             {"k32", "-m32 -static", "--arch x86_64,i386", " on i386"}};
  policy = tu_write(dir, "kill.policy", "KILL_PROCESS { getppid }\nDEFAULT ALLOW\n");
  for (size_t i = 0; i < 2; i++) {
    if (build_program("run_report_kills", dir, builds[i][0], refusing_threads_c,
                      builds[i][1]) != 0)
      continue;
    r = tu_sh("'%s' run --report %s '%s' -- '%s/%s'", tu_sysfence(), builds[i][2], policy,
              dir, builds[i][0]);
    expect_status(&r, 159, "a threaded program killed under --report");
    ck_assert_msg(strstr(r.out, ": getuid ran\n") && !strstr(r.out, "getppid:"),
                  "the program did not stop at getppid:\n%s", r.out);
    char want[1024];
    snprintf(want, sizeof want, "report: getppid() -> KILL_PROCESS: %s:1:16 (rule for "
             "getppid%s) [pid ", policy, builds[i][3]);
    reported_pid(r.err, want);
    tu_result_free(&r);
  }
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static Suite *trace_suite(void) {
  Suite *s = suite_create("trace");
  TCase *t = tcase_create("trace");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, trace_pipeline_round_trip);
  tcase_add_test(t, trace_python_threads);
  tcase_add_test(t, trace_fork_exec_and_signals);
  tcase_add_test(t, trace_interrupted_read);
  tcase_add_test(t, trace_options);
  tcase_add_test(t, trace_threaded_c_and_32bit);
  suite_add_tcase(s, t);
  t = tcase_create("audit");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, run_audit);
  tcase_add_test(t, run_report);
  tcase_add_test(t, run_user_notif_policy);
  tcase_add_test(t, run_supervised_usage);
  int n_modes = (int)(sizeof modes / sizeof modes[0]);
  tcase_add_loop_test(t, run_modes_threaded_c, 0, n_modes);
  tcase_add_loop_test(t, run_modes_32bit, 0, n_modes);
  tcase_add_loop_test(t, run_modes_pipeline, 0, n_modes);
  tcase_add_test(t, run_report_kills);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_trace: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(trace_suite());
}
