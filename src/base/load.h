/* load.h - loading policy sources: the context's input and #include
 * files (the lexer splices the latter in). */
#ifndef SF_LOAD_H
#define SF_LOAD_H

#include <stddef.h>

#include "base/source.h"

struct sysfence_ctx;

/* Maximum #include nesting (a clear error beyond). */
enum { SF_MAX_INCLUDE_DEPTH = 16 };
/* Largest policy file read (a sanity bound: /dev/zero never ends). */
#define SF_MAX_SOURCE_SIZE ((size_t)128 << 20)

/* Load the context's input (string or path) as the main source.  NULL on
 * failure (diagnostic recorded). */
const sf_source *sf_load_main_source(struct sysfence_ctx *ctx);
/* The installed policy library ($(datadir)/sysfence, fixed by configure;
 * the environment's SYSFENCE_POLICY_DIR instead when set, none when that
 * is empty), or NULL. */
const char *sf_policy_library_dir(void);
/* Load a file for #include NAME written at LOC, searching the including
 * file's folder, then the include paths (-I), then the policy library.  NULL on failure (diagnostic
 * recorded, with a hint listing where it looked). */
const sf_source *sf_load_include(struct sysfence_ctx *ctx, const char *name,
                                 sf_loc loc);

#endif
