/* check_systemd.c - 'sysfence convert --from systemd' and the shipped
 * systemd groups (policies/groups/systemd/).
 *
 * The converted policies are compiled and their filters run in the
 * simulator (sysfence_simulate), so each check is about what the calls
 * get, by systemd's rules (systemd.exec(5)): an allow-list refuses what it
 * does not list and allows @default; '~' makes a deny-list; later lines
 * add names of their own kind and take out those of the other kind; the
 * first line decides the mode; an empty one resets; SystemCallErrorNumber=
 * and ':ERRNO' choose the outcome; SystemCallArchitectures= becomes the
 * --arch list.  The group table and the shipped files are checked against
 * the corpus's transcription of systemd's (loudly skipped without it). */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define ALLOW 0x7fff0000u
#define KILL_PROCESS 0x80000000u
#define ERRNO(e) (0x00050000u | (e))
#define GROUPS_JSON SHARED_DIR "/corpus/systemd/syscall-groups.json"

/* 'sysfence convert --from systemd -a x86_64 ARGS...' (up to 8 ARGS, NULL
 * ended); the run's result. */
static tu_result convert(const char *first, ...) {
  const char *argv[16] = {"convert", "--from", "systemd", "-a", "x86_64"};
  size_t n = 5;
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a && n < 15; a = va_arg(ap, const char *)) argv[n++] = a;
  va_end(ap);
  char *full[18] = {(char *)tu_sysfence()};
  for (size_t i = 0; i < n; i++) full[i + 1] = (char *)argv[i];
  return tu_run(full, NULL);
}

/* The policy converted from ARGS (which must succeed). */
#define POLICY(...) policy_of(convert(__VA_ARGS__, NULL))
static char *policy_of(tu_result r) {
  ck_assert_msg(r.exited && r.status == 0, "convert failed: %s", r.err);
  ck_assert_str_eq(r.err, "");
  char *p = strdup(r.out);
  tu_result_free(&r);
  return p;
}

/* Compile POLICY for ARCHES; it must compile without an error or a
 * warning (notes say which names a target of several lacks). */
static struct sock_fprog compile(const char *policy, const char *arches) {
  struct sock_fprog prog;
  char *diags = NULL;
  int rc = tu_compile(policy, arches, &prog, &diags);
  ck_assert_msg(rc == SYSFENCE_OK, "%s\n%s", diags, policy);
  ck_assert_msg(diags == NULL || (!strstr(diags, "warning:") && !strstr(diags, "error:")),
                "diagnostics: %s", diags);
  if (!strchr(arches, ','))
    ck_assert_msg(diags == NULL || *diags == '\0', "diagnostics: %s", diags);
  free(diags);
  return prog;
}

/* What PROG returns for syscall NAME of ARCH. */
static uint32_t decide(const struct sock_fprog *prog, const char *arch, const char *name) {
  long nr = sysfence_syscall_number(arch, name);
  ck_assert_msg(nr >= 0, "%s is no syscall of %s", name, arch);
  uint32_t action;
  ck_assert_int_eq(sysfence_simulate(prog, arch, (uint32_t)nr, NULL, 0, &action),
                   SYSFENCE_OK);
  return action;
}

/* Convert ARGS, compile for x86_64, and expect NAME -> ACTION pairs. */
typedef struct expect {
  const char *name;
  uint32_t action;
} expect;

static void check_x86_64(const char *policy, const expect *e) {
  struct sock_fprog prog = compile(policy, "x86_64");
  for (; e->name; e++)
    ck_assert_msg(decide(&prog, "x86_64", e->name) == e->action,
                  "%s: got 0x%08x, want 0x%08x\n%s", e->name,
                  decide(&prog, "x86_64", e->name), e->action, policy);
  free(prog.filter);
}

START_TEST(allow_list_allows_listed_and_default) {
  char *p = POLICY("SystemCallFilter=@basic-io");
  /* @basic-io's own, @default's (systemd adds it to every allow-list), and
   * a call in neither */
  check_x86_64(p, (expect[]){{"read", ALLOW}, {"pwritev2", ALLOW}, {"close_range", ALLOW},
                             {"execve", ALLOW}, {"exit_group", ALLOW},
                             {"clock_gettime", ALLOW}, {"openat", KILL_PROCESS},
                             {"socket", KILL_PROCESS}, {"ptrace", KILL_PROCESS},
                             {NULL, 0}});
  ck_assert_ptr_nonnull(strstr(p, "DEFAULT KILL_PROCESS"));
  free(p);
}
END_TEST

START_TEST(deny_list_refuses_only_listed) {
  char *p = POLICY("SystemCallFilter=~@mount ptrace");
  check_x86_64(p, (expect[]){{"mount", KILL_PROCESS}, {"umount2", KILL_PROCESS},
                             {"pivot_root", KILL_PROCESS}, {"ptrace", KILL_PROCESS},
                             {"read", ALLOW}, {"openat", ALLOW}, {"execve", ALLOW},
                             {NULL, 0}});
  free(p);
}
END_TEST

START_TEST(later_lines_add_and_remove) {
  /* allow-list first: another allow line adds, a deny line takes out */
  char *p = POLICY("SystemCallFilter=@system-service", "SystemCallFilter=~@privileged",
                   "SystemCallFilter=chroot");
  check_x86_64(p, (expect[]){{"openat", ALLOW}, {"socket", ALLOW},
                             {"setuid", KILL_PROCESS},   /* @privileged via @setuid */
                             {"chown", KILL_PROCESS},    /* @privileged via @chown */
                             {"chroot", ALLOW},          /* added back after */
                             {"mount", KILL_PROCESS},    /* never in the list */
                             {NULL, 0}});
  free(p);
  /* deny-list first: an allow line takes names out of it */
  p = POLICY("SystemCallFilter=~@mount", "SystemCallFilter=mount", "SystemCallFilter=~ptrace");
  check_x86_64(p, (expect[]){{"mount", ALLOW}, {"umount2", KILL_PROCESS},
                             {"ptrace", KILL_PROCESS}, {"read", ALLOW}, {NULL, 0}});
  free(p);
}
END_TEST

START_TEST(first_line_decides_the_mode) {
  /* the same two lines in the other order give the other mode */
  char *allow = POLICY("SystemCallFilter=read write", "SystemCallFilter=~write");
  check_x86_64(allow, (expect[]){{"read", ALLOW}, {"write", KILL_PROCESS},
                                 {"openat", KILL_PROCESS}, {NULL, 0}});
  char *deny = POLICY("SystemCallFilter=~write", "SystemCallFilter=read write");
  check_x86_64(deny, (expect[]){{"read", ALLOW}, {"write", ALLOW}, {"openat", ALLOW},
                                {NULL, 0}});
  free(allow);
  free(deny);
}
END_TEST

START_TEST(empty_assignment_resets) {
  char *p = POLICY("SystemCallFilter=~@mount", "SystemCallFilter=", "SystemCallFilter=read");
  /* an allow-list now: mount (no longer denied) is refused as unlisted */
  check_x86_64(p, (expect[]){{"read", ALLOW}, {"exit_group", ALLOW},
                             {"openat", KILL_PROCESS}, {NULL, 0}});
  free(p);
  p = POLICY("SystemCallFilter=~ptrace", "SystemCallFilter=");
  check_x86_64(p, (expect[]){{"ptrace", ALLOW}, {NULL, 0}});
  free(p);
}
END_TEST

START_TEST(error_numbers) {
  char *p = POLICY("SystemCallFilter=read", "SystemCallErrorNumber=EPERM");
  check_x86_64(p, (expect[]){{"read", ALLOW}, {"openat", ERRNO(1)}, {NULL, 0}});
  free(p);
  /* deny-list: ':ERRNO' and ':kill' win over SystemCallErrorNumber= */
  p = POLICY("SystemCallFilter=~ptrace:EACCES mount:kill umount2 chroot:38",
             "SystemCallErrorNumber=EPERM");
  check_x86_64(p, (expect[]){{"ptrace", ERRNO(13)}, {"mount", KILL_PROCESS},
                             {"umount2", ERRNO(1)}, {"chroot", ERRNO(38)},
                             {"read", ALLOW}, {NULL, 0}});
  free(p);
  /* the last SystemCallErrorNumber= counts; 'kill' is the default again */
  p = POLICY("SystemCallErrorNumber=EPERM", "SystemCallFilter=read",
             "SystemCallErrorNumber=kill");
  check_x86_64(p, (expect[]){{"openat", KILL_PROCESS}, {NULL, 0}});
  free(p);
  /* a later deny line gives a name its own outcome */
  p = POLICY("SystemCallFilter=~ptrace:EPERM", "SystemCallFilter=~ptrace:EACCES");
  check_x86_64(p, (expect[]){{"ptrace", ERRNO(13)}, {NULL, 0}});
  free(p);
}
END_TEST

START_TEST(architectures_become_arch) {
  char *p = POLICY("SystemCallFilter=@basic-io", "SystemCallArchitectures=x86 native");
  /* native (-a x86_64) first, as --arch wants */
  ck_assert_ptr_nonnull(strstr(p, "--arch x86_64,i386 "));
  struct sock_fprog prog = compile(p, "x86_64,i386");
  /* i386's own names of the group are there (_llseek), x86_64's too */
  ck_assert_uint_eq(decide(&prog, "i386", "_llseek"), ALLOW);
  ck_assert_uint_eq(decide(&prog, "x86_64", "lseek"), ALLOW);
  ck_assert_uint_eq(decide(&prog, "i386", "socketcall"), KILL_PROCESS);
  free(prog.filter);
  free(p);
  /* lines add up; empty resets (then the names are native's only) */
  p = POLICY("SystemCallArchitectures=native", "SystemCallArchitectures=x32",
             "SystemCallFilter=read");
  ck_assert_ptr_nonnull(strstr(p, "--arch x86_64,x32 "));
  free(p);
  p = POLICY("SystemCallArchitectures=x86", "SystemCallArchitectures=",
             "SystemCallFilter=@basic-io");
  ck_assert_ptr_null(strstr(p, "--arch x86_64,i386"));
  ck_assert_ptr_null(strstr(p, "_llseek"));
  free(p);
  /* -a names what 'native' is, and whose names are kept */
  tu_result r = tu_run_program(tu_sysfence(), NULL, "convert", "--from", "systemd", "-a",
                               "aarch64", "SystemCallFilter=@basic-io",
                               "SystemCallArchitectures=native arm", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "--arch aarch64,arm "));
  prog = compile(r.out, "aarch64,arm");
  ck_assert_uint_eq(decide(&prog, "arm", "_llseek"), ALLOW);
  ck_assert_uint_eq(decide(&prog, "aarch64", "read"), ALLOW);
  free(prog.filter);
  tu_result_free(&r);
}
END_TEST

/* Every group alone, and the usual combination, on several ABIs: the
 * policy compiles without a diagnostic (no name the target lacks, no alias
 * listed twice). */
START_TEST(every_group_compiles_everywhere) {
  static const char *const arches[] = {"x86_64", "i386", "aarch64", "arm", "s390x",
                                       "ppc64le", "riscv64", "mips"};
  for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
    for (const sf_systemd_group *g = sf_systemd_groups; g->name; g++) {
      char line[96];
      snprintf(line, sizeof line, "SystemCallFilter=%s", g->name);
      for (int deny = 0; deny < 2; deny++) {
        if (deny) snprintf(line, sizeof line, "SystemCallFilter=~%s", g->name);
        tu_result r = tu_run_program(tu_sysfence(), NULL, "convert", "--from", "systemd",
                                     "-a", arches[a], line, NULL);
        ck_assert_msg(r.status == 0, "%s %s: %s", arches[a], line, r.err);
        struct sock_fprog prog = compile(r.out, arches[a]);
        free(prog.filter);
        tu_result_free(&r);
      }
    }
}
END_TEST

START_TEST(settings_from_a_unit_file) {
  char *dir = tu_tmpdir();
  char *unit = tu_write(dir, "x.service",
                        "[Unit]\nDescription=x\n\n[Service]\n# a comment\n"
                        "ExecStart=/bin/true\r\n"
                        "SystemCallFilter=@basic-io\n; another comment\n"
                        "  SystemCallFilter = ~write\n"
                        "SystemCallErrorNumber=EPERM\n");
  char *p = POLICY(unit);
  check_x86_64(p, (expect[]){{"read", ALLOW}, {"write", ERRNO(1)}, {"openat", ERRNO(1)},
                             {NULL, 0}});
  /* the same as the lines given as arguments (the header's echo aside) */
  char *q = POLICY("SystemCallFilter=@basic-io", "SystemCallFilter = ~write",
                   "SystemCallErrorNumber=EPERM");
  ck_assert_str_eq(strstr(p, "ALLOW {"), strstr(q, "ALLOW {"));
  free(p);
  free(q);
  free(unit);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A bad input: exit status 1, the message at LINE:COL, nothing written. */
static void expect_error(const char *arg, const char *where, const char *what) {
  tu_result r = convert(arg, NULL);
  ck_assert_msg(r.exited && r.status == 1, "%s: status %d", arg, r.status);
  ck_assert_str_eq(r.out, "");
  ck_assert_msg(strstr(r.err, where) && strstr(r.err, what), "%s:\n%s", arg, r.err);
  tu_result_free(&r);
}

START_TEST(what_systemd_ignores_is_an_error) {
  /* systemd reads a '~' inside the value as part of a name and ignores it
   * ("Failed to parse system call, ignoring"): the calls stay allowed */
  expect_error("SystemCallFilter=@system-service ~@privileged", "<argument 1>:1:34: error:",
               "put it on a line of its own: SystemCallFilter=~@privileged");
  expect_error("SystemCallFilter=@system-servce", "<argument 1>:1:18: error:",
               "did you mean '@system-service'");
  expect_error("SystemCallFilter=read:EPERM", "1:23: error:",
               "only deny-listed ('~') names take an error number");
  expect_error("SystemCallFilter=~read:EFOO", "1:24: error:", "invalid error number 'EFOO'");
  expect_error("SystemCallFilter=~reed", "1:19: error:", "unknown syscall 'reed'");
  expect_error("SystemCallErrorNumber=EFOO", "1:23: error:", "SystemCallErrorNumber=");
  expect_error("SystemCallErrorNumber=0", "1:23: error:", "1..4095");
  expect_error("SystemCallArchitectures=alpha", "1:25: error:", "architecture 'alpha'");
  expect_error("SystemCalFilter=read", "1:1: error:", "did you mean 'SystemCallFilter'");
  expect_error("SystemCallFilter=@known", "1:18: error:", "'@known'");
  tu_result r = convert("read write", NULL); /* no '=': a file to read */
  ck_assert_int_eq(r.status, 2);
  ck_assert_ptr_nonnull(strstr(r.err, "cannot read 'read write'"));
  tu_result_free(&r);
}
END_TEST

START_TEST(output_file_is_atomic) {
  char *dir = tu_tmpdir();
  char *out = tu_write(dir, "p.policy", "old\n");
  tu_result r = tu_run_program(tu_sysfence(), NULL, "convert", "--from", "systemd", "-o",
                               out, "SystemCallFilter=~reed", NULL);
  ck_assert_int_eq(r.status, 1);
  char *text = tu_read(out, NULL);
  ck_assert_str_eq(text, "old\n");
  free(text);
  tu_result_free(&r);
  r = tu_run_program(tu_sysfence(), NULL, "convert", "--from", "systemd", "-o", out,
                     "SystemCallFilter=~ptrace", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "");
  text = tu_read(out, NULL);
  ck_assert_ptr_nonnull(strstr(text, "KILL_PROCESS {\n  ptrace\n}\nDEFAULT ALLOW\n"));
  free(text);
  tu_result_free(&r);
  r = tu_sh("ls %s | wc -l", dir); /* no temporary file left */
  ck_assert_str_eq(r.out, "1\n");
  tu_result_free(&r);
  free(out);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(convert_usage) {
  tu_result r = tu_run_program(tu_sysfence(), NULL, "convert", "x", NULL);
  ck_assert_int_eq(r.status, 2);
  ck_assert_ptr_nonnull(strstr(r.err, "--from systemd"));
  tu_result_free(&r);
  r = tu_run_program(tu_sysfence(), NULL, "convert", "--from", "upstart", "x", NULL);
  ck_assert_int_eq(r.status, 2);
  ck_assert_ptr_nonnull(strstr(r.err, "unknown --from 'upstart'"));
  tu_result_free(&r);
  r = tu_run_program(tu_sysfence(), NULL, "convert", "--help", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "--from TOOL"));
  ck_assert_ptr_nonnull(strstr(r.out, "SystemCallArchitectures="));
  ck_assert_ptr_null(strstr(r.out, "A CALL is")); /* convert takes no calls */
  ck_assert_ptr_nonnull(strstr(r.out, "1 errors in the input"));
  tu_result_free(&r);
  /* option help stays in its column (a newline in a help text was printed
   * as is, starting a line at column 0) */
  r = tu_run_program(tu_sysfence(), NULL, "compile", "--help", NULL);
  const char *opts = strstr(r.out, "\nOptions:\n");
  ck_assert_ptr_nonnull(opts);
  for (const char *l = opts + 10; *l && *l != '\n'; l = strchr(l, '\n') + 1)
    ck_assert_msg(*l == ' ', "a help line starts at column 0: %.40s", l);
  tu_result_free(&r);
}
END_TEST

/* ---- the groups, against the corpus ------------------------------------------ */

/* The group table equals the corpus's expanded lists (python3 reads the
 * JSON: name, then the sorted names, one group a line). */
START_TEST(group_table_matches_corpus) {
  TU_NEED_CORPUS("group_table_matches_corpus");
  if (!tu_have("python3")) {
    tu_skip("group_table_matches_corpus", "python3 not found");
    return;
  }
  tu_result r = tu_sh("python3 -c 'import json,sys\n"
                      "g=json.load(open(sys.argv[1]))[\"groups\"]\n"
                      "for k in sorted(g): print(k, \" \".join(sorted(set(g[k][\"expanded\"]))))' "
                      "%s", GROUPS_JSON);
  ck_assert_int_eq(r.status, 0);
  size_t groups = 0;
  for (const sf_systemd_group *g = sf_systemd_groups; g->name; g++, groups++) {
    char line[8192];
    int n = snprintf(line, sizeof line, "%s", g->name);
    for (const char *const *m = g->names; *m; m++)
      n += snprintf(line + n, sizeof line - (size_t)n, " %s", *m);
    snprintf(line + n, sizeof line - (size_t)n, "\n");
    ck_assert_msg(strstr(r.out, line) != NULL, "%s differs from the corpus", g->name);
  }
  size_t lines = 0;
  for (const char *p = r.out; *p; p++) lines += *p == '\n';
  ck_assert_uint_eq(groups, lines);
  ck_assert_uint_eq(groups, 29);
  tu_result_free(&r);
}
END_TEST

/* The committed files are what the generator makes of the corpus now. */
START_TEST(generated_files_are_current) {
  TU_NEED_CORPUS("generated_files_are_current");
  if (!tu_have("python3")) {
    tu_skip("generated_files_are_current", "python3 not found");
    return;
  }
  char *dir = tu_tmpdir();
  tu_result r = tu_sh("mkdir -p %s/src/cli && python3 %s/tools/gen-systemd-groups.py "
                      "--groups %s --csv %s/data/syscalls.csv --root %s && "
                      "diff -r %s/policies/groups/systemd %s/policies/groups/systemd && "
                      "diff %s/src/cli/systemd-groups.c %s/src/cli/systemd-groups.c",
                      dir, SRCDIR, GROUPS_JSON, SHARED_DIR, dir, SRCDIR, dir, SRCDIR, dir);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  tu_result_free(&r);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* The shipped groups decide as the converter does (one group each way). */
START_TEST(shipped_groups_match_convert) {
  for (const sf_systemd_group *g = sf_systemd_groups; g->name; g++) {
    char policy[256], line[96], name[64];
    snprintf(name, sizeof name, "systemd_%s", g->name + 1);
    for (char *c = name; *c; c++) if (*c == '-') *c = '_';
    snprintf(policy, sizeof policy, "#include \"%s/policies/groups/systemd/x86_64.policy\"\n"
             "USE %s\nUSE systemd_default\nDEFAULT KILL_PROCESS\n", SRCDIR, name);
    snprintf(line, sizeof line, "SystemCallFilter=%s", g->name);
    char *converted = POLICY(line);
    struct sock_fprog a, b = compile(converted, "x86_64");
    char *diags = NULL;
    ck_assert_int_eq(tu_compile(policy, "x86_64", &a, &diags), SYSFENCE_OK);
    free(diags);
    for (uint32_t nr = 0; nr < 600; nr++) {
      uint32_t x, y;
      sysfence_simulate(&a, "x86_64", nr, NULL, 0, &x);
      sysfence_simulate(&b, "x86_64", nr, NULL, 0, &y);
      ck_assert_msg(x == y, "%s: syscall %u: group file 0x%08x, convert 0x%08x", g->name,
                    nr, x, y);
    }
    free(a.filter);
    free(b.filter);
    free(converted);
  }
}
END_TEST

static Suite *systemd_suite(void) {
  Suite *s = suite_create("systemd");
  TCase *t = tcase_create("convert");
  tcase_set_timeout(t, 300);
  tcase_add_test(t, allow_list_allows_listed_and_default);
  tcase_add_test(t, deny_list_refuses_only_listed);
  tcase_add_test(t, later_lines_add_and_remove);
  tcase_add_test(t, first_line_decides_the_mode);
  tcase_add_test(t, empty_assignment_resets);
  tcase_add_test(t, error_numbers);
  tcase_add_test(t, architectures_become_arch);
  tcase_add_test(t, every_group_compiles_everywhere);
  tcase_add_test(t, settings_from_a_unit_file);
  tcase_add_test(t, what_systemd_ignores_is_an_error);
  tcase_add_test(t, output_file_is_atomic);
  tcase_add_test(t, convert_usage);
  suite_add_tcase(s, t);
  TCase *g = tcase_create("groups");
  tcase_set_timeout(g, 300);
  tcase_add_test(g, group_table_matches_corpus);
  tcase_add_test(g, generated_files_are_current);
  tcase_add_test(g, shipped_groups_match_convert);
  suite_add_tcase(s, g);
  return s;
}

int main(void) { return tu_run_suite(systemd_suite()); }
