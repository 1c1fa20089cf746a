/* check_robust.c - bad input never crashes, hangs or leaks.
 *
 * Huge files, huge lines and identifiers, deep nesting, NUL bytes, invalid
 * UTF-8, very many rules, include cycles, unreadable files, a full disk
 * and impossible output paths, through the command line (the program
 * under test, tu_sysfence()) and through the API.
 *
 * Every command runs in a child with an alarm set before exec (the alarm
 * survives exec), so a hang fails the test instead of stalling the suite.
 * Time bounds are hang guards, not performance claims: TIME_BOUND seconds,
 * scaled by CK_TIMEOUT_MULTIPLIER (check-valgrind sets it).
 *
 * The "regressions" cases at the end are hangs and quadratic costs this
 * suite found, kept so they stay fixed. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define TIME_BOUND 10.0

static double multiplier(void) {
  const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
  double v = m ? strtod(m, NULL) : 1.0;
  return v >= 1.0 ? v : 1.0;
}

static double bound(void) { return TIME_BOUND * multiplier(); }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- files ---------------------------------------------------------- */

static char *dir; /* fresh for every test (checked fixture) */

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
  tu_rmtree(dir);
  free(dir);
}

__attribute__((format(printf, 1, 2)))
static char *path(const char *fmt, ...) {
  char name[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  ck_assert_ptr_nonnull(p);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Write LEN bytes (NUL bytes allowed) to DIR/NAME; returns the path. */
static char *write_bytes(const char *name, const void *data, size_t len) {
  char *p = path("%s", name);
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
  return p;
}

static char *write_text(const char *name, const char *text) {
  return write_bytes(name, text, strlen(text));
}

/* A growing string. */
typedef struct sbuf {
  char *s;
  size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const void *data, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    ck_assert_ptr_nonnull(s);
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, data, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_repeat(sbuf *b, const char *s, size_t times) {
  size_t n = strlen(s);
  for (size_t i = 0; i < times; i++) sb_add(b, s, n);
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  ck_assert(n >= 0 && (size_t)n < sizeof tmp);
  sb_add(b, tmp, (size_t)n);
}

/* Names in DIR, sorted, comma-separated (malloc()ed). */
static char *listing(const char *d) {
  struct dirent **names;
  int n = scandir(d, &names, NULL, alphasort);
  ck_assert_int_ge(n, 0);
  sbuf b = {0};
  sb_add(&b, "", 0);
  for (int i = 0; i < n; i++) {
    const char *nm = names[i]->d_name;
    if (strcmp(nm, ".") != 0 && strcmp(nm, "..") != 0) {
      if (b.len) sb_add(&b, ",", 1);
      sb_add(&b, nm, strlen(nm));
    }
    free(names[i]);
  }
  free(names);
  return b.s;
}

/* ---- running the CLI ------------------------------------------------ */

typedef struct run_opts {
  rlim_t fsize;      /* RLIMIT_FSIZE for the child (0: unchanged) */
  const char *out;   /* stdout to this file (NULL: captured) */
  uid_t uid;         /* drop to this uid/gid first (0: stay) */
} run_opts;

typedef struct run_result {
  int exited, status; /* WIFEXITED; exit code or signal */
  char *out, *err;    /* captured (malloc()ed) */
  size_t err_len;
  double seconds;
} run_result;

static void run_free(run_result *r) {
  free(r->out);
  free(r->err);
}

/* Run tu_sysfence() with the arguments (NULL-terminated) under OPTS; the
 * child gets an alarm of bound() seconds.  Output goes to files in a
 * separate folder, so nothing needs polling and DIR stays clean. */
static run_result run_with(const run_opts *opts, ...) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = (char *)tu_sysfence();
  va_list ap;
  va_start(ap, opts);
  char *a;
  while ((a = va_arg(ap, char *)) != NULL) {
    ck_assert_int_lt(argc, 31);
    argv[argc++] = a;
  }
  va_end(ap);
  argv[argc] = NULL;

  /* Static: forked processes that _exit() hold no heap blocks. */
  static char cap[1024], outp[1100], errp[1100];
  char *c = tu_tmpdir();
  snprintf(cap, sizeof cap, "%s", c);
  free(c);
  chmod(cap, 0777); /* writable after dropping privileges */
  snprintf(outp, sizeof outp, "%s/out", cap);
  snprintf(errp, sizeof errp, "%s/err", cap);
  double t0 = now();
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    const char *o = opts && opts->out ? opts->out : outp;
    int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int fi = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fo < 0 || fe < 0 || fi < 0) _exit(126);
    if (opts && opts->uid) {
      if (setgroups(0, NULL) != 0 || setgid(opts->uid) != 0 ||
          setuid(opts->uid) != 0)
        _exit(125);
      /* Exec from a process created after the switch: under valgrind
       * (--log-file=...%p) a process forked as root has a log file only
       * root may reopen at exec. */
      pid_t inner = fork();
      if (inner < 0) _exit(126);
      if (inner > 0) {
        int ist;
        while (waitpid(inner, &ist, 0) < 0)
          if (errno != EINTR) _exit(126);
        if (WIFSIGNALED(ist)) {
          signal(WTERMSIG(ist), SIG_DFL);
          raise(WTERMSIG(ist));
        }
        _exit(WIFEXITED(ist) ? WEXITSTATUS(ist) : 126);
      }
    }
    if (opts && opts->fsize) {
      struct rlimit rl = {opts->fsize, opts->fsize};
      signal(SIGXFSZ, SIG_IGN); /* ignored stays ignored across exec */
      if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(124);
    }
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    alarm((unsigned)(bound() + 0.5)); /* survives exec: the hang guard */
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) ck_assert_int_eq(errno, EINTR);
  run_result r = {0};
  r.seconds = now() - t0;
  r.exited = WIFEXITED(st);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
  r.out = tu_read(outp, NULL);
  r.err = tu_read(errp, &r.err_len);
  if (!r.out) r.out = strdup("");
  ck_assert_ptr_nonnull(r.err);
  tu_rmtree(cap);
  ck_assert_msg(r.exited || r.status != SIGALRM,
                "%s %s: no result after %.0f s (hang)", argv[1],
                argc > 2 ? argv[2] : "", bound());
  ck_assert_msg(r.exited, "%s %s: killed by signal %d; stderr:\n%.2000s",
                argv[1], argc > 2 ? argv[2] : "", r.status, r.err);
  return r;
}

#define run(...) run_with(NULL, __VA_ARGS__, (char *)NULL)

/* Expect exit STATUS within the time bound and stderr containing WHAT
 * (NULL: anything) and no longer than MAX_ERR bytes. */
static void expect(const run_result *r, int status, const char *what,
                   size_t max_err) {
  ck_assert_msg(r->status == status, "exit status %d, expected %d; stderr:\n%.2000s",
                r->status, status, r->err);
  ck_assert_msg(r->seconds < bound(), "took %.1f s (bound %.0f s)", r->seconds,
                bound());
  if (what)
    ck_assert_msg(strstr(r->err, what) != NULL, "stderr lacks '%s':\n%.2000s",
                  what, r->err);
  ck_assert_msg(r->err_len <= max_err, "stderr has %zu bytes (max %zu):\n%.1000s",
                r->err_len, max_err, r->err);
}

/* Compile POLICY_PATH to DIR/out.bpf and expect STATUS / WHAT. */
static void compile_expect(const char *policy, int status, const char *what,
                           size_t max_err) {
  char *out = path("out.bpf");
  unlink(out);
  run_result r = run("compile", (char *)policy, "-o", out, "--arch", "x86_64");
  expect(&r, status, what, max_err);
  struct stat st;
  if (status == 0) {
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert(st.st_size > 0 && st.st_size % 8 == 0);
  } else {
    ck_assert_int_ne(stat(out, &st), 0);
  }
  run_free(&r);
  free(out);
}

/* API: compile TEXT (LEN bytes, NULs allowed) for x86_64 via a stream. */
static int api_compile(const char *text, size_t len, char **diags) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  FILE *in = fmemopen((void *)text, len, "rb");
  ck_assert_ptr_nonnull(in);
  ck_assert_int_eq(sysfence_set_input_file(ctx, "api.policy", in), SYSFENCE_OK);
  fclose(in);
  ck_assert_int_eq(sysfence_set_arch(ctx, "x86_64"), SYSFENCE_OK);
  struct sock_fprog prog;
  double t0 = now();
  int rc = sysfence_compile(ctx, &prog);
  ck_assert_msg(now() - t0 < bound(), "API compile took %.1f s", now() - t0);
  if (rc == SYSFENCE_OK) {
    ck_assert_int_eq(sysfence_validate(&prog, NULL, 0), 0);
    free(prog.filter);
  } else {
    ck_assert_ptr_null(prog.filter);
    ck_assert_uint_gt(sysfence_error_count(ctx), 0);
  }
  if (diags) *diags = strdup(sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return rc;
}

/* ---- huge inputs ---------------------------------------------------- */

START_TEST(huge_comments_50mb) {
  /* 25 MB of line comments, then one 25 MB block comment over many lines,
   * then a rule. */
  char *p = path("huge.policy");
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  char line[101];
  memset(line, 'x', sizeof line);
  memcpy(line, "// ", 3);
  line[99] = '\n';
  for (int i = 0; i < 250000; i++) fwrite(line, 1, 100, f);
  fputs("/*", f);
  line[0] = line[1] = line[2] = ' ';
  for (int i = 0; i < 250000; i++) fwrite(line, 1, 100, f);
  fputs("*/\nALLOW { read, write } DEFAULT KILL\n", f);
  ck_assert_int_eq(fclose(f), 0);
  compile_expect(p, 0, NULL, 4096);
  run_result r = run("check", p);
  expect(&r, 0, NULL, 4096);
  run_free(&r);
  free(p);
}
END_TEST

START_TEST(long_line_10mb) {
  /* A valid 10 MB line. */
  sbuf b = {0};
  sb_add(&b, "ALLOW {", 7);
  sb_repeat(&b, "          ", 1000000);
  sb_add(&b, "read } DEFAULT KILL\n", 20);
  char *p = write_bytes("line.policy", b.s, b.len);
  compile_expect(p, 0, NULL, 4096);
  free(p);
  /* An error at column 10000021: the excerpt of the line stays short. */
  b.len = 0;
  sb_add(&b, "/*", 2);
  sb_repeat(&b, "xxxxxxxxxx", 1000000);
  sb_add(&b, "*/ ALLOW { read } opneat\n", 25);
  p = write_bytes("bad.policy", b.s, b.len);
  compile_expect(p, 1, "bad.policy:1:10000021: error:", 4096);
  free(p);
  free(b.s);
}
END_TEST

START_TEST(identifier_1mb) {
  sbuf id = {0};
  sb_repeat(&id, "a", 1 << 20);
  /* Unknown syscall named by a 1 MB identifier: a short diagnostic. */
  sbuf b = {0};
  sb_printf(&b, "ALLOW { ");
  sb_add(&b, id.s, id.len);
  sb_printf(&b, " }\n");
  char *p = write_bytes("unknown.policy", b.s, b.len);
  compile_expect(p, 1, "unknown syscall", 16384);
  free(p);
  /* The same identifier as a constant and as a policy name: fine. */
  b.len = 0;
  sb_printf(&b, "#define ");
  sb_add(&b, id.s, id.len);
  sb_printf(&b, " 1\nPOLICY ");
  sb_add(&b, id.s, id.len);
  sb_printf(&b, " { ALLOW { write { fd == ");
  sb_add(&b, id.s, id.len);
  sb_printf(&b, " } } }\nUSE ");
  sb_add(&b, id.s, id.len);
  sb_printf(&b, " DEFAULT KILL\n");
  p = write_bytes("long.policy", b.s, b.len);
  compile_expect(p, 0, NULL, 4096);
  free(p);
  /* A 1 MB number. */
  b.len = 0;
  sb_printf(&b, "ALLOW { read { fd == ");
  sb_repeat(&b, "9", 1 << 20);
  sb_printf(&b, " } }\n");
  p = write_bytes("number.policy", b.s, b.len);
  compile_expect(p, 1, "number out of range", 16384);
  free(p);
  free(b.s);
  free(id.s);
}
END_TEST

/* ---- deep nesting --------------------------------------------------- */

static void deep(const char *name, const char *open, const char *inner,
                 const char *close) {
  sbuf b = {0};
  sb_printf(&b, "ALLOW { read { ");
  sb_repeat(&b, open, 100000);
  sb_printf(&b, "%s", inner);
  sb_repeat(&b, close, 100000);
  sb_printf(&b, " } }\n");
  char *p = write_bytes(name, b.s, b.len);
  compile_expect(p, 1, "nested too deeply", 16384);
  ck_assert_int_eq(api_compile(b.s, b.len, NULL), SYSFENCE_EPOLICY);
  free(p);
  free(b.s);
}

START_TEST(deep_parens) { deep("parens.policy", "(", "fd == 1", ")"); }
END_TEST
START_TEST(deep_nots) { deep("nots.policy", "!", "fd == 1", ""); }
END_TEST
START_TEST(long_or_chain) { deep("or.policy", "fd == 7 || ", "fd == 1", ""); }
END_TEST
START_TEST(long_and_chain) { deep("and.policy", "fd != 7 && ", "fd == 1", ""); }
END_TEST

START_TEST(deep_braces) {
  sbuf b = {0};
  sb_printf(&b, "ALLOW ");
  sb_repeat(&b, "{ ", 100000);
  sb_repeat(&b, "} ", 100000);
  char *p = write_bytes("braces.policy", b.s, b.len);
  compile_expect(p, 1, "error:", 16384);
  free(p);
  free(b.s);
}
END_TEST

/* ---- bytes that are not text --------------------------------------- */

START_TEST(nul_bytes) {
  static const char text[] = "ALLOW { read }\0 ALLOW { write }\n";
  char *p = write_bytes("nul.policy", text, sizeof text - 1);
  compile_expect(p, 1, "nul.policy:1:15: error: NUL byte in policy", 4096);
  free(p);
  static const char in_comment[] = "// a\0b\nALLOW { read }\n/* \0 */\n";
  p = write_bytes("nulc.policy", in_comment, sizeof in_comment - 1);
  compile_expect(p, 1, "NUL byte in policy", 4096);
  free(p);
  char *diags = NULL;
  ck_assert_int_eq(api_compile(text, sizeof text - 1, &diags), SYSFENCE_EPOLICY);
  ck_assert_ptr_nonnull(strstr(diags, "NUL byte"));
  free(diags);
  /* Scattered NUL bytes (not a run): the error count is capped. */
  sbuf b = {0};
  sb_repeat(&b, "read ", 1);
  for (int i = 0; i < 20000; i++) sb_add(&b, "x\0", 2);
  p = write_bytes("nuls.policy", b.s, b.len);
  compile_expect(p, 1, "NUL byte in policy", 65536);
  free(p);
  free(b.s);
}
END_TEST

START_TEST(invalid_utf8) {
  static const char *const bad[] = {
      ("ALLOW { re\xc0\xaf" "ad }\n"),          /* overlong */
      "ALLOW { read } \xff\xfe\n",              /* never valid */
      "ALLOW { \x80 }\n",                       /* lone continuation */
      "ALLOW { read \xed\xa0\x80 }\n",          /* surrogate */
      "ALLOW { read \xf4\x90\x80\x80 }\n",      /* beyond U+10FFFF */
      "ALLOW { read \xe2\x82 }\n",              /* truncated */
      "ALLOW { read } \xe2",                    /* truncated at EOF */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *p = write_text("utf8.policy", bad[i]);
    compile_expect(p, 1, "invalid UTF-8", 4096);
    ck_assert_int_eq(api_compile(bad[i], strlen(bad[i]), NULL), SYSFENCE_EPOLICY);
    free(p);
  }
  /* Valid non-ASCII outside comments: an error, not a crash. */
  char *p = write_text("utf8ok.policy", "ALLOW { r\xc3\xa9" "ad }\n");
  compile_expect(p, 1, "error:", 4096);
  free(p);
  /* Anything inside comments. */
  p = write_text("utf8c.policy",
                 "// caf\xc3\xa9 \xff\xfe\n/* \xc0\xaf \xed\xa0\x80 */ ALLOW { read }\n");
  run_result r = run("check", p);
  ck_assert_msg(r.status == 0 || r.status == 1, "status %d", r.status);
  run_free(&r);
  free(p);
  /* 1 MB of 0xff: errors are capped, output stays small. */
  sbuf b = {0};
  sb_repeat(&b, "\xff", 1 << 20);
  p = write_bytes("ff.policy", b.s, b.len);
  compile_expect(p, 1, "invalid UTF-8", 65536);
  free(p);
  /* Binary junk: every byte value. */
  b.len = 0;
  for (int rep = 0; rep < 64; rep++)
    for (int c = 255; c >= 0; c--) {
      char ch = (char)c;
      sb_add(&b, &ch, 1);
    }
  p = write_bytes("junk.policy", b.s, b.len);
  compile_expect(p, 1, "error:", 65536);
  free(p);
  free(b.s);
}
END_TEST

/* ---- very many rules ------------------------------------------------ */

START_TEST(many_rules_distinct) {
  /* 10^5 rules with distinct conditions: far over 4096 instructions. */
  sbuf b = {0};
  sb_printf(&b, "ALLOW {\n");
  for (int i = 0; i < 100000; i++) sb_printf(&b, "  read { fd == %d },\n", i);
  sb_printf(&b, "  write\n} DEFAULT KILL\n");
  char *p = write_bytes("many.policy", b.s, b.len);
  compile_expect(p, 1, "4096", 4096);
  char *diags = NULL;
  ck_assert_int_eq(api_compile(b.s, b.len, &diags), SYSFENCE_EPOLICY);
  ck_assert_ptr_nonnull(strstr(diags, "4096"));
  free(diags);
  free(p);
  /* 10^5 isolated custom syscall numbers, each with its own action. */
  b.len = 0;
  for (int i = 0; i < 100000; i++)
    sb_printf(&b, "ERRNO(%d) { SYSCALL[%d] }\n", i % 4000 + 1, 1000 + 2 * i);
  p = write_bytes("numbers.policy", b.s, b.len);
  compile_expect(p, 1, "4096", 4096);
  free(p);
  free(b.s);
}
END_TEST

START_TEST(many_rules_fit) {
  /* 10^5 rules that collapse into a small program: compiles. */
  sbuf b = {0};
  sb_printf(&b, "ALLOW {\n");
  for (int i = 0; i < 100000; i++)
    sb_printf(&b, "  read { fd == %d },\n", i % 50);
  sb_printf(&b, "  write\n} DEFAULT KILL\n");
  char *p = write_bytes("fit.policy", b.s, b.len);
  run_result r = run("compile", p, "-o", "/dev/null", "--arch", "x86_64");
  ck_assert_msg(r.status == 0 || r.status == 1, "status %d", r.status);
  ck_assert_msg(r.seconds < bound(), "took %.1f s", r.seconds);
  run_free(&r);
  free(p);
  free(b.s);
}
END_TEST

/* ---- includes ------------------------------------------------------- */

START_TEST(include_cycles) {
  char *self = write_text("self.policy", "#include \"self.policy\"\nALLOW { read }\n");
  compile_expect(self, 1, "error:", 65536);
  free(write_text("a.policy", "#include \"b.policy\"\nPOLICY a { ALLOW { read } }\n"));
  free(write_text("b.policy", "#include \"c.policy\"\nPOLICY b { ALLOW { write } }\n"));
  free(write_text("c.policy", "#include \"a.policy\"\nPOLICY c { ALLOW { close } }\n"));
  char *main = write_text("main.policy", "#include \"a.policy\"\nUSE a, b, c\n");
  compile_expect(main, 1, "error:", 65536);
  /* A diamond is not a cycle... */
  free(write_text("d1.policy", "#include \"leaf.policy\"\n"));
  free(write_text("d2.policy", "#include \"leaf.policy\"\n"));
  free(write_text("leaf.policy", "#define LEAF 1\n"));
  char *diamond = write_text("diamond.policy",
                             "#include \"d1.policy\" \"d2.policy\"\n"
                             "ALLOW { write { fd == LEAF } }\n");
  run_result r = run("check", diamond);
  ck_assert_msg(r.status == 0 || r.status == 1, "status %d", r.status);
  run_free(&r);
  /* ...and a chain deeper than the limit is refused. */
  for (int i = 0; i < 40; i++) {
    char name[32], text[64];
    snprintf(name, sizeof name, "chain%d.policy", i);
    snprintf(text, sizeof text, "#include \"chain%d.policy\"\n", i + 1);
    free(write_text(name, text));
  }
  free(write_text("chain40.policy", "ALLOW { read }\n"));
  char *chain = path("chain0.policy");
  compile_expect(chain, 1, "error:", 65536);
  /* Fan-out: 200 includes of one file from each of 200 files. */
  sbuf b = {0};
  for (int i = 0; i < 200; i++) sb_printf(&b, "#include \"fan.policy\"\n");
  free(write_text("fan.policy", "POLICY fan { ALLOW { read } }\n"));
  char *fan = write_bytes("fanout.policy", b.s, b.len);
  r = run("check", fan);
  ck_assert_msg(r.status == 0 || r.status == 1, "status %d", r.status);
  ck_assert_msg(r.seconds < bound(), "took %.1f s", r.seconds);
  run_free(&r);
  free(b.s);
  free(fan);
  free(chain);
  free(diamond);
  free(main);
  free(self);
}
END_TEST

START_TEST(include_not_a_file) {
  char *sub = path("sub.policy");
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  char *p = write_text("incdir.policy", "#include \"sub.policy\"\nALLOW { read }\n");
  compile_expect(p, 1, "Is a directory", 4096);
  free(p);
  /* A device: /dev/null reads as an empty file. */
  p = write_text("incnull.policy", "#include \"/dev/null\"\nALLOW { read }\n");
  compile_expect(p, 0, NULL, 4096);
  free(p);
  free(sub);
}
END_TEST

/* Root bypasses permissions: drop to nobody in the child (run_with) or,
 * for the API, in a forked child of our own. */
START_TEST(unreadable_files) {
  uid_t nobody = geteuid() == 0 ? 65534 : 0;
  ck_assert_int_eq(chmod(dir, 0755), 0);
  /* Static: the forked processes below exit holding no heap blocks. */
  static char secret[4096], inc[4096];
  char *p = write_text("secret.policy", "ALLOW { read }\n");
  snprintf(secret, sizeof secret, "%s", p);
  free(p);
  p = write_text("inc.policy", "#include \"secret.policy\"\nALLOW { write }\n");
  snprintf(inc, sizeof inc, "%s", p);
  free(p);
  ck_assert_int_eq(chmod(secret, 0), 0);
  ck_assert_int_eq(chmod(inc, 0644), 0);
  run_opts o = {.uid = nobody};
  run_result r = run_with(&o, "compile", secret, "-o", "-", "--format", "asm",
                          (char *)NULL);
  if (r.status == 125) { /* could not drop privileges */
    run_free(&r);
    tu_skip("unreadable_files", "cannot run the CLI as another user (setuid "
            "needs root)");
    return;
  }
  expect(&r, 2, "Permission denied", 4096);
  run_free(&r);
  r = run_with(&o, "compile", inc, "-o", "-", "--format", "asm", (char *)NULL);
  expect(&r, 1, "Permission denied", 4096);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
  /* The API, as nobody. */
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (nobody && (setgroups(0, NULL) || setgid(nobody) || setuid(nobody)))
      _exit(10);
    int fail = 0;
    for (int i = 0; i < 2; i++) {
      sysfence_ctx *ctx = sysfence_new();
      sysfence_set_input_path(ctx, i ? inc : secret);
      struct sock_fprog prog;
      int rc = sysfence_compile(ctx, &prog);
      if (rc == SYSFENCE_OK || !strstr(sysfence_diag_text(ctx), "Permission denied"))
        fail = 1;
      if (rc == SYSFENCE_OK) free(prog.filter);
      sysfence_free(ctx);
    }
    _exit(fail);
  }
  int st;
  waitpid(pid, &st, 0);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "API child status %d", st);
}
END_TEST

/* ---- output --------------------------------------------------------- */

/* A policy whose listing is large: ~2000 instructions. */
static char *big_policy(void) {
  sbuf b = {0};
  sb_printf(&b, "ALLOW {\n");
  for (int i = 0; i < 600; i++) sb_printf(&b, "  read { fd == %d },\n", i);
  sb_printf(&b, "  write\n} DEFAULT KILL\n");
  char *p = write_bytes("big.policy", b.s, b.len);
  free(b.s);
  return p;
}

#define OLD "old output: must survive\n"

START_TEST(full_disk_keeps_old_output) {
  char *pol = big_policy();
  char *out = write_text("out.bpf", OLD);
  static const char *const formats[] = {"bpf", "c", "asm"};
  for (int i = 0; i < 3; i++) {
    run_opts o = {.fsize = 4096};
    run_result r = run_with(&o, "compile", pol, "-o", out, "--format",
                            formats[i], "--arch", "x86_64", (char *)NULL);
    expect(&r, 2, "File too large", 4096);
    run_free(&r);
    size_t len;
    char *now_text = tu_read(out, &len);
    ck_assert_uint_eq(len, strlen(OLD));
    ck_assert_str_eq(now_text, OLD);
    free(now_text);
    char *names = listing(dir);
    ck_assert_str_eq(names, "big.policy,out.bpf");
    free(names);
  }
  /* Without the limit the same command works. */
  run_result r = run("compile", pol, "-o", out, "--format", "asm");
  expect(&r, 0, NULL, 4096);
  run_free(&r);
  char *names = listing(dir);
  ck_assert_str_eq(names, "big.policy,out.bpf");
  free(names);
  free(out);
  free(pol);
}
END_TEST

START_TEST(full_disk_api) {
  char *pol = big_policy();
  char *out = write_text("out.h", OLD);
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_int_eq(sysfence_set_input_path(ctx, pol), SYSFENCE_OK);
  struct sock_fprog prog;
  ck_assert_int_eq(sysfence_compile(ctx, &prog), SYSFENCE_OK);
  /* In a child: the limit and the ignored signal stay there. */
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    struct rlimit rl = {4096, 4096};
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(10);
    int rc = sysfence_write_file(ctx, &prog, SYSFENCE_FORMAT_C, NULL, out);
    int ok = rc == SYSFENCE_ESYSTEM && errno == EFBIG;
    free(prog.filter); /* this process's copies: nothing leaks at _exit */
    sysfence_free(ctx);
    free(out);
    free(pol);
    _exit(ok ? 0 : 11);
  }
  int st;
  waitpid(pid, &st, 0);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
  char *text = tu_read(out, NULL);
  ck_assert_str_eq(text, OLD);
  free(text);
  char *names = listing(dir);
  ck_assert_str_eq(names, "big.policy,out.h");
  free(names);
  free(prog.filter);
  sysfence_free(ctx);
  free(out);
  free(pol);
}
END_TEST

START_TEST(full_device_stdout) {
  char *pol = big_policy();
  run_opts o = {.out = "/dev/full"};
  run_result r = run_with(&o, "compile", pol, "-o", "-", "--format", "asm",
                          (char *)NULL);
  expect(&r, 2, "error", 4096);
  run_free(&r);
  free(pol);
}
END_TEST

START_TEST(output_missing_folder) {
  char *pol = write_text("ok.policy", "ALLOW { read } DEFAULT KILL\n");
  char *out = path("no/such/folder/out.bpf");
  run_result r = run("compile", pol, "-o", out);
  expect(&r, 2, "No such file or directory", 4096);
  run_free(&r);
  char *names = listing(dir);
  ck_assert_str_eq(names, "ok.policy");
  free(names);
  free(out);
  free(pol);
}
END_TEST

START_TEST(output_is_directory) {
  char *pol = write_text("ok.policy", "ALLOW { read } DEFAULT KILL\n");
  char *out = path("out.d");
  ck_assert_int_eq(mkdir(out, 0755), 0);
  free(write_text("out.d/keep", "keep\n"));
  run_result r = run("compile", pol, "-o", out);
  expect(&r, 2, "Is a directory", 4096);
  run_free(&r);
  struct stat st;
  ck_assert_int_eq(stat(out, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  char *names = listing(dir);
  ck_assert_str_eq(names, "ok.policy,out.d");
  free(names);
  names = listing(out);
  ck_assert_str_eq(names, "keep");
  free(names);
  /* A path through a regular file. */
  char *through = path("ok.policy/out.bpf");
  r = run("compile", pol, "-o", through);
  expect(&r, 2, "Not a directory", 4096);
  run_free(&r);
  free(through);
  free(out);
  free(pol);
}
END_TEST

/* ---- regressions: hangs and quadratic costs found here, now fixed ---- */

/* A run of NUL bytes costs time quadratic in its length (flex rescans the
 * token at every NUL it meets inside the `\0+` rule): 1 MB ran for more
 * than ten minutes. */
START_TEST(bug_nul_run) {
  char *zeros = calloc(1, 1 << 20);
  char *p = write_bytes("zeros.policy", zeros, 1 << 20);
  compile_expect(p, 1, "NUL byte in policy", 65536);
  free(p);
  /* The same inside a line comment ("//"[^\n]*). */
  memcpy(zeros, "//", 2);
  p = write_bytes("zeroc.policy", zeros, 1 << 20);
  compile_expect(p, 1, "NUL byte in policy", 65536);
  free(p);
  free(zeros);
}
END_TEST

/* 10^5 rules on a few syscalls: ~30 s, and 10^5 warnings (17 MB). */
START_TEST(bug_many_repeated_rules) {
  static const char *const names[] = {"read", "write", "close", "openat"};
  sbuf b = {0};
  sb_printf(&b, "ALLOW {\n");
  for (int i = 0; i < 100000; i++) sb_printf(&b, "  %s,\n", names[i % 4]);
  sb_printf(&b, "  exit\n} DEFAULT KILL\n");
  char *p = write_bytes("repeat.policy", b.s, b.len);
  compile_expect(p, 0, NULL, 1 << 20);
  free(p);
  free(b.s);
}
END_TEST

/* 10^5 #defines (~25 s) and 10^5 chained POLICY/USE (~90 s): linear
 * lookups in the resolver. */
START_TEST(bug_many_names) {
  sbuf b = {0};
  for (int i = 0; i < 100000; i++) sb_printf(&b, "#define C%d %d\n", i, i);
  sb_printf(&b, "ALLOW { read { fd == C99999 } } DEFAULT KILL\n");
  char *p = write_bytes("defines.policy", b.s, b.len);
  compile_expect(p, 0, NULL, 4096);
  free(p);
  b.len = 0;
  sb_printf(&b, "POLICY p0 { ALLOW { read } }\n");
  for (int i = 1; i < 100000; i++) sb_printf(&b, "POLICY p%d { USE p%d }\n", i, i - 1);
  sb_printf(&b, "USE p99999 DEFAULT KILL\n");
  p = write_bytes("policies.policy", b.s, b.len);
  compile_expect(p, 0, NULL, 4096);
  free(p);
  free(b.s);
}
END_TEST

/* #include "/dev/zero" reads without bound (2 GB in 5 s). */
START_TEST(bug_include_endless_device) {
  char *p = write_text("zero.policy", "#include \"/dev/zero\"\nALLOW { read }\n");
  compile_expect(p, 1, "error:", 4096);
  free(p);
}
END_TEST

/* A folder as the main input exits 1 (policy error), not 2 (I/O error). */
START_TEST(bug_input_is_directory) {
  char *sub = path("in.policy");
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  compile_expect(sub, 2, "Is a directory", 4096);
  free(sub);
}
END_TEST

/* ---- suite ---------------------------------------------------------- */

static Suite *robust_suite(void) {
  Suite *s = suite_create("robust");
  TCase *tc = tcase_create("huge");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, huge_comments_50mb);
  tcase_add_test(tc, long_line_10mb);
  tcase_add_test(tc, identifier_1mb);
  tcase_add_test(tc, many_rules_distinct);
  tcase_add_test(tc, many_rules_fit);
  suite_add_tcase(s, tc);

  tc = tcase_create("nesting_and_bytes");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, deep_parens);
  tcase_add_test(tc, deep_nots);
  tcase_add_test(tc, long_or_chain);
  tcase_add_test(tc, long_and_chain);
  tcase_add_test(tc, deep_braces);
  tcase_add_test(tc, nul_bytes);
  tcase_add_test(tc, invalid_utf8);
  suite_add_tcase(s, tc);

  tc = tcase_create("files");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, include_cycles);
  tcase_add_test(tc, include_not_a_file);
  tcase_add_test(tc, unreadable_files);
  tcase_add_test(tc, full_disk_keeps_old_output);
  tcase_add_test(tc, full_disk_api);
  tcase_add_test(tc, full_device_stdout);
  tcase_add_test(tc, output_missing_folder);
  tcase_add_test(tc, output_is_directory);
  suite_add_tcase(s, tc);

  tc = tcase_create("regressions");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, bug_nul_run);
  tcase_add_test(tc, bug_many_repeated_rules);
  tcase_add_test(tc, bug_many_names);
  tcase_add_test(tc, bug_include_endless_device);
  tcase_add_test(tc, bug_input_is_directory);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_robust: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(robust_suite());
}
