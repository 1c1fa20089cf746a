/* sim.c - a classic BPF interpreter with the kernel's seccomp semantics
 * (see bpf.h).
 *
 * The kernel translates classic filters to eBPF (bpf_convert_filter() in
 * net/core/filter.c) and runs them in the eBPF interpreter or JIT.  What
 * that means for a seccomp filter:
 *   - A and X start at 0; ALU operations are 32-bit and wrap.
 *   - LD W ABS is a native-endian 32-bit load from struct seccomp_data,
 *     so on a big-endian arch offset 16 is the high word of args[0].
 *   - LD/LDX W LEN load sizeof(struct seccomp_data) = 64.
 *   - Conditional jumps compare unsigned 32-bit values (the converter
 *     zero-extends negative immediates into a register first).
 *   - DIV by X == 0 ends the filter with return value 0 (the converter
 *     emits "if X == 0 return 0"; classic BPF always did that).
 *   - LSH/RSH by X: the eBPF interpreter masks 32-bit shift amounts with
 *     31, and the x86-64 and arm64 JITs use instructions that do the same;
 *     so we shift by X & 31.  (The eBPF spec calls larger shifts
 *     implementation-defined; filters should not rely on them.)
 * Scratch words start at 0 here; the validator guarantees a valid program
 * never reads one it has not written.
 *
 * Anything a valid seccomp program cannot contain (unknown opcode, jump
 * or load out of range, falling off the end) returns KILL_PROCESS. */
#include <stdint.h>
#include <string.h>

#include "bpf/bpf.h"

typedef struct vm {
  uint32_t a, x;
  uint32_t mem[SF_BPF_MEMWORDS];
  unsigned char data[SF_SECCOMP_DATA_SIZE];
  int big_endian;
} vm;

static int host_big_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 0;
}

static void put(unsigned char *p, uint64_t v, int bytes, int big_endian) {
  for (int i = 0; i < bytes; i++) {
    int shift = 8 * (big_endian ? bytes - 1 - i : i);
    p[i] = (unsigned char)(v >> shift);
  }
}

static uint32_t get32(const unsigned char *p, int big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int shift = 8 * (big_endian ? 3 - i : i);
    v |= (uint32_t)p[i] << shift;
  }
  return v;
}

/* struct seccomp_data as the kernel lays it out for the target. */
static void lay_data(vm *m, const sf_seccomp_data *d) {
  memset(m->data, 0, sizeof m->data);
  put(m->data + 0, d->nr, 4, m->big_endian);
  put(m->data + 4, d->arch, 4, m->big_endian);
  put(m->data + 8, d->ip, 8, m->big_endian);
  for (int i = 0; i < SF_MAX_ARGS; i++)
    put(m->data + 16 + 8 * i, d->args[i], 8, m->big_endian);
}

enum { OK = 0, BAD = 1, RET_ZERO = 2 };

/* One ALU operation on A with operand V.  BAD for a division by a zero
 * constant or a constant shift >= 32 (both invalid programs). */
static int alu(vm *m, uint16_t code, uint32_t v) {
  switch (BPF_OP(code)) {
  case BPF_ADD: m->a += v; break;
  case BPF_SUB: m->a -= v; break;
  case BPF_MUL: m->a *= v; break;
  case BPF_AND: m->a &= v; break;
  case BPF_OR: m->a |= v; break;
  case BPF_XOR: m->a ^= v; break;
  case BPF_NEG:
    if (BPF_SRC(code) != BPF_K) return BAD;
    m->a = 0U - m->a;
    break;
  case BPF_DIV:
    if (v == 0) return BPF_SRC(code) == BPF_X ? RET_ZERO : BAD;
    m->a /= v;
    break;
  case BPF_LSH:
  case BPF_RSH:
    if (BPF_SRC(code) == BPF_K && v >= 32) return BAD;
    v &= 31; /* see the header comment */
    m->a = BPF_OP(code) == BPF_LSH ? m->a << v : m->a >> v;
    break;
  default:
    return BAD;
  }
  return OK;
}

static int cond(uint16_t code, uint32_t a, uint32_t v, int *taken) {
  switch (BPF_OP(code)) {
  case BPF_JEQ: *taken = a == v; break;
  case BPF_JGT: *taken = a > v; break;
  case BPF_JGE: *taken = a >= v; break;
  case BPF_JSET: *taken = (a & v) != 0; break;
  default: return BAD;
  }
  return OK;
}

/* Loads and stores; BAD for anything seccomp does not allow. */
static int load_store(vm *m, const struct sock_filter *in) {
  int mem = in->k < SF_BPF_MEMWORDS;
  switch (in->code) {
  case BPF_LD | BPF_W | BPF_ABS:
    if (in->k >= SF_SECCOMP_DATA_SIZE || in->k % 4) return BAD;
    m->a = get32(m->data + in->k, m->big_endian);
    return OK;
  case BPF_LD | BPF_W | BPF_LEN: m->a = SF_SECCOMP_DATA_SIZE; return OK;
  case BPF_LDX | BPF_W | BPF_LEN: m->x = SF_SECCOMP_DATA_SIZE; return OK;
  case BPF_LD | BPF_IMM: m->a = in->k; return OK;
  case BPF_LDX | BPF_IMM: m->x = in->k; return OK;
  case BPF_LD | BPF_MEM: if (!mem) return BAD; m->a = m->mem[in->k]; return OK;
  case BPF_LDX | BPF_MEM: if (!mem) return BAD; m->x = m->mem[in->k]; return OK;
  case BPF_ST: if (!mem) return BAD; m->mem[in->k] = m->a; return OK;
  case BPF_STX: if (!mem) return BAD; m->mem[in->k] = m->x; return OK;
  case BPF_MISC | BPF_TAX: m->x = m->a; return OK;
  case BPF_MISC | BPF_TXA: m->a = m->x; return OK;
  default: return BAD;
  }
}

/* Jump from PC by OFF; BAD if the target is outside the program. */
static int jump(size_t *pc, uint64_t off, size_t len) {
  uint64_t to = (uint64_t)*pc + 1 + off;
  if (to >= len) return BAD;
  *pc = (size_t)to;
  return OK;
}

/* Execute the jump at *PC (class JMP). */
static int exec_jump(const vm *m, const struct sock_filter *in, size_t *pc,
                     size_t len) {
  if (in->code == (BPF_JMP | BPF_JA)) return jump(pc, in->k, len);
  if (in->code & ~0xffU) return BAD;
  uint32_t v = BPF_SRC(in->code) == BPF_X ? m->x : in->k;
  int taken;
  if (cond(in->code, m->a, v, &taken) != OK) return BAD;
  return jump(pc, taken ? in->jt : in->jf, len);
}

uint32_t sf_bpf_run(const struct sock_filter *prog, size_t len,
                    const sf_arch *arch, const sf_seccomp_data *data,
                    size_t *steps) {
  return sf_bpf_run_trace(prog, len, arch, data, steps, NULL, NULL);
}

uint32_t sf_bpf_run_trace(const struct sock_filter *prog, size_t len,
                          const sf_arch *arch, const sf_seccomp_data *data,
                          size_t *steps, sf_bpf_trace_fn trace, void *user) {
  vm m;
  memset(&m, 0, sizeof m);
  m.big_endian = arch ? arch->big_endian : host_big_endian();
  if (data) lay_data(&m, data);
  size_t n = 0, pc = 0;
  uint32_t result = SF_RET_KILL_PROCESS;
  while (prog && data && pc < len) {
    const struct sock_filter *in = &prog[pc];
    int st = BAD;
    n++;
    if (in->code == (BPF_RET | BPF_K) || in->code == (BPF_RET | BPF_A)) {
      result = in->code == (BPF_RET | BPF_K) ? in->k : m.a;
      if (trace) trace(user, pc, in, m.a, m.x);
      break;
    }
    size_t at = pc;
    /* Codes with bits above the low byte are unknown: "0xff" class. */
    switch ((in->code & ~0xffU) ? 0xff : BPF_CLASS(in->code)) {
    case BPF_ALU:
      st = alu(&m, in->code, BPF_SRC(in->code) == BPF_X ? m.x : in->k);
      pc++;
      break;
    case BPF_JMP:
      st = exec_jump(&m, in, &pc, len);
      break;
    default:
      st = load_store(&m, in);
      pc++;
      break;
    }
    if (trace) trace(user, at, in, m.a, m.x);
    if (st == RET_ZERO) result = 0;
    if (st != OK) break;
  }
  if (steps) *steps = n;
  return result;
}
