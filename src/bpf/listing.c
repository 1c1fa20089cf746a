/* listing.c - the readable form of a program: one line per instruction
 * with mnemonics, syscall names on comparisons with the syscall number,
 * decoded actions and seccomp_data fields (see listing.h). */
#include "bpf/listing.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "bpf/action.h"
#include "bpf/bpf.h"

/* ---- what A holds and which arch is checked: a forward dataflow ------ */

/* For each instruction, the seccomp_data offset whose word A holds when it
 * runs (0 = nr, 4 = arch, ...), or A_UNKNOWN; and the AUDIT_ARCH value
 * seccomp_data.arch is known to have on every path reaching it (the taken
 * side of a `jeq #K` on arch), or AUDIT_UNKNOWN.  *_UNSEEN: no predecessor
 * visited yet (unreachable code ends up unknown). */
enum { A_UNKNOWN = -1, A_UNSEEN = -2 };
enum { AUDIT_UNKNOWN = -1, AUDIT_UNSEEN = -2 };

typedef struct flow {
  int a;
  int64_t audit;
} flow;

static int writes_a(uint16_t code) {
  return BPF_CLASS(code) == BPF_LD || BPF_CLASS(code) == BPF_ALU ||
         code == (BPF_MISC | BPF_TXA);
}

static void meet(flow *states, size_t len, uint64_t target, int a,
                 int64_t audit) {
  if (target >= len) return; /* invalid program: ignore the edge */
  flow *t = &states[target];
  if (t->a == A_UNSEEN)
    t->a = a;
  else if (t->a != a)
    t->a = A_UNKNOWN;
  if (t->audit == AUDIT_UNSEEN)
    t->audit = audit;
  else if (t->audit != audit)
    t->audit = AUDIT_UNKNOWN;
}

/* The edges of the jump at PC: the taken side of `jeq #K` with A holding
 * arch knows arch == K; the other side keeps what was known ("not K" is
 * not tracked). */
static void jump_edges(const struct sock_filter *in, size_t pc, flow *states,
                       size_t len, int a, int64_t audit) {
  if (in->code == (BPF_JMP | BPF_JA)) {
    meet(states, len, (uint64_t)pc + 1 + in->k, a, audit);
    return;
  }
  int64_t taken = audit;
  if (in->code == (BPF_JMP | BPF_JEQ | BPF_K) && a == SF_OFF_ARCH)
    taken = in->k;
  meet(states, len, (uint64_t)pc + 1 + in->jt, a, taken);
  meet(states, len, (uint64_t)pc + 1 + in->jf, a, audit);
}

/* Fill STATES[0..len) (jumps only go forward, so one pass in order sees
 * every predecessor before its successor). */
static void dataflow(const struct sock_filter *prog, size_t len, flow *states) {
  for (size_t pc = 0; pc < len; pc++)
    states[pc] = (flow){A_UNSEEN, AUDIT_UNSEEN};
  if (len) states[0] = (flow){A_UNKNOWN, AUDIT_UNKNOWN};
  for (size_t pc = 0; pc < len; pc++) {
    const struct sock_filter *in = &prog[pc];
    flow *here = &states[pc];
    if (here->a == A_UNSEEN) here->a = A_UNKNOWN;
    if (here->audit == AUDIT_UNSEEN) here->audit = AUDIT_UNKNOWN;
    int a = here->a;
    if (in->code == (BPF_LD | BPF_W | BPF_ABS))
      a = in->k < SF_SECCOMP_DATA_SIZE ? (int)in->k : A_UNKNOWN;
    else if (writes_a(in->code))
      a = A_UNKNOWN;
    if (BPF_CLASS(in->code) == BPF_RET) continue;
    if (BPF_CLASS(in->code) == BPF_JMP)
      jump_edges(in, pc, states, len, a, here->audit);
    else
      meet(states, len, (uint64_t)pc + 1, a, here->audit);
  }
}

static flow *flow_of(const struct sock_filter *prog, size_t len) {
  flow *states = malloc((len ? len : 1) * sizeof *states);
  if (!states) {
    errno = ENOMEM;
    return NULL;
  }
  dataflow(prog, len, states);
  return states;
}

int *sf_listing_states(const struct sock_filter *prog, size_t len) {
  flow *f = flow_of(prog, len);
  int *states = f ? malloc((len ? len : 1) * sizeof *states) : NULL;
  if (!states) {
    free(f);
    errno = ENOMEM;
    return NULL;
  }
  for (size_t pc = 0; pc < len; pc++) states[pc] = f[pc].a;
  free(f);
  return states;
}

int64_t *sf_listing_audits(const struct sock_filter *prog, size_t len) {
  flow *f = flow_of(prog, len);
  int64_t *audits = f ? malloc((len ? len : 1) * sizeof *audits) : NULL;
  if (!audits) {
    free(f);
    errno = ENOMEM;
    return NULL;
  }
  for (size_t pc = 0; pc < len; pc++) audits[pc] = f[pc].audit;
  free(f);
  return audits;
}

size_t sf_listing_arch_values(const struct sock_filter *prog, size_t len,
                              uint32_t *out, size_t max) {
  int *states = sf_listing_states(prog, len);
  if (!states) return 0;
  size_t n = 0;
  for (size_t pc = 0; pc < len; pc++) {
    if (prog[pc].code != (BPF_JMP | BPF_JEQ | BPF_K) || states[pc] != SF_OFF_ARCH)
      continue;
    size_t i = 0;
    while (i < n && out[i] != prog[pc].k) i++;
    if (i == n && n < max) out[n++] = prog[pc].k;
  }
  free(states);
  return n;
}

/* ---- which table names a syscall number ------------------------------ */

const sf_arch *sf_names_table(const sf_names *names, int64_t audit, uint32_t nr) {
  if (audit < 0) return names->fallback;
  /* x86_64 and x32 share AUDIT_ARCH_X86_64: the number tells the ABI. */
  for (size_t i = 0; i < names->n_tables; i++) {
    const sf_arch *t = names->tables[i];
    if (t->audit_arch == audit && !sf_arch_nr_is_foreign(t, nr)) return t;
  }
  return NULL; /* a table we do not have (the loader has the host's only) */
}

/* Is K, compared by OP, the boundary between two ABIs sharing AUDIT (x32's
 * numbers start at 0x40000000 on x86_64), not a syscall boundary?  Only
 * where NAMES has both tables: with x32's alone it is x32's read, as the
 * listings of x32 filters have always said. */
static int is_abi_split(const sf_names *names, int64_t audit, uint16_t op,
                        uint32_t k) {
  if (op != BPF_JGE && op != BPF_JGT) return 0;
  size_t sharing = 0;
  for (size_t i = 0; i < names->n_tables; i++)
    sharing += names->tables[i]->audit_arch == audit;
  if (sharing < 2) return 0;
  uint64_t first = op == BPF_JGE ? k : (uint64_t)k + 1;
  for (size_t i = 0; i < names->n_tables; i++) {
    const sf_arch *t = names->tables[i];
    if (t->audit_arch != audit || t->foreign_hi < t->foreign_lo) continue;
    if ((first == t->foreign_lo && first != 0) ||
        (first == (uint64_t)t->foreign_hi + 1 && first != UINT32_MAX))
      return 1;
  }
  return 0;
}

/* Byte order where seccomp_data.arch is known to be AUDIT: the table's,
 * or the AUDIT_ARCH's own __AUDIT_ARCH_LE bit (0x40000000,
 * include/uapi/linux/audit.h) for an arch we have no table of. */
static int big_endian_for(const sf_names *names, int64_t audit) {
  if (audit < 0 || !sf_audit_arch_name((uint32_t)audit))
    return names->fallback ? names->fallback->big_endian : 0;
  for (size_t i = 0; i < names->n_tables; i++)
    if (names->tables[i]->audit_arch == audit) return names->tables[i]->big_endian;
  return (audit & 0x40000000) == 0;
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
  const sf_names *names;
  int a_holds;   /* seccomp_data offset in A, or A_UNKNOWN */
  int64_t audit; /* seccomp_data.arch known here, or AUDIT_UNKNOWN */
} view;

/* Loads, stores and misc into OP/COMMENT; 0, or -1 if not a known one. */
static int str_load_store(const view *v, char *op, size_t n, char *comment,
                          size_t cn) {
  const struct sock_filter *in = v->in;
  char k[16];
  fmt_k(in->k, k, sizeof k);
  int be = big_endian_for(v->names, v->audit);
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
  if (v->a_holds == SF_OFF_NR) {
    const sf_arch *table = sf_names_table(v->names, v->audit, v->in->k);
    const sf_syscall *sc = table ? sf_syscall_by_nr(table, v->in->k) : NULL;
    if (sc && !(v->audit >= 0 && is_abi_split(v->names, v->audit, jop, v->in->k)))
      name = sc->name;
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
  sf_insn_str_at(insn, pc, arch, nr_loaded ? SF_OFF_NR : A_UNKNOWN, buf, size);
}

void sf_insn_str_at(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                    int a_holds, char *buf, size_t size) {
  sf_names names = {arch, &arch, arch ? 1 : 0};
  sf_insn_str_names(insn, pc, &names, a_holds, AUDIT_UNKNOWN, buf, size);
}

void sf_insn_str_names(const struct sock_filter *insn, size_t pc,
                       const sf_names *names, int a_holds, int64_t audit,
                       char *buf, size_t size) {
  view v = {insn, pc, names, a_holds < 0 ? A_UNKNOWN : a_holds,
            audit < 0 ? AUDIT_UNKNOWN : audit};
  insn_str(&v, buf, size);
}

int sf_write_asm(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out) {
  sf_names names = {arch, &arch, 1};
  return sf_write_asm_names(prog, len, &names, out);
}

int sf_write_asm_names(const struct sock_filter *prog, size_t len,
                       const sf_names *names, FILE *out) {
  if (!names || !names->fallback) {
    errno = EINVAL;
    return -1;
  }
  flow *states = flow_of(prog, len);
  if (!states) return -1;
  for (size_t pc = 0; pc < len; pc++) {
    char line[160];
    view v = {&prog[pc], pc, names, states[pc].a, states[pc].audit};
    insn_str(&v, line, sizeof line);
    fprintf(out, "%04zu: %s\n", pc, line);
  }
  free(states);
  return sf_stream_finish(out);
}

