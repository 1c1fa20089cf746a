/* output.c - the commands' text outputs; see output.h. */
#include "cli/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

typedef struct text {
  const char *s;
  size_t len;
} text;

static int emit_text(void *arg, FILE *f) {
  const text *t = arg;
  return fwrite(t->s, 1, t->len, f) == t->len ? 0 : -1;
}

int sf_cli_write_text(const char *path, const char *s, size_t len) {
  text t = {s, len};
  errno = 0;
  return sf_write_atomic(path, emit_text, &t) == 0 ? 0 : errno ? errno : EIO;
}

int sf_cli_check_output(const char *path) {
  if (strcmp(path, "-") == 0) return 0;
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return S_ISDIR(st.st_mode) ? EISDIR : access(path, W_OK) == 0 ? 0 : errno;
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) return ENOMEM;
  snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp), err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    close(fd);
    unlink(tmp);
  }
  free(tmp);
  return err;
}
