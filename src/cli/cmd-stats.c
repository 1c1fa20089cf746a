/* cmd-stats.c - 'sysfence stats': a filter's (or a policy's) length, path
 * lengths and what the kernel's action cache allows (the measurements
 * are stats.c's). */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "bpf/action.h"
#include "bpf/blob.h"
#include "bpf/bpf.h"
#include "bpf/listing.h"
#include "cli/options.h"
#include "cli/stats.h"

/* The allowed syscalls the cache misses, or (WANT_LOADS) those whose
 * path loads arguments with their path lengths; wrapped at column 13. */
static void print_names(const sf_stats *st, int want_loads) {
  size_t shown = 0;
  int col = 13;
  for (size_t i = 0; i < st->n_sys; i++) {
    const sf_stats_sys *y = &st->sys[i];
    if (!(want_loads ? y->loads_args : y->allowed && !y->cached)) continue;
    char item[96];
    if (want_loads) snprintf(item, sizeof item, "%s (%zu, worst %zu)", y->name, y->steps, y->worst);
    else snprintf(item, sizeof item, "%s", y->name);
    int w = (int)strlen(item) + (shown ? 1 : 0);
    if (shown && col + w > 79) {
      printf("\n%13s", "");
      col = 13;
      w--;
    } else if (shown) {
      putchar(' ');
    }
    fputs(item, stdout);
    col += w;
    shown++;
  }
  printf("%s\n", shown ? "" : "(none)");
}

static void print_stats(const sf_stats *st) {
  char act[32];
  printf("program:     %zu instructions (%s)\n", st->len, st->arch->name);
  printf("paths:       shortest %zu, longest %zu, mean %.2f instructions over the\n"
         "             %zu %s syscalls with all arguments zero\n",
         st->min_steps, st->max_steps, st->mean_steps, st->n_sys, st->arch->name);
  printf("worst path:  %zu instructions (argument probes included)\n",
         st->worst_steps);
  printf("bad arch:    %zu instructions (%s)\n", st->bad_arch_steps,
         sf_action_str(st->bad_arch_action, act, sizeof act));
  printf("allowed:     %zu syscalls (%zu with all arguments zero)\n",
         st->n_allowed, st->n_allowed_zero);
  if (st->bitmap && strcmp(st->bitmap, "none") == 0)
    printf("cached:      %zu (%s numbers are outside the kernel's action cache)\n",
           st->n_cached, st->arch->name);
  else if (st->bitmap)
    printf("cached:      %zu always allowed by the kernel's action cache (%s bitmap%s, "
           "Linux 5.11+)\n", st->n_cached, st->bitmap,
           strcmp(st->bitmap, "compat") == 0 ? " of a 64-bit kernel" : "");
  else
    printf("cached:      %zu always allowed by the kernel's action cache "
           "(Linux 5.11+)\n", st->n_cached);
  printf("not cached:  ");
  print_names(st, 0);
  printf("arg checks:  %zu syscalls (path, worst path)\n", st->n_loads_args);
  if (st->n_loads_args) {
    printf("             ");
    print_names(st, 1);
  }
}

/* The mean path weighted by the profile of CTX (if it has one). */
static void print_profile_mean(const sf_stats *st, const sysfence_ctx *ctx) {
  if (!ctx || !ctx->n_profile) return;
  double sum = 0, calls = 0;
  for (size_t i = 0; i < st->n_sys; i++) {
    int64_t c = sf_profile_count(ctx, st->sys[i].name);
    sum += (double)c * (double)st->sys[i].steps;
    calls += (double)c;
  }
  if (calls > 0)
    printf("profile:     mean %.2f instructions per call, weighted by the "
           "profile's counts\n", sum / calls);
  else
    printf("profile:     no call of the profile is a %s syscall\n",
           st->arch->name);
}

/* The report of each of ARCHES[0..n_arches) in turn (a filter for several
 * architectures has a section, paths and cache bitmap per architecture). */
static int stats_of(const struct sock_filter *prog, size_t n,
                    const sf_arch *const *arches, size_t n_arches,
                    const sysfence_ctx *ctx) {
  for (size_t i = 0; i < n_arches; i++) {
    sf_stats st;
    if (sf_stats_compute(prog, n, arches[i], &st) != 0)
      return sf_cli_usage_error(&sf_cmd_stats, "%s", strerror(ENOMEM));
    if (n_arches > 1)
      printf("%starget:      %s (%zu of %zu)\n", i ? "\n" : "", arches[i]->name,
             i + 1, n_arches);
    print_stats(&st);
    print_profile_mean(&st, ctx);
    sf_stats_free(&st);
  }
  return EXIT_OK;
}

/* A program compiled for the targets of CTX: the stats of each target's
 * ABI in turn (each run with its AUDIT_ARCH and numbers). */
static int stats_targets(const struct sock_fprog *prog, const sysfence_ctx *ctx) {
  const char *names[SF_MAX_TARGETS];
  const sf_arch *arches[SF_MAX_TARGETS];
  size_t n = sysfence_get_arches(ctx, names, SF_MAX_TARGETS);
  for (size_t i = 0; i < n; i++) arches[i] = sf_arch_by_name(names[i]);
  return stats_of(prog->filter, prog->len, arches, n, ctx);
}

/* The ABI --arch names, or the first (native) of a list (NULL after a
 * usage error). */
static const sf_arch *stats_arch(const sf_command *cmd, const sf_cli_opts *o) {
  const char *comma = o->arch ? strchr(o->arch, ',') : NULL;
  if (!comma) return sf_cli_arch(cmd, o);
  char first[32];
  snprintf(first, sizeof first, "%.*s", (int)(comma - o->arch), o->arch);
  const sf_arch *arch = sf_arch_by_name(first);
  if (!arch)
    sf_cli_usage_error(cmd, "unknown architecture '%s' (see 'sysfence arches')", first);
  return arch;
}

/* Does PROG decide some syscall of ARCH otherwise than by its bad-arch
 * action (its answer for a foreign seccomp_data.arch)?  That is, has it a
 * section for ARCH: x32 shares x86_64's AUDIT_ARCH, and a filter without
 * x32 (or without x86_64) sends those numbers to the bad-arch action. */
static int decides_abi(const struct sock_filter *prog, size_t n, const sf_arch *arch) {
  sf_seccomp_data d = {.nr = 0, .arch = 0};
  uint32_t bad = sf_bpf_run(prog, n, arch, &d, NULL);
  d.arch = arch->audit_arch;
  for (size_t i = 0; i < arch->n_syscalls; i++) {
    d.nr = arch->syscalls[i].nr;
    if (sf_bpf_run(prog, n, arch, &d, NULL) != bad) return 1;
  }
  return 0;
}

static void add_arch(const sf_arch *a, const sf_arch **out, size_t *count, size_t max) {
  for (size_t j = 0; j < *count; j++)
    if (out[j] == a) return;
  if (*count < max) out[(*count)++] = a;
}

/* The architectures to report for a raw filter: FIRST, then each other
 * one whose AUDIT_ARCH the filter compares seccomp_data.arch with (and
 * that has a table), in program order; where ABIs share the value
 * (x86_64 and x32), each one the filter has a section for, the one whose
 * numbers start at 0 first.  Into OUT (at most MAX). */
static size_t blob_arches(const struct sock_filter *prog, size_t n,
                          const sf_arch *first, const sf_arch **out, size_t max) {
  uint32_t values[16];
  size_t nv = sf_listing_arch_values(prog, n, values, sizeof values / sizeof values[0]);
  size_t count = 0, n_all;
  const sf_arch *const *all = sf_arch_all(&n_all);
  out[count++] = first;
  for (size_t i = 0; i < nv; i++) {
    const sf_arch *a = sf_cli_arch_of_audit(values[i]);
    if (!a) continue;
    int shared = 0;
    for (size_t k = 0; k < n_all; k++)
      shared += all[k] != a && all[k]->audit_arch == a->audit_arch;
    if (!shared) {
      add_arch(a, out, &count, max);
      continue;
    }
    if (decides_abi(prog, n, a)) add_arch(a, out, &count, max);
    for (size_t k = 0; k < n_all; k++)
      if (all[k] != a && all[k]->audit_arch == a->audit_arch && decides_abi(prog, n, all[k]))
        add_arch(all[k], out, &count, max);
  }
  return count;
}

/* Decode RAW as a valid filter: in *ARCH's byte order, or without -a
 * (INFER) in the order of the architecture it checks first, which then
 * becomes *ARCH.  0 with *PROG malloc()ed, or -1 with the reason in WHY.
 * Policy text never decodes: its first two bytes, as an opcode, have bits
 * above the low byte. */
static int decode_blob(const unsigned char *raw, size_t len, const sf_arch **arch,
                       int infer, struct sock_filter **prog, size_t *n,
                       char *why, size_t why_size) {
  const sf_arch *found =
      infer ? sf_cli_decode_inferred(raw, len, (*arch)->big_endian, 1, prog, n) : NULL;
  if (found) {
    *arch = found;
    return 0;
  }
  return sf_blob_load(raw, len, (*arch)->big_endian, prog, n, why, why_size);
}

static int looks_like_blob(const unsigned char *raw, size_t len, const sf_arch *arch,
                           int infer) {
  struct sock_filter *prog = NULL;
  size_t n;
  char why[256];
  int ok = decode_blob(raw, len, &arch, infer, &prog, &n, why, sizeof why) == 0;
  free(prog);
  return ok;
}

static int stats_policy(const sf_cli_opts *o, const unsigned char *raw, size_t len) {
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(&sf_cmd_stats, "%s", strerror(ENOMEM));
  int rc = sf_cli_configure_options(&sf_cmd_stats, ctx, o);
  if (rc < 0 && strcmp(o->input, "-") == 0) {
    /* stdin is read already; the text may hold NULs (a lexer error). */
    FILE *f = len ? fmemopen((void *)raw, len, "r") : NULL;
    int st = f ? sysfence_set_input_file(ctx, "<stdin>", f)
               : sysfence_set_input_string(ctx, "<stdin>", len ? NULL : "");
    if (st != SYSFENCE_OK)
      rc = sf_cli_usage_error(&sf_cmd_stats, "cannot read input: %s", strerror(errno));
    if (f) fclose(f);
  } else if (rc < 0) {
    rc = sf_cli_configure(&sf_cmd_stats, ctx, o);
  }
  struct sock_fprog prog = {0};
  if (rc < 0) {
    int st = sysfence_compile(ctx, &prog);
    sf_cli_print_diags(ctx, o);
    rc = st == SYSFENCE_OK ? stats_targets(&prog, ctx)
         : st == SYSFENCE_EPOLICY ? EXIT_POLICY : EXIT_USAGE;
  }
  free(prog.filter);
  sysfence_free(ctx);
  return rc;
}

static int stats_blob(const sf_cli_opts *o, const sf_arch *arch,
                      const unsigned char *raw, size_t len) {
  struct sock_filter *prog = NULL;
  size_t n;
  char why[512];
  if (decode_blob(raw, len, &arch, !o->arch, &prog, &n, why, sizeof why) != 0) {
    fprintf(stderr, "%s: error: %s\n", o->input, why);
    return errno == ENOMEM ? EXIT_USAGE : EXIT_POLICY;
  }
  int rc;
  sysfence_ctx *ctx = o->profile ? sysfence_new() : NULL;
  char pwhy[512];
  if (o->profile && !ctx) {
    rc = sf_cli_usage_error(&sf_cmd_stats, "%s", strerror(ENOMEM));
  } else if (ctx && sysfence_set_profile(ctx, o->profile, pwhy, sizeof pwhy) !=
                        SYSFENCE_OK) {
    fprintf(stderr, "sysfence: %s\n", pwhy);
    rc = EXIT_USAGE;
  } else {
    const sf_arch *arches[16];
    size_t n_arches = blob_arches(prog, n, arch, arches, sizeof arches / sizeof arches[0]);
    rc = stats_of(prog, n, arches, n_arches, ctx);
  }
  sysfence_free(ctx);
  free(prog);
  return rc;
}

static int run_stats(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = stats_arch(cmd, &o);
  if (!arch) return EXIT_USAGE;
  unsigned char *raw;
  size_t len;
  rc = sf_cli_read(o.input, (size_t)64 << 20, &raw, &len);
  if (rc >= 0) return rc;
  int blob = o.kind == INPUT_BLOB ||
             (o.kind == INPUT_AUTO && looks_like_blob(raw, len, arch, !o.arch));
  /* A raw filter is measured for each architecture it checks, --arch's
   * first: a list is for a policy. */
  if (blob && strchr(o.arch ? o.arch : "", ',')) {
    free(raw);
    return sf_cli_usage_error(cmd, "a raw filter is measured for each architecture "
                              "it checks: give one --arch, reported first (a list is "
                              "for a policy)");
  }
  rc = blob ? stats_blob(&o, arch, raw, len) : stats_policy(&o, raw, len);
  free(raw);
  return rc;
}

const sf_command sf_cmd_stats = {
    "stats", "FILE",
    "path lengths of a raw filter or policy; the action cache",
    "Measure a raw filter, or a policy after compiling it: its length; the\n"
    "shortest, longest and mean path over the architecture's syscalls; the\n"
    "worst path over argument probes; and what the kernel's action cache\n"
    "(Linux 5.11+) always allows without running the filter.  A filter for\n"
    "several architectures gets a report per architecture: -a's (without\n"
    "-a, the one it checks first), then each other AUDIT_ARCH it compares\n"
    "seccomp_data.arch with (x86_64 and x32, which share one, each where it\n"
    "has a section); a policy compiled for several targets\n"
    "(--arch x86_64,i386,x32), one per target.  The cache line names the\n"
    "kernel's bitmap: native (x86_64, aarch64) or compat (i386, arm).",
    "aIDBUORPLNck" SF_DIAG_OPTS "hV", "target architecture (a comma list of targets for a policy)", 1, 0, 0, run_stats, NULL, 0};
