/* arch.c - looking up architectures and syscalls in the generated tables
 * (src/arch/tables/, tools/gen-syscalls.py). */
#include "arch/arch.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

const sf_arch *const *sf_arch_all(size_t *n) {
  if (n) *n = sf_gen_n_arches;
  return sf_gen_arches;
}

/* Other names people use for the same ABI (compared case-insensitively). */
static const struct {
  const char *alias, *name;
} arch_aliases[] = {
    {"amd64", "x86_64"},     {"x86-64", "x86_64"},     {"x64", "x86_64"},
    {"x86", "i386"},         {"i486", "i386"},         {"i586", "i386"},
    {"i686", "i386"},        {"ia32", "i386"},         {"arm64", "aarch64"},
    {"armel", "arm"},        {"armhf", "arm"},         {"armv7", "arm"},
    {"loong64", "loongarch64"}, {"loongarch", "loongarch64"},
    {"mipso32", "mips"},     {"mipsel32", "mipsel"},   {"mipsn64", "mips64"},
    {"mipsel64", "mips64el"}, {"mips64le", "mips64el"},
    {"mipsn32", "mips64n32"}, {"mipseln32", "mips64n32el"},
    {"mipsel64n32", "mips64n32el"}, {"hppa", "parisc"},
    {"hppa64", "parisc64"},  {"powerpc", "ppc"},       {"powerpc64", "ppc64"},
    {"ppc64el", "ppc64le"},  {"powerpc64le", "ppc64le"}, {"rv64", "riscv64"},
    {"riscv", "riscv64"},    {"s390x64", "s390x"},     {"sh4", "shel"},
};

const sf_arch *sf_arch_by_name(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof arch_aliases / sizeof arch_aliases[0]; i++)
    if (strcasecmp(name, arch_aliases[i].alias) == 0) {
      name = arch_aliases[i].name;
      break;
    }
  for (size_t i = 0; i < sf_gen_n_arches; i++)
    if (strcasecmp(name, sf_gen_arches[i]->name) == 0) return sf_gen_arches[i];
  return NULL;
}

/* ---- syscalls ------------------------------------------------------------ */

/* strcmp's order; most probes of a search differ in the first byte, which
 * is compared without the call (lookups are a good part of resolving). */
static int name_cmp(const char *a, const char *b) {
  if (a[0] != b[0]) return (unsigned char)a[0] - (unsigned char)b[0];
  return strcmp(a, b);
}

static const sf_syscall *find_name(const sf_arch *arch, const char *name) {
  size_t lo = 0, hi = arch->n_syscalls;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = name_cmp(name, arch->syscalls[mid].name);
    if (c == 0) return &arch->syscalls[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* Kafel's tables use kernel function names; policies written for Kafel use
 * them.  They apply only when the alias is not itself a syscall of the
 * architecture (i386 has real sendfile64 and umount). */
static const struct {
  const char *kafel, *name;
} kafel_aliases[] = {
    {"newstat", "stat"},       {"newfstat", "fstat"}, {"newlstat", "lstat"},
    {"newuname", "uname"},     {"sendfile64", "sendfile"},
    {"umount", "umount2"},     {"sysctl", "_sysctl"},
};

const sf_syscall *sf_syscall_by_name(const sf_arch *arch, const char *name) {
  if (!arch || !name) return NULL;
  const sf_syscall *s = find_name(arch, name);
  if (s) return s;
  for (size_t i = 0; i < sizeof kafel_aliases / sizeof kafel_aliases[0]; i++)
    if (strcmp(name, kafel_aliases[i].kafel) == 0)
      return find_name(arch, kafel_aliases[i].name);
  return NULL;
}

int sf_is_known_syscall_or_arg(const char *name) {
  if (!name) return 0;
  size_t lo = 0, hi = sf_gen_n_known_names;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name, sf_gen_known_names[mid]);
    if (c == 0) return 1;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  /* Kafel's kernel-internal names are accepted as syscall names too. */
  for (size_t i = 0; i < sizeof kafel_aliases / sizeof kafel_aliases[0]; i++)
    if (strcmp(name, kafel_aliases[i].kafel) == 0) return 1;
  return 0;
}

uint32_t sf_arg_lo_offset(const sf_arch *arch, int arg) {
  return (uint32_t)(SF_OFF_ARGS + 8 * arg + (arch && arch->big_endian ? 4 : 0));
}

uint32_t sf_arg_hi_offset(const sf_arch *arch, int arg) {
  return (uint32_t)(SF_OFF_ARGS + 8 * arg + (arch && arch->big_endian ? 0 : 4));
}

/* The ABIs one kernel runs side by side (each line one kind of kernel):
 * x86_64 with CONFIG_IA32_EMULATION and CONFIG_X86_X32_ABI; arm64 with
 * CONFIG_COMPAT (AArch32, little endian); mips64 with CONFIG_MIPS32_O32
 * and CONFIG_MIPS32_N32, in either byte order; powerpc64 (big endian)
 * with CONFIG_COMPAT; parisc64 and s390x with CONFIG_COMPAT (s390's, the
 * 31-bit ABI, until Linux 6.18: commit 8e0b986c59c6 "s390: Remove compat
 * support" took it out in 6.19; Debian 12's 6.1 still has it).  Every other
 * ABI runs alone. */
static const char *const kernel_families[][3] = {
    {"x86_64", "i386", "x32"},   {"aarch64", "arm", NULL},
    {"mips64", "mips", "mips64n32"}, {"mips64el", "mipsel", "mips64n32el"},
    {"ppc64", "ppc", NULL},      {"parisc64", "parisc", NULL},
    {"s390x", "s390", NULL},
};

/* Index of the family ARCH belongs to, or -1. */
static int family_of(const sf_arch *arch) {
  for (size_t f = 0; f < sizeof kernel_families / sizeof kernel_families[0]; f++)
    for (int i = 0; i < 3 && kernel_families[f][i]; i++)
      if (strcmp(kernel_families[f][i], arch->name) == 0) return (int)f;
  return -1;
}

int sf_arch_run_together(const sf_arch *a, const sf_arch *b) {
  if (a == b) return 1;
  int f = family_of(a);
  return f >= 0 && f == family_of(b);
}

size_t sf_arch_companions(const sf_arch *arch, const sf_arch **out, size_t max) {
  size_t n = 0;
  int f = family_of(arch);
  for (int i = 0; f >= 0 && i < 3 && kernel_families[f][i]; i++) {
    const sf_arch *c = sf_arch_by_name(kernel_families[f][i]);
    if (c && c != arch && n < max) out[n++] = c;
  }
  return n;
}
