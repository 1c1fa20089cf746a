/* file.c - reading whole inputs (see file.h). */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A growing malloc()ed buffer; moved into the arena (if any) at the end. */
typedef struct buffer {
  char *p;
  size_t n, cap;
} buffer;

static int reserve(buffer *b, size_t want) {
  if (want + 2 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < want + 2) {
    if (cap > ((size_t)-1) / 2) return ENOMEM;
    cap *= 2;
  }
  char *np = realloc(b->p, cap);
  if (!np) return ENOMEM;
  b->p = np;
  b->cap = cap;
  return 0;
}

/* Hand the buffer over as IN (copied into ARENA if there is one). */
static int finish(buffer *b, size_t max, sf_arena *arena, sf_input *in) {
  in->more = b->n > max;
  if (in->more) b->n = max;
  int err = reserve(b, b->n);
  if (err) {
    free(b->p);
    return err;
  }
  b->p[b->n] = b->p[b->n + 1] = '\0';
  in->len = b->n;
  if (!arena) {
    in->data = b->p;
    return 0;
  }
  in->data = sf_arena_alloc(arena, b->n + 2);
  if (in->data) memcpy(in->data, b->p, b->n + 2);
  free(b->p);
  return in->data ? 0 : ENOMEM;
}

/* Up to MAX + 1 bytes (the extra one tells a larger input). */
int sf_read_fd(int fd, size_t max, sf_arena *arena, sf_input *in) {
  buffer b = {0};
  struct stat st;
  /* A regular file's size is a good first guess for the buffer. */
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
      (unsigned long long)st.st_size <= max &&
      reserve(&b, (size_t)st.st_size + 1) != 0)
    return ENOMEM;
  while (b.n <= max) {
    size_t want = b.cap > b.n + 2 ? b.cap - b.n - 2 : 0;
    if (want == 0) {
      int err = reserve(&b, b.n + 1);
      if (err) {
        free(b.p);
        return err;
      }
      continue;
    }
    if (want > max + 1 - b.n) want = max + 1 - b.n;
    ssize_t got = read(fd, b.p + b.n, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      free(b.p);
      return err;
    }
    if (got == 0) break;
    b.n += (size_t)got;
  }
  return finish(&b, max, arena, in);
}

int sf_read_path(const char *path, size_t max, sf_arena *arena, sf_input *in) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st;
  int err = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (!err) err = sf_read_fd(fd, max, arena, in);
  close(fd);
  return err;
}

int sf_read_stream(FILE *f, size_t max, sf_arena *arena, sf_input *in) {
  buffer b = {0};
  while (b.n <= max) {
    int err = reserve(&b, b.n + 4096);
    if (err) {
      free(b.p);
      return err;
    }
    size_t want = b.cap - b.n - 2;
    if (want > max + 1 - b.n) want = max + 1 - b.n;
    size_t got = fread(b.p + b.n, 1, want, f);
    b.n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(b.p);
    return errno ? errno : EIO;
  }
  return finish(&b, max, arena, in);
}

int sf_stream_finish(FILE *out) {
  if (fflush(out) != 0 || ferror(out)) {
    if (errno == 0) errno = EIO;
    return -1;
  }
  return 0;
}

static int write_special(const char *path, sf_emit_fn emit, void *arg) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int rc = emit(arg, f) == 0 && sf_stream_finish(f) == 0 ? 0 : -1;
  if (fclose(f) != 0) rc = -1;
  return rc;
}

int sf_write_atomic(const char *path, sf_emit_fn emit, void *arg) {
  if (strcmp(path, "-") == 0)
    return emit(arg, stdout) == 0 && sf_stream_finish(stdout) == 0 ? 0 : -1;
  /* A device or FIFO (/dev/null, /dev/stdout, a pipe) is written in place:
   * renaming a temporary file over it would replace the device node. */
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return write_special(path, emit, arg);
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) return -1;
  snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  /* Above 2: with stderr closed, a message must not land in the file. */
  if (fd >= 0 && fd <= 2) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3), saved = errno;
    close(fd);
    if (moved < 0) unlink(tmp);
    errno = saved;
    fd = moved;
  }
  if (fd < 0) {
    free(tmp);
    return -1;
  }
  mode_t mask = umask(0);
  umask(mask);
  FILE *f = fdopen(fd, "wb");
  int rc = f && emit(arg, f) == 0 ? 0 : -1;
  if (rc == 0 && (sf_stream_finish(f) != 0 || fsync(fd) != 0 || fchmod(fd, 0666 & ~mask) != 0))
    rc = -1;
  if (f ? fclose(f) != 0 : close(fd) != 0) rc = -1;
  if (rc == 0 && rename(tmp, path) != 0) rc = -1;
  if (rc != 0) {
    int saved = errno;
    unlink(tmp);
    errno = saved;
  }
  free(tmp);
  return rc;
}
