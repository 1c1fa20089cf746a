/* fe-bench.c - time the compiler's stages in-process on one policy:
 * load, parse, resolve, codegen (+ validate), median of RUNS runs, and the
 * process's max RSS.  Not installed; build against the core library:
 *
 *   cc -O2 -Iinclude -Isrc -Igrammar -I. tools/fe-bench.c \
 *      .libs/libsysfence-core.a -o tools/fe-bench
 *   tools/fe-bench POLICY [RUNS] [ARCH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bpf/bpf.h"
#include "codegen/program.h"
#include "base/context.h"
#include "front/parse.h"
#include "sema/ruleset.h"
#include "sysfence.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s POLICY [RUNS] [ARCH]\n", argv[0]);
    return 2;
  }
  int runs = argc > 2 ? atoi(argv[2]) : 1;
  if (runs < 1) runs = 1;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx || sysfence_set_input_path(ctx, argv[1]) != 0) return 1;
  if (argc > 3 && sysfence_set_arch(ctx, argv[3]) != 0) return 2;
  double *t[5];
  for (int k = 0; k < 5; k++) t[k] = calloc((size_t)runs, sizeof(double));
  size_t len = 0, n_diags = 0;
  int rc = 0;
  for (int i = 0; i < runs; i++) {
    double t0 = now();
    sf_ctx_reset(ctx);
    const sf_source *src = sf_load_main_source(ctx);
    double t1 = now();
    ast_file *file = src ? sf_parse(ctx, src) : NULL;
    double t2 = now();
    size_t a_parse, a_resolve, a_codegen;
    sf_arena_stats(ctx->arena, &a_parse, NULL);
    const sf_ruleset *rs = file && !ctx->n_errors ? sf_resolve(ctx, file) : NULL;
    double t3 = now();
    sf_arena_stats(ctx->arena, &a_resolve, NULL);
    struct sock_filter *insns = NULL;
    len = 0;
    rc = rs ? sf_codegen(ctx, rs, &insns, &len) : -1;
    if (rc == 0) {
      char why[256];
      rc = sf_bpf_validate(insns, len, why, sizeof why);
    }
    double t4 = now();
    sf_arena_stats(ctx->arena, &a_codegen, NULL);
    if (i == 0)
      printf("arena: %zu KB after parse, +%zu KB resolve, +%zu KB codegen\n",
             a_parse >> 10, (a_resolve - a_parse) >> 10,
             (a_codegen - a_resolve) >> 10);
    free(insns);
    n_diags = ctx->n_diags;
    t[0][i] = t1 - t0;
    t[1][i] = t2 - t1;
    t[2][i] = t3 - t2;
    t[3][i] = t4 - t3;
    t[4][i] = t4 - t0;
  }
  static const char *const names[] = {"load", "parse", "resolve", "codegen",
                                      "total"};
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%s: %s, %zu insns, %zu diags, %d runs, maxrss %ld KB\n", argv[1],
         rc == 0 ? "ok" : "refused", len, n_diags, runs, ru.ru_maxrss);
  for (int k = 0; k < 5; k++) {
    qsort(t[k], (size_t)runs, sizeof(double), cmpd);
    double med = t[k][runs / 2];
    if (med < 0.01)
      printf("  %-8s median %8.1f us  min %8.1f us\n", names[k], med * 1e6,
             t[k][0] * 1e6);
    else
      printf("  %-8s median %8.3f s   min %8.3f s\n", names[k], med,
             t[k][0]);
  }
  sysfence_free(ctx);
  return 0;
}
