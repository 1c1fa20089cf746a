/* check_nsjail.c - nsjail configs as input (base/nsjail.c): compile, check
 * and convert take a .cfg (protobuf text) and compile the policy nsjail
 * would (its seccomp_string values, each followed by a newline, or its
 * seccomp_policy_file), with diagnostics at the line and column of the
 * string's contents in the config.
 *
 * The corpus's nsjail policies (kafel/nsjail/, extracted from nsjail's
 * configs as nsjail joins them) are written back into configs, one
 * seccomp_string per line, and must compile to the same program as the
 * extracted text (loudly skipped without the corpus). */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define NSJAIL_CORPUS SHARED_DIR "/corpus/kafel/nsjail"

/* Compile (or with PROG NULL, check) INPUT (a path, or TEXT named NAME)
 * for x86_64 as an nsjail config: the status; *DIAGS the text (malloc()ed). */
static int compile_cfg(const char *path, const char *text, struct sock_fprog *prog,
                       char **diags) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  if (path)
    ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
  else
    ck_assert_int_eq(sysfence_set_input_string(ctx, "jail.cfg", text), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_input_kind(ctx, SYSFENCE_INPUT_NSJAIL), SYSFENCE_OK);
  int rc = prog ? sysfence_compile(ctx, prog) : sysfence_check(ctx);
  *diags = strdup(sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return rc;
}

/* The two programs are the same instructions. */
static void assert_same_program(const struct sock_fprog *a, const struct sock_fprog *b,
                                const char *what) {
  ck_assert_msg(a->len == b->len && memcmp(a->filter, b->filter, a->len * 8) == 0,
                "%s: the config and the policy give different programs", what);
}

/* A config's policy compiles as the joined text does. */
static void expect_same_as(const char *cfg, const char *policy) {
  struct sock_fprog a, b;
  char *d1, *d2 = NULL;
  ck_assert_msg(compile_cfg(NULL, cfg, &a, &d1) == SYSFENCE_OK, "%s", d1);
  ck_assert_int_eq(tu_compile(policy, "x86_64", &b, &d2), SYSFENCE_OK);
  assert_same_program(&a, &b, cfg);
  free(a.filter), free(b.filter), free(d1), free(d2);
}

START_TEST(strings_are_joined_with_newlines) {
  /* other fields, nested messages, comments, ';' and ',' separators, the
   * list form and adjacent strings are read as protobuf's text format */
  expect_same_as("name: \"x\"\nmode: ONCE\ntime_limit: 10,\n"
                 "mount { src: \"/lib\" dst: \"/lib\" is_bind: true }\n"
                 "mount < dst: \"/tmp\" fstype: 'tmpfs' rw: true >;\n"
                 "# seccomp_string: \"a comment, not a field\"\n"
                 "[ext.field]: 5\n"
                 "seccomp_string: \"ALLOW { read, \" \"write }\"\n"
                 "uidmap { inside_id: \"0\" }\n"
                 "seccomp_string: [ 'ERRNO(1) { getcwd }', \"KILL { ptrace }\" ]\n"
                 "seccomp_string: \"DEFAULT ALLOW\"\n",
                 "ALLOW { read, write }\nERRNO(1) { getcwd }\nKILL { ptrace }\n"
                 "DEFAULT ALLOW\n");
  /* each value ends a line: a '//' comment stops at the end of its value */
  expect_same_as("seccomp_string: \"ALLOW { read } // allow reads\"\n"
                 "seccomp_string: \"DEFAULT KILL\"\n",
                 "ALLOW { read }\nDEFAULT KILL\n");
  /* escapes: \\\" \\t \\n \\x41 \\101 */
  expect_same_as("seccomp_string: \"#define A 1\\nALLOW {\\tread } // \\\"q\\\" \\x41\\101\"\n"
                 "seccomp_string: \"DEFAULT ERRNO(A)\"\n",
                 "#define A 1\nALLOW {\tread } // \"q\" AA\nDEFAULT ERRNO(A)\n");
}
END_TEST

/* An error at LINE:COL of the config (the string's contents). */
static void expect_error_at(const char *cfg, const char *where, const char *what) {
  char *d;
  ck_assert_int_eq(compile_cfg(NULL, cfg, NULL, &d), SYSFENCE_EPOLICY);
  ck_assert_msg(strstr(d, where) && strstr(d, what), "want %s %s in:\n%s", where, what, d);
  free(d);
}

START_TEST(diagnostics_point_into_the_config) {
  expect_error_at("name: \"j\"\nseccomp_string: \"ALLOW { read }\"\n"
                  "  seccomp_string: \"ALLOW { wrte }\"\nseccomp_string: \"DEFAULT KILL\"\n",
                  "jail.cfg:3:28: error:", "'wrte'");
  /* the config's own line is shown, with the caret under the name */
  expect_error_at("seccomp_string: \"ALLOW { wrte }\"\nseccomp_string: \"DEFAULT KILL\"\n",
                  "    1 | seccomp_string: \"ALLOW { wrte }\"\n      |"
                  "                          ^", "wrte");
  /* after escapes, in a list, in an adjacent string: the raw column */
  expect_error_at("seccomp_string: \"ALLOW {\\t\\\"\" \" wrte }\"\n"
                  "seccomp_string: \"DEFAULT KILL\"\n", "jail.cfg:1:", "");
  expect_error_at("seccomp_string: \"ALLOW {\\tread }\\nKILL { wrte }\"\n"
                  "seccomp_string: \"DEFAULT KILL\"\n", "jail.cfg:1:42: error:", "'wrte'");
  expect_error_at("seccomp_string: [\"ALLOW { read }\",\n   \"DEFAULT KIL\"]\n",
                  "jail.cfg:2:13: error:", "");
  /* the end of the policy: after the last string */
  expect_error_at("seccomp_string: \"ALLOW { read\"\n", "jail.cfg:1:31: error:",
                  "unexpected end of file");
  /* the config's own syntax */
  expect_error_at("seccomp_string: \"ALLOW { read }\n", "jail.cfg:1:32: error:",
                  "unterminated string");
  expect_error_at("mount { src: \"/\"\n", "jail.cfg:2:1: error:", "missing '}'");
  expect_error_at("seccomp_string \"x\"\n", "jail.cfg:1:16: error:", "expected ':'");
  expect_error_at("seccomp_string: 5\n", "jail.cfg:1:17: error:", "expected a string");
  expect_error_at("seccomp_string: \"\\q\"\n", "jail.cfg:1:19: error:", "unknown escape");
  expect_error_at("{ \"seccomp_string\": [\"DEFAULT KILL\"] }\n", "jail.cfg:1:1: error:",
                  "JSON");
  expect_error_at("name: \"x\"\n", "sysfence: error:",
                  "'jail.cfg' has no seccomp_string or seccomp_policy_file");
  expect_error_at("seccomp_string: \"DEFAULT KILL\"\nseccomp_policy_file: \"p.policy\"\n",
                  "jail.cfg:2:22: error: both seccomp_policy_file and seccomp_string", "");
}
END_TEST

/* The tests of the "files" case each get a folder of their own. */
static char *dir;

static void make_dir(void) { dir = tu_tmpdir(); }

static void remove_dir(void) {
  tu_rmtree(dir);
  free(dir);
}

START_TEST(includes_from_the_config_folder) {
  char *inc = tu_write(dir, "inc.policy", "POLICY p { ALLOW { read, wrte } }\n");
  char *cfg = tu_write(dir, "j.cfg", "seccomp_string: \"#include \\\"inc.policy\\\"\"\n"
                                     "seccomp_string: \"USE p DEFAULT KILL\"\n");
  char *d;
  ck_assert_int_eq(compile_cfg(cfg, NULL, NULL, &d), SYSFENCE_EPOLICY);
  char want[512];
  snprintf(want, sizeof want, "In file included from %s:1:\n%s:1:26: error:", cfg, inc);
  ck_assert_msg(strstr(d, want) != NULL, "want %s in:\n%s", want, d);
  free(d);
  free(inc), free(cfg);
}
END_TEST

START_TEST(policy_file) {
  char *pol = tu_write(dir, "p.policy", "ALLOW { read }\nKILL { opn }\nDEFAULT ALLOW\n");
  char *cfg = tu_write(dir, "j.cfg", "name: \"j\"\nseccomp_policy_file: \"p.policy\"\n");
  /* relative to the current folder, as nsjail opens it */
  tu_result r = tu_sh("cd %s && %s check j.cfg", dir, tu_sysfence());
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strstr(r.err, "p.policy:2:8: error:") != NULL, "%s", r.err);
  tu_result_free(&r);
  r = tu_sh("cd / && %s check %s", tu_sysfence(), cfg);
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strstr(r.err, "j.cfg:2:22: error: cannot read seccomp_policy_file 'p.policy'"),
                "%s", r.err);
  tu_result_free(&r);
  free(pol), free(cfg);
}
END_TEST

START_TEST(recognised_by_name_content_or_option) {
  const char *text = "seccomp_string: \"ALLOW { read } DEFAULT KILL\"\n";
  char *cfg = tu_write(dir, "j.cfg", text), *txt = tu_write(dir, "j.txt", text);
  char *other = tu_write(dir, "x.cfg", "ALLOW { read } DEFAULT KILL\n");
  tu_result r;
  const char *ok[][4] = {{"check", cfg, NULL}, {"check", txt, NULL},
                         {"check", "--input", "nsjail", "-"}, {"check", "--input", "policy", other}};
  for (size_t i = 0; i < 4; i++) {
    const char *const *a = ok[i];
    r = tu_run_program(tu_sysfence(), i == 2 ? text : NULL, a[0], a[1], a[2], a[3], NULL);
    ck_assert_msg(r.status == 0, "case %zu: %s", i, r.err);
    tu_result_free(&r);
  }
  /* a policy called .cfg is read as a config without --input policy */
  r = tu_run_program(tu_sysfence(), NULL, "check", other, NULL);
  ck_assert_int_eq(r.status, 1);
  ck_assert_ptr_nonnull(strstr(r.err, "x.cfg:1:14: error: expected ':'"));
  tu_result_free(&r);
  r = tu_run_program(tu_sysfence(), NULL, "check", "--input", "yaml", cfg, NULL);
  ck_assert_int_eq(r.status, 2);
  tu_result_free(&r);
  /* eval names the rule where it is in the config */
  r = tu_run_program(tu_sysfence(), NULL, "eval", cfg, "read(0)", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strstr(r.out, "ALLOW  (") && strstr(r.out, "j.cfg:1:26: rule for read"),
                "%s", r.out);
  tu_result_free(&r);
  /* compile and convert */
  r = tu_run_program(tu_sysfence(), NULL, "compile", "--format", "asm", cfg, NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "ld [4]"));
  tu_result_free(&r);
  r = tu_run_program(tu_sysfence(), NULL, "convert", "--from", "nsjail", cfg, NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "ALLOW { read } DEFAULT KILL\n");
  tu_result_free(&r);
  free(cfg), free(txt), free(other);
}
END_TEST

/* TEXT as a config: one seccomp_string per line, escaped. */
static char *as_config(const char *text) {
  size_t n = strlen(text);
  char *out = malloc(4 * n + 64), *o = out;
  o += sprintf(o, "name: \"corpus\"\n");
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    o += sprintf(o, "seccomp_string: \"");
    for (size_t i = 0; i < len; i++) {
      if (p[i] == '"' || p[i] == '\\') *o++ = '\\';
      if (p[i] == '\t') { *o++ = '\\'; *o++ = 't'; continue; }
      *o++ = p[i];
    }
    o += sprintf(o, "\"\n");
    p += len + (nl ? 1 : 0);
  }
  *o = '\0';
  return out;
}

START_TEST(corpus_policies_round_trip) {
  TU_NEED_CORPUS("corpus_policies_round_trip");
  DIR *d = opendir(NSJAIL_CORPUS);
  ck_assert_ptr_nonnull(d);
  int seen = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strstr(e->d_name, ".policy")) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", NSJAIL_CORPUS, e->d_name);
    char *text = tu_read(path, NULL), *cfg = as_config(text), *d1, *d2 = NULL;
    struct sock_fprog a = {0}, b = {0};
    int rc1 = compile_cfg(NULL, cfg, &a, &d1), rc2 = tu_compile(text, "x86_64", &b, &d2);
    ck_assert_msg(rc1 == rc2, "%s: config %d, policy %d\n%s", e->d_name, rc1, rc2, d1);
    if (strstr(e->d_name, "invalid")) ck_assert_int_eq(rc1, SYSFENCE_EPOLICY);
    if (rc1 == SYSFENCE_OK) assert_same_program(&a, &b, e->d_name);
    free(a.filter), free(b.filter), free(d1), free(d2), free(text), free(cfg);
    seen++;
  }
  closedir(d);
  ck_assert_int_ge(seen, 16);
}
END_TEST

static Suite *nsjail_suite(void) {
  Suite *s = suite_create("nsjail");
  TCase *t = tcase_create("config");
  tcase_add_test(t, strings_are_joined_with_newlines);
  tcase_add_test(t, diagnostics_point_into_the_config);
  tcase_add_test(t, corpus_policies_round_trip);
  suite_add_tcase(s, t);
  TCase *files = tcase_create("files");
  tcase_add_checked_fixture(files, make_dir, remove_dir);
  tcase_add_test(files, includes_from_the_config_folder);
  tcase_add_test(files, policy_file);
  tcase_add_test(files, recognised_by_name_content_or_option);
  suite_add_tcase(s, files);
  return s;
}

int main(void) { return tu_run_suite(nsjail_suite()); }
