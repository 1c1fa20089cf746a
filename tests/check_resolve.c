/* check_resolve.c - the architecture tables (src/arch/, src/arch/tables/) and
 * name resolution (resolve.c): constants, policies and USE, syscall names,
 * ON guards, argument names and widths, folding, dead rules, and the exact
 * diagnostics with their locations. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

/* ---- helpers --------------------------------------------------------------- */

static sysfence_ctx *ctx;
static const char *text; /* the policy of the last resolve() */
/* NAME, VALUE, ..., NULL: run-time constants for the next resolve() only. */
static const char *const *next_defines;

static void teardown(void) {
  sysfence_free(ctx);
  ctx = NULL;
}

/* Parse and resolve TXT for ARCH; the parse must succeed. */
static const sf_ruleset *resolve(const char *arch, const char *txt) {
  sysfence_free(ctx);
  ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(sysfence_set_arch(ctx, arch), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_input_string(ctx, "t.policy", txt), SYSFENCE_OK);
  for (size_t i = 0; next_defines && next_defines[i]; i += 2)
    ck_assert_int_eq(sysfence_define(ctx, next_defines[i], next_defines[i + 1]),
                     SYSFENCE_OK);
  next_defines = NULL;
  text = txt;
  ck_assert_int_eq(sf_ctx_reset(ctx), 0);
  const sf_source *src = sf_load_main_source(ctx);
  ck_assert_ptr_nonnull(src);
  ast_file *f = sf_parse(ctx, src);
  ck_assert_msg(f && ctx->n_errors == 0, "parse failed: %s",
                sysfence_diag_text(ctx));
  return sf_resolve(ctx, f);
}

static const sf_ruleset *ok(const char *arch, const char *txt) {
  const sf_ruleset *rs = resolve(arch, txt);
  ck_assert_msg(rs != NULL, "resolve failed for %s:\n%s", txt,
                sysfence_diag_text(ctx));
  return rs;
}

static void fails(const char *arch, const char *txt) {
  const sf_ruleset *rs = resolve(arch, txt);
  ck_assert_msg(rs == NULL, "resolve succeeded for %s", txt);
  ck_assert_uint_gt(sysfence_error_count(ctx), 0);
}

/* 1-based column of the Nth (0-based) occurrence of NEEDLE in the line of
 * the policy where it occurs. */
static int col_n(const char *needle, int nth) {
  const char *p = text;
  for (int i = 0; p && i <= nth; i++) {
    p = strstr(i ? p + 1 : p, needle);
  }
  ck_assert_msg(p != NULL, "'%s' not in the policy", needle);
  const char *bol = p;
  while (bol > text && bol[-1] != '\n') bol--;
  return (int)(p - bol) + 1;
}
static int col(const char *needle) { return col_n(needle, 0); }
static int line_of(const char *needle) {
  const char *p = strstr(text, needle);
  ck_assert_ptr_nonnull(p);
  int line = 1;
  for (const char *q = text; q < p; q++) line += *q == '\n';
  return line;
}

static size_t count(sysfence_severity sev) {
  size_t n = 0;
  for (size_t i = 0; i < sysfence_diag_count(ctx); i++)
    if (sysfence_diag_get(ctx, i)->severity == sev) n++;
  return n;
}

/* Assert a diagnostic SEV with exactly MSG at LINE:COL exists; returns its
 * index. */
static size_t expect(sysfence_severity sev, int line, int column,
                     const char *msg) {
  for (size_t i = 0; i < sysfence_diag_count(ctx); i++) {
    const sysfence_diag *d = sysfence_diag_get(ctx, i);
    if (d->severity == sev && strcmp(d->message, msg) == 0 &&
        d->line == line && d->column == column)
      return i;
  }
  ck_abort_msg("no diagnostic '%s' at %d:%d; got:\n%s", msg, line, column,
               sysfence_diag_text(ctx));
  return 0;
}
#define ERR(l, c, m) expect(SYSFENCE_ERROR, l, c, m)
#define WARN(l, c, m) expect(SYSFENCE_WARNING, l, c, m)
#define NOTE(l, c, m) expect(SYSFENCE_NOTE, l, c, m)

static const sf_sysrules *sys_nr(const sf_ruleset *rs, uint32_t nr) {
  for (size_t i = 0; i < rs->n_sys; i++)
    if (rs->sys[i].nr == nr) return &rs->sys[i];
  return NULL;
}

static const sf_sysrules *sys_named(const sf_ruleset *rs, const char *name) {
  const sf_syscall *s = sf_syscall_by_name(rs->arch, name);
  ck_assert_msg(s != NULL, "no syscall %s on %s", name, rs->arch->name);
  const sf_sysrules *r = sys_nr(rs, s->nr);
  ck_assert_msg(r != NULL, "no rules for %s", name);
  return r;
}

/* The action for syscall NAME with arguments A0.. on the ruleset's arch. */
static uint32_t decide(const sf_ruleset *rs, const char *name, uint64_t a0,
                       uint64_t a1, uint64_t a2, uint64_t a3) {
  const sf_syscall *s = sf_syscall_by_name(rs->arch, name);
  ck_assert_ptr_nonnull(s);
  sf_query c = {s->nr, rs->arch->audit_arch, {a0, a1, a2, a3, 0, 0}};
  return sf_ruleset_decide(rs, &c, NULL);
}

/* ---- run-time constants (-D, SYSFENCE_PID) ------------------------------------ */

START_TEST(test_runtime_constants) {
  /* Usable wherever a #define'd constant is: arguments, actions. */
  next_defines = (const char *const[]){"FD", "7", "E", "0x0d", "NEG", "-2", NULL};
  const sf_ruleset *rs = ok("x86_64", "ERRNO(E) { write { fd == FD } }\n"
                                      "ALLOW { lseek { offset == NEG } }\n");
  ck_assert_uint_eq(decide(rs, "write", 7, 0, 0, 0), SF_RET_ERRNO | 13);
  ck_assert_uint_eq(decide(rs, "write", 8, 0, 0, 0), SF_RET_KILL_THREAD);
  ck_assert_uint_eq(decide(rs, "lseek", 0, (uint64_t)-2, 0, 0), SF_RET_ALLOW);
  /* A 32-bit argument reads the negative constant at 32 bits. */
  next_defines = (const char *const[]){"NEG", "-2", NULL};
  rs = ok("x86_64", "ALLOW { write { fd == NEG } }");
  ck_assert_uint_eq(decide(rs, "write", 0xfffffffe, 0, 0, 0), SF_RET_ALLOW);
  /* The policy may #define the same value; another value is an error that
   * says where the first came from. */
  next_defines = (const char *const[]){"FD", "7", NULL};
  rs = ok("x86_64", "#define FD 7\nALLOW { write { fd == FD } }");
  ck_assert_uint_eq(decide(rs, "write", 7, 0, 0, 0), SF_RET_ALLOW);
  next_defines = (const char *const[]){"FD", "7", NULL};
  fails("x86_64", "#define FD 8\nALLOW { write { fd == FD } }");
  ERR(1, 9, "'FD' is redefined with a different value (8, was 7)");
  NOTE(0, 0, "'FD' is defined for this compilation (-D FD=7)");
  /* Nor may a -D replace a syscall or argument name. */
  next_defines = (const char *const[]){"read", "1", NULL};
  fails("x86_64", "ALLOW { write }");
  ERR(0, 0, "-D read: 'read' is a syscall or argument name; a constant would "
            "silently replace it");
  /* Without a definition, SYSFENCE_PID is an error naming who defines it. */
  fails("x86_64", "ALLOW { kill { pid == SYSFENCE_PID } }");
  ERR(1, col("SYSFENCE_PID"), "'SYSFENCE_PID' is not defined: it is the pid of "
                              "the process the filter is for, which 'sysfence run' "
                              "defines");
  NOTE(1, col("SYSFENCE_PID"), "to compile the policy ahead, give the pid with "
                               "-D SYSFENCE_PID=PID");
  fails("x86_64", "ERRNO(SYSFENCE_PID) { kill }");
  ck_assert_msg(strstr(sysfence_diag_text(ctx), "'SYSFENCE_PID' is not defined"),
                "%s", sysfence_diag_text(ctx));
  next_defines = (const char *const[]){"SYSFENCE_PID", "4242", NULL};
  rs = ok("x86_64", "ERRNO(1) { kill { pid != SYSFENCE_PID } } DEFAULT ALLOW");
  ck_assert_uint_eq(decide(rs, "kill", 4242, 15, 0, 0), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(rs, "kill", 4243, 15, 0, 0), SF_RET_ERRNO | 1);
  ck_assert_uint_eq(decide(rs, "kill", 0, 15, 0, 0), SF_RET_ERRNO | 1);
}
END_TEST

START_TEST(test_define_api) {
  sysfence_ctx *c = sysfence_new();
  ck_assert_ptr_nonnull(c);
  const char *bad_names[] = {"", "9a", "a-b", "a b", "é"};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
    ck_assert_int_eq(sysfence_define(c, bad_names[i], "1"), SYSFENCE_EUSAGE);
  const char *bad_values[] = {"", "-", "x", "09", "0x", "1.5", " 1",
                              "18446744073709551616", "-9223372036854775809"};
  for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++)
    ck_assert_msg(sysfence_define(c, "N", bad_values[i]) == SYSFENCE_EUSAGE,
                  "value '%s' accepted", bad_values[i]);
  ck_assert_int_eq(sysfence_define(NULL, "N", "1"), SYSFENCE_EUSAGE);
  ck_assert_int_eq(sysfence_define(c, NULL, "1"), SYSFENCE_EUSAGE);
  ck_assert_int_eq(sysfence_define(c, "N", NULL), SYSFENCE_EUSAGE);
  /* The last definition wins; clearing forgets them all. */
  ck_assert_int_eq(sysfence_define(c, "N", "0b101"), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_define(c, "N", "017"), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_define(c, "M", "18446744073709551615"), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_input_string(c, "t", "ERRNO(N) { read }"), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_check(c), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_input_string(c, "t", "#define N 15\nERRNO(N) { read }"),
                   SYSFENCE_OK);
  ck_assert_int_eq(sysfence_check(c), SYSFENCE_OK);
  sysfence_clear_defines(c);
  ck_assert_int_eq(sysfence_set_input_string(c, "t", "ERRNO(N) { read }"), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_check(c), SYSFENCE_EPOLICY);
  sysfence_clear_defines(NULL);
  sysfence_free(c);
}
END_TEST

/* ---- architecture tables ------------------------------------------------------- */

START_TEST(test_arch_names) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  ck_assert_uint_eq(n, 23);
  ck_assert_ptr_nonnull(all);
  ck_assert_str_eq(sf_arch_by_name("amd64")->name, "x86_64");
  ck_assert_str_eq(sf_arch_by_name("X86_64")->name, "x86_64");
  ck_assert_str_eq(sf_arch_by_name("x86")->name, "i386");
  ck_assert_str_eq(sf_arch_by_name("i686")->name, "i386");
  ck_assert_str_eq(sf_arch_by_name("I386")->name, "i386");
  ck_assert_str_eq(sf_arch_by_name("arm64")->name, "aarch64");
  ck_assert_str_eq(sf_arch_by_name("ppc64el")->name, "ppc64le");
  ck_assert_ptr_null(sf_arch_by_name("vax"));
  ck_assert_ptr_null(sf_arch_by_name(NULL));
  ck_assert_ptr_nonnull(sf_arch_host());
#if defined(__x86_64__) && !defined(__ILP32__)
  ck_assert_str_eq(sf_arch_host()->name, "x86_64");
#endif
  /* Every table is sorted by name and by number. */
  for (size_t i = 0; i < n; i++) {
    const sf_arch *a = all[i];
    ck_assert_uint_gt(a->n_syscalls, 300);
    for (size_t j = 1; j < a->n_syscalls; j++) {
      ck_assert_int_lt(strcmp(a->syscalls[j - 1].name, a->syscalls[j].name), 0);
      ck_assert_uint_lt(a->by_nr[j - 1]->nr, a->by_nr[j]->nr);
    }
    ck_assert_ptr_eq(sf_arch_by_name(a->name), a);
    ck_assert_int_eq(a->bits, (a->audit_arch & 0x80000000u) ? 64 : 32);
    ck_assert_int_eq(a->big_endian, !(a->audit_arch & 0x40000000u));
  }
}
END_TEST

START_TEST(test_arch_values) {
  static const struct {
    const char *name;
    uint32_t audit;
    int be;
  } want[] = {
      {"i386", 0x40000003, 0},     {"x86_64", 0xc000003e, 0},
      {"x32", 0xc000003e, 0},      {"arm", 0x40000028, 0},
      {"aarch64", 0xc00000b7, 0},  {"loongarch64", 0xc0000102, 0},
      {"m68k", 0x4, 1},            {"mips", 0x8, 1},
      {"mipsel", 0x40000008, 0},   {"mips64", 0x80000008, 1},
      {"mips64el", 0xc0000008, 0}, {"mips64n32", 0xa0000008, 1},
      {"mips64n32el", 0xe0000008, 0}, {"parisc", 0xf, 1},
      {"parisc64", 0x8000000f, 1}, {"ppc", 0x14, 1},
      {"ppc64", 0x80000015, 1},    {"ppc64le", 0xc0000015, 0},
      {"riscv64", 0xc00000f3, 0},  {"s390", 0x16, 1},
      {"s390x", 0x80000016, 1},    {"sh", 0x2a, 1},
      {"shel", 0x4000002a, 0},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const sf_arch *a = sf_arch_by_name(want[i].name);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->audit_arch, want[i].audit);
    ck_assert_int_eq(a->big_endian, want[i].be);
  }
  /* ABI bases. */
  ck_assert_uint_eq(sf_syscall_by_name(sf_arch_by_name("mips"), "read")->nr, 4003);
  ck_assert_uint_eq(sf_syscall_by_name(sf_arch_by_name("mips64el"), "read")->nr, 5000);
  ck_assert_uint_eq(sf_syscall_by_name(sf_arch_by_name("mips64n32"), "read")->nr, 6000);
  ck_assert_uint_eq(sf_syscall_by_name(sf_arch_by_name("x32"), "read")->nr, 0x40000000);
  ck_assert_uint_eq(sf_syscall_by_name(sf_arch_by_name("arm"), "cacheflush")->nr, 0xf0002);
  /* syscall_64.tbl: "453 64 map_shadow_stack", x86_64's alone (the CSV
   * gives x32 a number too; the kernel has none). */
  ck_assert_uint_eq(sf_syscall_by_name(sf_arch_by_name("x86_64"), "map_shadow_stack")->nr, 453);
  ck_assert_ptr_null(sf_syscall_by_name(sf_arch_by_name("x32"), "map_shadow_stack"));
  ck_assert_ptr_null(sf_syscall_by_nr(sf_arch_by_name("x32"), 0x40000000 + 453));
}
END_TEST

START_TEST(test_arch_lookup) {
  const sf_arch *x64 = sf_arch_by_name("x86_64"), *i386 = sf_arch_by_name("i386");
  ck_assert_uint_eq(sf_syscall_by_name(x64, "read")->nr, 0);
  ck_assert_str_eq(sf_syscall_by_nr(x64, 257)->name, "openat");
  ck_assert_ptr_null(sf_syscall_by_nr(x64, 100000));
  ck_assert_ptr_null(sf_syscall_by_name(x64, "nosuch"));
  /* Kafel's kernel-internal names on x86_64. */
  ck_assert_str_eq(sf_syscall_by_name(x64, "newstat")->name, "stat");
  ck_assert_str_eq(sf_syscall_by_name(x64, "newfstat")->name, "fstat");
  ck_assert_str_eq(sf_syscall_by_name(x64, "newlstat")->name, "lstat");
  ck_assert_str_eq(sf_syscall_by_name(x64, "newuname")->name, "uname");
  ck_assert_str_eq(sf_syscall_by_name(x64, "sendfile64")->name, "sendfile");
  ck_assert_str_eq(sf_syscall_by_name(x64, "umount")->name, "umount2");
  ck_assert_str_eq(sf_syscall_by_name(x64, "sysctl")->name, "_sysctl");
  ck_assert_uint_eq(sf_syscall_by_name(x64, "umount")->nr, 166);
  /* ... but not where the alias is a syscall itself. */
  ck_assert_uint_eq(sf_syscall_by_name(i386, "sendfile64")->nr, 239);
  ck_assert_uint_eq(sf_syscall_by_name(i386, "sendfile")->nr, 187);
  ck_assert_uint_eq(sf_syscall_by_name(i386, "umount")->nr, 22);
  ck_assert_uint_eq(sf_syscall_by_name(i386, "umount2")->nr, 52);
  /* Known names (for #define). */
  ck_assert(sf_is_known_syscall_or_arg("fd"));
  ck_assert(sf_is_known_syscall_or_arg("read"));
  ck_assert(sf_is_known_syscall_or_arg("newstat"));
  ck_assert(sf_is_known_syscall_or_arg("cacheflush"));
  ck_assert(!sf_is_known_syscall_or_arg("O_RDONLY"));
  ck_assert(!sf_is_known_syscall_or_arg("STDOUT"));
}
END_TEST

START_TEST(test_arch_args) {
  const sf_arch *x64 = sf_arch_by_name("x86_64"), *i386 = sf_arch_by_name("i386");
  const sf_syscall *s = sf_syscall_by_name(x64, "openat");
  ck_assert_int_eq(s->nargs, 4);
  ck_assert_str_eq(s->args[0].name, "dfd");
  ck_assert_int_eq(s->args[0].bits, 32);
  ck_assert_int_eq(s->args[1].bits, 64);
  ck_assert_str_eq(s->args[3].name, "mode");
  ck_assert_int_eq(s->args[3].bits, 16);
  ck_assert_int_eq(sf_syscall_by_name(x64, "tuxcall")->nargs, -1);
  /* 32-bit ABI: at most 32 bits; 16-bit types stay 16. */
  s = sf_syscall_by_name(i386, "openat");
  ck_assert_int_eq(s->args[1].bits, 32);
  ck_assert_int_eq(s->args[3].bits, 16);
  s = sf_syscall_by_name(i386, "mmap2");
  ck_assert_int_eq(s->nargs, 6);
  ck_assert_str_eq(s->args[5].name, "pgoff");
  ck_assert_int_eq(s->args[5].bits, 32);
  ck_assert_str_eq(sf_syscall_by_name(i386, "_llseek")->args[1].name, "offset_high");
  /* i386 16-bit uid calls. */
  s = sf_syscall_by_name(i386, "chown");
  ck_assert_int_eq(s->args[1].bits, 16);
  ck_assert_int_eq(sf_syscall_by_name(i386, "chown32")->args[1].bits, 32);
  ck_assert_uint_eq(sf_syscall_by_name(i386, "getuid")->nr, 24);
  ck_assert_uint_eq(sf_syscall_by_name(i386, "getuid32")->nr, 199);
  /* 64-bit scalars on 32-bit ABIs: the list stops before them. */
  ck_assert_int_eq(sf_syscall_by_name(i386, "pread64")->nargs, 3);
  ck_assert_int_eq(sf_syscall_by_name(x64, "pread64")->nargs, 4);
  /* clone's argument order. */
  ck_assert_str_eq(sf_syscall_by_name(x64, "clone")->args[3].name, "child_tidptr");
  ck_assert_str_eq(sf_syscall_by_name(i386, "clone")->args[3].name, "tls");
  ck_assert_str_eq(sf_syscall_by_name(sf_arch_by_name("aarch64"), "clone")->args[3].name, "tls");
  ck_assert_str_eq(sf_syscall_by_name(sf_arch_by_name("s390x"), "clone")->args[0].name, "newsp");
  ck_assert_str_eq(sf_syscall_by_name(sf_arch_by_name("riscv64"), "clone")->args[3].name, "tls");
}
END_TEST

START_TEST(test_arch_foreign_offsets) {
  const sf_arch *x64 = sf_arch_by_name("x86_64"), *x32 = sf_arch_by_name("x32");
  const sf_arch *mips = sf_arch_by_name("mips"), *arm = sf_arch_by_name("aarch64");
  ck_assert(!sf_arch_nr_is_foreign(x64, 0));
  ck_assert(!sf_arch_nr_is_foreign(x64, 0x3fffffff));
  ck_assert(sf_arch_nr_is_foreign(x64, 0x40000000));
  ck_assert(sf_arch_nr_is_foreign(x64, 0xfffffffe));
  ck_assert(!sf_arch_nr_is_foreign(x64, 0xffffffff));
  ck_assert(sf_arch_nr_is_foreign(x32, 0));
  ck_assert(sf_arch_nr_is_foreign(x32, 0x3fffffff));
  ck_assert(!sf_arch_nr_is_foreign(x32, 0x40000000));
  ck_assert(!sf_arch_nr_is_foreign(x32, 0xffffffff));
  ck_assert(!sf_arch_nr_is_foreign(arm, 0x40000000));
  ck_assert_uint_eq(sf_arg_lo_offset(x64, 0), 16);
  ck_assert_uint_eq(sf_arg_hi_offset(x64, 0), 20);
  ck_assert_uint_eq(sf_arg_lo_offset(x64, 5), 56);
  ck_assert_uint_eq(sf_arg_lo_offset(mips, 1), 28);
  ck_assert_uint_eq(sf_arg_hi_offset(mips, 1), 24);
}
END_TEST

/* clone's argument positions, from the kernel's sources (torvalds/linux),
 * not from the tables under test.  kernel/fork.c declares sys_clone in the
 * layout the architecture's Kconfig selects:
 *   CONFIG_CLONE_BACKWARDS:  clone_flags, newsp, parent_tidptr, tls,
 *                            child_tidptr  (arch/{x86 if X86_32,arm,arm64,
 *                            mips,parisc,powerpc,riscv}/Kconfig; i386 on a
 *                            64-bit kernel: arch/x86/kernel/sys_ia32.c
 *                            ia32_clone, the same order)
 *   CONFIG_CLONE_BACKWARDS2: newsp, clone_flags, parent_tidptr,
 *                            child_tidptr, tls  (arch/s390/Kconfig)
 *   neither:                 clone_flags, newsp, parent_tidptr,
 *                            child_tidptr, tls  (x86_64 and x32, loongarch,
 *                            sh; m68k's m68k_clone in
 *                            arch/m68k/kernel/process.c reads them from d1..d5
 *                            in this order)
 * Byte-order twins share their layout. */
static const char *const clone_arg[5] = {"clone_flags", "newsp", "parent_tidptr",
                                         "child_tidptr", "tls"};
static const struct {
  const char *arch;
  int pos[5]; /* position of clone_arg[i] */
} clone_want[] = {
    {"i386", {0, 1, 2, 4, 3}},        {"x86_64", {0, 1, 2, 3, 4}},
    {"x32", {0, 1, 2, 3, 4}},         {"arm", {0, 1, 2, 4, 3}},
    {"aarch64", {0, 1, 2, 4, 3}},     {"loongarch64", {0, 1, 2, 3, 4}},
    {"m68k", {0, 1, 2, 3, 4}},        {"mips", {0, 1, 2, 4, 3}},
    {"mipsel", {0, 1, 2, 4, 3}},      {"mips64", {0, 1, 2, 4, 3}},
    {"mips64el", {0, 1, 2, 4, 3}},    {"mips64n32", {0, 1, 2, 4, 3}},
    {"mips64n32el", {0, 1, 2, 4, 3}}, {"parisc", {0, 1, 2, 4, 3}},
    {"parisc64", {0, 1, 2, 4, 3}},    {"ppc", {0, 1, 2, 4, 3}},
    {"ppc64", {0, 1, 2, 4, 3}},       {"ppc64le", {0, 1, 2, 4, 3}},
    {"riscv64", {0, 1, 2, 4, 3}},     {"s390", {1, 0, 2, 3, 4}},
    {"s390x", {1, 0, 2, 3, 4}},       {"sh", {0, 1, 2, 3, 4}},
    {"shel", {0, 1, 2, 3, 4}},
};
enum { N_CLONE_WANT = sizeof clone_want / sizeof clone_want[0] };

START_TEST(test_clone_arg_positions) {
  /* Every architecture sysfence knows is in the table above. */
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  ck_assert_uint_eq(n, N_CLONE_WANT);
  for (size_t i = 0; i < n; i++) {
    int found = 0;
    for (size_t j = 0; j < N_CLONE_WANT; j++)
      found |= strcmp(all[i]->name, clone_want[j].arch) == 0;
    ck_assert_msg(found, "%s: no expected clone layout", all[i]->name);
  }
  for (size_t j = 0; j < N_CLONE_WANT; j++) {
    const sf_arch *a = sf_arch_by_name(clone_want[j].arch);
    ck_assert_ptr_nonnull(a);
    const sf_syscall *s = sf_syscall_by_name(a, "clone");
    ck_assert_msg(s && s->nargs == 5, "%s: clone has not 5 arguments", a->name);
    for (int i = 0; i < 5; i++) {
      const char *got = s->args[clone_want[j].pos[i]].name;
      ck_assert_msg(strcmp(got, clone_arg[i]) == 0,
                    "%s: clone argument %d is %s, the kernel's is %s", a->name,
                    clone_want[j].pos[i], got, clone_arg[i]);
    }
  }
}
END_TEST

/* The compiled filter tests the register the kernel reads: NAME == 0 on
 * clone refuses a nonzero value exactly at NAME's kernel position. */
static void check_clone_filter(const sf_arch *a, const int pos[5], int i) {
  char src[128];
  snprintf(src, sizeof src, "ALLOW { clone { %s == 0 } } DEFAULT ERRNO(1)",
           clone_arg[i]);
  struct sock_fprog prog;
  char *diags = NULL;
  int rc = tu_compile(src, a->name, &prog, &diags);
  ck_assert_msg(rc == SYSFENCE_OK, "%s: %s: %s", a->name, src, diags);
  free(diags);
  const sf_syscall *s = sf_syscall_by_name(a, "clone");
  for (int p = -1; p < SF_MAX_ARGS; p++) { /* -1: all arguments zero */
    sf_seccomp_data d = {.nr = s->nr, .arch = a->audit_arch};
    if (p >= 0) d.args[p] = 0x1234;
    uint32_t want = p == pos[i] ? SF_RET_ERRNO | 1 : SF_RET_ALLOW;
    uint32_t got = sf_bpf_run(prog.filter, prog.len, a, &d, NULL);
    ck_assert_msg(got == want, "%s: %s with 0x1234 at position %d: %#x, want %#x",
                  a->name, src, p, got, want);
  }
  free(prog.filter);
}

START_TEST(test_clone_arg_filter) {
  for (size_t j = 0; j < N_CLONE_WANT; j++) {
    const sf_arch *a = sf_arch_by_name(clone_want[j].arch);
    ck_assert_ptr_nonnull(a);
    for (int i = 0; i < 5; i++) check_clone_filter(a, clone_want[j].pos, i);
  }
}
END_TEST

/* ---- resolution: basics ---------------------------------------------------------- */

START_TEST(test_basic_and_default) {
  const sf_ruleset *rs = ok("x86_64", "ALLOW { read, write }");
  ck_assert_uint_eq(rs->default_action, SF_RET_KILL_THREAD);
  ck_assert_uint_eq(rs->n_sys, 2);
  ck_assert_uint_eq(rs->sys[0].nr, 0);
  ck_assert_str_eq(rs->sys[0].name, "read");
  ck_assert_uint_eq(rs->sys[1].nr, 1);
  ck_assert_uint_eq(rs->sys[0].n_rules, 1);
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  ck_assert_uint_eq(rs->sys[0].rules[0].action, SF_RET_ALLOW);
  ck_assert_uint_eq(rs->bad_arch_action, SF_RET_KILL_PROCESS);
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);

  rs = ok("x86_64", "DEFAULT ERRNO(38) ALLOW { read }");
  ck_assert_uint_eq(rs->default_action, SF_RET_ERRNO | 38);

  fails("x86_64", "DEFAULT ALLOW\nALLOW { read }\nDEFAULT KILL");
  ERR(3, 1, "DEFAULT is given twice");
  NOTE(1, 1, "the first DEFAULT is here");
}
END_TEST

START_TEST(test_actions) {
  static const struct {
    const char *act;
    uint32_t v;
  } t[] = {
      {"ALLOW", 0x7fff0000},        {"LOG", 0x7ffc0000},
      {"KILL", 0},                  {"KILL_THREAD", 0},
      {"DENY", 0},                  {"KILL_PROCESS", 0x80000000},
      {"USER_NOTIF", 0x7fc00000},   {"ERRNO(1)", 0x50001},
      {"TRAP(7)", 0x30007},         {"TRACE(65535)", 0x7ff0ffff},
      {"ERRNO(4095)", 0x50fff},
  };
  char buf[100];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    snprintf(buf, sizeof buf, "%s { read } DEFAULT %s", t[i].act, t[i].act);
    const sf_ruleset *rs = ok("x86_64", buf);
    ck_assert_uint_eq(rs->sys[0].rules[0].action, t[i].v);
    ck_assert_uint_eq(rs->default_action, t[i].v);
    ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  }
  fails("x86_64", "ERRNO(65536) { read }");
  ERR(1, 7, "ERRNO value 65536 is out of range: seccomp keeps 16 bits (0..65535)");
  fails("x86_64", "ALLOW { read } DEFAULT TRACE(70000)");
  ERR(1, col("70000"), "TRACE value 70000 is out of range: seccomp keeps 16 bits (0..65535)");
  const sf_ruleset *rs = ok("x86_64", "ERRNO(5000) { read }");
  ck_assert_uint_eq(rs->sys[0].rules[0].action, 0x50000 | 5000);
  WARN(1, 7, "ERRNO(5000) is above 4095 (MAX_ERRNO); the kernel clamps it to 4095");
}
END_TEST

START_TEST(test_define) {
  const sf_ruleset *rs =
      ok("x86_64", "#define ONE 1\n#define ONE 1\nALLOW { write { fd == ONE } }");
  ck_assert_uint_eq(rs->sys[0].rules[0].cond->rhs->k, 1);

  fails("x86_64", "#define ONE 1\n#define ONE 2\n");
  ERR(2, 9, "'ONE' is redefined with a different value (2, was 1)");
  NOTE(1, 9, "previous definition of 'ONE' is here");

  fails("x86_64", "#define fd 5\nALLOW { read { fd == 1 } }");
  ERR(1, 9, "'fd' is an argument name; a #define would silently replace it");
  fails("x86_64", "#define read 0\n");
  ERR(1, 9, "'read' is a syscall name; a #define would silently replace it");
  fails("x86_64", "#define newstat 4\n");
  ERR(1, 9, "'newstat' is a syscall name; a #define would silently replace it");
  /* An argument name of another architecture counts too. */
  fails("x86_64", "#define cstat_range 4\n");

  /* Constants are visible only after their definition. */
  fails("x86_64", "ALLOW { read { fd == X } }\n#define X 1");
  ERR(1, col("X }"), "'X' is neither an argument of 'read' nor a constant");

  /* A constant as a syscall number. */
  rs = ok("x86_64", "#define MYSYS 1000\nALLOW { MYSYS(a) { a == 1 } }");
  ck_assert_uint_eq(rs->sys[0].nr, 1000);
  ck_assert_ptr_null(rs->sys[0].name);
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->bits, 64);
  rs = ok("x86_64", "#define MYSYS -1\nALLOW { MYSYS }");
  ck_assert_uint_eq(rs->sys[0].nr, 0xffffffffu);
  fails("x86_64", "#define BIG 0x100000000\nALLOW { BIG }");
  ERR(2, 9, "constant 'BIG' (0x100000000) is not a syscall number: it must fit in 32 bits");
}
END_TEST

START_TEST(test_policies) {
  const sf_ruleset *rs = ok("x86_64",
                            "POLICY a { ALLOW { read } }\n"
                            "POLICY b { USE a, ERRNO(1) { write } }\n"
                            "USE b KILL { close }");
  ck_assert_uint_eq(rs->n_sys, 3);
  ck_assert_uint_eq(sys_named(rs, "read")->rules[0].action, SF_RET_ALLOW);
  ck_assert_uint_eq(sys_named(rs, "write")->rules[0].action, SF_RET_ERRNO | 1);

  /* Expansion order is priority; a policy reached twice is skipped (no
   * dead-rule warning for its second copy). */
  rs = ok("x86_64",
          "POLICY a { ERRNO(1) { read { fd == 0 } } }\n"
          "POLICY b { USE a, ALLOW { read } }\n"
          "USE a USE b");
  const sf_sysrules *r = sys_named(rs, "read");
  ck_assert_uint_eq(r->n_rules, 2);
  ck_assert_uint_eq(r->rules[0].action, SF_RET_ERRNO | 1);
  ck_assert_ptr_nonnull(r->rules[0].cond);
  ck_assert_uint_eq(r->rules[1].action, SF_RET_ALLOW);
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);

  fails("x86_64", "POLICY a { ALLOW { read } }\nPOLICY a { ALLOW { write } }");
  ERR(2, 8, "policy 'a' is defined twice");
  NOTE(1, 8, "previous definition of 'a' is here");

  fails("x86_64", "USE later\nPOLICY later { ALLOW { read } }");
  ERR(1, 5, "unknown policy 'later'");
  NOTE(2, 8, "'later' is defined here, after its use; a policy must be defined before USE");

  fails("x86_64", "POLICY network { ALLOW { socket } }\nUSE netwrok");
  ERR(2, 5, "unknown policy 'netwrok'; did you mean 'network'?");

  fails("x86_64", "POLICY p { USE p }");
  ERR(1, 16, "policy 'p' cannot USE itself");

  /* Unused policies are checked too. */
  fails("x86_64", "POLICY unused { ALLOW { nosuchcall } }\nALLOW { read }");
  ERR(1, col("nosuchcall"), "unknown syscall 'nosuchcall' for x86_64");
}
END_TEST

START_TEST(test_syscall_names) {
  fails("x86_64", "ALLOW { opneat }");
  ERR(1, 9, "unknown syscall 'opneat' for x86_64; did you mean 'openat'?");

  fails("aarch64", "ALLOW { read,\n  open }");
  ERR(2, 3, "unknown syscall 'open' for aarch64: the C library's open() calls 'openat' there");
  size_t i = NOTE(2, 3, sysfence_diag_get(ctx, 1)->message);
  const char *m = sysfence_diag_get(ctx, i)->message;
  const char *prefix = "'open' exists on i386, x86_64, x32, arm, m68k, ";
  ck_assert_msg(strncmp(m, prefix, strlen(prefix)) == 0, "%s", m);
  ck_assert_msg(strstr(m, " but not on aarch64") != NULL, "%s", m);
  ck_assert_msg(strstr(m, "riscv64") == NULL, "%s", m);

  /* Several independent errors are all reported. */
  fails("x86_64", "ALLOW { nosuch1 }\nKILL { nosuch2 }");
  ck_assert_uint_eq(sysfence_error_count(ctx), 2);

  /* Names from the Kafel corpus (kernel-internal names). */
  const sf_ruleset *rs = ok("x86_64",
      "ALLOW { newstat, newfstat, newlstat, newuname, sendfile64, umount, sysctl }");
  static const uint32_t nrs[] = {4, 5, 6, 63, 40, 166, 156};
  for (size_t k = 0; k < 7; k++) ck_assert_ptr_nonnull(sys_nr(rs, nrs[k]));
  ck_assert_uint_eq(rs->n_sys, 7);
  ck_assert_str_eq(sys_nr(rs, 166)->name, "umount2");
  /* clone's first argument has the kernel's (and Kafel's) name. */
  rs = ok("x86_64", "ALLOW { clone { (clone_flags & 0x7e020000) == 0 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->lhs->arg, 0);
  ck_assert_int_eq(rs->sys[0].rules[0].cond->width, 32);
  rs = ok("s390x", "ALLOW { clone { (clone_flags & 0x7e020000) == 0 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->lhs->arg, 1);
  /* i386 has the real ones. */
  rs = ok("i386", "ALLOW { sendfile64, umount }");
  ck_assert_ptr_nonnull(sys_nr(rs, 239));
  ck_assert_ptr_nonnull(sys_nr(rs, 22));
}
END_TEST

START_TEST(test_custom_numbers) {
  const sf_ruleset *rs = ok("x86_64", "ALLOW { SYSCALL[4294967295], SYSCALL[7] }");
  ck_assert_ptr_nonnull(sys_nr(rs, 0xffffffffu));
  ck_assert_str_eq(sys_nr(rs, 7)->name, "poll");
  rs = ok("x86_64", "ALLOW { SYSCALL[-1](a, b) { a == 1 } }");
  ck_assert_uint_eq(rs->sys[0].nr, 0xffffffffu);
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  rs = ok("aarch64", "ALLOW { SYSCALL[-2147483648] }");
  ck_assert_uint_eq(rs->sys[0].nr, 0x80000000u);

  fails("x86_64", "ALLOW { SYSCALL[4294967296] }");
  ERR(1, 17, "syscall number 4294967296 is out of range: it must fit in 32 bits");
  fails("x86_64", "ALLOW { SYSCALL[-2147483649] }");
  ERR(1, 17, "syscall number -2147483649 is out of range: it must fit in 32 bits");
  /* Custom syscalls have no argument names of their own. */
  fails("x86_64", "ALLOW { SYSCALL[1000] { a == 1 } }");
  ERR(1, col("a =="), "'a' is neither an argument of SYSCALL[1000] nor a constant");

  /* x32 numbers never reach an x86_64 filter's rules. */
  rs = ok("x86_64", "KILL { SYSCALL[1073741824] } DEFAULT ALLOW");
  WARN(1, 16,
       "syscall number 0x40000000 belongs to another ABI sharing AUDIT_ARCH "
       "0xc000003e; this x86_64 filter gives it the bad-arch action, so the "
       "rule never applies");
  ck_assert_uint_eq(rs->n_sys, 0);
  rs = ok("x86_64", "#define X32_READ 0x40000000\nKILL { X32_READ }");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 1);
  /* ... and x86_64 numbers none of an x32 filter's. */
  rs = ok("x32", "ALLOW { SYSCALL[0], read }");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 1);
  ck_assert_uint_eq(rs->n_sys, 1);
  ck_assert_uint_eq(rs->sys[0].nr, 0x40000000u);
}
END_TEST

START_TEST(test_on_guards) {
  const sf_ruleset *rs =
      ok("x86_64", "ALLOW { io_uring_setup ON X86_64, read ON { aarch64, amd64 }, "
                   "arm_fadvise64_64 ON arm, write ON arm64 }");
  ck_assert_uint_eq(rs->n_sys, 2);
  ck_assert_ptr_nonnull(sys_named(rs, "io_uring_setup"));
  ck_assert_ptr_nonnull(sys_named(rs, "read"));

  fails("x86_64", "ALLOW { read ON x86_46 }");
  ERR(1, 17, "unknown architecture 'x86_46'; did you mean 'x86_64'?");
  fails("x86_64", "ALLOW { read ON { x86_64, amd64 } }");
  ERR(1, col("amd64"), "architecture 'amd64' is listed twice in the ON guard");
  NOTE(1, col("x86_64"), "first listed here");
  /* The name must exist on one of the guard's architectures. */
  fails("x86_64", "ALLOW { open ON aarch64 }");
  ERR(1, 9, "unknown syscall 'open' for aarch64: the C library's open() calls 'openat' there");
  fails("x86_64", "ALLOW { opne ON { i386, arm } }");
  ERR(1, 9, "unknown syscall 'opne' for i386, arm; did you mean 'open'?");
  /* Filters of skipped rules are checked against the guard's table. */
  fails("x86_64", "ALLOW { arm_fadvise64_64 ON arm { nosuch == 1 } }");

  /* Deny-list guarded away under a permissive default. */
  rs = ok("x86_64", "KILL { ptrace ON aarch64 } DEFAULT ALLOW");
  WARN(1, 8, "'ptrace' is denied only ON aarch64; this x86_64 filter lets it "
             "through (DEFAULT ALLOW)");
  ck_assert_uint_eq(rs->n_sys, 0);
  rs = ok("aarch64", "KILL { ptrace ON aarch64 } DEFAULT ALLOW");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  ck_assert_uint_eq(rs->n_sys, 1);
  rs = ok("x86_64", "ERRNO(1) { ptrace ON { aarch64, arm } } DEFAULT LOG");
  WARN(1, 12, "'ptrace' is denied only ON aarch64, arm; this x86_64 filter "
              "lets it through (DEFAULT LOG)");
  ok("x86_64", "ALLOW { ptrace ON aarch64 } DEFAULT ALLOW");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  ok("x86_64", "KILL { ptrace ON aarch64 } DEFAULT KILL_PROCESS");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
}
END_TEST

/* ---- arguments and widths ---------------------------------------------------------- */

START_TEST(test_arg_names) {
  const sf_ruleset *rs = ok("x86_64", "ALLOW { read(a, b, c) { a == 1 && c < 4096 } }");
  const sf_cond *c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->kind, COND_AND);
  ck_assert_int_eq(c->a->lhs->arg, 0);
  ck_assert_int_eq(c->a->lhs->bits, 32); /* the kernel width of position 0 */
  ck_assert_int_eq(c->a->width, 32);
  ck_assert_int_eq(c->b->lhs->arg, 2);
  ck_assert_int_eq(c->b->lhs->bits, 64);
  ck_assert_int_eq(c->b->width, 64); /* c is a 64-bit argument */

  rs = ok("x86_64", "ALLOW { write(a, b, c, d) { d == 1 } }");
  WARN(1, col("d)"), "write takes 3 arguments");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->bits, 64);
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->arg, 3);

  fails("x86_64", "ALLOW { read(a, b, c, d, e, f, g) }");
  ERR(1, col("g)"), "too many argument names: a syscall has at most 6 arguments");
  fails("x86_64", "ALLOW { read(a, b, a) }");
  ERR(1, col_n("a", 2), "duplicate argument name 'a'");
  NOTE(1, col_n("a", 1), "'a' is first declared here");
  fails("x86_64", "ALLOW { read() { fd == 1 } }");
  ERR(1, col("fd"), "'fd' is neither an argument of 'read' nor a constant");
  fails("x86_64", "#define FD_MAX 10\nALLOW { read { fdd < FD_MAX } }");
  ERR(2, col("fdd"), "'fdd' is neither an argument of 'read' nor a constant; did you mean 'fd'?");
  fails("x86_64", "#define FD_MAX 10\nALLOW { read { fd < FD_MAXX } }");
  ERR(2, col("FD_MAXX"),
      "'FD_MAXX' is neither an argument of 'read' nor a constant; did you mean 'FD_MAX'?");
  /* No close name: a note lists the arguments (and none for a close one). */
  fails("x86_64", "ALLOW { clone { flags == 1 } }");
  ERR(1, col("flags"), "'flags' is neither an argument of 'clone' nor a constant");
  NOTE(1, col("flags"), "the arguments of 'clone' are: clone_flags, newsp, "
                        "parent_tidptr, child_tidptr, tls");
  fails("x86_64", "ALLOW { read { fdd == 1 } }");
  ck_assert_uint_eq(count(SYSFENCE_NOTE), 0);
  /* Unknown signature: names must be declared, 64 bits. */
  rs = ok("x86_64", "ALLOW { tuxcall(x) { x == 1 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->bits, 64);
}
END_TEST

/* Kafel's argument names (tools/gen-syscalls.py, "Kafel's argument names"):
 * accepted as aliases of ours, with our widths. */
START_TEST(test_kafel_arg_aliases) {
  const sf_arch *x64 = sf_arch_by_name("x86_64");
  const sf_syscall *s = sf_syscall_by_name(x64, "socket");
  ck_assert_str_eq(s->args[0].name, "domain");
  ck_assert_str_eq(s->args[0].alias, "family");
  ck_assert_ptr_null(s->args[1].alias); /* same name in Kafel */
  ck_assert_ptr_null(sf_syscall_by_name(x64, "read")->args[0].alias);
  /* Kafel's futex_wait has another signature: no aliases from it. */
  s = sf_syscall_by_name(x64, "futex_wait");
  for (int i = 0; i < s->nargs; i++) ck_assert_ptr_null(s->args[i].alias);
  /* No alias is also the real name of another argument of its syscall. */
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  for (size_t a = 0; a < n; a++)
    for (size_t k = 0; k < all[a]->n_syscalls; k++) {
      const sf_syscall *q = &all[a]->syscalls[k];
      for (int i = 0; i < q->nargs; i++)
        for (int j = 0; q->args[i].alias && j < q->nargs; j++)
          ck_assert_msg(strcmp(q->args[i].alias, q->args[j].name) != 0,
                        "%s %s: alias %s", all[a]->name, q->name, q->args[i].alias);
    }

  /* socket { family == 1 }: argument 0, 32 bits. */
  const sf_ruleset *rs = ok("x86_64", "ALLOW { socket { family == 1 } }");
  const sf_cond *c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->lhs->kind, VAL_ARG);
  ck_assert_int_eq(c->lhs->arg, 0);
  ck_assert_int_eq(c->lhs->bits, 32);
  ck_assert_int_eq(c->width, 32);
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  ck_assert_uint_eq(decide(rs, "socket", 1, 0, 0, 0), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(rs, "socket", 2, 0, 0, 0), SF_RET_KILL_THREAD);
  /* The real name still works, also next to the alias. */
  rs = ok("x86_64", "ALLOW { socket { domain == 1 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->arg, 0);
  rs = ok("x86_64", "ALLOW { socket { family == 1 && domain < 5 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->kind, COND_AND);
  ck_assert_int_eq(c->a->lhs->arg, 0);
  ck_assert_int_eq(c->b->lhs->arg, 0);
  /* Messages name the argument as written. */
  rs = ok("x86_64", "ALLOW { socket { family == 0x100000001 } }");
  WARN(1, col("0x1"), "the constant 0x100000001 does not fit in the 32-bit "
                      "argument 'family'; the comparison is computed on 64 bits");

  /* accept { upeer_sockaddr == 0 }: argument 1, 64 bits (32 on arm). */
  rs = ok("x86_64", "ALLOW { accept { upeer_sockaddr == 0 && upeer_addrlen != 0 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->kind, COND_AND);
  ck_assert_int_eq(c->a->lhs->arg, 1);
  ck_assert_int_eq(c->a->lhs->bits, 64);
  ck_assert_int_eq(c->a->width, 64);
  ck_assert_int_eq(c->b->lhs->arg, 2);
  ck_assert_int_eq(c->b->lhs->bits, 64);
  rs = ok("x86_64", "ALLOW { accept { addr == 0 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->arg, 1);
  rs = ok("arm", "ALLOW { accept { upeer_sockaddr == 0 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->arg, 1);
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->bits, 32);
  rs = ok("x32", "ALLOW { accept4 { upeer_addrlen == 0 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->arg, 2);
  rs = ok("aarch64", "ALLOW { socket { family == 1 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->arg, 0);
  /* Kafel's names starting with '_' (add_key's are _type, ...: ours are
   * _type too) and their aliases (destringid is Kafel's ringid). */
  rs = ok("x86_64", "ALLOW { add_key { ringid == 1 || _type == 0 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->a->lhs->arg, 4);
  ck_assert_int_eq(c->a->lhs->bits, 32);
  ck_assert_int_eq(c->b->lhs->arg, 0);

  /* Kafel's kernel-internal syscall names with Kafel's argument names (the
   * same as ours for these: newstat is filename, statbuf). */
  rs = ok("x86_64", "ALLOW { newstat { statbuf == 0 }, newfstat { fd == 1 } }");
  c = sys_named(rs, "stat")->rules[0].cond;
  ck_assert_int_eq(c->lhs->arg, 1);
  ck_assert_int_eq(c->lhs->bits, 64);
  c = sys_named(rs, "fstat")->rules[0].cond;
  ck_assert_int_eq(c->lhs->arg, 0);
  ck_assert_int_eq(c->lhs->bits, 32);
  rs = ok("x86_64", "ALLOW { umount { flags == 1 }, sendfile64 { count == 0 } }");
  c = sys_named(rs, "umount2")->rules[0].cond;
  ck_assert_int_eq(c->lhs->arg, 1);
  ck_assert_int_eq(c->lhs->bits, 32);
  c = sys_named(rs, "sendfile")->rules[0].cond;
  ck_assert_int_eq(c->lhs->arg, 3);
  ck_assert_int_eq(c->lhs->bits, 64);

  /* Unknown names: did-you-mean may suggest an alias. */
  fails("x86_64", "ALLOW { socket { famly == 1 } }");
  ERR(1, col("famly"),
      "'famly' is neither an argument of 'socket' nor a constant; did you mean 'family'?");
  fails("x86_64", "ALLOW { socket { domian == 1 } }");
  ERR(1, col("domian"),
      "'domian' is neither an argument of 'socket' nor a constant; did you mean 'domain'?");
  /* Positional names replace the table's names and their aliases. */
  fails("x86_64", "ALLOW { socket(d, t, p) { family == 1 } }");
  ERR(1, col("family"), "'family' is neither an argument of 'socket' nor a constant");
  /* Aliases only on their own syscall. */
  fails("x86_64", "ALLOW { read { family == 1 } }");

  /* An alias is an argument name for #define. */
  ck_assert(sf_is_known_syscall_or_arg("family"));
  ck_assert(sf_is_known_syscall_or_arg("upeer_sockaddr"));
  fails("x86_64", "#define upeer_sockaddr 1\n");
  ERR(1, 9, "'upeer_sockaddr' is an argument name; a #define would silently replace it");
}
END_TEST

START_TEST(test_widths) {
  /* -100 on an int reads as the 32-bit 0xffffff9c whatever the high word. */
  const sf_ruleset *rs = ok("x86_64", "KILL { openat { dfd == -100 } } DEFAULT ALLOW");
  const sf_cond *c = rs->sys[0].rules[0].cond;
  ck_assert_uint_eq(c->rhs->k, 0xffffff9cu);
  ck_assert_int_eq(c->width, 32);
  ck_assert_uint_eq(decide(rs, "openat", 0xffffff9cu, 0, 0, 0), SF_RET_KILL_THREAD);
  ck_assert_uint_eq(decide(rs, "openat", 0xffffffffffffff9cu, 0, 0, 0), SF_RET_KILL_THREAD);
  ck_assert_uint_eq(decide(rs, "openat", 0x12345678ffffff9cu, 0, 0, 0), SF_RET_KILL_THREAD);
  ck_assert_uint_eq(decide(rs, "openat", 3, 0, 0, 0), SF_RET_ALLOW);
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  rs = ok("x86_64", "KILL { openat { dfd == 0xffffffffffffff9c } }");
  ck_assert_uint_eq(rs->sys[0].rules[0].cond->rhs->k, 0xffffff9cu);

  /* A 64-bit argument keeps 64-bit constants. */
  rs = ok("x86_64", "ALLOW { mmap { addr == -1 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_uint_eq(c->rhs->k, UINT64_MAX);
  ck_assert_int_eq(c->width, 64);
  ck_assert_int_eq(c->lhs->bits, 64);

  /* Too wide for a 32-bit argument: warned, exact, here always false. */
  rs = ok("x86_64", "ALLOW { read { fd == 0x100000005 } }");
  WARN(1, col("0x1"), "the constant 0x100000005 does not fit in the 32-bit "
                      "argument 'fd'; the comparison is computed on 64 bits");
  WARN(1, col("fd =="), "condition is always false; the rule for 'read' is dropped");
  ck_assert_uint_eq(rs->n_sys, 0);
  rs = ok("x86_64", "ALLOW { read { fd != 0x100000005 } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  rs = ok("x86_64", "ALLOW { read { fd < 0x100000005 || count == 1 } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  /* A 64-bit argument in the comparison makes it a 64-bit comparison. */
  rs = ok("x86_64", "ALLOW { read { (buf & count) == 0x100000005 } }");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  ck_assert_int_eq(rs->sys[0].rules[0].cond->width, 64);
  /* ... but fd & count never exceeds 32 bits. */
  rs = ok("x86_64", "ALLOW { read { (fd & count) == 0x100000005 } }");
  ck_assert_uint_eq(rs->n_sys, 0);
  rs = ok("x86_64", "ALLOW { read { (buf & 0xff) == 1 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->width, 32);

  /* 16-bit mode. */
  rs = ok("x86_64", "ALLOW { openat { mode == 0644 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->lhs->bits, 16);
  ck_assert_int_eq(c->width, 32);
  ck_assert_uint_eq(decide(rs, "openat", 0, 0, 0, 0x10000 | 0644), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(rs, "openat", 0, 0, 0, 0x0755), SF_RET_KILL_THREAD);
  rs = ok("x86_64", "ALLOW { openat { mode == 0x10000 } }");
  ck_assert_uint_eq(rs->n_sys, 0);
  WARN(1, col("0x1"), "the constant 0x10000 does not fit in the 16-bit "
                      "argument 'mode'; the comparison is computed on 64 bits");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 2); /* and: always false */
  /* Negative literals are read at 16 bits: -1 is 0xffff (it was read at 32
   * bits, 0xffffffff, so the rule was dropped as never matching). */
  rs = ok("x86_64", "KILL_PROCESS { fchmod { mode == -1 } } DEFAULT ALLOW");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 0);
  ck_assert_uint_eq(rs->n_sys, 1);
  c = rs->sys[0].rules[0].cond;
  ck_assert_uint_eq(c->rhs->k, 0xffff);
  ck_assert_uint_eq(decide(rs, "fchmod", 3, 0xffff, 0, 0), SF_RET_KILL_PROCESS);
  ck_assert_uint_eq(decide(rs, "fchmod", 3, 0xdead0000ffffULL, 0, 0),
                    SF_RET_KILL_PROCESS);
  ck_assert_uint_eq(decide(rs, "fchmod", 3, 0xfffe, 0, 0), SF_RET_ALLOW);
  rs = ok("x86_64", "ALLOW { fchmod { mode == -32768 } }");
  ck_assert_uint_eq(rs->sys[0].rules[0].cond->rhs->k, 0x8000);
  rs = ok("x86_64", "ALLOW { fchmod { mode != -32769 } }");
  WARN(1, col("-32769"), "the constant -32769 does not fit in the 16-bit "
                         "argument 'mode'; the comparison is computed on 64 bits");
  /* Renamed, on a 32-bit ABI, and mixed with a 32-bit argument. */
  rs = ok("i386", "ALLOW { fchmod(f, m) { m == -2 } }");
  ck_assert_uint_eq(rs->sys[0].rules[0].cond->rhs->k, 0xfffe);
  rs = ok("x86_64", "ALLOW { fchmodat { (mode | dfd) == -1 } }");
  ck_assert_uint_eq(rs->sys[0].rules[0].cond->rhs->k, 0xffffffffu);
  rs = ok("x86_64", "ALLOW { openat(d, f, fl, m) { m > 0xffff } }");
  ck_assert_uint_eq(rs->n_sys, 0);

  /* 32-bit architectures: every argument is at most 32 bits. */
  rs = ok("i386", "ALLOW { mmap2 { addr == -1 && len > 4096 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_uint_eq(c->a->rhs->k, 0xffffffffu);
  ck_assert_int_eq(c->a->lhs->bits, 32);
  ck_assert_int_eq(c->a->width, 32);
  rs = ok("arm", "ALLOW { write(a, b, c, d) { d == -2 } }");
  c = rs->sys[0].rules[0].cond;
  ck_assert_int_eq(c->lhs->bits, 32);
  ck_assert_uint_eq(c->rhs->k, 0xfffffffeu);
  rs = ok("i386", "ALLOW { SYSCALL[1000](a) { a == 1 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->lhs->bits, 32);
  /* Big-endian 64-bit: widths as on x86_64. */
  rs = ok("s390x", "ALLOW { openat { dfd == -100 } }");
  ck_assert_uint_eq(rs->sys[0].rules[0].cond->rhs->k, 0xffffff9cu);
}
END_TEST

START_TEST(test_folding) {
  const sf_ruleset *rs = ok("x86_64", "ALLOW { read { 1 == 1 } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  rs = ok("x86_64", "ALLOW { read { fd == 1 || 2 > 1 } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  rs = ok("x86_64", "ALLOW { read { !(1 == 2) } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  rs = ok("x86_64", "ALLOW { read { fd == 1 && (count & 0) == 1 }, write }");
  WARN(1, col("fd"), "condition is always false; the rule for 'read' is dropped");
  ck_assert_uint_eq(rs->n_sys, 1);
  rs = ok("x86_64", "ALLOW { read { fd == 1 && 1 == 1 } }");
  ck_assert_int_eq(rs->sys[0].rules[0].cond->kind, COND_CMP);
  rs = ok("x86_64", "ALLOW { read { fd == fd } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  rs = ok("x86_64", "ALLOW { read { (0x10 | 0x01) == 0x11 && fd >= 0 } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
  rs = ok("x86_64", "ALLOW { read { fd < 0 } }");
  ck_assert_uint_eq(rs->n_sys, 0);
  /* Empty filter: unconditional. */
  rs = ok("x86_64", "ALLOW { read { } }");
  ck_assert_ptr_null(rs->sys[0].rules[0].cond);
}
END_TEST

START_TEST(test_shadowing) {
  const sf_ruleset *rs = ok("x86_64", "ALLOW { read }\nERRNO(1) { read { fd == 0 } }");
  WARN(2, 12, "rule for 'read' can never match");
  NOTE(1, 9, "shadowed by the rule at t.policy:1:9");
  ck_assert_uint_eq(rs->sys[0].n_rules, 1);

  /* Conditional rules chain, in order, until the first unconditional. */
  rs = ok("x86_64",
          "ALLOW { read { fd == 0 } }\n"
          "ERRNO(1) { read }\n"
          "ALLOW { read }\n"
          "KILL { read { fd == 1 } }");
  const sf_sysrules *s = sys_named(rs, "read");
  ck_assert_uint_eq(s->n_rules, 2);
  ck_assert_uint_eq(s->rules[0].action, SF_RET_ALLOW);
  ck_assert_uint_eq(s->rules[1].action, SF_RET_ERRNO | 1);
  ck_assert_int_eq(s->rules[1].loc.line, 2);
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 2);
  WARN(3, 9, "rule for 'read' can never match");
  WARN(4, 8, "rule for 'read' can never match");
  ck_assert_uint_eq(decide(rs, "read", 0, 0, 0, 0), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(rs, "read", 1, 0, 0, 0), SF_RET_ERRNO | 1);

  /* An alias and its syscall are the same number. */
  ok("x86_64", "ALLOW { stat }\nKILL { newstat }");
  WARN(2, 8, "rule for 'stat' can never match");

  /* Through a policy: one warning per location. */
  ok("x86_64", "POLICY p { ALLOW { read } }\nUSE p\nKILL { read }\nUSE p");
  ck_assert_uint_eq(count(SYSFENCE_WARNING), 1);
  WARN(3, 8, "rule for 'read' can never match");
  NOTE(1, 20, "shadowed by the rule at t.policy:1:20");
}
END_TEST

START_TEST(test_line_numbers) {
  fails("x86_64", "POLICY p {\n  ALLOW {\n    read,\n    wrte\n  }\n}\n");
  ERR(4, 5, "unknown syscall 'wrte' for x86_64; did you mean 'write'?");
  ck_assert_int_eq(line_of("wrte"), 4);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("resolve");
  TCase *t = tcase_create("arch");
  tcase_add_test(t, test_arch_names);
  tcase_add_test(t, test_arch_values);
  tcase_add_test(t, test_arch_lookup);
  tcase_add_test(t, test_arch_args);
  tcase_add_test(t, test_arch_foreign_offsets);
  tcase_add_test(t, test_clone_arg_positions);
  tcase_add_test(t, test_clone_arg_filter);
  suite_add_tcase(s, t);
  t = tcase_create("resolve");
  tcase_add_checked_fixture(t, NULL, teardown);
  tcase_add_test(t, test_basic_and_default);
  tcase_add_test(t, test_actions);
  tcase_add_test(t, test_define);
  tcase_add_test(t, test_runtime_constants);
  tcase_add_test(t, test_define_api);
  tcase_add_test(t, test_policies);
  tcase_add_test(t, test_syscall_names);
  tcase_add_test(t, test_custom_numbers);
  tcase_add_test(t, test_on_guards);
  tcase_add_test(t, test_arg_names);
  tcase_add_test(t, test_kafel_arg_aliases);
  tcase_add_test(t, test_widths);
  tcase_add_test(t, test_folding);
  tcase_add_test(t, test_shadowing);
  tcase_add_test(t, test_line_numbers);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  return tu_run_suite(suite());
}
