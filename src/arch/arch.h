/* arch.h - architectures and their syscall tables (the tables themselves
 * are generated into src/arch/tables/ by tools/gen-syscalls.py, one file
 * per table). */
#ifndef SF_ARCH_H
#define SF_ARCH_H

#include <stddef.h>
#include <stdint.h>

enum { SF_MAX_ARGS = 6 };

/* One argument of a syscall as the kernel declares it. */
typedef struct sf_arg_info {
  const char *name;
  uint8_t bits; /* 16, 32 or 64: what the kernel's parameter type keeps */
  /* Kafel's name for the same argument when it differs (socket's domain is
   * Kafel's "family"), or NULL; accepted wherever NAME is (see
   * tools/gen-syscalls.py, "Kafel's argument names"). */
  const char *alias;
} sf_arg_info;

typedef struct sf_syscall {
  const char *name;  /* userspace (libseccomp) name */
  uint32_t nr;       /* full number as seccomp_data.nr shows it (ABI base,
                        x32 bit included) */
  int8_t nargs;      /* -1: signature unknown */
  sf_arg_info args[SF_MAX_ARGS];
} sf_syscall;

typedef struct sf_arch {
  const char *name;          /* "x86_64", "i386", ... */
  uint32_t audit_arch;       /* AUDIT_ARCH_* value */
  int big_endian;
  int bits;                  /* 32 or 64: widths of arguments */
  /* seccomp_data.nr values of this ABI are in [nr_min, nr_max]; the numbers
   * of another ABI sharing audit_arch (x32 on x86_64 and vice versa) lie in
   * [foreign_lo, foreign_hi] and get the bad-arch action; foreign_hi <
   * foreign_lo means none. */
  uint32_t foreign_lo, foreign_hi;
  const sf_syscall *syscalls; /* sorted by name */
  size_t n_syscalls;
  const sf_syscall *const *by_nr; /* sorted by number */
} sf_arch;

/* All architectures, in the table's order. */
const sf_arch *const *sf_arch_all(size_t *n);
/* By name, case-insensitive, with aliases (amd64, x86, i686, arm64, ...). */
const sf_arch *sf_arch_by_name(const char *name);
/* The host's table (host.c), NULL where sysfence has none. */
const sf_arch *sf_arch_host(void);

/* Can one kernel run A and B side by side (so that one filter may serve
 * both)?  Each ABI runs with itself. */
int sf_arch_run_together(const sf_arch *a, const sf_arch *b);
/* The other ABIs a kernel for ARCH runs beside it, into OUT (at most
 * MAX); returns how many. */
size_t sf_arch_companions(const sf_arch *arch, const sf_arch **out, size_t max);

/* Lookup by userspace name; then by Kafel's kernel-internal alias
 * (newstat -> stat, ...) when the name itself is not a syscall of ARCH. */
const sf_syscall *sf_syscall_by_name(const sf_arch *arch, const char *name);
const sf_syscall *sf_syscall_by_nr(const sf_arch *arch, uint32_t nr);
/* NAME is no syscall of ARCH but a C library name for one (fstatat ->
 * newfstatat on x86_64, pread -> pread64, stat -> newfstatat on aarch64,
 * lstat64 -> lstat on x86_64): the names of ARCH's syscalls that do its
 * work, most direct first, into OUT (at most MAX; the table's strings);
 * returns how many (0 when NAME is a syscall of ARCH). */
size_t sf_syscall_kernel_names(const sf_arch *arch, const char *name,
                               const char **out, size_t max);
/* True if NAME is a syscall or argument name (Kafel's argument aliases
 * included) on any architecture (used to refuse a #define that would shadow
 * it). */
int sf_is_known_syscall_or_arg(const char *name);
/* Is NR outside this arch's own ABI (gets the bad-arch action)?  -1
 * (0xffffffff) is never foreign: tracers use it to skip a call. */
int sf_arch_nr_is_foreign(const sf_arch *arch, uint32_t nr);

/* seccomp_data offsets for this arch's byte order. */
enum { SF_OFF_NR = 0, SF_OFF_ARCH = 4, SF_OFF_IP = 8, SF_OFF_ARGS = 16 };
uint32_t sf_arg_lo_offset(const sf_arch *arch, int arg);
uint32_t sf_arg_hi_offset(const sf_arch *arch, int arg);

/* The generated index (src/arch/tables/index.c): all
 * architectures, and every syscall and argument name (aliases included) of
 * every architecture sorted by strcmp. */
extern const sf_arch *const sf_gen_arches[];
extern const size_t sf_gen_n_arches;
extern const char *const sf_gen_known_names[];
extern const size_t sf_gen_n_known_names;

#endif
