/* check_tools.c - the eval, sim and stats commands, through the command
 * line and through the internal API (call.h, stats.h, sf_bpf_run_trace). */
#include <check.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAXARGS 32

#define EXPECT_EXIT(r, code)                                                  \
  ck_assert_msg((r).exited && (r).status == (code),                           \
                "expected exit %d, got %s %d\nstdout: %s\nstderr: %s", (code),  \
                (r).exited ? "exit" : "signal", (r).status, (r).out, (r).err)

/* Run sysfence with the NULL-terminated arguments. */
#define sf(...) tu_run_program(tu_sysfence(), NULL, __VA_ARGS__)

/* Line numbers matter: the tests check rule locations. */
static const char *POLICY =
    "#define MYFD 1\n"                                                     /* 1 */
    "#define O_CREAT 0x40\n"                                               /* 2 */
    "POLICY p {\n"                                                         /* 3 */
    "  ALLOW { read },\n"                                                  /* 4 */
    "  ERRNO(1) { openat(dirfd, path, flags, mode) { (flags & O_CREAT) != 0 } },\n"
    "  ALLOW { write(fd, buf, count) { fd == MYFD } }\n"                   /* 6 */
    "}\n"                                                                  /* 7 */
    "USE p\n"                                                              /* 8 */
    "TRAP(7) { SYSCALL[1000] }\n"                                          /* 9 */
    "DEFAULT ERRNO(38)\n";                                                 /* 10 */

/* ---- internal API helpers ------------------------------------------------ */

typedef struct front {
  sysfence_ctx *ctx;
  const sf_ruleset *rs;
  const ast_file *tree;
} front;

static front front_end(const char *src, const char *arch) {
  front f = {sysfence_new(), NULL, NULL};
  ck_assert_ptr_nonnull(f.ctx);
  ck_assert_int_eq(sysfence_set_input_string(f.ctx, "p.policy", src), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arch(f.ctx, arch), SYSFENCE_OK);
  f.rs = sf_front_end_tree(f.ctx, &f.tree);
  ck_assert_msg(f.rs != NULL, "%s", sysfence_diag_text(f.ctx));
  return f;
}

static sf_call_spec parse_ok(const char *text, const sf_arch *target,
                             const ast_file *defs) {
  sf_call_spec spec;
  char err[256];
  ck_assert_msg(sf_call_parse(text, target, defs, NULL, &spec, err, sizeof err) == 0,
                "%s: %s", text, err);
  return spec;
}

static void parse_fails(const char *text, const ast_file *defs, const char *says) {
  sf_call_spec spec;
  char err[256];
  ck_assert_msg(sf_call_parse(text, sf_arch_by_name("x86_64"), defs, NULL, &spec, err,
                              sizeof err) != 0, "'%s' parsed", text);
  ck_assert_msg(strstr(err, says) != NULL, "'%s': '%s' lacks '%s'", text, err, says);
}

/* ---- call syntax --------------------------------------------------------- */

START_TEST(call_syntax) {
  const sf_arch *x64 = sf_arch_by_name("x86_64");
  sf_call_spec s = parse_ok("openat(-100, 0, 0x241)", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 257);
  ck_assert_uint_eq(s.call.arch, 0xc000003eU);
  ck_assert_str_eq(s.name, "openat");
  ck_assert(s.call.args[0] == (uint64_t)-100);
  ck_assert(s.call.args[1] == 0 && s.call.args[2] == 0x241 && s.call.args[3] == 0);
  s = parse_ok("  read  ", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 0);
  s = parse_ok("write(010, 0b101, -1, 18446744073709551615, 0x10|1, 7)", x64, NULL);
  ck_assert(s.call.args[0] == 8 && s.call.args[1] == 5);
  ck_assert(s.call.args[2] == UINT64_MAX && s.call.args[3] == UINT64_MAX);
  ck_assert(s.call.args[4] == 0x11 && s.call.args[5] == 7);
  s = parse_ok("0x101()", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 257);
  ck_assert_ptr_null(s.name);
  s = parse_ok("-1", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 0xffffffffU);
  s = parse_ok("read(-0x8000000000000000)", x64, NULL);
  ck_assert(s.call.args[0] == (uint64_t)1 << 63);
}
END_TEST

START_TEST(call_abi_prefix) {
  const sf_arch *x64 = sf_arch_by_name("x86_64");
  sf_call_spec s = parse_ok("x32:read", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 0x40000000U);
  ck_assert_uint_eq(s.call.arch, 0xc000003eU); /* AUDIT_ARCH_X86_64 */
  ck_assert_str_eq(s.abi->name, "x32");
  s = parse_ok("i386:open(1)", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 5);
  ck_assert_uint_eq(s.call.arch, 0x40000003U); /* AUDIT_ARCH_I386 */
  ck_assert(s.call.args[0] == 1);
  s = parse_ok("aarch64:openat", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 56);
  ck_assert_uint_eq(s.call.arch, 0xc00000b7U);
  /* A number keeps its value; only the AUDIT_ARCH changes. */
  s = parse_ok("i386:3", x64, NULL);
  ck_assert_uint_eq(s.call.nr, 3);
  ck_assert_uint_eq(s.call.arch, 0x40000003U);
}
END_TEST

START_TEST(call_constants) {
  front f = front_end(POLICY, "x86_64");
  uint64_t v;
  ck_assert_int_eq(sf_define_lookup(f.tree, "O_CREAT", &v), 0);
  ck_assert(v == 0x40);
  ck_assert_int_eq(sf_define_lookup(f.tree, "NOPE", &v), -1);
  sf_call_spec s = parse_ok("openat(MYFD, 0, O_CREAT | 1)", f.rs->arch, f.tree);
  ck_assert(s.call.args[0] == 1 && s.call.args[2] == 0x41);
  parse_fails("openat(MYFE)", f.tree, "did you mean 'MYFD'?");
  parse_fails("openat(MYFD)", NULL, "not a number");
  sysfence_free(f.ctx);
}
END_TEST

START_TEST(call_errors) {
  parse_fails("opnat(1)", NULL, "unknown syscall 'opnat' on x86_64; did you mean 'openat'?");
  parse_fails("read(1,2,3,4,5,6,7)", NULL, "too many arguments");
  parse_fails("read(0x)", NULL, "bad number '0x'");
  parse_fails("read(08)", NULL, "bad number '08'");
  parse_fails("read(18446744073709551616)", NULL, "bad number");
  parse_fails("read(-9223372036854775809)", NULL, "bad number");
  parse_fails("read(1", NULL, "missing ')'");
  parse_fails("read(1 2)", NULL, "expected ',' or ')'");
  parse_fails("read(1,)", NULL, "missing argument");
  parse_fails("read(1) x", NULL, "unexpected 'x'");
  parse_fails("", NULL, "missing syscall");
  parse_fails("x33:read", NULL, "unknown architecture 'x33'; did you mean 'x32'?");
  parse_fails("0x100000000", NULL, "out of range");
  parse_fails("i386:newfstatat", NULL, "unknown syscall 'newfstatat' on i386");
}
END_TEST

/* ---- eval ----------------------------------------------------------------- */

static void expect_explain(const front *f, const char *call, uint32_t action,
                           const char *why) {
  sf_call_spec s = parse_ok(call, f->rs->arch, f->tree);
  char got[300];
  ck_assert_uint_eq(sf_call_explain(&f->rs, 1, &s.call, got, sizeof got), action);
  ck_assert_msg(strcmp(got, why) == 0, "%s: got '%s', want '%s'", call, got, why);
}

START_TEST(eval_api) {
  front f = front_end(POLICY, "x86_64");
  expect_explain(&f, "openat(-100, 0, O_CREAT)", SF_RET_ERRNO | 1,
                 "(p.policy:5:14: rule for openat)");
  expect_explain(&f, "openat(-100, 0, 0x201)", SF_RET_ERRNO | 38, "(default action)");
  expect_explain(&f, "read", SF_RET_ALLOW, "(p.policy:4:11: rule for read)");
  expect_explain(&f, "write(MYFD)", SF_RET_ALLOW, "(p.policy:6:11: rule for write)");
  /* Only the low 32 bits of fd reach the kernel (int fd). */
  expect_explain(&f, "write(0x100000001)", SF_RET_ALLOW, "(p.policy:6:11: rule for write)");
  expect_explain(&f, "write(2)", SF_RET_ERRNO | 38, "(default action)");
  expect_explain(&f, "1000", SF_RET_TRAP | 7, "(p.policy:9:11: rule for SYSCALL[1000])");
  expect_explain(&f, "x32:read", SF_RET_KILL_PROCESS, "(bad architecture)");
  expect_explain(&f, "i386:open", SF_RET_KILL_PROCESS, "(bad architecture)");
  expect_explain(&f, "-1", SF_RET_ERRNO | 38, "(default action)");
  sysfence_free(f.ctx);
  /* For x32, x86_64's numbers are the foreign ones. */
  f = front_end(POLICY, "x32");
  expect_explain(&f, "read", SF_RET_ALLOW, "(p.policy:4:11: rule for read)");
  expect_explain(&f, "x32:read", SF_RET_ALLOW, "(p.policy:4:11: rule for read)");
  expect_explain(&f, "x86_64:read", SF_RET_KILL_PROCESS, "(bad architecture)");
  sysfence_free(f.ctx);
  f = front_end(POLICY, "i386");
  expect_explain(&f, "read", SF_RET_ALLOW, "(p.policy:4:11: rule for read)");
  expect_explain(&f, "x86_64:read", SF_RET_KILL_PROCESS, "(bad architecture)");
  sysfence_free(f.ctx);
}
END_TEST

/* ---- eval for several targets -------------------------------------------- */

/* Each target's own rule: the ON guards make the three rule sets differ. */
static const char *MULTI_POLICY =
    "ALLOW { read, write ON x86_64 }\n"                                    /* 1 */
    "ERRNO(2) { write ON i386, open ON { i386, x32 } }\n"                  /* 2 */
    "TRAP(3) { write ON x32 }\n"                                           /* 3 */
    "DEFAULT ERRNO(38)\n";                                                 /* 4 */

typedef struct multi_front {
  sysfence_ctx *ctx;
  const sf_ruleset *rs[SF_MAX_TARGETS];
  size_t n;
  const ast_file *tree;
} multi_front;

static multi_front multi_front_end(const char *src, const char *arches) {
  multi_front f = {sysfence_new(), {NULL}, 0, NULL};
  ck_assert_ptr_nonnull(f.ctx);
  ck_assert_int_eq(sysfence_set_input_string(f.ctx, "m.policy", src), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arches(f.ctx, arches, NULL, 0), SYSFENCE_OK);
  f.n = sf_front_end_targets(f.ctx, &f.tree, f.rs);
  ck_assert_msg(f.n > 0, "%s", sysfence_diag_text(f.ctx));
  return f;
}

static void expect_multi(const multi_front *f, const char *call, uint32_t action,
                         const char *why) {
  sf_call_spec s = parse_ok(call, f->rs[0]->arch, f->tree);
  char got[300];
  ck_assert_uint_eq(sf_call_explain(f->rs, f->n, &s.call, got, sizeof got), action);
  ck_assert_msg(strcmp(got, why) == 0, "%s: got '%s', want '%s'", call, got, why);
  ck_assert_uint_eq(sf_targets_decide(f->rs, f->n, &s.call, NULL), action);
}

START_TEST(eval_multi_api) {
  multi_front f = multi_front_end(MULTI_POLICY, "x86_64,i386,x32");
  ck_assert_uint_eq(f.n, 3);
  expect_multi(&f, "read", SF_RET_ALLOW, "(m.policy:1:9: rule for read on x86_64)");
  expect_multi(&f, "write", SF_RET_ALLOW, "(m.policy:1:15: rule for write on x86_64)");
  expect_multi(&f, "i386:write", SF_RET_ERRNO | 2, "(m.policy:2:12: rule for write on i386)");
  expect_multi(&f, "x32:write", SF_RET_TRAP | 3, "(m.policy:3:11: rule for write on x32)");
  expect_multi(&f, "x32:read", SF_RET_ALLOW, "(m.policy:1:9: rule for read on x32)");
  expect_multi(&f, "i386:open", SF_RET_ERRNO | 2, "(m.policy:2:27: rule for open on i386)");
  expect_multi(&f, "open", SF_RET_ERRNO | 38, "(default action on x86_64)");
  expect_multi(&f, "x32:open", SF_RET_ERRNO | 2, "(m.policy:2:27: rule for open on x32)");
  /* x32's numbers as a plain number under AUDIT_ARCH_X86_64: x32 decides
   * (0x40000001 is x32's write). */
  expect_multi(&f, "0x40000001", SF_RET_TRAP | 3, "(m.policy:3:11: rule for write on x32)");
  /* -1 is never foreign: the first target of its AUDIT_ARCH. */
  expect_multi(&f, "0xffffffff", SF_RET_ERRNO | 38, "(default action on x86_64)");
  expect_multi(&f, "x32:0xffffffff", SF_RET_ERRNO | 38, "(default action on x86_64)");
  expect_multi(&f, "i386:0xffffffff", SF_RET_ERRNO | 38, "(default action on i386)");
  /* A known ABI that is no target. */
  expect_multi(&f, "aarch64:read", SF_RET_KILL_PROCESS, "(bad architecture)");
  expect_multi(&f, "arm:read", SF_RET_KILL_PROCESS, "(bad architecture)");
  sysfence_free(f.ctx);

  /* Without x32, its numbers get the bad-arch action; x32 first is x32's
   * own section, x86_64's numbers in it decided by x86_64. */
  f = multi_front_end(MULTI_POLICY, "x86_64,i386");
  expect_multi(&f, "x32:write", SF_RET_KILL_PROCESS, "(bad architecture)");
  expect_multi(&f, "0x40000001", SF_RET_KILL_PROCESS, "(bad architecture)");
  expect_multi(&f, "i386:write", SF_RET_ERRNO | 2, "(m.policy:2:12: rule for write on i386)");
  sysfence_free(f.ctx);
  f = multi_front_end(MULTI_POLICY, "x32,x86_64");
  expect_multi(&f, "write", SF_RET_TRAP | 3, "(m.policy:3:11: rule for write on x32)");
  expect_multi(&f, "x86_64:write", SF_RET_ALLOW, "(m.policy:1:15: rule for write on x86_64)");
  expect_multi(&f, "0xffffffff", SF_RET_ERRNO | 38, "(default action on x32)");
  expect_multi(&f, "i386:write", SF_RET_KILL_PROCESS, "(bad architecture)");
  sysfence_free(f.ctx);

  /* One target: the same as the one rule set's decision, and the
   * explanation names no target. */
  f = multi_front_end(MULTI_POLICY, "x86_64");
  expect_multi(&f, "write", SF_RET_ALLOW, "(m.policy:1:15: rule for write)");
  expect_multi(&f, "x32:write", SF_RET_KILL_PROCESS, "(bad architecture)");
  sysfence_free(f.ctx);
}
END_TEST

START_TEST(eval_multi_cli) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "m.policy", MULTI_POLICY);
  char want[1024];
  tu_result r = sf("eval", "--arch", "x86_64,i386,x32", pol, "write", "i386:write",
                   "x32:write", "i386:open", "aarch64:read", "getpid", NULL);
  EXPECT_EXIT(r, 0);
  snprintf(want, sizeof want,
           "write -> ALLOW  (%s:1:15: rule for write on x86_64)\n"
           "i386:write -> ERRNO(2)  (%s:2:12: rule for write on i386)\n"
           "x32:write -> TRAP(3)  (%s:3:11: rule for write on x32)\n"
           "i386:open -> ERRNO(2)  (%s:2:27: rule for open on i386)\n"
           "aarch64:read -> KILL_PROCESS  (bad architecture)\n"
           "getpid -> ERRNO(38)  (default action on x86_64)\n", pol, pol, pol, pol);
  ck_assert_str_eq(r.out, want);
  tu_result_free(&r);
  /* The CALL's ABI must be known; a name must be in that ABI's table. */
  r = sf("eval", "--arch", "x86_64,i386,x32", pol, "x33:write", NULL);
  EXPECT_EXIT(r, 2);
  ck_assert_msg(strstr(r.err, "unknown architecture 'x33'") != NULL, "%s", r.err);
  tu_result_free(&r);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(stats_multi_cli) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "m.policy", MULTI_POLICY);
  char bpf[4096];
  snprintf(bpf, sizeof bpf, "%s/m.bpf", dir);
  tu_result c = sf("compile", "-a", "x86_64,i386,x32", pol, "-o", bpf, NULL);
  EXPECT_EXIT(c, 0);
  tu_result_free(&c);
  tu_result r = sf("stats", "-a", "x86_64,i386,x32", pol, NULL);
  EXPECT_EXIT(r, 0);
  const char *heads[] = {"target:      x86_64 (1 of 3)\nprogram:",
                         "\n\ntarget:      i386 (2 of 3)\nprogram:",
                         "\n\ntarget:      x32 (3 of 3)\nprogram:"};
  for (size_t i = 0; i < N_OF(heads); i++)
    ck_assert_msg(strstr(r.out, heads[i]) != NULL, "lacks '%s':\n%s", heads[i], r.out);
  /* Each block is what the blob measures for that ABI: the blob's report
   * starts with --arch's block (then the other arches it checks). */
  const char *abis[] = {"x86_64", "i386", "x32"};
  for (size_t i = 0; i < N_OF(abis); i++) {
    tu_result b = sf("stats", "-a", abis[i], bpf, NULL);
    EXPECT_EXIT(b, 0);
    const char *at = strstr(r.out, "program:");
    for (size_t k = 0; k < i && at; k++) at = strstr(at + 1, "program:");
    ck_assert_ptr_nonnull(at);
    const char *end = strstr(at, "\n\ntarget:");
    size_t len = end ? (size_t)(end - at) + 1 : strlen(at);
    const char *first = strstr(b.out, "program:");
    ck_assert_ptr_nonnull(first);
    ck_assert_msg(strncmp(first, at, len) == 0 &&
                      (first[len] == '\0' || strncmp(first + len, "\ntarget:", 8) == 0),
                  "%s: blob\n%s\npolicy\n%s", abis[i], b.out, at);
    tu_result_free(&b);
  }
  tu_result_free(&r);
  /* A raw filter takes one --arch (its first report). */
  r = sf("stats", "-a", "x86_64,i386", bpf, NULL);
  EXPECT_EXIT(r, 2);
  ck_assert_msg(strstr(r.err, "give one --arch") != NULL, "%s", r.err);
  tu_result_free(&r);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(eval_cli) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", POLICY);
  char want[512];
  tu_result r = sf("eval", "--arch", "x86_64", pol, "openat(-100, 0, 0x241)", NULL);
  EXPECT_EXIT(r, 0);
  snprintf(want, sizeof want, "ERRNO(1)  (%s:5:14: rule for openat)\n", pol);
  ck_assert_str_eq(r.out, want);
  tu_result_free(&r);

  r = sf("eval", pol, "-a", "x86_64", "write(MYFD, 0, 10)", "write(2)", "x32:read",
         "i386:open", "--", "-1", NULL);
  EXPECT_EXIT(r, 0);
  snprintf(want, sizeof want,
           "write(MYFD, 0, 10) -> ALLOW  (%s:6:11: rule for write)\n"
           "write(2) -> ERRNO(38)  (default action)\n"
           "x32:read -> KILL_PROCESS  (bad architecture)\n"
           "i386:open -> KILL_PROCESS  (bad architecture)\n"
           "-1 -> ERRNO(38)  (default action) [-1: no syscall]\n", pol);
  ck_assert_str_eq(r.out, want);
  tu_result_free(&r);

  r = sf("eval", "-a", "x86_64", "--bad-arch", "ERRNO(5)", pol, "i386:open", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_str_eq(r.out, "ERRNO(5)  (bad architecture)\n");
  tu_result_free(&r);

  /* -I: the policy includes a file found through it. */
  char *sub = tu_tmpdir();
  char *inc = tu_write(sub, "inc.policy", "#define FD 3\n");
  char *pol2 = tu_write(dir, "q.policy", "#include \"inc.policy\"\nALLOW { close { fd == FD } }\n");
  r = sf("eval", "-a", "x86_64", "-I", sub, pol2, "close(FD)", NULL);
  EXPECT_EXIT(r, 0);
  snprintf(want, sizeof want, "ALLOW  (%s:2:9: rule for close)\n", pol2);
  ck_assert_str_eq(r.out, want);
  tu_result_free(&r);
  free(inc);
  free(pol2);
  tu_rmtree(sub);
  free(sub);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- sim agrees with eval ------------------------------------------------ */

static const char *const CALLS[] = {
    "read",        "read(1, 2, 3)",          "write(1)",     "write(0x100000001)",
    "write(2)",    "openat(-100, 0, 0x241)", "openat(0, 0, 0x201)",
    "1000",        "999",                    "close",        "-1",
    "x32:read",    "x32:write(1)",           "i386:open",    "i386:read",
    "x86_64:read", "aarch64:read",           "0x40000001",
};

static void sim_matches_eval(const char *arch) {
  front f = front_end(POLICY, arch);
  struct sock_fprog prog;
  ck_assert_int_eq(tu_compile(POLICY, arch, &prog, NULL), SYSFENCE_OK);
  for (size_t i = 0; i < N_OF(CALLS); i++) {
    sf_call_spec s = parse_ok(CALLS[i], f.rs->arch, NULL);
    sf_seccomp_data d = {.nr = s.call.nr, .arch = s.call.arch};
    memcpy(d.args, s.call.args, sizeof d.args);
    uint32_t want = sf_ruleset_decide(f.rs, &s.call, NULL);
    uint32_t got = sf_bpf_run(prog.filter, prog.len, f.rs->arch, &d, NULL);
    ck_assert_msg(got == want, "%s on %s: sim 0x%08x, eval 0x%08x", CALLS[i],
                  arch, got, want);
  }
  free(prog.filter);
  sysfence_free(f.ctx);
}

START_TEST(sim_equals_eval_api) {
  const char *arches[] = {"x86_64", "x32", "i386", "aarch64", "s390x", "mips", "ppc64le"};
  for (size_t i = 0; i < N_OF(arches); i++) sim_matches_eval(arches[i]);
}
END_TEST

/* The action column of each line of OUT ("call -> ACTION  (...)"). */
static void actions_of(const char *out, char actions[][32], size_t n) {
  const char *p = out;
  for (size_t i = 0; i < n; i++) {
    const char *arrow = strstr(p, " -> ");
    ck_assert_ptr_nonnull(arrow);
    arrow += 4;
    size_t len = strcspn(arrow, " ");
    ck_assert_uint_lt(len, 32);
    memcpy(actions[i], arrow, len);
    actions[i][len] = '\0';
    p = strchr(arrow, '\n');
    ck_assert_ptr_nonnull(p);
  }
}

START_TEST(sim_equals_eval_cli) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", POLICY);
  char bpf[4096];
  snprintf(bpf, sizeof bpf, "%s/p.bpf", dir);
  tu_result r = sf("compile", "-a", "s390x", pol, "-o", bpf, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  const char *calls[] = {"read", "write(1)", "write(2)", "openat(1, 2, 0x40)",
                         "s390:read", "1000", "close"};
  char *argv_e[16], *argv_s[16];
  int ne = 0, ns = 0;
  argv_e[ne++] = argv_s[ns++] = (char *)tu_sysfence();
  argv_e[ne++] = "eval";
  argv_s[ns++] = "sim";
  argv_e[ne++] = argv_s[ns++] = "--arch=s390x";
  argv_e[ne++] = pol;
  argv_s[ns++] = bpf;
  for (size_t i = 0; i < N_OF(calls); i++) argv_e[ne++] = argv_s[ns++] = (char *)calls[i];
  argv_e[ne] = argv_s[ns] = NULL;
  tu_result e = tu_run(argv_e, NULL), s = tu_run(argv_s, NULL);
  EXPECT_EXIT(e, 0);
  EXPECT_EXIT(s, 0);
  char ae[N_OF(calls)][32], as[N_OF(calls)][32];
  actions_of(e.out, ae, N_OF(calls));
  actions_of(s.out, as, N_OF(calls));
  for (size_t i = 0; i < N_OF(calls); i++)
    ck_assert_msg(strcmp(ae[i], as[i]) == 0, "%s: eval %s, sim %s", calls[i], ae[i], as[i]);
  ck_assert_str_eq(ae[3], "ERRNO(1)");
  ck_assert_str_eq(ae[4], "KILL_PROCESS");
  ck_assert_msg(strstr(s.out, "write(1) -> ALLOW  (") != NULL, "%s", s.out);
  tu_result_free(&e);
  tu_result_free(&s);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- trace ----------------------------------------------------------------- */

typedef struct counter {
  size_t calls, last_pc;
} counter;

static void count_insn(void *user, size_t pc, const struct sock_filter *in,
                       uint32_t a, uint32_t x) {
  counter *c = user;
  (void)in, (void)a, (void)x;
  ck_assert(c->calls == 0 || pc > c->last_pc); /* jumps only go forward */
  c->calls++;
  c->last_pc = pc;
}

START_TEST(trace_api) {
  struct sock_fprog prog;
  ck_assert_int_eq(tu_compile(POLICY, "x86_64", &prog, NULL), SYSFENCE_OK);
  const sf_arch *x64 = sf_arch_by_name("x86_64");
  for (size_t i = 0; i < N_OF(CALLS); i++) {
    sf_call_spec s = parse_ok(CALLS[i], x64, NULL);
    sf_seccomp_data d = {.nr = s.call.nr, .arch = s.call.arch};
    memcpy(d.args, s.call.args, sizeof d.args);
    size_t n1 = 0, n2 = 0;
    counter c = {0, 0};
    uint32_t r1 = sf_bpf_run(prog.filter, prog.len, x64, &d, &n1);
    uint32_t r2 = sf_bpf_run_trace(prog.filter, prog.len, x64, &d, &n2, count_insn, &c);
    ck_assert_uint_eq(r1, r2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_uint_eq(c.calls, n1);
    ck_assert_uint_eq(BPF_CLASS(prog.filter[c.last_pc].code), BPF_RET);
  }
  free(prog.filter);
}
END_TEST

static size_t count_lines(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

START_TEST(trace_cli) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", POLICY);
  char bpf[4096];
  snprintf(bpf, sizeof bpf, "%s/p.bpf", dir);
  tu_result r = sf("compile", "-a", "x86_64", pol, "-o", bpf, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  r = sf("sim", "-a", "x86_64", bpf, "write(1)", "--trace", NULL);
  EXPECT_EXIT(r, 0);
  /* The arch check, the nr load, the argument load, the return. */
  const char *want[] = {"0000: ld [4]", "jeq #0xc000003e", "ld [0]", "; nr",
                        "ld [16]", "args[0] lo", "ret ALLOW", "A=0x00000001",
                        "A=0xc000003e X=0x00000000"};
  for (size_t i = 0; i < N_OF(want); i++)
    ck_assert_msg(strstr(r.out, want[i]) != NULL, "trace lacks '%s':\n%s", want[i], r.out);
  /* One line per instruction executed, then the result. */
  size_t steps = 0;
  const char *last = strrchr(r.out, '(');
  ck_assert_ptr_nonnull(last);
  ck_assert_int_eq(sscanf(last, "(%zu instructions)", &steps), 1);
  ck_assert_uint_eq(count_lines(r.out), steps + 1);
  ck_assert_ptr_nonnull(strstr(r.out, "\nALLOW  ("));
  tu_result_free(&r);
  r = sf("sim", "-a", "x86_64", bpf, "write(1)", NULL);
  EXPECT_EXIT(r, 0);
  char want_line[64];
  snprintf(want_line, sizeof want_line, "ALLOW  (%zu instructions)\n", steps);
  ck_assert_str_eq(r.out, want_line);
  tu_result_free(&r);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- stats ------------------------------------------------------------------ */

/* ALLOW { read } DEFAULT KILL, as the x86_64 code generator wrote it when
 * this test was written (written out here so the hand-computed numbers do
 * not depend on later changes to the code generator):
 *   0000: ld [4]                    ; arch
 *   0001: jeq #0xc000003e jt 2 jf 6 ; AUDIT_ARCH_X86_64
 *   0002: ld [0]                    ; nr
 *   0003: jge #1 jt 4 jf 7
 *   0004: jge #0x40000000 jt 5 jf 8
 *   0005: jge #0xffffffff jt 8 jf 6
 *   0006: ret KILL_PROCESS
 *   0007: ret ALLOW
 *   0008: ret KILL_THREAD
 * read (nr 0) runs 0-1-2-3-7: 5 instructions; the other 384 syscalls of
 * the x86_64 table (all from 1 to 0x3fffffff) run 0-1-2-3-4-8: 6; the mean
 * is (5 + 384 * 6) / 385 = 5.997...; a foreign arch runs 0-1-6: 3.  read is
 * the one allowed syscall, and it is cached (only nr and arch loads,
 * constant jumps, ret ALLOW). */
static const char *TINY = "ALLOW { read } DEFAULT KILL";
static const struct sock_filter TINY_PROG[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 1, 0, 3),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 3),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0xffffffff, 2, 0),
    BPF_STMT(BPF_RET | BPF_K, SF_RET_KILL_PROCESS),
    BPF_STMT(BPF_RET | BPF_K, SF_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SF_RET_KILL_THREAD),
};

static void compile_ok(const char *src, const char *arch, struct sock_fprog *p) {
  char *diags = NULL;
  ck_assert_msg(tu_compile(src, arch, p, &diags) == SYSFENCE_OK, "%s", diags);
  free(diags);
}

static const sf_stats_sys *find_sys(const sf_stats *st, const char *name) {
  for (size_t i = 0; i < st->n_sys; i++)
    if (strcmp(st->sys[i].name, name) == 0) return &st->sys[i];
  ck_abort_msg("%s not in the stats", name);
  return NULL;
}

/* Write the raw x86_64 encoding of PROG to DIR/NAME; the path, malloc()ed. */
static char *write_blob(const char *dir, const char *name,
                        const struct sock_filter *prog, size_t len) {
  unsigned char raw[8 * 64];
  ck_assert_uint_le(len, 64);
  sf_bpf_encode(prog, len, 0, raw);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(raw, 8, len, f), len);
  fclose(f);
  return path;
}

START_TEST(stats_tiny_api) {
  char why[256];
  ck_assert_msg(sf_bpf_validate(TINY_PROG, N_OF(TINY_PROG), why, sizeof why) == 0, "%s", why);
  sf_stats st;
  const sf_arch *x64 = sf_arch_by_name("x86_64");
  ck_assert_int_eq(sf_stats_compute(TINY_PROG, N_OF(TINY_PROG), x64, &st), 0);
  ck_assert_uint_eq(st.len, 9);
  ck_assert_uint_eq(st.n_sys, x64->n_syscalls);
  ck_assert_uint_eq(st.n_sys, 385);
  ck_assert_uint_eq(st.min_steps, 5);
  ck_assert_uint_eq(st.max_steps, 6);
  ck_assert_double_eq_tol(st.mean_steps, (5.0 + 384.0 * 6.0) / 385.0, 1e-9);
  ck_assert_uint_eq(st.worst_steps, 6);
  ck_assert_uint_eq(st.bad_arch_steps, 3);
  ck_assert_uint_eq(st.bad_arch_action, SF_RET_KILL_PROCESS);
  ck_assert_uint_eq(st.n_allowed, 1);
  ck_assert_uint_eq(st.n_allowed_zero, 1);
  ck_assert_uint_eq(st.n_cached, 1);
  ck_assert_uint_eq(st.n_loads_args, 0);
  ck_assert(find_sys(&st, "read")->cached);
  ck_assert_uint_eq(find_sys(&st, "read")->steps, 5);
  ck_assert(!find_sys(&st, "write")->cached);
  ck_assert_uint_eq(find_sys(&st, "write")->steps, 6);
  ck_assert_uint_eq(find_sys(&st, "write")->action, SF_RET_KILL_THREAD);
  sf_stats_free(&st);

  /* Whatever the code generator makes of it now: the same decisions. */
  struct sock_fprog p;
  compile_ok(TINY, "x86_64", &p);
  ck_assert_int_eq(sf_stats_compute(p.filter, p.len, x64, &st), 0);
  ck_assert_uint_eq(st.n_allowed, 1);
  ck_assert_uint_eq(st.n_cached, 1);
  ck_assert(find_sys(&st, "read")->cached);
  ck_assert_uint_eq(st.n_loads_args, 0);
  ck_assert_uint_le(st.max_steps, p.len);
  ck_assert_uint_ge(st.min_steps, 4); /* arch load and check, nr load, ret */
  sf_stats_free(&st);
  free(p.filter);
}
END_TEST

START_TEST(stats_cache_api) {
  struct sock_fprog p;
  compile_ok("ALLOW { read, write { fd == 1 } } DEFAULT KILL", "x86_64", &p);
  sf_stats st;
  ck_assert_int_eq(sf_stats_compute(p.filter, p.len, sf_arch_by_name("x86_64"), &st), 0);
  const sf_stats_sys *rd = find_sys(&st, "read"), *wr = find_sys(&st, "write");
  ck_assert(rd->cached && rd->allowed && !rd->loads_args);
  ck_assert(!wr->cached && wr->allowed && wr->loads_args);
  ck_assert_uint_eq(wr->action, SF_RET_KILL_THREAD); /* fd 0 */
  ck_assert_uint_eq(st.n_allowed, 2);
  ck_assert_uint_eq(st.n_allowed_zero, 1);
  ck_assert_uint_eq(st.n_cached, 1);
  ck_assert_uint_eq(st.n_loads_args, 1);
  sf_stats_free(&st);
  free(p.filter);
}
END_TEST

/* The worst path is found by the probes: fd == 1 must hold to reach the
 * check of the 64-bit count. */
START_TEST(stats_worst_api) {
  struct sock_fprog p;
  compile_ok("ALLOW { write(fd, buf, count) { fd == 1 && count > 0x100000000 } }"
             " DEFAULT KILL", "x86_64", &p);
  sf_stats st;
  ck_assert_int_eq(sf_stats_compute(p.filter, p.len, sf_arch_by_name("x86_64"), &st), 0);
  const sf_stats_sys *wr = find_sys(&st, "write");
  ck_assert_uint_gt(wr->worst, wr->steps);
  ck_assert_uint_eq(st.worst_steps, wr->worst);
  ck_assert(wr->allowed && wr->action != SF_RET_ALLOW);
  sf_stats_free(&st);
  free(p.filter);
}
END_TEST

#define LD(k) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, k)
#define RET(k) BPF_STMT(BPF_RET | BPF_K, k)

START_TEST(const_allow_emulation) {
  const uint32_t A64 = 0xc000003eU;
  struct sock_filter plain[] = {LD(4), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, A64, 1, 0),
                                RET(0), LD(0), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
                                BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 3, 0),
                                BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 1),
                                BPF_STMT(BPF_JMP | BPF_JA, 1), RET(SF_RET_ALLOW),
                                RET(SF_RET_LOG)};
  ck_assert(sf_const_allow(plain, N_OF(plain), 3, A64));
  ck_assert(sf_const_allow(plain, N_OF(plain), 0x103, A64)); /* AND 0xff */
  ck_assert(!sf_const_allow(plain, N_OF(plain), 6, A64));  /* LOG: not ALLOW */
  ck_assert(!sf_const_allow(plain, N_OF(plain), 0x80, A64));
  ck_assert(!sf_const_allow(plain, N_OF(plain), 3, 0x40000003U));
  /* An argument load, RET A, X, running off the end: never cached. */
  struct sock_filter args[] = {LD(16), RET(SF_RET_ALLOW)};
  struct sock_filter ret_a[] = {BPF_STMT(BPF_LD | BPF_IMM, SF_RET_ALLOW),
                                BPF_STMT(BPF_RET | BPF_A, 0)};
  struct sock_filter x[] = {LD(0), BPF_STMT(BPF_MISC | BPF_TAX, 0), RET(SF_RET_ALLOW)};
  struct sock_filter off_end[] = {LD(0)};
  ck_assert(!sf_const_allow(args, N_OF(args), 0, A64));
  ck_assert(!sf_const_allow(ret_a, N_OF(ret_a), 0, A64));
  ck_assert(!sf_const_allow(x, N_OF(x), 0, A64));
  ck_assert(!sf_const_allow(off_end, N_OF(off_end), 0, A64));
  /* An argument load after the decision does not matter. */
  struct sock_filter late[] = {LD(0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
                               RET(SF_RET_ALLOW), LD(16), RET(SF_RET_ALLOW)};
  ck_assert(sf_const_allow(late, N_OF(late), 0, A64));
  ck_assert(!sf_const_allow(late, N_OF(late), 1, A64));
}
END_TEST

START_TEST(stats_x32_never_cached) {
  struct sock_fprog p;
  compile_ok("ALLOW { read } DEFAULT KILL", "x32", &p);
  sf_stats st;
  ck_assert_int_eq(sf_stats_compute(p.filter, p.len, sf_arch_by_name("x32"), &st), 0);
  ck_assert_uint_eq(st.n_allowed, 1);
  ck_assert_uint_eq(st.n_cached, 0);
  ck_assert(sf_const_allow(p.filter, p.len, 0x40000000U, 0xc000003eU));
  sf_stats_free(&st);
  free(p.filter);
}
END_TEST

START_TEST(stats_cli) {
  char *dir = tu_tmpdir();
  char *tiny = write_blob(dir, "tiny.bpf", TINY_PROG, N_OF(TINY_PROG));
  char *cache = tu_write(dir, "cache.policy",
                         "ALLOW { read, write { fd == 1 } } DEFAULT KILL\n");
  tu_result r = sf("stats", "-a", "x86_64", tiny, NULL);
  EXPECT_EXIT(r, 0);
  const char *want[] = {"program:     9 instructions (x86_64)\n",
                        "shortest 5, longest 6, mean 6.00 instructions",
                        "worst path:  6 instructions",
                        "bad arch:    3 instructions (KILL_PROCESS)\n",
                        "allowed:     1 syscalls (1 with all arguments zero)\n",
                        "cached:      1 always allowed",
                        "not cached:  (none)\n",
                        "arg checks:  0 syscalls"};
  for (size_t i = 0; i < N_OF(want); i++)
    ck_assert_msg(strstr(r.out, want[i]) != NULL, "lacks '%s':\n%s", want[i], r.out);
  tu_result_free(&r);

  r = sf("stats", "-a", "x86_64", cache, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "cached:      1 always") != NULL, "%s", r.out);
  ck_assert_msg(strstr(r.out, "not cached:  write\n") != NULL, "%s", r.out);
  ck_assert_msg(strstr(r.out, "allowed:     2 syscalls (1 with") != NULL, "%s", r.out);
  tu_result_free(&r);
  free(tiny);
  free(cache);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* Same numbers for a policy and for its compiled blob, in each mode. */
START_TEST(stats_blob_equals_policy) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", POLICY);
  char bpf[4096];
  snprintf(bpf, sizeof bpf, "%s/p.bpf", dir);
  const char *arches[] = {"x86_64", "ppc64"};
  for (size_t i = 0; i < N_OF(arches); i++) {
    tu_result c = sf("compile", "-a", arches[i], pol, "-o", bpf, NULL);
    EXPECT_EXIT(c, 0);
    tu_result a = sf("stats", "-a", arches[i], pol, NULL);
    tu_result b = sf("stats", "-a", arches[i], bpf, NULL);
    tu_result a2 = sf("stats", "-a", arches[i], "--policy", pol, NULL);
    tu_result b2 = sf("stats", "-a", arches[i], "--blob", bpf, NULL);
    EXPECT_EXIT(a, 0);
    EXPECT_EXIT(b, 0);
    ck_assert_str_eq(a.out, b.out);
    ck_assert_str_eq(a.out, a2.out);
    ck_assert_str_eq(a.out, b2.out);
    ck_assert_msg(strstr(a.out, "openat (") && strstr(a.out, "write ("), "%s", a.out);
    tu_result_free(&a);
    tu_result_free(&b);
    tu_result_free(&a2);
    tu_result_free(&b2);
    tu_result_free(&c);
  }
  /* The wrong override: a policy is no blob, a blob no policy. */
  tu_result r = sf("stats", "--blob", pol, NULL);
  EXPECT_EXIT(r, 1);
  tu_result_free(&r);
  r = sf("stats", "--policy", "-a", "ppc64", bpf, NULL);
  EXPECT_EXIT(r, 1);
  tu_result_free(&r);
  free(pol);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- filters for several architectures --------------------------------- */

/* Compile SRC for the arch LIST into DIR/NAME; the path, malloc()ed. */
static char *compile_blob(const char *dir, const char *name, const char *src,
                          const char *list) {
  char *pol = tu_write(dir, "multi.policy", src);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  snprintf(path, n, "%s/%s", dir, name);
  tu_result r = sf("compile", "-a", list, pol, "-o", path, NULL);
  EXPECT_EXIT(r, 0);
  tu_result_free(&r);
  free(pol);
  return path;
}

static const char *MULTI = "ALLOW { open, write, openat } DEFAULT KILL_PROCESS\n";
static const char *MULTI_ARM = "ALLOW { write, openat } DEFAULT KILL_PROCESS\n";

/* Without -a, sim takes the architecture of the filter's first AUDIT_ARCH
 * comparison: aarch64's openat is 56 with AUDIT_ARCH_AARCH64 (the host's
 * x86_64 would be a foreign arch, KILL_PROCESS). */
START_TEST(sim_infers_arch) {
  char *dir = tu_tmpdir();
  char *arm = compile_blob(dir, "arm.bpf", MULTI_ARM, "aarch64,arm");
  tu_result r = sf("sim", arm, "openat", "arm:write", "close", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "openat -> ALLOW") && strstr(r.out, "arm:write -> ALLOW") &&
                    strstr(r.out, "close -> KILL_PROCESS"),
                "%s", r.out);
  tu_result_free(&r);
  /* -a still decides. */
  r = sf("sim", "-a", "x86_64", arm, "openat", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "KILL_PROCESS") != NULL, "%s", r.out);
  tu_result_free(&r);
  /* The trace names i386's numbers in i386's section (6 is close there,
   * lstat on x86_64). */
  char *x86 = compile_blob(dir, "x86.bpf", MULTI, "x86_64,i386");
  r = sf("sim", "--trace", x86, "i386:open", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "; AUDIT_ARCH_I386") && strstr(r.out, "; close ") &&
                    !strstr(r.out, "lstat") && strstr(r.out, "\nALLOW  ("),
                "%s", r.out);
  tu_result_free(&r);
  free(arm);
  free(x86);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* stats reports each architecture the filter checks, -a's (or the first
 * one) first; a policy, each target of -a LIST. */
START_TEST(stats_multiarch_cli) {
  char *dir = tu_tmpdir();
  char *x86 = compile_blob(dir, "x86.bpf", MULTI, "x86_64,i386");
  tu_result r = sf("stats", x86, NULL);
  EXPECT_EXIT(r, 0);
  const char *x = strstr(r.out, "instructions (x86_64)\n");
  const char *i = strstr(r.out, "instructions (i386)\n");
  ck_assert_msg(x && i && x < i, "%s", r.out);
  /* Three allowed, all cached, in each: i386's through the compat bitmap. */
  ck_assert_msg(strstr(x, "allowed:     3 syscalls") && strstr(i, "allowed:     3 syscalls") &&
                    strstr(x, "cached:      3 always") && strstr(i, "cached:      3 always") &&
                    strstr(i, "i386 syscalls with all arguments zero"),
                "%s", r.out);
  tu_result r2 = sf("stats", "-a", "i386", x86, NULL);
  EXPECT_EXIT(r2, 0);
  x = strstr(r2.out, "instructions (x86_64)\n");
  i = strstr(r2.out, "instructions (i386)\n");
  ck_assert_msg(x && i && i < x, "%s", r2.out);
  tu_result_free(&r2);
  /* The policy for the same targets: the same report. */
  char *pol = tu_write(dir, "m.policy", MULTI);
  r2 = sf("stats", "-a", "x86_64,i386", pol, NULL);
  EXPECT_EXIT(r2, 0);
  ck_assert_str_eq(r2.out, r.out);
  tu_result_free(&r2);
  tu_result_free(&r);

  /* x32 shares x86_64's AUDIT_ARCH: reported when the filter has a section
   * for it (its numbers do not all get the bad-arch action), never cached;
   * each report names its bitmap. */
  char *x3 = compile_blob(dir, "x3.bpf", MULTI, "x86_64,i386,x32");
  r = sf("stats", x3, NULL);
  EXPECT_EXIT(r, 0);
  x = strstr(r.out, "instructions (x86_64)\n");
  const char *x32 = strstr(r.out, "instructions (x32)\n");
  i = strstr(r.out, "instructions (i386)\n");
  ck_assert_msg(x && x32 && i && strstr(r.out, "(1 of 3)") && strstr(x32, "allowed:     3 syscalls") &&
                    strstr(x32, "cached:      0 (x32 numbers are outside the kernel's action cache)") &&
                    strstr(x, "(native bitmap, Linux 5.11+)") &&
                    strstr(i, "(compat bitmap of a 64-bit kernel, Linux 5.11+)"),
                "%s", r.out);
  tu_result_free(&r);
  r = sf("stats", "-a", "x32", x3, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "target:      x32 (1 of 3)") && strstr(r.out, "x86_64 (2 of 3)"),
                "%s", r.out);
  tu_result_free(&r);
  /* Without an x32 section x32 is not reported. */
  r = sf("stats", "-a", "x32", x86, NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "target:      x32 (1 of 3)") && strstr(r.out, "allowed:     0 syscalls"),
                "%s", r.out);
  tu_result_free(&r);
  free(x3);

  char *arm = compile_blob(dir, "arm.bpf", MULTI_ARM, "aarch64,arm");
  r = sf("stats", arm, NULL);
  EXPECT_EXIT(r, 0);
  const char *a64 = strstr(r.out, "instructions (aarch64)\n");
  const char *a32 = strstr(r.out, "instructions (arm)\n");
  ck_assert_msg(a64 && a32 && a64 < a32 && strstr(a32, "allowed:     2 syscalls"),
                "%s", r.out);
  tu_result_free(&r);
  free(pol);
  free(x86);
  free(arm);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* A libseccomp filter, built at test time by a tiny program: ALLOW open
 * and write, ERRNO(1) otherwise; "both" adds i386 beside the native
 * x86_64, "i386" has i386 alone. */
static const char *LIBSECCOMP_SRC =
    "#include <fcntl.h>\n"
    "#include <seccomp.h>\n"
    "#include <string.h>\n"
    "int main(int argc, char **argv) {\n"
    "  if (argc != 3) return 2;\n"
    "  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));\n"
    "  if (!ctx) return 1;\n"
    "  int rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);\n"
    "  if (!rc && strcmp(argv[2], \"i386\") == 0)\n"
    "    rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);\n"
    "  if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 0);\n"
    "  if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 0);\n"
    "  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);\n"
    "  if (!rc && fd >= 0) rc = seccomp_export_bpf(ctx, fd);\n"
    "  seccomp_release(ctx);\n"
    "  return rc != 0 || fd < 0;\n"
    "}\n";

/* Build the exporter in DIR; its path, or NULL (after a loud skip). */
static char *libseccomp_exporter(const char *dir) {
  char *src = tu_write(dir, "export.c", LIBSECCOMP_SRC);
  size_t n = strlen(dir) + 16;
  char *exe = malloc(n);
  snprintf(exe, n, "%s/export", dir);
  tu_result r = tu_sh("cc -o '%s' '%s' -lseccomp 2>&1", exe, src);
  int ok = r.exited && r.status == 0;
  if (!ok)
    tu_skip("libseccomp_blobs", "cannot build a libseccomp program "
            "(apt-get install libseccomp-dev): %s", r.out);
  tu_result_free(&r);
  free(src);
  if (!ok) free(exe);
  return ok ? exe : NULL;
}

static char *libseccomp_blob(const char *dir, const char *exe, const char *which) {
  size_t n = strlen(dir) + strlen(which) + 8;
  char *path = malloc(n);
  snprintf(path, n, "%s/%s.bpf", dir, which);
  tu_result r = tu_sh("'%s' '%s' %s", exe, path, which);
  ck_assert_msg(r.exited && r.status == 0, "exporter failed: %s%s", r.out, r.err);
  tu_result_free(&r);
  return path;
}

START_TEST(libseccomp_blobs) {
  if (sf_arch_host() != sf_arch_by_name("x86_64")) {
    tu_skip("libseccomp_blobs", "libseccomp's native arch here is not x86_64");
    return;
  }
  char *dir = tu_tmpdir();
  char *exe = libseccomp_exporter(dir);
  if (!exe) {
    tu_rmtree(dir);
    free(dir);
    return;
  }
  char *both = libseccomp_blob(dir, exe, "both");
  /* i386's open is 5 (x86_64's fstat), x86_64's is 2. */
  tu_result r = sf("disasm", both, NULL);
  EXPECT_EXIT(r, 0);
  const char *i386 = strstr(r.out, "; AUDIT_ARCH_I386\n");
  ck_assert_msg(i386 && strstr(i386, "#5 ") && strstr(i386, "; open\n") &&
                    strstr(r.out, "; open\n") < i386 && !strstr(r.out, "fstat"),
                "%s", r.out);
  tu_result_free(&r);
  /* sim without -a: x86_64, the first arch checked. */
  r = sf("sim", "--trace", both, "open", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "0000: ld [4]") && strstr(r.out, "A=0xc000003e") &&
                    strstr(r.out, "\nALLOW  ("),
                "%s", r.out);
  tu_result_free(&r);
  r = sf("sim", both, "fstat", "i386:open", "i386:fstat", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "fstat -> ERRNO(1)") && strstr(r.out, "i386:open -> ALLOW") &&
                    strstr(r.out, "i386:fstat -> ERRNO(1)"),
                "%s", r.out);
  tu_result_free(&r);
  /* stats: both architectures, each with its two allowed calls cached. */
  r = sf("stats", both, NULL);
  EXPECT_EXIT(r, 0);
  const char *x = strstr(r.out, "instructions (x86_64)\n");
  const char *i = strstr(r.out, "instructions (i386)\n");
  ck_assert_msg(x && i && x < i && strstr(x, "allowed:     2 syscalls") &&
                    strstr(i, "allowed:     2 syscalls") && strstr(i, "cached:      2 always"),
                "%s", r.out);
  tu_result_free(&r);
  /* i386 alone: sim infers i386 (open is 5 with AUDIT_ARCH_I386). */
  char *only = libseccomp_blob(dir, exe, "i386");
  r = sf("sim", only, "open", "write", NULL);
  EXPECT_EXIT(r, 0);
  ck_assert_msg(strstr(r.out, "open -> ALLOW") && strstr(r.out, "write -> ALLOW"),
                "%s", r.out);
  tu_result_free(&r);
  free(only);
  free(both);
  free(exe);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

START_TEST(tool_errors) {
  char *dir = tu_tmpdir();
  char *pol = tu_write(dir, "p.policy", POLICY);
  char *bad = tu_write(dir, "bad.policy", "ALLOW { opneat }\n");
  /* One instruction with an unknown opcode: a blob, but invalid. */
  char *inv = tu_write(dir, "inv.bpf", "ABCDEFGH");
  char *odd = tu_write(dir, "odd.bpf", "1234567");
  char bpf[4096];
  snprintf(bpf, sizeof bpf, "%s/p.bpf", dir);
  tu_result c = sf("compile", "-a", "x86_64", pol, "-o", bpf, NULL);
  EXPECT_EXIT(c, 0);
  tu_result_free(&c);
  struct {
    const char *args[7];
    int status;
    const char *says;
  } cases[] = {
      {{"eval", pol, "opnat(1)"}, 2, "did you mean 'openat'?"},
      {{"eval", pol, "read", "read(1,2,3,4,5,6,7)"}, 2, "too many arguments"},
      {{"eval", pol, "read(0x)"}, 2, "bad number '0x'"},
      {{"eval", pol, "read(NOPE)"}, 2, "NOPE"},
      {{"eval", pol}, 2, "missing call"},
      {{"eval"}, 2, "missing input"},
      {{"eval", "--trace", pol, "read"}, 2, "--trace"},
      {{"eval", "-a", "vax", pol, "read"}, 2, "vax"},
      {{"eval", bad, "read"}, 1, "opneat"},
      {{"eval", "/nonexistent/x.policy", "read"}, 2, "x.policy"},
      {{"sim", inv, "read"}, 1, "invalid seccomp filter"},
      {{"sim", odd, "read"}, 1, "8-byte"},
      {{"sim", bpf}, 2, "missing call"},
      {{"sim", bpf, "read(MYFD)"}, 2, "MYFD"},
      {{"sim", "-I", dir, bpf, "read"}, 2, "--include"},
      {{"sim", "/nonexistent/x.bpf", "read"}, 2, "x.bpf"},
      {{"stats", bad}, 1, "opneat"},
      {{"stats", inv, "--blob"}, 1, "invalid seccomp filter"},
      {{"stats", pol, pol}, 2, "too many"},
      {{"stats", "-a", "vax", pol}, 2, "vax"},
      {{"stats", "/nonexistent/x.bpf"}, 2, "x.bpf"},
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    const char *const *a = cases[i].args;
    tu_result r = sf(a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL);
    ck_assert_msg(r.exited && r.status == cases[i].status,
                  "case %zu (%s): exit %d, want %d\n%s", i, a[0], r.status,
                  cases[i].status, r.err);
    ck_assert_msg(strstr(r.err, cases[i].says) != NULL, "case %zu: stderr lacks '%s': %s",
                  i, cases[i].says, r.err);
    ck_assert_msg(cases[i].status != 2 || r.out[0] == '\0', "case %zu printed: %s", i, r.out);
    tu_result_free(&r);
  }
  free(pol);
  free(bad);
  free(inv);
  free(odd);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(tool_help) {
  tu_result r = sf("--help", NULL);
  EXPECT_EXIT(r, 0);
  const char *want[] = {"eval POLICY CALL", "sim FILE.bpf CALL", "stats FILE"};
  for (size_t i = 0; i < N_OF(want); i++)
    ck_assert_msg(strstr(r.out, want[i]) != NULL, "help lacks '%s'", want[i]);
  tu_result_free(&r);
  /* Each command's own help has its options and the CALL syntax. */
  const char *cmd_want[][4] = {{"sim", "--trace", "x32:read", "i386:open"},
                               {"stats", "--blob", "--policy", "--profile"},
                               {"eval", "--define", "x32:read", "--bad-arch"}};
  for (size_t i = 0; i < N_OF(cmd_want); i++) {
    r = sf(cmd_want[i][0], "--help", NULL);
    EXPECT_EXIT(r, 0);
    for (int j = 1; j < 4; j++)
      ck_assert_msg(strstr(r.out, cmd_want[i][j]) != NULL, "%s --help lacks '%s':\n%s",
                    cmd_want[i][0], cmd_want[i][j], r.out);
    ck_assert_msg(!strstr(r.out, "--output"), "%s --help lists --output", cmd_want[i][0]);
    tu_result_free(&r);
  }
}
END_TEST

static Suite *tools_suite(void) {
  Suite *s = suite_create("tools");
  TCase *tc = tcase_create("api");
  tcase_add_test(tc, call_syntax);
  tcase_add_test(tc, call_abi_prefix);
  tcase_add_test(tc, call_constants);
  tcase_add_test(tc, call_errors);
  tcase_add_test(tc, eval_api);
  tcase_add_test(tc, eval_multi_api);
  tcase_add_test(tc, sim_equals_eval_api);
  tcase_add_test(tc, trace_api);
  tcase_add_test(tc, stats_tiny_api);
  tcase_add_test(tc, stats_cache_api);
  tcase_add_test(tc, stats_worst_api);
  tcase_add_test(tc, const_allow_emulation);
  tcase_add_test(tc, stats_x32_never_cached);
  suite_add_tcase(s, tc);
  tc = tcase_create("cli");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, eval_cli);
  tcase_add_test(tc, eval_multi_cli);
  tcase_add_test(tc, stats_multi_cli);
  tcase_add_test(tc, sim_equals_eval_cli);
  tcase_add_test(tc, trace_cli);
  tcase_add_test(tc, stats_cli);
  tcase_add_test(tc, stats_blob_equals_policy);
  tcase_add_test(tc, sim_infers_arch);
  tcase_add_test(tc, stats_multiarch_cli);
  tcase_add_test(tc, libseccomp_blobs);
  tcase_add_test(tc, tool_errors);
  tcase_add_test(tc, tool_help);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_tools: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(tools_suite());
}
