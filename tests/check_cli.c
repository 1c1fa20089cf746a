/* check_cli.c - the sysfence command line: options, exit statuses,
 * output files and formats, disasm, determinism. */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence.h"
#include "testutil.h"

#define MAXARGS 32

/* Run sysfence with the NULL-terminated arguments; STDIN_TEXT may be NULL. */
#define sf(stdin_text, ...) tu_run_program(tu_sysfence(), (stdin_text), __VA_ARGS__)

/* Run a shell command line (for byte-exact stdout redirections): its exit
 * status, with the output shown when it failed. */
__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  tu_result r = tu_sh("%s", cmd);
  int st = r.exited ? r.status : 128 + r.status;
  if (st != 0) fprintf(stderr, "command failed (%d): %s\n%s%s", st, cmd, r.out, r.err);
  tu_result_free(&r);
  return st;
}

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

static size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static int matches(const char *text, const char *pattern) {
  regex_t re;
  ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
  int r = regexec(&re, text, 0, NULL, 0) == 0;
  regfree(&re);
  return r;
}

static size_t count_lines_matching(const char *text, const char *pattern) {
  regex_t re;
  ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED), 0);
  size_t n = 0;
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char *line = strndup(p, len);
    if (regexec(&re, line, 0, NULL, 0) == 0) n++;
    free(line);
    p += len + (nl ? 1 : 0);
  }
  regfree(&re);
  return n;
}

#define EXPECT_EXIT(r, code)                                                  \
  ck_assert_msg((r).exited && (r).status == (code),                           \
                "expected exit %d, got %s %d\nstdout: %s\nstderr: %s", (code),  \
                (r).exited ? "exit" : "signal", (r).status, (r).out, (r).err)

static const char *GOOD =
    "ALLOW { read, write { fd == 1 }, exit_group }\n"
    "ERRNO(1) { openat }\n"
    "DEFAULT KILL_PROCESS\n";

/* The API's raw encoding of SRC for ARCH (malloc()ed; *len bytes). */
static unsigned char *api_blob(const char *src, const char *arch, size_t *len) {
  sysfence_ctx *ctx = sysfence_new();
  sysfence_set_input_string(ctx, "api.policy", src);
  ck_assert_int_eq(sysfence_set_arch(ctx, arch), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  ck_assert_msg(sysfence_compile(ctx, &prog) == SYSFENCE_OK, "%s",
                sysfence_diag_text(ctx));
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  ck_assert_int_eq(sysfence_emit(ctx, &prog, SYSFENCE_FORMAT_BPF, NULL, f),
                   SYSFENCE_OK);
  fclose(f);
  free(prog.filter);
  sysfence_free(ctx);
  return (unsigned char *)buf;
}

/* ---- help, version, usage errors ------------------------------------------ */

START_TEST(cli_help) {
  /* The command list: every command, no option of one. */
  const char *forms[] = {"--help", "-h", "help"};
  for (int i = 0; i < 3; i++) {
    tu_result r = sf(NULL, forms[i], NULL);
    EXPECT_EXIT(r, 0);
    const char *want[] = {"compile", "check", "disasm", "eval", "sim", "stats",
                          "run", "arches", "--help", "--version", "COMMAND --help"};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
      ck_assert_msg(strstr(r.out, want[w]) != NULL, "%s: help lacks '%s':\n%s",
                    forms[i], want[w], r.out);
    ck_assert_msg(strstr(r.out, "Usage") != NULL, "no usage line");
    tu_result_free(&r);
  }
  /* Each command's help: its own options and only those. */
  const struct {
    const char *cmd;
    const char *has[8], *lacks[4];
  } helps[] = {
      {"compile", {"-o", "--output", "--format", "--arch", "-I", "--include", "--name",
                   "--bad-arch"}, {"--trace", "--blob", "--dry-run", NULL}},
      {"check", {"--arch", "--include", "--define", "--bad-arch", NULL},
       {"--output", "--format", "--optimize", "--name"}},
      {"disasm", {"--arch", "AUDIT_ARCH check", NULL}, {"--output", "--include", "--define", NULL}},
      {"arches", {"--help", NULL}, {"--arch", "--output", NULL}},
      {"run", {"--dry-run", "--no-preflight", "--tsync", "--define", "SYSFENCE_PID", NULL},
       {"--output", "--format", NULL}},
      {"stats", {"--bad-arch", "--unknown", NULL}, {"--output", NULL}},
  };
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
    tu_result r = sf(NULL, helps[i].cmd, "--help", NULL);
    EXPECT_EXIT(r, 0);
    for (int w = 0; w < 8 && helps[i].has[w]; w++)
      ck_assert_msg(strstr(r.out, helps[i].has[w]) != NULL, "%s --help lacks '%s':\n%s",
                    helps[i].cmd, helps[i].has[w], r.out);
    for (int w = 0; w < 4 && helps[i].lacks[w]; w++)
      ck_assert_msg(strstr(r.out, helps[i].lacks[w]) == NULL, "%s --help has '%s':\n%s",
                    helps[i].cmd, helps[i].lacks[w], r.out);
    /* Lines fit in 80 columns; below "Options:" each is an option's head
     * ("  -x, --name" or "      --name") or a continuation indented to
     * column 25 (an option's text printed with its own line breaks once
     * gave a line at column 0). */
    int in_options = 0;
    for (const char *p = r.out; *p;) {
      const char *nl = strchr(p, '\n');
      size_t n = nl ? (size_t)(nl - p) : strlen(p);
      ck_assert_msg(n < 80, "%s --help: a line of %zu columns: %.*s", helps[i].cmd, n,
                    (int)n, p);
      if (n == 0) in_options = 0;
      else if (in_options)
        ck_assert_msg(strncmp(p, "  -", 3) == 0 || strncmp(p, "      --", 8) == 0 ||
                          (n > 25 && strspn(p, " ") == 25),
                      "%s --help: a stray line in the options: %.*s", helps[i].cmd,
                      (int)n, p);
      if (strncmp(p, "Options:", 8) == 0) in_options = 1;
      p += n + (nl != NULL);
    }
    tu_result_free(&r);
  }
  /* Without arguments: usage on stderr, exit 2. */
  tu_result r = sf(NULL, NULL);
  EXPECT_EXIT(r, 2);
  ck_assert_msg(strstr(r.err, "Usage") != NULL && r.out[0] == '\0', "%s", r.err);
  tu_result_free(&r);
}
END_TEST

/* An option a command does not take is refused the same way by every
 * command (named, exit 2, nothing written), and so are extra arguments. */
START_TEST(cli_refuses_foreign_options) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *out = path_in(dir, "out");
  const char *cases[][6] = {
      {"check", "-o", out, pol, NULL, "'--output' does not apply to 'check'"},
      {"check", "--format", "c", pol, NULL, "'--format' does not apply to 'check'"},
      {"check", "-O", "1", pol, NULL, "'--optimize' does not apply to 'check'"},
      {"check", "--name", "x", pol, NULL, "'--name' does not apply to 'check'"},
      {"disasm", "-I", dir, pol, NULL, "'--include' does not apply to 'disasm'"},
      {"disasm", "-o", out, pol, NULL, "'--output' does not apply to 'disasm'"},
      {"sim", "--bad-arch", "ALLOW", pol, "read", "'--bad-arch' does not apply to 'sim'"},
      {"eval", "--trace", pol, "read", NULL, "'--trace' does not apply to 'eval'"},
      {"compile", "--dry-run", pol, NULL, NULL, "'--dry-run' does not apply to 'compile'"},
      {"arches", "--arch", "x86_64", NULL, NULL, "'--arch' does not apply to 'arches'"},
      {"arches", "extra", NULL, NULL, NULL, "too many arguments"},
      {"check", pol, "extra", NULL, NULL, "too many arguments"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_result r = sf(NULL, cases[i][0], cases[i][1], cases[i][2], cases[i][3],
                     cases[i][4], NULL);
    ck_assert_msg(r.exited && r.status == 2, "case %zu (%s %s): exit %d\n%s", i,
                  cases[i][0], cases[i][1], r.status, r.err);
    ck_assert_msg(strstr(r.err, cases[i][5]) && strstr(r.err, "--help"),
                  "case %zu: %s", i, r.err);
    ck_assert_msg(r.out[0] == '\0', "case %zu printed: %s", i, r.out);
    ck_assert_msg(!file_exists(out), "case %zu: output written", i);
    tu_result_free(&r);
  }
  free(out);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_version) {
  char want[128];
  snprintf(want, sizeof want, "sysfence %s\n", sysfence_version());
  ck_assert(matches(sysfence_version(), "^[0-9]+\\.[0-9]+\\.[0-9]+"));
  const char *forms[] = {"--version", "-V"};
  for (int i = 0; i < 2; i++) {
    tu_result r = sf(NULL, forms[i], NULL);
    EXPECT_EXIT(r, 0);
    ck_assert_str_eq(r.out, want);
    tu_result_free(&r);
  }
}
END_TEST

START_TEST(cli_usage_errors) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *out = path_in(dir, "out.bpf");
  /* Options before the policy, so each case tests only its own error. */
  struct {
    const char *args[9];
    const char *says; /* stderr mentions this */
  } cases[] = {
      {{"compile", "-o", out, "--frobnicate", pol}, "frobnicate"},
      {{"compile", "-o", out, "-Z", pol}, "Z"},
      {{"compile", "-o", out, "--format", "elf", pol}, "elf"},
      {{"compile", "-o", out, "-f", "", pol}, "format"},
      {{"compile", "-o", out, "--arch", "vax", pol}, "vax"},
      {{"compile", "-o", out, "-a", "x86-64-bogus", pol}, "x86-64-bogus"},
      {{"compile", "-o", out, "--format", "c", "--name", "9abc", pol}, "9abc"},
      {{"compile", "-o", out, "--format", "c", "--name", "a-b", pol}, "a-b"},
      {{"compile", "-o", out, "--format", "c", "--name", "", pol}, "name"},
      /* Identifiers a header cannot use: keywords (C11, C23), reserved
       * names, <linux/filter.h>'s macros. */
      {{"compile", "-o", out, "--format", "c", "--name", "int", pol}, "C keyword"},
      {{"compile", "-o", out, "--format", "c", "--name", "while", pol}, "C keyword"},
      {{"compile", "-o", out, "--format", "c", "--name", "bool", pol}, "C keyword"},
      {{"compile", "-o", out, "--format", "c", "--name", "_Bool", pol}, "reserved"},
      {{"compile", "-o", out, "--format", "c", "--name", "__f", pol}, "reserved"},
      {{"compile", "-o", out, "--format", "c", "--name", "BPF_K", pol}, "BPF_"},
      {{"compile", "-o", out, "--format", "c", "--name", "SKF_AD_OFF", pol}, "SKF_"},
      {{"compile", "-o", out}, "input"},
      {{"compile", "-o", out, pol, pol}, "argument"},
      {{"compile", "-o", out, "--bad-arch", "FROB", pol}, "FROB"},
      {{"compile", "-o", out, "--bad-arch", "ERRNO(", pol}, "ERRNO("},
      {{"compile", pol, "-o"}, "sysfence"},
      {{"frobnicate", pol}, "frobnicate"},
      {{"check", "--arch", "vax", pol}, "vax"},
      {{"disasm", "--arch", "vax", pol}, "vax"},
      {{"disasm", "/nonexistent/sysfence/x.bpf"}, "x.bpf"},
      {{"disasm"}, "input"},
      /* A missing input file is a usage (I/O) error too. */
      {{"compile", "-o", out, "/nonexistent/sysfence/x.policy"}, "x.policy"},
      {{"check", "/nonexistent/sysfence/x.policy"}, "x.policy"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *const *c = cases[i].args;
    tu_result r = sf(NULL, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], NULL);
    ck_assert_msg(r.exited && r.status == 2,
                  "case %zu (%s %s %s %s): expected exit 2, got %d\nstderr: %s", i,
                  c[0], c[1] ? c[1] : "", c[2] ? c[2] : "", c[3] ? c[3] : "",
                  r.status, r.err);
    ck_assert_msg(strstr(r.err, "sysfence") != NULL,
                  "case %zu: message does not name the program: %s", i, r.err);
    ck_assert_msg(strstr(r.err, cases[i].says) != NULL,
                  "case %zu: message does not mention '%s': %s", i, cases[i].says,
                  r.err);
    ck_assert_msg(!file_exists(out), "case %zu: output written on usage error", i);
    tu_result_free(&r);
  }
  free(out);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- policy errors ------------------------------------------------------- */

START_TEST(cli_policy_error_keeps_output) {
  char *dir = tu_tmpdir();
  char *bad = tu_write(dir, "bad.policy",
                       "ALLOW { read }\nERRNO(1) { no_such_syscall }\nDEFAULT KILL\n");
  const char sentinel[] = "sentinel: must survive\n\x01\x02";
  char *out = tu_write(dir, "out.bpf", sentinel);
  const char *formats[] = {"bpf", "c", "asm"};
  for (int f = 0; f < 3; f++) {
    tu_result r = sf(NULL, "compile", bad, "-o", out, "--format", formats[f], NULL);
    EXPECT_EXIT(r, 1);
    char pat[512];
    snprintf(pat, sizeof pat, "^%s:2:[0-9]+: error: .*no_such_syscall", bad);
    ck_assert_msg(matches(r.err, pat), "diagnostic not as expected:\n%s", r.err);
    ck_assert_msg(r.out[0] == '\0', "stdout not empty: %s", r.out);
    size_t len;
    char *now = tu_read(out, &len);
    ck_assert_msg(len == sizeof sentinel - 1 && memcmp(now, sentinel, len) == 0,
                  "existing output file changed on error");
    free(now);
    tu_result_free(&r);
  }
  /* No temporary files left behind. */
  ck_assert_uint_eq(count_entries(dir), 2);
  /* A new output file is not created. */
  char *fresh = path_in(dir, "fresh.bpf");
  tu_result r = sf(NULL, "compile", bad, "-o", fresh, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert(!file_exists(fresh));
  tu_result_free(&r);
  /* check reports the same. */
  r = sf(NULL, "check", bad, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert(matches(r.err, ":2:[0-9]+: error: "));
  tu_result_free(&r);
  /* A syntax error. */
  char *syn = tu_write(dir, "syn.policy", "ALLOW { read \n}}\n");
  r = sf(NULL, "compile", syn, "-o", fresh, NULL);
  EXPECT_EXIT(r, 1);
  char pat[512];
  snprintf(pat, sizeof pat, "^%s:2:[0-9]+: error: ", syn);
  ck_assert_msg(matches(r.err, pat), "%s", r.err);
  tu_result_free(&r);
  free(syn);
  free(fresh);
  free(bad);
  free(out);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_check_command) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  tu_result r = sf(NULL, "check", pol, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(r.out[0] == '\0' && r.err[0] == '\0', "check printed: %s%s", r.out,
                r.err);
  tu_result_free(&r);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* -O0 gives straightforward code, the default the optimized program; both
 * must be valid and decide the same calls the same way. */
START_TEST(cli_optimize_levels) {
  TU_NEED_CORPUS("cli_optimize_levels");
  char *dir = tu_tmpdir();
  const char *pol = SHARED_DIR "/corpus/docker-default.kafel";
  char *o0 = path_in(dir, "o0.bpf"), *o1 = path_in(dir, "o1.bpf");
  tu_result r = sf(NULL, "compile", "-O0", pol, "-o", o0, "--arch", "x86_64", NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", pol, "-o", o1, "--arch", "x86_64", NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  size_t l0, l1;
  char *b0 = tu_read(o0, &l0), *b1 = tu_read(o1, &l1);
  ck_assert_msg(l1 < l0, "optimized %zu bytes, -O0 %zu bytes", l1, l0);
  const char *calls[] = {"read", "socket(40)", "socket(0x100000028)", "unshare(0)",
                         "personality(8)", "x32:read", "0xffffffff"};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    tu_result a = sf(NULL, "sim", "--arch", "x86_64", o0, calls[i], NULL);
    tu_result b = sf(NULL, "sim", "--arch", "x86_64", o1, calls[i], NULL);
    EXPECT_EXIT(a, 0);
    EXPECT_EXIT(b, 0);
    /* The action is the first word; the step counts differ. */
    ck_assert_msg(strncmp(a.out, b.out, strcspn(a.out, " ")) == 0,
                  "%s: -O0 says %s, -O1 says %s", calls[i], a.out, b.out);
    tu_result_free(&a);
    tu_result_free(&b);
  }
  r = sf(NULL, "compile", "-O2", pol, "-o", o1, NULL);
  EXPECT_EXIT(r, 2);
  ck_assert_ptr_nonnull(strstr(r.err, "optimization level"));
  tu_result_free(&r);
  free(b0);
  free(b1);
  free(o0);
  free(o1);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Instructions "sim" executed for CALL (from "... (N instructions)"). */
static int sim_steps(const char *blob, const char *call, char *action,
                     size_t action_size) {
  tu_result r = sf(NULL, "sim", "--arch", "x86_64", blob, call, NULL);
  EXPECT_EXIT(r, 0);
  const char *p = strchr(r.out, '(');
  ck_assert_ptr_nonnull(p);
  int steps = atoi(p + 1);
  snprintf(action, action_size, "%.*s", (int)strcspn(r.out, "("), r.out);
  tu_result_free(&r);
  return steps;
}

/* --profile: a hot syscall gets a shorter path, the decisions stay. */
START_TEST(cli_profile) {
  TU_NEED_CORPUS("cli_profile");
  char *dir = tu_tmpdir();
  const char *pol = SHARED_DIR "/corpus/docker-default.kafel";
  char *plain = path_in(dir, "plain.bpf"), *hot = path_in(dir, "hot.bpf");
  char *simple = path_in(dir, "hot2.bpf");
  char *strace = path_in(dir, "strace.txt"), *names = path_in(dir, "names.txt");
  char *bad = path_in(dir, "bad.txt");
  FILE *f = fopen(strace, "w");
  fputs("% time     seconds  usecs/call     calls    errors syscall\n"
        "------ ----------- ----------- --------- --------- ----------------\n"
        " 90.00    0.000900           0    900000       120 futex\n"
        "  9.00    0.000090           9        10           getpid\n"
        "  1.00    0.000010          10         1         1 access\n"
        "------ ----------- ----------- --------- --------- ----------------\n"
        "100.00    0.001000           0    900011       121 total\n", f);
  fclose(f);
  f = fopen(names, "w");
  fputs("# name count\nfutex 900000\ngetpid 10\n", f);
  fclose(f);
  f = fopen(bad, "w");
  fputs("futex 10\nfutex lots\n", f);
  fclose(f);
  tu_result r = sf(NULL, "compile", "--arch", "x86_64", pol, "-o", plain, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", "--arch", "x86_64", "--profile", strace, pol, "-o",
         hot, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", "--arch", "x86_64", "--profile", names, pol, "-o",
         simple, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  char a0[64], a1[64], a2[64];
  int s0 = sim_steps(plain, "futex", a0, sizeof a0);
  int s1 = sim_steps(hot, "futex", a1, sizeof a1);
  int s2 = sim_steps(simple, "futex", a2, sizeof a2);
  ck_assert_msg(s1 < s0, "futex: %d steps with the profile, %d without", s1, s0);
  ck_assert_int_eq(s2, s1);
  ck_assert_str_eq(a0, a1);
  const char *calls[] = {"read", "getpid", "socket(40)", "personality(8)",
                         "x32:read", "0xffffffff", "reboot", "clone(0)"};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    sim_steps(plain, calls[i], a0, sizeof a0);
    sim_steps(hot, calls[i], a1, sizeof a1);
    ck_assert_msg(strcmp(a0, a1) == 0, "%s: %s vs %s", calls[i], a0, a1);
  }
  r = sf(NULL, "stats", "--arch", "x86_64", "--profile", strace, pol, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "profile:     mean"));
  tu_result_free(&r);
  r = sf(NULL, "compile", "--arch", "x86_64", "--profile", bad, pol, "-o",
         hot, NULL);
  EXPECT_EXIT(r, 2);
  ck_assert_msg(strstr(r.err, "bad.txt:2: ") != NULL, "%s", r.err);
  tu_result_free(&r);
  r = sf(NULL, "stats", "--profile", dir, pol, NULL); /* a folder */
  EXPECT_EXIT(r, 2);
  tu_result_free(&r);
  r = sf(NULL, "check", "--profile", strace, pol, NULL);
  EXPECT_EXIT(r, 2);
  tu_result_free(&r);

  /* The library: the same profile through sysfence_set_weights. */
  sysfence_ctx *c = sysfence_new();
  const char *wn[] = {"futex", "getpid"};
  const uint64_t wc[] = {900000, 10};
  char why[256];
  ck_assert_int_eq(sysfence_set_weights(c, wn, wc, 2), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_profile(c, bad, why, sizeof why),
                   SYSFENCE_EUSAGE);
  ck_assert_ptr_nonnull(strstr(why, "bad.txt:2: "));
  ck_assert_int_eq(sysfence_set_weights(c, NULL, NULL, 0), SYSFENCE_OK);
  sysfence_free(c);

  free(plain);
  free(hot);
  free(simple);
  free(strace);
  free(names);
  free(bad);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static void expect_node_kept(tu_result r, const char *dev, const char *what) {
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  struct stat st;
  ck_assert_int_eq(stat(dev, &st), 0);
  ck_assert_msg(S_ISCHR(st.st_mode), "%s -o %s replaced the device node", what, dev);
}

/* -o onto a device or FIFO writes into it: the atomic rename used for
 * regular files would replace the node (as root, -o /dev/null would turn
 * /dev/null into a regular file). */
START_TEST(cli_output_to_device_keeps_node) {
  /* Asked first: the probe forks, and a child that exits while this
   * frame's blocks are live would show them as leaks under valgrind. */
  int seccomp = tu_seccomp_available();
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *dev = path_in(dir, "null");
  if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
    tu_skip("cli_output_to_device_keeps_node", "mknod failed (%s)", strerror(errno));
  } else {
    /* Every command that writes a file: a filter, a converted policy, a
     * traced policy. */
    expect_node_kept(sf(NULL, "compile", pol, "-o", dev, NULL), dev, "compile");
    expect_node_kept(sf(NULL, "convert", "--from", "systemd", "SystemCallFilter=@basic-io",
                        "-o", dev, NULL), dev, "convert");
    /* trace supervises through seccomp, which valgrind does not run */
    if (seccomp)
      expect_node_kept(sf(NULL, "trace", "-o", dev, "--", "/bin/true", NULL), dev, "trace");
    else
      tu_skip_no_seccomp("cli_output_to_device_keeps_node (trace)");
  }
  free(dev);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- raw output and disasm -------------------------------------------------- */

START_TEST(cli_output_blob_and_disasm) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *out = path_in(dir, "out.bpf");
  tu_result r = sf(NULL, "compile", pol, "-o", out, "--arch", "x86_64", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(r.out[0] == '\0', "stdout not empty with -o");
  tu_result_free(&r);
  size_t len;
  char *blob = tu_read(out, &len);
  ck_assert_msg(len > 0 && len % 8 == 0, "blob of %zu bytes", len);
  ck_assert_msg(len / 8 <= 4096, "too long");
  /* Same bytes as the library. */
  size_t alen;
  unsigned char *ablob = api_blob(GOOD, "x86_64", &alen);
  ck_assert_msg(alen == len && memcmp(ablob, blob, len) == 0,
                "CLI output differs from the API's");
  free(ablob);
  /* The last instruction is a RET (code 0x06 little-endian). */
  ck_assert_uint_eq((unsigned char)blob[len - 8] & 0x07, 0x06);
  /* The file mode is an ordinary file's (not 0600 from a temp file). */
  struct stat st;
  ck_assert_int_eq(stat(out, &st), 0);
  mode_t mask = umask(0);
  umask(mask);
  ck_assert_msg((st.st_mode & 0777) == (0666 & ~mask),
                "-o file has mode %o, expected %o (0666 & ~umask)",
                st.st_mode & 0777, 0666 & ~mask);
  r = sf(NULL, "disasm", out, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_uint_eq(count_lines_matching(r.out, "^[0-9]{4}: "), len / 8);
  ck_assert_msg(strstr(r.out, "ret KILL_PROCESS") && strstr(r.out, "ret ALLOW") &&
                    strstr(r.out, "ERRNO(1)"),
                "listing lacks actions:\n%s", r.out);
  ck_assert_msg(r.err[0] == '\0', "disasm stderr: %s", r.err);
  tu_result_free(&r);
  /* disasm from stdin: the raw bytes have NULs, so through the shell. */
  char *lst = path_in(dir, "list.txt");
  ck_assert_int_eq(sh("'%s' disasm - < '%s' > '%s'", tu_sysfence(), out, lst), 0);
  char *listing = tu_read(lst, NULL);
  ck_assert_uint_eq(count_lines_matching(listing, "^[0-9]{4}: "), len / 8);
  free(listing);
  free(lst);
  free(blob);
  free(out);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The text of LISTING from the line holding MARK on (the section after an
 * arch check); fails if there is none. */
static const char *from_line(const char *listing, const char *mark) {
  const char *p = strstr(listing, mark);
  ck_assert_msg(p != NULL, "no '%s' in:\n%s", mark, listing);
  return p;
}

/* A filter for several architectures: each section's numbers are named
 * from its own table (i386's 6 is close, x86_64's lstat; aarch64's 56 is
 * openat, x86_64's clone), by disasm without -a and by compile's listing. */
START_TEST(cli_disasm_multiarch) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", "ALLOW { open, write, openat } DEFAULT KILL_PROCESS\n");
  char *pol2 = tu_write(dir, "q.policy", "ALLOW { write, openat } DEFAULT KILL_PROCESS\n");
  char *x86 = path_in(dir, "x86.bpf"), *arm = path_in(dir, "arm.bpf");
  tu_result r = sf(NULL, "compile", "--arch", "x86_64,i386", pol, "-o", x86, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", "--arch", "aarch64,arm", pol2, "-o", arm, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);

  r = sf(NULL, "disasm", x86, NULL);
  EXPECT_EXIT(r, 0);
  const char *i386 = from_line(r.out, "; AUDIT_ARCH_I386\n");
  ck_assert_msg(matches(i386, "jge #6 jt [0-9]+ jf [0-9]+ +; close$") &&
                    matches(i386, "jge #4 jt [0-9]+ jf [0-9]+ +; write$") &&
                    matches(i386, "jeq #295 jt [0-9]+ jf [0-9]+ +; openat$"),
                "i386 section not named from i386's table:\n%s", r.out);
  ck_assert_msg(!strstr(r.out, "lstat") && !strstr(r.out, "preadv"),
                "x86_64 names in the i386 section:\n%s", r.out);
  ck_assert_msg(matches(r.out, "jeq #257 jt [0-9]+ jf [0-9]+ +; openat$"), "%s", r.out);
  /* -a names only where no arch is checked: the sections stay named. */
  tu_result r2 = sf(NULL, "disasm", "--arch", "i386", x86, NULL);
  EXPECT_EXIT(r2, 0);
  ck_assert_str_eq(r2.out, r.out);
  tu_result_free(&r2);
  tu_result_free(&r);

  /* compile's own listing names the sections the same way. */
  r = sf(NULL, "compile", "--arch", "x86_64,i386", "--format", "asm", pol, "-o", "-", NULL);
  EXPECT_EXIT(r, 0);
  i386 = from_line(r.out, "; AUDIT_ARCH_I386\n");
  ck_assert_msg(matches(i386, "jeq #295 jt [0-9]+ jf [0-9]+ +; openat$"), "%s", r.out);
  tu_result_free(&r);

  r = sf(NULL, "disasm", arm, NULL);
  EXPECT_EXIT(r, 0);
  const char *arm32 = from_line(r.out, "; AUDIT_ARCH_ARM\n");
  ck_assert_msg(matches(r.out, "jeq #56 jt [0-9]+ jf [0-9]+ +; openat$") &&
                    matches(arm32, "jeq #322 jt [0-9]+ jf [0-9]+ +; openat$") &&
                    matches(arm32, "jeq #4 jt [0-9]+ jf [0-9]+ +; write$"),
                "aarch64/arm sections misnamed:\n%s", r.out);
  ck_assert_msg(!strstr(r.out, "clone"), "x86_64 names:\n%s", r.out);
  tu_result_free(&r);
  free(x86);
  free(arm);
  free(pol);
  free(pol2);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Without -a, a big-endian filter is read in its own byte order: the
 * architecture of its first AUDIT_ARCH comparison. */
START_TEST(cli_disasm_infers_byte_order) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", GOOD);
  char *out = path_in(dir, "s390x.bpf");
  tu_result r = sf(NULL, "compile", "--arch", "s390x", pol, "-o", out, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "disasm", out, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strncmp(r.out, "0000: ld [4]", 12) == 0 &&
                    strstr(r.out, "; AUDIT_ARCH_S390X\n") && strstr(r.out, "; exit_group"),
                "%s", r.out);
  tu_result_free(&r);
  free(out);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static void put_insn(unsigned char *p, uint16_t code, uint8_t jt, uint8_t jf,
                     uint32_t k) {
  p[0] = (unsigned char)code;
  p[1] = (unsigned char)(code >> 8);
  p[2] = jt;
  p[3] = jf;
  for (int i = 0; i < 4; i++) p[4 + i] = (unsigned char)(k >> (8 * i));
}

static char *write_bytes(const char *dir, const char *name, const void *data,
                         size_t len) {
  char *p = path_in(dir, name);
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  if (len) ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  fclose(f);
  return p;
}

typedef struct corrupt_case {
  const char *name;
  size_t len;
  const char *reason; /* a word of the reason, case-insensitive */
} corrupt_case;

START_TEST(cli_disasm_corrupt) {
  char *dir = tu_tmpdir();
  unsigned char b[64];
  corrupt_case cases[6];
  size_t n = 0;
  /* 1: 12 bytes */
  put_insn(b, 0x06, 0, 0, 0x7fff0000);
  put_insn(b + 8, 0x06, 0, 0, 0x7fff0000);
  char *p1 = write_bytes(dir, "odd.bpf", b, 12);
  cases[n++] = (corrupt_case){p1, 12, "8"};
  /* 2: bad opcode, then ret */
  put_insn(b, 0xffff, 0, 0, 0);
  put_insn(b + 8, 0x06, 0, 0, 0x7fff0000);
  char *p2 = write_bytes(dir, "opcode.bpf", b, 16);
  cases[n++] = (corrupt_case){p2, 16, "instruction 0"};
  /* 3: jump out of range: jeq #0 jt +5 */
  put_insn(b, 0x20, 0, 0, 0);                 /* ld [0] */
  put_insn(b + 8, 0x15, 5, 0, 0);             /* jeq #0, jt 5 */
  put_insn(b + 16, 0x06, 0, 0, 0x7fff0000);   /* ret ALLOW */
  char *p3 = write_bytes(dir, "jump.bpf", b, 24);
  cases[n++] = (corrupt_case){p3, 24, "instruction 1"};
  /* 4: no final ret */
  put_insn(b, 0x06, 0, 0, 0x7fff0000);
  put_insn(b + 8, 0x20, 0, 0, 0);
  char *p4 = write_bytes(dir, "noret.bpf", b, 16);
  cases[n++] = (corrupt_case){p4, 16, "ret"};
  /* 5: load outside seccomp_data */
  put_insn(b, 0x20, 0, 0, 64);
  put_insn(b + 8, 0x06, 0, 0, 0x7fff0000);
  char *p5 = write_bytes(dir, "load.bpf", b, 16);
  cases[n++] = (corrupt_case){p5, 16, "instruction 0"};
  /* 6: empty */
  char *p6 = write_bytes(dir, "empty.bpf", b, 0);
  cases[n++] = (corrupt_case){p6, 0, "byte"};
  for (size_t i = 0; i < n; i++) {
    tu_result r = sf(NULL, "disasm", cases[i].name, NULL);
    ck_assert_msg(r.exited && r.status == 1, "%s: expected exit 1, got %d\n%s%s",
                  cases[i].name, r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "error") != NULL, "%s: no error message: %s",
                  cases[i].name, r.err);
    ck_assert_msg(strcasestr(r.err, cases[i].reason) != NULL,
                  "%s: reason lacks '%s': %s", cases[i].name, cases[i].reason, r.err);
    tu_result_free(&r);
  }
  /* A valid hand-written program passes. */
  put_insn(b, 0x20, 0, 0, 0);
  put_insn(b + 8, 0x15, 0, 1, 39);
  put_insn(b + 16, 0x06, 0, 0, 0x50001);
  put_insn(b + 24, 0x06, 0, 0, 0x7fff0000);
  char *ok = write_bytes(dir, "ok.bpf", b, 32);
  tu_result r = sf(NULL, "disasm", "--arch", "x86_64", ok, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "getpid") && strstr(r.out, "ERRNO(1)") &&
                    strstr(r.out, "ALLOW"),
                "listing:\n%s", r.out);
  tu_result_free(&r);
  free(ok);
  free(p1);
  free(p2);
  free(p3);
  free(p4);
  free(p5);
  free(p6);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- formats ------------------------------------------------------------- */

static int have(const char *prog) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  tu_result r = tu_run(argv, NULL);
  int ok = r.exited && r.status == 0;
  tu_result_free(&r);
  return ok;
}

START_TEST(cli_format_c) {
  char *dir = tu_tmpdir();
  const char *src = GOOD;
  char *pol = tu_write(dir, "ok.policy", src);
  char *hdr = path_in(dir, "filter.h");
  char *hdr2 = path_in(dir, "default.h");
  char *raw = path_in(dir, "filter.bpf");
  tu_result r = sf(NULL, "compile", pol, "--format", "c", "--name", "my_filter", "-o",
                   hdr, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", pol, "-f", "c", "-o", hdr2, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", pol, "-o", raw, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  size_t rawlen;
  char *rawbytes = tu_read(raw, &rawlen);
  char *htext = tu_read(hdr, NULL);
  ck_assert_msg(strstr(htext, "my_filter") != NULL, "name not used");
  char *h2text = tu_read(hdr2, NULL);
  ck_assert_msg(strstr(h2text, "sysfence_filter") != NULL, "default name not used");
  free(htext);
  free(h2text);

  /* A program that includes both headers (include guards must differ),
   * checks the length at compile time and writes the array out. */
  char prog[2048];
  snprintf(prog, sizeof prog,
           "#include \"filter.h\"\n"
           "#include \"filter.h\"\n"
           "#include \"default.h\"\n"
           "#include <stdio.h>\n"
           "_Static_assert(sizeof(my_filter) / sizeof(my_filter[0]) == %zu, \"len\");\n"
           "_Static_assert(sizeof(sysfence_filter) == sizeof(my_filter), \"len2\");\n"
           "int main(void) {\n"
           "  const struct sock_filter *f = my_filter;\n"
           "  size_t n = sizeof(my_filter) / sizeof(my_filter[0]);\n"
           "  for (size_t i = 0; i < n; i++) {\n"
           "    unsigned char b[8] = {(unsigned char)f[i].code,\n"
           "      (unsigned char)(f[i].code >> 8), f[i].jt, f[i].jf,\n"
           "      (unsigned char)f[i].k, (unsigned char)(f[i].k >> 8),\n"
           "      (unsigned char)(f[i].k >> 16), (unsigned char)(f[i].k >> 24)};\n"
           "    fwrite(b, 1, 8, stdout);\n"
           "  }\n"
           "  return 0;\n"
           "}\n",
           rawlen / 8);
  char *cfile = tu_write(dir, "use.c", prog);
  const char *compilers[] = {"gcc", "clang", "cc"};
  int tested = 0;
  for (int c = 0; c < 3; c++) {
    if (!have(compilers[c])) continue;
    ck_assert_msg(sh("cd '%s' && %s -Wall -Wextra -Werror -std=c11 -c use.c "
                     "-o use.o",
                     dir, compilers[c]) == 0,
                  "%s: the C header does not compile cleanly", compilers[c]);
    ck_assert_msg(sh("cd '%s' && %s -Wall -Wextra -Werror -std=c11 use.c -o use && "
                     "./use > out.bin",
                     dir, compilers[c]) == 0,
                  "%s: link/run failed", compilers[c]);
    char *bin = path_in(dir, "out.bin");
    size_t blen;
    char *bytes = tu_read(bin, &blen);
    ck_assert_msg(blen == rawlen && memcmp(bytes, rawbytes, rawlen) == 0,
                  "%s: the C array differs from the raw blob", compilers[c]);
    free(bytes);
    free(bin);
    tested++;
  }
  if (!tested)
    tu_skip("cli_format_c (the header compiled)", "no C compiler (cc, gcc, clang) found");
  free(cfile);
  free(rawbytes);
  free(raw);
  free(hdr);
  free(hdr2);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_format_asm) {
  char *dir = tu_tmpdir();
  /* Isolated syscalls, so that each number is a comparison constant. */
  char *pol = tu_write(dir, "ok.policy",
                       "ALLOW { getpid, read { fd == 0 } } ERRNO(1) { openat } "
                       "DEFAULT KILL_PROCESS\n");
  tu_result r = sf(NULL, "compile", pol, "--format", "asm", "--arch", "x86_64", NULL);
  EXPECT_EXIT(r, 0);
  const char *want[] = {"getpid", "openat", "ERRNO(1)", "KILL_PROCESS", "ALLOW",
                        "AUDIT_ARCH_X86_64", "args[0]"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(r.out, want[i]) != NULL, "listing lacks '%s':\n%s", want[i],
                  r.out);
  /* -o FILE gives the same text. */
  char *out = path_in(dir, "out.s");
  tu_result r2 = sf(NULL, "compile", pol, "--format", "asm", "-o", out, NULL);
  EXPECT_EXIT(r2, 0);
  char *text = tu_read(out, NULL);
  ck_assert_str_eq(text, r.out);
  free(text);
  tu_result_free(&r2);
  /* The listing and the blob have as many instructions. */
  char *raw = path_in(dir, "out.bpf");
  r2 = sf(NULL, "compile", pol, "-o", raw, NULL);
  EXPECT_EXIT(r2, 0);
  tu_result_free(&r2);
  size_t alen;
  free(tu_read(raw, &alen));
  ck_assert_uint_eq(count_lines_matching(r.out, "^[0-9]{4}: "), alen / 8);
  free(raw);
  tu_result_free(&r);
  /* Actions decoded: TRAP/TRACE/LOG/USER_NOTIF/KILL_THREAD. */
  r = sf("ALLOW { read } TRAP(3) { write } TRACE(4) { close } LOG { dup }\n"
         "USER_NOTIF { dup2 } KILL { getpid } DEFAULT ERRNO(38)\n",
         "compile", "-", "--format", "asm", "--arch", "x86_64", NULL);
  EXPECT_EXIT(r, 0);
  const char *want2[] = {"TRAP(3)", "TRACE(4)", "LOG", "USER_NOTIF", "KILL_THREAD",
                         "ERRNO(38)", "getpid", "dup2"};
  for (size_t i = 0; i < sizeof want2 / sizeof want2[0]; i++)
    ck_assert_msg(strstr(r.out, want2[i]) != NULL, "listing lacks '%s':\n%s",
                  want2[i], r.out);
  tu_result_free(&r);
  free(out);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_determinism) {
  TU_NEED_CORPUS("cli_determinism");
  char *dir = tu_tmpdir();
  const char *pol = SHARED_DIR "/corpus/docker-default.kafel";
  const char *formats[] = {"bpf", "c", "asm"};
  for (int f = 0; f < 3; f++) {
    char *first = NULL;
    size_t flen = 0;
    for (int i = 0; i < 3; i++) {
      char name[32];
      snprintf(name, sizeof name, "out%d.%s", i, formats[f]);
      char *out = path_in(dir, name);
      tu_result r = sf(NULL, "compile", pol, "--format", formats[f], "-o", out, NULL);
      EXPECT_EXIT(r, 0);
      tu_result_free(&r);
      size_t len;
      char *bytes = tu_read(out, &len);
      ck_assert_uint_gt(len, 0);
      if (!first) {
        first = bytes;
        flen = len;
      } else {
        ck_assert_msg(len == flen && memcmp(first, bytes, len) == 0,
                      "%s output differs between runs", formats[f]);
        free(bytes);
      }
      free(out);
    }
    free(first);
  }
  tu_rmtree(dir);
  free((void *)dir);
}
END_TEST

START_TEST(cli_output_stdout) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *a = path_in(dir, "a.bpf");
  char *b = path_in(dir, "b.bpf");
  char *c = path_in(dir, "c.bpf");
  tu_result r = sf(NULL, "compile", pol, "-o", a, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  ck_assert_int_eq(sh("'%s' compile '%s' -o - > '%s'", tu_sysfence(), pol, b), 0);
  /* Default output is stdout too (not a terminal here). */
  ck_assert_int_eq(sh("'%s' compile '%s' > '%s'", tu_sysfence(), pol, c), 0);
  size_t la, lb, lc;
  char *ba = tu_read(a, &la), *bb = tu_read(b, &lb), *bc = tu_read(c, &lc);
  ck_assert_msg(la > 0 && la == lb && memcmp(ba, bb, la) == 0, "-o - differs");
  ck_assert_msg(la == lc && memcmp(ba, bc, la) == 0, "default stdout differs");
  free(ba);
  free(bb);
  free(bc);
  /* --output long form. */
  r = sf(NULL, "compile", pol, "--output", "-", "--format", "asm", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert(strstr(r.out, "ret ") != NULL);
  tu_result_free(&r);
  free(a);
  free(b);
  free(c);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_refuses_terminal) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
    tu_skip("cli_refuses_terminal", "no pty (posix_openpt)");
    return;
  }
  char *sname = strdup(ptsname(m));
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  const char *fmts[] = {"bpf", "asm"};
  for (int i = 0; i < 2; i++) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      int s = open(sname, O_RDWR | O_NOCTTY);
      if (s < 0) _exit(99);
      dup2(s, 1);
      int nul = open("/dev/null", O_WRONLY);
      dup2(nul, 2);
      execl(tu_sysfence(), "sysfence", "compile", pol, "--format", fmts[i],
            (char *)NULL);
      _exit(98);
    }
    /* Drain the master so the child never blocks on output. */
    int st;
    for (;;) {
      pid_t w = waitpid(pid, &st, WNOHANG);
      if (w == pid) break;
      char buf[4096];
      struct timeval tv = {0, 20000};
      fd_set fs;
      FD_ZERO(&fs);
      FD_SET(m, &fs);
      if (select(m + 1, &fs, NULL, NULL, &tv) > 0) {
        ssize_t got = read(m, buf, sizeof buf);
        (void)got;
      }
    }
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == (i == 0 ? 2 : 0),
                  "--format %s to a terminal: status 0x%x", fmts[i], st);
  }
  close(m);
  free(sname);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_big_endian_s390x) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *out = path_in(dir, "be.bpf");
  tu_result r = sf(NULL, "compile", pol, "--arch", "s390x", "-o", out, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  size_t len;
  unsigned char *blob = (unsigned char *)tu_read(out, &len);
  ck_assert_msg(len >= 16 && len % 8 == 0, "%zu bytes", len);
  /* First instruction: a 32-bit absolute load (code 0x0020) big-endian. */
  ck_assert_msg(blob[0] == 0x00 && blob[1] == 0x20,
                "first code bytes %02x %02x, expected 00 20", blob[0], blob[1]);
  /* Every instruction matches the library's program encoded big-endian. */
  sysfence_ctx *ctx = sysfence_new();
  sysfence_set_input_string(ctx, "api.policy", GOOD);
  ck_assert_int_eq(sysfence_set_arch(ctx, "s390x"), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  ck_assert_int_eq(sysfence_compile(ctx, &prog), SYSFENCE_OK);
  ck_assert_uint_eq(prog.len, len / 8);
  for (size_t i = 0; i < prog.len; i++) {
    const unsigned char *p = blob + 8 * i;
    const struct sock_filter *in = &prog.filter[i];
    ck_assert_msg(p[0] == (in->code >> 8) && p[1] == (in->code & 0xff) &&
                      p[2] == in->jt && p[3] == in->jf &&
                      p[4] == (in->k >> 24) && p[5] == ((in->k >> 16) & 0xff) &&
                      p[6] == ((in->k >> 8) & 0xff) && p[7] == (in->k & 0xff),
                  "instruction %zu not big-endian", i);
  }
  /* The arch check compares with AUDIT_ARCH_S390X somewhere. */
  int seen = 0;
  for (size_t i = 0; i < prog.len; i++)
    if (prog.filter[i].k == 0x80000016U) seen = 1;
  ck_assert_msg(seen, "no AUDIT_ARCH_S390X constant");
  free(prog.filter);
  sysfence_free(ctx);
  /* disasm --arch s390x reads it; the first line is the load. */
  r = sf(NULL, "disasm", "--arch", "s390x", out, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strncmp(r.out, "0000: ld [", 10) == 0, "listing starts: %.40s", r.out);
  ck_assert_msg(strstr(r.out, "AUDIT_ARCH_S390X") != NULL, "listing:\n%s", r.out);
  ck_assert_uint_eq(count_lines_matching(r.out, "^[0-9]{4}: "), len / 8);
  tu_result_free(&r);
  /* Read as little-endian it is not a valid filter. */
  r = sf(NULL, "disasm", "--arch", "x86_64", out, NULL);
  EXPECT_EXIT(r, 1);
  tu_result_free(&r);
  free(blob);
  free(out);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_include_dirs) {
  char *dir = tu_tmpdir();
  char *inc = path_in(dir, "inc");
  char *inc2 = path_in(dir, "inc2");
  char *main_dir = path_in(dir, "main");
  ck_assert_int_eq(mkdir(inc, 0755), 0);
  ck_assert_int_eq(mkdir(inc2, 0755), 0);
  ck_assert_int_eq(mkdir(main_dir, 0755), 0);
  free(tu_write(inc, "common.policy", "POLICY common { ERRNO(11) { read } }\n"));
  free(tu_write(inc2, "common.policy", "POLICY common { ERRNO(22) { read } }\n"));
  free(tu_write(inc2, "other.policy", "#define OTHER_ERRNO 5\n"
                                      "POLICY other { ERRNO(33) { write } }\n"));
  char *pol = tu_write(main_dir, "main.policy",
                       "#include \"common.policy\"\nUSE common DEFAULT ALLOW\n");
  /* Not found without -I. */
  tu_result r = sf(NULL, "compile", pol, "--format", "asm", NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_msg(matches(r.err, "main\\.policy:1:[0-9]+: error: .*common\\.policy"),
                "%s", r.err);
  tu_result_free(&r);
  /* -I DIR, in order. */
  r = sf(NULL, "compile", pol, "--format", "asm", "-I", inc, "-I", inc2, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "ERRNO(11)") && !strstr(r.out, "ERRNO(22)"), "%s", r.out);
  tu_result_free(&r);
  r = sf(NULL, "compile", pol, "--format", "asm", "--include", inc2, "-I", inc, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "ERRNO(22)") && !strstr(r.out, "ERRNO(11)"), "%s", r.out);
  tu_result_free(&r);
  /* The including file's own folder comes first. */
  free(tu_write(main_dir, "common.policy", "POLICY common { ERRNO(44) { read } }\n"));
  r = sf(NULL, "compile", pol, "--format", "asm", "-I", inc, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "ERRNO(44)") && !strstr(r.out, "ERRNO(11)"), "%s", r.out);
  tu_result_free(&r);
  /* check honours -I too, and stdin policies can include. */
  r = sf("#include \"other.policy\"\nUSE other DEFAULT ALLOW\n", "check", "-I", inc2,
         "-", NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  free(pol);
  free(inc);
  free(inc2);
  free(main_dir);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_stdin_input) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  char *a = path_in(dir, "file.bpf");
  char *b = path_in(dir, "stdin.bpf");
  tu_result r = sf(NULL, "compile", pol, "-o", a, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(GOOD, "compile", "-", "-o", b, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  size_t la, lb;
  char *ba = tu_read(a, &la), *bb = tu_read(b, &lb);
  ck_assert_msg(la > 0 && la == lb && memcmp(ba, bb, la) == 0, "stdin output differs");
  free(ba);
  free(bb);
  /* Errors from stdin are located. */
  r = sf("ALLOW { read }\nALLOW { nope }\n", "compile", "-", "-o", b, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_msg(matches(r.err, "^[^:\n]+:2:[0-9]+: error: "), "%s", r.err);
  ck_assert_msg(strstr(r.err, "stdin") != NULL, "stdin not named: %s", r.err);
  tu_result_free(&r);
  free(a);
  free(b);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_arches) {
  tu_result r = sf(NULL, "arches", NULL);
  EXPECT_EXIT(r, 0);
  const char *names[64];
  size_t n = sysfence_arch_names(names, 64);
  ck_assert_uint_ge(n, 2);
  ck_assert_uint_eq(count_lines_matching(r.out, "."), n);
  for (size_t i = 0; i < n && i < 64; i++)
    ck_assert_msg(strstr(r.out, names[i]) != NULL, "arches lacks %s", names[i]);
  ck_assert(matches(r.out, "^x86_64 .*0xc000003e.*little"));
  ck_assert(matches(r.out, "^s390x .*0x80000016.*big"));
  ck_assert(matches(r.out, "^i386 "));
  ck_assert(matches(r.out, "^aarch64 "));
  tu_result_free(&r);
}
END_TEST

START_TEST(cli_bad_arch_option) {
  tu_result a = sf("DEFAULT ALLOW\n", "compile", "-", "--format", "asm", "--arch",
                   "x86_64", NULL);
  EXPECT_EXIT(a, 0);
  ck_assert_msg(strstr(a.out, "KILL_PROCESS") != NULL, "default bad-arch:\n%s", a.out);
  tu_result b = sf("DEFAULT ALLOW\n", "compile", "-", "--format", "asm", "--arch",
                   "x86_64", "--bad-arch", "ERRNO(38)", NULL);
  EXPECT_EXIT(b, 0);
  ck_assert_msg(strstr(b.out, "ERRNO(38)") != NULL && !strstr(b.out, "KILL_PROCESS"),
                "--bad-arch ERRNO(38):\n%s", b.out);
  tu_result c = sf("DEFAULT ALLOW\n", "compile", "-", "--format", "asm", "--arch",
                   "x86_64", "--bad-arch", "KILL_THREAD", NULL);
  EXPECT_EXIT(c, 0);
  ck_assert_msg(strstr(c.out, "KILL_THREAD") != NULL, "%s", c.out);
  tu_result_free(&a);
  tu_result_free(&b);
  tu_result_free(&c);
}
END_TEST

/* --bad-arch ALLOW or LOG turns filtering off for the other ABIs: warned,
 * naming them; a refusing action is not. */
START_TEST(cli_bad_arch_permissive_warns) {
  const char *cases[][3] = {{"ALLOW", "x86_64", "i386"}, {"LOG", "x86_64", "x32"},
                            {"ALLOW", "aarch64", "arm"}, {"LOG", "riscv64", "riscv64"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_result r[2] = {
        sf("ALLOW { read } DEFAULT KILL\n", "compile", "-", "--format", "asm",
           "--arch", cases[i][1], "--bad-arch", cases[i][0], NULL),
        sf("ALLOW { read } DEFAULT KILL\n", "check", "-", "--arch", cases[i][1],
           "--bad-arch", cases[i][0], NULL)};
    for (int cmd = 0; cmd < 2; cmd++) {
      EXPECT_EXIT(r[cmd], 0);
      const char *err = r[cmd].err;
      ck_assert_msg(strstr(err, "warning: --bad-arch") && strstr(err, cases[i][0]) &&
                        strstr(err, "without filtering") && strstr(err, cases[i][2]),
                    "--bad-arch %s --arch %s: %s", cases[i][0], cases[i][1], err);
      tu_result_free(&r[cmd]);
    }
  }
  tu_result r = sf("ALLOW { read } DEFAULT KILL\n", "check", "-", "--bad-arch",
                   "ERRNO(38)", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(!strstr(r.err, "warning"), "ERRNO(38) warned: %s", r.err);
  tu_result_free(&r);
}
END_TEST

/* -D NAME=VALUE: a constant as if #define'd before the policy, on compile,
 * check, eval and stats; not an option of disasm and sim. */
START_TEST(cli_defines) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "d.policy", "ALLOW { write { fd == OUT } } DEFAULT ERRNO(E)\n");
  char *ref = tu_write(dir, "r.policy", "#define OUT 1\n#define E 13\n"
                                        "ALLOW { write { fd == OUT } } DEFAULT ERRNO(E)\n");
  char *a = path_in(dir, "a.bpf"), *b = path_in(dir, "b.bpf");
  tu_result r = sf(NULL, "compile", pol, "-D", "OUT=1", "--define=E=13", "-o", a, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "compile", ref, "-o", b, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  size_t la, lb;
  char *ba = tu_read(a, &la), *bb = tu_read(b, &lb);
  ck_assert_msg(la == lb && memcmp(ba, bb, la) == 0, "-D differs from #define");
  free(ba);
  free(bb);
  /* -D NAME is NAME=1, as with gcc; the constant also works in CALLs. */
  r = sf(NULL, "eval", pol, "-DOUT", "-D", "E=0x0d", "write(OUT)", "write(2)", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "write(OUT) -> ALLOW") && strstr(r.out, "write(2) -> ERRNO(13)"),
                "%s", r.out);
  tu_result_free(&r);
  r = sf(NULL, "check", pol, "-D", "OUT=1", "-D", "E=-1", NULL);
  EXPECT_EXIT(r, 1); /* ERRNO(-1) is out of range: the value is used */
  tu_result_free(&r);
  r = sf(NULL, "stats", pol, "--policy", "-D", "OUT=1", "-D", "E=1", NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  /* Without the definitions the policy has errors. */
  r = sf(NULL, "check", pol, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_msg(strstr(r.err, "'OUT'"), "%s", r.err);
  tu_result_free(&r);
  /* INPUT and CALL after the option (compile and check take no CALL). */
  const char *bad[][5] = {{"compile", "9=1", pol, NULL, "9="},
                          {"check", "X=1.5", pol, NULL, "X=1.5"},
                          {"eval", "=3", pol, "read", "=3"},
                          {"disasm", "X=1", a, NULL, "does not apply"},
                          {"sim", "X=1", a, "read", "does not apply"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = sf(NULL, bad[i][0], "-D", bad[i][1], bad[i][2], bad[i][3], NULL);
    EXPECT_EXIT(r, 2);
    ck_assert_msg(strstr(r.err, bad[i][4]), "%s -D %s: %s", bad[i][0], bad[i][1], r.err);
    tu_result_free(&r);
  }
  free(a);
  free(b);
  free(pol);
  free(ref);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* 'sysfence run' defines SYSFENCE_PID as the pid that runs the command:
 * a rule on it lets the command signal itself and nothing else. */
START_TEST(cli_run_sysfence_pid) {
  if (!tu_seccomp_available()) {
    tu_skip_no_seccomp("cli_run_sysfence_pid");
    return;
  }
  pid_t victim = fork();
  ck_assert_int_ge(victim, 0);
  if (victim == 0) {
    pause(); /* SIGTERM's default action ends it */
    _exit(0);
  }
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "self.policy",
                       "ERRNO(1) { kill { pid != SYSFENCE_PID } } DEFAULT ALLOW\n");
  char script[256];
  snprintf(script, sizeof script,
           "kill -TERM %ld; echo victim=$?; kill -CONT $$; echo self=$?", (long)victim);
  tu_result r = sf(NULL, "run", pol, "--", "/bin/sh", "-c", script, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "victim=1") && strstr(r.out, "self=0"), "%s%s", r.out, r.err);
  tu_result_free(&r);
  int status;
  ck_assert_msg(waitpid(victim, &status, WNOHANG) == 0, "the victim was signalled");
  /* The pid is not for the user to choose. */
  r = sf(NULL, "run", "-D", "SYSFENCE_PID=1", pol, "--", "/bin/true", NULL);
  EXPECT_EXIT(r, 125);
  ck_assert_msg(strstr(r.err, "defines SYSFENCE_PID itself"), "%s", r.err);
  tu_result_free(&r);
  kill(victim, SIGKILL);
  waitpid(victim, &status, 0);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The answer of `sysfence sim --arch ARCH BLOB CALL`, the action only. */
static void expect_sim(const char *blob, const char *arch, const char *call,
                       const char *want) {
  tu_result r = sf(NULL, "sim", "--arch", arch, blob, "--", call, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0 && r.out[strlen(want)] == ' ',
                "%s on %s: %s (expected %s)", call, arch, r.out, want);
  tu_result_free(&r);
}

/* --arch LIST: one filter for ABIs one kernel runs together. */
START_TEST(cli_arch_lists) {
  /* Refused: unknown, repeated, no kernel runs both, a list for a blob command. */
  const char *bad[][3] = {{"x86_64,vax", "unknown architecture 'vax'", "check"},
                          {"x86_64,i386,i386", "listed twice", "check"},
                          {"x86_64,aarch64", "x86_64 and aarch64 cannot share a filter", "check"},
                          {"aarch64,s390x", "cannot share a filter", "compile"},
                          {"x86_64,", "not an architecture name", "check"},
                          {"x86_64,i386", "takes one architecture", "disasm"}};
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", "ALLOW { read }\n");
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tu_result r = sf(NULL, bad[i][2], "--arch", bad[i][0], pol, NULL);
    EXPECT_EXIT(r, 2);
    ck_assert_msg(strstr(r.err, bad[i][1]), "--arch %s: %s", bad[i][0], r.err);
    tu_result_free(&r);
  }
  /* A syscall some targets lack: one note per target naming it, no error;
   * one that no target has: one error, not one per target. */
  tu_result r = sf("ALLOW { accept, socketcall, read }\n", "check", "--arch",
                   "x86_64,i386,x32", "-", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.err, "1 rule names syscalls that x86_64 lacks (socketcall)") &&
                    strstr(r.err, "1 rule names syscalls that i386 lacks (accept)") &&
                    strstr(r.err, "1 rule names syscalls that x32 lacks (socketcall)"),
                "%s", r.err);
  tu_result_free(&r);
  r = sf("ALLOW { nosuchcall }\n", "check", "--arch", "x86_64,i386,x32", "-", NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_uint_eq(count_lines_matching(r.err, "error: unknown syscall 'nosuchcall'"), 1);
  tu_result_free(&r);
  /* Each ABI by its own numbers: i386's open (5) is allowed, x86_64's 5 is
   * fstat (not allowed), and x32's read has x32's number. */
  char *blob = path_in(dir, "multi.bpf");
  r = sf("ALLOW { open, read } DEFAULT ERRNO(1)\n", "compile", "--arch",
         "x86_64,i386,x32", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  const char *calls[][3] = {{"i386", "i386:open", "ALLOW"},  {"i386", "i386:5", "ALLOW"},
                            {"x86_64", "5", "ERRNO(1)"},   {"x86_64", "read", "ALLOW"},
                            {"x86_64", "x32:read", "ALLOW"}, {"x86_64", "x32:write", "ERRNO(1)"},
                            {"x86_64", "aarch64:read", "KILL_PROCESS"}};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    expect_sim(blob, calls[i][0], calls[i][1], calls[i][2]);
  /* arches says which ABIs run together. */
  r = sf(NULL, "arches", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "runs with i386,x32") && strstr(r.out, "runs with arm"),
                "%s", r.out);
  tu_result_free(&r);
  free(blob);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* --unknown ACTION: numbers that are no syscall of the table and have no
 * rule; -1, known syscalls without rules and x32 numbers keep theirs. */
START_TEST(cli_unknown_action) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "u.policy", "ALLOW { read } ERRNO(5) { SYSCALL[500] }\n"
                                        "DEFAULT KILL_PROCESS\n");
  char *blob = path_in(dir, "u.bpf");
  tu_result r = sf(NULL, "compile", "--arch", "x86_64", "--unknown", "ERRNO(38)", pol,
                   "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  /* x86_64 has no syscall 400..423 nor above 462; 500 has a rule. */
  const char *calls[][2] = {{"read", "ALLOW"},          {"getpid", "KILL_PROCESS"},
                            {"400", "ERRNO(38)"},       {"9999", "ERRNO(38)"},
                            {"500", "ERRNO(5)"},        {"-1", "KILL_PROCESS"},
                            {"x32:read", "KILL_PROCESS"}, {"0xfffffffe", "KILL_PROCESS"},
                            {"0x3fffffff", "ERRNO(38)"}};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    tu_result s = sf(NULL, "sim", blob, "--", calls[i][0], NULL);
    tu_result e = sf(NULL, "eval", "--unknown", "ERRNO(38)", pol, "--", calls[i][0], NULL);
    EXPECT_EXIT(s, 0);
    EXPECT_EXIT(e, 0);
    ck_assert_msg(strncmp(s.out, calls[i][1], strlen(calls[i][1])) == 0 &&
                      strncmp(e.out, calls[i][1], strlen(calls[i][1])) == 0,
                  "%s: sim %s eval %s", calls[i][0], s.out, e.out);
    tu_result_free(&s);
    tu_result_free(&e);
  }
  r = sf(NULL, "eval", "--unknown", "ERRNO(38)", pol, "--", "9999", NULL);
  ck_assert_msg(strstr(r.out, "--unknown"), "%s", r.out);
  tu_result_free(&r);
  /* Without the option nothing changes. */
  r = sf(NULL, "compile", pol, "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf(NULL, "sim", blob, "9999", NULL);
  ck_assert_msg(strncmp(r.out, "KILL_PROCESS", 12) == 0, "%s", r.out);
  tu_result_free(&r);
  r = sf(NULL, "compile", "--unknown", "FROB", pol, "-o", blob, NULL);
  EXPECT_EXIT(r, 2);
  tu_result_free(&r);
  /* In the kernel: an unknown number returns ENOSYS instead of killing. */
  if (tu_seccomp_available()) {
    struct sock_fprog prog;
    sysfence_ctx *ctx = sysfence_new();
    ck_assert_int_eq(sysfence_set_input_string(ctx, "u", "ALLOW { exit_group }\n"
                                               "DEFAULT KILL_PROCESS"), SYSFENCE_OK);
    ck_assert_int_eq(sysfence_set_unknown_action(ctx, 1, 0x00050000u | 38), SYSFENCE_OK);
    ck_assert_int_eq(sysfence_compile(ctx, &prog), SYSFENCE_OK);
    const uint64_t none[6] = {0};
    tu_outcome o = tu_syscall_under(&prog, 2000, none);
    ck_assert_msg(!o.killed_by && o.ret == -1 && o.err == 38, "2000: killed %d ret %ld errno %d",
                  o.killed_by, o.ret, o.err);
    o = tu_syscall_under(&prog, 39 /* getpid */, none);
    ck_assert_int_eq(o.killed_by, SIGSYS);
    free(prog.filter);
    sysfence_free(ctx);
  } else {
    tu_skip_no_seccomp("cli_unknown_action (kernel part)");
  }
  free(blob);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Multiplexed calls and twins: a policy written with x86_64's names is
 * not bypassed on i386 through socketcall/ipc or setuid32/mmap2/fcntl64. */
START_TEST(cli_derived_rules) {
  char *dir = tu_tmpdir();
  char *blob = path_in(dir, "d.bpf");
  /* A deny-list: socket's rule looks at an argument socketcall hides. */
  tu_result r = sf("#define AF_VSOCK 40\n"
                   "ERRNO(1) { socket { domain == AF_VSOCK } }\n"
                   "KILL_PROCESS { setuid, semop }\n"
                   "ERRNO(2) { mmap { (prot & 4) != 0 } }\n"
                   "ERRNO(3) { fcntl { cmd == 8 } }\n"
                   "ERRNO(4) { lseek { offset == 1 } }\n"
                   "ALLOW { setgid32 }\n"
                   "DEFAULT ALLOW\n", "compile", "--arch", "x86_64,i386", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.err, "socketcall(1, ...)") && strstr(r.err, "gets ERRNO(1)"),
                "no socketcall warning: %s", r.err);
  ck_assert_msg(strstr(r.err, "_llseek is lseek's twin") && strstr(r.err, "gets ERRNO(4)"),
                "no _llseek warning: %s", r.err);
  ck_assert_msg(strstr(r.err, "'mmap' on i386 has no argument 'prot'"), "%s", r.err);
  tu_result_free(&r);
  expect_sim(blob, "i386", "i386:socket(40)", "ERRNO(1)");
  expect_sim(blob, "i386", "i386:socket(2)", "ALLOW");
  expect_sim(blob, "i386", "i386:socketcall(1)", "ERRNO(1)"); /* the most restrictive */
  expect_sim(blob, "i386", "i386:socketcall(3)", "ALLOW");    /* connect: no rules */
  expect_sim(blob, "i386", "i386:ipc(1)", "KILL_PROCESS");   /* semop */
  expect_sim(blob, "i386", "i386:ipc(0x10001)", "KILL_PROCESS"); /* version bits */
  expect_sim(blob, "i386", "i386:ipc(2)", "ALLOW");
  expect_sim(blob, "i386", "i386:setuid32", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:setuid", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:mmap2(0, 4096, 7)", "ERRNO(2)"); /* prot carried */
  expect_sim(blob, "i386", "i386:mmap2(0, 4096, 3)", "ALLOW");
  expect_sim(blob, "i386", "i386:fcntl64(0, 8)", "ERRNO(3)");     /* cmd carried */
  expect_sim(blob, "i386", "i386:fcntl64(0, 1)", "ALLOW");
  expect_sim(blob, "i386", "i386:_llseek(0, 0, 0)", "ERRNO(4)");  /* no 'offset' */
  expect_sim(blob, "i386", "i386:setgid32", "ALLOW");             /* its own rule */
  /* i386's own mmap takes one pointer: the rule on prot cannot be checked
   * there, so its most restrictive outcome applies. */
  expect_sim(blob, "i386", "i386:mmap(0)", "ERRNO(2)");
  expect_sim(blob, "x86_64", "setuid", "KILL_PROCESS");
  expect_sim(blob, "x86_64", "socket(40)", "ERRNO(1)");
  /* Every rule of such a syscall counts, and none shadows the next. */
  r = sf("ERRNO(2) { mmap { (prot & 4) != 0 } }\nKILL_PROCESS { mmap { flags == 1 } }\n"
         "DEFAULT ALLOW\n", "compile", "--arch", "x86_64,i386", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(!strstr(r.err, "can never match"), "%s", r.err);
  tu_result_free(&r);
  expect_sim(blob, "i386", "i386:mmap(0)", "KILL_PROCESS");
  expect_sim(blob, "x86_64", "mmap(0, 0, 4)", "ERRNO(2)");
  /* An allow-list: socketcall gets the default where socket's rule cannot
   * be checked. */
  r = sf("#define AF_INET 2\n"
         "ALLOW { socket { domain == AF_INET }, socketcall, getuid }\n"
         "DEFAULT KILL_PROCESS\n", "compile", "--arch", "x86_64,i386", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  expect_sim(blob, "i386", "i386:socket(2)", "ALLOW");
  expect_sim(blob, "i386", "i386:socketcall(1)", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:socketcall(3)", "ALLOW"); /* the policy allows socketcall */
  expect_sim(blob, "i386", "i386:getuid32", "ALLOW");
  /* The native ABI keeps its own names: a policy for i386 alone that
   * names setuid does not reach setuid32 (both are i386 syscalls), but its
   * socketcall is still guarded. */
  r = sf("ERRNO(1) { setuid, socket }\nDEFAULT ALLOW\n", "compile", "--arch", "i386", "-",
         "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  expect_sim(blob, "i386", "i386:setuid32", "ALLOW");
  expect_sim(blob, "i386", "i386:socketcall(1)", "ERRNO(1)");
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Kafel's names and the twins with --arch x86_64,i386: x86_64 reads
 * sendfile64 as its sendfile and umount as umount2, while i386 has
 * syscalls of all four names; a rule decides every reading on i386, so
 * that no deny rule is bypassed there through the other name. */
START_TEST(cli_kafel_names_on_other_targets) {
  char *dir = tu_tmpdir();
  char *blob = path_in(dir, "k.bpf");
  const char *pols[] = {"KILL_PROCESS { sendfile }\nDEFAULT ALLOW\n",
                        "KILL_PROCESS { sendfile64 }\nDEFAULT ALLOW\n"};
  for (size_t i = 0; i < 2; i++) {
    tu_result r = sf(pols[i], "compile", "--arch", "x86_64,i386", "-", "-o", blob, NULL);
    EXPECT_EXIT(r, 0);
    tu_result_free(&r);
    expect_sim(blob, "x86_64", "sendfile", "KILL_PROCESS");
    expect_sim(blob, "i386", "i386:sendfile", "KILL_PROCESS");   /* 187 */
    expect_sim(blob, "i386", "i386:sendfile64", "KILL_PROCESS"); /* 239, glibc's */
  }
  tu_result r = sf("KILL_PROCESS { umount }\nERRNO(5) { sendfile64 { count == 7 } }\n"
                   "DEFAULT ALLOW\n", "compile", "--arch", "x86_64,i386", "-", "-o", blob,
                   NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  expect_sim(blob, "x86_64", "umount2", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:umount2", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:umount", "KILL_PROCESS");
  /* the condition carried by argument name */
  expect_sim(blob, "i386", "i386:sendfile(1, 2, 0, 7)", "ERRNO(5)");
  expect_sim(blob, "i386", "i386:sendfile(1, 2, 0, 8)", "ALLOW");
  /* The policy's own rules for the other name take precedence. */
  r = sf("KILL_PROCESS { sendfile64 }\nERRNO(6) { sendfile }\nDEFAULT ALLOW\n", "compile",
         "--arch", "x86_64,i386", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  expect_sim(blob, "i386", "i386:sendfile", "ERRNO(6)");
  expect_sim(blob, "i386", "i386:sendfile64", "KILL_PROCESS");
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The older calls 32-bit ABIs keep (waitpid, send, recv, sigprocmask,
 * sigreturn, ugetrlimit, arm's reordered arm_fadvise64_64) are twins of the
 * ones x86_64 and aarch64 name: a deny rule is not bypassed through them. */
START_TEST(cli_old_calls_are_twins) {
  char *dir = tu_tmpdir();
  char *blob = path_in(dir, "t.bpf");
  tu_result r = sf("ERRNO(7) { sendto { flags == 64 } }\n"
                   "KILL_PROCESS { wait4, rt_sigprocmask, getrlimit, rt_sigreturn,\n"
                   "  fadvise64 { advice == 4 } }\n"
                   "DEFAULT ALLOW\n", "compile", "--arch", "aarch64,arm", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  /* arm_fadvise64_64's arguments are not in the table: no namesake */
  ck_assert_msg(strstr(r.err, "arm_fadvise64_64 is fadvise64's twin"), "%s", r.err);
  tu_result_free(&r);
  expect_sim(blob, "arm", "arm:send(0, 0, 0, 64)", "ERRNO(7)");
  expect_sim(blob, "arm", "arm:send(0, 0, 0, 0)", "ALLOW");
  expect_sim(blob, "arm", "arm:recv", "ALLOW");
  expect_sim(blob, "arm", "arm:sigprocmask", "KILL_PROCESS");
  expect_sim(blob, "arm", "arm:sigreturn", "KILL_PROCESS");
  expect_sim(blob, "arm", "arm:ugetrlimit", "KILL_PROCESS");
  expect_sim(blob, "arm", "arm:arm_fadvise64_64", "KILL_PROCESS");
  expect_sim(blob, "aarch64", "sendto(0, 0, 0, 0)", "ALLOW");
  r = sf("KILL_PROCESS { wait4, getrlimit }\nDEFAULT ALLOW\n", "compile", "--arch",
         "x86_64,i386", "-", "-o", blob, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  expect_sim(blob, "i386", "i386:waitpid", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:ugetrlimit", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:getrlimit", "KILL_PROCESS");
  expect_sim(blob, "i386", "i386:sigprocmask", "ALLOW");
  free(blob);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Policies written for x86_64 compile for x86_64,i386,x32 and for
 * aarch64,arm as they are: syscalls a target lacks are notes, and ones no
 * target has are left out with a note; a name no architecture has stays
 * an error. */
START_TEST(cli_policies_for_target_lists) {
  const char *pols[] = {"docker-default", "no-network", "network-client", "no-exec",
                        "python-sandbox", "stdio-only"};
  const char *lists[] = {"x86_64,i386,x32", "aarch64,arm"};
  for (size_t i = 0; i < sizeof pols / sizeof pols[0]; i++)
    for (size_t l = 0; l < 2; l++) {
      char path[512];
      snprintf(path, sizeof path, "%s/policies/%s.policy", SRCDIR, pols[i]);
      tu_result r = sf(NULL, "compile", "--arch", lists[l], "-I", SRCDIR "/policies", path,
                       "-o", "/dev/null", NULL);
      EXPECT_EXIT(r, 0);
      tu_result_free(&r);
    }
  if (tu_have_corpus()) {
    tu_result r = sf(NULL, "compile", "--arch", "aarch64,arm",
                     SHARED_DIR "/corpus/docker-default.kafel", "-o", "/dev/null", NULL);
    EXPECT_EXIT(r, 0);
    ck_assert_msg(strstr(r.err, "none of the targets has (alarm"), "%s", r.err);
    tu_result_free(&r);
  } else {
    tu_skip("cli_policies_for_target_lists (docker-default.kafel)", "%s", TU_NO_CORPUS);
  }
  tu_result r = sf("ALLOW { alarm, nosuchcall }\n", "check", "--arch", "aarch64,arm", "-", NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_msg(strstr(r.err, "unknown syscall 'nosuchcall'") && !strstr(r.err, "'alarm' for"),
                "%s", r.err);
  tu_result_free(&r);
}
END_TEST

START_TEST(cli_write_failure) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "ok.policy", GOOD);
  tu_result r = sf(NULL, "compile", pol, "-o", "/nonexistent-dir/sysfence/out.bpf",
                   NULL);
  EXPECT_EXIT(r, 2);
  ck_assert_msg(strstr(r.err, "out.bpf") != NULL, "%s", r.err);
  tu_result_free(&r);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

static Suite *cli_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("options");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, cli_help);
  tcase_add_test(tc, cli_refuses_foreign_options);
  tcase_add_test(tc, cli_version);
  tcase_add_test(tc, cli_usage_errors);
  tcase_add_test(tc, cli_policy_error_keeps_output);
  tcase_add_test(tc, cli_check_command);
  tcase_add_test(tc, cli_arches);
  tcase_add_test(tc, cli_bad_arch_option);
  tcase_add_test(tc, cli_bad_arch_permissive_warns);
  tcase_add_test(tc, cli_arch_lists);
  tcase_add_test(tc, cli_unknown_action);
  tcase_add_test(tc, cli_derived_rules);
  tcase_add_test(tc, cli_kafel_names_on_other_targets);
  tcase_add_test(tc, cli_old_calls_are_twins);
  tcase_add_test(tc, cli_policies_for_target_lists);
  tcase_add_test(tc, cli_defines);
  tcase_add_test(tc, cli_run_sysfence_pid);
  tcase_add_test(tc, cli_write_failure);
  suite_add_tcase(s, tc);
  tc = tcase_create("outputs");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, cli_output_blob_and_disasm);
  tcase_add_test(tc, cli_disasm_corrupt);
  tcase_add_test(tc, cli_disasm_multiarch);
  tcase_add_test(tc, cli_disasm_infers_byte_order);
  tcase_add_test(tc, cli_format_c);
  tcase_add_test(tc, cli_format_asm);
  tcase_add_test(tc, cli_determinism);
  tcase_add_test(tc, cli_output_stdout);
  tcase_add_test(tc, cli_output_to_device_keeps_node);
  tcase_add_test(tc, cli_optimize_levels);
  tcase_add_test(tc, cli_profile);
  tcase_add_test(tc, cli_refuses_terminal);
  tcase_add_test(tc, cli_big_endian_s390x);
  tcase_add_test(tc, cli_include_dirs);
  tcase_add_test(tc, cli_stdin_input);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_cli: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(cli_suite());
}
