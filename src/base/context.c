/* context.c - the parts of a compilation context every stage uses: its
 * arena (allocation that records running out of memory), starting a new
 * compilation, and the optimizer's syscall frequency profile. */
#include "base/context.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

int sf_ctx_reset(sysfence_ctx *ctx) {
  sf_arena_free(ctx->arena);
  ctx->arena = sf_arena_new();
  ctx->n_diags = ctx->n_errors = ctx->n_warnings = 0;
  ctx->dropping_notes = 0;
  ctx->out_of_memory = 0;
  free(ctx->diag_text);
  ctx->diag_text = NULL;
  return ctx->arena ? 0 : -1;
}

void *sf_alloc(sysfence_ctx *ctx, size_t size) {
  void *p = ctx->arena ? sf_arena_alloc(ctx->arena, size) : NULL;
  if (!p) ctx->out_of_memory = 1;
  return p;
}

void *sf_alloc_raw(sysfence_ctx *ctx, size_t size) {
  void *p = ctx->arena ? sf_arena_alloc_raw(ctx->arena, size) : NULL;
  if (!p) ctx->out_of_memory = 1;
  return p;
}

char *sf_strdup(sysfence_ctx *ctx, const char *s) {
  char *p = ctx->arena ? sf_arena_strdup(ctx->arena, s) : NULL;
  if (!p) ctx->out_of_memory = 1;
  return p;
}

void sf_profile_clear(sysfence_ctx *ctx) {
  for (size_t i = 0; i < ctx->n_profile; i++) free(ctx->profile_names[i]);
  free(ctx->profile_names);
  free(ctx->profile_counts);
  ctx->profile_names = NULL;
  ctx->profile_counts = NULL;
  ctx->n_profile = 0;
}

int64_t sf_profile_count(const sysfence_ctx *ctx, const char *name) {
  if (!ctx->n_profile) return -1;
  size_t lo = 0, hi = ctx->n_profile;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(ctx->profile_names[mid], name);
    if (c == 0) {
      uint64_t v = ctx->profile_counts[mid];
      return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}
