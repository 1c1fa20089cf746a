/* fuzz_compile.c - fuzz harness for the whole pipeline: policy text ->
 * parse -> resolve -> codegen -> validate -> simulate -> emit.
 *
 * LLVMFuzzerTestOneInput compiles the input as a policy through the public
 * API for three targets (the host; a big-endian one picked by the input's
 * length: mips, 32-bit, or s390x, 64-bit; and a random list of ABIs one
 * kernel runs, for one multi-architecture filter), with include paths
 * pointing to seed folders.  On success it re-validates the program, runs
 * the simulator on a few seccomp_data records and writes all three output
 * formats to a memory stream; on failure it checks that the compiler said
 * why.  Any broken invariant calls abort(), which the fuzzers report as a
 * crash.  Everything allocated is freed (LeakSanitizer watches).
 *
 * Built three ways (see fuzz/README.md and Makefile.am):
 *   - libFuzzer: clang -fsanitize=fuzzer,address,undefined (make fuzz);
 *   - AFL++: afl-clang-fast with -DSF_FUZZ_STANDALONE, using the main()
 *     below in persistent mode (make fuzz-afl);
 *   - plain: any compiler with -DSF_FUZZ_STANDALONE, to replay files:
 *     ./fuzz_compile FILE... (no arguments: one input from stdin).
 *
 * Include folders: $SYSFENCE_FUZZ_INCLUDE (colon-separated) if set, else
 * the compiled-in FUZZ_INCLUDE_DIRS. */
#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "bpf/bpf.h"
#include "sysfence.h"

#ifndef FUZZ_INCLUDE_DIRS
#define FUZZ_INCLUDE_DIRS "fuzz/include"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_compile: invariant failed at %s:%d: %s\n",     \
              __FILE__, __LINE__, #cond);                                  \
      abort();                                                             \
    }                                                                      \
  } while (0)

static void add_include_paths(sysfence_ctx *ctx) {
  const char *env = getenv("SYSFENCE_FUZZ_INCLUDE");
  const char *list = env && *env ? env : FUZZ_INCLUDE_DIRS;
  char *copy = strdup(list);
  CHECK(copy != NULL);
  char *save = NULL;
  for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
    CHECK(sysfence_add_include_path(ctx, d) == SYSFENCE_OK);
  free(copy);
}

/* A few syscalls to simulate, whatever the architecture. */
static const char *const probe_names[] = {"read", "write", "openat", "mmap",
                                          "socket", "ioctl", "exit_group"};

static void simulate(const struct sock_fprog *prog, const char *arch_name,
                     const uint8_t *data, size_t size) {
  const sf_arch *arch = sf_arch_by_name(arch_name);
  CHECK(arch != NULL);
  sf_seccomp_data d;
  size_t steps;
  size_t n_probes = sizeof probe_names / sizeof probe_names[0];
  for (size_t i = 0; i < n_probes + 4; i++) {
    memset(&d, 0, sizeof d);
    d.arch = arch->audit_arch;
    if (i < n_probes) {
      long nr = sysfence_syscall_number(arch_name, probe_names[i]);
      d.nr = nr < 0 ? 0 : (uint32_t)nr;
    } else if (i == n_probes) {
      d.nr = 0xffffffffu; /* tracer's "skip this call" */
    } else if (i == n_probes + 1) {
      d.nr = 0x40000000u; /* x32 bit */
    } else if (i == n_probes + 2) {
      d.arch = 0x12345678u; /* a foreign architecture */
    } else {
      d.nr = 1000;
    }
    /* Argument values taken from the input, so comparisons go both ways. */
    for (int a = 0; a < 6; a++) {
      uint64_t v = 0;
      for (int b = 0; b < 8 && size; b++)
        v = (v << 8) | data[(i * 48 + (size_t)a * 8 + (size_t)b) % size];
      d.args[a] = (i & 1) ? v : (uint64_t)a;
    }
    steps = 0;
    (void)sf_bpf_run(prog->filter, prog->len, arch, &d, &steps);
    /* Jumps only go forward: no run can be longer than the program. */
    CHECK(steps >= 1 && steps <= prog->len);
  }
}

static void emit_all(const sysfence_ctx *ctx, const struct sock_fprog *prog) {
  for (int fmt = SYSFENCE_FORMAT_BPF; fmt <= SYSFENCE_FORMAT_ASM; fmt++) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(out != NULL);
    int rc = sysfence_emit(ctx, prog, (sysfence_format)fmt,
                           fmt == SYSFENCE_FORMAT_C ? "fuzz_filter" : NULL, out);
    CHECK(fclose(out) == 0);
    CHECK(rc == SYSFENCE_OK);
    if (fmt == SYSFENCE_FORMAT_BPF)
      CHECK(len == (size_t)prog->len * sizeof(struct sock_filter));
    else
      CHECK(len > 0 && strlen(buf) == len);
    free(buf);
  }
}

static void run_one(const uint8_t *data, size_t size, const char *arch) {
  sysfence_ctx *ctx = sysfence_new();
  CHECK(ctx != NULL);
  /* Through a stream, so NUL bytes reach the lexer too. */
  if (size > 0) {
    FILE *in = fmemopen((void *)(uintptr_t)data, size, "rb");
    CHECK(in != NULL);
    CHECK(sysfence_set_input_file(ctx, "fuzz.policy", in) == SYSFENCE_OK);
    fclose(in);
  } else {
    CHECK(sysfence_set_input_string(ctx, "fuzz.policy", "") == SYSFENCE_OK);
  }
  add_include_paths(ctx);
  CHECK(sysfence_set_arch(ctx, arch) == SYSFENCE_OK);

  struct sock_fprog prog;
  int rc = sysfence_compile(ctx, &prog);
  CHECK(rc == SYSFENCE_OK || rc == SYSFENCE_EPOLICY);
  /* Diagnostics are always well-formed. */
  size_t n = sysfence_diag_count(ctx);
  for (size_t i = 0; i < n; i++) {
    const sysfence_diag *dg = sysfence_diag_get(ctx, i);
    CHECK(dg != NULL && dg->message != NULL);
    CHECK(dg->severity >= SYSFENCE_NOTE && dg->severity <= SYSFENCE_ERROR);
  }
  CHECK(sysfence_diag_get(ctx, n) == NULL);
  const char *text = sysfence_diag_text(ctx);
  CHECK(text != NULL);
  if (rc == SYSFENCE_OK) {
    CHECK(sysfence_error_count(ctx) == 0);
    CHECK(prog.filter != NULL && prog.len >= 1 && prog.len <= 4096);
    char why[256];
    CHECK(sysfence_validate(&prog, why, sizeof why) == 0);
    /* Each target of a list ("x86_64,i386,x32"): its own section. */
    char names[64];
    snprintf(names, sizeof names, "%s", arch);
    char *save = NULL;
    for (char *a = strtok_r(names, ",", &save); a; a = strtok_r(NULL, ",", &save))
      simulate(&prog, a, data, size);
    emit_all(ctx, &prog);
    free(prog.filter);
    /* A policy that compiles also passes the front end alone. */
    CHECK(sysfence_check(ctx) == SYSFENCE_OK);
  } else {
    /* A failure always says why. */
    CHECK(prog.filter == NULL && prog.len == 0);
    CHECK(sysfence_error_count(ctx) > 0 && text[0] != '\0');
  }
  sysfence_free(ctx);
}

/* A list of two or more ABIs one kernel runs together (sf_arch_companions),
 * in a random order (the first is the native one), picked by the input's
 * length and first bytes: a mutation of the policy's tail keeps the list,
 * so the fuzzer can grow a policy for one list. */
static void pick_arch_list(const uint8_t *data, size_t size, char *out, size_t out_size) {
  uint64_t h = 0xcbf29ce484222325ull ^ size; /* FNV-1a */
  for (size_t i = 0; i < size && i < 16; i++) h = (h ^ data[i]) * 0x100000001b3ull;
  size_t n_all, n = 0;
  const sf_arch *const *all = sf_arch_all(&n_all);
  const sf_arch *abis[4];
  for (size_t k = 0; n < 2 && k < n_all; k++) { /* an ABI with companions */
    abis[0] = all[(h + k) % n_all];
    n = 1 + sf_arch_companions(abis[0], abis + 1, 3);
  }
  CHECK(n >= 2);
  for (size_t i = n - 1; i > 0; i--) { /* shuffle */
    h = h * 6364136223846793005ull + 1442695040888963407ull;
    size_t j = (size_t)(h >> 33) % (i + 1);
    const sf_arch *t = abis[i];
    abis[i] = abis[j];
    abis[j] = t;
  }
  size_t take = 2 + (size_t)(h >> 40) % (n - 1); /* 2..n */
  int at = 0;
  for (size_t i = 0; i < take; i++)
    at += snprintf(out + at, out_size - (size_t)at, "%s%s", i ? "," : "", abis[i]->name);
  CHECK(at > 0 && (size_t)at < out_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run_one(data, size, sysfence_host_arch());
  run_one(data, size, size % 2 ? "mips" : "s390x");
  /* One filter for several ABIs of one kernel. */
  char list[64];
  pick_arch_list(data, size, list, sizeof list);
  run_one(data, size, list);
  return 0;
}

#ifdef SF_FUZZ_STANDALONE
/* Driver for AFL++ (persistent mode with afl-clang-fast/afl-cc) and for
 * replaying files with a plain build. */
#include <unistd.h>

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

#include "standalone.h"

int main(int argc, char **argv) {
#ifdef __AFL_FUZZ_TESTCASE_LEN
  if (argc < 2) {
#ifdef __AFL_HAVE_MANUAL_CONTROL
    __AFL_INIT();
#endif
    const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000)) {
      size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
      LLVMFuzzerTestOneInput(buf, len);
    }
    return 0;
  }
#endif
  return run_files(argc, argv);
}
#endif
