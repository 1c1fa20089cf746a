/* options.h - what the sysfence commands share: the command table's entry,
 * the one option table (parsing, the per-command --help, refusing an option
 * a command does not take), usage errors, exit statuses, and applying the
 * common options to a context. */
#ifndef SF_OPTIONS_H
#define SF_OPTIONS_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdio.h>

#include "arch/arch.h"
#include "sysfence.h"

enum {
  EXIT_OK = 0,     /* success */
  EXIT_POLICY = 1, /* the policy (or the input program) has errors */
  EXIT_USAGE = 2   /* bad command line, unreadable file, I/O error */
};

typedef enum { INPUT_AUTO, INPUT_POLICY, INPUT_BLOB, INPUT_NSJAIL } sf_input_kind;

/* The options of one command line (each command reads what it takes). */
typedef struct sf_cli_opts {
  const char *output, *arch, *name, *bad_arch, *unknown, *input, *profile;
  const char *from; /* convert --from */
  const char *to;   /* convert --to */
  sysfence_format format;
  const char **includes; /* -I, room for argc entries */
  size_t n_includes;
  const char **defines; /* -D NAME=VALUE, room for argc entries */
  size_t n_defines;
  char **calls; /* eval, sim: the arguments after the input */
  size_t n_calls;
  int trace;
  int opt_level; /* -1: the library's default */
  unsigned flags; /* run: SYSFENCE_APPLY_* */
  int dry_run, no_preflight; /* run */
  int warnings;    /* -w, -Werror: SYSFENCE_WARNINGS_* */
  long max_errors; /* --max-errors, when max_errors_given (0: no limit) */
  int max_errors_given;
  int diag_json;   /* --diagnostics-format json */
  int audit, report;          /* run --audit, --report */
  const char *audit_log;      /* run --audit-log FILE */
  const char *default_action; /* trace --default ACTION */
  sf_input_kind kind;
  int oci;              /* --input: a sysfence_input_kind */
  const char *caps, *kernel; /* --caps, --kernel */
} sf_cli_opts;

struct sf_command;
typedef int (*sf_command_fn)(const struct sf_command *cmd, int argc, char **argv);

/* One command of the table in main.c.  OPTS are the ids of the options it
 * takes (options.c's table: the short letter, or for long-only options
 * B --bad-arch, U --unknown, R --profile, T --trace, P --policy, L --blob,
 * N --input, c --caps, k --kernel, M --from, K --to, t --tsync,
 * g --log, s --spec-allow, p --no-preflight, Y --dry-run, E --max-errors,
 * F --diagnostics-format, A --audit, r --report, G --audit-log,
 * d --default; SF_DIAG_OPTS are the diagnostics' options, for
 * every command that reads a policy); every command
 * takes -h and -V. */
#define SF_DIAG_OPTS "WwEF"

typedef struct sf_command {
  const char *name;
  const char *args;     /* "POLICY", "FILE.bpf CALL...", "" */
  const char *summary;  /* one line for 'sysfence --help' */
  const char *about;    /* what it does, for its own --help */
  const char *opts;
  const char *arch_help; /* what -a means for it (NULL: the target) */
  int takes_input;      /* an input file comes first */
  int min_args, max_args; /* arguments after the input (max -1: any) */
  sf_command_fn run;
  const char *epilog;   /* the end of its --help (NULL: the usual exit
                           statuses) */
  int usage_status;     /* exit status of a usage error (0: EXIT_USAGE) */
} sf_command;

/* "sysfence: CMD: message" and a pointer to CMD's --help on stderr;
 * returns EXIT_USAGE. */
int sf_cli_usage_error(const sf_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* CMD's --help on OUT. */
void sf_cli_help(const sf_command *cmd, FILE *out);
/* Parse ARGV (ARGV[0] is the command's name) into O.  Returns -1 to go
 * on, or an exit status (--help, --version, a usage error). */
int sf_cli_parse(const sf_command *cmd, int argc, char **argv, sf_cli_opts *o);
/* For run and trace: the options up to the first "--" into O (sf_cli_parse;
 * a CALL among them is refused), *COMMAND what follows it (NULL: nothing).
 * -1 to go on, or an exit status. */
int sf_cli_parse_command(const sf_command *cmd, int argc, char **argv, sf_cli_opts *o,
                         char ***command);

/* Apply -a, --bad-arch, -I, -D, -O and --profile; then (sf_cli_configure)
 * the input.  -1, or an exit status after a message. */
int sf_cli_configure_options(const sf_command *cmd, sysfence_ctx *ctx,
                             const sf_cli_opts *o);
int sf_cli_configure(const sf_command *cmd, sysfence_ctx *ctx, const sf_cli_opts *o);
/* Apply -w, -Werror and --max-errors to CTX. */
void sf_cli_configure_diags(sysfence_ctx *ctx, const sf_cli_opts *o);
/* CTX's diagnostics on stderr: as text, or (--diagnostics-format json) one
 * JSON object a line (diagjson.c). */
void sf_cli_print_diags(const sysfence_ctx *ctx, const sf_cli_opts *o);
/* The architecture -a names, or the host's; NULL after a usage error. */
const sf_arch *sf_cli_arch(const sf_command *cmd, const sf_cli_opts *o);
/* An exit status for a compilation's SYSFENCE_* result. */
int sf_cli_status(int sysfence_rc);

/* Read PATH ('-': stdin), at most MAX bytes (MORE tells a bigger input):
 * *DATA malloc()ed.  -1, or EXIT_USAGE after "cannot read" on stderr. */
int sf_cli_read(const char *path, size_t max, unsigned char **data, size_t *len);
/* Read, decode and (VALIDATE) check the raw filter PATH for *ARCH: -1 and
 * *PROG malloc()ed, or an exit status after a message naming PATH.  A
 * filter that decodes but breaks the kernel's rules is *PROG with exit
 * status EXIT_POLICY when not VALIDATE (disasm lists it anyway).  INFER
 * (no -a): *ARCH becomes the architecture the filter checks first
 * (sf_cli_infer_arch), decoded in its byte order; if it checks none, *ARCH
 * stays (the host's). */
int sf_cli_load_blob(const char *path, const sf_arch **arch, int infer,
                     int validate, struct sock_filter **prog, size_t *n,
                     char *why, size_t why_size);
/* The architecture of an AUDIT_ARCH value (x86_64, not x32, for the value
 * they share), or NULL if no table has it. */
const sf_arch *sf_cli_arch_of_audit(uint32_t audit);
/* The architecture of the first AUDIT_ARCH the filter compares
 * seccomp_data.arch with (`jeq #K` after `ld [4]`) that has a table, or
 * NULL. */
const sf_arch *sf_cli_infer_arch(const struct sock_filter *prog, size_t n);
/* RAW decoded (and, with VALIDATE, checked) in the byte order of the
 * architecture it checks first: tried in FIRST_BE's order, then the other.
 * That architecture, with *PROG malloc()ed; NULL (nothing kept) if neither
 * order gives a program that checks an architecture of that order. */
const sf_arch *sf_cli_decode_inferred(const unsigned char *raw, size_t len,
                                      int first_be, int validate,
                                      struct sock_filter **prog, size_t *n);

/* Is the input an nsjail config: --input nsjail, or (no --input) a .cfg
 * file or a file with a seccomp_string or seccomp_policy_file line? */
int sf_cli_is_nsjail(const sf_cli_opts *o);

/* Set --bad-arch (may be NULL) and the -I folders.  Returns 0, or -1 with
 * a message for the user in WHY. */
int sf_cli_set_options(sysfence_ctx *ctx, const char *bad_arch,
                       const char *const *includes, size_t n_includes,
                       char *why, size_t why_size);
/* -D ARG: "NAME=VALUE", or "NAME" (VALUE 1), as a run-time constant
 * (sysfence_define).  Returns 0, or -1 with a message in WHY. */
int sf_cli_define(sysfence_ctx *ctx, const char *arg, char *why, size_t why_size);
/* Use PATH ("-": stdin) as the policy.  An unreadable file is reported
 * here, as a usage error, rather than later as a policy error.  Returns 0,
 * or -1 with a message in WHY. */
int sf_cli_set_input(sysfence_ctx *ctx, const char *path, char *why,
                     size_t why_size);

/* convert --from systemd / nsjail (convert-from.c): an exit status. */
int sf_cli_convert_from(const sf_command *cmd, const sf_cli_opts *o);

/* The commands (one file each, src/cli/cmd-*.c), and 'sysfence --help'. */
extern const sf_command sf_cmd_compile, sf_cmd_check, sf_cmd_disasm, sf_cmd_eval,
    sf_cmd_sim, sf_cmd_stats, sf_cmd_run, sf_cmd_arches, sf_cmd_explain,
    sf_cmd_syscalls, sf_cmd_constants, sf_cmd_convert, sf_cmd_trace;

#endif
