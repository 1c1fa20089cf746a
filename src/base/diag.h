/* diag.h - collecting diagnostics (errors, warnings, notes). */
#ifndef SF_DIAG_H
#define SF_DIAG_H

#include <stddef.h>

#include "base/source.h"
#include "sysfence.h"

struct sysfence_ctx;

/* Stop collecting errors after this many: later ones are usually noise. */
enum { SF_MAX_ERRORS = 20 };
/* Keep at most this many warnings: a generated policy can draw thousands,
 * and formatting each would cost more than compiling. */
enum { SF_MAX_WARNINGS = 100 };

/* Record a diagnostic at LOC (printf-style).  Notes attach to the previous
 * error/warning.  Returns 0, or -1 if out of memory. */
#if defined(__GNUC__)
#define SF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SF_PRINTF(a, b)
#endif
void sf_error(struct sysfence_ctx *ctx, sf_loc loc, const char *fmt, ...)
    SF_PRINTF(3, 4);
void sf_warning(struct sysfence_ctx *ctx, sf_loc loc, const char *fmt, ...)
    SF_PRINTF(3, 4);
void sf_note(struct sysfence_ctx *ctx, sf_loc loc, const char *fmt, ...)
    SF_PRINTF(3, 4);
/* True once more than the context's maximum of errors (sysfence_set_max_errors,
 * default SF_MAX_ERRORS) were seen: stages should stop. */
int sf_too_many_errors(const struct sysfence_ctx *ctx);

/* The correction for the last error or warning recorded (sf_error,
 * sf_warning): replace LEN characters at LOC by TEXT.  Ignored when that
 * diagnostic was dropped or is at another place. */
void sf_fixit(struct sysfence_ctx *ctx, sf_loc loc, size_t len, const char *text);

/* Edit distance helper for did-you-mean hints: the candidate closest to
 * WORD among N names, or NULL if none is close enough to suggest. */
const char *sf_closest_name(const char *word, const char *const *names,
                            size_t n);

#endif
