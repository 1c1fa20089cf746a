/* output.h - the commands' text outputs (policies, profiles), written
 * atomically by base/file.c's sf_write_atomic: PATH is the old file or the
 * whole new one, never half written or clobbered on an error; a device or
 * FIFO is written in place. */
#ifndef SF_CLI_OUTPUT_H
#define SF_CLI_OUTPUT_H

#include <stddef.h>

/* TEXT[0..LEN) into PATH ("-": stdout).  Returns 0, or an errno (PATH is
 * left as it was). */
int sf_cli_write_text(const char *path, const char *text, size_t len);

/* Can PATH be written (a temporary file made beside it)?  For a check
 * before work whose result must not be lost.  0, or an errno. */
int sf_cli_check_output(const char *path);

#endif
