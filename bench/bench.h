/* bench.h - the benchmark's parts: OCI JSON profiles built with libseccomp
 * (oci.c) and the driver (bench.c).  Not part of the library; built only
 * by 'make bench' (needs libseccomp-dev and libjson-c-dev). */
#ifndef SF_BENCH_H
#define SF_BENCH_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* How to read a profile, as a container runtime would (moby's and
 * containers/common's seccomp code; the corpus README describes it). */
typedef struct oci_opts {
  const char *oci_arch;        /* "amd64": includes/excludes.arches */
  const char *const *caps;     /* capabilities held: includes/excludes.caps */
  size_t n_caps;
  unsigned kernel_major, kernel_minor; /* for includes.minKernel */
  const char *syscalls_csv;    /* shared/data/syscalls.csv: numbers of names
                                  this libseccomp does not know */
  int opt_level;               /* libseccomp SCMP_FLTATR_CTL_OPTIMIZE: 1 or 2 */
  const char *const *sub_arches; /* added with seccomp_arch_add (runc's
                                  archMap: "x86", "x32" for amd64); NULL-ended,
                                  or NULL for the native one alone */
  const char *native_arch;     /* libseccomp's name of the arch to build for
                                  ("aarch64"), which replaces the host's in
                                  the filter; NULL: the host's */
} oci_opts;

/* Docker's default capabilities (moby's oci/caps/defaults.go). */
enum { OCI_N_DOCKER_CAPS = 14 };
extern const char *const oci_docker_caps[OCI_N_DOCKER_CAPS];

/* What the build did, for the notes under the table. */
typedef struct oci_report {
  size_t rules;          /* seccomp_rule_add_array calls that succeeded */
  size_t by_number;      /* names resolved from syscalls.csv */
  size_t unknown;        /* names neither libseccomp nor the CSV knows */
  size_t not_on_arch;    /* names libseccomp knows but x86_64 lacks */
  size_t failed;         /* rule adds libseccomp refused */
  size_t skipped_entries;/* entries left out by includes/excludes */
  char first_error[160]; /* the first refusal, for the notes */
  char unknown_names[160];/* the unknown names, comma-separated */
} oci_report;

/* Syscall numbers of one arch from the CSV (a column of syscalls.csv). */
typedef struct csv_table {
  char **names;
  long *nrs;
  size_t n;
} csv_table;
int csv_load(const char *path, const char *arch, csv_table *t);
long csv_lookup(const csv_table *t, const char *name);
void csv_free(csv_table *t);

/* Build PROFILE (a parsed OCI JSON document) with libseccomp for the host's
 * arch (or O->native_arch) and O->sub_arches, and export the program with seccomp_export_bpf into *PROG (malloc()ed, host
 * byte order), *LEN instructions.  MEMFD is a memfd to export through.
 * Returns 0, or -1 with a message in WHY. */
int oci_compile(struct json_object *profile, const oci_opts *o,
                const csv_table *csv, int memfd, struct sock_filter **prog,
                size_t *len, oci_report *rep, char *why, size_t why_size);

#endif
