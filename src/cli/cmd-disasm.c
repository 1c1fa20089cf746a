/* cmd-disasm.c - 'sysfence disasm': check any raw filter (ours,
 * libseccomp's, Kafel's) and list it. */
#include <stdio.h>
#include <stdlib.h>

#include "bpf/listing.h"
#include "cli/options.h"

static int run_disasm(const sf_command *cmd, int argc, char **argv) {
  sf_cli_opts o = {.opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = sf_cli_arch(cmd, &o);
  if (!arch) return EXIT_USAGE;
  struct sock_filter *prog = NULL;
  size_t n;
  char why[512];
  rc = sf_cli_load_blob(o.input, &arch, !o.arch, 0, &prog, &n, why, sizeof why);
  if (!prog) return rc;
  /* Each section is named from the table of the arch it checked; ARCH
   * where the path has checked none. */
  size_t n_tables;
  const sf_arch *const *tables = sf_arch_all(&n_tables);
  sf_names names = {arch, tables, n_tables};
  /* An invalid program is listed too, then the reason. */
  sf_write_asm_names(prog, n, &names, stdout);
  if (rc >= 0) fputs(why, stderr);
  free(prog);
  return rc >= 0 ? rc : EXIT_OK;
}

const sf_command sf_cmd_disasm = {
    "disasm", "FILE.bpf",
    "validate a raw filter and print it as a listing",
    "Read a raw filter (an array of 8-byte struct sock_filter, '-' reads\n"
    "stdin), check it against the kernel's rules and print it as a listing:\n"
    "addresses, mnemonics, syscall names and decoded actions.  Syscall\n"
    "numbers are named from the table of the architecture the program\n"
    "checked seccomp_data.arch for on the way (i386's in an i386 section),\n"
    "else from -a's; without -a, the architecture of the filter's first\n"
    "AUDIT_ARCH comparison, or the host's.",
    "ahV", "syscall names where the filter has not checked its architecture (default: "
    "the architecture of its first AUDIT_ARCH check, else the host)", 1, 0, 0, run_disasm, NULL, 0};
