/* convert-from.c - 'sysfence convert --from systemd' and '--from nsjail'
 * (see cmd-convert.c): reading the inputs, writing the policy atomically. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/context.h"
#include "base/file.h"
#include "base/load.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/systemd.h"

static int write_policy(const sf_command *cmd, const char *path, const char *text,
                        size_t len) {
  (void)cmd;
  int err = sf_cli_write_text(path ? path : "-", text, len);
  if (err == 0) return EXIT_OK;
  fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", path ? path : "-",
          strerror(err));
  return EXIT_USAGE;
}

/* An argument with '=' is a setting; any other is a file of them. */
static int read_systemd_inputs(const sf_cli_opts *o, sf_systemd_text *texts,
                               char **bufs, char *names) {
  for (size_t i = 0; i < o->n_calls; i++) {
    const char *arg = o->calls[i];
    if (strchr(arg, '=')) {
      snprintf(names + 32 * i, 32, "<argument %zu>", i + 1);
      texts[i] = (sf_systemd_text){names + 32 * i, arg};
      continue;
    }
    unsigned char *data;
    size_t len;
    int rc = sf_cli_read(arg, SF_MAX_SOURCE_SIZE, &data, &len);
    if (rc >= 0) return rc;
    bufs[i] = (char *)data;
    texts[i] = (sf_systemd_text){strcmp(arg, "-") == 0 ? "<stdin>" : arg, bufs[i]};
  }
  return -1;
}

static int convert_systemd(const sf_command *cmd, const sf_cli_opts *o) {
  const char *native = o->arch ? o->arch : sysfence_host_arch();
  if (!native || sysfence_syscall_number(native, "read") < 0)
    return sf_cli_usage_error(cmd, "unknown architecture '%s' (one name; see "
                              "'sysfence arches')", native ? native : "(none)");
  size_t n = o->n_calls;
  sf_systemd_text *texts = calloc(n, sizeof *texts);
  char **bufs = calloc(n, sizeof *bufs), *names = calloc(n, 32);
  char *out = NULL;
  size_t out_len = 0;
  FILE *mem = texts && bufs && names ? open_memstream(&out, &out_len) : NULL;
  int rc = mem ? read_systemd_inputs(o, texts, bufs, names) : EXIT_USAGE;
  if (rc < 0) {
    int st = sf_systemd_convert(texts, n, native, mem, stderr);
    rc = st == 0 ? -1 : st > 0 ? EXIT_POLICY : EXIT_USAGE;
  }
  if (mem) fclose(mem);
  if (rc < 0) rc = write_policy(cmd, o->output, out, out_len);
  for (size_t i = 0; bufs && i < n; i++) free(bufs[i]);
  free(out), free(texts), free(bufs), free(names);
  return rc;
}

/* The policy nsjail compiles for the config: what the library reads from
 * it (base/nsjail.c). */
static int convert_nsjail(const sf_command *cmd, const sf_cli_opts *o) {
  if (o->n_calls != 1)
    return sf_cli_usage_error(cmd, "%s", "--from nsjail takes one config file");
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  char why[512];
  int rc = EXIT_USAGE;
  if (sf_cli_set_input(ctx, o->calls[0], why, sizeof why) != 0) {
    rc = sf_cli_usage_error(cmd, "%s", why);
  } else {
    sysfence_set_input_kind(ctx, SYSFENCE_INPUT_NSJAIL);
    const sf_source *src = sf_ctx_reset(ctx) == 0 ? sf_load_main_source(ctx) : NULL;
    fputs(sysfence_diag_text(ctx), stderr);
    rc = src ? write_policy(cmd, o->output, src->text, src->len) : EXIT_POLICY;
  }
  sysfence_free(ctx);
  return rc;
}

int sf_cli_convert_from(const sf_command *cmd, const sf_cli_opts *o) {
  if (strcmp(o->from, "systemd") == 0) return convert_systemd(cmd, o);
  if (strcmp(o->from, "nsjail") == 0) return convert_nsjail(cmd, o);
  return sf_cli_usage_error(cmd, "unknown --from '%s' (expected systemd or nsjail)",
                            o->from);
}
