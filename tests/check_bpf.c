/* check_bpf.c - the BPF back end: builder (labels, trampolines, limits),
 * validator (the kernel's rules), simulator (the kernel's semantics), raw
 * encoding and the emitters. */
#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define STMT(c, k) ((struct sock_filter)BPF_STMT((c), (k)))
#define JUMP(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const sf_arch *x86_64(void) {
  const sf_arch *a = sf_arch_by_name("x86_64");
  ck_assert_ptr_nonnull(a);
  return a;
}

static const sf_arch *s390x(void) {
  const sf_arch *a = sf_arch_by_name("s390x");
  ck_assert_ptr_nonnull(a);
  ck_assert(a->big_endian);
  return a;
}

/* ---- builder -------------------------------------------------------- */

static sysfence_ctx *ctx;
static sf_builder *b;
static struct sock_filter *out;
static size_t out_len;

static void builder_setup(void) {
  ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  b = sf_builder_new(ctx);
  ck_assert_ptr_nonnull(b);
  out = NULL;
  out_len = 0;
}

static void builder_teardown(void) {
  free(out);
  sysfence_free(ctx);
}

static int finish(void) { return sf_builder_finish(b, &out, &out_len); }

static const char *first_error(void) {
  ck_assert_uint_ge(sysfence_diag_count(ctx), 1);
  const sysfence_diag *d = sysfence_diag_get(ctx, 0);
  ck_assert_int_eq(d->severity, SYSFENCE_ERROR);
  return d->message;
}

static void fillers(size_t n) {
  for (size_t i = 0; i < n; i++) sf_builder_op(b, BPF_LDX | BPF_IMM, (uint32_t)i);
}

static uint32_t run_nr(uint32_t nr) {
  sf_seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};
  return sf_bpf_run(out, out_len, x86_64(), &d, NULL);
}

static void assert_valid(void) {
  char why[200];
  ck_assert_msg(sf_bpf_validate(out, out_len, why, sizeof why) == 0, "%s",
                why);
}

START_TEST(builder_labels) {
  sf_label kill = sf_label_new(b), allow = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 59, kill, SF_NO_LABEL);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0, allow, kill);
  sf_builder_ja(b, kill); /* unreachable, but encodable */
  sf_label_place(b, allow);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  sf_label_place(b, kill);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_KILL_PROCESS);
  ck_assert_uint_eq(sf_builder_size(b), 6);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, 6);
  const struct sock_filter want[] = {
      STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 3, 0),
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 2),
      STMT(BPF_JMP | BPF_JA, 1),
      STMT(BPF_RET | BPF_K, SF_RET_ALLOW),
      STMT(BPF_RET | BPF_K, SF_RET_KILL_PROCESS),
  };
  ck_assert_mem_eq(out, want, sizeof want);
  ck_assert_uint_eq(sysfence_diag_count(ctx), 0);
}
END_TEST

START_TEST(builder_two_labels_one_place) {
  sf_label a = sf_label_new(b), c = sf_label_new(b);
  sf_builder_jump(b, BPF_JMP | BPF_JSET | BPF_K, 1, a, c);
  sf_label_place(b, a);
  sf_label_place(b, c);
  sf_builder_op(b, BPF_RET | BPF_A, 0);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, 2);
  ck_assert_uint_eq(out[0].jt, 0);
  ck_assert_uint_eq(out[0].jf, 0);
}
END_TEST

/* jeq at 1; jt goes DIST instructions past the jump. */
static void far_jt(size_t dist) {
  sf_label far = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 7, far, SF_NO_LABEL);
  fillers(dist - 1);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_KILL_PROCESS);
  sf_label_place(b, far);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
}

START_TEST(builder_distance_255_fits) {
  far_jt(255);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, sf_builder_size(b));
  ck_assert_uint_eq(out[1].jt, 255);
  assert_valid();
  ck_assert_uint_eq(run_nr(7), SF_RET_ALLOW);
  ck_assert_uint_eq(run_nr(8), SF_RET_KILL_PROCESS);
}
END_TEST

START_TEST(builder_trampoline_jt) {
  far_jt(256);
  size_t n = sf_builder_size(b);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, n + 1);
  /* jeq jt->trampoline, jf skips it; the trampoline reaches the target */
  ck_assert_uint_eq(out[1].jt, 0);
  ck_assert_uint_eq(out[1].jf, 1);
  ck_assert_uint_eq(out[2].code, BPF_JMP | BPF_JA);
  ck_assert_uint_eq(2 + 1 + out[2].k, out_len - 1);
  assert_valid();
  ck_assert_uint_eq(run_nr(7), SF_RET_ALLOW);
  ck_assert_uint_eq(run_nr(8), SF_RET_KILL_PROCESS);
}
END_TEST

/* Both targets far: two trampolines (or one when they are the same). */
START_TEST(builder_trampoline_both) {
  sf_label t = sf_label_new(b), f = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 7, t, f);
  fillers(300);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_KILL_PROCESS);
  sf_label_place(b, t);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  sf_label_place(b, f);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ERRNO | 1);
  size_t n = sf_builder_size(b);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, n + 2);
  ck_assert_uint_eq(out[1].jt, 0);
  ck_assert_uint_eq(out[1].jf, 1);
  ck_assert_uint_eq(out[2].code, BPF_JMP | BPF_JA);
  ck_assert_uint_eq(out[3].code, BPF_JMP | BPF_JA);
  assert_valid();
  ck_assert_uint_eq(run_nr(7), SF_RET_ALLOW);
  ck_assert_uint_eq(run_nr(8), SF_RET_ERRNO | 1);
}
END_TEST

START_TEST(builder_trampoline_shared) {
  sf_label t = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 7, t, t);
  fillers(300);
  sf_label_place(b, t);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  size_t n = sf_builder_size(b);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, n + 1);
  ck_assert_uint_eq(out[1].jt, 0);
  ck_assert_uint_eq(out[1].jf, 0);
  assert_valid();
}
END_TEST

/* jt needs a trampoline; that pushes jf from 255 to 256, so it needs one
 * as well. */
START_TEST(builder_trampoline_pushes_other) {
  sf_label t = sf_label_new(b), f = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 7, t, f);
  fillers(254);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_KILL_PROCESS);
  sf_label_place(b, f); /* 255 past the jump */
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ERRNO | 2);
  fillers(50);
  sf_label_place(b, t);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  size_t n = sf_builder_size(b);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, n + 2);
  assert_valid();
  ck_assert_uint_eq(run_nr(7), SF_RET_ALLOW);
  ck_assert_uint_eq(run_nr(8), SF_RET_ERRNO | 2);
}
END_TEST

/* Jump A fits exactly (255) until jump B between it and its target gets a
 * trampoline: then A needs one too. */
START_TEST(builder_trampoline_cascade) {
  sf_label ta = sf_label_new(b), tb = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, ta, SF_NO_LABEL); /* A @1 */
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 2, tb, SF_NO_LABEL); /* B @2 */
  fillers(253);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_KILL_PROCESS); /* @256 */
  sf_label_place(b, ta);                            /* @257: 255 past A */
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ERRNO | 1);
  fillers(300);
  sf_label_place(b, tb);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ERRNO | 2);
  size_t n = sf_builder_size(b);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, n + 2);
  ck_assert_uint_eq(out[1].jt, 0); /* A goes through its trampoline */
  ck_assert_uint_eq(out[2].code, BPF_JMP | BPF_JA);
  assert_valid();
  ck_assert_uint_eq(run_nr(1), SF_RET_ERRNO | 1);
  ck_assert_uint_eq(run_nr(2), SF_RET_ERRNO | 2);
  ck_assert_uint_eq(run_nr(3), SF_RET_KILL_PROCESS);
}
END_TEST

/* Random programs: the laid-out program must behave like the symbolic one
 * and validate. */
typedef struct sym {
  int kind; /* 0 jeq, 1 filler, 2 ret, 3 ja */
  uint32_t k;
  size_t jt, jf; /* target indexes */
} sym;

static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 1103515245U + 12345U;
  return (rng_state >> 8) % n;
}

static size_t pick_target(size_t i, size_t n) {
  size_t d = rnd(2) ? 1 + rnd(20) : 200 + rnd(200);
  return i + d < n ? i + d : n - 1;
}

static void gen(sym *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t r = rnd(10);
    p[i].k = rnd(16);
    p[i].kind = i == n - 1 ? 2 : r < 5 ? 0 : r < 8 ? 1 : r < 9 ? 2 : 3;
    if (p[i].kind == 0 || p[i].kind == 3) {
      p[i].jt = pick_target(i, n);
      p[i].jf = rnd(3) ? i + 1 : pick_target(i, n);
    }
    if (p[i].kind == 2) p[i].k = SF_RET_ERRNO | (uint32_t)i;
  }
}

static uint32_t sym_run(const sym *p, uint32_t nr) {
  size_t pc = 0;
  for (;;) {
    switch (p[pc].kind) {
    case 0: pc = nr == p[pc].k ? p[pc].jt : p[pc].jf; break;
    case 1: pc++; break;
    case 2: return p[pc].k;
    default: pc = p[pc].jt; break;
    }
  }
}

static void build_sym(const sym *p, size_t n, sf_label *at) {
  for (size_t i = 0; i < n; i++) at[i] = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  for (size_t i = 0; i < n; i++) {
    sf_label_place(b, at[i]);
    switch (p[i].kind) {
    case 0:
      sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, p[i].k, at[p[i].jt],
                   p[i].jf == i + 1 ? SF_NO_LABEL : at[p[i].jf]);
      break;
    case 1: sf_builder_op(b, BPF_LDX | BPF_IMM, 0); break;
    case 2: sf_builder_op(b, BPF_RET | BPF_K, p[i].k); break;
    default: sf_builder_ja(b, at[p[i].jt]); break;
    }
  }
}

START_TEST(builder_random) {
  enum { N = 1500 };
  static sym p[N];
  static sf_label at[N];
  rng_state = 1000 + (uint32_t)_i;
  gen(p, N);
  build_sym(p, N, at);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_ge(out_len, N + 1);
  assert_valid();
  for (uint32_t nr = 0; nr < 17; nr++)
    ck_assert_uint_eq(run_nr(nr), sym_run(p, nr));
}
END_TEST

START_TEST(builder_limit_exact) {
  fillers(SF_BPF_MAXINSNS - 1);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  ck_assert_int_eq(finish(), 0);
  ck_assert_uint_eq(out_len, SF_BPF_MAXINSNS);
}
END_TEST

START_TEST(builder_limit_exceeded) {
  fillers(SF_BPF_MAXINSNS);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  ck_assert_int_eq(finish(), -1);
  ck_assert_ptr_null(out);
  ck_assert_str_eq(first_error(), "the program has 4097 instructions; the "
                                  "kernel's limit is 4096 (BPF_MAXINSNS)");
  ck_assert_ptr_null(sysfence_diag_get(ctx, 0)->file);
}
END_TEST

/* Under the limit before trampolines, over it after. */
START_TEST(builder_limit_after_trampolines) {
  sf_label end = sf_label_new(b);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  for (int i = 0; i < 200; i++)
    sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)i, end, SF_NO_LABEL);
  fillers(SF_BPF_MAXINSNS - 210);
  sf_label_place(b, end);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  ck_assert_uint_le(sf_builder_size(b), SF_BPF_MAXINSNS);
  ck_assert_int_eq(finish(), -1);
  const char *msg = first_error();
  unsigned long n = 0;
  ck_assert_int_eq(sscanf(msg, "the program has %lu instructions", &n), 1);
  ck_assert_uint_gt(n, SF_BPF_MAXINSNS);
  ck_assert_ptr_nonnull(strstr(msg, "the kernel's limit is 4096"));
}
END_TEST

/* 100k instructions full of far jumps: rejected quickly. */
START_TEST(builder_huge_fast) {
  enum { N = 100000 };
  clock_t start = clock();
  sf_label end = sf_label_new(b);
  for (int i = 0; i < N / 2; i++)
    sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)i, end, SF_NO_LABEL);
  fillers(N / 2);
  sf_label_place(b, end);
  sf_builder_op(b, BPF_RET | BPF_K, SF_RET_ALLOW);
  ck_assert_int_eq(finish(), -1);
  ck_assert_str_eq(first_error(), "the program has 100001 instructions; the "
                                  "kernel's limit is 4096 (BPF_MAXINSNS)");
  ck_assert(clock() - start < 2 * CLOCKS_PER_SEC);
}
END_TEST

START_TEST(builder_unplaced_label) {
  sf_label l = sf_label_new(b);
  sf_builder_ja(b, l);
  sf_builder_op(b, BPF_RET | BPF_K, 0);
  ck_assert_int_eq(finish(), -1);
  ck_assert_ptr_nonnull(strstr(first_error(), "internal error"));
  ck_assert_ptr_nonnull(strstr(first_error(), "never placed"));
}
END_TEST

START_TEST(builder_backward_jump) {
  sf_label l = sf_label_new(b);
  sf_label_place(b, l);
  sf_builder_op(b, BPF_LD | BPF_W | BPF_ABS, 0);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, l, SF_NO_LABEL);
  sf_builder_op(b, BPF_RET | BPF_K, 0);
  ck_assert_int_eq(finish(), -1);
  ck_assert_ptr_nonnull(strstr(first_error(), "internal error"));
  ck_assert_ptr_nonnull(strstr(first_error(), "backwards"));
}
END_TEST

START_TEST(builder_jump_past_end) {
  sf_label l = sf_label_new(b);
  sf_builder_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, l, SF_NO_LABEL);
  sf_builder_op(b, BPF_RET | BPF_K, 0);
  sf_label_place(b, l);
  ck_assert_int_eq(finish(), -1);
  ck_assert_ptr_nonnull(strstr(first_error(), "internal error"));
}
END_TEST

START_TEST(builder_label_placed_twice) {
  sf_label l = sf_label_new(b);
  sf_label_place(b, l);
  sf_builder_op(b, BPF_RET | BPF_K, 0);
  sf_label_place(b, l);
  sf_builder_op(b, BPF_RET | BPF_K, 0);
  ck_assert_int_eq(finish(), -1);
  ck_assert_ptr_nonnull(strstr(first_error(), "internal error"));
}
END_TEST

/* ---- validator ------------------------------------------------------ */

typedef struct vcase {
  const char *name;
  struct sock_filter prog[8];
  size_t len;
  const char *reject; /* NULL: valid; else a substring of the reason */
} vcase;

#define RETK STMT(BPF_RET | BPF_K, SF_RET_ALLOW)
#define LDNR STMT(BPF_LD | BPF_W | BPF_ABS, 0)

static const vcase vcases[] = {
    {"ret k", {RETK}, 1, NULL},
    {"ret a", {STMT(BPF_RET | BPF_A, 0)}, 1, NULL},
    {"ret x", {STMT(BPF_RET | BPF_X, 0)}, 1, "instruction 0: opcode 0x000e"},
    {"no ret at end", {LDNR}, 1, "instruction 0: the last instruction must"},
    {"ld [60]", {STMT(BPF_LD | BPF_W | BPF_ABS, 60), RETK}, 2, NULL},
    {"ld [64]", {STMT(BPF_LD | BPF_W | BPF_ABS, 64), RETK}, 2,
     "instruction 0: load from offset 64"},
    {"ld [2]", {STMT(BPF_LD | BPF_W | BPF_ABS, 2), RETK}, 2, "offset 2"},
    {"ld [huge]", {STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffff000), RETK}, 2, "load"},
    {"ldh", {STMT(BPF_LD | BPF_H | BPF_ABS, 0), RETK}, 2, "not allowed"},
    {"ldb", {STMT(BPF_LD | BPF_B | BPF_ABS, 0), RETK}, 2, "not allowed"},
    {"ld ind", {STMT(BPF_LD | BPF_W | BPF_IND, 0), RETK}, 2, "not allowed"},
    {"ldx msh", {STMT(BPF_LDX | BPF_B | BPF_MSH, 0), RETK}, 2, "not allowed"},
    {"ld len", {STMT(BPF_LD | BPF_W | BPF_LEN, 0), RETK}, 2, NULL},
    {"ldx len", {STMT(BPF_LDX | BPF_W | BPF_LEN, 0), RETK}, 2, NULL},
    {"ld imm", {STMT(BPF_LD | BPF_IMM, 5), STMT(BPF_LDX | BPF_IMM, 5), RETK},
     3, NULL},
    {"tax txa", {STMT(BPF_MISC | BPF_TAX, 0), STMT(BPF_MISC | BPF_TXA, 0), RETK},
     3, NULL},
    {"mod k", {STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RETK}, 2, "not allowed"},
    {"mod x", {STMT(BPF_ALU | BPF_MOD | BPF_X, 0), RETK}, 2, "not allowed"},
    {"neg", {STMT(BPF_ALU | BPF_NEG, 0), RETK}, 2, NULL},
    {"neg x", {STMT(BPF_ALU | BPF_NEG | BPF_X, 0), RETK}, 2, "not allowed"},
    {"alu k",
     {STMT(BPF_ALU | BPF_ADD | BPF_K, 1), STMT(BPF_ALU | BPF_SUB | BPF_K, 1),
      STMT(BPF_ALU | BPF_MUL | BPF_K, 3), STMT(BPF_ALU | BPF_AND | BPF_K, 1),
      STMT(BPF_ALU | BPF_OR | BPF_K, 1), STMT(BPF_ALU | BPF_XOR | BPF_K, 1),
      RETK},
     7, NULL},
    {"alu x",
     {STMT(BPF_ALU | BPF_ADD | BPF_X, 0), STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
      STMT(BPF_ALU | BPF_MUL | BPF_X, 0), STMT(BPF_ALU | BPF_AND | BPF_X, 0),
      STMT(BPF_ALU | BPF_OR | BPF_X, 0), STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
      STMT(BPF_ALU | BPF_DIV | BPF_X, 0), RETK},
     8, NULL},
    {"div #0", {STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RETK}, 2,
     "instruction 0: division by zero"},
    {"div #1", {STMT(BPF_ALU | BPF_DIV | BPF_K, 1), RETK}, 2, NULL},
    {"lsh #31", {STMT(BPF_ALU | BPF_LSH | BPF_K, 31), RETK}, 2, NULL},
    {"lsh #32", {STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RETK}, 2, "shift by 32"},
    {"rsh #33", {STMT(BPF_ALU | BPF_RSH | BPF_K, 33), RETK}, 2, "shift by 33"},
    {"shift x", {STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
                 STMT(BPF_ALU | BPF_RSH | BPF_X, 0), RETK}, 3, NULL},
    {"st M[15]", {STMT(BPF_ST, 15), STMT(BPF_LD | BPF_MEM, 15), RETK}, 3, NULL},
    {"st M[16]", {STMT(BPF_ST, 16), RETK}, 2, "scratch word 16"},
    {"stx M[16]", {STMT(BPF_STX, 16), RETK}, 2, "scratch word 16"},
    {"ldx M[16]", {STMT(BPF_LDX | BPF_MEM, 16), RETK}, 2, "scratch word 16"},
    {"ja in range", {STMT(BPF_JMP | BPF_JA, 1), RETK, RETK}, 3, NULL},
    {"ja out of range", {STMT(BPF_JMP | BPF_JA, 2), RETK, RETK}, 3,
     "instruction 0: jump out of range"},
    {"ja huge", {STMT(BPF_JMP | BPF_JA, 0xffffffff), RETK}, 2, "out of range"},
    {"jeq in range", {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), RETK, RETK}, 3,
     NULL},
    {"jeq jt out", {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, 0), RETK, RETK}, 3,
     "out of range"},
    {"jgt jf out", {JUMP(BPF_JMP | BPF_JGT | BPF_X, 1, 0, 2), RETK, RETK}, 3,
     "out of range"},
    {"jumps",
     {JUMP(BPF_JMP | BPF_JGE | BPF_K, 1, 0, 0), JUMP(BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0),
      JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 0), JUMP(BPF_JMP | BPF_JSET | BPF_X, 1, 0, 0),
      JUMP(BPF_JMP | BPF_JEQ | BPF_X, 1, 0, 0), JUMP(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 0),
      RETK},
     7, NULL},
    {"high code bits", {{0x0115, 0, 0, 0}, RETK}, 2, "opcode 0x0115"},
    {"jmp op 0x50", {JUMP(BPF_JMP | 0x50, 1, 0, 0), RETK}, 2, "not allowed"},
    /* scratch memory */
    {"read unwritten", {STMT(BPF_LD | BPF_MEM, 0), RETK}, 2,
     "instruction 0: reads scratch word M[0]"},
    {"ldx unwritten", {STMT(BPF_ST, 1), STMT(BPF_LDX | BPF_MEM, 0), RETK}, 3,
     "instruction 1: reads scratch word M[0]"},
    {"stx then read", {STMT(BPF_STX, 3), STMT(BPF_LDX | BPF_MEM, 3), RETK}, 3,
     NULL},
    {"written on one path",
     {LDNR, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), STMT(BPF_ST, 0),
      STMT(BPF_LD | BPF_MEM, 0), RETK},
     5, "instruction 3: reads scratch word M[0]"},
    {"written on both paths",
     {LDNR, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2), STMT(BPF_ST, 0),
      STMT(BPF_JMP | BPF_JA, 1), STMT(BPF_STX, 0), STMT(BPF_LD | BPF_MEM, 0),
      RETK},
     7, NULL},
    {"written before the branch",
     {STMT(BPF_ST, 2), JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), RETK,
      STMT(BPF_LDX | BPF_MEM, 2), RETK},
     5, NULL},
    /* The kernel carries the set across a RET into the next instruction:
     * instruction 4 is reached only by the JA (with M[1] written), but the
     * RET before it lacks M[1], so the kernel refuses. */
    {"kernel quirk after ret",
     {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2), STMT(BPF_ST, 1),
      STMT(BPF_JMP | BPF_JA, 1), RETK, STMT(BPF_LD | BPF_MEM, 1), RETK},
     6, "instruction 4: reads scratch word M[1]"},
};

START_TEST(validate_cases) {
  const vcase *c = &vcases[_i];
  char why[200] = "unchanged";
  int r = sf_bpf_validate(c->prog, c->len, why, sizeof why);
  if (!c->reject) {
    ck_assert_msg(r == 0, "%s: rejected: %s", c->name, why);
    ck_assert_str_eq(why, "");
  } else {
    ck_assert_msg(r == -1, "%s: accepted", c->name);
    ck_assert_msg(strstr(why, c->reject) != NULL, "%s: reason '%s'", c->name,
                  why);
  }
}
END_TEST

START_TEST(validate_lengths) {
  static struct sock_filter prog[SF_BPF_MAXINSNS + 1];
  for (size_t i = 0; i < N_OF(prog); i++) prog[i] = RETK;
  char why[200];
  ck_assert_int_eq(sf_bpf_validate(prog, 0, why, sizeof why), -1);
  ck_assert_ptr_nonnull(strstr(why, "empty"));
  ck_assert_int_eq(sf_bpf_validate(prog, SF_BPF_MAXINSNS, why, sizeof why), 0);
  ck_assert_int_eq(sf_bpf_validate(prog, SF_BPF_MAXINSNS + 1, why, sizeof why),
                   -1);
  ck_assert_ptr_nonnull(strstr(why, "4097 instructions"));
  /* no room for a reason: still the verdict */
  ck_assert_int_eq(sf_bpf_validate(prog, 0, NULL, 0), -1);
  ck_assert_int_eq(sf_bpf_validate(prog, 1, why, 0), 0);
}
END_TEST

/* ---- simulator ------------------------------------------------------ */

static uint32_t run(const struct sock_filter *p, size_t len, const sf_arch *a,
                    const sf_seccomp_data *d) {
  char why[200];
  /* every program here is valid unless a test says otherwise */
  ck_assert_msg(sf_bpf_validate(p, len, why, sizeof why) == 0, "%s", why);
  return sf_bpf_run(p, len, a, d, NULL);
}

#define RUN(a, d, ...)                                                     \
  run((const struct sock_filter[]){__VA_ARGS__},                           \
      sizeof((const struct sock_filter[]){__VA_ARGS__}) /                  \
          sizeof(struct sock_filter),                                      \
      (a), (d))

static const sf_seccomp_data data = {
    .nr = 59,
    .arch = AUDIT_ARCH_X86_64,
    .ip = 0x1122334455667788ULL,
    .args = {0xaaaaaaaa00000001ULL, 2, 3, 4, 5, 0xffffffff00000006ULL},
};

#define RETA STMT(BPF_RET | BPF_A, 0)

START_TEST(sim_loads_le) {
  const sf_arch *a = x86_64();
  ck_assert_uint_eq(RUN(a, &data, LDNR, RETA), 59);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 4), RETA),
                    AUDIT_ARCH_X86_64);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 8), RETA),
                    0x55667788);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 12), RETA),
                    0x11223344);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 16), RETA), 1);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 20), RETA),
                    0xaaaaaaaa);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 56), RETA), 6);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 60), RETA),
                    0xffffffff);
}
END_TEST

START_TEST(sim_loads_be) {
  const sf_arch *a = s390x();
  ck_assert_uint_eq(RUN(a, &data, LDNR, RETA), 59);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 4), RETA),
                    AUDIT_ARCH_X86_64);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 8), RETA),
                    0x11223344);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 12), RETA),
                    0x55667788);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 16), RETA),
                    0xaaaaaaaa);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 20), RETA), 1);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 56), RETA),
                    0xffffffff);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_ABS, 60), RETA), 6);
}
END_TEST

START_TEST(sim_imm_len_misc_mem) {
  const sf_arch *a = x86_64();
  ck_assert_uint_eq(RUN(a, &data, RETA), 0); /* A starts at 0 */
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_MISC | BPF_TXA, 0), RETA), 0);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_W | BPF_LEN, 0), RETA), 64);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
                        STMT(BPF_MISC | BPF_TXA, 0), RETA), 64);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 77), RETA), 77);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LDX | BPF_IMM, 78),
                        STMT(BPF_MISC | BPF_TXA, 0), RETA), 78);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 79),
                        STMT(BPF_MISC | BPF_TAX, 0), STMT(BPF_LD | BPF_IMM, 0),
                        STMT(BPF_MISC | BPF_TXA, 0), RETA), 79);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 5), STMT(BPF_ST, 3),
                        STMT(BPF_LDX | BPF_IMM, 6), STMT(BPF_STX, 15),
                        STMT(BPF_LD | BPF_MEM, 15), STMT(BPF_LDX | BPF_MEM, 3),
                        STMT(BPF_ALU | BPF_ADD | BPF_X, 0), RETA), 11);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_RET | BPF_K, SF_RET_ERRNO | 5)),
                    SF_RET_ERRNO | 5);
}
END_TEST

/* A = a; A op= k (and op= x with X = k). */
static void alu_check(uint16_t op, uint32_t a, uint32_t k, uint32_t want) {
  const sf_arch *arch = x86_64();
  ck_assert_uint_eq(RUN(arch, &data, STMT(BPF_LD | BPF_IMM, a),
                        STMT(BPF_ALU | op | BPF_K, k), RETA), want);
  ck_assert_uint_eq(RUN(arch, &data, STMT(BPF_LD | BPF_IMM, a),
                        STMT(BPF_LDX | BPF_IMM, k),
                        STMT(BPF_ALU | op | BPF_X, 0), RETA), want);
}

START_TEST(sim_alu) {
  alu_check(BPF_ADD, 0xffffffff, 2, 1); /* 32-bit wrap */
  alu_check(BPF_SUB, 1, 2, 0xffffffff);
  alu_check(BPF_MUL, 0x10000, 0x10001, 0x10000);
  alu_check(BPF_DIV, 100, 7, 14);
  alu_check(BPF_AND, 0xf0f0, 0xff00, 0xf000);
  alu_check(BPF_OR, 0xf0f0, 0x0f00, 0xfff0);
  alu_check(BPF_XOR, 0xff, 0x0f, 0xf0);
  alu_check(BPF_LSH, 0x80000001, 1, 2);
  alu_check(BPF_RSH, 0x80000000, 31, 1);
  const sf_arch *a = x86_64();
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 1),
                        STMT(BPF_ALU | BPF_NEG, 0), RETA), 0xffffffff);
}
END_TEST

START_TEST(sim_div_by_zero_x) {
  const sf_arch *a = x86_64();
  /* the kernel ends the filter with 0 (KILL_THREAD) */
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 5),
                        STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
                        STMT(BPF_RET | BPF_K, SF_RET_ALLOW)), 0);
}
END_TEST

START_TEST(sim_shift_by_x_masks) {
  const sf_arch *a = x86_64();
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 3),
                        STMT(BPF_LDX | BPF_IMM, 33),
                        STMT(BPF_ALU | BPF_LSH | BPF_X, 0), RETA), 6);
  ck_assert_uint_eq(RUN(a, &data, STMT(BPF_LD | BPF_IMM, 8),
                        STMT(BPF_LDX | BPF_IMM, 32),
                        STMT(BPF_ALU | BPF_RSH | BPF_X, 0), RETA), 8);
}
END_TEST

/* jt -> ERRNO(1), jf -> ERRNO(2) for A = a and the jump OP with k. */
static uint32_t jump_result(uint16_t op, int src_x, uint32_t a, uint32_t k) {
  const struct sock_filter p[] = {
      STMT(BPF_LD | BPF_IMM, a), STMT(BPF_LDX | BPF_IMM, k),
      JUMP(BPF_JMP | op | (src_x ? BPF_X : BPF_K), src_x ? 0 : k, 0, 1),
      STMT(BPF_RET | BPF_K, SF_RET_ERRNO | 1),
      STMT(BPF_RET | BPF_K, SF_RET_ERRNO | 2)};
  return run(p, N_OF(p), x86_64(), &data);
}

START_TEST(sim_jumps) {
  static const struct {
    uint16_t op;
    uint32_t a, k;
    int taken;
  } cases[] = {
      {BPF_JEQ, 5, 5, 1},          {BPF_JEQ, 5, 6, 0},
      {BPF_JEQ, 0xc000003e, 0xc000003e, 1}, /* "negative" immediate */
      {BPF_JGT, 6, 5, 1},          {BPF_JGT, 5, 5, 0},
      {BPF_JGT, 0x80000000, 1, 1}, /* unsigned */
      {BPF_JGE, 5, 5, 1},          {BPF_JGE, 4, 5, 0},
      {BPF_JGE, 0xffffffff, 0x80000000, 1},
      {BPF_JSET, 6, 2, 1},         {BPF_JSET, 6, 9, 0},
  };
  for (size_t i = 0; i < N_OF(cases); i++)
    for (int x = 0; x <= 1; x++)
      ck_assert_msg(jump_result(cases[i].op, x, cases[i].a, cases[i].k) ==
                        (SF_RET_ERRNO | (cases[i].taken ? 1U : 2U)),
                    "case %zu x=%d", i, x);
  const struct sock_filter ja[] = {STMT(BPF_JMP | BPF_JA, 1),
                                   STMT(BPF_RET | BPF_K, 1),
                                   STMT(BPF_RET | BPF_K, 2)};
  size_t steps = 0;
  ck_assert_uint_eq(sf_bpf_run(ja, 3, x86_64(), &data, &steps), 2);
  ck_assert_uint_eq(steps, 2);
}
END_TEST

START_TEST(sim_steps) {
  const struct sock_filter p[] = {
      LDNR, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 0, 2),
      STMT(BPF_LD | BPF_IMM, 1), STMT(BPF_RET | BPF_A, 0), RETK};
  size_t steps = 0;
  ck_assert_uint_eq(sf_bpf_run(p, N_OF(p), x86_64(), &data, &steps), 1);
  ck_assert_uint_eq(steps, 4);
  sf_seccomp_data d = data;
  d.nr = 1;
  ck_assert_uint_eq(sf_bpf_run(p, N_OF(p), x86_64(), &d, &steps), SF_RET_ALLOW);
  ck_assert_uint_eq(steps, 3);
}
END_TEST

/* Invalid programs never crash the simulator; they kill. */
START_TEST(sim_invalid) {
  static const struct sock_filter bad[][2] = {
      {STMT(BPF_JMP | BPF_JA, 5), RETK},
      {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 9), RETK},
      {STMT(BPF_LD | BPF_W | BPF_ABS, 64), RETK},
      {STMT(BPF_LD | BPF_W | BPF_ABS, 2), RETK},
      {STMT(BPF_LD | BPF_MEM, 16), RETK},
      {STMT(BPF_ST, 99), RETK},
      {STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RETK},
      {STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RETK},
      {STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RETK},
      {STMT(BPF_LD | BPF_B | BPF_ABS, 0), RETK},
      {STMT(BPF_RET | BPF_X, 0), RETK},
      {{0x0106, 0, 0, 0}, RETK},
      {LDNR, LDNR}, /* falls off the end */
  };
  for (size_t i = 0; i < N_OF(bad); i++)
    ck_assert_msg(sf_bpf_run(bad[i], 2, x86_64(), &data, NULL) ==
                      SF_RET_KILL_PROCESS, "case %zu", i);
  ck_assert_uint_eq(sf_bpf_run(NULL, 0, x86_64(), &data, NULL),
                    SF_RET_KILL_PROCESS);
}
END_TEST

/* ---- encoding ------------------------------------------------------- */

START_TEST(encode_both_orders) {
  const struct sock_filter p[] = {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 1, 2),
                                  STMT(BPF_RET | BPF_K, SF_RET_ALLOW)};
  static const unsigned char le[] = {0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0,
                                     0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f};
  static const unsigned char be[] = {0x00, 0x15, 0x01, 0x02, 0xc0, 0x00, 0x00, 0x3e,
                                     0x00, 0x06, 0x00, 0x00, 0x7f, 0xff, 0x00, 0x00};
  unsigned char buf[16];
  struct sock_filter back[2];
  sf_bpf_encode(p, 2, 0, buf);
  ck_assert_mem_eq(buf, le, 16);
  sf_bpf_decode(buf, 2, 0, back);
  ck_assert_mem_eq(back, p, sizeof p);
  sf_bpf_encode(p, 2, 1, buf);
  ck_assert_mem_eq(buf, be, 16);
  sf_bpf_decode(buf, 2, 1, back);
  ck_assert_mem_eq(back, p, sizeof p);
}
END_TEST

START_TEST(encode_round_trip_random) {
  struct sock_filter p[64], back[64];
  unsigned char buf[64 * 8];
  rng_state = 99;
  for (size_t i = 0; i < 64; i++)
    p[i] = (struct sock_filter){(uint16_t)rnd(65536), (uint8_t)rnd(256),
                                (uint8_t)rnd(256), rnd(0xffffff) * 257U};
  for (int be = 0; be <= 1; be++) {
    sf_bpf_encode(p, 64, be, buf);
    sf_bpf_decode(buf, 64, be, back);
    ck_assert_mem_eq(back, p, sizeof p);
  }
}
END_TEST

/* ---- emitters ------------------------------------------------------- */

static const struct sock_filter small[] = {
    STMT(BPF_LD | BPF_W | BPF_ABS, 4),
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
    STMT(BPF_LD | BPF_W | BPF_ABS, 0),
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 4, 0),
    JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 4, 0),
    STMT(BPF_LD | BPF_W | BPF_ABS, 16),
    JUMP(BPF_JMP | BPF_JSET | BPF_K, 0xffff, 0, 1),
    STMT(BPF_RET | BPF_K, SF_RET_ERRNO | 1),
    STMT(BPF_RET | BPF_K, SF_RET_ALLOW),
    STMT(BPF_RET | BPF_K, SF_RET_KILL_PROCESS),
};

/* Emit with F into a string (malloc()ed). */
static char *capture(int (*f)(FILE *, void *), void *arg, size_t *len) {
  char *buf = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&buf, &n);
  ck_assert_ptr_nonnull(mem);
  ck_assert_int_eq(f(mem, arg), 0);
  fclose(mem);
  if (len) *len = n;
  return buf;
}

static int asm_x86(FILE *f, void *prog) {
  (void)prog;
  return sf_write_asm(small, N_OF(small), x86_64(), f);
}

START_TEST(emit_asm_listing) {
  char *text = capture(asm_x86, NULL, NULL);
  static const char *const want[] = {
      "0000: ld [4]                   ; arch\n",
      "0001: jeq #0xc000003e jt 2 jf 9 ; AUDIT_ARCH_X86_64\n",
      "0002: ld [0]                   ; nr\n",
      "0003: jeq #59 jt 8 jf 4        ; execve\n",
      "0004: jge #0x40000000 jt 9 jf 5\n",
      "0005: ld [16]                  ; args[0] lo\n",
      "0006: jset #0xffff jt 7 jf 8\n",
      "0007: ret ERRNO(1)\n",
      "0008: ret ALLOW\n",
      "0009: ret KILL_PROCESS\n",
  };
  const char *p = text;
  for (size_t i = 0; i < N_OF(want); i++) {
    ck_assert_msg(strncmp(p, want[i], strlen(want[i])) == 0,
                  "line %zu: want '%s' in\n%s", i, want[i], text);
    p += strlen(want[i]);
  }
  ck_assert_str_eq(p, "");
  free(text);
}
END_TEST

/* Two sections, x86_64's and i386's, and a comparison both reach: each
 * section's numbers are named from its own table, the shared one from the
 * fallback's.  5 is i386's open and x86_64's fstat; 11 is i386's execve
 * and x86_64's munmap. */
static const struct sock_filter two_arches[] = {
    STMT(BPF_LD | BPF_W | BPF_ABS, 4),                       /* 0 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3), /* 1 */
    STMT(BPF_LD | BPF_W | BPF_ABS, 0),                       /* 2 */
    JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 4, 0),       /* 3 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 4, 3),                /* 4 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 5),  /* 5 */
    STMT(BPF_LD | BPF_W | BPF_ABS, 0),                       /* 6 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 1, 0),                /* 7 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 11, 0, 1),               /* 8 */
    STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                /* 9 */
    STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),            /* 10 */
    STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),         /* 11 */
};

static int asm_all_tables(FILE *f, void *prog) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  sf_names names = {x86_64(), all, n};
  return sf_write_asm_names(prog, N_OF(two_arches), &names, f);
}

static int asm_host_table(FILE *f, void *prog) {
  return sf_write_asm(prog, N_OF(two_arches), x86_64(), f);
}

START_TEST(emit_asm_names_per_arch) {
  ck_assert_int_eq(sf_bpf_validate(two_arches, N_OF(two_arches), NULL, 0), 0);
  char *text = capture(asm_all_tables, (void *)two_arches, NULL);
  /* The split between x86_64's and x32's numbers is no syscall. */
  ck_assert_msg(strstr(text, "0003: jge #0x40000000 jt 8 jf 4\n"), "%s", text);
  ck_assert_msg(strstr(text, "0004: jeq #5 jt 9 jf 8         ; fstat\n"), "%s", text);
  ck_assert_msg(strstr(text, "0007: jeq #5 jt 9 jf 8         ; open\n"), "%s", text);
  /* Reached from both sections: the fallback's (x86_64's) name. */
  ck_assert_msg(strstr(text, "0008: jeq #11 jt 9 jf 10       ; munmap\n"), "%s", text);
  free(text);
  /* With x86_64's table alone (the loader), i386's numbers get no name. */
  text = capture(asm_host_table, (void *)two_arches, NULL);
  ck_assert_msg(strstr(text, "0004: jeq #5 jt 9 jf 8         ; fstat\n"), "%s", text);
  ck_assert_msg(strstr(text, "0007: jeq #5 jt 9 jf 8\n"), "%s", text);
  ck_assert_msg(strstr(text, "0008: jeq #11 jt 9 jf 10       ; munmap\n"), "%s", text);
  free(text);
}
END_TEST

START_TEST(emit_listing_audits) {
  int64_t *audits = sf_listing_audits(two_arches, N_OF(two_arches));
  ck_assert_ptr_nonnull(audits);
  static const int64_t want[] = {-1, -1, AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64,
                                 AUDIT_ARCH_X86_64, -1, AUDIT_ARCH_I386,
                                 AUDIT_ARCH_I386, -1, -1, -1, -1};
  for (size_t pc = 0; pc < N_OF(want); pc++)
    ck_assert_msg(audits[pc] == want[pc], "pc %zu: %lld, want %lld", pc,
                  (long long)audits[pc], (long long)want[pc]);
  free(audits);
  uint32_t values[4];
  ck_assert_uint_eq(sf_listing_arch_values(two_arches, N_OF(two_arches), values, 4), 2);
  ck_assert_uint_eq(values[0], AUDIT_ARCH_X86_64);
  ck_assert_uint_eq(values[1], AUDIT_ARCH_I386);
  ck_assert_uint_eq(sf_listing_arch_values(two_arches, N_OF(two_arches), values, 1), 1);
}
END_TEST

/* x86_64's section names x32's numbers (0x40000000 up) from x32's table;
 * `jgt #0x3fffffff` is the split between the two ABIs, no syscall. */
START_TEST(emit_asm_x32_numbers) {
  static const struct sock_filter p[] = {
      STMT(BPF_LD | BPF_W | BPF_ABS, 4),
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
      STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x3fffffff, 0, 1),
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40000001, 0, 1),
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  sf_names names = {x86_64(), all, n};
  char buf[160];
  int64_t *audits = sf_listing_audits(p, N_OF(p));
  ck_assert_ptr_nonnull(audits);
  sf_insn_str_names(&p[3], 3, &names, SF_OFF_NR, audits[3], buf, sizeof buf);
  ck_assert_str_eq(buf, "jgt #0x3fffffff jt 4 jf 5");
  sf_insn_str_names(&p[4], 4, &names, SF_OFF_NR, audits[4], buf, sizeof buf);
  ck_assert_str_eq(buf, "jeq #0x40000001 jt 5 jf 6 ; write");
  /* Where the arch is unknown, the fallback's table: x86_64 has none. */
  sf_insn_str_names(&p[4], 4, &names, SF_OFF_NR, -1, buf, sizeof buf);
  ck_assert_str_eq(buf, "jeq #0x40000001 jt 5 jf 6");
  free(audits);
  /* sf_names_table: the ABI by the number. */
  ck_assert_str_eq(sf_names_table(&names, AUDIT_ARCH_X86_64, 0x40000001)->name, "x32");
  ck_assert_str_eq(sf_names_table(&names, AUDIT_ARCH_X86_64, 1)->name, "x86_64");
  ck_assert_str_eq(sf_names_table(&names, AUDIT_ARCH_AARCH64, 1)->name, "aarch64");
  ck_assert_ptr_null(sf_names_table(&names, 0x12345678, 1));
}
END_TEST

/* The arguments' byte order follows the section's arch: s390x's section
 * in a filter listed with x86_64 as the fallback. */
START_TEST(emit_asm_section_byte_order) {
  static const struct sock_filter p[] = {
      STMT(BPF_LD | BPF_W | BPF_ABS, 4),
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_S390X, 0, 1),
      STMT(BPF_LD | BPF_W | BPF_ABS, 16),
      STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  sf_names names = {x86_64(), all, n};
  char buf[160];
  sf_insn_str_names(&p[2], 2, &names, SF_OFF_ARCH, AUDIT_ARCH_S390X, buf, sizeof buf);
  ck_assert_str_eq(buf, "ld [16]                  ; args[0] hi");
  sf_insn_str_names(&p[2], 2, &names, SF_OFF_ARCH, -1, buf, sizeof buf);
  ck_assert_str_eq(buf, "ld [16]                  ; args[0] lo");
}
END_TEST

static int asm_s390x(FILE *f, void *prog) {
  return sf_write_asm(prog, 3, s390x(), f);
}

START_TEST(emit_asm_big_endian_words) {
  const struct sock_filter p[] = {STMT(BPF_LD | BPF_W | BPF_ABS, 16),
                                  STMT(BPF_LD | BPF_W | BPF_ABS, 12),
                                  STMT(BPF_RET | BPF_A, 0)};
  char *text = capture(asm_s390x, (void *)p, NULL);
  ck_assert_ptr_nonnull(strstr(text, "ld [16]                  ; args[0] hi"));
  ck_assert_ptr_nonnull(strstr(text, "ld [12]                  ; ip lo"));
  ck_assert_ptr_nonnull(strstr(text, "0002: ret a\n"));
  free(text);
}
END_TEST

static int asm_join(FILE *f, void *prog) {
  return sf_write_asm(prog, 7, x86_64(), f);
}

/* Syscall names only where every path agrees A holds nr. */
START_TEST(emit_asm_join_points) {
  const struct sock_filter p[] = {
      LDNR,
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
      STMT(BPF_LD | BPF_W | BPF_ABS, 16),
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 1, 0), /* A: nr or args[0] */
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),  /* still mixed */
      STMT(BPF_MISC | BPF_TAX, 0),
      RETK,
  };
  char *text = capture(asm_join, (void *)p, NULL);
  ck_assert_ptr_nonnull(strstr(text, "0001: jeq #1 jt 2 jf 3         ; write\n"));
  ck_assert_ptr_nonnull(strstr(text, "0003: jeq #59 jt 5 jf 4\n"));
  ck_assert_ptr_nonnull(strstr(text, "0004: jeq #0 jt 5 jf 5\n"));
  ck_assert_ptr_nonnull(strstr(text, "0005: tax\n"));
  free(text);
}
END_TEST

START_TEST(emit_insn_str_forms) {
  static const struct {
    struct sock_filter in;
    int nr;
    const char *want;
  } cases[] = {
      {STMT(BPF_LD | BPF_IMM, 7), 0, "ld #7"},
      {STMT(BPF_LDX | BPF_IMM, 0x10000), 0, "ldx #0x10000"},
      {STMT(BPF_LD | BPF_MEM, 3), 0, "ld M[3]"},
      {STMT(BPF_LDX | BPF_MEM, 3), 0, "ldx M[3]"},
      {STMT(BPF_ST, 0), 0, "st M[0]"},
      {STMT(BPF_STX, 1), 0, "stx M[1]"},
      {STMT(BPF_LD | BPF_W | BPF_LEN, 0), 0, "ld #len"},
      {STMT(BPF_ALU | BPF_AND | BPF_K, 0xffff), 0, "and #0xffff"},
      {STMT(BPF_ALU | BPF_ADD | BPF_X, 0), 0, "add x"},
      {STMT(BPF_ALU | BPF_NEG, 0), 0, "neg"},
      {STMT(BPF_MISC | BPF_TXA, 0), 0, "txa"},
      {STMT(BPF_JMP | BPF_JA, 3), 0, "ja 14"},
      {JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 2), 0, "jgt x jt 12 jf 13"},
      {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 1, 2), 1,
       "jeq #59 jt 12 jf 13      ; execve"},
      {JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 1, 2), 0, "jeq #59 jt 12 jf 13"},
      {STMT(BPF_RET | BPF_K, SF_RET_TRAP | 3), 0, "ret TRAP(3)"},
      {STMT(BPF_ALU | BPF_MOD | BPF_K, 3), 0, "mod #3"},
      {{0x0115, 0, 0, 1}, 0, ".insn 0x0115, 0, 0, 0x00000001"},
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    char buf[128];
    sf_insn_str(&cases[i].in, 10, x86_64(), cases[i].nr, buf, sizeof buf);
    ck_assert_str_eq(buf, cases[i].want);
  }
}
END_TEST

START_TEST(emit_action_names) {
  static const struct {
    uint32_t v;
    const char *want;
  } cases[] = {
      {SF_RET_ALLOW, "ALLOW"},
      {SF_RET_LOG, "LOG"},
      {SF_RET_KILL_THREAD, "KILL_THREAD"},
      {SF_RET_KILL_PROCESS, "KILL_PROCESS"},
      {SF_RET_USER_NOTIF, "USER_NOTIF"},
      {SF_RET_ERRNO | 1, "ERRNO(1)"},
      {SF_RET_ERRNO | 0xffff, "ERRNO(65535)"},
      {SF_RET_TRAP, "TRAP(0)"},
      {SF_RET_TRACE | 42, "TRACE(42)"},
      {0x00010000, "0x00010000"},
      {SF_RET_ALLOW | 1, "0x7fff0001"},
  };
  for (size_t i = 0; i < N_OF(cases); i++) {
    char buf[32];
    ck_assert_str_eq(sf_action_str(cases[i].v, buf, sizeof buf), cases[i].want);
  }
  char tiny[4];
  ck_assert_str_eq(sf_action_str(SF_RET_ALLOW, tiny, sizeof tiny), "ALL");
}
END_TEST

static int bpf_s390x(FILE *f, void *prog) {
  (void)prog;
  return sf_write_blob(small, N_OF(small), s390x(), f);
}

START_TEST(emit_raw_blob) {
  size_t n = 0;
  char *text = capture(bpf_s390x, NULL, &n);
  unsigned char want[N_OF(small) * 8];
  sf_bpf_encode(small, N_OF(small), 1, want);
  ck_assert_uint_eq(n, sizeof want);
  ck_assert_mem_eq(text, want, sizeof want);
  free(text);
}
END_TEST

typedef struct cargs {
  const char *name;
} cargs;

static int c_x86(FILE *f, void *arg) {
  return sf_write_c(small, N_OF(small), x86_64(), ((cargs *)arg)->name, f);
}

static void compile_ok(const char *compiler, const char *dir, const char *file,
                       const char *extra) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd %s && %s -Wall -Wextra "
           "-Werror -Wunused-const-variable -std=c11 %s %s",
           dir, compiler, file, extra);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  tu_result r = tu_run(argv, NULL);
  ck_assert_msg(r.exited && r.status == 0,
                "%s failed (%d): %s", cmd, r.status, r.err);
  tu_result_free(&r);
}

START_TEST(emit_c_header_compiles) {
  cargs arg = {"my_filter"};
  char *text = capture(c_x86, &arg, NULL);
  ck_assert_ptr_nonnull(strstr(text, "#ifndef MY_FILTER_H\n#define MY_FILTER_H"));
  ck_assert_ptr_nonnull(strstr(text, "#include <linux/filter.h>"));
  ck_assert_ptr_nonnull(strstr(text, "for x86_64"));
  ck_assert_ptr_nonnull(strstr(text, "static const struct sock_filter my_filter[] = {"));
  ck_assert_ptr_nonnull(strstr(
      text, "    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0000003b, 4, 0),   "
            "/* 0003: jeq #59 jt 8 jf 4        ; execve */\n"));
  ck_assert_ptr_nonnull(strstr(text, "    BPF_STMT(BPF_RET | BPF_K, 0x7fff0000),"
                                     "                   /* 0008: ret ALLOW */\n"));
  ck_assert_ptr_nonnull(strstr(
      text, "#define my_filter_LEN (sizeof(my_filter) / sizeof(my_filter[0]))"));
  char *dir = tu_tmpdir();
  free(tu_write(dir, "f.h", text));
  /* unused, as the main file, and used */
  free(tu_write(dir, "unused.c", "#include \"f.h\"\n"));
  free(tu_write(dir, "main.c", text));
  free(tu_write(dir, "use.c",
                "#include <stdio.h>\n#include \"f.h\"\n#include \"f.h\"\n"
                "int main(void) {\n"
                "  printf(\"%zu %u\\n\", my_filter_LEN, my_filter[8].k);\n"
                "  return my_filter_LEN == 10 && my_filter[8].k == 0x7fff0000 "
                "? 0 : 1;\n}\n"));
  for (int cc = 0; cc < 2; cc++) {
    const char *compiler = cc ? "clang" : "gcc";
    if (!tu_have_program(compiler)) {
      tu_skip(cc ? "emit_c_header_compiles (clang)" : "emit_c_header_compiles (gcc)",
              "%s not found", compiler);
      continue;
    }
    compile_ok(compiler, dir, "unused.c", "-fsyntax-only");
    compile_ok(compiler, dir, "main.c", "-fsyntax-only");
    compile_ok(compiler, dir, "f.h", "-fsyntax-only");
    compile_ok(compiler, dir, "use.c", "-o use && ./use");
  }
  tu_rmtree(dir);
  free(dir);
  free(text);
}
END_TEST

START_TEST(emit_c_bad_name) {
  FILE *f = tmpfile();
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(sf_write_c(small, N_OF(small), x86_64(), "1abc", f), -1);
  ck_assert_int_eq(sf_write_c(small, N_OF(small), x86_64(), "a-b", f), -1);
  ck_assert_int_eq(sf_write_c(small, N_OF(small), x86_64(), "", f), -1);
  fclose(f);
  cargs arg = {NULL};
  char *text = capture(c_x86, &arg, NULL);
  ck_assert_ptr_nonnull(strstr(text, "#ifndef SYSFENCE_FILTER_H"));
  free(text);
}
END_TEST

/* Instructions seccomp refuses still get an exact C form. */
START_TEST(emit_c_unusual_codes) {
  const struct sock_filter p[] = {STMT(BPF_LD | BPF_B | BPF_IND, 1),
                                  STMT(BPF_LDX | BPF_B | BPF_MSH, 2),
                                  {0x0115, 1, 2, 3},
                                  {BPF_RET | BPF_K, 1, 0, 0},
                                  STMT(BPF_RET | BPF_X, 0)};
  char *buf = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&buf, &n);
  ck_assert_int_eq(sf_write_c(p, N_OF(p), x86_64(), "u", mem), 0);
  fclose(mem);
  ck_assert_ptr_nonnull(strstr(buf, "BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0x00000001)"));
  ck_assert_ptr_nonnull(strstr(buf, "BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0x00000002)"));
  ck_assert_ptr_nonnull(strstr(buf, "{ 0x115, 1, 2, 0x00000003 }"));
  ck_assert_ptr_nonnull(strstr(buf, "{ 0x06, 1, 0, 0x00000000 }"));
  ck_assert_ptr_nonnull(strstr(buf, "BPF_STMT(BPF_RET | BPF_X, 0x00000000)"));
  free(buf);
}
END_TEST

/* The listing's AUDIT_ARCH names agree with <linux/audit.h>. */
START_TEST(emit_audit_arch_names) {
  static const struct {
    uint32_t v;
    const char *name;
  } known[] = {
      {AUDIT_ARCH_X86_64, "AUDIT_ARCH_X86_64"},
      {AUDIT_ARCH_I386, "AUDIT_ARCH_I386"},
      {AUDIT_ARCH_AARCH64, "AUDIT_ARCH_AARCH64"},
      {AUDIT_ARCH_ARM, "AUDIT_ARCH_ARM"},
      {AUDIT_ARCH_MIPSEL64N32, "AUDIT_ARCH_MIPSEL64N32"},
      {AUDIT_ARCH_PPC64LE, "AUDIT_ARCH_PPC64LE"},
      {AUDIT_ARCH_S390X, "AUDIT_ARCH_S390X"},
      {AUDIT_ARCH_RISCV64, "AUDIT_ARCH_RISCV64"},
      {AUDIT_ARCH_PARISC64, "AUDIT_ARCH_PARISC64"},
      {AUDIT_ARCH_SPARC64, "AUDIT_ARCH_SPARC64"},
      {AUDIT_ARCH_CSKY, "AUDIT_ARCH_CSKY"},
#ifdef AUDIT_ARCH_LOONGARCH64
      {AUDIT_ARCH_LOONGARCH64, "AUDIT_ARCH_LOONGARCH64"},
#endif
  };
  for (size_t i = 0; i < N_OF(known); i++) {
    struct sock_filter p[3] = {STMT(BPF_LD | BPF_W | BPF_ABS, 4),
                               JUMP(BPF_JMP | BPF_JEQ | BPF_K, known[i].v, 0, 0),
                               RETK};
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    ck_assert_int_eq(sf_write_asm(p, 3, x86_64(), mem), 0);
    fclose(mem);
    ck_assert_msg(strstr(buf, known[i].name) != NULL, "%s", buf);
    free(buf);
  }
}
END_TEST


/* ---- against the running kernel ------------------------------------ */

/* Random programs, valid and not, installed for real: the validator must
 * agree with the kernel on every one, and the simulator must compute what
 * the kernel computes.  Skipped where seccomp is unavailable. */

static volatile long *shared; /* the child's report survives its filter */

static void kernel_setup(void) {
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                -1, 0);
  ck_assert(shared != MAP_FAILED);
}

static void kernel_teardown(void) { munmap((void *)shared, 4096); }

/* Install PROG in a child, then (if NR >= 0) call NR with ARGS.  Returns 0
 * if the kernel refused the filter (EINVAL), 1 if it took it; *ret gets
 * the call's result: -errno, 0, or KILLED. */
enum { KILLED = 1 };
static int install_and_call(const struct sock_filter *prog, size_t len, long nr,
                            const uint64_t *args, long *ret) {
  shared[0] = 0;
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    struct sock_fprog fp = {(unsigned short)len, (struct sock_filter *)prog};
    alarm(5); /* a filter that denies exit_group must not hang us */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
    shared[0] = r == 0 ? 2 : errno == EINVAL ? 1 : 3;
    if (r == 0 && nr >= 0) {
      r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
      shared[1] = r == -1 ? -errno : r;
      shared[0] = 4;
    }
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  ck_assert_msg(shared[0] == 1 || shared[0] == 2 || shared[0] == 4,
                "seccomp(2) failed unexpectedly: %ld", shared[0]);
  if (ret) *ret = shared[0] == 4 ? shared[1] : KILLED;
  return shared[0] != 1;
}

static uint32_t rand_k(void) {
  switch (rnd(4)) {
  case 0: return rnd(70);
  case 1: return 0xffffffffU - rnd(5);
  default: return rnd(0xffffff) * 251U + rnd(251);
  }
}

static const uint16_t any_codes[] = {
    BPF_LD | BPF_W | BPF_ABS,  BPF_LD | BPF_W | BPF_LEN,   BPF_LDX | BPF_W | BPF_LEN,
    BPF_RET | BPF_K,           BPF_RET | BPF_A,            BPF_ALU | BPF_ADD | BPF_K,
    BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_X,  BPF_ALU | BPF_DIV | BPF_K,
    BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_AND | BPF_X,  BPF_ALU | BPF_OR | BPF_K,
    BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_K,  BPF_ALU | BPF_LSH | BPF_X,
    BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_NEG,          BPF_LD | BPF_IMM,
    BPF_LDX | BPF_IMM,         BPF_MISC | BPF_TAX,         BPF_MISC | BPF_TXA,
    BPF_LD | BPF_MEM,          BPF_LDX | BPF_MEM,          BPF_ST,
    BPF_STX,                   BPF_JMP | BPF_JA,           BPF_JMP | BPF_JEQ | BPF_K,
    BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_K,  BPF_JMP | BPF_JSET | BPF_X,
    /* never allowed */
    BPF_ALU | BPF_MOD | BPF_K, BPF_LD | BPF_B | BPF_ABS,   BPF_ALU | BPF_NEG | BPF_X,
    0x0115,
};

/* Mostly plausible operands, sometimes not. */
static uint32_t plausible_k(uint16_t c, size_t left) {
  uint32_t k = rand_k();
  if (c == (BPF_LD | BPF_W | BPF_ABS) && rnd(4)) k = (k % 80) & ~3U;
  if ((c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM) || c == BPF_ST ||
       c == BPF_STX) && rnd(8))
    k %= 16;
  if (c == (BPF_ALU | BPF_LSH | BPF_K) || c == (BPF_ALU | BPF_RSH | BPF_K))
    k = rnd(40);
  if (c == (BPF_JMP | BPF_JA)) k = rnd((uint32_t)left + 1);
  return k;
}

static size_t gen_any(struct sock_filter *p, size_t max) {
  size_t len = 1 + rnd((uint32_t)max);
  for (size_t i = 0; i < len; i++) {
    size_t n_codes = N_OF(any_codes) - (rnd(3) ? 4 : 0);
    uint16_t c = any_codes[rnd((uint32_t)n_codes)];
    uint32_t left = (uint32_t)(len - i);
    p[i] = (struct sock_filter){c, (uint8_t)rnd(left), (uint8_t)rnd(left),
                                plausible_k(c, len - i - 1)};
  }
  if (rnd(8))
    p[len - 1] = STMT(rnd(2) ? BPF_RET | BPF_K : BPF_RET | BPF_A, SF_RET_ALLOW);
  return len;
}

START_TEST(kernel_validator_agrees) {
  if (!tu_seccomp_available()) {
    tu_skip_no_seccomp("kernel_validator_agrees");
    return;
  }
  rng_state = 4242;
  int accepted = 0;
  for (int it = 0; it < 1500; it++) {
    struct sock_filter p[12];
    size_t len = gen_any(p, N_OF(p));
    char why[200] = "";
    int mine = sf_bpf_validate(p, len, why, sizeof why) == 0;
    int kernel = install_and_call(p, len, -1, NULL, NULL);
    accepted += kernel;
    ck_assert_msg(mine == kernel, "program %d: kernel %s it, we say '%s'", it,
                  kernel ? "accepts" : "refuses", why);
  }
  ck_assert_int_gt(accepted, 100); /* the test means something */
}
END_TEST

/* One random computing step appended at p[*n] (straight line, or a short
 * forward skip); WRITTEN tracks scratch words already stored. */
static void gen_step(struct sock_filter *p, size_t *n, uint16_t *written) {
  static const uint16_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND,
                                 BPF_OR,  BPF_XOR, BPF_LSH, BPF_RSH};
  static const uint16_t jops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
  uint32_t r = rnd(12), w = rnd(16);
  if (r < 2) {
    /* nr, arch or an argument word; not ip, which we cannot predict */
    uint32_t off = rnd(5) ? 16 + 4 * rnd(12) : 4 * rnd(2);
    p[(*n)++] = STMT(BPF_LD | BPF_W | BPF_ABS, off);
  } else if (r < 3) {
    p[(*n)++] = STMT(BPF_LDX | BPF_IMM, rand_k());
  } else if (r < 4) {
    p[(*n)++] = STMT(BPF_MISC | (rnd(2) ? BPF_TAX : BPF_TXA), 0);
  } else if (r < 5) {
    p[(*n)++] = STMT(rnd(2) ? BPF_ST : BPF_STX, w);
    *written |= (uint16_t)(1U << w);
  } else if (r < 6 && (*written & (1U << w))) {
    p[(*n)++] = STMT(rnd(2) ? BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM, w);
  } else if (r < 7) {
    p[(*n)++] = STMT(rnd(2) ? BPF_ALU | BPF_NEG : BPF_LD | BPF_W | BPF_LEN, 0);
  } else if (r < 8) {
    p[(*n)++] = JUMP(BPF_JMP | jops[rnd(4)] | (rnd(2) ? BPF_X : BPF_K),
                     rand_k(), (uint8_t)rnd(2), (uint8_t)rnd(2));
    p[(*n)++] = STMT(BPF_ALU | BPF_ADD | BPF_K, rand_k());
  } else {
    uint16_t op = ops[rnd(N_OF(ops))];
    int x = (int)rnd(2);
    uint32_t k = rand_k();
    if (!x && op == BPF_DIV && k == 0) k = 3;
    if (!x && (op == BPF_LSH || op == BPF_RSH)) k %= 32;
    p[(*n)++] = STMT(BPF_ALU | op | (x ? BPF_X : BPF_K), k);
  }
}

/* For syscall NR only: compute something from the arguments, return it as
 * ERRNO(A & 0xfff) (or 0 = KILL_THREAD after a division by X == 0). */
static size_t gen_compute(struct sock_filter *p, uint32_t nr) {
  size_t n = 0;
  uint16_t written = 0;
  p[n++] = LDNR;
  p[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 1, 0);
  p[n++] = RETK;
  for (uint32_t i = 0, m = 1 + rnd(20); i < m; i++) gen_step(p, &n, &written);
  p[n++] = STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff);
  p[n++] = STMT(BPF_ALU | BPF_OR | BPF_K, SF_RET_ERRNO);
  p[n++] = STMT(BPF_RET | BPF_A, 0);
  return n;
}

START_TEST(kernel_simulator_agrees) {
  const sf_arch *host = sf_arch_host();
  if (!host) {
    tu_skip("kernel_simulator_agrees", "sysfence does not know this host's "
            "architecture");
    return;
  }
  if (!tu_seccomp_available()) {
    tu_skip_no_seccomp("kernel_simulator_agrees");
    return;
  }
  enum { NR = 999 }; /* no such syscall: the filter decides everything */
  rng_state = 777;
  for (int it = 0; it < 800; it++) {
    struct sock_filter p[80];
    size_t n = gen_compute(p, NR);
    sf_seccomp_data d = {.nr = NR, .arch = host->audit_arch};
    for (int i = 0; i < 6; i++) d.args[i] = (uint64_t)rand_k() << 32 | rand_k();
    uint32_t want = run(p, n, host, &d);
    long got, expect = want == 0 ? KILLED : -(long)(want & 0xfff);
    ck_assert_int_eq(install_and_call(p, n, NR, d.args, &got), 1);
    ck_assert_msg(got == expect, "program %d: kernel %ld, simulator %ld", it,
                  got, expect);
  }
}
END_TEST

static Suite *bpf_suite(void) {
  Suite *s = suite_create("bpf");
  TCase *tc = tcase_create("builder");
  tcase_add_checked_fixture(tc, builder_setup, builder_teardown);
  tcase_add_test(tc, builder_labels);
  tcase_add_test(tc, builder_two_labels_one_place);
  tcase_add_test(tc, builder_distance_255_fits);
  tcase_add_test(tc, builder_trampoline_jt);
  tcase_add_test(tc, builder_trampoline_both);
  tcase_add_test(tc, builder_trampoline_shared);
  tcase_add_test(tc, builder_trampoline_pushes_other);
  tcase_add_test(tc, builder_trampoline_cascade);
  tcase_add_loop_test(tc, builder_random, 0, 20);
  tcase_add_test(tc, builder_limit_exact);
  tcase_add_test(tc, builder_limit_exceeded);
  tcase_add_test(tc, builder_limit_after_trampolines);
  tcase_add_test(tc, builder_huge_fast);
  tcase_add_test(tc, builder_unplaced_label);
  tcase_add_test(tc, builder_backward_jump);
  tcase_add_test(tc, builder_jump_past_end);
  tcase_add_test(tc, builder_label_placed_twice);
  suite_add_tcase(s, tc);

  tc = tcase_create("validator");
  tcase_add_loop_test(tc, validate_cases, 0, (int)N_OF(vcases));
  tcase_add_test(tc, validate_lengths);
  suite_add_tcase(s, tc);

  tc = tcase_create("simulator");
  tcase_add_test(tc, sim_loads_le);
  tcase_add_test(tc, sim_loads_be);
  tcase_add_test(tc, sim_imm_len_misc_mem);
  tcase_add_test(tc, sim_alu);
  tcase_add_test(tc, sim_div_by_zero_x);
  tcase_add_test(tc, sim_shift_by_x_masks);
  tcase_add_test(tc, sim_jumps);
  tcase_add_test(tc, sim_steps);
  tcase_add_test(tc, sim_invalid);
  suite_add_tcase(s, tc);

  tc = tcase_create("encoding");
  tcase_add_test(tc, encode_both_orders);
  tcase_add_test(tc, encode_round_trip_random);
  suite_add_tcase(s, tc);

  tc = tcase_create("emitters");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, emit_asm_listing);
  tcase_add_test(tc, emit_asm_big_endian_words);
  tcase_add_test(tc, emit_asm_join_points);
  tcase_add_test(tc, emit_asm_names_per_arch);
  tcase_add_test(tc, emit_listing_audits);
  tcase_add_test(tc, emit_asm_x32_numbers);
  tcase_add_test(tc, emit_asm_section_byte_order);
  tcase_add_test(tc, emit_insn_str_forms);
  tcase_add_test(tc, emit_action_names);
  tcase_add_test(tc, emit_raw_blob);
  tcase_add_test(tc, emit_c_header_compiles);
  tcase_add_test(tc, emit_c_bad_name);
  tcase_add_test(tc, emit_c_unusual_codes);
  tcase_add_test(tc, emit_audit_arch_names);
  suite_add_tcase(s, tc);

  tc = tcase_create("kernel");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, kernel_setup, kernel_teardown);
  tcase_add_test(tc, kernel_validator_agrees);
  tcase_add_test(tc, kernel_simulator_agrees);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return tu_run_suite(bpf_suite());
}
