/* /init of the initramfs that make check-kernels boots (tests/check-kernels.sh).
 * Built static for aarch64, s390x or x86_64 with the filter header the script
 * compiled (-include FILTER.h, its array named sfk_filter).  It prints one
 * "SFK LABEL TEST RESULT" line per call, RESULT "ok" or "errno=N".  On s390x
 * a child first installs /filter.bpf (the raw blob, to check its byte
 * order) instead of the header; on aarch64 a child execs /arm-child, a
 * 32-bit ARM program, under the inherited header filter; on x86_64
 * (-DSFK_X86, x86.h) the same calls are made again as x32 calls, and
 * i386 calls through int $0x80, after checking that the kernel runs x32
 * and i386 calls at all. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "marker.h"
#ifdef SFK_X86
#include "x86.h"
#endif

static int install(const struct sock_filter *insns, unsigned short len)
{
    struct sock_fprog prog = { .len = len, .filter = (struct sock_filter *)insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        sfk_line("SFK-ERROR install errno=%d\n", errno);
        return -1;
    }
    return 0;
}

/* The calls of tests/check-kernels.sh's 64-bit table, in its order; BASE
 * is added to each number (x32's bit on x86_64, else 0). */
static void run_calls(const char *label, long base)
{
    sfk_mark(label, "getppid", syscall(base | SYS_getppid));
    sfk_mark(label, "close1000", syscall(base | SYS_close, 1000L));
    sfk_mark(label, "close1001", syscall(base | SYS_close, 1001L));
    sfk_mark(label, "close1003", syscall(base | SYS_close, 1003L));
    /* fd is an unsigned int: the kernel and the filter ignore the junk */
    sfk_mark(label, "closejunk", syscall(base | SYS_close, (long)0xdeadbeef000003e8UL));
    sfk_mark(label, "lseekhi", syscall(base | SYS_lseek, 1001L, 0x100000002L, 0L));
    sfk_mark(label, "lseekswap", syscall(base | SYS_lseek, 1001L, 0x200000001L, 0L));
    sfk_mark(label, "lseeklo", syscall(base | SYS_lseek, 1001L, 2L, 0L));
    sfk_mark(label, "lseekwh", syscall(base | SYS_lseek, 1000L, 0L, 5L));
    sfk_mark(label, "lseekwh2", syscall(base | SYS_lseek, 1001L, 0L, 5L));
}

#ifdef SFK_BLOB
/* Read the raw filter /filter.bpf as it is: the kernel takes it in the
 * machine's byte order, so this checks the order sysfence wrote. */
static int install_blob(void)
{
    static struct sock_filter insns[4096];
    int fd = open("/filter.bpf", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, insns, sizeof insns);
    if (n <= 0 || n % (ssize_t)sizeof insns[0] != 0) {
        sfk_line("SFK-ERROR blob read=%zd errno=%d\n", n, errno);
        return -1;
    }
    close(fd);
    return install(insns, (unsigned short)(n / (ssize_t)sizeof insns[0]));
}
#endif

#if defined(SFK_BLOB) || defined(SFK_ARM_CHILD)
/* Run FN in a child and wait for it. */
static void in_child(void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        sfk_line("SFK-ERROR fork/wait errno=%d\n", errno);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        sfk_line("SFK-ERROR child status=0x%x\n", (unsigned)status);
}
#endif

#ifdef SFK_BLOB
static void blob_child(void)
{
    if (install_blob() == 0)
        run_calls(SFK_ARCH "-blob", 0);
}
#endif

#ifdef SFK_ARM_CHILD
static void arm_child(void)
{
    char *argv[] = { "/arm-child", NULL };
    char *envp[] = { NULL };
    execve(argv[0], argv, envp);
    sfk_line("SFK-ERROR exec arm-child errno=%d\n", errno);
    _exit(1);
}
#endif

int main(void)
{
    sfk_line("SFK-BEGIN\n");
#ifdef SFK_BLOB
    in_child(blob_child);
#endif
#ifdef SFK_X86
    /* without x32 and i386 there is nothing to check */
    if (sfk_x86_precheck() == 0 &&
        install(sfk_filter, (unsigned short)sfk_filter_LEN) == 0) {
        run_calls(SFK_ARCH, 0);
        run_calls("x32", SFK_X32_BIT);
        sfk_x32_calls();
        sfk_i386_calls();
    }
#else
    if (install(sfk_filter, (unsigned short)sfk_filter_LEN) == 0) {
        run_calls(SFK_ARCH, 0);
#ifdef SFK_ARM_CHILD
        in_child(arm_child);
#endif
    }
#endif
    sfk_line("SFK-END\n");
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
