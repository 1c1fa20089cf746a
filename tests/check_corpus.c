/* check_corpus.c - the compatibility suite: every Kafel policy of the
 * shared corpus (SHARED_DIR/corpus/kafel/ recursively, *.policy, and
 * SHARED_DIR/corpus/ *.kafel) compiles for x86_64, except the ones
 * corpus/README.md marks as must-fail, which must fail with a
 * "file:line:col: error: ..." diagnostic.  Outputs pass sysfence_validate
 * and load in the kernel.  Every policy is also compiled for every
 * architecture sysfence knows: no crash, and a valid program whenever it
 * compiles.  Instruction counts are printed (lines starting "INSNS"). */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <linux/seccomp.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence.h"
#include "testutil.h"

#define CORPUS SHARED_DIR "/corpus"

/* ---- the file list ------------------------------------------------------- */

static char **files;
static size_t n_files, cap_files;

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void add_file(const char *path) {
  if (n_files == cap_files) {
    cap_files = cap_files ? cap_files * 2 : 64;
    files = realloc(files, cap_files * sizeof *files);
  }
  files[n_files++] = strdup(path);
}

static int collect(const char *path, const struct stat *st, int flag,
                   struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (flag == FTW_F && ends_with(path, ".policy")) add_file(path);
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_files(void) {
  nftw(CORPUS "/kafel", collect, 16, FTW_PHYS);
  /* corpus/ *.kafel, top level only. */
  const char *top[] = {CORPUS "/docker-default.kafel", CORPUS "/podman-default.kafel"};
  for (size_t i = 0; i < 2; i++)
    if (access(top[i], R_OK) == 0) add_file(top[i]);
  if (n_files) qsort(files, n_files, sizeof *files, cmp_str);
}

static const char *rel(const char *path) {
  size_t n = strlen(CORPUS "/");
  return strncmp(path, CORPUS "/", n) == 0 ? path + n : path;
}

static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* The must-fail files of corpus/README.md and what their error is about. */
typedef struct must_fail {
  const char *name;
  int line;              /* expected line of the first error, 0: any */
  const char *words[4];  /* the message contains one of these (any case) */
} must_fail;

static const must_fail must_fails[] = {
    {"README-example-invalid.policy", 7, {"syntax", "DEFAULT", NULL}},
    {"chain_2_1.policy", 3, {"STDOUT", NULL}},
    {"includes_short_loop.policy", 0, {"cycle", "depth", "recurs", "loop"}},
    {"self_recursive.policy", 1, {"cycle", "depth", "recurs", "itself"}},
    {"short_loop.policy", 0, {"cycle", "depth", "recurs", "loop"}},
    {"short_loop_b.policy", 0, {"cycle", "depth", "recurs", "loop"}},
};

static const must_fail *find_must_fail(const char *path) {
  for (size_t i = 0; i < sizeof must_fails / sizeof must_fails[0]; i++)
    if (strcmp(base(path), must_fails[i].name) == 0) return &must_fails[i];
  return NULL;
}

/* ---- helpers ---------------------------------------------------------------- */

static sysfence_ctx *ctx_for(const char *path, const char *arch) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
  if (strstr(path, "/kafel-testdata/")) {
    char *copy = strdup(path);
    ck_assert_int_eq(sysfence_add_include_path(ctx, dirname(copy)), SYSFENCE_OK);
    free(copy);
  }
  ck_assert_int_eq(sysfence_set_arch(ctx, arch), SYSFENCE_OK);
  return ctx;
}

/* Install PROG in a forked child; returns 1 if the kernel accepted it. */
static int kernel_loads(const struct sock_fprog *prog) {
  volatile int *ok = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne((void *)ok, MAP_FAILED);
  *ok = 0;
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(101);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0) _exit(102);
    *ok = 1; /* no syscall needed to report; the filter may kill exit */
    syscall(SYS_exit_group, 0);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  int r = *ok;
  munmap((void *)ok, sizeof(int));
  return r;
}

static int seccomp_ok;

/* ---- x86_64: the compatibility suite ----------------------------------------- */

START_TEST(corpus_x86_64) {
  const char *path = files[_i];
  const must_fail *mf = find_must_fail(path);
  sysfence_ctx *ctx = ctx_for(path, "x86_64");
  struct sock_fprog prog = {0};
  int rc = sysfence_compile(ctx, &prog);
  const char *text = sysfence_diag_text(ctx);
  if (mf) {
    ck_assert_msg(rc == SYSFENCE_EPOLICY, "%s: must fail, got rc %d", rel(path), rc);
    ck_assert_msg(prog.filter == NULL && prog.len == 0,
                  "%s: prog not zeroed on failure", rel(path));
    ck_assert_msg(sysfence_error_count(ctx) >= 1, "%s: no error diagnostic",
                  rel(path));
    /* The text: "file:line:col: error: message". */
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^([^\n:]+):([0-9]+):([0-9]+): error: ([^\n]+)",
                             REG_EXTENDED | REG_NEWLINE),
                     0);
    regmatch_t m[5];
    int matched = regexec(&re, text, 5, m, 0) == 0;
    regfree(&re);
    ck_assert_msg(matched, "%s: diagnostic not in file:line:col: error: form:\n%s",
                  rel(path), text);
    /* The first error, structurally. */
    const sysfence_diag *d = NULL;
    for (size_t i = 0; i < sysfence_diag_count(ctx); i++) {
      d = sysfence_diag_get(ctx, i);
      if (d->severity == SYSFENCE_ERROR) break;
      d = NULL;
    }
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(d->file != NULL && ends_with(d->file, ".policy"),
                  "%s: error without a file: %s", rel(path), text);
    ck_assert_msg(d->line > 0 && d->column > 0, "%s: error without a location: %s",
                  rel(path), text);
    if (mf->line) {
      ck_assert_msg(ends_with(d->file, mf->name),
                    "%s: error in %s, expected in the file itself", rel(path),
                    d->file);
      ck_assert_msg(d->line == mf->line, "%s: error on line %d, expected %d:\n%s",
                    rel(path), d->line, mf->line, text);
    }
    int plausible = 0;
    for (int w = 0; w < 4 && mf->words[w]; w++)
      if (strcasestr(d->message, mf->words[w])) plausible = 1;
    if (mf->words[0] && strcmp(mf->words[0], "cycle") == 0)
      plausible = plausible && strcasestr(d->message, "include") != NULL;
    ck_assert_msg(plausible, "%s: implausible message '%s'", rel(path), d->message);
    printf("INSNS x86_64 %-60s MUST-FAIL ok: %s:%d:%d: %s\n", rel(path),
           base(d->file), d->line, d->column, d->message);
    fflush(stdout);
    sysfence_free(ctx);
    return;
  }
  ck_assert_msg(rc == SYSFENCE_OK, "%s does not compile (rc %d):\n%s", rel(path), rc,
                text);
  ck_assert_msg(sysfence_error_count(ctx) == 0, "%s: errors on success", rel(path));
  ck_assert_msg(prog.len >= 1 && prog.len <= 4096 && prog.filter,
                "%s: %u instructions", rel(path), prog.len);
  char why[256] = "";
  ck_assert_msg(sysfence_validate(&prog, why, sizeof why) == 0,
                "%s: invalid output: %s", rel(path), why);
  /* sysfence_check agrees. */
  sysfence_ctx *c2 = ctx_for(path, "x86_64");
  ck_assert_msg(sysfence_check(c2) == SYSFENCE_OK, "%s: check fails: %s", rel(path),
                sysfence_diag_text(c2));
  /* Deterministic. */
  struct sock_fprog again = {0};
  ck_assert_int_eq(sysfence_compile(c2, &again), SYSFENCE_OK);
  ck_assert_msg(again.len == prog.len &&
                    memcmp(again.filter, prog.filter, prog.len * sizeof *prog.filter) == 0,
                "%s: two compilations differ", rel(path));
  free(again.filter);
  sysfence_free(c2);
  if (seccomp_ok)
    ck_assert_msg(kernel_loads(&prog), "%s: the kernel refuses the program",
                  rel(path));
  printf("INSNS x86_64 %-60s %u\n", rel(path), prog.len);
  fflush(stdout);
  free(prog.filter);
  sysfence_free(ctx);
}
END_TEST

/* ---- every architecture ---------------------------------------------------- */

START_TEST(corpus_all_arches) {
  const char *path = files[_i];
  const must_fail *mf = find_must_fail(path);
  const char *names[64];
  size_t n = sysfence_arch_names(names, 64);
  ck_assert_msg(n >= 2 && n <= 64, "%zu architectures", n);
  char line[2048];
  int len = snprintf(line, sizeof line, "INSNS arches %s:", rel(path));
  int compiled = 0;
  for (size_t a = 0; a < n; a++) {
    sysfence_ctx *ctx = ctx_for(path, names[a]);
    ck_assert_str_eq(sysfence_get_arch(ctx), names[a]);
    struct sock_fprog prog = {0};
    int rc = sysfence_compile(ctx, &prog);
    if (rc == SYSFENCE_OK) {
      ck_assert_msg(!mf, "%s compiled for %s but must fail", rel(path), names[a]);
      char why[256] = "";
      ck_assert_msg(prog.len >= 1 && prog.len <= 4096,
                    "%s/%s: %u instructions", rel(path), names[a], prog.len);
      ck_assert_msg(sysfence_validate(&prog, why, sizeof why) == 0,
                    "%s/%s: invalid output: %s", rel(path), names[a], why);
      /* The kernel checks only the BPF, whatever the target arch. */
      if (seccomp_ok)
        ck_assert_msg(kernel_loads(&prog), "%s/%s: the kernel refuses the program",
                      rel(path), names[a]);
      /* The emitters handle it too. */
      char *buf = NULL;
      size_t blen = 0;
      FILE *f = open_memstream(&buf, &blen);
      ck_assert_int_eq(sysfence_emit(ctx, &prog, SYSFENCE_FORMAT_BPF, NULL, f),
                       SYSFENCE_OK);
      fclose(f);
      ck_assert_msg(blen == prog.len * 8u, "%s/%s: raw blob of %zu bytes for %u insns",
                    rel(path), names[a], blen, prog.len);
      free(buf);
      len += snprintf(line + len, sizeof line - (size_t)len, " %s=%u", names[a],
                      prog.len);
      compiled++;
    } else {
      ck_assert_msg(rc == SYSFENCE_EPOLICY, "%s/%s: rc %d", rel(path), names[a], rc);
      ck_assert_msg(prog.filter == NULL && prog.len == 0, "%s/%s: prog not zeroed",
                    rel(path), names[a]);
      ck_assert_msg(sysfence_error_count(ctx) > 0 &&
                        strstr(sysfence_diag_text(ctx), "error:"),
                    "%s/%s: failed without an error diagnostic", rel(path), names[a]);
      len += snprintf(line + len, sizeof line - (size_t)len, " %s=ERR", names[a]);
    }
    free(prog.filter);
    sysfence_free(ctx);
    if (len >= (int)sizeof line - 40) len = (int)sizeof line - 40;
  }
  printf("%s\n", line);
  fflush(stdout);
  /* Policies that name no syscall compile everywhere. */
  if (strstr(path, "sample_empty") || ends_with(path, "/empty.policy"))
    ck_assert_msg(compiled == (int)n, "%s compiles on %d of %zu arches", rel(path),
                  compiled, n);
}
END_TEST

/* ---- the corpus as a whole ------------------------------------------------ */

START_TEST(corpus_complete) {
  /* The corpus is there and has what README.md lists. */
  ck_assert_msg(n_files >= 50, "only %zu corpus policies found under %s", n_files,
                CORPUS);
  size_t found = 0;
  for (size_t i = 0; i < n_files; i++)
    if (find_must_fail(files[i])) found++;
  ck_assert_uint_eq(found, sizeof must_fails / sizeof must_fails[0]);
  int docker = 0, podman = 0;
  for (size_t i = 0; i < n_files; i++) {
    if (ends_with(files[i], "docker-default.kafel")) docker = 1;
    if (ends_with(files[i], "podman-default.kafel")) podman = 1;
  }
  ck_assert(docker && podman);
}
END_TEST

/* Every corpus program is also loaded into the kernel where seccomp works;
 * the probe itself is sound: it takes a valid program, refuses one
 * without a return. */
START_TEST(kernel_load_checks) {
  if (!seccomp_ok) {
    /* the corpus programs are still compiled and validated */
    tu_skip_no_seccomp("kernel_load_checks");
    return;
  }
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_filter no_ret = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
  struct sock_fprog good = {1, &allow}, bad = {1, &no_ret};
  ck_assert_msg(kernel_loads(&good), "the kernel refuses RET ALLOW");
  ck_assert_msg(!kernel_loads(&bad), "the kernel takes a program without a return");
}
END_TEST

/* chain.policy includes the whole chain; chain_2_1 compiles when included
 * from chain_2 (STDOUT defined there). */
START_TEST(include_chain) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_int_eq(sysfence_set_input_string(
                       ctx, "inline.policy",
                       "#include \"chain.policy\"\n"
                       "USE allow_stdio, USE chain, USE chain_2, USE chain_3,\n"
                       "USE allow_exit, USE empty DEFAULT ERRNO(1)"),
                   SYSFENCE_OK);
  ck_assert_int_eq(sysfence_add_include_path(ctx, CORPUS "/kafel/kafel-testdata"),
                   SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  int rc = sysfence_compile(ctx, &prog);
  ck_assert_msg(rc == SYSFENCE_OK, "%s", sysfence_diag_text(ctx));
  /* Without the include path the file is not found. */
  sysfence_ctx *c2 = sysfence_new();
  sysfence_set_input_string(c2, "inline.policy", "#include \"chain.policy\"\n");
  struct sock_fprog none = {0};
  ck_assert_int_eq(sysfence_compile(c2, &none), SYSFENCE_EPOLICY);
  ck_assert_ptr_null(none.filter);
  ck_assert_msg(strstr(sysfence_diag_text(c2), "chain.policy") != NULL,
                "missing include not named: %s", sysfence_diag_text(c2));
  sysfence_free(c2);
  free(prog.filter);
  sysfence_free(ctx);
}
END_TEST

static Suite *corpus_suite(void) {
  Suite *s = suite_create("corpus");
  TCase *tc = tcase_create("inventory");
  tcase_add_test(tc, corpus_complete);
  tcase_add_test(tc, include_chain);
  tcase_add_test(tc, kernel_load_checks);
  suite_add_tcase(s, tc);
  tc = tcase_create("x86_64");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, corpus_x86_64, 0, (int)n_files);
  suite_add_tcase(s, tc);
  tc = tcase_create("arches");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, corpus_all_arches, 0, (int)n_files);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  /* Without the corpus there is nothing to check: a loud skip.  A corpus
   * that is there but incomplete is a failure. */
  if (!tu_have_corpus()) tu_skip_program("%s", TU_NO_CORPUS);
  collect_files();
  if (n_files < 50) {
    fprintf(stderr, "check_corpus: only %zu policies found under %s; "
                    "configure --with-shared=DIR\n", n_files, CORPUS);
    return 1;
  }
  seccomp_ok = tu_seccomp_available();
  struct rlimit nocore = {0, 0};
  setrlimit(RLIMIT_CORE, &nocore);
  printf("corpus: %zu policies under %s\n", n_files, CORPUS);
  fflush(stdout);
  int rc = tu_run_suite(corpus_suite());
  for (size_t i = 0; i < n_files; i++) free(files[i]);
  free(files);
  return rc;
}
