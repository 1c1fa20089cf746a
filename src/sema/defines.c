/* defines.c - run-time constants (-D NAME=VALUE, SYSFENCE_PID) and the
 * syntax of number literals they share with CALL arguments. */
#include "sema/defines.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/literal.h"
#include "sysfence.h"

static int is_identifier(const char *s) {
  if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
  return 1;
}

const sf_define *sf_define_find(const sysfence_ctx *ctx, const char *name) {
  for (size_t i = 0; i < ctx->n_defines; i++)
    if (strcmp(ctx->defines[i].name, name) == 0) return &ctx->defines[i];
  return NULL;
}

void sf_defines_clear(sysfence_ctx *ctx) {
  for (size_t i = 0; i < ctx->n_defines; i++) free(ctx->defines[i].name);
  free(ctx->defines);
  ctx->defines = NULL;
  ctx->n_defines = 0;
}

int sysfence_define(sysfence_ctx *ctx, const char *name, const char *value) {
  uint64_t v;
  int neg;
  if (!ctx || !name || !value || !is_identifier(name) ||
      sf_literal_parse(value, &v, &neg) != 0)
    return SYSFENCE_EUSAGE;
  /* The last definition of a name wins, as with repeated -D. */
  sf_define *d = (sf_define *)sf_define_find(ctx, name);
  if (!d) {
    sf_define *grown = realloc(ctx->defines, (ctx->n_defines + 1) * sizeof *grown);
    if (!grown) return SYSFENCE_ESYSTEM;
    ctx->defines = grown;
    char *copy = strdup(name);
    if (!copy) return SYSFENCE_ESYSTEM;
    d = &ctx->defines[ctx->n_defines++];
    d->name = copy;
  }
  d->value = v;
  d->negative = neg;
  return SYSFENCE_OK;
}

void sysfence_clear_defines(sysfence_ctx *ctx) {
  if (ctx) sf_defines_clear(ctx);
}
