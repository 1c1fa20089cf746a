/* host.h - the host's ABI, chosen by the compiler's predefined macros:
 * SF_HOST_NAME is its name in the tables ("x86_64", ...) and SF_HOST_TABLE
 * the identifier of its sf_arch in src/arch/tables/ (sf_arch_x86_64, ...).
 * Both are undefined on a host sysfence has no table for.  host.c names the
 * table, so that a program linking only it gets that one table. */
#ifndef SF_HOST_ARCH_H
#define SF_HOST_ARCH_H

#if defined(__x86_64__) && defined(__ILP32__)
#define SF_HOST_NAME "x32"
#define SF_HOST_TABLE sf_arch_x32
#elif defined(__x86_64__)
#define SF_HOST_NAME "x86_64"
#define SF_HOST_TABLE sf_arch_x86_64
#elif defined(__i386__)
#define SF_HOST_NAME "i386"
#define SF_HOST_TABLE sf_arch_i386
#elif defined(__aarch64__)
#define SF_HOST_NAME "aarch64"
#define SF_HOST_TABLE sf_arch_aarch64
#elif defined(__arm__)
#define SF_HOST_NAME "arm"
#define SF_HOST_TABLE sf_arch_arm
#elif defined(__loongarch__) && __loongarch_grlen == 64
#define SF_HOST_NAME "loongarch64"
#define SF_HOST_TABLE sf_arch_loongarch64
#elif defined(__m68k__)
#define SF_HOST_NAME "m68k"
#define SF_HOST_TABLE sf_arch_m68k
#elif defined(__mips__) && defined(_ABIO32)
#if defined(__MIPSEL__)
#define SF_HOST_NAME "mipsel"
#define SF_HOST_TABLE sf_arch_mipsel
#else
#define SF_HOST_NAME "mips"
#define SF_HOST_TABLE sf_arch_mips
#endif
#elif defined(__mips__) && defined(_ABI64)
#if defined(__MIPSEL__)
#define SF_HOST_NAME "mips64el"
#define SF_HOST_TABLE sf_arch_mips64el
#else
#define SF_HOST_NAME "mips64"
#define SF_HOST_TABLE sf_arch_mips64
#endif
#elif defined(__mips__) && defined(_ABIN32)
#if defined(__MIPSEL__)
#define SF_HOST_NAME "mips64n32el"
#define SF_HOST_TABLE sf_arch_mips64n32el
#else
#define SF_HOST_NAME "mips64n32"
#define SF_HOST_TABLE sf_arch_mips64n32
#endif
#elif defined(__hppa__) && defined(__LP64__)
#define SF_HOST_NAME "parisc64"
#define SF_HOST_TABLE sf_arch_parisc64
#elif defined(__hppa__)
#define SF_HOST_NAME "parisc"
#define SF_HOST_TABLE sf_arch_parisc
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define SF_HOST_NAME "ppc64le"
#define SF_HOST_TABLE sf_arch_ppc64le
#elif defined(__powerpc64__)
#define SF_HOST_NAME "ppc64"
#define SF_HOST_TABLE sf_arch_ppc64
#elif defined(__powerpc__)
#define SF_HOST_NAME "ppc"
#define SF_HOST_TABLE sf_arch_ppc
#elif defined(__riscv) && __riscv_xlen == 64
#define SF_HOST_NAME "riscv64"
#define SF_HOST_TABLE sf_arch_riscv64
#elif defined(__s390x__)
#define SF_HOST_NAME "s390x"
#define SF_HOST_TABLE sf_arch_s390x
#elif defined(__s390__)
#define SF_HOST_NAME "s390"
#define SF_HOST_TABLE sf_arch_s390
#elif defined(__sh__) && defined(__LITTLE_ENDIAN__)
#define SF_HOST_NAME "shel"
#define SF_HOST_TABLE sf_arch_shel
#elif defined(__sh__)
#define SF_HOST_NAME "sh"
#define SF_HOST_TABLE sf_arch_sh
#endif

#endif
