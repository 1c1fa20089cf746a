/* sysfence.h - public API of libsysfence, the seccomp policy compiler.
 *
 * A context holds the input, the options and, after a compilation, the
 * diagnostics.  Nothing is global: contexts may be used from several
 * threads at once as long as each context is used by one thread at a time.
 *
 *   sysfence_ctx *c = sysfence_new();
 *   sysfence_set_input_string(c, "policy", "ALLOW { read, write } DEFAULT KILL");
 *   struct sock_fprog prog;
 *   if (sysfence_compile(c, &prog) != 0)
 *     fputs(sysfence_diag_text(c), stderr);
 *   ...
 *   free(prog.filter);
 *   sysfence_free(c);
 */
#ifndef SYSFENCE_H
#define SYSFENCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sock_fprog;

#if defined(__GNUC__) && defined(SYSFENCE_BUILDING)
#define SYSFENCE_API __attribute__((visibility("default")))
#else
#define SYSFENCE_API
#endif

typedef struct sysfence_ctx sysfence_ctx;

/* Return codes of the functions that return int. */
enum {
  SYSFENCE_OK = 0,
  SYSFENCE_EPOLICY = 1, /* the policy has errors: see the diagnostics */
  SYSFENCE_EUSAGE = 2,  /* bad argument to the API (unknown arch, ...) */
  SYSFENCE_ESYSTEM = 3  /* out of memory, I/O error (errno is set) */
};

typedef enum {
  SYSFENCE_NOTE = 0,
  SYSFENCE_WARNING = 1,
  SYSFENCE_ERROR = 2
} sysfence_severity;

typedef struct sysfence_diag {
  const char *file; /* NULL when the diagnostic has no location */
  int line, column; /* 1-based; 0 when unknown */
  sysfence_severity severity;
  const char *message;
  /* A fix-it, where the compiler knows the correction: replace
   * FIXIT_LENGTH characters at line:column by FIXIT.  NULL: none. */
  const char *fixit;
  int fixit_length;
} sysfence_diag;

typedef enum {
  SYSFENCE_FORMAT_BPF = 0, /* raw struct sock_filter array, target byte order */
  SYSFENCE_FORMAT_C = 1,   /* self-contained C header */
  SYSFENCE_FORMAT_ASM = 2  /* readable listing */
} sysfence_format;

SYSFENCE_API const char *sysfence_version(void);

SYSFENCE_API sysfence_ctx *sysfence_new(void);
SYSFENCE_API void sysfence_free(sysfence_ctx *ctx);

/* Input: the last call wins.  NAME is used in diagnostics. */
SYSFENCE_API int sysfence_set_input_string(sysfence_ctx *ctx, const char *name,
                                           const char *text);
SYSFENCE_API int sysfence_set_input_path(sysfence_ctx *ctx, const char *path);
/* Reads the whole stream now; the caller closes it. */
SYSFENCE_API int sysfence_set_input_file(sysfence_ctx *ctx, const char *name,
                                         FILE *f);
/* Directories searched by #include after the including file's own folder,
 * in the order added. */
SYSFENCE_API int sysfence_add_include_path(sysfence_ctx *ctx, const char *dir);
/* Target architecture by name ("x86_64", "i386", "aarch64", ...); the
 * default is the host.  Returns SYSFENCE_EUSAGE for an unknown name. */
SYSFENCE_API int sysfence_set_arch(sysfence_ctx *ctx, const char *name);
/* Several targets in one filter: LIST is names separated by commas
 * ("x86_64,i386,x32"), the native one first; all must be ABIs one kernel
 * runs side by side (x86_64 with i386 and x32, aarch64 with arm, ...).
 * The filter checks seccomp_data.arch and decides each architecture's
 * calls by its own syscall table; x32 numbers on x86_64 are decided by
 * x32's rules when x32 is a target.  sysfence_set_arch takes a list too.
 * Returns SYSFENCE_EUSAGE with the reason in WHY (if not NULL). */
SYSFENCE_API int sysfence_set_arches(sysfence_ctx *ctx, const char *list,
                                     char *why, size_t why_size);
/* The native target's name (the first of the list). */
SYSFENCE_API const char *sysfence_get_arch(const sysfence_ctx *ctx);
/* Every target's name into NAMES (at most MAX); returns how many there are. */
SYSFENCE_API size_t sysfence_get_arches(const sysfence_ctx *ctx, const char **names,
                                        size_t max);
/* Action for a foreign seccomp_data.arch and for the other ABI's numbers
 * (x32 on x86_64); a seccomp return value, default KILL_PROCESS. */
SYSFENCE_API int sysfence_set_bad_arch_action(sysfence_ctx *ctx,
                                              uint32_t action);
/* Numbers that are no syscall of the target's table (holes, and above the
 * highest; not the other ABI's numbers, not -1) and have no rule get
 * ACTION instead of the policy's DEFAULT when ENABLE is non-zero:
 * ERRNO(38) (ENOSYS) lets the C library fall back from a syscall the
 * kernel lacks to an older one, as runc does.  ENABLE 0 goes back to the
 * DEFAULT. */
SYSFENCE_API int sysfence_set_unknown_action(sysfence_ctx *ctx, int enable,
                                             uint32_t action);
/* Code generation level: 0 = straightforward code (a balanced search over
 * syscall numbers, each comparison on its own), 1 or more = optimized (the
 * default, 1).  Both give the same decisions on every call.  Negative
 * values are SYSFENCE_EUSAGE. */
SYSFENCE_API int sysfence_set_opt_level(sysfence_ctx *ctx, int level);
/* Syscall frequency profile for the optimizer (level 1): the search over
 * syscall numbers gives the frequent syscalls shorter paths.  COUNTS[i] is
 * how often NAMES[i] (a syscall name of the target arch; other names are
 * ignored) is called; syscalls not listed keep a small weight.  Repeated
 * names add up.  N 0 (or NAMES NULL) goes back to uniform weights, as does
 * sysfence_set_profile with PATH NULL.  The decisions never change, only
 * the order of the tests. */
SYSFENCE_API int sysfence_set_weights(sysfence_ctx *ctx,
                                      const char *const *names,
                                      const uint64_t *counts, size_t n);
/* Read the profile from PATH ("-": stdin): the output of 'strace -c' (rows
 * end with the syscall name; the count is the 'calls' column), or lines
 * "NAME COUNT" ('#' starts a comment).  On failure returns
 * SYSFENCE_EUSAGE (bad syntax) or SYSFENCE_ESYSTEM (I/O), writes
 * "PATH:LINE: message" (or "PATH: reason") to WHY if not NULL, and keeps
 * the previous weights. */
SYSFENCE_API int sysfence_set_profile(sysfence_ctx *ctx, const char *path,
                                      char *why, size_t why_size);

/* Run-time constants: define NAME (an identifier) as VALUE (a number as
 * the policy language writes it: decimal, 0x hex, 0b binary, 0 octal, an
 * optional '-') for the policies compiled with CTX, as if #define'd before
 * their first line (what -D NAME=VALUE does on the command line).  A
 * policy may #define the same name with the same value; another value is
 * an error.  Defining a name again replaces its value.  SYSFENCE_PID is
 * the name for the pid of the process the filter is for: 'sysfence run'
 * defines it, and a policy that uses it without a definition is an error.
 * Returns SYSFENCE_EUSAGE for a bad NAME or VALUE. */
SYSFENCE_API int sysfence_define(sysfence_ctx *ctx, const char *name,
                                 const char *value);
/* Forget every run-time constant of CTX. */
SYSFENCE_API void sysfence_clear_defines(sysfence_ctx *ctx);

/* Parse an action as written in a policy ("ERRNO(1)", "KILL_PROCESS") into
 * its seccomp return value.  Returns 0 on success. */
SYSFENCE_API int sysfence_parse_action(const char *text, uint32_t *action);

/* Warnings (MODE): SYSFENCE_WARNINGS_SHOW (the default), _HIDE (none is
 * recorded: -w), _AS_ERRORS (each is an error, its message ending in
 * " [-Werror]", and the compilation fails: -Werror). */
enum {
  SYSFENCE_WARNINGS_SHOW = 0,
  SYSFENCE_WARNINGS_HIDE = 1,
  SYSFENCE_WARNINGS_AS_ERRORS = 2
};
SYSFENCE_API int sysfence_set_warnings(sysfence_ctx *ctx, int mode);
/* Keep at most N errors (default 20; 0: no limit); past it the stages stop
 * and a note says that more were left out. */
SYSFENCE_API int sysfence_set_max_errors(sysfence_ctx *ctx, size_t n);
/* What the input is (the last call wins): a policy (the Kafel language);
 * an OCI seccomp profile (the JSON of Docker, podman, runc); or an nsjail
 * config (protobuf text format, NsJailConfig of nsjail's config.proto),
 * whose policy is compiled as nsjail would: its seccomp_string values,
 * each followed by a newline, or the file its seccomp_policy_file names (a
 * relative path from the current folder, as nsjail opens it); diagnostics
 * in the seccomp_string values point into the config (line and column of
 * the string's contents), and #include is searched from the config's
 * folder.  AUTO (the default) takes a text whose first non-blank character
 * is '{' for a profile, anything else for a policy. */
typedef enum {
  SYSFENCE_INPUT_AUTO = 0,
  SYSFENCE_INPUT_POLICY = 1,
  SYSFENCE_INPUT_OCI = 2,
  SYSFENCE_INPUT_NSJAIL = 3
} sysfence_input_kind;
SYSFENCE_API int sysfence_set_input_kind(sysfence_ctx *ctx, sysfence_input_kind kind);
/* The capabilities an OCI profile's includes/excludes.caps are checked
 * against: "docker" (Docker's default set, the default), "podman"
 * (podman's), "none", or a comma list "CAP_SYS_ADMIN,CAP_NET_RAW".
 * SYSFENCE_EUSAGE with the reason in WHY for a bad list. */
SYSFENCE_API int sysfence_set_caps(sysfence_ctx *ctx, const char *caps, char *why,
                                   size_t why_size);
/* The kernel version ("5.10", "6.1.0-13-amd64") for includes.minKernel;
 * NULL: the running kernel's (the default). */
SYSFENCE_API int sysfence_set_kernel(sysfence_ctx *ctx, const char *version);

/* Parse and resolve only.  Returns SYSFENCE_OK or SYSFENCE_EPOLICY. */
SYSFENCE_API int sysfence_check(sysfence_ctx *ctx);
/* Compile to a validated program; on success prog->filter is malloc()ed and
 * the caller free()s it.  On failure prog is zeroed. */
SYSFENCE_API int sysfence_compile(sysfence_ctx *ctx, struct sock_fprog *prog);

/* Diagnostics of the last check/compile. */
SYSFENCE_API size_t sysfence_diag_count(const sysfence_ctx *ctx);
SYSFENCE_API const sysfence_diag *sysfence_diag_get(const sysfence_ctx *ctx,
                                                    size_t i);
SYSFENCE_API size_t sysfence_error_count(const sysfence_ctx *ctx);
/* All diagnostics formatted as a compiler would print them
 * (file:line:col: error: message, source line, caret, notes); "" if none. */
SYSFENCE_API const char *sysfence_diag_text(const sysfence_ctx *ctx);

/* Write PROG in FORMAT for the context's architecture.  NAME is the C
 * identifier for SYSFENCE_FORMAT_C (NULL: "sysfence_filter"); a name the
 * header could not use (not an identifier, a C keyword, reserved, or a
 * BPF_/SKF_ macro prefix of <linux/filter.h>) is SYSFENCE_EUSAGE and
 * nothing is written. */
SYSFENCE_API int sysfence_emit(const sysfence_ctx *ctx,
                               const struct sock_fprog *prog,
                               sysfence_format format, const char *name,
                               FILE *out);
/* Write to PATH atomically (temporary file in the same folder, then
 * rename); PATH "-" is stdout.  On failure an existing file is untouched. */
SYSFENCE_API int sysfence_write_file(const sysfence_ctx *ctx,
                                     const struct sock_fprog *prog,
                                     sysfence_format format, const char *name,
                                     const char *path);
/* Check a program against the kernel's rules for seccomp filters.  Returns
 * 0 if valid; otherwise writes a reason to WHY (if not NULL). */
SYSFENCE_API int sysfence_validate(const struct sock_fprog *prog, char *why,
                                   size_t why_size);

/* Install PROG as a seccomp filter on the calling thread: check it with
 * sysfence_validate, set PR_SET_NO_NEW_PRIVS, then seccomp(2)
 * SECCOMP_SET_MODE_FILTER with FLAGS (SYSFENCE_APPLY_*, or-ed).  Where
 * seccomp(2) does not exist (ENOSYS) and FLAGS is 0, falls back to
 * prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER).  Returns 0, or -1 with errno:
 * EINVAL (PROG NULL or not a valid filter, unknown FLAGS), EBUSY (TSYNC: a
 * thread could not be synchronized), or the kernel's error (EACCES, ENOMEM,
 * EINVAL for a flag the kernel lacks, ...).  Filters stack: a filter once
 * installed stays for the life of the thread and its children. */
enum {
  SYSFENCE_APPLY_TSYNC = 1u << 0,     /* SECCOMP_FILTER_FLAG_TSYNC: all threads */
  SYSFENCE_APPLY_LOG = 1u << 1,       /* SECCOMP_FILTER_FLAG_LOG: audit-log actions */
  SYSFENCE_APPLY_SPEC_ALLOW = 1u << 2 /* SECCOMP_FILTER_FLAG_SPEC_ALLOW */
};
SYSFENCE_API int sysfence_apply(const struct sock_fprog *prog, unsigned flags);

/* What PROG returns for one call, run as the kernel runs a filter: a call
 * of ARCH (a name as for sysfence_set_arch; NULL: the host), with
 * seccomp_data.nr NR (as the kernel passes it: x32 numbers have bit 30 set,
 * as sysfence_syscall_number gives them), ARGS the six arguments (NULL: all
 * 0) and instruction pointer IP; seccomp_data.arch is ARCH's AUDIT_ARCH and
 * the data is laid out in its byte order.  *ACTION receives the seccomp
 * return value (SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | errno, ...).
 * Returns SYSFENCE_OK, or SYSFENCE_EUSAGE for an unknown ARCH, a NULL
 * argument or a PROG that sysfence_validate refuses. */
SYSFENCE_API int sysfence_simulate(const struct sock_fprog *prog, const char *arch,
                                   uint32_t nr, const uint64_t *args, uint64_t ip,
                                   uint32_t *action);

/* Syscall tables.  Names are userspace names (libseccomp's). */
SYSFENCE_API const char *sysfence_host_arch(void);
/* Fills NAMES with up to MAX architecture names; returns how many exist. */
SYSFENCE_API size_t sysfence_arch_names(const char **names, size_t max);
/* Returns the number, or -1 if NAME is not a syscall of ARCH. */
SYSFENCE_API long sysfence_syscall_number(const char *arch, const char *name);
/* Returns the name, or NULL. */
SYSFENCE_API const char *sysfence_syscall_name(const char *arch, uint32_t nr);

#ifdef __cplusplus
}
#endif
#endif
