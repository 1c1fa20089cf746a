/* cmd-constants.c - 'sysfence constants': the named constants predefined
 * for policies, with their values on one architecture, and where another
 * architecture's value differs. */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/constants.h"
#include "cli/options.h"

/* VALUE as a policy would write it: errno numbers (the only names that
 * start with E) and small numbers in decimal, flags and requests in hex,
 * negative ones (AT_FDCWD) with their sign. */
static void format_value(const char *name, int64_t v, char *buf, size_t size) {
  if (v < 10 || name[0] == 'E')
    snprintf(buf, size, "%" PRId64, v);
  else
    snprintf(buf, size, "%#" PRIx64, (uint64_t)v);
}

static int selected(const char *name, char **patterns, size_t n) {
  if (!n) return 1;
  for (size_t i = 0; i < n; i++)
    if (fnmatch(patterns[i], name, 0) == 0) return 1;
  return 0;
}

/* "  (mips, mipsel: 89; parisc, parisc64: 251)": the other architectures
 * whose value of NAME differs from VALUE, grouped by value; those without
 * NAME say "none". */
static void print_differences(const sf_arch *arch, const char *name, int64_t value) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  int shown[64] = {0};
  int any = 0;
  for (size_t i = 0; i < n && i < 64; i++) {
    if (all[i] == arch || shown[i]) continue;
    const sf_constant *c = sf_constant_find(all[i], name);
    if (c && c->value == value) continue;
    printf("%s%s", any ? "; " : "  (", all[i]->name);
    any = 1;
    for (size_t j = i + 1; j < n && j < 64; j++) {
      if (all[j] == arch || shown[j]) continue;
      const sf_constant *d = sf_constant_find(all[j], name);
      if ((!c && !d) || (c && d && d->value == c->value)) {
        printf(", %s", all[j]->name);
        shown[j] = 1;
      }
    }
    char buf[32] = "none";
    if (c) format_value(name, c->value, buf, sizeof buf);
    printf(": %s", buf);
  }
  if (any) putchar(')');
}

static int run_constants(const sf_command *cmd, int argc, char **argv) {
  sf_cli_opts o = {.opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = sf_cli_arch(cmd, &o);
  if (!arch) return EXIT_USAGE;
  size_t n;
  const sf_constant *all = sf_constants_of(arch, &n);
  size_t shown = 0;
  for (size_t i = 0; i < n; i++) {
    if (!selected(all[i].name, o.calls, o.n_calls)) continue;
    char buf[32];
    format_value(all[i].name, all[i].value, buf, sizeof buf);
    printf("%-24s %s", all[i].name, buf);
    print_differences(arch, all[i].name, all[i].value);
    putchar('\n');
    shown++;
  }
  if (!shown && o.n_calls) {
    fprintf(stderr, "sysfence: constants: no constant of %s matches", arch->name);
    for (size_t i = 0; i < o.n_calls; i++) fprintf(stderr, " '%s'", o.calls[i]);
    fputc('\n', stderr);
    return EXIT_POLICY;
  }
  return EXIT_OK;
}

const sf_command sf_cmd_constants = {
    "constants", "[PATTERN...]",
    "list the named constants policies can use",
    "List the constants every policy has predefined (errno names, AF_*,\n"
    "SOCK_*, O_*, AT_*, F_*, PROT_*, MAP_*, MADV_*, MREMAP_*, CLONE_*, PR_*,\n"
    "the ioctl requests TC*, TIOC*, FIO*, and the personality values) with\n"
    "their values on the architecture (-a; default: the host's), those\n"
    "whose name matches a PATTERN (shell wildcards: 'O_*' 'E?*'), or all.\n"
    "Where other architectures give a name another value, they follow in\n"
    "parentheses ('none': they lack it).  A policy that uses the name gets\n"
    "each target's own value; a #define of the name in the policy wins\n"
    "(with a warning when its value differs).",
    "ahV", "the architecture whose values to list (default: the host's)",
    0, 0, -1, run_constants,
    "Exit status: 0 if something was listed, 1 if no constant matches a\n"
    "PATTERN, 2 on a usage error.\n",
    0};
