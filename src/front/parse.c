/* parse.c - loading policy sources and running the parser (the grammar is
 * in grammar/parser.y, the tokens and #include splicing in
 * grammar/lexer.l). */
#include "front/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/context.h"
#include "base/diag.h"
#include "lexer_state.h"
#include "parser.h"

static const sf_loc no_loc = {NULL, 0, 0};

/* Read the whole file PATH into the arena, followed by two NUL bytes (the
 * lexer scans the text in place, and flex wants two at the end).  A regular
 * file is read straight into the arena; anything else (a pipe, a device)
 * through a growing buffer.  Returns 0, or an errno value. */
static int read_file(sysfence_ctx *ctx, const char *path, char **text,
                     size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return EISDIR;
  }
  if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > SF_MAX_SOURCE_SIZE) {
    close(fd);
    return EFBIG;
  }
  int direct = S_ISREG(st.st_mode) && st.st_size > 0 &&
               (unsigned long long)st.st_size < ((size_t)-1) / 2;
  size_t cap = direct ? (size_t)st.st_size : 4096;
  size_t n = 0;
  char *buf = direct ? sf_alloc(ctx, cap + 2) : malloc(cap + 2);
  if (!buf) {
    close(fd);
    return ENOMEM;
  }
  for (;;) {
    if (n == cap) {
      if (direct) {
        /* All fstat promised is read: at the end of the file, or the file
         * grew since (then go on in a growing buffer). */
        char extra[512];
        ssize_t got = read(fd, extra, sizeof extra);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          if (got == 0) break;
          int e = errno;
          close(fd);
          return e;
        }
        char *nb = malloc(2 * cap + sizeof extra + 2);
        if (!nb) {
          close(fd);
          return ENOMEM;
        }
        memcpy(nb, buf, n);
        memcpy(nb + n, extra, (size_t)got);
        n += (size_t)got;
        buf = nb;
        direct = 0;
        cap = 2 * cap + sizeof extra;
        continue;
      } else {
        /* A device such as /dev/zero never ends: give up at the limit. */
        if (n > SF_MAX_SOURCE_SIZE) {
          free(buf);
          close(fd);
          return EFBIG;
        }
        char *nb = cap > ((size_t)-1) / 4 ? NULL : realloc(buf, cap * 2 + 2);
        if (!nb) {
          free(buf);
          close(fd);
          return ENOMEM;
        }
        buf = nb;
        cap *= 2;
      }
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      if (!direct) free(buf);
      close(fd);
      return e;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  close(fd);
  if (!direct) {
    char *copy = sf_alloc(ctx, n + 2);
    if (!copy) {
      free(buf);
      return ENOMEM;
    }
    memcpy(copy, buf, n);
    free(buf);
    buf = copy;
  }
  buf[n] = buf[n + 1] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

/* The folder part of PATH ("." when there is none). */
static const char *dir_of(sysfence_ctx *ctx, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return sf_strdup(ctx, ".");
  if (slash == path) return sf_strdup(ctx, "/");
  char *d = sf_alloc(ctx, (size_t)(slash - path) + 1);
  if (d) memcpy(d, path, (size_t)(slash - path));
  return d;
}

static sf_source *new_source(sysfence_ctx *ctx, const char *name,
                             const char *dir, const char *text, size_t len) {
  sf_source *s = sf_alloc(ctx, sizeof *s);
  if (!s) return NULL;
  s->name = name;
  s->dir = dir;
  s->text = text;
  s->len = len;
  return s;
}

const sf_source *sf_load_main_source(sysfence_ctx *ctx) {
  if (ctx->input_text) {
    char *text = sf_alloc(ctx, ctx->input_len + 2);
    const char *name =
        sf_strdup(ctx, ctx->input_name ? ctx->input_name : "<string>");
    if (!text || !name) return NULL;
    memcpy(text, ctx->input_text, ctx->input_len);
    text[ctx->input_len] = text[ctx->input_len + 1] = '\0';
    return new_source(ctx, name, NULL, text, ctx->input_len);
  }
  if (!ctx->input_path) {
    sf_error(ctx, no_loc, "no input policy was given");
    return NULL;
  }
  char *text = NULL;
  size_t len = 0;
  int err = read_file(ctx, ctx->input_path, &text, &len);
  if (err) {
    if (err == ENOMEM) ctx->out_of_memory = 1;
    sf_error(ctx, no_loc, "cannot read '%s': %s", ctx->input_path,
             strerror(err));
    return NULL;
  }
  const char *name = sf_strdup(ctx, ctx->input_path);
  const char *dir = dir_of(ctx, ctx->input_path);
  if (!name || !dir) return NULL;
  return new_source(ctx, name, dir, text, len);
}

/* DIR/NAME in the arena; NAME alone for the folder ".". */
static char *join(sysfence_ctx *ctx, const char *dir, const char *name) {
  if (strcmp(dir, ".") == 0) return sf_strdup(ctx, name);
  size_t dl = strlen(dir), nl = strlen(name);
  int slash = dl > 0 && dir[dl - 1] != '/';
  char *p = sf_alloc(ctx, dl + (size_t)slash + nl + 1);
  if (!p) return NULL;
  memcpy(p, dir, dl);
  if (slash) p[dl] = '/';
  memcpy(p + dl + (size_t)slash, name, nl + 1);
  return p;
}

const sf_source *sf_load_include(sysfence_ctx *ctx, const char *name,
                                  sf_loc loc) {
  const sf_source *from = loc.src;
  /* Candidate folders: the including file's, then the include paths. */
  size_t n_dirs = 0;
  const char **dirs = sf_alloc(ctx, (ctx->n_include_dirs + 1) * sizeof *dirs);
  if (!dirs) return NULL;
  if (name[0] == '/') {
    dirs[n_dirs++] = NULL;
  } else {
    if (from && from->dir) dirs[n_dirs++] = from->dir;
    for (size_t i = 0; i < ctx->n_include_dirs; i++)
      dirs[n_dirs++] = ctx->include_dirs[i];
  }
  for (size_t i = 0; i < n_dirs; i++) {
    char *path = dirs[i] ? join(ctx, dirs[i], name) : sf_strdup(ctx, name);
    if (!path) return NULL;
    char *text = NULL;
    size_t len = 0;
    int err = read_file(ctx, path, &text, &len);
    if (err == ENOENT || err == ENOTDIR) continue;
    if (err) {
      if (err == ENOMEM) ctx->out_of_memory = 1;
      sf_error(ctx, loc, "cannot read include file \"%s\": %s", path,
               strerror(err));
      return NULL;
    }
    const char *dir = dir_of(ctx, path);
    sf_source *s = dir ? new_source(ctx, path, dir, text, len) : NULL;
    if (!s) return NULL;
    s->included_from = loc;
    s->depth = from ? from->depth + 1 : 1;
    return s;
  }
  sf_error(ctx, loc, "cannot open include file \"%s\": %s", name,
           strerror(ENOENT));
  if (name[0] == '/') return NULL;
  if (n_dirs == 0) {
    sf_note(ctx, loc, "no include paths are set, and the including file "
            "has no folder");
    return NULL;
  }
  char list[700];
  size_t used = 0;
  list[0] = '\0';
  for (size_t i = 0; i < n_dirs && used < sizeof list; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'",
                             i ? ", " : "", dirs[i]);
  sf_note(ctx, loc, "looked in %s", list);
  return NULL;
}

ast_file *sf_parse(sysfence_ctx *ctx, const sf_source *src) {
  if (!src) return NULL;
  ast_file *file = sf_alloc(ctx, sizeof *file);
  if (!file) return NULL;
  sf_lexer_state st;
  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  st.src = src;
  sf_parser ps;
  memset(&ps, 0, sizeof ps);
  ps.ctx = ctx;
  ps.lex = &st;
  ps.file = file;
  void *scanner = NULL;
  if (sf_lex_open(&st, &scanner) != 0) return file;
  sf_yyparse(scanner, &ps);
  sf_lex_close(&st, scanner);
  return file;
}
