/* cmd-compile.c - 'sysfence compile' and 'sysfence check': a policy into
 * a filter, or into its diagnostics alone. */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "sysfence.h"

static int run_front(const sf_command *cmd, int argc, char **argv, int compile) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.format = SYSFENCE_FORMAT_BPF, .includes = includes,
                   .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  const char *out = o.output ? o.output : "-";
  if (compile && strcmp(out, "-") == 0 && o.format == SYSFENCE_FORMAT_BPF &&
      isatty(STDOUT_FILENO))
    return sf_cli_usage_error(cmd, "%s", "refusing to write a binary filter to a "
                                         "terminal; use -o FILE, or --format asm");
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  rc = sf_cli_configure(cmd, ctx, &o);
  if (rc < 0) {
    struct sock_fprog prog = {0};
    int st = compile ? sysfence_compile(ctx, &prog) : sysfence_check(ctx);
    sf_cli_print_diags(ctx, &o);
    if (st == SYSFENCE_OK && compile &&
        sysfence_write_file(ctx, &prog, o.format, o.name, out) != SYSFENCE_OK) {
      fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", out,
              strerror(errno));
      st = SYSFENCE_ESYSTEM;
    }
    free(prog.filter);
    rc = sf_cli_status(st);
  }
  sysfence_free(ctx);
  return rc;
}

static int run_compile(const sf_command *cmd, int argc, char **argv) {
  return run_front(cmd, argc, argv, 1);
}

static int run_check(const sf_command *cmd, int argc, char **argv) {
  return run_front(cmd, argc, argv, 0);
}

const sf_command sf_cmd_compile = {
    "compile", "POLICY",
    "compile POLICY ('-' reads stdin) into a seccomp filter",
    "Compile POLICY ('-' reads stdin) into a seccomp filter: a raw blob, a C\n"
    "header or a listing, validated against the kernel's rules before it is\n"
    "written.",
    "ofaIDnBUORNck" SF_DIAG_OPTS "hV", NULL, 1, 0, 0, run_compile, NULL, 0};

const sf_command sf_cmd_check = {
    "check", "POLICY",
    "parse and resolve POLICY; report diagnostics only",
    "Parse and resolve POLICY ('-' reads stdin) for the target architecture\n"
    "and print the diagnostics; write nothing.",
    "aIDBUNck" SF_DIAG_OPTS "hV", NULL, 1, 0, 0, run_check, NULL, 0};
