/* cmd-eval.c - 'sysfence eval': what a policy gives each call, and the
 * rule that decided it, by the policy's reference semantics (the oracle,
 * src/oracle), not by running BPF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "cli/call.h"
#include "cli/options.h"

/* A CALL given as a number: its name (in the table of its ABI) after WHY,
 * " [318: getrandom]", or " [999: no syscall of x86_64]". */
static void name_number(const sf_call_spec *spec, char *why, size_t size) {
  const sf_syscall *sc = sf_syscall_by_nr(spec->abi, spec->call.nr);
  size_t len = strlen(why);
  if (spec->call.nr == UINT32_MAX) /* what tracers set to skip a call */
    snprintf(why + len, size - len, " [-1: no syscall]");
  else if (sc)
    snprintf(why + len, size - len, " [%u: %s]", spec->call.nr, sc->name);
  else
    snprintf(why + len, size - len, " [%u: no syscall of %s]", spec->call.nr,
             spec->abi->name);
}

/* RS[0..N): the targets' rule sets; a CALL without an ABI prefix is the
 * first (native) target's. */
static int eval_calls(const sf_cli_opts *o, const sf_ruleset *const *rs, size_t n,
                      const struct ast_file *tree, const sysfence_ctx *ctx) {
  sf_call_spec *specs = sf_calls_parse(o->calls, o->n_calls, rs[0]->arch, tree, ctx);
  if (!specs) return EXIT_USAGE;
  for (size_t i = 0; i < o->n_calls; i++) {
    char why[300];
    uint32_t action = sf_call_explain(rs, n, &specs[i].call, why, sizeof why);
    if (!specs[i].name) name_number(&specs[i], why, sizeof why);
    sf_call_print(o->calls[i], o->n_calls, action, why);
  }
  free(specs);
  return EXIT_OK;
}

static int run_eval(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  rc = sf_cli_configure(cmd, ctx, &o);
  if (rc < 0) {
    const struct ast_file *tree;
    const sf_ruleset *rs[SF_MAX_TARGETS];
    size_t n = sf_front_end_targets(ctx, &tree, rs);
    sf_cli_print_diags(ctx, &o);
    if (n) rc = eval_calls(&o, rs, n, tree, ctx);
    else rc = sysfence_error_count(ctx) ? EXIT_POLICY : EXIT_USAGE;
  }
  sysfence_free(ctx);
  return rc;
}

const sf_command sf_cmd_eval = {
    "eval", "POLICY CALL...",
    "the action POLICY gives each CALL, and the deciding rule",
    "Print the action POLICY gives each CALL and the rule that decided it,\n"
    "by the policy's reference semantics (not by running BPF).  With several\n"
    "targets (--arch x86_64,i386,x32) each CALL is decided by the target its\n"
    "ABI names (none: the first), and the explanation names that target.",
    "aIDBUNck" SF_DIAG_OPTS "hV", "target architecture, or a comma list of targets", 1, 1, -1, run_eval, NULL, 0};
