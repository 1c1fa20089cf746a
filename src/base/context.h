/* context.h - the compilation context (private layout of sysfence_ctx). */
#ifndef SF_CONTEXT_H
#define SF_CONTEXT_H

#include <stdint.h>

#include "base/arena.h"
#include "base/source.h"
#include "sysfence.h"

struct sf_arch;

/* Most architectures one filter serves (one kernel runs at most three ABIs). */
enum { SF_MAX_TARGETS = 4 };

/* A recorded diagnostic; the public part plus where it points. */
typedef struct sf_diag {
  sysfence_diag pub;
  sf_loc loc;
} sf_diag;

struct sysfence_ctx {
  /* Options (survive across compilations; malloc()ed). */
  char *input_name;
  char *input_text;
  size_t input_len;
  char *input_path; /* set instead of input_text when reading from a path */
  char **include_dirs;
  size_t n_include_dirs;
  const struct sf_arch *arch; /* the native target, arches[0]; during a
                                 resolution, the target being resolved */
  /* Every target of the filter, the native one first (--arch LIST). */
  const struct sf_arch *arches[SF_MAX_TARGETS];
  size_t n_arches;
  int arches_explicit; /* sysfence_set_arches was called: an OCI profile's
                          architectures do not replace them */
  int input_kind;      /* sysfence_input_kind */
  /* OCI profiles: the capabilities held (includes/excludes.caps;
   * malloc()ed) and the kernel version for minKernel (kernel_set 0: the
   * running kernel's). */
  char **caps;
  size_t n_caps;
  int kernel_set;
  unsigned kernel_major, kernel_minor;
  uint32_t bad_arch_action;
  int has_unknown;         /* --unknown: numbers no syscall of the table has */
  uint32_t unknown_action;
  int opt_level; /* 0: straightforward code, >= 1: optimized (default 1) */
  int warnings_mode;   /* SYSFENCE_WARNINGS_* */
  size_t max_errors;   /* errors kept (SIZE_MAX: no limit) */
  /* Syscall frequency profile (sysfence_set_weights): names sorted by
   * strcmp, no duplicates; n_profile 0: uniform weights. */
  char **profile_names;
  uint64_t *profile_counts;
  size_t n_profile;
  /* Run-time constants (-D, sysfence_define; defines.h), malloc()ed. */
  struct sf_define *defines;
  size_t n_defines;

  /* State of the current/last compilation; all of it in `arena`. */
  sf_arena *arena;
  sf_diag *diags; /* malloc()ed array */
  size_t n_diags, cap_diags;
  size_t n_errors, n_warnings;
  char *diag_text; /* malloc()ed cache for sysfence_diag_text */
  int out_of_memory;
  int dropping_notes; /* the last error/warning was over its cap */
  /* Resolving a policy for each target: an error or warning made again for
   * another target is dropped; one only another target makes says which
   * (in_target: that target's name; NULL for the native one). */
  int dedupe;
  const char *in_target;
  /* The input is an OCI profile: libseccomp's semantics, which derive no
   * twins and multiplex as the front end spells out (front/oci.c), so
   * sf_derive does not run. */
  int no_derive;
};

/* Start a new compilation: drop the previous one's arena and diagnostics. */
int sf_ctx_reset(struct sysfence_ctx *ctx);
/* Arena allocation that records out-of-memory in the context. */
void *sf_alloc(struct sysfence_ctx *ctx, size_t size);
/* Not zeroed (sf_arena_alloc_raw): for tables written before read. */
void *sf_alloc_raw(struct sysfence_ctx *ctx, size_t size);
char *sf_strdup(struct sysfence_ctx *ctx, const char *s);
/* The profile's count for syscall NAME; -1 if there is no profile, 0 if
 * NAME is not in it. */
int64_t sf_profile_count(const struct sysfence_ctx *ctx, const char *name);
/* Parse and resolve the context's input (api.c: the front end of every
 * compilation), keeping the syntax tree in *FILE for its constants: the
 * native target's rule set (every target is resolved, for the rules
 * derived from the others').  NULL on errors (diagnostics recorded in the
 * context). */
struct ast_file;
struct sf_ruleset;
const struct sf_ruleset *sf_front_end_tree(struct sysfence_ctx *ctx,
                                           const struct ast_file **file);
/* The same for every target (ctx->arches): RULESETS[i] for arches[i];
 * returns how many (ctx->n_arches), or 0 on errors. */
/* Is SYSFENCE_DERIVE defined 0 at run time (-D SYSFENCE_DERIVE=0,
 * sysfence_define)?  Then no rules are derived (sema/derive.c) and an OCI
 * profile gets libseccomp's multiplexed rules instead (api.c). */
int sf_derive_defined_off(const struct sysfence_ctx *ctx);
size_t sf_front_end_targets(struct sysfence_ctx *ctx, const struct ast_file **file,
                            const struct sf_ruleset **rulesets);
/* Drop the profile (profile.c). */
void sf_profile_clear(struct sysfence_ctx *ctx);

#endif
