/* fuzz_oci.c - fuzz harness for the OCI front end: JSON text -> json-c ->
 * the profile (front/oci.c) -> resolve -> codegen -> validate -> simulate,
 * and the profile -> policy -> compile round trip (front/oci-policy.c).
 *
 * LLVMFuzzerTestOneInput compiles the input as an OCI seccomp profile
 * (sysfence_set_input_kind(SYSFENCE_INPUT_OCI)) twice: for x86_64 with the
 * sub-architectures the profile lists, and for a fixed list picked by the
 * input's length ("x86_64,i386,x32", "aarch64,arm", "s390x,s390").  The
 * invariants (abort() when one breaks):
 *   - the result is SYSFENCE_OK or SYSFENCE_EPOLICY; diagnostics are
 *     well-formed; a failure has an error, with a file:line:col when the
 *     text is not empty, and no program;
 *   - a program has 1..4096 instructions, validates, and every run of the
 *     simulator ends on a RET;
 *   - the policy 'convert --to policy' writes for the profile compiles,
 *     for the same targets, to a program that decides every probe (every
 *     number of each target's table, with arguments from the input) as
 *     the profile's program does.
 * Built as fuzz_compile.c is (make fuzz-oci; -DSF_FUZZ_STANDALONE for a
 * main() that replays files). */
#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "base/context.h"
#include "base/load.h"
#include "bpf/bpf.h"
#include "front/oci.h"
#include "sysfence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_oci: invariant failed at %s:%d: %s\n",         \
              __FILE__, __LINE__, #cond);                                  \
      abort();                                                             \
    }                                                                      \
  } while (0)

static sysfence_ctx *new_ctx(const char *text, size_t len, const char *arches, int oci) {
  sysfence_ctx *ctx = sysfence_new();
  CHECK(ctx != NULL);
  FILE *in = fmemopen((void *)(uintptr_t)text, len ? len : 1, "rb");
  CHECK(in != NULL);
  CHECK(sysfence_set_input_file(ctx, oci ? "fuzz.json" : "fuzz.policy", in) == SYSFENCE_OK);
  fclose(in);
  if (!len) CHECK(sysfence_set_input_string(ctx, "fuzz.json", "") == SYSFENCE_OK);
  CHECK(sysfence_set_input_kind(ctx, oci ? SYSFENCE_INPUT_OCI : SYSFENCE_INPUT_POLICY) ==
        SYSFENCE_OK);
  CHECK(sysfence_set_kernel(ctx, "6.1") == SYSFENCE_OK);
  if (arches) CHECK(sysfence_set_arches(ctx, arches, NULL, 0) == SYSFENCE_OK);
  return ctx;
}

static void check_diags(const sysfence_ctx *ctx, int rc, size_t size) {
  size_t n = sysfence_diag_count(ctx);
  int located = 0;
  for (size_t i = 0; i < n; i++) {
    const sysfence_diag *d = sysfence_diag_get(ctx, i);
    CHECK(d != NULL && d->message != NULL);
    CHECK(d->severity >= SYSFENCE_NOTE && d->severity <= SYSFENCE_ERROR);
    if (d->severity == SYSFENCE_ERROR && d->file && d->line >= 1 && d->column >= 1) located = 1;
  }
  CHECK(sysfence_diag_get(ctx, n) == NULL);
  if (rc != SYSFENCE_OK) CHECK(sysfence_error_count(ctx) > 0 && (located || size == 0 || n > 0));
}

/* The probes: every number of each target, -1, arguments from the input. */
static void compare(const struct sock_fprog *a, const struct sock_fprog *b,
                    const sysfence_ctx *ctx, const uint8_t *data, size_t size) {
  const char *names[SF_MAX_TARGETS];
  size_t n = sysfence_get_arches(ctx, names, SF_MAX_TARGETS);
  for (size_t t = 0; t < n; t++) {
    const sf_arch *arch = sf_arch_by_name(names[t]);
    CHECK(arch != NULL);
    for (size_t i = 0; i <= arch->n_syscalls; i++) {
      sf_seccomp_data d = {.nr = i < arch->n_syscalls ? arch->by_nr[i]->nr : 0xffffffffu,
                           .arch = arch->audit_arch};
      for (int k = 0; k < 6; k++) {
        uint64_t v = 0;
        for (int byte = 0; byte < 4 && size; byte++)
          v = (v << 8) | data[(i * 7 + (size_t)k * 4 + (size_t)byte) % size];
        d.args[k] = (i & 1) ? v : (uint64_t)k;
      }
      size_t sa = 0, sb = 0;
      uint32_t x = sf_bpf_run(a->filter, a->len, arch, &d, &sa);
      uint32_t y = sf_bpf_run(b->filter, b->len, arch, &d, &sb);
      CHECK(sa >= 1 && sa <= a->len && sb >= 1 && sb <= b->len);
      CHECK(x == y);
    }
  }
}

/* The profile as a policy (convert --to policy), compiled for the same
 * targets: it must decide as the profile did. */
static void round_trip(const uint8_t *data, size_t size, const sysfence_ctx *done,
                       const struct sock_fprog *prog) {
  sysfence_ctx *ctx = new_ctx((const char *)data, size, NULL, 1);
  const char *names[SF_MAX_TARGETS];
  size_t n = sysfence_get_arches(done, names, SF_MAX_TARGETS);
  char list[128] = "";
  for (size_t i = 0; i < n; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", names[i]);
  if (done->arches_explicit) CHECK(sysfence_set_arches(ctx, list, NULL, 0) == SYSFENCE_OK);
  CHECK(sf_ctx_reset(ctx) == 0);
  const sf_source *src = sf_load_main_source(ctx);
  const sf_oci_profile *p = src ? sf_oci_read(ctx, src) : NULL;
  CHECK(p != NULL);
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  CHECK(mem != NULL && sf_oci_write_policy(p, ctx, "fuzz.json", mem) == 0);
  CHECK(fclose(mem) == 0);
  sysfence_free(ctx);
  sysfence_ctx *pc = new_ctx(text, len, list, 0);
  struct sock_fprog via;
  int rc = sysfence_compile(pc, &via);
  if (rc != SYSFENCE_OK) fprintf(stderr, "%s%s", text, sysfence_diag_text(pc));
  CHECK(rc == SYSFENCE_OK);
  compare(prog, &via, pc, data, size);
  free(via.filter);
  free(text);
  sysfence_free(pc);
}

static void run_one(const uint8_t *data, size_t size, const char *arches) {
  sysfence_ctx *ctx = new_ctx((const char *)data, size, arches, 1);
  struct sock_fprog prog;
  int rc = sysfence_compile(ctx, &prog);
  CHECK(rc == SYSFENCE_OK || rc == SYSFENCE_EPOLICY);
  check_diags(ctx, rc, size);
  if (rc == SYSFENCE_OK) {
    char why[256];
    CHECK(prog.filter != NULL && prog.len >= 1 && prog.len <= 4096);
    CHECK(sysfence_validate(&prog, why, sizeof why) == 0);
    round_trip(data, size, ctx, &prog);
    free(prog.filter);
  } else {
    CHECK(prog.filter == NULL && prog.len == 0);
  }
  sysfence_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const lists[] = {"x86_64,i386,x32", "aarch64,arm", "s390x,s390"};
  run_one(data, size, NULL);
  run_one(data, size, lists[size % 3]);
  return 0;
}

#ifdef SF_FUZZ_STANDALONE
#include "standalone.h"

int main(int argc, char **argv) { return run_files(argc, argv); }
#endif
