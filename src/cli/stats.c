/* stats.c - path lengths and the kernel's constant-action cache (see
 * stats.h for the definitions). */
#include <stdlib.h>
#include <string.h>

#include "bpf/bpf.h"
#include "cli/stats.h"

/* ---- the kernel's emulator (kernel/seccomp.c, seccomp_is_const_allow) --- */

/* Take the conditional jump at *PC on A; 0, or -1 for anything the
 * kernel's emulator does not understand. */
static int const_jump(const struct sock_filter *in, uint32_t a, size_t *pc) {
  int taken;
  switch (in->code) {
  case BPF_JMP | BPF_JEQ | BPF_K: taken = a == in->k; break;
  case BPF_JMP | BPF_JGE | BPF_K: taken = a >= in->k; break;
  case BPF_JMP | BPF_JGT | BPF_K: taken = a > in->k; break;
  case BPF_JMP | BPF_JSET | BPF_K: taken = (a & in->k) != 0; break;
  default: return -1;
  }
  *pc += taken ? in->jt : in->jf;
  return 0;
}

int sf_const_allow(const struct sock_filter *prog, size_t len, uint32_t nr,
                   uint32_t arch) {
  uint32_t a = 0;
  for (size_t pc = 0; pc < len; pc++) {
    const struct sock_filter *in = &prog[pc];
    switch (in->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (in->k != SF_OFF_NR && in->k != SF_OFF_ARCH) return 0;
      a = in->k == SF_OFF_NR ? nr : arch;
      break;
    case BPF_RET | BPF_K: return in->k == SF_RET_ALLOW;
    case BPF_JMP | BPF_JA: pc += in->k; break;
    case BPF_ALU | BPF_AND | BPF_K: a &= in->k; break;
    default:
      if (const_jump(in, a, &pc) != 0) return 0;
      break;
    }
  }
  return 0; /* ran off the end: the kernel warns and does not cache */
}

/* ---- probing the arguments ------------------------------------------------ */

enum { MAX_WORDS = 64, N_SHAPES = 4, ALL_ARGS = SF_MAX_ARGS };

typedef struct probe {
  const struct sock_filter *prog;
  size_t len;
  const sf_arch *arch;
  uint32_t words[MAX_WORDS];
  size_t n_words;
  int a_from_args; /* A may hold (something computed from) an argument */
  int loads_args;
  int allowed;     /* some run returned ALLOW */
} probe;

static void add_word(probe *p, uint32_t w) {
  for (size_t i = 0; i < p->n_words; i++)
    if (p->words[i] == w) return;
  if (p->n_words < MAX_WORDS) p->words[p->n_words++] = w;
}

/* Trace callback: note argument loads and the constants compared with
 * argument words. */
static void on_insn(void *user, size_t pc, const struct sock_filter *in,
                    uint32_t a, uint32_t x) {
  probe *p = user;
  (void)pc, (void)a, (void)x;
  if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
    p->a_from_args = in->k >= SF_OFF_IP;
    p->loads_args |= p->a_from_args;
  } else if (in->code == (BPF_LD | BPF_IMM)) {
    p->a_from_args = 0;
  } else if (BPF_CLASS(in->code) == BPF_LD || in->code == (BPF_MISC | BPF_TXA)) {
    p->a_from_args = p->loads_args; /* scratch memory or X: maybe */
  } else if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_JA &&
             BPF_SRC(in->code) == BPF_K && p->a_from_args) {
    add_word(p, in->k - 1);
    add_word(p, in->k);
    add_word(p, in->k + 1);
  }
}

static size_t run(probe *p, const sf_seccomp_data *d, uint32_t *action) {
  size_t steps = 0;
  p->a_from_args = 0;
  uint32_t r = sf_bpf_run_trace(p->prog, p->len, p->arch, d, &steps, on_insn, p);
  p->allowed |= r == SF_RET_ALLOW;
  if (action) *action = r;
  return steps;
}

static uint64_t shape(uint32_t w, int s) {
  switch (s) {
  case 0: return w;
  case 1: return (uint64_t)w << 32;
  case 2: return ((uint64_t)w << 32) | w;
  default: return 0xffffffff00000000ULL | w;
  }
}

/* The longest path over the probes for the call in BASE (args zero). */
static size_t worst_path(probe *p, const sf_seccomp_data *base, size_t worst) {
  static const uint32_t seeds[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff};
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) add_word(p, seeds[i]);
  for (size_t w = 0; w < p->n_words; w++) /* n_words grows as we go */
    for (int s = 0; s < N_SHAPES; s++)
      for (int arg = 0; arg <= ALL_ARGS; arg++) {
        sf_seccomp_data d = *base;
        for (int i = 0; i < SF_MAX_ARGS; i++)
          if (arg == ALL_ARGS || arg == i) d.args[i] = shape(p->words[w], s);
        size_t steps = run(p, &d, NULL);
        if (steps > worst) worst = steps;
      }
  return worst;
}

/* ---- per syscall and the summary ------------------------------------------ */

static void analyse_sys(const struct sock_filter *prog, size_t len,
                        const sf_arch *arch, const sf_syscall *sc,
                        sf_stats_sys *out) {
  probe p = {.prog = prog, .len = len, .arch = arch};
  sf_seccomp_data d = {.nr = sc->nr, .arch = arch->audit_arch};
  out->name = sc->name;
  out->nr = sc->nr;
  out->steps = run(&p, &d, &out->action);
  out->loads_args = p.loads_args;
  out->worst = p.loads_args ? worst_path(&p, &d, out->steps) : out->steps;
  out->allowed = p.allowed;
  /* kernel/seccomp.c, seccomp_cache_prepare: one bitmap for
   * SECCOMP_ARCH_NATIVE and one for SECCOMP_ARCH_COMPAT, each emulated
   * with seccomp_data.arch that value (arch/x86/include/asm/seccomp.h:
   * native AUDIT_ARCH_X86_64, compat AUDIT_ARCH_I386; arm64's: AARCH64 and
   * ARM), so an i386 section is cached on x86_64 as on i386.  The lookup
   * (seccomp_cache_check_allow_bitmap) misses numbers outside [0,
   * NR_syscalls): x32's carry __X32_SYSCALL_BIT (0x40000000) and are never
   * cached. */
  out->cached = sc->nr < 0x40000000U &&
                sf_const_allow(prog, len, sc->nr, arch->audit_arch);
}

static void summarise(sf_stats *s) {
  size_t total = 0;
  s->min_steps = s->n_sys ? SIZE_MAX : 0;
  for (size_t i = 0; i < s->n_sys; i++) {
    const sf_stats_sys *y = &s->sys[i];
    if (y->steps < s->min_steps) s->min_steps = y->steps;
    if (y->steps > s->max_steps) s->max_steps = y->steps;
    if (y->worst > s->worst_steps) s->worst_steps = y->worst;
    total += y->steps;
    s->n_allowed += y->allowed;
    s->n_allowed_zero += y->action == SF_RET_ALLOW;
    s->n_cached += y->cached;
    s->n_loads_args += y->loads_args != 0;
  }
  s->mean_steps = s->n_sys ? (double)total / (double)s->n_sys : 0.0;
}

/* kernel/seccomp.c keeps a bitmap for SECCOMP_ARCH_NATIVE and one for
 * SECCOMP_ARCH_COMPAT: arch/x86/include/asm/seccomp.h (x86_64, i386; x32's
 * numbers are beyond NR_syscalls) and arch/arm64/include/asm/seccomp.h
 * (aarch64, arm). */
static const char *bitmap_of(const sf_arch *arch) {
  static const struct { const char *arch, *bitmap; } known[] = {
      {"x86_64", "native"}, {"i386", "compat"}, {"x32", "none"},
      {"aarch64", "native"}, {"arm", "compat"}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(arch->name, known[i].arch) == 0) return known[i].bitmap;
  return NULL;
}

int sf_stats_compute(const struct sock_filter *prog, size_t len,
                     const sf_arch *arch, sf_stats *out) {
  memset(out, 0, sizeof *out);
  out->arch = arch;
  out->bitmap = bitmap_of(arch);
  out->len = len;
  out->sys = calloc(arch->n_syscalls ? arch->n_syscalls : 1, sizeof *out->sys);
  if (!out->sys) return -1;
  out->n_sys = arch->n_syscalls;
  for (size_t i = 0; i < arch->n_syscalls; i++)
    analyse_sys(prog, len, arch, &arch->syscalls[i], &out->sys[i]);
  summarise(out);
  sf_seccomp_data bad = {.nr = 0, .arch = 0};
  out->bad_arch_action = sf_bpf_run(prog, len, arch, &bad, &out->bad_arch_steps);
  return 0;
}

void sf_stats_free(sf_stats *s) {
  if (!s) return;
  free(s->sys);
  s->sys = NULL;
  s->n_sys = 0;
}
