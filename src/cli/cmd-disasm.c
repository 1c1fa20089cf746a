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
  rc = sf_cli_load_blob(o.input, arch, 0, &prog, &n, why, sizeof why);
  if (!prog) return rc;
  /* An invalid program is listed too, then the reason. */
  sf_write_asm(prog, n, arch, stdout);
  if (rc >= 0) fputs(why, stderr);
  free(prog);
  return rc >= 0 ? rc : EXIT_OK;
}

const sf_command sf_cmd_disasm = {
    "disasm", "FILE.bpf",
    "validate a raw filter and print it as a listing",
    "Read a raw filter (an array of 8-byte struct sock_filter, '-' reads\n"
    "stdin), check it against the kernel's rules and print it as a listing:\n"
    "addresses, mnemonics, syscall names and decoded actions.",
    "ahV", "byte order and syscall names", 1, 0, 0, run_disasm, NULL, 0};
