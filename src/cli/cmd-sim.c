/* cmd-sim.c - 'sysfence sim': run any raw filter on calls in the BPF
 * interpreter (the kernel's semantics), with an optional trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/bpf.h"
#include "bpf/listing.h"
#include "cli/call.h"
#include "cli/options.h"

/* --trace: one line per instruction executed. */
typedef struct tracer {
  sf_names names;
  int a_holds;   /* the seccomp_data offset A holds (nr, arch), or -1 */
  int64_t audit; /* the AUDIT_ARCH this run checked arch for, or -1 */
} tracer;

static void trace_insn(void *user, size_t pc, const struct sock_filter *in,
                       uint32_t a, uint32_t x) {
  tracer *t = user;
  char text[160];
  sf_insn_str_names(in, pc, &t->names, t->a_holds, t->audit, text, sizeof text);
  printf("%04zu: %-40s A=0x%08x X=0x%08x\n", pc, text, a, x);
  /* Past a `jeq #K` taken on arch, the numbers are that arch's. */
  if (in->code == (BPF_JMP | BPF_JEQ | BPF_K) && t->a_holds == SF_OFF_ARCH &&
      a == in->k)
    t->audit = in->k;
  if (in->code == (BPF_LD | BPF_W | BPF_ABS))
    t->a_holds = in->k == SF_OFF_NR || in->k == SF_OFF_ARCH ? (int)in->k : -1;
  else if (BPF_CLASS(in->code) == BPF_LD || BPF_CLASS(in->code) == BPF_ALU ||
           in->code == (BPF_MISC | BPF_TXA))
    t->a_holds = -1;
}

static void sim_call(const sf_cli_opts *o, size_t i, const sf_call_spec *spec,
                     const struct sock_filter *prog, size_t n, const sf_arch *arch) {
  sf_seccomp_data d = {.nr = spec->call.nr, .arch = spec->call.arch};
  memcpy(d.args, spec->call.args, sizeof d.args);
  size_t n_tables;
  const sf_arch *const *tables = sf_arch_all(&n_tables);
  tracer t = {{arch, tables, n_tables}, -1, -1};
  if (o->trace && o->n_calls > 1) printf("%s:\n", o->calls[i]);
  size_t steps = 0;
  uint32_t action = sf_bpf_run_trace(prog, n, arch, &d, &steps,
                                     o->trace ? trace_insn : NULL, &t);
  char why[64];
  snprintf(why, sizeof why, "(%zu instruction%s)", steps, steps == 1 ? "" : "s");
  sf_call_print(o->calls[i], o->n_calls, action, why);
}

static int run_sim(const sf_command *cmd, int argc, char **argv) {
  sf_cli_opts o = {.opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = sf_cli_arch(cmd, &o);
  if (!arch) return EXIT_USAGE;
  struct sock_filter *prog = NULL;
  size_t n;
  char why[512];
  rc = sf_cli_load_blob(o.input, &arch, !o.arch, 1, &prog, &n, why, sizeof why);
  if (rc >= 0) return rc;
  sf_call_spec *specs = sf_calls_parse(o.calls, o.n_calls, arch, NULL, NULL);
  if (specs)
    for (size_t i = 0; i < o.n_calls; i++) sim_call(&o, i, &specs[i], prog, n, arch);
  free(specs);
  free(prog);
  return specs ? EXIT_OK : EXIT_USAGE;
}

const sf_command sf_cmd_sim = {
    "sim", "FILE.bpf CALL...",
    "run a raw filter on each CALL in the BPF interpreter",
    "Run the raw filter FILE.bpf (validated first) in the BPF interpreter on\n"
    "each CALL: the action, and the number of instructions executed.\n"
    "Without -a, the architecture is the one of the filter's first\n"
    "AUDIT_ARCH comparison (x86_64 for x86_64's value), or the host's.",
    "aThV", "byte order, syscall names and the calls' AUDIT_ARCH (default: the "
    "architecture of the filter's first AUDIT_ARCH check, else the host)", 1, 1, -1,
    run_sim, NULL, 0};
