/* file.h - reading a whole input (a policy, an include file, a blob, a
 * profile) into memory: the one place that knows regular files from pipes
 * and devices, and where inputs stop growing. */
#ifndef SF_FILE_H
#define SF_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "base/arena.h"

/* The data read: DATA[0..len) followed by two NUL bytes (the lexer scans
 * text in place and flex wants two at the end); from ARENA, or malloc()ed
 * when ARENA is NULL.  MORE is set when the input has more than the MAX
 * bytes asked for (DATA then holds the first MAX). */
typedef struct sf_input {
  char *data;
  size_t len;
  int more;
} sf_input;

/* Read PATH.  A folder is EISDIR.  Returns 0, or an errno value (nothing
 * is left allocated outside ARENA). */
int sf_read_path(const char *path, size_t max, sf_arena *arena, sf_input *in);
/* The same for an open descriptor (not closed). */
int sf_read_fd(int fd, size_t max, sf_arena *arena, sf_input *in);
/* The same for a stream (whatever is buffered in it included). */
int sf_read_stream(FILE *f, size_t max, sf_arena *arena, sf_input *in);

/* Flush OUT: 0, or -1 with errno set (EIO if the stream had an error
 * that left errno alone). */
int sf_stream_finish(FILE *out);

/* Write PATH with EMIT(ARG, stream) (0 on success, with the stream's
 * errors seen by the caller): '-' is stdout; a device or FIFO is written in
 * place; anything else through a temporary file beside PATH renamed over
 * it, so PATH is either the old file or the complete new one.  Returns 0,
 * or -1 with errno set (nothing left behind). */
typedef int (*sf_emit_fn)(void *arg, FILE *out);
int sf_write_atomic(const char *path, sf_emit_fn emit, void *arg);

#endif
