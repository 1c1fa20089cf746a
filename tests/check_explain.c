/* check_explain.c - the commands that answer "which syscall was that, and
 * which rule decided it": explain (kernel audit records against a policy),
 * syscalls (the tables by name and number) and eval's names for numbers. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define EXPECT_EXIT(r, code)                                                  \
  ck_assert_msg((r).exited && (r).status == (code),                           \
                "expected exit %d, got %s %d\nstdout: %s\nstderr: %s", (code),  \
                (r).exited ? "exit" : "signal", (r).status, (r).out, (r).err)
#define HAS(text, what) ck_assert_msg(strstr((text), (what)) != NULL, \
                                      "no '%s' in:\n%s", (what), (text))

#define sf(...) tu_run_program(tu_sysfence(), NULL, __VA_ARGS__)

/* Line numbers matter: explain names the rules by place. */
static const char *POLICY =
    "POLICY p {\n"                                           /* 1 */
    "  ALLOW { read, write, exit_group },\n"                 /* 2 */
    "  ERRNO(1) { socket { domain == 2 } },\n"               /* 3 */
    "  ERRNO(13) { openat }\n"                               /* 4 */
    "}\n"                                                    /* 5 */
    "USE p DEFAULT KILL_PROCESS\n";                          /* 6 */

/* The dmesg form of a record, for getrandom on x86_64, killed. */
static const char *DMESG =
    "audit: type=1326 audit(1700000000.123:45): auid=1000 uid=1000 gid=1000 "
    "ses=2 pid=1234 comm=\"python3\" exe=\"/usr/bin/python3\" sig=31 "
    "arch=c000003e syscall=318 compat=0 ip=0x7f0000001234 code=0x80000000";

static char *dir, *pol;

/* TEXT has FMT formatted (the policy's path for its %s, say). */
static void has_formatted(const char *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void has_formatted(const char *text, const char *fmt, ...) {
  char want[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(want, sizeof want, fmt, ap);
  va_end(ap);
  HAS(text, want);
}

/* 'sysfence explain POLICY RECORD', which exits 0: its result. */
static tu_result explained(const char *record) {
  tu_result r = sf("explain", pol, record, NULL);
  EXPECT_EXIT(r, 0);
  return r;
}

static void setup(void) {
  dir = tu_tmpdir();
  pol = tu_write(dir, "p.policy", POLICY);
}

static void teardown(void) {
  tu_rmtree(dir);
  free(dir);
  free(pol);
}

START_TEST(explain_dmesg_record) {
  tu_result r = explained(DMESG);
  HAS(r.out, "syscall:  getrandom (318 on x86_64)");
  HAS(r.out, "pid 1234, comm \"python3\", exe \"/usr/bin/python3\", signal 31 (SIGSYS)");
  HAS(r.out, "record:   KILL_PROCESS (code=0x80000000)");
  HAS(r.out, "decided:  KILL_PROCESS by the policy's DEFAULT");
  HAS(r.out, "the decision does not depend on them");
  HAS(r.out, "\n  ALLOW { getrandom }\n");
  tu_result_free(&r);
  /* The same record pasted unquoted (the shell splits it into words), and
   * journalctl's form with its prefix. */
  r = sf("explain", pol, "kernel:", "audit:", "type=1326", "arch=c000003e", "syscall=318",
         "code=0x80000000", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "getrandom (318 on x86_64)");
  tu_result_free(&r);
}
END_TEST

/* A rule decides: its place, and where an ALLOW must go to win. */
START_TEST(explain_rule) {
  tu_result r = explained("type=1326 arch=c000003e syscall=257 code=0x5000d");
  has_formatted(r.out, "decided:  ERRNO(13) by %s:4:15 (rule for openat)", pol);
  HAS(r.out, "record:   ERRNO(13)");
  has_formatted(r.out, "add before %s:4:15", pol);
  HAS(r.out, "ALLOW { openat }");
  ck_assert_ptr_null(strstr(r.out, "note:"));
  tu_result_free(&r);
  /* Allowed already, and a record from another filter: said so. */
  r = explained("type=1326 arch=c000003e syscall=0 code=0x80000000");
  HAS(r.out, "decided:  ALLOW by");
  HAS(r.out, "nothing to add");
  HAS(r.out, "note: the policy gives ALLOW, the record says KILL_PROCESS");
  tu_result_free(&r);
}
END_TEST

/* Arguments are not in a record: every rule that may decide is listed. */
START_TEST(explain_depends_on_arguments) {
  tu_result r = explained("type=1326 arch=c000003e syscall=41 code=0x50001");
  has_formatted(r.out,
                "  %s:3:14: ERRNO(1) when its condition holds  <- the record's action\n"
                "  otherwise the default action: KILL_PROCESS\n", pol);
  HAS(r.out, "the decision depends on them");
  HAS(r.out, "domain (32 bits), type (32 bits), protocol (32 bits)");
  tu_result_free(&r);
}
END_TEST

/* The record's arch= picks the table: i386's 5 is open, x86_64's fstat;
 * an x32 number under x86_64's AUDIT_ARCH is x32's. */
START_TEST(explain_record_arch) {
  tu_result r = explained("type=1326 arch=40000003 syscall=5 code=0");
  HAS(r.out, "syscall:  open (5 on i386)");
  tu_result_free(&r);
  r = explained("type=1326 arch=c000003e syscall=1073741825");
  HAS(r.out, "syscall:  write (1073741825 on x32)");
  tu_result_free(&r);
  r = explained("type=1326 arch=c00000b7 syscall=56");
  HAS(r.out, "syscall:  openat (56 on aarch64)");
  HAS(r.out, "ERRNO(13) by");
  tu_result_free(&r);
  /* An architecture the policy is not compiled for: the bad-arch action. */
  r = sf("explain", "--arch", "x86_64", pol, "type=1326 arch=40000003 syscall=3", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "decided:  KILL_PROCESS, the action for an architecture the policy was not "
             "compiled for (--bad-arch)");
  HAS(r.out, "--arch x86_64,i386");
  tu_result_free(&r);
  r = sf("explain", "--arch", "x86_64,i386", pol, "type=1326 arch=40000003 syscall=3", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "decided:  ALLOW by");
  tu_result_free(&r);
  /* A bare number is --arch's. */
  r = sf("explain", "--arch", "aarch64", pol, "278", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "syscall:  getrandom (278 on aarch64)");
  tu_result_free(&r);
  /* ausearch -i writes names. */
  r = explained("type=SECCOMP msg=audit(11/30/2026 10:00:00.123:45) : pid=9 "
                "comm=x sig=SIGSYS arch=x86_64 syscall=getrandom compat=0 code=kill-process");
  HAS(r.out, "getrandom (318 on x86_64)");
  HAS(r.out, "record:   KILL_PROCESS");
  tu_result_free(&r);
}
END_TEST

START_TEST(explain_errors) {
  static const struct {
    const char *record;
    int status;
    const char *says;
  } cases[] = {
      {"type=1326 arch=c000003e code=0", 2, "no syscall=N"},
      {"type=1326 arch=12345678 syscall=1", 1, "arch=12345678"},
      {"type=1326 arch=zzz syscall=1", 2, "bad arch=zzz"},
      {"type=1326 arch=c000003e syscall=1 code=frob", 2, "bad code=frob"},
      {"type=SECCOMP arch=x86_64 syscall=nosuch", 1, "syscall=nosuch"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_result r = sf("explain", pol, cases[i].record, NULL);
    ck_assert_msg(r.exited && r.status == cases[i].status, "case %zu: exit %d\n%s", i,
                  r.status, r.err);
    HAS(r.err, cases[i].says);
    tu_result_free(&r);
  }
  tu_result r = sf("explain", pol, NULL);
  EXPECT_EXIT(r, 2);
  HAS(r.err, "missing RECORD");
  tu_result_free(&r);
  char *bad = tu_write(dir, "bad.policy", "ALLOW { opneat }\n");
  r = sf("explain", bad, "1", NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "did you mean 'openat'");
  tu_result_free(&r);
  free(bad);
}
END_TEST

START_TEST(eval_names_numbers) {
  tu_result r = sf("eval", "-a", "x86_64", pol, "318", "0", "i386:5", "999", "read", NULL);
  EXPECT_EXIT(r, 0);
  char want[1024];
  snprintf(want, sizeof want,
           "318 -> KILL_PROCESS  (default action) [318: getrandom]\n"
           "0 -> ALLOW  (%s:2:11: rule for read) [0: read]\n"
           "i386:5 -> KILL_PROCESS  (bad architecture) [5: open]\n"
           "999 -> KILL_PROCESS  (default action) [999: no syscall of x86_64]\n"
           "read -> ALLOW  (%s:2:11: rule for read)\n", pol, pol);
  ck_assert_str_eq(r.out, want);
  tu_result_free(&r);
}
END_TEST

START_TEST(syscalls_by_name) {
  tu_result r = sf("syscalls", "openat", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "openat\n");
  HAS(r.out, "  x86_64         257  (dfd:32, filename:64, flags:32, mode:16)\n");
  HAS(r.out, "  i386           295  (dfd:32, filename:32, flags:32, mode:16)\n");
  HAS(r.out, "  aarch64         56  (dfd:32, filename:64, flags:32, mode:16)\n");
  HAS(r.out, "  x32          1073742081  (");
  /* One line per architecture, after the name. */
  size_t lines = 0;
  for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++) lines++;
  size_t n;
  sf_arch_all(&n);
  ck_assert_uint_eq(lines, n + 1);
  tu_result_free(&r);
  /* Where it does not exist, and the C library's names. */
  r = sf("syscalls", "--arch", "x86_64,aarch64,i386", "open", "fstatat", "pread",
         "lstat64", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "  aarch64          -  none; the C library's open() calls openat there\n");
  HAS(r.out, "  x86_64           -  none; the C library's fstatat() calls newfstatat or statx there\n");
  HAS(r.out, "  i386             -  none; the C library's fstatat() calls fstatat64 or statx there\n");
  HAS(r.out, "  x86_64           -  none; the C library's pread() calls pread64 there\n");
  HAS(r.out, "  x86_64           -  none; the C library's lstat64() calls newfstatat or statx there\n");
  HAS(r.out, "  i386           196  (");
  tu_result_free(&r);
}
END_TEST

START_TEST(syscalls_by_number) {
  tu_result r = sf("syscalls", "--arch", "x86_64,aarch64", "318", "0x101", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "getrandom (318 on x86_64)\n  x86_64         318  (buf:64, count:64, flags:32)\n"
             "  aarch64        278  (buf:64, count:64, flags:32)\n");
  HAS(r.out, "openat (0x101 on x86_64)\n");
  tu_result_free(&r);
  r = sf("syscalls", "--arch", "aarch64", "999", NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "999 is no syscall number of aarch64");
  tu_result_free(&r);
  r = sf("syscalls", "opneat", NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "did you mean 'openat'");
  tu_result_free(&r);
  r = sf("syscalls", "--arch", "vax", "read", NULL);
  EXPECT_EXIT(r, 2);
  tu_result_free(&r);
}
END_TEST

START_TEST(syscalls_table) {
  tu_result r = sf("syscalls", "--arch", "x86_64", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "    0  read(fd:32, buf:64, count:64)\n");
  HAS(r.out, "  318  getrandom(buf:64, count:64, flags:32)\n");
  size_t lines = 0;
  for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++) lines++;
  ck_assert_uint_eq(lines, sf_arch_by_name("x86_64")->n_syscalls);
  tu_result_free(&r);
  r = sf("syscalls", "--help", NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.out, "Usage: sysfence syscalls [OPTIONS] [NAME|NUMBER...]");
  tu_result_free(&r);
}
END_TEST

/* The C library names, per architecture, from the library's lookup. */
START_TEST(kernel_names_api) {
  static const struct {
    const char *arch, *name, *first;
  } cases[] = {
      {"x86_64", "fstatat", "newfstatat"}, {"i386", "fstatat", "fstatat64"},
      {"x86_64", "pread", "pread64"},      {"aarch64", "stat", "newfstatat"},
      {"aarch64", "open", "openat"},       {"x86_64", "lstat64", "newfstatat"},
      {"riscv64", "rename", "renameat2"},  {"x86_64", "prlimit", "prlimit64"},
      {"aarch64", "pipe", "pipe2"},        {"x86_64", "fstatfs64", "fstatfs"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *out[2];
    size_t k = sf_syscall_kernel_names(sf_arch_by_name(cases[i].arch), cases[i].name, out, 2);
    ck_assert_msg(k >= 1 && strcmp(out[0], cases[i].first) == 0, "%s on %s: %s",
                  cases[i].name, cases[i].arch, k ? out[0] : "none");
  }
  const char *out[2];
  /* A real syscall of the table has no other name. */
  ck_assert_uint_eq(sf_syscall_kernel_names(sf_arch_by_name("x86_64"), "stat", out, 2), 0);
  ck_assert_uint_eq(sf_syscall_kernel_names(sf_arch_by_name("x86_64"), "frob", out, 2), 0);
}
END_TEST

static Suite *explain_suite(void) {
  Suite *s = suite_create("explain");
  TCase *tc = tcase_create("cli");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, explain_dmesg_record);
  tcase_add_test(tc, explain_rule);
  tcase_add_test(tc, explain_depends_on_arguments);
  tcase_add_test(tc, explain_record_arch);
  tcase_add_test(tc, explain_errors);
  tcase_add_test(tc, eval_names_numbers);
  tcase_add_test(tc, syscalls_by_name);
  tcase_add_test(tc, syscalls_by_number);
  tcase_add_test(tc, syscalls_table);
  suite_add_tcase(s, tc);
  tc = tcase_create("api");
  tcase_add_test(tc, kernel_names_api);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_explain: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(explain_suite());
}
