/* cheader.h - programs as a self-contained C header: an include guard, a
 * static const struct sock_filter array with one commented instruction per
 * line, and NAME_LEN. */
#ifndef SF_CHEADER_H
#define SF_CHEADER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdio.h>

#include "arch/arch.h"
#include "bpf/listing.h"

/* Why NAME cannot name the array of a C header (the header would not
 * compile, or would break the code including it), or NULL if it can. */
enum { SF_C_NAME_MAX = 200 };
const char *sf_c_name_problem(const char *name);
/* Write the header; NAME NULL is "sysfence_filter", a NAME with a problem
 * is EINVAL.  0, or -1 (errno set). */
int sf_write_c(const struct sock_filter *prog, size_t len, const sf_arch *arch,
               const char *name, FILE *out);
/* The same with the comments' syscalls named from NAMES (see listing.h);
 * the header names NAMES->fallback as the architecture. */
int sf_write_c_names(const struct sock_filter *prog, size_t len,
                     const sf_names *names, const char *name, FILE *out);

#endif
