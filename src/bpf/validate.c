/* validate.c - the kernel's rules for seccomp filters (see bpf.h).
 *
 * The kernel runs bpf_check_classic() (net/core/filter.c), which ends with
 * check_load_and_stores(), and then seccomp_check_filter()
 * (kernel/seccomp.c), which whitelists a subset of classic BPF.  We apply
 * the same rules; the first violation found is reported. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/bpf.h"

/* Write a reason into WHY (if there is room) and fail. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(char *why, size_t why_size, const char *fmt, ...) {
  if (why && why_size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int is_cond_jump(uint16_t code) {
  switch (code) {
  case BPF_JMP | BPF_JEQ | BPF_K:
  case BPF_JMP | BPF_JEQ | BPF_X:
  case BPF_JMP | BPF_JGE | BPF_K:
  case BPF_JMP | BPF_JGE | BPF_X:
  case BPF_JMP | BPF_JGT | BPF_K:
  case BPF_JMP | BPF_JGT | BPF_X:
  case BPF_JMP | BPF_JSET | BPF_K:
  case BPF_JMP | BPF_JSET | BPF_X:
    return 1;
  default:
    return 0;
  }
}

/* seccomp_check_filter's whitelist (a subset of what bpf_check_classic
 * knows, so it is the only opcode test needed).  The switch is on the full
 * 16-bit code: stray high bits make an opcode unknown, as in the kernel. */
static int opcode_allowed(uint16_t code) {
  switch (code) {
  case BPF_LD | BPF_W | BPF_ABS:
  case BPF_LD | BPF_W | BPF_LEN:
  case BPF_LDX | BPF_W | BPF_LEN:
  case BPF_RET | BPF_K:
  case BPF_RET | BPF_A:
  case BPF_ALU | BPF_ADD | BPF_K:
  case BPF_ALU | BPF_ADD | BPF_X:
  case BPF_ALU | BPF_SUB | BPF_K:
  case BPF_ALU | BPF_SUB | BPF_X:
  case BPF_ALU | BPF_MUL | BPF_K:
  case BPF_ALU | BPF_MUL | BPF_X:
  case BPF_ALU | BPF_DIV | BPF_K:
  case BPF_ALU | BPF_DIV | BPF_X:
  case BPF_ALU | BPF_AND | BPF_K:
  case BPF_ALU | BPF_AND | BPF_X:
  case BPF_ALU | BPF_OR | BPF_K:
  case BPF_ALU | BPF_OR | BPF_X:
  case BPF_ALU | BPF_XOR | BPF_K:
  case BPF_ALU | BPF_XOR | BPF_X:
  case BPF_ALU | BPF_LSH | BPF_K:
  case BPF_ALU | BPF_LSH | BPF_X:
  case BPF_ALU | BPF_RSH | BPF_K:
  case BPF_ALU | BPF_RSH | BPF_X:
  case BPF_ALU | BPF_NEG:
  case BPF_LD | BPF_IMM:
  case BPF_LDX | BPF_IMM:
  case BPF_MISC | BPF_TAX:
  case BPF_MISC | BPF_TXA:
  case BPF_LD | BPF_MEM:
  case BPF_LDX | BPF_MEM:
  case BPF_ST:
  case BPF_STX:
  case BPF_JMP | BPF_JA:
    return 1;
  default:
    return is_cond_jump(code);
  }
}

/* The per-instruction checks of both kernel functions. */
static int check_insn(const struct sock_filter *prog, size_t len, size_t pc,
                      char *why, size_t why_size) {
  const struct sock_filter *in = &prog[pc];
  if (!opcode_allowed(in->code))
    return fail(why, why_size, "instruction %zu: opcode 0x%04x is not "
                "allowed in seccomp filters", pc, in->code);
  switch (in->code) {
  case BPF_ALU | BPF_DIV | BPF_K:
    if (in->k == 0)
      return fail(why, why_size, "instruction %zu: division by zero", pc);
    break;
  case BPF_ALU | BPF_LSH | BPF_K:
  case BPF_ALU | BPF_RSH | BPF_K:
    if (in->k >= 32)
      return fail(why, why_size, "instruction %zu: shift by %u (must be "
                  "less than 32)", pc, in->k);
    break;
  case BPF_LD | BPF_MEM:
  case BPF_LDX | BPF_MEM:
  case BPF_ST:
  case BPF_STX:
    if (in->k >= SF_BPF_MEMWORDS)
      return fail(why, why_size, "instruction %zu: scratch word %u does "
                  "not exist (0..%d)", pc, in->k, SF_BPF_MEMWORDS - 1);
    break;
  case BPF_LD | BPF_W | BPF_ABS:
    if (in->k >= SF_SECCOMP_DATA_SIZE || in->k % 4 != 0)
      return fail(why, why_size, "instruction %zu: load from offset %u "
                  "(must be a multiple of 4 below %d)", pc, in->k,
                  SF_SECCOMP_DATA_SIZE);
    break;
  case BPF_JMP | BPF_JA:
    /* k is unsigned: the target pc + 1 + k must lie inside. */
    if (in->k >= len - pc - 1)
      return fail(why, why_size, "instruction %zu: jump out of range", pc);
    break;
  default:
    if (is_cond_jump(in->code) &&
        (pc + in->jt + 1 >= len || pc + in->jf + 1 >= len))
      return fail(why, why_size, "instruction %zu: jump out of range", pc);
    break;
  }
  return 0;
}

/* check_load_and_stores(): a scratch word may be read only if it was
 * written on every path to the read.  Like the kernel, walk the program in
 * order with the set of valid words; a jump intersects that set into its
 * targets' masks and resets it to "all", so a fall-through after a RET
 * still carries its set (harmless: the kernel is conservative the same
 * way, and we must accept and reject exactly what it does). */
static int check_memory(const struct sock_filter *prog, size_t len, char *why,
                        size_t why_size) {
  uint16_t masks[SF_BPF_MAXINSNS];
  uint16_t valid = 0;
  for (size_t pc = 0; pc < len; pc++) masks[pc] = 0xffff;
  for (size_t pc = 0; pc < len; pc++) {
    const struct sock_filter *in = &prog[pc];
    valid &= masks[pc];
    switch (in->code) {
    case BPF_ST:
    case BPF_STX:
      valid |= (uint16_t)(1U << in->k);
      break;
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
      if (!(valid & (1U << in->k)))
        return fail(why, why_size, "instruction %zu: reads scratch word "
                    "M[%u], which is not written on every path to it", pc,
                    in->k);
      break;
    case BPF_JMP | BPF_JA:
      masks[pc + 1 + in->k] &= valid;
      valid = 0xffff;
      break;
    default:
      if (is_cond_jump(in->code)) {
        masks[pc + 1 + in->jt] &= valid;
        masks[pc + 1 + in->jf] &= valid;
        valid = 0xffff;
      }
      break;
    }
  }
  return 0;
}

int sf_bpf_validate(const struct sock_filter *prog, size_t len, char *why,
                    size_t why_size) {
  if (why && why_size > 0) why[0] = '\0';
  if (len == 0 || !prog) return fail(why, why_size, "the program is empty");
  if (len > SF_BPF_MAXINSNS)
    return fail(why, why_size, "the program has %zu instructions; the "
                "kernel's limit is %d (BPF_MAXINSNS)", len, SF_BPF_MAXINSNS);
  for (size_t pc = 0; pc < len; pc++)
    if (check_insn(prog, len, pc, why, why_size) != 0) return -1;
  uint16_t last = prog[len - 1].code;
  if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
    return fail(why, why_size, "instruction %zu: the last instruction must "
                "be a RET", len - 1);
  return check_memory(prog, len, why, why_size);
}
