/* options.c - options shared by the sysfence commands (see options.h). */
#include "cli/options.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

int sf_cli_set_options(sysfence_ctx *ctx, const char *bad_arch,
                       const char *const *includes, size_t n_includes,
                       char *why, size_t why_size) {
  if (bad_arch) {
    uint32_t action;
    if (sysfence_parse_action(bad_arch, &action) != 0) {
      snprintf(why, why_size, "invalid --bad-arch action '%s'", bad_arch);
      return -1;
    }
    sysfence_set_bad_arch_action(ctx, action);
  }
  for (size_t i = 0; i < n_includes; i++)
    if (sysfence_add_include_path(ctx, includes[i]) != SYSFENCE_OK) {
      snprintf(why, why_size, "%s", strerror(errno));
      return -1;
    }
  return 0;
}

int sf_cli_set_input(sysfence_ctx *ctx, const char *path, char *why,
                     size_t why_size) {
  int rc;
  if (strcmp(path, "-") == 0) {
    rc = sysfence_set_input_file(ctx, "<stdin>", stdin);
  } else {
    FILE *f = fopen(path, "r");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
      fclose(f);
      f = NULL;
      errno = EISDIR;
    }
    if (!f) {
      snprintf(why, why_size, "cannot read '%s': %s", path, strerror(errno));
      return -1;
    }
    fclose(f);
    rc = sysfence_set_input_path(ctx, path);
  }
  if (rc != SYSFENCE_OK) {
    snprintf(why, why_size, "cannot read input: %s", strerror(errno));
    return -1;
  }
  return 0;
}

int sf_cli_define(sysfence_ctx *ctx, const char *arg, char *why, size_t why_size) {
  /* gcc's convention: -D NAME is NAME=1. */
  const char *eq = strchr(arg, '=');
  size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
  char *name = malloc(n + 1);
  if (!name) {
    snprintf(why, why_size, "%s", strerror(ENOMEM));
    return -1;
  }
  memcpy(name, arg, n);
  name[n] = '\0';
  int rc = sysfence_define(ctx, name, eq ? eq + 1 : "1");
  if (rc == SYSFENCE_EUSAGE)
    snprintf(why, why_size, "-D '%s': expected NAME=VALUE, NAME an identifier and "
             "VALUE a number (decimal, 0x hex, 0b binary, 0 octal, '-' allowed)", arg);
  else if (rc != SYSFENCE_OK)
    snprintf(why, why_size, "%s", strerror(errno));
  free(name);
  return rc == SYSFENCE_OK ? 0 : -1;
}
