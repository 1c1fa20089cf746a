/* check_codegen.c - the generated BPF against the reference semantics.
 *
 * Rule sets are built by hand (no parser involved), compiled with
 * sf_codegen, validated, and then run in the simulator on many calls; every
 * result must equal sf_ruleset_decide's.  Besides hand-written cases there
 * is a differential fuzzer over random rule sets (fixed-seed xorshift, so a
 * failure reproduces), covering all operators, widths 16/32/64, masks,
 * argument-vs-argument comparisons, big- and little-endian and 32-bit
 * architectures, and the syscall-number boundaries. */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define ALLOW SF_RET_ALLOW
#define KILL SF_RET_KILL_PROCESS
#define KILL_T SF_RET_KILL_THREAD
#define ERRNO(e) (SF_RET_ERRNO | (e))

/* ---- PRNG (xorshift64*) ----------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- building rule sets ------------------------------------------------ */

static sysfence_ctx *ctx;

static void setup(void) {
  ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
}

static void teardown(void) {
  sysfence_free(ctx);
  ctx = NULL;
}

static void *zalloc(size_t n) {
  void *p = sf_alloc(ctx, n);
  ck_assert_ptr_nonnull(p);
  return p;
}

static sf_val *v_const(uint64_t k) {
  sf_val *v = zalloc(sizeof *v);
  v->kind = VAL_CONST;
  v->k = k;
  return v;
}

static sf_val *v_arg(int arg, int bits) {
  sf_val *v = zalloc(sizeof *v);
  v->kind = VAL_ARG;
  v->arg = arg;
  v->bits = bits;
  return v;
}

static sf_val *v_bin(val_kind kind, sf_val *l, sf_val *r) {
  sf_val *v = zalloc(sizeof *v);
  v->kind = kind;
  v->lhs = l;
  v->rhs = r;
  return v;
}

/* Bits that may be set in V (64-bit): decides the comparison width the
 * way the resolver does (32 when both sides fit). */
static uint64_t v_ones(const sf_val *v) {
  switch (v->kind) {
  case VAL_CONST: return v->k;
  case VAL_ARG: return v->bits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << v->bits) - 1;
  case VAL_AND: return v_ones(v->lhs) & v_ones(v->rhs);
  case VAL_OR: return v_ones(v->lhs) | v_ones(v->rhs);
  }
  return ~(uint64_t)0;
}

static sf_cond *c_cmp(cmp_op op, sf_val *l, sf_val *r) {
  sf_cond *c = zalloc(sizeof *c);
  c->kind = COND_CMP;
  c->op = op;
  c->lhs = l;
  c->rhs = r;
  c->width = (v_ones(l) | v_ones(r)) >> 32 ? 64 : 32;
  return c;
}

static sf_cond *c_bin(cond_kind kind, sf_cond *a, sf_cond *b) {
  sf_cond *c = zalloc(sizeof *c);
  c->kind = kind;
  c->a = a;
  c->b = b;
  return c;
}

static sf_cond *c_const(int truth) {
  sf_cond *c = zalloc(sizeof *c);
  c->kind = truth ? COND_TRUE : COND_FALSE;
  return c;
}

/* A rule set under construction: syscalls are added in increasing order. */
typedef struct rsb {
  sf_ruleset *rs;
  size_t cap;
} rsb;

static rsb rs_new(const char *arch, uint32_t dflt, uint32_t bad) {
  rsb b;
  b.rs = zalloc(sizeof *b.rs);
  b.rs->arch = sf_arch_by_name(arch);
  ck_assert_msg(b.rs->arch != NULL, "no arch %s", arch);
  b.rs->default_action = dflt;
  b.rs->bad_arch_action = bad;
  b.cap = 1024;
  b.rs->sys = zalloc(b.cap * sizeof *b.rs->sys);
  return b;
}

static sf_sysrules *rs_sys(rsb *b, uint32_t nr) {
  sf_ruleset *rs = b->rs;
  ck_assert(rs->n_sys < b->cap);
  ck_assert(rs->n_sys == 0 || rs->sys[rs->n_sys - 1].nr < nr);
  sf_sysrules *s = &rs->sys[rs->n_sys++];
  s->nr = nr;
  s->rules = zalloc(8 * sizeof *s->rules);
  return s;
}

static void rs_rule(sf_sysrules *s, const sf_cond *cond, uint32_t action) {
  ck_assert(s->n_rules < 8);
  ck_assert(s->n_rules == 0 || s->rules[s->n_rules - 1].cond != NULL);
  s->rules[s->n_rules].cond = cond;
  s->rules[s->n_rules].action = action;
  s->n_rules++;
}

/* ---- printing (for failure reports) ---------------------------------- */

static void print_val(FILE *f, const sf_val *v) {
  switch (v->kind) {
  case VAL_CONST: fprintf(f, "%#" PRIx64, v->k); break;
  case VAL_ARG: fprintf(f, "a%d:%d", v->arg, v->bits); break;
  case VAL_AND:
  case VAL_OR:
    fputc('(', f);
    print_val(f, v->lhs);
    fputs(v->kind == VAL_AND ? " & " : " | ", f);
    print_val(f, v->rhs);
    fputc(')', f);
    break;
  }
}

static void print_cond(FILE *f, const sf_cond *c) {
  static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
  switch (c->kind) {
  case COND_TRUE: fputs("true", f); break;
  case COND_FALSE: fputs("false", f); break;
  case COND_CMP:
    print_val(f, c->lhs);
    fprintf(f, " %s/%d ", ops[c->op], c->width);
    print_val(f, c->rhs);
    break;
  case COND_NOT:
    fputs("!(", f);
    print_cond(f, c->a);
    fputc(')', f);
    break;
  case COND_AND:
  case COND_OR:
    fputc('(', f);
    print_cond(f, c->a);
    fputs(c->kind == COND_AND ? " && " : " || ", f);
    print_cond(f, c->b);
    fputc(')', f);
    break;
  }
}

static void print_ruleset(FILE *f, const sf_ruleset *rs) {
  char a[64], d[64];
  fprintf(f, "ruleset arch=%s default=%s bad_arch=%s\n", rs->arch->name,
          sf_action_str(rs->default_action, a, sizeof a),
          sf_action_str(rs->bad_arch_action, d, sizeof d));
  for (size_t i = 0; i < rs->n_sys; i++) {
    fprintf(f, "  nr %#x:\n", rs->sys[i].nr);
    for (size_t j = 0; j < rs->sys[i].n_rules; j++) {
      const sf_rule *r = &rs->sys[i].rules[j];
      fprintf(f, "    %s <- ", sf_action_str(r->action, a, sizeof a));
      if (r->cond) print_cond(f, r->cond);
      else fputs("always", f);
      fputc('\n', f);
    }
  }
}

/* ---- compiling and comparing ------------------------------------------ */

typedef struct prog {
  struct sock_filter *insns;
  size_t len;
} prog;

static prog compile_ok(const sf_ruleset *rs) {
  prog p = {NULL, 0};
  int rc = sf_codegen(ctx, rs, &p.insns, &p.len);
  if (rc != 0) {
    print_ruleset(stderr, rs);
    ck_abort_msg("sf_codegen failed: %s", sysfence_diag_text(ctx));
  }
  char why[256];
  if (sf_bpf_validate(p.insns, p.len, why, sizeof why) != 0) {
    print_ruleset(stderr, rs);
    ck_abort_msg("invalid program: %s", why);
  }
  return p;
}

static size_t n_calls; /* calls compared, for the summary */

/* Run CALL through the program and the reference; fail loudly on any
 * difference. */
static void check_call(const sf_ruleset *rs, prog p, const sf_query *call) {
  sf_seccomp_data d;
  memset(&d, 0, sizeof d);
  d.nr = call->nr;
  d.arch = call->arch;
  d.ip = 0x7f0012345678ULL;
  memcpy(d.args, call->args, sizeof d.args);
  uint32_t got = sf_bpf_run(p.insns, p.len, rs->arch, &d, NULL);
  uint32_t want = sf_ruleset_decide(rs, call, NULL);
  n_calls++;
  if (got == want) return;
  char a[64], b[64];
  print_ruleset(stderr, rs);
  fprintf(stderr, "call nr=%#x arch=%#x args=", call->nr, call->arch);
  for (int i = 0; i < SF_MAX_ARGS; i++)
    fprintf(stderr, "%s%#" PRIx64, i ? "," : "", call->args[i]);
  fprintf(stderr, "\n  bpf: %s  reference: %s\n",
          sf_action_str(got, a, sizeof a), sf_action_str(want, b, sizeof b));
  ck_abort_msg("mismatch for nr %#x: bpf %s, reference %s", call->nr, a, b);
}

static sf_query call_of(const sf_ruleset *rs, uint32_t nr) {
  sf_query c;
  memset(&c, 0, sizeof c);
  c.nr = nr;
  c.arch = rs->arch->audit_arch;
  return c;
}

static const uint32_t boundary_nrs[] = {
    0,          1,          0x3ffffffe, 0x3fffffff, 0x40000000,
    0x40000001, 0x4000ffff, 0x7fffffff, 0x80000000, 0x80000001,
    0xfffffffd, 0xfffffffe, 0xffffffff,
};
#define N_BOUNDARY (sizeof boundary_nrs / sizeof boundary_nrs[0])

/* Every number 0..600, the boundaries, each syscall of RS and its
 * neighbours, and a foreign arch; all with ARGS. */
static void sweep_numbers(const sf_ruleset *rs, prog p, const uint64_t *args) {
  sf_query c = call_of(rs, 0);
  if (args) memcpy(c.args, args, sizeof c.args);
  for (uint32_t nr = 0; nr <= 600; nr++) {
    c.nr = nr;
    check_call(rs, p, &c);
  }
  for (size_t i = 0; i < N_BOUNDARY; i++) {
    c.nr = boundary_nrs[i];
    check_call(rs, p, &c);
  }
  for (size_t i = 0; i < rs->n_sys; i++) {
    for (int delta = -1; delta <= 1; delta++) {
      c.nr = rs->sys[i].nr + (uint32_t)delta;
      check_call(rs, p, &c);
    }
  }
  c.nr = rs->n_sys ? rs->sys[0].nr : 0;
  c.arch = rs->arch->audit_arch ^ 0x80000000u;
  check_call(rs, p, &c);
  c.arch = 0;
  check_call(rs, p, &c);
}

static int count_op(prog p, uint16_t code) {
  int n = 0;
  for (size_t i = 0; i < p.len; i++) n += p.insns[i].code == code;
  return n;
}

/* ---- numbers only ------------------------------------------------------ */

START_TEST(test_empty_policy) {
  /* DEFAULT KILL_PROCESS with bad-arch KILL_PROCESS: one RET. */
  rsb b = rs_new("x86_64", KILL, KILL);
  prog p = compile_ok(b.rs);
  ck_assert_uint_eq(p.len, 1);
  sweep_numbers(b.rs, p, NULL);
  free(p.insns);

  /* DEFAULT ALLOW: the arch check and the x32 numbers still matter. */
  b = rs_new("x86_64", ALLOW, KILL);
  p = compile_ok(b.rs);
  sweep_numbers(b.rs, p, NULL);
  free(p.insns);

  /* An arch without a foreign range: no number test at all. */
  b = rs_new("aarch64", ALLOW, KILL);
  p = compile_ok(b.rs);
  ck_assert_int_eq(count_op(p, BPF_LD | BPF_W | BPF_ABS), 1);
  sweep_numbers(b.rs, p, NULL);
  free(p.insns);
}
END_TEST

START_TEST(test_allowlist_ranges) {
  rsb b = rs_new("x86_64", ERRNO(1), KILL);
  /* 0..9 allowed (one range), 20 and 22 allowed, 21 killed, 300 traps. */
  for (uint32_t nr = 0; nr < 10; nr++) rs_rule(rs_sys(&b, nr), NULL, ALLOW);
  rs_rule(rs_sys(&b, 20), NULL, ALLOW);
  rs_rule(rs_sys(&b, 21), NULL, KILL_T);
  rs_rule(rs_sys(&b, 22), NULL, ALLOW);
  rs_rule(rs_sys(&b, 300), NULL, SF_RET_TRAP | 7);
  rs_rule(rs_sys(&b, 301), NULL, ERRNO(1)); /* same as the default */
  prog p = compile_ok(b.rs);
  sweep_numbers(b.rs, p, NULL);
  /* Ranges: [0,10) [10,20) 20 21 22 [23,300) 300 [301,0x40000000) x32
   * 0xffffffff: 10 ranges -> 9 comparisons at most. */
  ck_assert_int_le((int)p.len, 3 + 9 + 5);
  free(p.insns);
}
END_TEST

START_TEST(test_foreign_abi) {
  static const char *const arches[] = {"x86_64", "x32", "i386", "s390x"};
  for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++) {
    rsb b = rs_new(arches[a], ALLOW, KILL_T);
    const sf_arch *arch = b.rs->arch;
    uint32_t base = arch->foreign_lo == 0 && arch->foreign_hi >= arch->foreign_lo
                        ? 0x40000000u : 0;
    rs_rule(rs_sys(&b, base + 2), NULL, ERRNO(2));
    rs_rule(rs_sys(&b, base + 3), NULL, KILL);
    /* A rule on -1 (tracers' skip): never foreign. */
    rs_rule(rs_sys(&b, 0xffffffffu), NULL, ERRNO(9));
    prog p = compile_ok(b.rs);
    sweep_numbers(b.rs, p, NULL);
    sf_query c = call_of(b.rs, 0);
    for (uint32_t nr = base; nr < base + 600; nr++) {
      c.nr = nr;
      check_call(b.rs, p, &c);
      c.nr = nr ^ 0x40000000u;
      check_call(b.rs, p, &c);
    }
    /* The spec's own view of the foreign range agrees with the bounds. */
    if (arch->foreign_lo <= arch->foreign_hi) {
      ck_assert(sf_arch_nr_is_foreign(arch, arch->foreign_lo));
      ck_assert(!sf_arch_nr_is_foreign(arch, 0xffffffffu));
    }
    free(p.insns);
  }
}
END_TEST

START_TEST(test_singleton_jeq) {
  /* An isolated syscall between two default ranges costs one jeq. */
  rsb b = rs_new("aarch64", KILL, KILL);
  rs_rule(rs_sys(&b, 63), NULL, ALLOW);
  prog p = compile_ok(b.rs);
  sweep_numbers(b.rs, p, NULL);
  ck_assert_int_eq(count_op(p, BPF_JMP | BPF_JEQ | BPF_K), 2); /* arch, nr */
  ck_assert_int_eq(count_op(p, BPF_JMP | BPF_JGE | BPF_K), 0);
  free(p.insns);
}
END_TEST

START_TEST(test_many_syscalls_far_jumps) {
  /* 400 isolated syscalls, every other one with a conditional rule: the
   * tree is far from the blocks and the RETs, so trampolines are needed. */
  rsb b = rs_new("x86_64", KILL, KILL);
  for (uint32_t i = 0; i < 400; i++) {
    sf_sysrules *s = rs_sys(&b, 2 * i);
    if (i % 2)
      rs_rule(s, c_cmp(CMP_EQ, v_arg(0, 64), v_const(i)), ERRNO(i % 7));
    rs_rule(s, NULL, i % 3 ? ALLOW : ERRNO(100 + i % 5));
  }
  prog p = compile_ok(b.rs);
  ck_assert_int_gt((int)p.len, 255);
  for (uint64_t a0 = 0; a0 < 400; a0 += 37) {
    uint64_t args[6] = {a0, 0, 0, 0, 0, 0};
    sweep_numbers(b.rs, p, args);
  }
  sf_query c = call_of(b.rs, 0);
  for (uint32_t i = 0; i < 400; i++) {
    c.nr = 2 * i;
    c.args[0] = i;
    check_call(b.rs, p, &c);
    c.args[0] = i | (uint64_t)1 << 32;
    check_call(b.rs, p, &c);
  }
  free(p.insns);
}
END_TEST

START_TEST(test_too_long) {
  /* 2100 isolated syscalls with distinct actions need more than 4096. */
  rsb b = rs_new("x86_64", KILL, KILL);
  b.cap = 4096;
  b.rs->sys = zalloc(b.cap * sizeof *b.rs->sys);
  for (uint32_t i = 0; i < 2100; i++)
    rs_rule(rs_sys(&b, 3 * i), NULL, ERRNO(i));
  struct sock_filter *out = NULL;
  size_t len = 0;
  ck_assert_int_eq(sf_codegen(ctx, b.rs, &out, &len), -1);
  ck_assert_ptr_null(out);
  ck_assert_uint_ge(sysfence_error_count(ctx), 1);
  ck_assert_ptr_nonnull(strstr(sysfence_diag_text(ctx), "4096"));
}
END_TEST

/* ---- argument conditions -------------------------------------------- */

/* Interesting 64-bit values around the constants of a rule set. */
static size_t collect_consts(const sf_val *v, uint64_t *out, size_t n, size_t max) {
  if (n >= max) return n;
  switch (v->kind) {
  case VAL_CONST: out[n++] = v->k; return n;
  case VAL_ARG: return n;
  case VAL_AND:
  case VAL_OR:
    n = collect_consts(v->lhs, out, n, max);
    return collect_consts(v->rhs, out, n, max);
  }
  return n;
}

static size_t collect_cond_consts(const sf_cond *c, uint64_t *out, size_t n,
                                  size_t max) {
  switch (c->kind) {
  case COND_CMP:
    n = collect_consts(c->lhs, out, n, max);
    return collect_consts(c->rhs, out, n, max);
  case COND_NOT: return collect_cond_consts(c->a, out, n, max);
  case COND_AND:
  case COND_OR:
    n = collect_cond_consts(c->a, out, n, max);
    return collect_cond_consts(c->b, out, n, max);
  default: return n;
  }
}

enum { MAX_INTERESTING = 512 };

/* Constants, their neighbours, high-word-only variants, 0, ~0, ... */
static size_t interesting_values(const sf_ruleset *rs, uint64_t *vals) {
  uint64_t k[128];
  size_t nk = 0, n = 0;
  for (size_t i = 0; i < rs->n_sys; i++)
    for (size_t j = 0; j < rs->sys[i].n_rules; j++)
      if (rs->sys[i].rules[j].cond)
        nk = collect_cond_consts(rs->sys[i].rules[j].cond, k, nk, 128);
  static const uint64_t fixed[] = {0,          1,          0xffff,
                                   0x10000,    0xffffffff, 0x100000000ULL,
                                   ~0ULL,      0x8000000000000000ULL,
                                   0x7fffffff, 0x80000000};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) vals[n++] = fixed[i];
  for (size_t i = 0; i < nk && n + 8 <= MAX_INTERESTING; i++) {
    uint64_t c = k[i];
    vals[n++] = c;
    vals[n++] = c + 1;
    vals[n++] = c - 1;
    vals[n++] = c ^ 0x100000000ULL;      /* differs only in the high word */
    vals[n++] = c & 0xffffffffULL;       /* low word only */
    vals[n++] = c & 0xffffffff00000000ULL; /* high word only */
    vals[n++] = ~c;
    vals[n++] = c ^ 0xffff0000ULL;
  }
  return n;
}

/* Calls with argument vectors drawn from VALS (and random ones) on every
 * syscall of RS and a default number. */
static void fuzz_args(const sf_ruleset *rs, prog p, int rounds) {
  uint64_t vals[MAX_INTERESTING];
  size_t nv = interesting_values(rs, vals);
  for (size_t i = 0; i <= rs->n_sys; i++) {
    sf_query c = call_of(rs, i < rs->n_sys ? rs->sys[i].nr : 12345);
    for (int r = 0; r < rounds; r++) {
      for (int a = 0; a < SF_MAX_ARGS; a++) {
        uint32_t pick = rnd_below(8);
        c.args[a] = pick == 0 ? rnd() : pick == 1 ? c.args[(a + 1) % 6]
                                                  : vals[rnd_below((uint32_t)nv)];
      }
      check_call(rs, p, &c);
    }
  }
}

START_TEST(test_arg_compare_all_ops) {
  static const char *const arches[] = {"x86_64", "s390x", "i386"};
  static const uint64_t ks[] = {0, 1, 5, 0xffff, 0xffffffff, 0x100000000ULL,
                                0x123456789ULL, ~0ULL, 0xffffffff00000000ULL};
  static const int bits[] = {16, 32, 64};
  for (size_t a = 0; a < 3; a++) {
    for (size_t bi = 0; bi < 3; bi++) {
      for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
        for (int op = CMP_EQ; op <= CMP_GE; op++) {
          sf_ctx_reset(ctx);
          rsb b = rs_new(arches[a], ALLOW, KILL);
          sf_sysrules *s = rs_sys(&b, 3);
          rs_rule(s, c_cmp((cmp_op)op, v_arg(1, bits[bi]), v_const(ks[ki])),
                  ERRNO(1));
          /* And the mirrored form, constant on the left. */
          rs_rule(s, c_cmp((cmp_op)op, v_const(ks[ki]), v_arg(2, bits[bi])),
                  ERRNO(2));
          prog p = compile_ok(b.rs);
          fuzz_args(b.rs, p, 200);
          free(p.insns);
        }
      }
    }
  }
}
END_TEST

START_TEST(test_jset) {
  rsb b = rs_new("x86_64", ALLOW, KILL);
  /* (a0 & 0x4) == 0 -> one jset on the low word, no load of the high. */
  rs_rule(rs_sys(&b, 9), c_cmp(CMP_EQ, v_bin(VAL_AND, v_arg(0, 64), v_const(4)),
                               v_const(0)), ERRNO(1));
  /* (a1 & 0x100000000) != 0 -> one jset on the high word. */
  rs_rule(rs_sys(&b, 10), c_cmp(CMP_NE, v_bin(VAL_AND, v_arg(1, 64),
                                              v_const(0x100000000ULL)),
                                v_const(0)), ERRNO(2));
  /* (a2 & 8) == 8 with a single bit -> jset. */
  rs_rule(rs_sys(&b, 11), c_cmp(CMP_EQ, v_bin(VAL_AND, v_const(8), v_arg(2, 32)),
                                v_const(8)), ERRNO(3));
  prog p = compile_ok(b.rs);
  ck_assert_int_eq(count_op(p, BPF_JMP | BPF_JSET | BPF_K), 3);
  ck_assert_int_eq(count_op(p, BPF_ALU | BPF_AND | BPF_K), 0);
  fuzz_args(b.rs, p, 500);
  free(p.insns);
}
END_TEST

START_TEST(test_width_folding) {
  rsb b = rs_new("x86_64", ALLOW, KILL);
  /* 32-bit argument against a small constant: low word only. */
  rs_rule(rs_sys(&b, 1), c_cmp(CMP_GT, v_arg(0, 32), v_const(7)), ERRNO(1));
  /* 32-bit argument against 2^32: always less, the rule folds away. */
  rs_rule(rs_sys(&b, 2), c_cmp(CMP_GE, v_arg(0, 32), v_const(0x100000000ULL)),
          ERRNO(2));
  /* x >= 0 is always true: the syscall becomes unconditional. */
  rs_rule(rs_sys(&b, 3), c_cmp(CMP_GE, v_arg(0, 64), v_const(0)), ERRNO(3));
  prog p = compile_ok(b.rs);
  /* Only one argument load in the whole program. */
  int loads = 0;
  for (size_t i = 0; i < p.len; i++)
    loads += p.insns[i].code == (BPF_LD | BPF_W | BPF_ABS) && p.insns[i].k >= 16;
  ck_assert_int_eq(loads, 1);
  fuzz_args(b.rs, p, 300);
  sweep_numbers(b.rs, p, NULL);
  free(p.insns);
}
END_TEST

START_TEST(test_var_vs_var_and_masks) {
  static const char *const arches[] = {"x86_64", "s390x", "i386"};
  for (size_t a = 0; a < 3; a++) {
    for (int op = CMP_EQ; op <= CMP_GE; op++) {
      sf_ctx_reset(ctx);
      rsb b = rs_new(arches[a], ALLOW, KILL);
      int wide = b.rs->arch->bits == 64 ? 64 : 32;
      sf_sysrules *s = rs_sys(&b, 5);
      /* a0 op a1 */
      rs_rule(s, c_cmp((cmp_op)op, v_arg(0, wide), v_arg(1, wide)), ERRNO(1));
      /* (a2 | a3) op (a4 & a5) : both sides need X, one waits in M[] */
      rs_rule(s, c_cmp((cmp_op)op, v_bin(VAL_OR, v_arg(2, wide), v_arg(3, 32)),
                       v_bin(VAL_AND, v_arg(4, wide), v_arg(5, 16))),
              ERRNO(2));
      /* ((a0 & a1) | (a2 & a3)) op ((a4 | 0xf0) & (a5 | a0)) */
      sf_val *l = v_bin(VAL_OR, v_bin(VAL_AND, v_arg(0, wide), v_arg(1, wide)),
                        v_bin(VAL_AND, v_arg(2, 16), v_arg(3, wide)));
      sf_val *r = v_bin(VAL_AND, v_bin(VAL_OR, v_arg(4, wide), v_const(0xf0)),
                        v_bin(VAL_OR, v_arg(5, wide), v_arg(0, 32)));
      rs_rule(s, c_cmp((cmp_op)op, l, r), ERRNO(3));
      rs_rule(s, c_cmp((cmp_op)op, r, l), ERRNO(4));
      prog p = compile_ok(b.rs);
      ck_assert_int_gt(count_op(p, BPF_ST), 0);
      fuzz_args(b.rs, p, 3000);
      free(p.insns);
    }
  }
}
END_TEST

START_TEST(test_scratch_overflow) {
  /* v_k = op(v_{k-1}, v_{k-1}) with both sides needing X: each level needs
   * one more scratch word.  Shared subtrees keep the test small; the error
   * comes before any code is emitted. */
  rsb b = rs_new("x86_64", ALLOW, KILL);
  sf_val *v = v_bin(VAL_OR, v_arg(0, 32), v_arg(1, 32));
  for (int k = 1; k <= 17; k++)
    v = v_bin(k % 2 ? VAL_AND : VAL_OR, v, v);
  rs_rule(rs_sys(&b, 1), c_cmp(CMP_EQ, v, v_arg(2, 32)), ERRNO(1));
  struct sock_filter *out = NULL;
  size_t len = 0;
  ck_assert_int_eq(sf_codegen(ctx, b.rs, &out, &len), -1);
  ck_assert_ptr_nonnull(strstr(sysfence_diag_text(ctx), "scratch"));
}
END_TEST

START_TEST(test_shared_blocks) {
  /* Three syscalls with structurally equal (separately allocated) rules
   * share one decision block; a fourth with a different constant does not. */
  size_t len[2];
  for (int variant = 0; variant < 2; variant++) {
    sf_ctx_reset(ctx);
    rsb b = rs_new("x86_64", KILL, KILL);
    uint32_t nrs[] = {10, 20, 30};
    for (size_t i = 0; i < 3; i++) {
      sf_sysrules *s = rs_sys(&b, nrs[i]);
      rs_rule(s, c_bin(COND_OR, c_cmp(CMP_EQ, v_arg(0, 64), v_const(1)),
                       c_cmp(CMP_LT, v_arg(1, 32), v_const(100))),
              ALLOW);
      rs_rule(s, NULL, ERRNO(5));
    }
    if (variant) {
      sf_sysrules *s = rs_sys(&b, 40);
      rs_rule(s, c_bin(COND_OR, c_cmp(CMP_EQ, v_arg(0, 64), v_const(2)),
                       c_cmp(CMP_LT, v_arg(1, 32), v_const(100))),
              ALLOW);
      rs_rule(s, NULL, ERRNO(5));
    }
    prog p = compile_ok(b.rs);
    fuzz_args(b.rs, p, 200);
    sweep_numbers(b.rs, p, NULL);
    len[variant] = p.len;
    free(p.insns);
  }
  /* The fourth syscall costs its own block (>= 5 instructions) plus
   * at most two tree nodes; had the first three not shared, the first
   * program would be far larger. */
  ck_assert_uint_ge(len[1], len[0] + 5);
  ck_assert_uint_le(len[0], 3 + 6 + 8 + 3);
}
END_TEST

START_TEST(test_rule_order_and_folding) {
  rsb b = rs_new("x86_64", ERRNO(99), KILL);
  sf_sysrules *s = rs_sys(&b, 0);
  /* false rule dropped, then a real one, then a true one ends the list */
  rs_rule(s, c_const(0), KILL);
  rs_rule(s, c_cmp(CMP_LE, v_arg(0, 64), v_const(10)), ERRNO(1));
  rs_rule(s, c_bin(COND_NOT, c_const(0), NULL), ERRNO(2));
  s = rs_sys(&b, 1);
  /* The last rule has the fallback's action: nothing to test at all. */
  rs_rule(s, c_cmp(CMP_EQ, v_arg(0, 64), v_const(3)), ERRNO(99));
  s = rs_sys(&b, 2);
  rs_rule(s, c_cmp(CMP_EQ, v_arg(0, 64), v_arg(0, 64)), ERRNO(4));
  prog p = compile_ok(b.rs);
  fuzz_args(b.rs, p, 300);
  sweep_numbers(b.rs, p, NULL);
  /* Syscalls 1 and 2 have no argument code: one block only (syscall 0,
   * a 64-bit <=: high word, then low word). */
  int arg_loads = 0;
  for (size_t i = 0; i < p.len; i++)
    arg_loads += p.insns[i].code == (BPF_LD | BPF_W | BPF_ABS) && p.insns[i].k >= 16;
  ck_assert_int_eq(arg_loads, 2);
  free(p.insns);
}
END_TEST

/* ---- random rule sets ---------------------------------------------- */

static const uint32_t action_pool[] = {ALLOW,     KILL,     KILL_T,
                                       ERRNO(1),  ERRNO(2), SF_RET_TRAP,
                                       SF_RET_LOG};
#define N_ACTIONS (sizeof action_pool / sizeof action_pool[0])

static uint32_t rnd_action(void) { return action_pool[rnd_below(N_ACTIONS)]; }

static uint64_t rnd_const(void) {
  static const uint64_t pool[] = {0,          1,          2,
                                  3,          0xff,       0xffff,
                                  0x10000,    0x7fffffff, 0x80000000,
                                  0xffffffff, 0x100000000ULL, 0x1ffffffffULL,
                                  ~0ULL,      0xffffffff00000000ULL,
                                  0x8000000000000000ULL};
  switch (rnd_below(4)) {
  case 0: return rnd();
  case 1: return rnd_below(16);
  case 2: return (uint64_t)1 << rnd_below(64);
  default: return pool[rnd_below(sizeof pool / sizeof pool[0])];
  }
}

static sf_val *rnd_val(const sf_arch *arch, int depth) {
  uint32_t pick = rnd_below(depth > 0 ? 10 : 6);
  if (pick < 2) return v_const(rnd_const());
  /* One random draw per statement: the order of evaluation of function
   * arguments is unspecified, and the seed must mean the same cases under
   * every compiler. */
  if (pick < 6) {
    static const int bits[] = {16, 32, 64};
    int nb = arch->bits == 64 ? 3 : 2;
    int arg = (int)rnd_below(6);
    return v_arg(arg, bits[rnd_below((uint32_t)nb)]);
  }
  sf_val *l = rnd_val(arch, depth - 1);
  sf_val *r = rnd_val(arch, depth - 1);
  return v_bin(pick < 8 ? VAL_AND : VAL_OR, l, r);
}

static sf_cond *rnd_cond(const sf_arch *arch, int depth) {
  uint32_t pick = rnd_below(depth > 0 ? 12 : 6);
  if (pick < 5) {
    cmp_op op = (cmp_op)rnd_below(6);
    sf_val *l = rnd_val(arch, 2);
    sf_val *r = rnd_val(arch, 2);
    sf_cond *c = c_cmp(op, l, r);
    if (rnd_below(8) == 0) c->width = 64; /* 64 is always correct */
    return c;
  }
  if (pick == 5) return c_const(rnd_below(16) != 0);
  if (pick < 8) return c_bin(COND_NOT, rnd_cond(arch, depth - 1), NULL);
  sf_cond *a = rnd_cond(arch, depth - 1);
  sf_cond *b = rnd_cond(arch, depth - 1);
  return c_bin(pick < 10 ? COND_AND : COND_OR, a, b);
}

static uint32_t rnd_nr(void) {
  switch (rnd_below(8)) {
  case 0: return boundary_nrs[rnd_below(N_BOUNDARY)];
  case 1: {
    uint32_t nr = boundary_nrs[rnd_below(N_BOUNDARY)];
    return nr + rnd_below(3) - 1;
  }
  case 2: return rnd_below(600);
  default: return rnd_below(40);
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* A random rule set for ARCH; with X32_NRS most numbers get x32's bit (so
 * that they are x32's own, not foreign to it). */
static sf_ruleset *rnd_ruleset_for(const char *arch, int x32_nrs) {
  uint32_t dflt = rnd_action();
  rsb b = rs_new(arch, dflt, rnd_action());
  uint32_t nrs[24];
  size_t n = rnd_below(24);
  for (size_t i = 0; i < n; i++) {
    nrs[i] = rnd_nr();
    if (x32_nrs && rnd_below(4) != 0) nrs[i] |= 0x40000000u;
  }
  qsort(nrs, n, sizeof nrs[0], cmp_u32);
  for (size_t i = 0; i < n; i++) {
    if (i && nrs[i] == nrs[i - 1]) continue;
    sf_sysrules *s = rs_sys(&b, nrs[i]);
    /* Sometimes reuse an earlier syscall's rules (same objects): shared
     * blocks, and ranges of equal behaviour that merge. */
    if (b.rs->n_sys > 1 && rnd_below(4) == 0) {
      const sf_sysrules *o = &b.rs->sys[rnd_below((uint32_t)b.rs->n_sys - 1)];
      for (size_t j = 0; j < o->n_rules; j++)
        rs_rule(s, o->rules[j].cond, o->rules[j].action);
      continue;
    }
    size_t nr_rules = 1 + rnd_below(4);
    for (size_t j = 0; j < nr_rules; j++) {
      int last = j + 1 == nr_rules;
      if (last && rnd_below(2)) {
        rs_rule(s, NULL, rnd_action());
        break;
      }
      const sf_cond *cond = rnd_cond(b.rs->arch, 3);
      rs_rule(s, cond, rnd_action());
    }
  }
  return b.rs;
}

static sf_ruleset *rnd_ruleset(void) {
  static const char *const arches[] = {"x86_64", "s390x", "i386", "x32",
                                       "aarch64", "mips"};
  return rnd_ruleset_for(arches[rnd_below(sizeof arches / sizeof arches[0])], 0);
}

START_TEST(test_random_rulesets) {
  sf_ruleset *rs_prev = NULL;
  rng_state = 0x5eed5eed12345678ULL;
  size_t before = n_calls;
  int n_sets = 2500;
  for (int i = 0; i < n_sets * 2; i++) {
    /* Each rule set twice: straightforward (-O0) and optimized code. */
    if (i % 2 == 0) sf_ctx_reset(ctx);
    ctx->opt_level = i % 2;
    sf_ruleset *rs = i % 2 ? rs_prev : (rs_prev = rnd_ruleset());
    prog p = compile_ok(rs);
    fuzz_args(rs, p, 40);
    /* Numbers: each syscall +-1, boundaries, a foreign arch. */
    sf_query c = call_of(rs, 0);
    for (size_t k = 0; k < N_BOUNDARY; k++) {
      c.nr = boundary_nrs[k];
      check_call(rs, p, &c);
    }
    for (size_t k = 0; k < rs->n_sys; k++) {
      c.nr = rs->sys[k].nr + 1;
      check_call(rs, p, &c);
      c.nr = rs->sys[k].nr - 1;
      check_call(rs, p, &c);
    }
    for (uint32_t nr = 0; nr < 64; nr++) {
      c.nr = nr;
      check_call(rs, p, &c);
    }
    c.arch = ~rs->arch->audit_arch;
    check_call(rs, p, &c);
    free(p.insns);
  }
  ctx->opt_level = 1;
  fprintf(stderr, "check_codegen: %d random rule sets at -O0 and -O1, %zu "
          "calls compared\n", n_sets, n_calls - before);
}
END_TEST

/* ---- several targets in one program ----------------------------------- */

static prog compile_targets_ok(const sf_ruleset *const *rs, size_t n) {
  prog p = {NULL, 0};
  if (sf_codegen_targets(ctx, rs, n, &p.insns, &p.len) != 0) {
    for (size_t i = 0; i < n; i++) print_ruleset(stderr, rs[i]);
    ck_abort_msg("sf_codegen_targets failed: %s", sysfence_diag_text(ctx));
  }
  char why[256];
  if (sf_bpf_validate(p.insns, p.len, why, sizeof why) != 0) {
    for (size_t i = 0; i < n; i++) print_ruleset(stderr, rs[i]);
    ck_abort_msg("invalid program: %s", why);
  }
  return p;
}

/* The program of RS[0..N) on CALL against the multi-target reference
 * (sf_targets_decide). */
static void check_targets_call(const sf_ruleset *const *rs, size_t n, prog p,
                               const sf_query *call) {
  sf_seccomp_data d;
  memset(&d, 0, sizeof d);
  d.nr = call->nr;
  d.arch = call->arch;
  d.ip = 0x7f0012345678ULL;
  memcpy(d.args, call->args, sizeof d.args);
  uint32_t got = sf_bpf_run(p.insns, p.len, rs[0]->arch, &d, NULL);
  uint32_t want = sf_targets_decide(rs, n, call, NULL);
  n_calls++;
  if (got == want) return;
  char a[64], b[64];
  for (size_t i = 0; i < n; i++) print_ruleset(stderr, rs[i]);
  fprintf(stderr, "call nr=%#x arch=%#x args=", call->nr, call->arch);
  for (int i = 0; i < SF_MAX_ARGS; i++)
    fprintf(stderr, "%s%#" PRIx64, i ? "," : "", call->args[i]);
  fprintf(stderr, "\n  bpf: %s  reference: %s\n",
          sf_action_str(got, a, sizeof a), sf_action_str(want, b, sizeof b));
  ck_abort_msg("mismatch for nr %#x arch %#x: bpf %s, reference %s", call->nr,
               call->arch, a, b);
}

/* Under each target's AUDIT_ARCH: every number 0..600, the same with x32's
 * bit, the boundaries (-1 among them), each target's syscalls +-1; then
 * foreign AUDIT_ARCHes.  All with ARGS. */
static void sweep_targets(const sf_ruleset *const *rs, size_t n, prog p,
                          const uint64_t *args) {
  sf_query c;
  memset(&c, 0, sizeof c);
  if (args) memcpy(c.args, args, sizeof c.args);
  for (size_t t = 0; t < n; t++) {
    c.arch = rs[t]->arch->audit_arch;
    for (uint32_t nr = 0; nr <= 600; nr++) {
      c.nr = nr;
      check_targets_call(rs, n, p, &c);
      c.nr = nr | 0x40000000u;
      check_targets_call(rs, n, p, &c);
    }
    for (size_t i = 0; i < N_BOUNDARY; i++) {
      c.nr = boundary_nrs[i];
      check_targets_call(rs, n, p, &c);
    }
    for (size_t k = 0; k < n; k++)
      for (size_t i = 0; i < rs[k]->n_sys; i++)
        for (int delta = -1; delta <= 1; delta++) {
          c.nr = rs[k]->sys[i].nr + (uint32_t)delta;
          check_targets_call(rs, n, p, &c);
        }
  }
  static const uint32_t foreign[] = {0, 0xc00000b7 /* aarch64 */,
                                     0x40000028 /* arm */, 0x80000016 /* s390x */,
                                     0x4000003e, 0x40000003 /* i386 */};
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
    for (uint32_t nr = 0; nr < 4; nr++) {
      c.arch = foreign[i];
      c.nr = nr;
      check_targets_call(rs, n, p, &c);
    }
}

/* A policy (the text SRC, or the file PATH) through the front end for
 * several targets, at -O0 and -O1. */
static void sweep_policy_targets(const char *src, const char *path, const char *arches) {
  for (int level = 0; level <= 1; level++) {
    sf_ctx_reset(ctx);
    ctx->opt_level = level;
    ck_assert_int_eq(src ? sysfence_set_input_string(ctx, "t.policy", src)
                         : sysfence_set_input_path(ctx, path), SYSFENCE_OK);
    ck_assert_int_eq(sysfence_set_arches(ctx, arches, NULL, 0), SYSFENCE_OK);
    const ast_file *file;
    const sf_ruleset *rs[SF_MAX_TARGETS];
    size_t n = sf_front_end_targets(ctx, &file, rs);
    ck_assert_msg(n > 0, "%s: %s", arches, sysfence_diag_text(ctx));
    prog p = compile_targets_ok(rs, n);
    sweep_targets(rs, n, p, NULL);
    static const uint64_t some[SF_MAX_ARGS] = {1, 2, 0x40, 0xffffffffffffff9cULL, 0, 7};
    sweep_targets(rs, n, p, some);
    free(p.insns);
  }
  ctx->opt_level = 1;
  sysfence_set_arch(ctx, sysfence_host_arch() ? sysfence_host_arch() : "x86_64");
}

static const char *const TARGET_POLICIES[] = {
    "ALLOW { read, write { fd == 1 }, openat { (flags & 0x40) != 0 } } DEFAULT KILL\n",
    /* Each target its own rules. */
    "ALLOW { read, write ON x86_64 }\n"
    "ERRNO(2) { write ON i386, open ON { i386, x32 }, socketcall ON i386 }\n"
    "TRAP(3) { write ON x32, SYSCALL[0x40000001], SYSCALL[0x40000258] }\n"
    "LOG { SYSCALL[-1], SYSCALL[600] }\n"
    "DEFAULT ERRNO(38)\n",
    /* A long allowlist: far jumps in every section. */
    "ALLOW { read, write, close, fstat, lseek, mmap, mprotect, munmap, brk,\n"
    "  rt_sigaction, rt_sigprocmask, ioctl { cmd == 0x5401 }, pread64, pwrite64,\n"
    "  readv, writev, access, pipe, select, sched_yield, mremap, msync, mincore,\n"
    "  madvise, dup, dup2, pause, nanosleep, getitimer, alarm, setitimer, getpid,\n"
    "  sendfile, socket { domain == 1 || domain == 2 }, connect, accept, sendto,\n"
    "  recvfrom, exit, exit_group, futex, clock_gettime, gettid, tgkill }\n"
    "DEFAULT ERRNO(1)\n",
};

START_TEST(test_targets_sweep) {
  static const char *const lists[] = {"x86_64,i386,x32", "x32,x86_64,i386",
                                      "i386,x86_64", "x86_64,i386", "x86_64,x32"};
  size_t before = n_calls;
  for (size_t i = 0; i < sizeof TARGET_POLICIES / sizeof TARGET_POLICIES[0]; i++)
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
      sweep_policy_targets(TARGET_POLICIES[i], NULL, lists[k]);
  fprintf(stderr, "check_codegen: %zu policies for several targets, %zu calls "
          "compared\n", sizeof TARGET_POLICIES / sizeof TARGET_POLICIES[0] *
          (sizeof lists / sizeof lists[0]), n_calls - before);
}
END_TEST

/* Docker's policy for x86_64,i386,x32. */
START_TEST(test_targets_docker) {
  TU_NEED_CORPUS("test_targets_docker");
  sweep_policy_targets(NULL, SHARED_DIR "/corpus/docker-default.kafel", "x86_64,i386,x32");
  sweep_policy_targets(NULL, SHARED_DIR "/corpus/podman-default.kafel", "x32,i386,x86_64");
}
END_TEST

/* Random rule sets (no parser) for x86_64, i386 and x32 in a random order
 * and subset, at -O0 and -O1. */
START_TEST(test_targets_random) {
  rng_state = 0x7a26e75eedULL;
  size_t before = n_calls;
  int n_sets = 150;
  for (int i = 0; i < n_sets; i++) {
    sf_ctx_reset(ctx);
    static const char *const abis[] = {"x86_64", "i386", "x32"};
    const sf_ruleset *rs[3];
    size_t n = 2 + rnd_below(2), first = rnd_below(3);
    for (size_t k = 0; k < n; k++) {
      const char *abi = abis[(first + k) % 3];
      rs[k] = rnd_ruleset_for(abi, strcmp(abi, "x32") == 0);
    }
    /* One bad-arch action for all, as the front end gives. */
    for (size_t k = 1; k < n; k++)
      ((sf_ruleset *)rs[k])->bad_arch_action = rs[0]->bad_arch_action;
    for (int level = 0; level <= 1; level++) {
      ctx->opt_level = level;
      prog p = compile_targets_ok(rs, n);
      uint64_t args[SF_MAX_ARGS];
      for (int a = 0; a < SF_MAX_ARGS; a++) args[a] = rnd_below(3) ? rnd_below(4) : rnd();
      sweep_targets(rs, n, p, i % 2 ? args : NULL);
      free(p.insns);
    }
  }
  ctx->opt_level = 1;
  fprintf(stderr, "check_codegen: %d random target sets at -O0 and -O1, %zu "
          "calls compared\n", n_sets, n_calls - before);
}
END_TEST

/* ---- value sets: rules on one argument word ------------------------- */

/* A comparison of argument ARG (BITS wide) with a constant near the
 * previous ones, so that intervals touch and overlap. */
static sf_cond *rnd_word_cmp(int arg, int bits, const uint32_t *ks, size_t nk) {
  uint32_t k = nk && rnd_below(2) ? ks[rnd_below((uint32_t)nk)] + rnd_below(3) - 1
                                  : (uint32_t)rnd_const();
  if (bits == 16 && rnd_below(2)) k &= 0xffff;
  cmp_op op = (cmp_op)rnd_below(6);
  return c_cmp(op, v_arg(arg, bits), v_const(k));
}

/* Conditions over one word: or-lists of comparisons (Kafel's "x == 1, x ==
 * 2"), sometimes and-ed or negated; a submask set {0, m's bits...} plus an
 * extra value (personality's shape); or the negation of an earlier rule. */
static sf_cond *rnd_word_cond(int arg, int bits, uint32_t *ks, size_t *nk,
                              const sf_cond *earlier) {
  uint32_t pick = rnd_below(6);
  if (pick == 0 && earlier) return c_bin(COND_NOT, (sf_cond *)earlier, NULL);
  if (pick == 1) { /* all submasks of m, plus maybe one more value */
    uint32_t m = (1u << rnd_below(32)) | (1u << rnd_below(32));
    if (rnd_below(2)) m |= 1u << rnd_below(32);
    sf_cond *c = c_cmp(CMP_EQ, v_arg(arg, bits), v_const(0));
    for (uint32_t sub = m; sub; sub = (sub - 1) & m)
      c = c_bin(COND_OR, c, c_cmp(CMP_EQ, v_arg(arg, bits), v_const(sub)));
    if (rnd_below(2))
      c = c_bin(COND_OR, c, c_cmp(CMP_EQ, v_arg(arg, bits), v_const(rnd_const() & 0xffffffffu)));
    return c;
  }
  size_t n = 1 + rnd_below(5);
  sf_cond *c = NULL;
  for (size_t i = 0; i < n; i++) {
    sf_cond *x = rnd_word_cmp(arg, bits, ks, *nk);
    if (*nk < 32) ks[(*nk)++] = (uint32_t)x->rhs->k;
    if (!c) c = x;
    else c = c_bin(rnd_below(4) ? COND_OR : COND_AND, c, x);
  }
  return rnd_below(6) ? c : c_bin(COND_NOT, c, NULL);
}

static sf_ruleset *rnd_value_set_ruleset(void) {
  static const char *const arches[] = {"x86_64", "s390x", "i386", "aarch64"};
  const char *arch = arches[rnd_below(sizeof arches / sizeof arches[0])];
  rsb b = rs_new(arch, rnd_action(), rnd_action());
  size_t n = 1 + rnd_below(6);
  for (size_t i = 0; i < n; i++) {
    sf_sysrules *s = rs_sys(&b, (uint32_t)(3 * i + rnd_below(2)));
    int arg = (int)rnd_below(6), bits = rnd_below(3) ? 32 : 16;
    uint32_t ks[32];
    size_t nk = 0, nr = 1 + rnd_below(4);
    const sf_cond *prev = NULL;
    for (size_t j = 0; j < nr; j++) {
      sf_cond *c = rnd_word_cond(arg, bits, ks, &nk, prev);
      rs_rule(s, c, rnd_action());
      prev = c;
    }
    if (rnd_below(2)) rs_rule(s, NULL, rnd_action());
  }
  return b.rs;
}

START_TEST(test_random_value_sets) {
  rng_state = 0x76a15e7500000001ULL;
  for (int i = 0; i < 1500; i++) {
    sf_ctx_reset(ctx);
    sf_ruleset *rs = rnd_value_set_ruleset();
    for (int opt = 0; opt <= 1; opt++) {
      ctx->opt_level = opt;
      prog p = compile_ok(rs);
      fuzz_args(rs, p, 60);
      /* Every value around every constant, on each syscall. */
      uint64_t vals[MAX_INTERESTING];
      size_t nv = interesting_values(rs, vals);
      for (size_t k = 0; k < rs->n_sys; k++) {
        sf_query c = call_of(rs, rs->sys[k].nr);
        for (size_t v = 0; v < nv; v++) {
          for (int a = 0; a < SF_MAX_ARGS; a++) c.args[a] = vals[v];
          check_call(rs, p, &c);
        }
      }
      free(p.insns);
    }
  }
  ctx->opt_level = 1;
}
END_TEST

/* ---- the issue's targets: Docker and Podman defaults ------------------ */

/* Longest path through a program, in instructions (jumps only go forward). */
static size_t longest_path(prog p) {
  size_t *l = calloc(p.len, sizeof *l), r;
  ck_assert_ptr_nonnull(l);
  for (size_t i = p.len; i-- > 0;) {
    const struct sock_filter *f = &p.insns[i];
    if (BPF_CLASS(f->code) == BPF_RET) l[i] = 1;
    else if (f->code == (BPF_JMP | BPF_JA)) l[i] = 1 + l[i + 1 + f->k];
    else if (BPF_CLASS(f->code) == BPF_JMP) {
      size_t a = l[i + 1 + f->jt], b = l[i + 1 + f->jf];
      l[i] = 1 + (a > b ? a : b);
    } else l[i] = 1 + l[i + 1];
  }
  r = l[0];
  free(l);
  return r;
}

/* The kernel's seccomp_is_const_allow: is NR's verdict a constant ALLOW
 * (only nr/arch loads, constant jumps, AND, RET ALLOW on its path)? */
static int kernel_caches(prog p, uint32_t nr, uint32_t arch) {
  uint32_t a = 0;
  for (size_t pc = 0; pc < p.len;) {
    const struct sock_filter *f = &p.insns[pc];
    size_t next = pc + 1;
    switch (f->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (f->k != 0 && f->k != 4) return 0;
      a = f->k ? arch : nr;
      break;
    case BPF_RET | BPF_K: return f->k == SF_RET_ALLOW;
    case BPF_JMP | BPF_JA: next += f->k; break;
    case BPF_JMP | BPF_JEQ | BPF_K: next += a == f->k ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JGE | BPF_K: next += a >= f->k ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JGT | BPF_K: next += a > f->k ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JSET | BPF_K: next += (a & f->k) ? f->jt : f->jf; break;
    case BPF_ALU | BPF_AND | BPF_K: a &= f->k; break;
    default: return 0;
    }
    pc = next;
  }
  return 0;
}

typedef struct shape {
  size_t insns, worst, cached, uncond_allowed;
  double mean;
} shape;

/* Does RS allow NR whatever the arguments?  (Every rule ALLOW, ending in
 * an unconditional one or in an ALLOW default.) */
static int always_allowed(const sf_ruleset *rs, uint32_t nr) {
  for (size_t i = 0; i < rs->n_sys; i++) {
    if (rs->sys[i].nr != nr) continue;
    const sf_sysrules *s = &rs->sys[i];
    for (size_t j = 0; j < s->n_rules; j++) {
      if (s->rules[j].action != SF_RET_ALLOW) return 0;
      if (!s->rules[j].cond) return 1;
    }
    break;
  }
  return rs->default_action == SF_RET_ALLOW;
}

/* Mean path of P over RS's syscalls with zero arguments into SH, and (if
 * CACHEABLE) how many of those RS always allows the kernel caches. */
static void measure_target(prog p, const sf_ruleset *rs, int cacheable, shape *sh) {
  const sf_arch *arch = rs->arch;
  size_t steps_sum = 0;
  for (size_t i = 0; i < arch->n_syscalls; i++) {
    sf_seccomp_data d;
    memset(&d, 0, sizeof d);
    d.nr = arch->by_nr[i]->nr;
    d.arch = arch->audit_arch;
    size_t steps;
    sf_bpf_run(p.insns, p.len, arch, &d, &steps);
    steps_sum += steps;
    if (cacheable && always_allowed(rs, d.nr)) {
      sh->uncond_allowed++;
      sh->cached += (size_t)kernel_caches(p, d.nr, d.arch);
    }
  }
  sh->mean = (double)steps_sum / (double)arch->n_syscalls;
}

/* Size, mean path over the arch's syscalls with zero arguments, worst
 * path, and how many always-allowed syscalls the kernel caches. */
static shape measure_policy(const char *path) {
  shape sh = {0, 0, 0, 0, 0};
  ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
  const ast_file *file;
  const sf_ruleset *rs = sf_front_end_tree(ctx, &file);
  ck_assert_msg(rs != NULL, "%s: %s", path, sysfence_diag_text(ctx));
  prog p = compile_ok(rs);
  measure_target(p, rs, 1, &sh);
  sh.insns = p.len;
  sh.worst = longest_path(p);
  free(p.insns);
  fprintf(stderr, "%s: %zu insns, mean %.3f, worst %zu, cached %zu/%zu\n",
          path, sh.insns, sh.mean, sh.worst, sh.cached, sh.uncond_allowed);
  return sh;
}

START_TEST(test_docker_podman_targets) {
  TU_NEED_CORPUS("test_docker_podman_targets");
  static const struct {
    const char *file;
    size_t insns;
    double mean;
    size_t worst;
  } t[] = {
      {SHARED_DIR "/corpus/docker-default.kafel", 70, 9.1, 15},
      {SHARED_DIR "/corpus/podman-default.kafel", 72, 8.8, 15},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    shape sh = measure_policy(t[i].file);
    ck_assert_uint_le(sh.insns, t[i].insns);
    ck_assert_double_le(sh.mean, t[i].mean);
    ck_assert_uint_le(sh.worst, t[i].worst);
    ck_assert_uint_eq(sh.cached, sh.uncond_allowed);
    ck_assert_uint_ge(sh.uncond_allowed, 300);
  }
}
END_TEST

/* Docker's profile for the ABIs one kernel runs: the figures of issue 10's
 * bench (bench/: `make bench`), as bounds that catch a regression.  Each
 * target's mean path is over its own syscalls with zero arguments; every
 * syscall a target allows whatever the arguments is in the kernel's action
 * cache for its AUDIT_ARCH (native and compat; x32's numbers are above
 * the cache's bitmaps and never in it). */
typedef struct target_bound {
  const char *arch;
  double mean;
} target_bound;

static void check_multiarch_shape(const char *list, size_t max_insns,
                                  const target_bound *bounds, size_t n_bounds) {
  sf_ctx_reset(ctx);
  ck_assert_int_eq(sysfence_set_input_path(ctx, SHARED_DIR "/corpus/docker-default.kafel"),
                   SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_arches(ctx, list, NULL, 0), SYSFENCE_OK);
  const ast_file *file;
  const sf_ruleset *rs[SF_MAX_TARGETS];
  size_t n = sf_front_end_targets(ctx, &file, rs);
  ck_assert_msg(n == n_bounds, "%s: %s", list, sysfence_diag_text(ctx));
  prog p = compile_targets_ok(rs, n);
  fprintf(stderr, "docker --arch %s: %zu insns, longest path %zu\n", list, p.len,
          longest_path(p));
  ck_assert_uint_le(p.len, max_insns);
  for (size_t t = 0; t < n; t++) {
    const sf_arch *arch = rs[t]->arch;
    ck_assert_str_eq(arch->name, bounds[t].arch);
    int cacheable = strcmp(arch->name, "x32") != 0;
    shape sh = {0, 0, 0, 0, 0};
    measure_target(p, rs[t], cacheable, &sh);
    fprintf(stderr, "  %s: mean %.3f, cached %zu/%zu\n", arch->name, sh.mean, sh.cached,
            sh.uncond_allowed);
    ck_assert_double_le(sh.mean, bounds[t].mean);
    ck_assert_uint_eq(sh.cached, sh.uncond_allowed);
    if (cacheable) ck_assert_uint_ge(sh.uncond_allowed, 250);
  }
  free(p.insns);
  ctx->opt_level = 1;
  sysfence_set_arch(ctx, sysfence_host_arch() ? sysfence_host_arch() : "x86_64");
}

START_TEST(test_docker_multiarch_targets) {
  TU_NEED_CORPUS("test_docker_multiarch_targets");
  /* Measured: 232 insns, x86_64 9.08, i386 11.28, x32 20.59. */
  const target_bound x86[] = {{"x86_64", 9.085}, {"i386", 11.285}, {"x32", 20.59}};
  check_multiarch_shape("x86_64,i386,x32", 232, x86, 3);
  /* Measured: 188 insns, aarch64 9.27, arm 11.33. */
  const target_bound arm[] = {{"aarch64", 9.275}, {"arm", 11.335}};
  check_multiarch_shape("aarch64,arm", 188, arm, 2);
}
END_TEST

/* Small policies: a JEQ above the search lets the ranges around an isolated
 * syscall merge (write in `ALLOW { write {...} } DEFAULT KILL`: jeq #1,
 * then jge #0x40000000, jge #0xffffffff), one instruction less than a JGE
 * ladder and no slower.  Sizes at or below Kafel's + the arch check and the
 * x32 range. */
START_TEST(test_small_policy_sizes) {
  TU_NEED_CORPUS("test_small_policy_sizes");
  static const struct {
    const char *file;
    size_t insns;
    double mean;
    size_t worst;
  } t[] = {
      {SHARED_DIR "/corpus/kafel/kafel-samples/sample_and_eq_long.policy", 15,
       6.006, 11},
      {SHARED_DIR "/corpus/kafel/kafel-samples/sample_basic.policy", 20, 6.006,
       16},
      {SHARED_DIR "/corpus/kafel/kafel-samples/sample_var_cmp.policy", 23,
       6.014, 19},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    shape sh = measure_policy(t[i].file);
    ck_assert_uint_le(sh.insns, t[i].insns);
    ck_assert_double_le(sh.mean, t[i].mean);
    ck_assert_uint_le(sh.worst, t[i].worst);
  }
}
END_TEST

START_TEST(test_deterministic) {
  /* Same rule set -> same bytes, also when the objects were allocated in a
   * different order (a different arena layout). */
  struct sock_filter *first = NULL;
  size_t first_len = 0;
  for (int round = 0; round < 3; round++) {
    sf_ctx_reset(ctx);
    if (round == 2) zalloc(12345); /* shift every address */
    rng_state = 0xabcdef;
    sf_ruleset *rs = NULL;
    for (int i = 0; i < 20; i++) rs = rnd_ruleset(); /* the 20th */
    prog p = compile_ok(rs);
    if (!first) {
      first = p.insns;
      first_len = p.len;
    } else {
      ck_assert_uint_eq(p.len, first_len);
      ck_assert(memcmp(p.insns, first, p.len * sizeof *p.insns) == 0);
      free(p.insns);
    }
  }
  free(first);
}
END_TEST

static Suite *codegen_suite(void) {
  Suite *s = suite_create("codegen");
  TCase *tc = tcase_create("numbers");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_empty_policy);
  tcase_add_test(tc, test_allowlist_ranges);
  tcase_add_test(tc, test_foreign_abi);
  tcase_add_test(tc, test_singleton_jeq);
  tcase_add_test(tc, test_many_syscalls_far_jumps);
  tcase_add_test(tc, test_too_long);
  suite_add_tcase(s, tc);

  tc = tcase_create("arguments");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_arg_compare_all_ops);
  tcase_add_test(tc, test_jset);
  tcase_add_test(tc, test_width_folding);
  tcase_add_test(tc, test_var_vs_var_and_masks);
  tcase_add_test(tc, test_scratch_overflow);
  tcase_add_test(tc, test_shared_blocks);
  tcase_add_test(tc, test_rule_order_and_folding);
  suite_add_tcase(s, tc);

  tc = tcase_create("targets");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_docker_podman_targets);
  tcase_add_test(tc, test_docker_multiarch_targets);
  tcase_add_test(tc, test_small_policy_sizes);
  tcase_add_test(tc, test_targets_sweep);
  tcase_add_test(tc, test_targets_docker);
  suite_add_tcase(s, tc);

  tc = tcase_create("random");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_random_rulesets);
  tcase_add_test(tc, test_random_value_sets);
  tcase_add_test(tc, test_deterministic);
  tcase_add_test(tc, test_targets_random);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  rng_state = 0x9e3779b97f4a7c15ULL;
  return tu_run_suite(codegen_suite());
}
