/* cheader.c - a program as a self-contained C header (see cheader.h). */
#include "bpf/cheader.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "bpf/bpf.h"
#include "bpf/listing.h"

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

int sf_write_c(const struct sock_filter *prog, size_t len, const sf_arch *arch,
              const char *name, FILE *out) {
  sf_names names = {arch, &arch, 1};
  return sf_write_c_names(prog, len, &names, name, out);
}

int sf_write_c_names(const struct sock_filter *prog, size_t len,
                     const sf_names *names, const char *name, FILE *out) {
  if (!name) name = "sysfence_filter";
  if (!names || !names->fallback || sf_c_name_problem(name)) {
    errno = EINVAL;
    return -1;
  }
  int *states = sf_listing_states(prog, len);
  int64_t *audits = states ? sf_listing_audits(prog, len) : NULL;
  if (!audits) {
    free(states);
    return -1;
  }
  c_prologue(names->fallback, name, len, out);
  for (size_t pc = 0; pc < len; pc++) {
    char stmt[96], text[160];
    c_insn(&prog[pc], stmt, sizeof stmt - 1);
    strcat(stmt, ",");
    sf_insn_str_names(&prog[pc], pc, names, states[pc], audits[pc], text,
                      sizeof text);
    fprintf(out, "    %-56s /* %04zu: %s */\n", stmt, pc, text);
  }
  fprintf(out, "};\n\n#define %s_LEN (sizeof(%s) / sizeof(%s[0]))\n\n"
               "#endif\n", name, name, name);
  free(audits);
  free(states);
  return sf_stream_finish(out);
}
