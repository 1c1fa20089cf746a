/* oci.h - the front end for OCI seccomp profiles (the JSON of Docker,
 * podman, runc, crun and Kubernetes): the profile read as runc and
 * libseccomp read it (oci.c), as a syntax tree like the policy front end's,
 * so that resolution, code generation and the oracle treat both alike.
 * The model (sf_oci_profile) keeps what the tree drops (comments, the
 * entries left out and why) for 'convert --to policy' (oci-policy.c). */
#ifndef SF_FRONT_OCI_H
#define SF_FRONT_OCI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "base/context.h"
#include "base/source.h"
#include "front/ast.h"

/* libseccomp's comparisons (enum scmp_compare). */
typedef enum {
  SF_OCI_NE, SF_OCI_LT, SF_OCI_LE, SF_OCI_EQ, SF_OCI_GE, SF_OCI_GT, SF_OCI_MASKED_EQ
} sf_oci_op;

typedef struct sf_oci_arg {
  unsigned index;     /* 0..5 */
  sf_oci_op op;
  uint64_t value, two; /* MASKED_EQ: (arg & value) == two */
  sf_loc loc;
} sf_oci_arg;

typedef struct sf_oci_name {
  const char *name;
  sf_loc loc;
  const char *skip; /* why runc leaves this name out, or NULL */
  /* The targets the rule is for when that is not all of them: the name
   * is a syscall of some and only a Kafel alias on others (umount is
   * umount2 on x86_64 for a policy, nothing for libseccomp). */
  const sf_arch *only[SF_MAX_TARGETS];
  size_t n_only;
} sf_oci_name;

typedef struct sf_oci_entry {
  sf_loc loc;
  sf_oci_name *names;
  size_t n_names;
  ast_action action;
  sf_oci_arg *args;
  size_t n_args;
  int separate;        /* an index repeats: each condition is its own rule */
  const char *comment; /* NULL or "" when there is none */
  const char *skip;    /* why runc leaves the entry out, or NULL */
} sf_oci_entry;

typedef struct sf_oci_profile {
  ast_action def;
  sf_loc loc;
  const sf_arch *arches[SF_MAX_TARGETS]; /* the filter's, the native first */
  size_t n_arches;
  const char *go_arch;  /* the native one as includes.arches names it */
  unsigned kernel_major, kernel_minor; /* what minKernel was checked against */
  const char *comment;
  sf_oci_entry *entries;
  size_t n_entries;
} sf_oci_profile;

/* Does TEXT look like a JSON profile (its first non-blank byte is '{';
 * no policy starts so)? */
int sf_oci_detect(const char *text, size_t len);

/* Read SRC as a profile for the context's targets, capabilities and
 * kernel; unless --arch was given, the targets become the native one and
 * the sub-architectures the profile lists for it (ctx->arches).  NULL
 * after errors (diagnostics at their file:line:col). */
sf_oci_profile *sf_oci_read(sysfence_ctx *ctx, const sf_source *src);

/* The syntax tree of what runc gives the kernel: the DEFAULT, and a block
 * per entry that applies with a rule per name that applies. */
ast_file *sf_oci_tree(sysfence_ctx *ctx, const sf_oci_profile *p);

/* Capability presets for --caps: "docker", "podman", "none"; NULL-ended,
 * or NULL for another name. */
const char *const *sf_oci_caps_preset(const char *name);

/* SCMP_ARCH_X86_64 -> x86_64 (NULL when sysfence has no such table, or the
 * name is no SCMP_ARCH_*); *KNOWN says whether libseccomp has the name. */
const sf_arch *sf_oci_arch(const char *scmp_name, int *known);

/* A call libseccomp also adds in its multiplexed form MUX(K, ...) (see
 * oci.c); NULL for other names. */
typedef struct sf_oci_subcall {
  const char *mux, *name;
  unsigned k;
} sf_oci_subcall;
const sf_oci_subcall *sf_oci_subcall_of(const char *name);
/* The targets of P on which libseccomp adds MUX's forms, into OUT
 * (SF_MAX_TARGETS); returns how many. */
size_t sf_oci_mux_targets(const sf_oci_profile *p, const char *mux, const sf_arch **out);
/* Does an entry that applies have an unconditional rule for NAME?  (Then
 * libseccomp adds no multiplexed forms of it: that rule decides.) */
int sf_oci_unconditional(const sf_oci_profile *p, const char *name);

/* P as a policy that compiles to the same filter (oci-policy.c), for
 * 'sysfence convert --to policy'; FROM names the profile.  0, or -1 on
 * an output error or no memory. */
int sf_oci_write_policy(const sf_oci_profile *p, const sysfence_ctx *ctx, const char *from,
                        FILE *out);

/* x86_64 -> SCMP_ARCH_X86_64 ("?" for a table libseccomp has no name for). */
const char *sf_oci_scmp_name(const sf_arch *a);

#endif
