/* cmd-convert.c - 'sysfence convert FILE --to FORMAT': a profile or policy
 * in another input language.  One function per target format, chosen by
 * --to. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/context.h"
#include "base/load.h"
#include "cli/options.h"
#include "front/oci.h"

/* Write what WRITE puts to a stream to PATH atomically ('-': stdout). */
typedef int (*write_fn)(const void *what, const sysfence_ctx *ctx, const char *from, FILE *out);

static int write_atomically(const char *path, write_fn write, const void *what,
                            const sysfence_ctx *ctx, const char *from) {
  if (strcmp(path, "-") == 0) return write(what, ctx, from, stdout) || fflush(stdout) ? -1 : 0;
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) return -1;
  snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  mode_t mask = umask(0);
  umask(mask);
  int rc = f ? write(what, ctx, from, f) : -1;
  if (rc == 0 && (fflush(f) != 0 || fsync(fd) != 0 || fchmod(fd, 0666 & ~mask) != 0)) rc = -1;
  if (f ? fclose(f) != 0 : (fd >= 0 && close(fd) != 0)) rc = -1;
  if (rc == 0 && rename(tmp, path) != 0) rc = -1;
  if (rc != 0 && fd >= 0) {
    int saved = errno;
    unlink(tmp);
    errno = saved;
  }
  free(tmp);
  return rc;
}

/* ---- --to policy: an OCI profile as a policy (front/oci-policy.c) -------------- */

static int write_policy(const void *what, const sysfence_ctx *ctx, const char *from, FILE *out) {
  return sf_oci_write_policy(what, ctx, from, out);
}

static int to_policy(const sf_command *cmd, sysfence_ctx *ctx, const sf_cli_opts *o) {
  (void)cmd;
  const sf_oci_profile *p = NULL;
  if (sf_ctx_reset(ctx) == 0) {
    const sf_source *src = sf_load_main_source(ctx);
    if (src) p = sf_oci_read(ctx, src);
  }
  fputs(sysfence_diag_text(ctx), stderr);
  if (!p) return sysfence_error_count(ctx) ? EXIT_POLICY : EXIT_USAGE;
  const char *out = o->output ? o->output : "-";
  if (write_atomically(out, write_policy, p, ctx, o->input) != 0) {
    fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", out, strerror(errno));
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

/* ---- the command ----------------------------------------------------------------- */

static int run_convert(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  if (!o.to) return sf_cli_usage_error(cmd, "%s", "missing --to FORMAT (policy)");
  if (strcmp(o.to, "policy") != 0)
    return sf_cli_usage_error(cmd, "unknown --to format '%s' (expected policy)", o.to);
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  rc = sf_cli_configure(cmd, ctx, &o);
  if (rc < 0) rc = to_policy(cmd, ctx, &o);
  sysfence_free(ctx);
  return rc;
}

const sf_command sf_cmd_convert = {
    "convert", "FILE",
    "convert an OCI seccomp profile into a policy",
    "Convert FILE ('-' reads stdin) into another language, written to -o\n"
    "atomically (default stdout).  --to policy: FILE is an OCI (Docker,\n"
    "podman) seccomp profile; the policy keeps its comments, names known\n"
    "constants, lists what runc leaves out and why, and compiles to the\n"
    "filter the profile compiles to for the same --arch, --caps and --kernel.",
    "oackxhV", "the native architecture (default: the host, and the profile's "
    "sub-architectures of it)", 1, 0, 0, run_convert,
    "\nExit status: 0 success, 1 errors in the profile, 2 usage or I/O error.\n", 0};
