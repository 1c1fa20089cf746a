/* check_loader.c - applying filters for real: sysfence-exec (the loader),
 * 'sysfence run', sysfence_apply, the embedding example, and the man
 * pages.  Every failure before the exec must leave the command unrun: the
 * command is 'touch MARKER' and the marker must not exist afterwards. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence.h"
#include "testutil.h"

#define MAXARGS 32

static int seccomp_ok;

/* Tests that install a filter return early where the kernel cannot. */
#define NEED_SECCOMP(test)                                                     \
  do {                                                                         \
    if (!seccomp_ok) {                                                         \
      tu_skip_no_seccomp(test);                                                \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define loader tu_loader
/* The loader or sysfence with the NULL-terminated arguments (none: NULL). */
#define ld(...) tu_run_program(tu_loader(), NULL, __VA_ARGS__)
#define sf(...) tu_run_program(tu_sysfence(), NULL, __VA_ARGS__)
#define sh tu_sh
#define have tu_have

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

/* Write LEN instructions as a raw blob in the host's byte order (the
 * in-memory struct sock_filter is exactly that). */
static char *write_blob(const char *dir, const char *name,
                        const struct sock_filter *insns, size_t len) {
  char *p = path_in(dir, name);
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(insns, sizeof *insns, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
  return p;
}

/* Compile SRC for the host and write it to DIR/NAME. */
static char *compile_blob(const char *dir, const char *name, const char *src) {
  struct sock_fprog prog;
  char *diags = NULL;
  int rc = tu_compile(src, NULL, &prog, &diags);
  ck_assert_msg(rc == SYSFENCE_OK, "policy does not compile:\n%s", diags);
  free(diags);
  char *p = write_blob(dir, name, prog.filter, prog.len);
  free(prog.filter);
  return p;
}

#define ALLOW_ALL "DEFAULT ALLOW\n"
#define DENY_UNAME "ERRNO(1) { uname } DEFAULT ALLOW\n"
#define DENY_EXECVE "ERRNO(1) { execve, execveat } DEFAULT ALLOW\n"

static void expect(const tu_result *r, int status, const char *what) {
  ck_assert_msg(r->exited && r->status == status,
                "%s: expected exit %d, got %s %d\nstdout: %s\nstderr: %s", what,
                status, r->exited ? "exit" : "signal", r->status, r->out, r->err);
}

/* ---- the loader ---------------------------------------------------------- */

START_TEST(loader_runs_allowed_command) {
  NEED_SECCOMP("loader_runs_allowed_command");
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "allow.bpf", ALLOW_ALL);
  tu_result r = ld(blob, "--", "/bin/true", NULL);
  expect(&r, 0, "allowed /bin/true");
  tu_result_free(&r);
  /* The command's own status, its arguments untouched (options included). */
  r = ld(blob, "--", "/bin/sh", "-c", "echo \"$1 $2\"; exit 42", "sh", "-n", "--log",
         NULL);
  expect(&r, 42, "the command's exit status");
  ck_assert_str_eq(r.out, "-n --log\n");
  tu_result_free(&r);
  /* Found in PATH, as execvp does. */
  r = ld(blob, "--", "true", NULL);
  expect(&r, 0, "true from PATH");
  tu_result_free(&r);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_denies_syscall) {
  NEED_SECCOMP("loader_denies_syscall");
  if (!have("uname")) {
    tu_skip("loader_denies_syscall", "no uname command");
    return;
  }
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "deny.bpf", DENY_UNAME);
  tu_result r = ld(blob, "--", "uname", "-s", NULL);
  ck_assert_msg(r.exited && r.status != 0, "uname succeeded under ERRNO(1): %s", r.out);
  ck_assert_msg(strstr(r.err, "Operation not permitted") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  /* The filter is inherited by everything the command starts. */
  r = ld(blob, "--", "/bin/sh", "-c", "uname -s || echo refused", NULL);
  ck_assert_msg(strstr(r.out, "refused") != NULL, "stdout: %s", r.out);
  tu_result_free(&r);
  /* Without the loader uname works: the refusal is the filter's. */
  r = sh("uname -s");
  expect(&r, 0, "uname alone");
  tu_result_free(&r);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Run the loader with BLOB and 'touch MARKER': exit 125, no marker. */
static void refused(const char *dir, const char *blob, const char *what,
                    const char *message) {
  char *marker = path_in(dir, "MARKER");
  unlink(marker);
  tu_result r = ld(blob, "--", "touch", marker, NULL);
  expect(&r, 125, what);
  ck_assert_msg(!exists(marker), "%s: the command ran", what);
  ck_assert_msg(strstr(r.err, message) != NULL, "%s: stderr lacks '%s': %s", what,
                message, r.err);
  tu_result_free(&r);
  /* Not even with --dry-run. */
  r = ld("--dry-run", blob, NULL);
  expect(&r, 125, what);
  ck_assert_str_eq(r.out, "");
  tu_result_free(&r);
  free(marker);
}

START_TEST(loader_fails_closed) {
  char *dir = tu_tmpdir();
  char *missing = path_in(dir, "missing.bpf");
  refused(dir, missing, "missing blob", "cannot open");
  free(missing);

  char *empty = tu_write(dir, "empty.bpf", "");
  refused(dir, empty, "empty blob", "empty");
  free(empty);

  char *odd = tu_write(dir, "odd.bpf", "0123456789ab"); /* 12 bytes */
  refused(dir, odd, "12 bytes", "not a whole number of 8-byte instructions");
  free(odd);

  /* 4097 instructions: valid shape (RETs), one too many. */
  struct sock_filter *many = calloc(4097, sizeof *many);
  for (int i = 0; i < 4097; i++) many[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U);
  char *big = write_blob(dir, "big.bpf", many, 4097);
  refused(dir, big, "4097 instructions", "more than 4096 instructions");
  free(big);
  /* 4096 is the limit and fine. */
  char *max = write_blob(dir, "max.bpf", many, 4096);
  tu_result r = ld("--dry-run", max, NULL);
  expect(&r, 0, "4096 instructions");
  tu_result_free(&r);
  free(max);
  free(many);

  struct sock_filter bad_op[] = {{0xff, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U)};
  char *p = write_blob(dir, "badop.bpf", bad_op, 2);
  refused(dir, p, "bad opcode", "invalid seccomp filter");
  free(p);

  struct sock_filter far[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
      BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U)};
  p = write_blob(dir, "far.bpf", far, 3);
  refused(dir, p, "jump out of range", "invalid seccomp filter");
  free(p);

  struct sock_filter no_ret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
  p = write_blob(dir, "noret.bpf", no_ret, 1);
  refused(dir, p, "no final RET", "invalid seccomp filter");
  free(p);

  struct sock_filter outside[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
                                  BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U)};
  p = write_blob(dir, "outside.bpf", outside, 2);
  refused(dir, p, "load outside seccomp_data", "invalid seccomp filter");
  free(p);

  /* A valid program in the other byte order is not a valid program here. */
  struct sock_filter swapped[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                                  BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U)};
  for (int i = 0; i < 2; i++) {
    swapped[i].code = (uint16_t)((swapped[i].code >> 8) | (swapped[i].code << 8));
    swapped[i].k = __builtin_bswap32(swapped[i].k);
  }
  p = write_blob(dir, "swapped.bpf", swapped, 2);
  refused(dir, p, "foreign byte order", "invalid seccomp filter");
  free(p);

  /* Unreadable: a folder; and, unless root reads everything, mode 000. */
  refused(dir, dir, "a folder", "cannot read");
  if (geteuid() != 0) {
    struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U)};
    p = write_blob(dir, "secret.bpf", ok, 1);
    chmod(p, 0);
    refused(dir, p, "unreadable", "cannot open");
    free(p);
  }
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_command_errors) {
  NEED_SECCOMP("loader_command_errors");
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "allow.bpf", ALLOW_ALL);
  tu_result r = ld(blob, "--", "sysfence-no-such-command", NULL);
  expect(&r, 127, "command not found");
  ck_assert_msg(strstr(r.err, "command not found") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  char *nosuch = path_in(dir, "nosuch");
  r = ld(blob, "--", nosuch, NULL);
  expect(&r, 127, "no such path");
  tu_result_free(&r);
  free(nosuch);
  char *plain = tu_write(dir, "plain", "#!/bin/sh\necho ran\n");
  chmod(plain, 0644);
  r = ld(blob, "--", plain, NULL);
  expect(&r, 126, "not executable");
  ck_assert_str_eq(r.out, "");
  tu_result_free(&r);
  free(plain);
  r = ld(blob, "--", dir, NULL);
  expect(&r, 126, "a folder");
  tu_result_free(&r);
  free(blob);
  /* A filter that refuses execve, installed past the preflight: the
   * command cannot be executed. */
  blob = compile_blob(dir, "noexec.bpf", DENY_EXECVE);
  r = ld("--no-preflight", blob, "--", "/bin/true", NULL);
  expect(&r, 126, "execve refused");
  ck_assert_msg(strstr(r.err, "Operation not permitted") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- the preflight ------------------------------------------------------- */

/* Compile SRC for ARCH and write it to DIR/NAME, in the host's byte order
 * (what a little-endian target's blob is on a little-endian host). */
static char *compile_blob_for(const char *dir, const char *name, const char *src,
                              const char *arch) {
  struct sock_fprog prog;
  char *diags = NULL;
  int rc = tu_compile(src, arch, &prog, &diags);
  ck_assert_msg(rc == SYSFENCE_OK, "policy does not compile for %s:\n%s", arch, diags);
  free(diags);
  char *p = write_blob(dir, name, prog.filter, prog.len);
  free(prog.filter);
  return p;
}

/* The loader (or 'sysfence run' when RUN) with OPTION (or NULL), FILTER and
 * 'touch MARKER' is refused by the preflight: exit 125, the marker not
 * created, every line of NEEDLES (separated by '|') in stderr. */
static void preflight_refuses(const char *dir, const char *filter, int run,
                              const char *option, const char *needles) {
  char *marker = path_in(dir, "MARKER");
  unlink(marker);
  tu_result r;
  if (run)
    r = option ? sf("run", filter, option, "--", "touch", marker, NULL)
               : sf("run", filter, "--", "touch", marker, NULL);
  else
    r = option ? ld(option, filter, "--", "touch", marker, NULL)
               : ld(filter, "--", "touch", marker, NULL);
  expect(&r, 125, needles);
  ck_assert_msg(!exists(marker), "%s: the command ran", needles);
  char buf[512];
  snprintf(buf, sizeof buf, "%s", needles);
  for (char *save = NULL, *n = strtok_r(buf, "|", &save); n; n = strtok_r(NULL, "|", &save))
    ck_assert_msg(strstr(r.err, n) != NULL, "stderr lacks '%s':\n%s", n, r.err);
  const char *prefix = run ? "sysfence: run: error: " : "sysfence-exec: error: ";
  const char *note = run ? "sysfence: run: note: " : "sysfence-exec: note: ";
  ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0 && strstr(r.err, note),
                "message style: %s", r.err);
  ck_assert_msg(strstr(r.err, "--no-preflight") != NULL, "no hint: %s", r.err);
  tu_result_free(&r);
  free(marker);
}

START_TEST(loader_preflight_wrong_arch) {
  const char *host = sysfence_host_arch();
  ck_assert_ptr_nonnull(host);
  /* Little-endian targets only: their blobs are valid programs here. */
  const char *foreign = strcmp(host, "i386") == 0 ? "x86_64" : "i386";
  const char *foreign_audit = strcmp(host, "i386") == 0 ? "AUDIT_ARCH_X86_64 (0xc000003e)"
                                                        : "AUDIT_ARCH_I386 (0x40000003)";
  char *dir = tu_tmpdir();
  char *blob = compile_blob_for(dir, "foreign.bpf", ALLOW_ALL, foreign);
  char needles[256];
  snprintf(needles, sizeof needles, "wrong architecture|%s|this host is %s|"
           "execve gets KILL_PROCESS", foreign_audit, host);
  preflight_refuses(dir, blob, 0, NULL, needles);
  /* --dry-run reports it too, after the listing. */
  tu_result r = ld("--dry-run", blob, NULL);
  expect(&r, 125, "--dry-run of a foreign filter");
  ck_assert_msg(strstr(r.err, "wrong architecture") && strstr(r.err, foreign_audit),
                "stderr: %s", r.err);
  tu_result_free(&r);
  /* Another one, named from the same table. */
  char *arm = compile_blob_for(dir, "aarch64.bpf", DENY_UNAME, "aarch64");
  preflight_refuses(dir, arm, 0, NULL, "wrong architecture|AUDIT_ARCH_AARCH64 (0xc00000b7)");
  free(arm);
  /* --no-preflight installs it: then the loader dies at its execve, as it
   * did before the preflight existed. */
  if (seccomp_ok) {
    char *marker = path_in(dir, "MARKER");
    r = ld("--no-preflight", blob, "--", "touch", marker, NULL);
    ck_assert_msg(!r.exited, "--no-preflight: expected death by a signal, got exit %d: %s",
                  r.status, r.err);
    ck_assert_msg(!exists(marker), "the command ran under a foreign filter");
    tu_result_free(&r);
    free(marker);
  } else {
    tu_skip_no_seccomp("loader_preflight_wrong_arch (--no-preflight)");
  }
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_preflight_actions) {
  char *dir = tu_tmpdir();
  static const struct { const char *policy, *needles; } refused_by[] = {
      {DENY_EXECVE, "refuses the execve|execve gets ERRNO(1)|Operation not permitted"},
      {"KILL_PROCESS { execve } DEFAULT ALLOW\n", "execve gets KILL_PROCESS"},
      {"KILL { execve } DEFAULT ALLOW\n", "execve gets KILL_THREAD"},
      {"TRAP(7) { execve } DEFAULT ALLOW\n", "execve gets TRAP(7)|SIGSYS"},
      {"TRACE(3) { execve } DEFAULT ALLOW\n", "execve gets TRACE(3)|tracer"},
      {"USER_NOTIF { execve } DEFAULT ALLOW\n", "execve gets USER_NOTIF"},
      /* The usual mistake: a list of allowed calls without execve. */
      {"ALLOW { read, write, exit_group } DEFAULT KILL_PROCESS\n",
       "execve gets KILL_PROCESS"},
  };
  for (size_t i = 0; i < sizeof refused_by / sizeof refused_by[0]; i++) {
    char *blob = compile_blob(dir, "f.bpf", refused_by[i].policy);
    preflight_refuses(dir, blob, 0, NULL, refused_by[i].needles);
    tu_result r = ld("-n", blob, NULL);
    expect(&r, 125, refused_by[i].needles);
    tu_result_free(&r);
    free(blob);
  }
  /* ALLOW and LOG pass; the dry run says so. */
  char *logged = compile_blob(dir, "log.bpf", "LOG { execve } DEFAULT ALLOW\n");
  tu_result r = ld("-n", logged, "--", "true", NULL);
  expect(&r, 0, "--dry-run, LOG");
  ck_assert_msg(strstr(r.err, "preflight: execve gets LOG") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  char *deny = compile_blob(dir, "deny.bpf", DENY_EXECVE);
  r = ld("-n", "--no-preflight", deny, NULL);
  expect(&r, 0, "--dry-run --no-preflight");
  ck_assert_msg(strstr(r.err, "preflight: skipped") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  if (seccomp_ok) {
    char *marker = path_in(dir, "MARKER");
    r = ld(logged, "--", "touch", marker, NULL);
    expect(&r, 0, "LOG { execve }");
    ck_assert_msg(exists(marker), "the command did not run under LOG { execve }");
    tu_result_free(&r);
    free(marker);
  } else {
    tu_skip_no_seccomp("loader_preflight_actions (LOG)");
  }
  free(deny);
  free(logged);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(run_preflight) {
  char *dir = tu_tmpdir();
  char *deny = tu_write(dir, "deny.policy", DENY_EXECVE);
  char *kill = tu_write(dir, "kill.policy", "ALLOW { read, write } DEFAULT KILL_PROCESS\n");
  preflight_refuses(dir, deny, 1, NULL, "deny.policy|execve gets ERRNO(1)");
  preflight_refuses(dir, kill, 1, NULL, "execve gets KILL_PROCESS");
  tu_result r = sf("run", deny, "--dry-run", NULL);
  expect(&r, 125, "run --dry-run, execve denied");
  ck_assert_msg(strstr(r.err, "execve gets ERRNO(1)") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  char *allow = tu_write(dir, "allow.policy", ALLOW_ALL);
  r = sf("run", allow, "--dry-run", NULL);
  expect(&r, 0, "run --dry-run, allowed");
  ck_assert_msg(strstr(r.err, "preflight: execve gets ALLOW") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  /* Another architecture's filter is only listed: no preflight for it. */
  const char *host = sysfence_host_arch();
  r = sf("run", deny, "--dry-run", "--arch",
         host && strcmp(host, "aarch64") == 0 ? "x86_64" : "aarch64", NULL);
  expect(&r, 0, "run --dry-run --arch foreign");
  ck_assert_msg(strstr(r.err, "preflight: skipped") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  if (seccomp_ok) {
    r = sf("run", deny, "--no-preflight", "--", "/bin/true", NULL);
    expect(&r, 126, "run --no-preflight, execve denied");
    ck_assert_msg(strstr(r.err, "Operation not permitted") != NULL, "stderr: %s", r.err);
    tu_result_free(&r);
  } else {
    tu_skip_no_seccomp("run_preflight (--no-preflight)");
  }
  free(allow);
  free(kill);
  free(deny);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- the command's path ---------------------------------------------------- */

/* Under strace, the loader (or 'sysfence run') starting 'true' through a
 * PATH whose first folders do not have it (missing folders, then a
 * non-executable 'true'): the command must be started by a single execve
 * of the path found before the filter went in; execvp would try each
 * folder again, under the filter. */
static void one_execve(const char *dir, const char *filter, int run) {
  char *log = path_in(dir, "strace.log");
  unlink(log);
  tu_result r = sh("PATH='%s/nx1:%s/nx2:%s/noexec:/usr/bin:/bin' strace -f -qq "
                   "-e trace=execve -o '%s' '%s' %s '%s' -- true",
                   dir, dir, dir, log, run ? tu_sysfence() : loader(), run ? "run" : "",
                   filter);
  expect(&r, 0, run ? "sysfence run under strace" : "the loader under strace");
  tu_result_free(&r);
  char *text = tu_read(log, NULL);
  ck_assert_ptr_nonnull(text);
  int calls = 0;
  const char *last = NULL;
  for (const char *p = text; (p = strstr(p, " execve(")) != NULL; p++) {
    calls++;
    last = p;
  }
  /* The one that started the loader, and the one that started 'true'. */
  ck_assert_msg(calls == 2, "%d execve calls, expected 2:\n%s", calls, text);
  ck_assert_msg(strncmp(last, " execve(\"/", 10) == 0 && strstr(last, "[\"true\"]") &&
                    strstr(last, "= 0"),
                "not an absolute path with argv[0] as written:\n%s", text);
  free(text);
  free(log);
}

START_TEST(loader_single_execve) {
  NEED_SECCOMP(__func__);
  if (!have("strace")) {
    tu_skip("loader_single_execve", "strace is not installed");
    return;
  }
  char *dir = tu_tmpdir();
  /* strace must be able to trace here at all. */
  tu_result r = sh("strace -f -qq -e trace=execve -o /dev/null /bin/true");
  int traced = r.exited && r.status == 0;
  tu_result_free(&r);
  if (!traced) {
    tu_skip("loader_single_execve", "strace cannot trace here");
    tu_rmtree(dir);
    free(dir);
    return;
  }
  char *noexec = path_in(dir, "noexec");
  mkdir(noexec, 0700);
  char *fake = tu_write(noexec, "true", "#!/bin/sh\nexit 3\n");
  chmod(fake, 0644);
  char *blob = compile_blob(dir, "allow.bpf", ALLOW_ALL);
  one_execve(dir, blob, 0);
  char *policy = tu_write(dir, "allow.policy", ALLOW_ALL);
  one_execve(dir, policy, 1);
  free(policy);
  free(blob);
  free(fake);
  free(noexec);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The search keeps execvp's rules: an empty PATH entry is ".", a file that
 * cannot be executed is reported (126) when nothing better is found, and
 * an executable without "#!" is run by /bin/sh. */
START_TEST(loader_path_search) {
  NEED_SECCOMP(__func__);
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "allow.bpf", ALLOW_ALL);
  char *here = tu_write(dir, "sf-here", "#!/bin/sh\necho \"here $0 $1\"\n");
  chmod(here, 0755);
  tu_result r = sh("cd '%s' && PATH=':/usr/bin:/bin' '%s' '%s' -- sf-here x", dir,
                   loader(), blob);
  expect(&r, 0, "empty PATH entry");
  /* $0 is the path exec'd: the bare name, as execvp passes it. */
  ck_assert_str_eq(r.out, "here sf-here x\n");
  tu_result_free(&r);
  char *plain = tu_write(dir, "sf-plain", "echo plain\n");
  chmod(plain, 0644);
  r = sh("PATH='%s/nx:%s' '%s' '%s' -- sf-plain", dir, dir, loader(), blob);
  expect(&r, 126, "only a non-executable file in PATH");
  ck_assert_msg(strstr(r.err, "Permission denied") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  char *noshebang = tu_write(dir, "sf-noshebang", "echo \"no shebang $1\"\n");
  chmod(noshebang, 0755);
  r = ld(blob, "--", noshebang, "y", NULL);
  expect(&r, 0, "a script without #!");
  ck_assert_str_eq(r.out, "no shebang y\n");
  tu_result_free(&r);
  free(noshebang);
  free(plain);
  free(here);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_fd_and_stdin) {
  NEED_SECCOMP("loader_fd_and_stdin");
  if (!have("uname")) {
    tu_skip("loader_fd_and_stdin", "no uname command");
    return;
  }
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "deny.bpf", DENY_UNAME);
  tu_result r = sh("'%s' --fd 3 -- uname -s 3<'%s'", loader(), blob);
  ck_assert_msg(r.exited && r.status != 0 && strstr(r.err, "Operation not permitted"),
                "--fd: %d %s", r.status, r.err);
  tu_result_free(&r);
  /* The filter's descriptor is closed before the command runs. */
  r = sh("'%s' --fd 3 -- /bin/sh -c 'test -e /proc/self/fd/3 && echo open || "
         "echo closed' 3<'%s'", loader(), blob);
  expect(&r, 0, "--fd closed");
  ck_assert_str_eq(r.out, "closed\n");
  tu_result_free(&r);
  r = sh("'%s' - -- uname -s < '%s'", loader(), blob);
  ck_assert_msg(r.exited && r.status != 0 && strstr(r.err, "Operation not permitted"),
                "stdin: %d %s", r.status, r.err);
  tu_result_free(&r);
  /* Bad descriptors fail closed. */
  char *marker = path_in(dir, "MARKER");
  r = sh("'%s' --fd 7 -- touch '%s' 7<&-", loader(), marker);
  expect(&r, 125, "--fd of a closed descriptor");
  tu_result_free(&r);
  r = ld("--fd", "x", "--", "touch", marker, NULL);
  expect(&r, 125, "--fd x");
  tu_result_free(&r);
  r = ld("--fd", "3", blob, "--", "touch", marker, NULL);
  expect(&r, 125, "--fd and a FILE");
  tu_result_free(&r);
  r = sh("'%s' - -- touch '%s' < /dev/null", loader(), marker);
  expect(&r, 125, "empty stdin");
  tu_result_free(&r);
  ck_assert(!exists(marker));
  free(marker);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_dry_run) {
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "deny.bpf", DENY_UNAME);
  char *marker = path_in(dir, "MARKER");
  tu_result r = ld("--dry-run", blob, "--", "touch", marker, NULL);
  expect(&r, 0, "--dry-run");
  ck_assert(!exists(marker));
  ck_assert_msg(strstr(r.out, "ERRNO(1)") && strstr(r.out, "uname"), "listing: %s", r.out);
  ck_assert_msg(strstr(r.err, "not run") != NULL, "stderr: %s", r.err);
  /* The listing is disasm's. */
  tu_result d = sf("disasm", blob, NULL);
  expect(&d, 0, "disasm");
  ck_assert_str_eq(r.out, d.out);
  tu_result_free(&d);
  tu_result_free(&r);
  r = ld("-n", blob, NULL);
  expect(&r, 0, "-n without a command");
  tu_result_free(&r);
  free(marker);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_flags) {
  NEED_SECCOMP("loader_flags");
  char *dir = tu_tmpdir();
  char *blob = compile_blob(dir, "allow.bpf", ALLOW_ALL);
  const char *flags[] = {"--tsync", "--log", "--spec-allow"};
  for (int i = 0; i < 3; i++) {
    tu_result r = ld(flags[i], blob, "--", "/bin/true", NULL);
    expect(&r, 0, flags[i]);
    tu_result_free(&r);
  }
  tu_result r = ld("--tsync", "--log", blob, "--", "/bin/true", NULL);
  expect(&r, 0, "--tsync --log");
  tu_result_free(&r);
  r = ld("--dry-run", "--tsync", "--log", blob, NULL);
  expect(&r, 0, "--dry-run with flags");
  ck_assert_msg(strstr(r.err, "tsync,log") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(loader_usage) {
  tu_result r = ld(NULL);
  expect(&r, 125, "no arguments");
  tu_result_free(&r);
  r = ld("x.bpf", NULL);
  expect(&r, 125, "no command");
  ck_assert_msg(strstr(r.err, "missing '-- COMMAND'") != NULL, "stderr: %s", r.err);
  tu_result_free(&r);
  r = ld("--bogus", "x.bpf", "--", "/bin/true", NULL);
  expect(&r, 125, "unknown option");
  tu_result_free(&r);
  r = ld("--help", NULL);
  expect(&r, 0, "--help");
  ck_assert_msg(strstr(r.out, "Usage: sysfence-exec") && strstr(r.out, "125") &&
                    strstr(r.out, "127"), "help: %s", r.out);
  tu_result_free(&r);
  r = ld("--version", NULL);
  expect(&r, 0, "--version");
  ck_assert_msg(strstr(r.out, sysfence_version()) != NULL, "%s", r.out);
  tu_result_free(&r);
}
END_TEST

/* The loader has no compiler in it, and --gc-sections dropped the tables
 * it does not use. */
START_TEST(loader_is_small) {
  if (!have("nm")) {
    tu_skip("loader_is_small", "no nm (install binutils)");
    return;
  }
  /* Another architecture's table must not be there. */
  const char *host = sysfence_host_arch();
  const char *other = host && strcmp(host, "i386") == 0 ? "sys_x86_64" : "sys_i386";
  tu_result r = sh("nm '%s' 2>/dev/null | grep -E -o -w "
                   "'sf_parse|sf_resolve|sysfence_compile|sf_codegen|yyparse|"
                   "sf_gen_known_names|%s|sf_bpf_validate' | sort -u",
                   loader(), other);
  if (!strstr(r.out, "sf_bpf_validate\n")) {
    tu_skip("loader_is_small", "nm finds no symbols: the loader is stripped");
  } else if (TU_ASAN) {
    /* ASan's metadata for every global keeps dead tables alive, so only
     * the compiler's absence can be checked in this build. */
    ck_assert_msg(!strstr(r.out, "sf_parse") && !strstr(r.out, "sf_resolve") &&
                      !strstr(r.out, "sysfence_compile") &&
                      !strstr(r.out, "sf_codegen") && !strstr(r.out, "yyparse"),
                  "the loader contains the compiler:\n%s", r.out);
    tu_not_applicable("loader_is_small (unused tables dropped)",
                      "AddressSanitizer keeps every table alive");
  } else {
    /* Only the validator: no parser, no compiler, no other arch's table. */
    ck_assert_msg(strcmp(r.out, "sf_bpf_validate\n") == 0,
                  "the loader contains more than it needs:\n%s", r.out);
  }
  tu_result_free(&r);
}
END_TEST

/* ---- sysfence run -------------------------------------------------------- */

START_TEST(run_behaves_like_loader) {
  char *dir = tu_tmpdir();
  char *allow = tu_write(dir, "allow.policy", ALLOW_ALL);
  char *deny = tu_write(dir, "deny.policy", DENY_UNAME);
  char *marker = path_in(dir, "MARKER");
  tu_result r;
  if (seccomp_ok) {
    r = sf("run", allow, "--", "/bin/sh", "-c", "exit 42", NULL);
    expect(&r, 42, "run: exit status");
    tu_result_free(&r);
    if (have("uname")) {
      r = sf("run", deny, "--", "uname", "-s", NULL);
      ck_assert_msg(r.exited && r.status != 0 &&
                        strstr(r.err, "Operation not permitted"),
                    "run: uname not refused: %d %s", r.status, r.err);
      tu_result_free(&r);
      r = sh("'%s' run - -- uname -s < '%s'", tu_sysfence(), deny);
      ck_assert_msg(r.exited && r.status != 0, "run -: %d %s", r.status, r.err);
      tu_result_free(&r);
    } else {
      tu_skip("run_behaves_like_loader (uname)", "no uname command");
    }
    for (int i = 0; i < 3; i++) {
      const char *f[] = {"--tsync", "--log", "--spec-allow"};
      r = sf("run", allow, f[i], "--", "/bin/true", NULL);
      expect(&r, 0, f[i]);
      tu_result_free(&r);
    }
    r = sf("run", allow, "--", "sysfence-no-such-command", NULL);
    expect(&r, 127, "run: not found");
    tu_result_free(&r);
    r = sf("run", allow, "--", dir, NULL);
    expect(&r, 126, "run: a folder");
    tu_result_free(&r);
    /* -I: the include is found. */
    char *sub = path_in(dir, "inc");
    mkdir(sub, 0700);
    char *inc = tu_write(sub, "deny.inc", "POLICY p { ERRNO(1) { uname } }\n");
    char *top = tu_write(dir, "top.policy", "#include \"deny.inc\"\nUSE p DEFAULT ALLOW\n");
    r = sf("run", top, "-I", sub, "--", "/bin/true", NULL);
    expect(&r, 0, "run -I");
    tu_result_free(&r);
    free(inc);
    free(top);
    free(sub);
  } else {
    tu_skip_no_seccomp("run_behaves_like_loader (the parts that install filters)");
  }
  /* Fails closed. */
  char *bad = tu_write(dir, "bad.policy", "ALLOW { opneat } DEFAULT KILL\n");
  r = sf("run", bad, "--", "touch", marker, NULL);
  expect(&r, 125, "run: policy with errors");
  ck_assert_msg(strstr(r.err, "opneat") != NULL, "no diagnostic: %s", r.err);
  tu_result_free(&r);
  char *missing = path_in(dir, "missing.policy");
  r = sf("run", missing, "--", "touch", marker, NULL);
  expect(&r, 125, "run: missing policy");
  tu_result_free(&r);
  r = sf("run", allow, "touch", marker, NULL);
  expect(&r, 125, "run: no '--'");
  tu_result_free(&r);
  r = sf("run", allow, NULL);
  expect(&r, 125, "run: no command");
  tu_result_free(&r);
  r = sf("run", allow, "--bogus", "--", "touch", marker, NULL);
  expect(&r, 125, "run: unknown option");
  tu_result_free(&r);
  const char *foreign = strcmp(sysfence_host_arch() ? sysfence_host_arch() : "", "aarch64")
                            ? "aarch64" : "x86_64";
  r = sf("run", allow, "--arch", foreign, "--", "touch", marker, NULL);
  expect(&r, 125, "run: foreign --arch");
  tu_result_free(&r);
  r = sf("run", allow, "--arch", "nosucharch", "--", "touch", marker, NULL);
  expect(&r, 125, "run: unknown --arch");
  tu_result_free(&r);
  /* --dry-run prints the listing (compile --format asm's) and runs nothing. */
  r = sf("run", deny, "--dry-run", "--", "touch", marker, NULL);
  expect(&r, 0, "run --dry-run");
  tu_result c = sf("compile", deny, "--format", "asm", NULL);
  expect(&c, 0, "compile --format asm");
  ck_assert_str_eq(r.out, c.out);
  tu_result_free(&c);
  tu_result_free(&r);
  r = sf("run", deny, "--dry-run", "--arch", foreign, NULL);
  expect(&r, 0, "run --dry-run --arch foreign");
  c = sf("compile", deny, "--format", "asm", "--arch", foreign, NULL);
  ck_assert_str_eq(r.out, c.out);
  tu_result_free(&c);
  tu_result_free(&r);
  r = sf("run", "--help", NULL);
  expect(&r, 0, "run --help");
  ck_assert_msg(strstr(r.out, "Usage: sysfence run") != NULL, "%s", r.out);
  tu_result_free(&r);
  ck_assert_msg(!exists(marker), "a failed 'run' ran the command");
  free(bad);
  free(missing);
  free(marker);
  free(allow);
  free(deny);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- sysfence_apply ------------------------------------------------------ */

/* In a child: what sysfence_apply(PROG, FLAGS) returned, and then whether
 * uname(2) works and no_new_privs is set, reported through a pipe. */
typedef struct apply_report {
  int rc, aerr, uerr, nnp;
} apply_report;

static apply_report apply_report_of(const struct sock_fprog *prog, unsigned flags) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    apply_report a = {0};
    errno = 0;
    a.rc = sysfence_apply(prog, flags);
    a.aerr = a.rc == 0 ? 0 : errno;
    struct utsname u;
    a.uerr = uname(&u) == 0 ? 0 : errno;
    a.nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    ssize_t w = write(fds[1], &a, sizeof a);
    _exit(w == (ssize_t)sizeof a ? 0 : 1);
  }
  close(fds[1]);
  apply_report a = {-2, 0, 0, 0};
  ssize_t got = read(fds[0], &a, sizeof a);
  close(fds[0]);
  int st;
  waitpid(pid, &st, 0);
  ck_assert_msg(got == (ssize_t)sizeof a && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                "the child did not report");
  return a;
}

START_TEST(apply_library) {
  /* Refused before anything is installed: no no_new_privs either. */
  apply_report a = apply_report_of(NULL, 0);
  ck_assert_int_eq(a.rc, -1);
  ck_assert_int_eq(a.aerr, EINVAL);
  ck_assert_int_eq(a.nnp, 0);
  struct sock_filter bad[] = {{0xff, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 0x7fff0000U)};
  struct sock_fprog badp = {2, bad};
  a = apply_report_of(&badp, 0);
  ck_assert_int_eq(a.rc, -1);
  ck_assert_int_eq(a.aerr, EINVAL);
  ck_assert_int_eq(a.nnp, 0);
  struct sock_fprog empty = {0, bad};
  a = apply_report_of(&empty, 0);
  ck_assert_int_eq(a.aerr, EINVAL);
  struct sock_fprog prog;
  ck_assert_int_eq(tu_compile(DENY_UNAME, NULL, &prog, NULL), SYSFENCE_OK);
  a = apply_report_of(&prog, 1u << 7);
  ck_assert_int_eq(a.rc, -1);
  ck_assert_int_eq(a.aerr, EINVAL);
  ck_assert_int_eq(a.nnp, 0);
  if (seccomp_ok) {
    unsigned flags[] = {0, SYSFENCE_APPLY_TSYNC, SYSFENCE_APPLY_LOG,
                        SYSFENCE_APPLY_SPEC_ALLOW,
                        SYSFENCE_APPLY_TSYNC | SYSFENCE_APPLY_LOG};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
      a = apply_report_of(&prog, flags[i]);
      ck_assert_msg(a.rc == 0, "flags %u: %s", flags[i], strerror(a.aerr));
      ck_assert_int_eq(a.uerr, EPERM);
      ck_assert_int_eq(a.nnp, 1);
    }
  }
  free(prog.filter);
}
END_TEST

/* ---- the example and the man pages --------------------------------------- */

START_TEST(embed_example) {
  NEED_SECCOMP("embed_example");
  tu_result r = sh("'%s/examples/embed'", BUILDDIR);
  expect(&r, 0, "examples/embed");
  ck_assert_msg(strstr(r.out, "sum of squares 1..1000 = 333833500\n") &&
                    strstr(r.out, "uname: denied: Operation not permitted\n") &&
                    strstr(r.out, "open: denied: Permission denied\n"),
                "embed output:\n%s", r.out);
  tu_result_free(&r);
}
END_TEST

START_TEST(man_pages) {
  const char *pages[] = {"sysfence.1", "sysfence-exec.1", "libsysfence.3",
                         "sysfence-policy.5"};
  if (!have("groff")) {
    tu_skip("man_pages (rendering)", "groff is not installed (groff-base)");
  } else {
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
      tu_result r = sh("groff -man -ww -z '%s/man/%s' 2>&1", SRCDIR, pages[i]);
      ck_assert_msg(r.exited && r.status == 0 && r.out[0] == '\0',
                    "%s does not render cleanly:\n%s", pages[i], r.out);
      tu_result_free(&r);
    }
  }
  /* Every function of the API is documented in libsysfence(3). */
  char *header = tu_read(SRCDIR "/include/sysfence.h", NULL);
  char *page = tu_read(SRCDIR "/man/libsysfence.3", NULL);
  ck_assert_ptr_nonnull(header);
  ck_assert_ptr_nonnull(page);
  int n = 0;
  for (const char *p = header; (p = strstr(p, "SYSFENCE_API ")) != NULL; p++) {
    /* The identifier just before the first '(' of the line. */
    const char *paren = strchr(p, '(');
    const char *eol = strchr(p, '\n');
    if (!paren || (eol && paren > eol)) continue;
    const char *name = paren;
    while (name > p && (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z')))
      name--;
    if (strncmp(name, "sysfence_", 9) != 0) continue;
    char fn[64];
    snprintf(fn, sizeof fn, "%.*s", (int)(paren - name), name);
    char bold[80];
    snprintf(bold, sizeof bold, ".BR %s ()", fn);
    ck_assert_msg(strstr(page, bold) != NULL, "libsysfence.3 does not describe %s", fn);
    n++;
  }
  ck_assert_int_ge(n, 26);
  free(header);
  free(page);
}
END_TEST

/* ---- the README's first command ------------------------------------------ */

/* Code line N (0: the first) of the README's Quick start section, without
 * its indentation; malloc()ed, NULL if there is none. */
static char *quick_start_line(int n) {
  char *readme = tu_read(SRCDIR "/README", NULL);
  ck_assert_ptr_nonnull(readme);
  char *line = strstr(readme, "\nQuick start");
  char *end = line ? strstr(line + 1, "\nUsage\n") : NULL; /* the next section */
  for (int i = 0; line && i <= n; i++) {
    line = strstr(line + 1, "\n    ");
    if (line && end && line > end) line = NULL;
  }
  char *text = NULL;
  if (line) {
    line += 5;
    text = strndup(line, strcspn(line, "\n"));
  }
  free(readme);
  return text;
}

/* What a newcomer runs once the build is done: the first Quick start
 * command from "make -j2 && " on.  malloc()ed, NULL if not there. */
static char *quick_start_command(void) {
  const char *mark = "make -j2 && ";
  char *line = quick_start_line(0);
  char *rest = line ? strstr(line, mark) : NULL;
  char *cmd = rest ? strdup(rest + strlen(mark)) : NULL;
  free(line);
  return cmd;
}

/* It runs as written, shows the refused socket and exits 0.  It is run in
 * a folder laid out as an in-tree build is (src/ from the build, policies/
 * from the sources), which also keeps the blob it writes out of the build. */
START_TEST(readme_quick_start) {
  NEED_SECCOMP("readme_quick_start");
  if (!have("python3")) {
    tu_skip("readme_quick_start", "no python3 (install the python3 package)");
    return;
  }
  char *cmd = quick_start_command();
  ck_assert_msg(cmd != NULL, "README: no Quick start line with 'make -j2 && '");
  char *dir = tu_tmpdir();
  tu_result r = sh("cd '%s' && ln -s '%s/src' src && ln -s '%s/policies' policies "
                   "&& %s", dir, BUILDDIR, SRCDIR, cmd);
  ck_assert_msg(r.exited && r.status == 0,
                "the README's first command: status %d\n%s\n--- stdout:\n%s"
                "--- stderr:\n%s", r.status, cmd, r.out, r.err);
  /* the listing, the shell's line, and the refusal as the last line */
  ck_assert_msg(strstr(r.out, "ret ") && strstr(r.out, "\nshell runs: ") &&
                    strstr(r.out, " entries in /\n"),
                "the README's first command printed:\n%s", r.out);
  const char *refused = "PermissionError: [Errno 13] Permission denied\n";
  size_t n = strlen(r.out), m = strlen(refused);
  ck_assert_msg(n >= m && strcmp(r.out + n - m, refused) == 0,
                "the refusal is not the last line:\n%s", r.out);
  tu_result_free(&r);
  free(cmd);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* CI (.ci/run) runs the README's test command, the second Quick start
 * line, as it is written there (a line of its own; the longer targets an
 * issue asks CI to run come after it). */
START_TEST(readme_ci_command) {
  char *readme = quick_start_line(1);
  ck_assert_msg(readme != NULL, "README: no second Quick start line");
  ck_assert_msg(strstr(readme, "make -j2 check") != NULL,
                "README: the second Quick start line is not the test command: %s",
                readme);
  char *ci = tu_read(SRCDIR "/.ci/run", NULL);
  ck_assert_ptr_nonnull(ci);
  /* one of its lines, whole */
  int found = 0;
  for (char *line = strtok(ci, "\n"); line && !found; line = strtok(NULL, "\n"))
    found = strcmp(line, readme) == 0;
  ck_assert_msg(found, "no line of .ci/run is the README's test command:\n%s", readme);
  free(ci);
  ci = tu_read(SRCDIR "/.ci/run", NULL);
  ck_assert_msg(strstr(ci, "\nexport SYSFENCE_REQUIRE_ALL=1\n") != NULL,
                ".ci/run does not require every check to run");
  free(ci);
  free(readme);
}
END_TEST

static Suite *loader_suite(void) {
  Suite *s = suite_create("loader");
  TCase *t = tcase_create("sysfence-exec");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, loader_runs_allowed_command);
  tcase_add_test(t, loader_denies_syscall);
  tcase_add_test(t, loader_fails_closed);
  tcase_add_test(t, loader_command_errors);
  tcase_add_test(t, loader_preflight_wrong_arch);
  tcase_add_test(t, loader_preflight_actions);
  tcase_add_test(t, loader_single_execve);
  tcase_add_test(t, loader_path_search);
  tcase_add_test(t, loader_fd_and_stdin);
  tcase_add_test(t, loader_dry_run);
  tcase_add_test(t, loader_flags);
  tcase_add_test(t, loader_usage);
  tcase_add_test(t, loader_is_small);
  suite_add_tcase(s, t);
  t = tcase_create("run");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, run_behaves_like_loader);
  tcase_add_test(t, run_preflight);
  suite_add_tcase(s, t);
  t = tcase_create("library");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, apply_library);
  tcase_add_test(t, embed_example);
  tcase_add_test(t, man_pages);
  suite_add_tcase(s, t);
  t = tcase_create("readme");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, readme_quick_start);
  tcase_add_test(t, readme_ci_command);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  if (access(loader(), X_OK) != 0 || access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_loader: %s or %s is not an executable\n", loader(),
            tu_sysfence());
    return 99;
  }
  /* Without seccomp, each test that installs a filter says so. */
  seccomp_ok = tu_seccomp_available();
  return tu_run_suite(loader_suite());
}
