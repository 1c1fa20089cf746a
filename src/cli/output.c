/* output.c - atomic text outputs; see output.h. */
#include "cli/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int errno_or_eio(void) { return errno ? errno : EIO; }

static int is_special(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static int write_in_place(const char *path, sf_cli_fill_fn fill, void *arg) {
  FILE *f = fopen(path, "we");
  if (!f) return errno;
  errno = 0;
  int err = fill(f, arg) != 0 || fflush(f) != 0 ? errno_or_eio() : 0;
  if (fclose(f) != 0 && !err) err = errno_or_eio();
  return err;
}

/* A temporary file beside PATH, its fd above 2 (with stderr closed, a
 * message must not land in the file); its name in *TMP (malloc'ed). */
static int make_temp(const char *path, char **tmp) {
  size_t n = strlen(path);
  *tmp = malloc(n + 16);
  if (!*tmp) {
    errno = ENOMEM;
    return -1;
  }
  snprintf(*tmp, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(*tmp);
  if (fd >= 0 && fd <= 2) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close(fd);
    if (moved < 0) unlink(*tmp);
    errno = saved;
    fd = moved;
  }
  if (fd < 0) {
    int saved = errno;
    free(*tmp);
    *tmp = NULL;
    errno = saved;
  }
  return fd;
}

int sf_cli_write_atomic(const char *path, sf_cli_fill_fn fill, void *arg) {
  if (strcmp(path, "-") == 0) {
    errno = 0;
    return fill(stdout, arg) == 0 && fflush(stdout) == 0 ? 0 : errno_or_eio();
  }
  if (is_special(path)) return write_in_place(path, fill, arg);
  char *tmp;
  int fd = make_temp(path, &tmp);
  if (fd < 0) return errno;
  FILE *f = fdopen(fd, "w");
  int err = 0;
  if (!f) {
    err = errno;
    close(fd);
  } else {
    mode_t mask = umask(0);
    umask(mask);
    errno = 0;
    if (fill(f, arg) != 0 || fflush(f) != 0 || fsync(fd) != 0 ||
        fchmod(fd, 0666 & ~mask) != 0)
      err = errno_or_eio();
    if (fclose(f) != 0 && !err) err = errno_or_eio();
    if (!err && rename(tmp, path) != 0) err = errno;
  }
  if (err) unlink(tmp);
  free(tmp);
  return err;
}

typedef struct text {
  const char *s;
  size_t len;
} text;

static int fill_text(FILE *f, void *arg) {
  const text *t = arg;
  return fwrite(t->s, 1, t->len, f) == t->len ? 0 : -1;
}

int sf_cli_write_text(const char *path, const char *s, size_t len) {
  text t = {s, len};
  return sf_cli_write_atomic(path, fill_text, &t);
}

int sf_cli_check_output(const char *path) {
  if (strcmp(path, "-") == 0) return 0;
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return S_ISDIR(st.st_mode) ? EISDIR : access(path, W_OK) == 0 ? 0 : errno;
  char *tmp;
  int fd = make_temp(path, &tmp);
  if (fd < 0) return errno;
  close(fd);
  unlink(tmp);
  free(tmp);
  return 0;
}
