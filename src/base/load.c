/* load.c - policy sources: the main input (a string or a file) and the
 * files #include names, searched in the including file's folder and then
 * the include paths (see load.h). */
#include "base/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "base/file.h"
#include "base/nsjail.h"

static const sf_loc no_loc = {NULL, 0, 0};

/* Read PATH into the arena (two NUL bytes after the text), at most
 * SF_MAX_SOURCE_SIZE bytes: a device such as /dev/zero never ends.
 * Returns 0, or an errno value. */
static int read_source(sysfence_ctx *ctx, const char *path, char **text,
                       size_t *len) {
  sf_input in;
  int err = sf_read_path(path, SF_MAX_SOURCE_SIZE, ctx->arena, &in);
  if (err) return err;
  if (in.more) return EFBIG;
  *text = in.data;
  *len = in.len;
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

static const sf_source *load_main_text(sysfence_ctx *ctx) {
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
  int err = read_source(ctx, ctx->input_path, &text, &len);
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

const sf_source *sf_load_main_source(sysfence_ctx *ctx) {
  const sf_source *s = load_main_text(ctx);
  if (s && ctx->input_kind == SYSFENCE_INPUT_NSJAIL) return sf_nsjail_policy(ctx, s);
  return s;
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

const char *sf_policy_library_dir(void) {
  const char *env = getenv("SYSFENCE_POLICY_DIR");
  if (env) return *env ? env : NULL;
  return SF_POLICY_DIR;
}

const sf_source *sf_load_include(sysfence_ctx *ctx, const char *name,
                                  sf_loc loc) {
  const sf_source *from = loc.src;
  /* Candidate folders: the including file's, then the include paths (-I),
   * then the installed policy library. */
  size_t n_dirs = 0;
  const char **dirs = sf_alloc(ctx, (ctx->n_include_dirs + 2) * sizeof *dirs);
  if (!dirs) return NULL;
  if (name[0] == '/') {
    dirs[n_dirs++] = NULL;
  } else {
    if (from && from->dir) dirs[n_dirs++] = from->dir;
    for (size_t i = 0; i < ctx->n_include_dirs; i++)
      dirs[n_dirs++] = ctx->include_dirs[i];
    const char *library = sf_policy_library_dir();
    if (library) dirs[n_dirs++] = library;
  }
  for (size_t i = 0; i < n_dirs; i++) {
    char *path = dirs[i] ? join(ctx, dirs[i], name) : sf_strdup(ctx, name);
    if (!path) return NULL;
    char *text = NULL;
    size_t len = 0;
    int err = read_source(ctx, path, &text, &len);
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
    s->included_from = sf_loc_origin(loc);
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

