/* The 32-bit ARM program init.c execs on the arm64 kernel under the filter
 * it inherited (compiled --arch aarch64,arm): the calls go through the arm
 * ABI with arm's numbers (this toolchain's SYS_*), so the filter's arm part
 * decides them.  The calls of tests/check-kernels.sh's arm table. */
#include <sys/syscall.h>
#include <unistd.h>

#include "marker.h"

int main(void)
{
    long long res = 0;
    sfk_mark("arm", "getppid", syscall(SYS_getppid));
    sfk_mark("arm", "close1000", syscall(SYS_close, 1000));
    sfk_mark("arm", "close1001", syscall(SYS_close, 1001));
    sfk_mark("arm", "close1003", syscall(SYS_close, 1003));
    sfk_mark("arm", "lseeklo", syscall(SYS_lseek, 1001, 2, 0));
    sfk_mark("arm", "lseekwh", syscall(SYS_lseek, 1000, 0, 5));
    sfk_mark("arm", "lseekwh2", syscall(SYS_lseek, 1001, 0, 5));
    /* lseek's 32-bit twin: its rules cannot see a 64-bit offset */
    sfk_mark("arm", "llseek", syscall(SYS__llseek, 1001, 0, 2, &res, 0));
    return 0;
}
