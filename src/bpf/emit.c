/* emit.c - writing programs: raw blob, C header, listing (see emit.h), and
 * the helpers they share: action names, the raw encoding, the readable form
 * of an instruction. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/bpf.h"
#include "bpf/emit.h"

/* ---- actions -------------------------------------------------------- */

const char *sf_action_str(uint32_t action, char *buf, size_t size) {
  static const struct { uint32_t value; const char *name; } plain[] = {
      {SF_RET_ALLOW, "ALLOW"},           {SF_RET_LOG, "LOG"},
      {SF_RET_KILL_THREAD, "KILL_THREAD"}, {SF_RET_KILL_PROCESS, "KILL_PROCESS"},
      {SF_RET_USER_NOTIF, "USER_NOTIF"},
  };
  static const struct { uint32_t value; const char *name; } with_data[] = {
      {SF_RET_ERRNO, "ERRNO"}, {SF_RET_TRAP, "TRAP"}, {SF_RET_TRACE, "TRACE"},
  };
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    if (action == plain[i].value) {
      snprintf(buf, size, "%s", plain[i].name);
      return buf;
    }
  for (size_t i = 0; i < sizeof with_data / sizeof with_data[0]; i++)
    if ((action & SF_RET_ACTION_FULL) == with_data[i].value) {
      snprintf(buf, size, "%s(%u)", with_data[i].name, action & SF_RET_DATA);
      return buf;
    }
  /* Not something a policy can write (the kernel kills the process for an
   * unknown action, and ignores data on the plain ones). */
  snprintf(buf, size, "0x%08x", action);
  return buf;
}

/* ---- raw encoding --------------------------------------------------- */

static void put_uint(unsigned char *p, uint32_t v, int bytes, int big_endian) {
  for (int i = 0; i < bytes; i++)
    p[i] = (unsigned char)(v >> (8 * (big_endian ? bytes - 1 - i : i)));
}

static uint32_t get_uint(const unsigned char *p, int bytes, int big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint32_t)p[i] << (8 * (big_endian ? bytes - 1 - i : i));
  return v;
}

/* struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } */
void sf_bpf_encode(const struct sock_filter *prog, size_t len, int big_endian,
                   unsigned char *out) {
  for (size_t i = 0; i < len; i++, out += 8) {
    put_uint(out, prog[i].code, 2, big_endian);
    out[2] = prog[i].jt;
    out[3] = prog[i].jf;
    put_uint(out + 4, prog[i].k, 4, big_endian);
  }
}

void sf_bpf_decode(const unsigned char *in, size_t len, int big_endian,
                   struct sock_filter *out) {
  for (size_t i = 0; i < len; i++, in += 8) {
    out[i].code = (uint16_t)get_uint(in, 2, big_endian);
    out[i].jt = in[2];
    out[i].jf = in[3];
    out[i].k = get_uint(in + 4, 4, big_endian);
  }
}

int sf_bpf_from_blob(const unsigned char *raw, size_t len, int big_endian,
                     struct sock_filter **out, size_t *n, char *why,
                     size_t why_size) {
  *out = NULL;
  *n = 0;
  errno = 0;
  if (len == 0)
    snprintf(why, why_size, "empty (0 bytes): not a seccomp filter");
  else if (len > (size_t)SF_BPF_MAXINSNS * 8)
    snprintf(why, why_size, "more than %d instructions: not a seccomp filter",
             SF_BPF_MAXINSNS);
  else if (len % 8 != 0)
    snprintf(why, why_size,
             "%zu bytes is not a whole number of 8-byte instructions", len);
  else if (!(*out = malloc(len / 8 * sizeof **out))) {
    errno = ENOMEM;
    snprintf(why, why_size, "%s", strerror(ENOMEM));
  } else {
    *n = len / 8;
    sf_bpf_decode(raw, *n, big_endian, *out);
    return 0;
  }
  return -1;
}

/* ---- what A holds: a forward dataflow ------------------------------ */

/* For each instruction, the seccomp_data offset whose word A holds when it
 * runs (0 = nr, 4 = arch, ...), or A_UNKNOWN.  A_UNSEEN: no predecessor
 * visited yet (unreachable code ends up unknown). */
enum { A_UNKNOWN = -1, A_UNSEEN = -2 };

static int writes_a(uint16_t code) {
  return BPF_CLASS(code) == BPF_LD || BPF_CLASS(code) == BPF_ALU ||
         code == (BPF_MISC | BPF_TXA);
}

static void meet(int *states, size_t len, uint64_t target, int st) {
  if (target >= len) return; /* invalid program: ignore the edge */
  int *t = &states[target];
  if (*t == A_UNSEEN)
    *t = st;
  else if (*t != st)
    *t = A_UNKNOWN;
}

/* Fill STATES[0..len) (jumps only go forward, so one pass in order sees
 * every predecessor before its successor). */
static void a_dataflow(const struct sock_filter *prog, size_t len,
                       int *states) {
  for (size_t pc = 0; pc < len; pc++) states[pc] = A_UNSEEN;
  if (len) states[0] = A_UNKNOWN;
  for (size_t pc = 0; pc < len; pc++) {
    const struct sock_filter *in = &prog[pc];
    int st = states[pc] == A_UNSEEN ? A_UNKNOWN : states[pc];
    states[pc] = st;
    if (in->code == (BPF_LD | BPF_W | BPF_ABS))
      st = in->k < SF_SECCOMP_DATA_SIZE ? (int)in->k : A_UNKNOWN;
    else if (writes_a(in->code))
      st = A_UNKNOWN;
    if (BPF_CLASS(in->code) == BPF_RET) continue;
    if (in->code == (BPF_JMP | BPF_JA)) {
      meet(states, len, (uint64_t)pc + 1 + in->k, st);
    } else if (BPF_CLASS(in->code) == BPF_JMP) {
      meet(states, len, (uint64_t)pc + 1 + in->jt, st);
      meet(states, len, (uint64_t)pc + 1 + in->jf, st);
    } else {
      meet(states, len, (uint64_t)pc + 1, st);
    }
  }
}

/* ---- readable form -------------------------------------------------- */

static const struct { uint32_t value; const char *name; } audit_arches[] = {
    {0xc000003eU, "AUDIT_ARCH_X86_64"},   {0x40000003U, "AUDIT_ARCH_I386"},
    {0xc00000b7U, "AUDIT_ARCH_AARCH64"},  {0x40000028U, "AUDIT_ARCH_ARM"},
    {0x00000028U, "AUDIT_ARCH_ARMEB"},    {0x00000008U, "AUDIT_ARCH_MIPS"},
    {0x40000008U, "AUDIT_ARCH_MIPSEL"},   {0x80000008U, "AUDIT_ARCH_MIPS64"},
    {0xc0000008U, "AUDIT_ARCH_MIPSEL64"}, {0xa0000008U, "AUDIT_ARCH_MIPS64N32"},
    {0xe0000008U, "AUDIT_ARCH_MIPSEL64N32"}, {0x00000014U, "AUDIT_ARCH_PPC"},
    {0x80000015U, "AUDIT_ARCH_PPC64"},    {0xc0000015U, "AUDIT_ARCH_PPC64LE"},
    {0x00000016U, "AUDIT_ARCH_S390"},     {0x80000016U, "AUDIT_ARCH_S390X"},
    {0x400000f3U, "AUDIT_ARCH_RISCV32"},  {0xc00000f3U, "AUDIT_ARCH_RISCV64"},
    {0xc0000102U, "AUDIT_ARCH_LOONGARCH64"}, {0x0000000fU, "AUDIT_ARCH_PARISC"},
    {0x8000000fU, "AUDIT_ARCH_PARISC64"}, {0x8000002bU, "AUDIT_ARCH_SPARC64"},
    {0x00000002U, "AUDIT_ARCH_SPARC"},    {0x00000004U, "AUDIT_ARCH_M68K"},
    {0x0000002aU, "AUDIT_ARCH_SH"},       {0x4000002aU, "AUDIT_ARCH_SHEL"},
    {0x400000fcU, "AUDIT_ARCH_CSKY"},     {0x0000005eU, "AUDIT_ARCH_XTENSA"},
};

const char *sf_audit_arch_name(uint32_t value) {
  for (size_t i = 0; i < sizeof audit_arches / sizeof audit_arches[0]; i++)
    if (audit_arches[i].value == value) return audit_arches[i].name;
  return NULL;
}

/* Constants: small ones in decimal (syscall numbers, offsets, errnos),
 * large ones in hex (masks, arch values). */
static void fmt_k(uint32_t k, char *buf, size_t size) {
  if (k < 4096)
    snprintf(buf, size, "%u", k);
  else
    snprintf(buf, size, "0x%x", k);
}

/* What the seccomp_data word at OFF is: "nr", "args[1] lo", ... */
static void data_word_name(uint32_t off, int big_endian, char *buf,
                           size_t size) {
  if (off == SF_OFF_NR) {
    snprintf(buf, size, "nr");
  } else if (off == SF_OFF_ARCH) {
    snprintf(buf, size, "arch");
  } else {
    /* 8-byte fields: the first word is the low half on little endian. */
    const char *half = ((off % 8 == 0) != (big_endian != 0)) ? "lo" : "hi";
    if (off < SF_OFF_ARGS)
      snprintf(buf, size, "ip %s", half);
    else
      snprintf(buf, size, "args[%u] %s", (off - SF_OFF_ARGS) / 8, half);
  }
}

static const char *alu_name(uint16_t op) {
  switch (op) {
  case BPF_ADD: return "add";
  case BPF_SUB: return "sub";
  case BPF_MUL: return "mul";
  case BPF_DIV: return "div";
  case BPF_MOD: return "mod";
  case BPF_AND: return "and";
  case BPF_OR: return "or";
  case BPF_XOR: return "xor";
  case BPF_LSH: return "lsh";
  case BPF_RSH: return "rsh";
  case BPF_NEG: return "neg";
  default: return NULL;
  }
}

static const char *jmp_name(uint16_t op) {
  switch (op) {
  case BPF_JA: return "ja";
  case BPF_JEQ: return "jeq";
  case BPF_JGT: return "jgt";
  case BPF_JGE: return "jge";
  case BPF_JSET: return "jset";
  default: return NULL;
  }
}

typedef struct view {
  const struct sock_filter *in;
  size_t pc;
  const sf_arch *arch;
  int a_holds; /* seccomp_data offset in A, or A_UNKNOWN */
} view;

/* Loads, stores and misc into OP/COMMENT; 0, or -1 if not a known one. */
static int str_load_store(const view *v, char *op, size_t n, char *comment,
                          size_t cn) {
  const struct sock_filter *in = v->in;
  char k[16];
  fmt_k(in->k, k, sizeof k);
  int be = v->arch ? v->arch->big_endian : 0;
  switch (in->code) {
  case BPF_LD | BPF_W | BPF_ABS:
    snprintf(op, n, "ld [%u]", in->k);
    if (in->k < SF_SECCOMP_DATA_SIZE && in->k % 4 == 0)
      data_word_name(in->k, be, comment, cn);
    return 0;
  case BPF_LD | BPF_H | BPF_ABS: snprintf(op, n, "ldh [%u]", in->k); return 0;
  case BPF_LD | BPF_B | BPF_ABS: snprintf(op, n, "ldb [%u]", in->k); return 0;
  case BPF_LD | BPF_W | BPF_IND: snprintf(op, n, "ld [x + %u]", in->k); return 0;
  case BPF_LD | BPF_H | BPF_IND: snprintf(op, n, "ldh [x + %u]", in->k); return 0;
  case BPF_LD | BPF_B | BPF_IND: snprintf(op, n, "ldb [x + %u]", in->k); return 0;
  case BPF_LDX | BPF_B | BPF_MSH:
    snprintf(op, n, "ldxb 4*([%u]&0xf)", in->k);
    return 0;
  case BPF_LD | BPF_W | BPF_LEN: snprintf(op, n, "ld #len"); return 0;
  case BPF_LDX | BPF_W | BPF_LEN: snprintf(op, n, "ldx #len"); return 0;
  case BPF_LD | BPF_IMM: snprintf(op, n, "ld #%s", k); return 0;
  case BPF_LDX | BPF_IMM: snprintf(op, n, "ldx #%s", k); return 0;
  case BPF_LD | BPF_MEM: snprintf(op, n, "ld M[%u]", in->k); return 0;
  case BPF_LDX | BPF_MEM: snprintf(op, n, "ldx M[%u]", in->k); return 0;
  case BPF_ST: snprintf(op, n, "st M[%u]", in->k); return 0;
  case BPF_STX: snprintf(op, n, "stx M[%u]", in->k); return 0;
  case BPF_MISC | BPF_TAX: snprintf(op, n, "tax"); return 0;
  case BPF_MISC | BPF_TXA: snprintf(op, n, "txa"); return 0;
  case BPF_RET | BPF_A: snprintf(op, n, "ret a"); return 0;
  case BPF_RET | BPF_K: {
    char act[32];
    snprintf(op, n, "ret %s", sf_action_str(in->k, act, sizeof act));
    return 0;
  }
  default:
    return -1;
  }
}

static int str_alu(const view *v, char *op, size_t n) {
  const struct sock_filter *in = v->in;
  const char *name = alu_name(BPF_OP(in->code));
  if (!name || (in->code & ~0xffU)) return -1;
  if (BPF_OP(in->code) == BPF_NEG) {
    if (BPF_SRC(in->code) != BPF_K) return -1;
    snprintf(op, n, "neg");
  } else if (BPF_SRC(in->code) == BPF_X) {
    snprintf(op, n, "%s x", name);
  } else {
    char k[16];
    fmt_k(in->k, k, sizeof k);
    snprintf(op, n, "%s #%s", name, k);
  }
  return 0;
}

/* Name the constant of a comparison when A is known to hold nr or arch. */
static void name_operand(const view *v, char *comment, size_t cn) {
  uint16_t jop = BPF_OP(v->in->code);
  if (BPF_SRC(v->in->code) != BPF_K || jop == BPF_JSET) return;
  const char *name = NULL;
  if (v->a_holds == SF_OFF_NR && v->arch) {
    const sf_syscall *sc = sf_syscall_by_nr(v->arch, v->in->k);
    if (sc) name = sc->name;
  } else if (v->a_holds == SF_OFF_ARCH) {
    name = sf_audit_arch_name(v->in->k);
  }
  if (name) snprintf(comment, cn, "%s", name);
}

static int str_jmp(const view *v, char *op, size_t n, char *comment,
                   size_t cn) {
  const struct sock_filter *in = v->in;
  const char *name = jmp_name(BPF_OP(in->code));
  if (!name || (in->code & ~0xffU)) return -1;
  uint64_t next = (uint64_t)v->pc + 1;
  if (BPF_OP(in->code) == BPF_JA) {
    if (BPF_SRC(in->code) != BPF_K) return -1;
    snprintf(op, n, "ja %llu", (unsigned long long)(next + in->k));
    return 0;
  }
  char k[24] = "x";
  if (BPF_SRC(in->code) == BPF_K) {
    char num[16];
    fmt_k(in->k, num, sizeof num);
    snprintf(k, sizeof k, "#%s", num);
  }
  snprintf(op, n, "%s %s jt %llu jf %llu", name, k,
           (unsigned long long)(next + in->jt),
           (unsigned long long)(next + in->jf));
  name_operand(v, comment, cn);
  return 0;
}

static void insn_str(const view *v, char *buf, size_t size) {
  char op[64] = "", comment[64] = "";
  int r;
  switch (BPF_CLASS(v->in->code)) {
  case BPF_ALU: r = str_alu(v, op, sizeof op); break;
  case BPF_JMP: r = str_jmp(v, op, sizeof op, comment, sizeof comment); break;
  default:
    r = str_load_store(v, op, sizeof op, comment, sizeof comment);
    break;
  }
  if (r != 0)
    snprintf(op, sizeof op, ".insn 0x%04x, %u, %u, 0x%08x", v->in->code,
             v->in->jt, v->in->jf, v->in->k);
  if (comment[0])
    snprintf(buf, size, "%-24s ; %s", op, comment);
  else
    snprintf(buf, size, "%s", op);
}

void sf_insn_str(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                 int nr_loaded, char *buf, size_t size) {
  view v = {insn, pc, arch, nr_loaded ? SF_OFF_NR : A_UNKNOWN};
  insn_str(&v, buf, size);
}

/* ---- writers -------------------------------------------------------- */

/* 0, or -1 with errno set if the stream had an error. */
static int stream_status(FILE *out) {
  if (fflush(out) != 0 || ferror(out)) {
    if (errno == 0) errno = EIO;
    return -1;
  }
  return 0;
}

int sf_emit_bpf(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out) {
  if (!arch) {
    errno = EINVAL;
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char raw[8];
    sf_bpf_encode(&prog[i], 1, arch->big_endian, raw);
    if (fwrite(raw, sizeof raw, 1, out) != 1) break;
  }
  return stream_status(out);
}

/* A_HOLDS per instruction, malloc()ed; NULL with errno set. */
static int *a_states(const struct sock_filter *prog, size_t len) {
  int *states = malloc((len ? len : 1) * sizeof *states);
  if (!states) {
    errno = ENOMEM;
    return NULL;
  }
  a_dataflow(prog, len, states);
  return states;
}

int sf_emit_asm(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out) {
  if (!arch) {
    errno = EINVAL;
    return -1;
  }
  int *states = a_states(prog, len);
  if (!states) return -1;
  for (size_t pc = 0; pc < len; pc++) {
    char line[160];
    view v = {&prog[pc], pc, arch, states[pc]};
    insn_str(&v, line, sizeof line);
    fprintf(out, "%04zu: %s\n", pc, line);
  }
  free(states);
  return stream_status(out);
}

/* ---- C header ------------------------------------------------------- */

static int is_identifier(const char *s) {
  if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
  return 1;
}

/* C11's keywords and those C23 adds (a header must compile under both). */
static int is_c_keyword(const char *s) {
  static const char *const kw[] = {
      "auto", "break", "case", "char", "const", "continue", "default", "do",
      "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "inline", "int", "long", "register", "restrict", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "alignas", "alignof", "bool",
      "constexpr", "false", "nullptr", "static_assert", "thread_local",
      "true", "typeof", "typeof_unqual"};
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (strcmp(s, kw[i]) == 0) return 1;
  return 0;
}

const char *sf_c_name_problem(const char *name) {
  if (!name || !*name) return "it is empty";
  if (!is_identifier(name))
    return "it is not a C identifier (letters, digits and '_', not starting "
           "with a digit)";
  if (strlen(name) > SF_C_NAME_MAX) return "it is longer than 200 characters";
  if (is_c_keyword(name)) return "it is a C keyword";
  /* Reserved for the implementation (C11 7.1.3), and the prefixes of the
   * macros <linux/filter.h> defines (BPF_K, SKF_AD_OFF, ...), which would
   * replace the name. */
  if (name[0] == '_' && (name[1] == '_' || isupper((unsigned char)name[1])))
    return "names starting with '__' or '_' and a capital are reserved in C";
  if (strncmp(name, "BPF_", 4) == 0 || strncmp(name, "SKF_", 4) == 0)
    return "<linux/filter.h> defines macros starting with BPF_ and SKF_";
  return NULL;
}

/* The <linux/filter.h> spelling of CODE ("BPF_LD | BPF_W | BPF_ABS") into
 * BUF; 0, or -1 if it has none (the caller writes the number). */
static int code_macro(uint16_t code, char *buf, size_t size) {
  static const char *const classes[8] = {"BPF_LD",  "BPF_LDX", "BPF_ST",
                                         "BPF_STX", "BPF_ALU", "BPF_JMP",
                                         "BPF_RET", "BPF_MISC"};
  static const char *const sizes[4] = {"BPF_W", "BPF_H", "BPF_B", NULL};
  static const char *const modes[8] = {"BPF_IMM", "BPF_ABS", "BPF_IND",
                                       "BPF_MEM", "BPF_LEN", "BPF_MSH",
                                       NULL,      NULL};
  static const char *const alu_ops[16] = {
      "BPF_ADD", "BPF_SUB", "BPF_MUL", "BPF_DIV", "BPF_OR",  "BPF_AND",
      "BPF_LSH", "BPF_RSH", "BPF_NEG", "BPF_MOD", "BPF_XOR", NULL};
  static const char *const jmp_ops[16] = {"BPF_JA", "BPF_JEQ", "BPF_JGT",
                                          "BPF_JGE", "BPF_JSET", NULL};
  const char *cls = classes[BPF_CLASS(code)];
  const char *a = NULL, *b = NULL;
  if (code & ~0xffU) return -1;
  switch (BPF_CLASS(code)) {
  case BPF_LD:
  case BPF_LDX:
    a = sizes[BPF_SIZE(code) >> 3];
    b = modes[BPF_MODE(code) >> 5];
    if (!a || !b) return -1;
    break;
  case BPF_ST:
  case BPF_STX:
    if (code != BPF_CLASS(code)) return -1;
    break;
  case BPF_ALU:
  case BPF_JMP: {
    const char *const *ops = BPF_CLASS(code) == BPF_ALU ? alu_ops : jmp_ops;
    a = ops[BPF_OP(code) >> 4];
    if (!a) return -1;
    b = BPF_SRC(code) == BPF_X ? "BPF_X" : "BPF_K";
    if (BPF_OP(code) == BPF_NEG || BPF_OP(code) == BPF_JA) {
      if (BPF_SRC(code) != BPF_K) return -1;
      b = NULL;
    }
    break;
  }
  case BPF_RET:
    if (code & ~0x1fU) return -1; /* only BPF_RVAL bits besides the class */
    a = BPF_RVAL(code) == BPF_K ? "BPF_K" : BPF_RVAL(code) == BPF_A ? "BPF_A"
                                                                    : "BPF_X";
    if (code != (BPF_RET | BPF_RVAL(code))) return -1;
    break;
  default: /* BPF_MISC */
    if (code == (BPF_MISC | BPF_TAX)) a = "BPF_TAX";
    else if (code == (BPF_MISC | BPF_TXA)) a = "BPF_TXA";
    else return -1;
    break;
  }
  snprintf(buf, size, "%s%s%s%s%s", cls, a ? " | " : "", a ? a : "",
           b ? " | " : "", b ? b : "");
  return 0;
}

static void c_insn(const struct sock_filter *in, char *buf, size_t size) {
  char code[48];
  int is_cond = BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_JA;
  if (code_macro(in->code, code, sizeof code) != 0 ||
      (!is_cond && (in->jt || in->jf)))
    snprintf(buf, size, "{ 0x%02x, %u, %u, 0x%08x }", in->code, in->jt, in->jf,
             in->k);
  else if (is_cond)
    snprintf(buf, size, "BPF_JUMP(%s, 0x%08x, %u, %u)", code, in->k, in->jt,
             in->jf);
  else
    snprintf(buf, size, "BPF_STMT(%s, 0x%08x)", code, in->k);
}

static void c_prologue(const sf_arch *arch, const char *name, size_t len,
                       FILE *out) {
  char guard[256];
  size_t i = 0;
  for (; name[i] && i < sizeof guard - 3; i++)
    guard[i] = (char)toupper((unsigned char)name[i]);
  snprintf(guard + i, sizeof guard - i, "_H");
  fprintf(out,
          "/* Generated by sysfence for %s: a seccomp filter of %zu "
          "instructions.\n"
          " * Install it with:\n"
          " *   struct sock_fprog prog = { .len = %s_LEN,\n"
          " *                              .filter = (struct sock_filter *)%s };\n"
          " *   prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);\n"
          " *   prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);\n"
          " */\n"
          "#ifndef %s\n#define %s\n\n#include <linux/filter.h>\n\n",
          arch->name, len, name, name, guard, guard);
  /* Unused static arrays would warn under -Wunused-const-variable. */
  fprintf(out, "#ifdef __GNUC__\n__attribute__((unused))\n#endif\n"
               "static const struct sock_filter %s[] = {\n", name);
}

int sf_emit_c(const struct sock_filter *prog, size_t len, const sf_arch *arch,
              const char *name, FILE *out) {
  if (!name) name = "sysfence_filter";
  if (!arch || sf_c_name_problem(name)) {
    errno = EINVAL;
    return -1;
  }
  int *states = a_states(prog, len);
  if (!states) return -1;
  c_prologue(arch, name, len, out);
  for (size_t pc = 0; pc < len; pc++) {
    char stmt[96], text[160];
    view v = {&prog[pc], pc, arch, states[pc]};
    c_insn(&prog[pc], stmt, sizeof stmt - 1);
    strcat(stmt, ",");
    insn_str(&v, text, sizeof text);
    fprintf(out, "    %-56s /* %04zu: %s */\n", stmt, pc, text);
  }
  fprintf(out, "};\n\n#define %s_LEN (sizeof(%s) / sizeof(%s[0]))\n\n"
               "#endif\n", name, name, name);
  free(states);
  return stream_status(out);
}
