/* output.h - writing the commands' text outputs (policies, profiles)
 * atomically: a temporary file beside PATH, renamed over it, so PATH is
 * the old file or the whole new one, never half written or clobbered on
 * an error. */
#ifndef SF_CLI_OUTPUT_H
#define SF_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* Writes the output to F; 0, or -1 with errno set (0 for EIO). */
typedef int (*sf_cli_fill_fn)(FILE *f, void *arg);

/* FILL's output into PATH ("-": stdout).  A device or FIFO (/dev/null,
 * /dev/stdout, a pipe) is written in place: renaming a file over it would
 * replace the node.  The new file gets 0666 less the umask, as a file
 * that open(2) creates.  Returns 0, or an errno (PATH is left as it was). */
int sf_cli_write_atomic(const char *path, sf_cli_fill_fn fill, void *arg);

/* TEXT[0..LEN) into PATH the same way. */
int sf_cli_write_text(const char *path, const char *text, size_t len);

/* Can PATH be written (a temporary file made beside it)?  For a check
 * before work whose result must not be lost.  0, or an errno. */
int sf_cli_check_output(const char *path);

#endif
