/* The x86 part of tests/kernels/init.c (built with -DSFK_X86): x32 calls
 * (the x86_64 `syscall` instruction with the X32 bit in the number) and
 * i386 calls through `int $0x80` from 64-bit code, the three ABIs under
 * one filter for x86_64,i386,x32.  Numbers: the kernel's
 * arch/x86/entry/syscalls/syscall_64.tbl (x32: the common and x32 rows)
 * and syscall_32.tbl, as in <asm/unistd_x32.h> and <asm/unistd_32.h>
 * (which cannot be included beside <sys/syscall.h>: same macro names). */
#ifndef SFK_X86_H
#define SFK_X86_H

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "marker.h"

#define SFK_X32_BIT 0x40000000L

/* x32 numbers of their own (x32 rows of syscall_64.tbl); the others are
 * x86_64's number with the X32 bit */
#define SFK_X32_RT_SIGACTION 512
#define SFK_X32_READV 515
#define SFK_X32_WRITEV 516
#define SFK_X32_SIGALTSTACK 525

/* i386 numbers (syscall_32.tbl) */
#define SFK_I386_CLOSE 6
#define SFK_I386_LSEEK 19
#define SFK_I386_GETPID 20
#define SFK_I386_GETUID 24
#define SFK_I386_GETPPID 64
#define SFK_I386_LLSEEK 140

/* An i386 call from 64-bit code: seccomp_data.arch is AUDIT_ARCH_I386,
 * the number is looked up in the i386 table, and the arguments are ebx,
 * ecx, edx, esi, edi.  The kernel's result is -errno; returned as
 * syscall() would: -1 with errno set. */
static long sfk_int80(long nr, long a, long b, long c, long d, long e)
{
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "memory", "r8", "r9", "r10", "r11");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* Before the filter: does the kernel run x32 and i386 calls at all?  The
 * Debian kernel runs x32 only when booted with syscall.x32=y; without it
 * x32 calls fail with ENOSYS and every x32 result below would be
 * meaningless.  Prints "SFK unfiltered ABI getpid ok" or an SFK-ERROR. */
static int sfk_x86_precheck(void)
{
    long pid = getpid();
    long x32 = syscall(SFK_X32_BIT | SYS_getpid);
    int x32_errno = errno;
    long i386 = sfk_int80(SFK_I386_GETPID, 0, 0, 0, 0, 0);
    int i386_errno = errno;
    if (x32 == pid)
        sfk_line("SFK unfiltered x32-getpid ok\n");
    else
        sfk_line("SFK-ERROR x32 getpid returned %ld errno=%d (pid %ld)\n", x32,
                 x32_errno, pid);
    if (i386 == pid)
        sfk_line("SFK unfiltered i386-getpid ok\n");
    else
        sfk_line("SFK-ERROR i386 getpid returned %ld errno=%d (pid %ld)\n", i386,
                 i386_errno, pid);
    return x32 == pid && i386 == pid ? 0 : -1;
}

/* The x86_64 and x32 calls beyond run_calls' table: names that the policy
 * denies ON x32 only (even x32 numbers) and some it allows (odd ones), in
 * tests/check-kernels.sh's order. */
static void sfk_x32_calls(void)
{
    sfk_mark("x86_64", "getuid", syscall(SYS_getuid));
    sfk_mark("x86_64", "writev", syscall(SYS_writev, 1000L, 0L, 0L));
    sfk_mark("x32", "getpid", syscall(SFK_X32_BIT | SYS_getpid));
    sfk_mark("x32", "getuid", syscall(SFK_X32_BIT | SYS_getuid));
    sfk_mark("x32", "geteuid", syscall(SFK_X32_BIT | SYS_geteuid));
    sfk_mark("x32", "getgid", syscall(SFK_X32_BIT | SYS_getgid));
    sfk_mark("x32", "getpgrp", syscall(SFK_X32_BIT | SYS_getpgrp));
    /* SIGUSR1's action, neither set nor read: harmless if allowed */
    sfk_mark("x32", "rtsigaction",
             syscall(SFK_X32_BIT | SFK_X32_RT_SIGACTION, 10L, 0L, 0L, 8L));
    sfk_mark("x32", "readv", syscall(SFK_X32_BIT | SFK_X32_READV, 1000L, 0L, 0L));
    sfk_mark("x32", "writev", syscall(SFK_X32_BIT | SFK_X32_WRITEV, 1000L, 0L, 0L));
    sfk_mark("x32", "sigaltstack", syscall(SFK_X32_BIT | SFK_X32_SIGALTSTACK, 0L, 0L));
}

/* i386 calls by int $0x80; "closejunk" puts junk in rbx's high word,
 * which the kernel hands the filter and an i386 rule must ignore. */
static void sfk_i386_calls(void)
{
    sfk_mark("i386", "getppid", sfk_int80(SFK_I386_GETPPID, 0, 0, 0, 0, 0));
    sfk_mark("i386", "close1000", sfk_int80(SFK_I386_CLOSE, 1000, 0, 0, 0, 0));
    sfk_mark("i386", "close1001", sfk_int80(SFK_I386_CLOSE, 1001, 0, 0, 0, 0));
    sfk_mark("i386", "close1003", sfk_int80(SFK_I386_CLOSE, 1003, 0, 0, 0, 0));
    sfk_mark("i386", "closejunk",
             sfk_int80(SFK_I386_CLOSE, (long)0xdeadbeef000003e8UL, 0, 0, 0, 0));
    sfk_mark("i386", "lseeklo", sfk_int80(SFK_I386_LSEEK, 1001, 2, 0, 0, 0));
    sfk_mark("i386", "lseekwh", sfk_int80(SFK_I386_LSEEK, 1000, 0, 5, 0, 0));
    sfk_mark("i386", "lseekwh2", sfk_int80(SFK_I386_LSEEK, 1001, 0, 5, 0, 0));
    /* _llseek(fd, offset_high, offset_low, result, whence) */
    sfk_mark("i386", "llseek", sfk_int80(SFK_I386_LLSEEK, 1001, 0, 2, 0, 0));
    sfk_mark("i386", "getuid", sfk_int80(SFK_I386_GETUID, 0, 0, 0, 0, 0));
    sfk_mark("i386", "getpid", sfk_int80(SFK_I386_GETPID, 0, 0, 0, 0, 0));
}

#endif
