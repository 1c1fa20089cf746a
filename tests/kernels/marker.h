/* Marker lines of the check-kernels programs (init.c, arm-child.c): written
 * with write(2) straight to the console, nothing buffered across a fork. */
#ifndef SFK_MARKER_H
#define SFK_MARKER_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2)))
static void sfk_line(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && write(1, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
        _exit(3);
}

/* One result: RC of a raw syscall() and errno when it failed. */
static void sfk_mark(const char *label, const char *test, long rc)
{
    if (rc == -1)
        sfk_line("SFK %s %s errno=%d\n", label, test, errno);
    else
        sfk_line("SFK %s %s ok\n", label, test);
}

#endif
