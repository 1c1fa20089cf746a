/* api.c - the public API: contexts, options, the compile driver (parse ->
 * resolve -> codegen -> validate) and output. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bpf/bpf.h"
#include "codegen/program.h"
#include "config.h"
#include "base/context.h"
#include "sema/defines.h"
#include "base/diag.h"
#include "base/file.h"
#include "sema/derive.h"
#include "bpf/blob.h"
#include "bpf/listing.h"
#include "bpf/cheader.h"
#include "bpf/action.h"
#include "front/oci.h"
#include "front/parse.h"
#include "sema/ruleset.h"
#include "sysfence.h"

const char *sysfence_version(void) { return PACKAGE_VERSION; }

sysfence_ctx *sysfence_new(void) {
  sysfence_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  ctx->arch = sf_arch_host();
  ctx->arches[0] = ctx->arch;
  ctx->n_arches = ctx->arch ? 1 : 0;
  ctx->bad_arch_action = SF_RET_KILL_PROCESS;
  ctx->opt_level = 1;
  ctx->max_errors = SF_MAX_ERRORS;
  if (sf_ctx_reset(ctx) != 0 || sysfence_set_caps(ctx, "docker", NULL, 0) != SYSFENCE_OK) {
    sysfence_free(ctx);
    return NULL;
  }
  return ctx;
}

static void clear_input(sysfence_ctx *ctx) {
  free(ctx->input_name);
  free(ctx->input_text);
  free(ctx->input_path);
  ctx->input_name = ctx->input_text = ctx->input_path = NULL;
  ctx->input_len = 0;
}

static void clear_caps(sysfence_ctx *ctx) {
  for (size_t i = 0; i < ctx->n_caps; i++) free(ctx->caps[i]);
  free(ctx->caps);
  ctx->caps = NULL;
  ctx->n_caps = 0;
}

void sysfence_free(sysfence_ctx *ctx) {
  if (!ctx) return;
  clear_input(ctx);
  for (size_t i = 0; i < ctx->n_include_dirs; i++) free(ctx->include_dirs[i]);
  free(ctx->include_dirs);
  sf_profile_clear(ctx);
  sf_defines_clear(ctx);
  clear_caps(ctx);
  sf_arena_free(ctx->arena);
  free(ctx->diags);
  free(ctx->diag_text);
  free(ctx);
}

/* ---- input and options -------------------------------------------------- */

static int set_text(sysfence_ctx *ctx, const char *name, const char *text,
                    size_t len) {
  char *n = strdup(name ? name : "<string>");
  char *t = malloc(len + 1);
  if (!n || !t) {
    free(n);
    free(t);
    return SYSFENCE_ESYSTEM;
  }
  memcpy(t, text, len);
  t[len] = '\0';
  clear_input(ctx);
  ctx->input_name = n;
  ctx->input_text = t;
  ctx->input_len = len;
  return SYSFENCE_OK;
}

int sysfence_set_input_string(sysfence_ctx *ctx, const char *name,
                              const char *text) {
  if (!ctx || !text) return SYSFENCE_EUSAGE;
  return set_text(ctx, name, text, strlen(text));
}

int sysfence_set_input_path(sysfence_ctx *ctx, const char *path) {
  if (!ctx || !path) return SYSFENCE_EUSAGE;
  char *p = strdup(path);
  if (!p) return SYSFENCE_ESYSTEM;
  clear_input(ctx);
  ctx->input_path = p;
  return SYSFENCE_OK;
}

int sysfence_set_input_file(sysfence_ctx *ctx, const char *name, FILE *f) {
  if (!ctx || !f) return SYSFENCE_EUSAGE;
  sf_input in;
  int err = sf_read_stream(f, SF_MAX_SOURCE_SIZE, NULL, &in);
  if (!err && in.more) {
    free(in.data);
    err = EFBIG;
  }
  if (err) {
    errno = err;
    return SYSFENCE_ESYSTEM;
  }
  int rc = set_text(ctx, name, in.data, in.len);
  free(in.data);
  return rc;
}

int sysfence_add_include_path(sysfence_ctx *ctx, const char *dir) {
  if (!ctx || !dir) return SYSFENCE_EUSAGE;
  char **dirs = realloc(ctx->include_dirs,
                        (ctx->n_include_dirs + 1) * sizeof *dirs);
  if (!dirs) return SYSFENCE_ESYSTEM;
  ctx->include_dirs = dirs;
  if (!(dirs[ctx->n_include_dirs] = strdup(dir))) return SYSFENCE_ESYSTEM;
  ctx->n_include_dirs++;
  return SYSFENCE_OK;
}

/* One name of a comma-separated list (LIST[0..N)) into OUT; 0, or -1
 * with the reason in WHY. */
static int list_member(const char *list, size_t n, const sf_arch **out, char *why,
                       size_t why_size) {
  char name[32];
  if (n == 0 || n >= sizeof name) {
    snprintf(why, why_size, "'%.*s' is not an architecture name", (int)n, list);
    return -1;
  }
  memcpy(name, list, n);
  name[n] = '\0';
  *out = sf_arch_by_name(name);
  if (*out) return 0;
  snprintf(why, why_size, "unknown architecture '%s' (see 'sysfence arches')", name);
  return -1;
}

/* Parse LIST ("x86_64,i386,x32") into ARCHES: every name known, none
 * twice, all run by one kernel. */
static int parse_arch_list(const char *list, const sf_arch **arches, size_t *n,
                           char *why, size_t why_size) {
  *n = 0;
  for (const char *p = list;; p++) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const sf_arch *a;
    if (list_member(p, len, &a, why, why_size) != 0) return -1;
    for (size_t i = 0; i < *n; i++) {
      if (arches[i] == a) {
        snprintf(why, why_size, "architecture '%s' is listed twice", a->name);
        return -1;
      }
      if (!sf_arch_run_together(arches[i], a)) {
        snprintf(why, why_size, "%s and %s cannot share a filter: no kernel runs "
                 "both (see 'sysfence arches')", arches[i]->name, a->name);
        return -1;
      }
    }
    if (*n == SF_MAX_TARGETS) {
      snprintf(why, why_size, "at most %d architectures", SF_MAX_TARGETS);
      return -1;
    }
    arches[(*n)++] = a;
    if (!end) return 0;
    p = end;
  }
}

int sysfence_set_arches(sysfence_ctx *ctx, const char *list, char *why,
                        size_t why_size) {
  char scratch[160];
  if (!why) {
    why = scratch;
    why_size = sizeof scratch;
  }
  if (!ctx || !list) {
    snprintf(why, why_size, "no architecture given");
    return SYSFENCE_EUSAGE;
  }
  const sf_arch *arches[SF_MAX_TARGETS];
  size_t n;
  if (parse_arch_list(list, arches, &n, why, why_size) != 0) return SYSFENCE_EUSAGE;
  memcpy(ctx->arches, arches, n * sizeof arches[0]);
  ctx->n_arches = n;
  ctx->arches_explicit = 1;
  ctx->arch = arches[0];
  return SYSFENCE_OK;
}

int sysfence_set_arch(sysfence_ctx *ctx, const char *name) {
  return sysfence_set_arches(ctx, name, NULL, 0);
}

size_t sysfence_get_arches(const sysfence_ctx *ctx, const char **names, size_t max) {
  if (!ctx) return 0;
  for (size_t i = 0; i < ctx->n_arches && i < max; i++) names[i] = ctx->arches[i]->name;
  return ctx->n_arches;
}

const char *sysfence_get_arch(const sysfence_ctx *ctx) {
  return ctx && ctx->arch ? ctx->arch->name : NULL;
}

int sysfence_set_bad_arch_action(sysfence_ctx *ctx, uint32_t action) {
  if (!ctx) return SYSFENCE_EUSAGE;
  ctx->bad_arch_action = action;
  return SYSFENCE_OK;
}

int sysfence_set_unknown_action(sysfence_ctx *ctx, int enable, uint32_t action) {
  if (!ctx) return SYSFENCE_EUSAGE;
  ctx->has_unknown = enable != 0;
  ctx->unknown_action = action;
  return SYSFENCE_OK;
}

int sysfence_set_opt_level(sysfence_ctx *ctx, int level) {
  if (!ctx || level < 0) return SYSFENCE_EUSAGE;
  ctx->opt_level = level;
  return SYSFENCE_OK;
}

int sysfence_set_warnings(sysfence_ctx *ctx, int mode) {
  if (!ctx || mode < SYSFENCE_WARNINGS_SHOW || mode > SYSFENCE_WARNINGS_AS_ERRORS)
    return SYSFENCE_EUSAGE;
  ctx->warnings_mode = mode;
  return SYSFENCE_OK;
}

int sysfence_set_max_errors(sysfence_ctx *ctx, size_t n) {
  if (!ctx) return SYSFENCE_EUSAGE;
  ctx->max_errors = n ? n : SIZE_MAX;
  return SYSFENCE_OK;
}

int sysfence_set_input_kind(sysfence_ctx *ctx, sysfence_input_kind kind) {
  if (!ctx || kind < SYSFENCE_INPUT_AUTO || kind > SYSFENCE_INPUT_NSJAIL) return SYSFENCE_EUSAGE;
  ctx->input_kind = kind;
  return SYSFENCE_OK;
}

/* One capability name of a comma list: CAP_ and capitals, digits, '_'. */
static int cap_name_ok(const char *s, size_t n) {
  if (n < 5 || strncmp(s, "CAP_", 4) != 0) return 0;
  for (size_t i = 4; i < n; i++)
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return 0;
  return 1;
}

/* Replace the context's capabilities with NAMES[0..N) (lengths LENS). */
static int store_caps(sysfence_ctx *ctx, const char *const *names, const size_t *lens,
                      size_t n) {
  char **caps = calloc(n ? n : 1, sizeof *caps);
  for (size_t i = 0; caps && i < n; i++)
    if (!(caps[i] = strndup(names[i], lens[i]))) {
      for (size_t j = 0; j < i; j++) free(caps[j]);
      free(caps);
      caps = NULL;
    }
  if (!caps) return SYSFENCE_ESYSTEM;
  clear_caps(ctx);
  ctx->caps = caps;
  ctx->n_caps = n;
  return SYSFENCE_OK;
}

int sysfence_set_caps(sysfence_ctx *ctx, const char *list, char *why, size_t why_size) {
  char scratch[160];
  if (!why) why = scratch, why_size = sizeof scratch;
  if (!ctx || !list) return SYSFENCE_EUSAGE;
  const char *names[64];
  size_t lens[64], n = 0;
  const char *const *preset = sf_oci_caps_preset(list);
  for (; preset && preset[n]; n++) names[n] = preset[n], lens[n] = strlen(preset[n]);
  for (const char *p = list; !preset;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (!cap_name_ok(p, len) || n == 64) {
      snprintf(why, why_size, n == 64 ? "more than 64 capabilities" :
               "'%.*s' is not a capability (CAP_...), nor docker, podman or none",
               (int)len, p);
      return SYSFENCE_EUSAGE;
    }
    names[n] = p, lens[n++] = len;
    if (!end) break;
    p = end + 1;
  }
  return store_caps(ctx, names, lens, n);
}

int sysfence_set_kernel(sysfence_ctx *ctx, const char *version) {
  if (!ctx) return SYSFENCE_EUSAGE;
  unsigned major, minor;
  if (!version) {
    ctx->kernel_set = 0;
    return SYSFENCE_OK;
  }
  int used = 0;
  if (sscanf(version, "%u.%u%n", &major, &minor, &used) != 2 ||
      (version[used] && version[used] != '.' && version[used] != '-'))
    return SYSFENCE_EUSAGE;
  ctx->kernel_set = 1;
  ctx->kernel_major = major;
  ctx->kernel_minor = minor;
  return SYSFENCE_OK;
}

int sysfence_parse_action(const char *text, uint32_t *action) {
  return sf_action_parse(text, action);
}

/* ---- compiling ---------------------------------------------------------- */

static int is_oci(const sysfence_ctx *ctx, const sf_source *src) {
  if (ctx->input_kind != SYSFENCE_INPUT_AUTO) return ctx->input_kind == SYSFENCE_INPUT_OCI;
  return sf_oci_detect(src->text, src->len);
}

static ast_file *oci_tree(sysfence_ctx *ctx, const sf_source *src) {
  const sf_oci_profile *p = sf_oci_read(ctx, src);
  ctx->arch = ctx->arches[0];
  return p ? sf_oci_tree(ctx, p) : NULL;
}

int sf_derive_defined_off(const sysfence_ctx *ctx) {
  const sf_define *d = sf_define_find(ctx, "SYSFENCE_DERIVE");
  return d && d->value == 0;
}

/* '#define SYSFENCE_DERIVE 0': the policy spells out the rules sf_derive
 * would add (convert --to policy writes it for an OCI profile converted
 * with -D SYSFENCE_DERIVE=0, whose semantics are libseccomp's). */
static int derive_off(const ast_file *tree) {
  for (const ast_top *t = tree->items; t; t = t->next)
    if (t->kind == AST_TOP_DEFINE && strcmp(t->name.name, "SYSFENCE_DERIVE") == 0)
      return t->value == 0;
  return 0;
}

/* Parse, and resolve for the native target. */
static const sf_ruleset *front_end_native(sysfence_ctx *ctx, const ast_file **file) {
  *file = NULL;
  if (sf_ctx_reset(ctx) != 0) return NULL;
  /* An OCI profile's architectures join the native target unless
   * --arch chose the targets: each compilation starts from the native. */
  if (!ctx->arches_explicit) ctx->n_arches = ctx->arches[0] ? 1 : 0;
  ctx->no_derive = sf_derive_defined_off(ctx);
  const sf_source *src = sf_load_main_source(ctx);
  if (!src) return NULL;
  ast_file *tree = is_oci(ctx, src) ? oci_tree(ctx, src) : sf_parse(ctx, src);
  if (tree && derive_off(tree)) ctx->no_derive = 1;
  if (!tree || ctx->n_errors) return NULL;
  *file = tree;
  return sf_resolve(ctx, tree);
}

size_t sf_front_end_targets(sysfence_ctx *ctx, const ast_file **file,
                            const sf_ruleset **rulesets) {
  const sf_ruleset *native = front_end_native(ctx, file);
  if (!native) return 0;
  rulesets[0] = native;
  /* The other targets: the same tree, resolved against their tables. */
  ctx->dedupe = 1;
  size_t n = 1;
  for (size_t i = 1; i < ctx->n_arches; i++) {
    ctx->arch = ctx->arches[i];
    ctx->in_target = ctx->arch->name;
    rulesets[n] = sf_resolve(ctx, *file);
    if (rulesets[n]) n++;
  }
  if (n != ctx->n_arches || ctx->n_errors) n = 0;
  /* Twins and multiplexed calls: rules each target gets from the others'. */
  for (size_t i = 0; i < n && !ctx->no_derive; i++) {
    ctx->arch = ctx->arches[i];
    ctx->in_target = i ? ctx->arch->name : NULL;
    if (sf_derive(ctx, rulesets, n, i) != 0) n = 0;
  }
  ctx->arch = ctx->arches[0];
  ctx->in_target = NULL;
  ctx->dedupe = 0;
  return n;
}

const sf_ruleset *sf_front_end_tree(sysfence_ctx *ctx, const ast_file **file) {
  const sf_ruleset *rs[SF_MAX_TARGETS];
  return sf_front_end_targets(ctx, file, rs) ? rs[0] : NULL;
}

static size_t front_end(sysfence_ctx *ctx, const sf_ruleset **rulesets) {
  const ast_file *tree;
  return sf_front_end_targets(ctx, &tree, rulesets);
}

static int status(const sysfence_ctx *ctx) {
  if (ctx->out_of_memory) return SYSFENCE_ESYSTEM;
  return ctx->n_errors ? SYSFENCE_EPOLICY : SYSFENCE_OK;
}

int sysfence_check(sysfence_ctx *ctx) {
  if (!ctx) return SYSFENCE_EUSAGE;
  const sf_ruleset *rs[SF_MAX_TARGETS];
  if (!front_end(ctx, rs) && !ctx->n_errors && !ctx->out_of_memory)
    ctx->n_errors++; /* defensive: a stage failed without saying why */
  return status(ctx);
}

int sysfence_compile(sysfence_ctx *ctx, struct sock_fprog *prog) {
  if (!ctx || !prog) return SYSFENCE_EUSAGE;
  memset(prog, 0, sizeof *prog);
  const sf_ruleset *rs[SF_MAX_TARGETS];
  size_t n = front_end(ctx, rs);
  if (!n) return ctx->n_errors || ctx->out_of_memory ? status(ctx) : SYSFENCE_EPOLICY;
  struct sock_filter *insns = NULL;
  size_t len = 0;
  if (sf_codegen_targets(ctx, rs, n, &insns, &len) != 0) {
    free(insns);
    return status(ctx) == SYSFENCE_OK ? SYSFENCE_EPOLICY : status(ctx);
  }
  if (ctx->n_errors) { /* a code generator's warning under -Werror */
    free(insns);
    return status(ctx);
  }
  /* Nothing leaves the compiler without passing the kernel's rules. */
  char why[256];
  if (sf_bpf_validate(insns, len, why, sizeof why) != 0) {
    sf_error(ctx, (sf_loc){0}, "internal error: generated program is invalid: %s",
             why);
    free(insns);
    return SYSFENCE_EPOLICY;
  }
  prog->filter = insns;
  prog->len = (unsigned short)len;
  return SYSFENCE_OK;
}

int sysfence_validate(const struct sock_fprog *prog, char *why,
                      size_t why_size) {
  if (!prog) return -1;
  return sf_bpf_validate(prog->filter, prog->len, why, why_size);
}

/* ---- output ------------------------------------------------------------- */

int sysfence_emit(const sysfence_ctx *ctx, const struct sock_fprog *prog,
                  sysfence_format format, const char *name, FILE *out) {
  if (!ctx || !prog || !out) return SYSFENCE_EUSAGE;
  if (format == SYSFENCE_FORMAT_C && name && sf_c_name_problem(name))
    return SYSFENCE_EUSAGE; /* the header would not compile */
  const sf_arch *arch = ctx->arch;
  /* Each section's syscalls are named from its target's table. */
  sf_names names = {arch, ctx->arches, ctx->n_arches};
  if (!ctx->n_arches) names = (sf_names){arch, &arch, 1};
  int rc;
  switch (format) {
  case SYSFENCE_FORMAT_BPF: rc = sf_write_blob(prog->filter, prog->len, arch, out); break;
  case SYSFENCE_FORMAT_C:
    rc = sf_write_c_names(prog->filter, prog->len, &names,
                          name ? name : "sysfence_filter", out);
    break;
  case SYSFENCE_FORMAT_ASM: rc = sf_write_asm_names(prog->filter, prog->len, &names, out); break;
  default: return SYSFENCE_EUSAGE;
  }
  return rc == 0 && !ferror(out) ? SYSFENCE_OK : SYSFENCE_ESYSTEM;
}

typedef struct emit_args {
  const sysfence_ctx *ctx;
  const struct sock_fprog *prog;
  sysfence_format format;
  const char *name;
} emit_args;

static int emit_to(void *arg, FILE *out) {
  const emit_args *e = arg;
  return sysfence_emit(e->ctx, e->prog, e->format, e->name, out) == SYSFENCE_OK ? 0 : -1;
}

/* Atomically (sf_write_atomic): PATH is either the old file or the
 * complete new one, never half-written. */
int sysfence_write_file(const sysfence_ctx *ctx, const struct sock_fprog *prog,
                        sysfence_format format, const char *name,
                        const char *path) {
  if (!ctx || !prog || !path || (unsigned)format > SYSFENCE_FORMAT_ASM)
    return SYSFENCE_EUSAGE;
  if (format == SYSFENCE_FORMAT_C && name && sf_c_name_problem(name))
    return SYSFENCE_EUSAGE; /* nothing is written */
  emit_args e = {ctx, prog, format, name};
  return sf_write_atomic(path, emit_to, &e) == 0 ? SYSFENCE_OK : SYSFENCE_ESYSTEM;
}

/* ---- tables ------------------------------------------------------------- */

const char *sysfence_host_arch(void) {
  const sf_arch *a = sf_arch_host();
  return a ? a->name : NULL;
}

size_t sysfence_arch_names(const char **names, size_t max) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  for (size_t i = 0; i < n && i < max; i++) names[i] = all[i]->name;
  return n;
}

long sysfence_syscall_number(const char *arch, const char *name) {
  const sf_arch *a = arch ? sf_arch_by_name(arch) : NULL;
  const sf_syscall *s = a && name ? sf_syscall_by_name(a, name) : NULL;
  return s ? (long)s->nr : -1;
}

const char *sysfence_syscall_name(const char *arch, uint32_t nr) {
  const sf_arch *a = arch ? sf_arch_by_name(arch) : NULL;
  const sf_syscall *s = a ? sf_syscall_by_nr(a, nr) : NULL;
  return s ? s->name : NULL;
}
