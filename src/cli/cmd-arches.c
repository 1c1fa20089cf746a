/* cmd-arches.c - 'sysfence arches': the architectures of the tables. */
#include <stdio.h>

#include "arch/arch.h"
#include "cli/options.h"

static int run_arches(const sf_command *cmd, int argc, char **argv) {
  sf_cli_opts o = {.opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  for (size_t i = 0; i < n; i++) {
    const sf_arch *a = all[i];
    printf("%-12s AUDIT_ARCH 0x%08x  %s-endian  %d-bit  %zu syscalls", a->name,
           a->audit_arch, a->big_endian ? "big" : "little", a->bits, a->n_syscalls);
    /* The ABIs one filter may serve with it (--arch LIST). */
    const sf_arch *with[4];
    size_t k = sf_arch_companions(a, with, 4);
    for (size_t j = 0; j < k; j++) printf("%s%s", j ? "," : "  runs with ", with[j]->name);
    putchar('\n');
  }
  return EXIT_OK;
}

const sf_command sf_cmd_arches = {
    "arches", "",
    "list the supported architectures",
    "List the supported architectures with their AUDIT_ARCH value, byte\n"
    "order, argument width, number of syscalls, and the ABIs a kernel runs\n"
    "beside each: the ABIs that can share one filter (a list such as\n"
    "x86_64,i386,x32 given to compile).",
    "hV", NULL, 0, 0, 0, run_arches, NULL, 0};
