/* cmd-syscalls.c - 'sysfence syscalls': the syscall tables, by name or
 * number: each syscall's number in every architecture (or those of
 * --arch), its arguments with the widths the kernel keeps, and where it
 * does not exist. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "base/diag.h"
#include "base/literal.h"
#include "cli/options.h"

enum { MAX_LISTED = 64 };

/* "(dfd:32, filename:64, flags:32, mode:16)" into BUF. */
static const char *signature(const sf_syscall *sc, char *buf, size_t size) {
  if (sc->nargs < 0) {
    snprintf(buf, size, "(arguments unknown)");
    return buf;
  }
  size_t k = (size_t)snprintf(buf, size, "(");
  for (int i = 0; i < sc->nargs && k < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "%s%s:%u", i ? ", " : "", sc->args[i].name,
                          sc->args[i].bits);
  if (k < size) snprintf(buf + k, size - k, ")");
  return buf;
}

/* The architectures of --arch (a comma list), or every one; N of them. */
static int arches_of(const sf_command *cmd, const char *list, int all_default,
                     const sf_arch **out, size_t *n) {
  *n = 0;
  if (!list) {
    if (!all_default) {
      out[0] = sf_arch_host();
      if (!out[0]) return sf_cli_usage_error(cmd, "no syscall table for this host; give --arch");
      *n = 1;
      return -1;
    }
    size_t count;
    const sf_arch *const *all = sf_arch_all(&count);
    for (size_t i = 0; i < count && i < MAX_LISTED; i++) out[(*n)++] = all[i];
    return -1;
  }
  char buf[512];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    const sf_arch *a = sf_arch_by_name(tok);
    if (!a) return sf_cli_usage_error(cmd, "unknown architecture '%s' (see 'sysfence arches')", tok);
    if (*n < MAX_LISTED) out[(*n)++] = a;
  }
  return -1;
}

/* One architecture's line for NAME. */
static void print_row(const sf_arch *a, const char *name) {
  const sf_syscall *sc = sf_syscall_by_name(a, name);
  char sig[256];
  if (sc) {
    printf("  %-12s %5u  %s", a->name, sc->nr, signature(sc, sig, sizeof sig));
    if (strcmp(sc->name, name) != 0) printf("  (as %s)", sc->name);
    putchar('\n');
    return;
  }
  const char *kernel[2];
  size_t nk = sf_syscall_kernel_names(a, name, kernel, 2);
  if (nk)
    printf("  %-12s     -  none; the C library's %s() calls %s%s%s there\n", a->name,
           name, kernel[0], nk > 1 ? " or " : "", nk > 1 ? kernel[1] : "");
  else
    printf("  %-12s     -  none\n", a->name);
}

/* Does any architecture know NAME, as a syscall or a C library name? */
static int known_anywhere(const char *name) {
  size_t count;
  const sf_arch *const *all = sf_arch_all(&count);
  const char *kernel[1];
  for (size_t i = 0; i < count; i++)
    if (sf_syscall_by_name(all[i], name) || sf_syscall_kernel_names(all[i], name, kernel, 1))
      return 1;
  return 0;
}

static void unknown_name(const char *name) {
  const char *best = sf_closest_name(name, sf_gen_known_names, sf_gen_n_known_names);
  fprintf(stderr, "sysfence: error: '%s' is no syscall of any architecture%s%s%s\n", name,
          best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
}

/* One NAME or NUMBER (a number of LOOKUP's table), with a row for each of
 * ARCHES[0..N). */
static int show_one(const char *word, const sf_arch *lookup,
                    const sf_arch *const *arches, size_t n) {
  const char *name = word;
  if (isdigit((unsigned char)word[0])) {
    uint64_t nr;
    const sf_syscall *sc = NULL;
    if (!lookup) {
      fprintf(stderr, "sysfence: error: no syscall table for this host: give --arch "
                      "for a number\n");
      return EXIT_POLICY;
    }
    if (sf_literal_parse_unsigned(word, &nr) == 0 && nr <= UINT32_MAX)
      sc = sf_syscall_by_nr(lookup, (uint32_t)nr);
    if (!sc) {
      fprintf(stderr, "sysfence: error: %s is no syscall number of %s\n", word,
              lookup->name);
      return EXIT_POLICY;
    }
    name = sc->name;
    printf("%s (%s on %s)\n", name, word, lookup->name);
  } else if (!known_anywhere(name)) {
    unknown_name(name);
    return EXIT_POLICY;
  } else {
    printf("%s\n", name);
  }
  for (size_t i = 0; i < n; i++) print_row(arches[i], name);
  return EXIT_OK;
}

/* No argument: every syscall of each table, by number. */
static void show_table(const sf_arch *a, int heading) {
  if (heading) printf("%s:\n", a->name);
  for (size_t i = 0; i < a->n_syscalls; i++) {
    const sf_syscall *sc = a->by_nr[i];
    char sig[256];
    printf("%5u  %s%s\n", sc->nr, sc->name, signature(sc, sig, sizeof sig));
  }
}

static int run_syscalls(const sf_command *cmd, int argc, char **argv) {
  sf_cli_opts o = {.opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  const sf_arch *arches[MAX_LISTED];
  size_t n;
  rc = arches_of(cmd, o.arch, o.n_calls > 0, arches, &n);
  if (rc >= 0) return rc;
  if (o.n_calls == 0) {
    for (size_t i = 0; i < n; i++) show_table(arches[i], n > 1);
    return EXIT_OK;
  }
  /* A number is of --arch's first table, or of the host's. */
  const sf_arch *lookup = o.arch ? arches[0] : sf_arch_host();
  int status = EXIT_OK;
  for (size_t i = 0; i < o.n_calls; i++) {
    if (i) putchar('\n');
    if (show_one(o.calls[i], lookup, arches, n) != EXIT_OK) status = EXIT_POLICY;
  }
  return status;
}

static const char syscalls_epilog[] =
    "\n"
    "A NUMBER is looked up in the table of the first --arch (default: the\n"
    "host's); its name is then shown for every architecture listed.  A C\n"
    "library name that is no syscall (fstatat, pread, stat on aarch64) is\n"
    "shown with the kernel's syscalls that do its work.  Widths are the bits\n"
    "of an argument the kernel keeps (a 32-bit int: 32).\n"
    "\n"
    "Exit status: 0 success, 1 a NAME or NUMBER that is no syscall, 2 usage\n"
    "error.\n";

const sf_command sf_cmd_syscalls = {
    "syscalls", "[NAME|NUMBER...]",
    "syscall names, numbers and arguments in each architecture",
    "For each NAME or NUMBER, print the syscall's number in each architecture\n"
    "(all of them, or those of --arch LIST), its arguments with their widths,\n"
    "and where it does not exist.  Without arguments, print the whole table\n"
    "of --arch (default: the host's), by number.",
    "ahV", "architectures to show, a comma list (default: all for NAMEs, the "
    "host's table without arguments)", 0, 0, -1, run_syscalls, syscalls_epilog, 0};
