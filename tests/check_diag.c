/* check_diag.c - diagnostics that people and tools read: -Werror, -w,
 * --max-errors, --diagnostics-format json (with fix-its), and the errors a
 * new user meets (an unclosed '{', a misspelled keyword, ON after the
 * filter, a byte order mark, C library names, a file that is no policy). */
#include <check.h>
#include <json-c/json.h>
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

static char *dir;
static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
  tu_rmtree(dir);
  free(dir);
}

static size_t count(const char *text, const char *what) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
  return n;
}

/* A policy with one warning (a rule that can never match). */
static const char *WARNS = "POLICY p { ALLOW { read, read } }\nUSE p DEFAULT KILL\n";

START_TEST(werror_and_w) {
  char *pol = tu_write(dir, "w.policy", WARNS);
  char out[4096];
  snprintf(out, sizeof out, "%s/w.bpf", dir);
  tu_result r = sf("check", pol, NULL);
  EXPECT_EXIT(r, 0);
  HAS(r.err, "warning: rule for 'read' can never match");
  tu_result_free(&r);
  /* -Werror: an error, nothing written. */
  const char *cmds[] = {"check", "compile", "eval", "stats"};
  for (size_t i = 0; i < 4; i++) {
    r = i == 1 ? sf(cmds[i], "-Werror", pol, "-o", out, NULL)
        : i == 2 ? sf(cmds[i], "-Werror", pol, "read", NULL)
                 : sf(cmds[i], "-Werror", pol, NULL);
    EXPECT_EXIT(r, 1);
    HAS(r.err, "error: rule for 'read' can never match [-Werror]");
    ck_assert_ptr_null(strstr(r.err, "warning:"));
    tu_result_free(&r);
  }
  ck_assert_int_ne(access(out, F_OK), 0);
  r = sf("run", "-Werror", pol, "--", "/bin/true", NULL);
  EXPECT_EXIT(r, 125);
  HAS(r.err, "[-Werror]");
  tu_result_free(&r);
  /* -w: no warnings, and the note that belonged to it goes too. */
  r = sf("compile", "-w", pol, "-o", out, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_str_eq(r.err, "");
  tu_result_free(&r);
  r = sf("check", "-Wfrob", pol, NULL);
  EXPECT_EXIT(r, 2);
  HAS(r.err, "-Werror");
  tu_result_free(&r);
  free(pol);
}
END_TEST

/* 25 unknown syscalls: 20 shown by default, N with --max-errors N, all
 * with 0. */
START_TEST(max_errors) {
  char text[2048] = "ALLOW {";
  for (int i = 0; i < 25; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text), "%s nosuch%d", i ? "," : "", i);
  strcat(text, " }\n");
  char *pol = tu_write(dir, "e.policy", text);
  tu_result r = sf("check", pol, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_uint_eq(count(r.err, ": error: "), 20);
  HAS(r.err, "stopped after 20 errors");
  tu_result_free(&r);
  r = sf("check", "--max-errors", "3", pol, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_uint_eq(count(r.err, ": error: "), 3);
  HAS(r.err, "stopped after 3 errors");
  tu_result_free(&r);
  r = sf("check", "--max-errors", "0", pol, NULL);
  EXPECT_EXIT(r, 1);
  ck_assert_uint_eq(count(r.err, ": error: "), 25);
  ck_assert_ptr_null(strstr(r.err, "stopped after"));
  tu_result_free(&r);
  r = sf("check", "--max-errors", "-1", pol, NULL);
  EXPECT_EXIT(r, 2);
  tu_result_free(&r);
  free(pol);
}
END_TEST

/* Each line of stderr a JSON object; returns how many, the Ith in *OBJ
 * (the caller puts it). */
static size_t json_lines(const char *err, size_t want, json_object **obj) {
  size_t n = 0;
  *obj = NULL;
  char *copy = strdup(err);
  for (char *save, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_object *o = json_tokener_parse(line);
    ck_assert_msg(o && json_object_is_type(o, json_type_object), "not a JSON object: %s", line);
    if (n == want) *obj = o;
    else json_object_put(o);
    n++;
  }
  free(copy);
  return n;
}

static const char *str_of(json_object *o, const char *key) {
  json_object *v;
  ck_assert_msg(json_object_object_get_ex(o, key, &v), "no '%s'", key);
  return v ? json_object_get_string(v) : NULL;
}

static int int_of(json_object *o, const char *key) {
  json_object *v;
  ck_assert_msg(json_object_object_get_ex(o, key, &v), "no '%s'", key);
  return json_object_get_int(v);
}

START_TEST(json_format) {
  char *pol = tu_write(dir, "j.policy", WARNS);
  tu_result r = sf("check", "-a", "x86_64", "--diagnostics-format", "json", pol, NULL);
  EXPECT_EXIT(r, 0);
  json_object *o;
  /* The warning with its note inside it. */
  size_t lines = json_lines(r.err, 0, &o);
  ck_assert_uint_eq(lines, 1);
  ck_assert_str_eq(str_of(o, "file"), pol);
  ck_assert_int_eq(int_of(o, "line"), 1);
  ck_assert_int_eq(int_of(o, "column"), 26);
  ck_assert_str_eq(str_of(o, "severity"), "warning");
  ck_assert_str_eq(str_of(o, "message"), "rule for 'read' can never match");
  json_object *notes;
  ck_assert(json_object_object_get_ex(o, "notes", &notes));
  ck_assert_uint_eq(json_object_array_length(notes), 1);
  json_object *note = json_object_array_get_idx(notes, 0);
  ck_assert_int_eq(int_of(note, "column"), 20);
  HAS(str_of(note, "message"), "shadowed by the rule at");
  ck_assert(!json_object_object_get_ex(o, "fixit", NULL));
  json_object_put(o);
  tu_result_free(&r);
  /* An error with its fix-it. */
  free(pol);
  pol = tu_write(dir, "j.policy", "POLICY p { ALLOW { read, read, fstatat } }\n");
  r = sf("check", "-a", "x86_64", "--diagnostics-format", "json", pol, NULL);
  EXPECT_EXIT(r, 1);
  lines = json_lines(r.err, 0, &o);
  ck_assert_uint_eq(lines, 1);
  ck_assert_str_eq(str_of(o, "severity"), "error");
  json_object *fix;
  ck_assert(json_object_object_get_ex(o, "fixit", &fix));
  ck_assert_int_eq(int_of(fix, "line"), 1);
  ck_assert_int_eq(int_of(fix, "column"), 32);
  ck_assert_int_eq(int_of(fix, "length"), 7);
  ck_assert_str_eq(str_of(fix, "replacement"), "newfstatat");
  json_object_put(o);
  tu_result_free(&r);
  /* A diagnostic without a place: file null. */
  r = sf("check", "--diagnostics-format", "json", "-a", "x86_64", "/bin/true", NULL);
  EXPECT_EXIT(r, 1);
  lines = json_lines(r.err, 0, &o);
  ck_assert_uint_eq(lines, 1);
  json_object *file;
  ck_assert(json_object_object_get_ex(o, "file", &file) && file == NULL);
  ck_assert_int_eq(int_of(o, "line"), 0);
  json_object_put(o);
  tu_result_free(&r);
  r = sf("check", "--diagnostics-format", "xml", pol, NULL);
  EXPECT_EXIT(r, 2);
  tu_result_free(&r);
  free(pol);
}
END_TEST

/* ---- the errors a new user meets (through the library) ------------------- */

static sysfence_ctx *check(const char *arch, const char *text) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_arch(ctx, arch), SYSFENCE_OK);
  sysfence_set_input_string(ctx, "t.policy", text);
  ck_assert_int_eq(sysfence_check(ctx), SYSFENCE_EPOLICY);
  return ctx;
}

/* The diagnostic I is SEV at LINE:COL, its message starting with MSG. */
static void expect(sysfence_ctx *ctx, size_t i, sysfence_severity sev, int line, int col,
                   const char *msg) {
  const sysfence_diag *d = sysfence_diag_get(ctx, i);
  ck_assert_msg(d && d->severity == sev && d->line == line && d->column == col &&
                    strncmp(d->message, msg, strlen(msg)) == 0,
                "diagnostic %zu: want %d:%d %s\n%s", i, line, col, msg, sysfence_diag_text(ctx));
}

START_TEST(unclosed_brace) {
  sysfence_ctx *ctx = check("x86_64", "POLICY p { ALLOW { read }\nUSE p DEFAULT KILL\n");
  expect(ctx, 0, SYSFENCE_ERROR, 2, 7, "expected '}' before DEFAULT");
  expect(ctx, 1, SYSFENCE_NOTE, 1, 10, "to match this '{'");
  sysfence_free(ctx);
  /* At the end of the file: the innermost '{' open. */
  ctx = check("x86_64", "POLICY p {\n  ALLOW { read\n");
  expect(ctx, 0, SYSFENCE_ERROR, 3, 1, "unexpected end of file");
  expect(ctx, 1, SYSFENCE_NOTE, 2, 9, "to match this '{'");
  sysfence_free(ctx);
  /* A DEFAULT really written inside a POLICY keeps its message, no note. */
  ctx = check("x86_64", "POLICY p {\n  DEFAULT ALLOW\n}\nUSE p\n");
  expect(ctx, 0, SYSFENCE_ERROR, 2, 3, "DEFAULT is only allowed at top level, not inside POLICY");
  ck_assert_uint_eq(sysfence_diag_count(ctx), 1);
  sysfence_free(ctx);
}
END_TEST

START_TEST(misspelled_keywords) {
  static const struct {
    const char *text, *word, *fix;
    int col;
  } cases[] = {
      {"POLICY p { ALOW { read } }\nUSE p DEFAULT KILL\n", "ALOW", "ALLOW", 12},
      {"POLICY p { ERNO(1) { read } }\nUSE p DEFAULT KILL\n", "ERNO", "ERRNO", 12},
      {"POLICY p { KILL_PROCES { read } }\n", "KILL_PROCES", "KILL_PROCESS", 12},
      {"POLICY p { ALLOW { read } }\nUSE p DEFALT KILL\n", "DEFALT", "DEFAULT", 7},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sysfence_ctx *ctx = check("x86_64", cases[i].text);
    const sysfence_diag *d = sysfence_diag_get(ctx, 0);
    char want[64];
    snprintf(want, sizeof want, "; did you mean '%s'?", cases[i].fix);
    ck_assert_msg(d->column == cases[i].col && strstr(d->message, want) &&
                      d->fixit && strcmp(d->fixit, cases[i].fix) == 0 &&
                      d->fixit_length == (int)strlen(cases[i].word),
                  "case %zu: %s", i, sysfence_diag_text(ctx));
    sysfence_free(ctx);
  }
}
END_TEST

START_TEST(on_after_filter) {
  sysfence_ctx *ctx =
      check("x86_64", "POLICY p { ALLOW { read { fd == 0 } ON x86_64 } }\nUSE p DEFAULT KILL\n");
  expect(ctx, 0, SYSFENCE_ERROR, 1, 37, "'ON' comes before the argument filter");
  expect(ctx, 1, SYSFENCE_NOTE, 1, 25, "move 'ON ...' before this '{'");
  sysfence_free(ctx);
}
END_TEST

START_TEST(byte_order_mark) {
  sysfence_ctx *ctx = check("x86_64", "\xef\xbb\xbf" "ALLOW { read }\nDEFAULT KILL\n");
  expect(ctx, 0, SYSFENCE_ERROR, 1, 1, "the file starts with a UTF-8 byte order mark");
  sysfence_free(ctx);
}
END_TEST

START_TEST(c_library_names) {
  static const struct {
    const char *arch, *name, *message;
  } cases[] = {
      {"x86_64", "fstatat",
       "unknown syscall 'fstatat' for x86_64: the C library's fstatat() calls 'newfstatat' or "
       "'statx' there"},
      {"x86_64", "pread", "unknown syscall 'pread' for x86_64: the C library's pread() calls "
                          "'pread64' there"},
      {"aarch64", "stat", "unknown syscall 'stat' for aarch64: the C library's stat() calls "
                          "'newfstatat' or 'statx' there"},
      {"x86_64", "lstat64", "unknown syscall 'lstat64' for x86_64: the C library's lstat64() "
                            "calls 'newfstatat' or 'statx' there"},
      {"i386", "fstatat", "unknown syscall 'fstatat' for i386: the C library's fstatat() calls "
                          "'fstatat64' or 'statx' there"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, "ALLOW { %s }\nDEFAULT KILL\n", cases[i].name);
    sysfence_ctx *ctx = check(cases[i].arch, text);
    expect(ctx, 0, SYSFENCE_ERROR, 1, 9, cases[i].message);
    ck_assert_ptr_nonnull(sysfence_diag_get(ctx, 0)->fixit);
    sysfence_free(ctx);
  }
}
END_TEST

/* A compiled filter, a JSON profile or a program given as a policy, and a
 * policy or JSON given to disasm and sim. */
START_TEST(wrong_kind_of_file) {
  char *pol = tu_write(dir, "p.policy", "ALLOW { read }\nDEFAULT KILL\n");
  char bpf[4096];
  snprintf(bpf, sizeof bpf, "%s/p.bpf", dir);
  tu_result r = sf("compile", "-a", "x86_64", pol, "-o", bpf, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf("check", bpf, NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "is a compiled seccomp filter (raw BPF), not a policy");
  HAS(r.err, "sysfence disasm");
  ck_assert_uint_eq(count(r.err, "error:"), 1);
  tu_result_free(&r);
  char *json = tu_write(dir, "p.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\"\n}\n");
  /* A JSON profile is read as one by default; said to be a policy, it is
   * named as what it is. */
  r = sf("compile", "--input", "policy", json, "-o", bpf, NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "is a JSON document (an OCI or Docker seccomp profile?), not a policy");
  HAS(r.err, "--to policy");
  tu_result_free(&r);
  r = sf("check", "/bin/true", NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "is an executable program, not a policy");
  HAS(r.err, "sysfence run POLICY --");
  tu_result_free(&r);
  r = sf("disasm", pol, NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "this is text (a policy?), not a compiled filter");
  HAS(r.err, "sysfence compile --format asm");
  tu_result_free(&r);
  r = sf("sim", json, "read", NULL);
  EXPECT_EXIT(r, 1);
  HAS(r.err, "a JSON document");
  HAS(r.err, "sysfence compile");
  tu_result_free(&r);
  free(json);
  free(pol);
}
END_TEST

START_TEST(api_options) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_int_eq(sysfence_set_warnings(ctx, 3), SYSFENCE_EUSAGE);
  ck_assert_int_eq(sysfence_set_warnings(NULL, 0), SYSFENCE_EUSAGE);
  ck_assert_int_eq(sysfence_set_max_errors(NULL, 1), SYSFENCE_EUSAGE);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  sysfence_set_input_string(ctx, "t", WARNS);
  ck_assert_int_eq(sysfence_set_warnings(ctx, SYSFENCE_WARNINGS_AS_ERRORS), SYSFENCE_OK);
  struct sock_fprog prog;
  ck_assert_int_eq(sysfence_compile(ctx, &prog), SYSFENCE_EPOLICY);
  ck_assert_ptr_null(prog.filter);
  ck_assert_uint_eq(sysfence_error_count(ctx), 1);
  ck_assert_int_eq(sysfence_set_warnings(ctx, SYSFENCE_WARNINGS_HIDE), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_compile(ctx, &prog), SYSFENCE_OK);
  ck_assert_uint_eq(sysfence_diag_count(ctx), 0);
  free(prog.filter);
  sysfence_free(ctx);
}
END_TEST

/* Every command's --help lists the diagnostics' options where it reads a
 * policy, and the option help is wrapped in its column (a newline of the
 * help text once started a line at column 0). */
START_TEST(help_lists_options) {
  const char *reads[] = {"compile", "check", "eval", "stats", "run", "explain"};
  for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
    tu_result r = sf(reads[i], "--help", NULL);
    EXPECT_EXIT(r, 0);
    HAS(r.out, "  -W, --warnings error");
    HAS(r.out, "  -w, --no-warnings");
    HAS(r.out, "      --max-errors N");
    HAS(r.out, "      --diagnostics-format FORMAT");
    const char *opts = strstr(r.out, "\nOptions:\n");
    ck_assert_ptr_nonnull(opts);
    opts += strlen("\nOptions:\n");
    for (const char *line = opts; *line && *line != '\n'; line = strchr(line, '\n') + 1)
      ck_assert_msg(line[0] == ' ', "%s --help: option line at column 0: %.40s", reads[i], line);
    tu_result_free(&r);
  }
}
END_TEST

static Suite *diag_suite(void) {
  Suite *s = suite_create("diag");
  TCase *tc = tcase_create("cli");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, werror_and_w);
  tcase_add_test(tc, max_errors);
  tcase_add_test(tc, json_format);
  tcase_add_test(tc, wrong_kind_of_file);
  tcase_add_test(tc, help_lists_options);
  suite_add_tcase(s, tc);
  tc = tcase_create("new-user");
  tcase_add_test(tc, unclosed_brace);
  tcase_add_test(tc, misspelled_keywords);
  tcase_add_test(tc, on_after_filter);
  tcase_add_test(tc, byte_order_mark);
  tcase_add_test(tc, c_library_names);
  tcase_add_test(tc, api_options);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_diag: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(diag_suite());
}
