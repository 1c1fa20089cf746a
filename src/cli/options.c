/* options.c - the options of the sysfence commands (see options.h). */
#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/nsjail.h"
#include "bpf/blob.h"
#include "bpf/bpf.h"
#include "bpf/cheader.h"
#include "bpf/listing.h"
#include "launch/launch.h"

/* ---- the option table ------------------------------------------------------ */

/* Every option of the commands, with its help; a command's --help lists
 * those it takes (sf_command.opts), in this order. */
static const struct {
  int id;       /* what sf_command.opts lists; getopt's value */
  char shortc;  /* the short option, or 0 (commands that take different
                   options with one letter never take both) */
  const char *name;
  const char *arg; /* NULL: no argument */
  const char *help; /* lines after the first are indented by the printer */
} options[] = {
    {'o', 'o', "output", "FILE",
     "write to FILE atomically ('-': stdout); default stdout,\n"
     "which must not be a terminal for bpf"},
    {'f', 'f', "format", "FORMAT",
     "bpf (raw struct sock_filter array in the target's byte\n"
     "order; default), c (C header), asm (listing)"},
    {'a', 'a', "arch", "ARCH", NULL /* sf_command.arch_help */},
    {'I', 'I', "include", "DIR",
     "search DIR for #include files (after the folder of the\n"
     "including file); may be repeated"},
    {'D', 'D', "define", "NAME[=VALUE]",
     "a constant, as if #define'd before the policy (VALUE\n"
     "default 1); may be repeated.  SYSFENCE_PID, the pid of\n"
     "the process the filter is for, is defined by 'run';\n"
     "elsewhere a policy using it needs -D SYSFENCE_PID=PID"},
    {'n', 'n', "name", "IDENT",
     "C identifier of the array for --format c (default:\n"
     "sysfence_filter; not a C keyword, a reserved name, or\n"
     "BPF_*/SKF_*)"},
    {'B', 0, "bad-arch", "ACTION",
     "action for a foreign architecture and for the other\n"
     "ABI's syscall numbers (x32 on x86_64); default\n"
     "KILL_PROCESS; e.g. ERRNO(38), KILL_THREAD; ALLOW and LOG\n"
     "are warned about: they let every other ABI through\n"
     "unfiltered"},
    {'U', 0, "unknown", "ACTION",
     "action for numbers that are no syscall of the target's table (holes,\n"
     "and above the highest; not -1) and have no rule, instead of the\n"
     "DEFAULT; e.g. ERRNO(38), so the C library falls back from a syscall\n"
     "the kernel lacks"},
    {'O', 'O', "optimize", "LEVEL",
     "1 (default) optimizes the filter for size and speed; 0\n"
     "emits straightforward code (same decisions)"},
    {'R', 0, "profile", "FILE",
     "syscall frequencies ('strace -c' output, or 'NAME COUNT'\n"
     "lines) to give frequent syscalls shorter paths (same\n"
     "decisions); stats also prints the mean path weighted by it"},
    {'c', 0, "caps", "CAPS",
     "the capabilities an OCI profile's includes/excludes.caps are "
     "checked against: docker (Docker's default set; the default), "
     "podman (podman's), none, or a list CAP_SYS_ADMIN,CAP_NET_RAW"},
    {'k', 0, "kernel", "VERSION",
     "the kernel version (5.10) an OCI profile's minKernel is checked "
     "against; default: the running kernel's"},
    {'T', 0, "trace", NULL,
     "print each instruction executed: address, the\n"
     "instruction, and A and X after it"},
    {'K', 0, "to", "FORMAT",
     "what to write: oci, an OCI seccomp profile (the JSON "
     "of Docker, podman, runc and crun) from a policy; policy, "
     "a policy from an OCI profile"},
    {'P', 0, "policy", NULL, "FILE is a policy"},
    {'L', 0, "blob", NULL,
     "FILE is a raw filter (default: a raw filter if it is a\n"
     "whole number of instructions that passes the kernel's\n"
     "checks, else a policy)"},
    {'N', 0, "input", "KIND",
     "what the input is: policy; oci (an OCI/Docker/podman "
     "seccomp profile, JSON: the default when its first non-blank "
     "character is '{'); or nsjail (an nsjail config, protobuf "
     "text: its seccomp_string values or seccomp_policy_file are "
     "compiled; the default for a .cfg file or one with a "
     "seccomp_string line)"},
    {'M', 0, "from", "TOOL",
     "convert from TOOL's settings: systemd or nsjail"},
    {'t', 0, "tsync", NULL, "SECCOMP_FILTER_FLAG_TSYNC: filter all threads"},
    {'g', 0, "log", NULL, "SECCOMP_FILTER_FLAG_LOG: log the actions taken"},
    {'s', 0, "spec-allow", NULL,
     "SECCOMP_FILTER_FLAG_SPEC_ALLOW: keep speculative store\n"
     "bypass mitigation off"},
    {'p', 0, "no-preflight", NULL,
     "install the filter even if, run in the simulator, it\n"
     "refuses the execve that starts COMMAND"},
    {'Y', 'n', "dry-run", NULL,
     "compile, preflight and print the listing; install and\n"
     "run nothing"},
    {'W', 'W', "warnings", "error",
     "-Werror: every warning is an error (nothing is written,\n"
     "exit status 1)"},
    {'w', 'w', "no-warnings", NULL, "-w: show no warnings"},
    {'E', 0, "max-errors", "N",
     "stop after N errors (default 20; 0: no limit)"},
    {'F', 0, "diagnostics-format", "FORMAT",
     "text (default) or json: one JSON object a line per error\n"
     "or warning (file, line, column, severity, message, notes,\n"
     "fixit), for editors and CI"},
    {'A', 0, "audit", NULL,
     "complain mode: every call the policy would not let\n"
     "through is reported (once per syscall and rule) and\n"
     "let through; allowed calls are decided in the kernel"},
    {'r', 0, "report", NULL,
     "enforce the policy and report each call it refuses\n"
     "(ERRNO) or kills for (KILL_*), before the answer"},
    {'G', 0, "audit-log", "FILE",
     "write the reports of --audit, --report and USER_NOTIF\n"
     "rules to FILE (appended) instead of stderr"},
    {'d', 0, "default", "ACTION",
     "the DEFAULT of the policy written (default\n"
     "KILL_PROCESS), e.g. ERRNO(1), LOG"},
    {'h', 'h', "help", NULL, "show this help and exit"},
    {'V', 'V', "version", NULL, "show the version and exit"},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

static const char *const call_syntax =
    "A CALL is [ABI:]SYSCALL[(ARG, ...)]: SYSCALL a name or a number\n"
    "(seccomp_data.nr as is); up to 6 ARGs (missing ones are 0), each a\n"
    "number (decimal, 0x hex, 0b binary, 0 octal; negative: 64-bit two's\n"
    "complement); ARGs may be joined with '|'.%s\n"
    "ABI (x32, i386, ...) takes the number from that ABI's table and sets\n"
    "seccomp_data.arch to its AUDIT_ARCH.  Examples: 'openat(-100, 0, 0x241)',\n"
    "'x32:read(0)', 'i386:open'.  Put '--' before a CALL that starts with '-'.\n";

static int takes(const sf_command *cmd, int id) {
  return id == 'h' || id == 'V' || strchr(cmd->opts, id) != NULL;
}

/* TEXT in lines of at most 54 columns from column 25 (or below a head
 * that reaches past column 24); its newlines are spaces. */
static void print_wrapped(const char *text, int col, FILE *out) {
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == '\n') p++;
    int n = 0, last = 0;
    for (; p[n] && n <= 54; n++)
      if (p[n] == ' ' || p[n] == '\n') last = n;
    if (p[n] && last) n = last; /* break at the last space that fits */
    if (col > 24) {
      fputc('\n', out);
      col = 0;
    }
    fprintf(out, "%*s", 25 - col, "");
    for (int i = 0; i < n; i++) fputc(p[i] == '\n' ? ' ' : p[i], out);
    fputc('\n', out);
    col = 0;
    p += n;
  }
}

static void print_option(const sf_command *cmd, int i, FILE *out) {
  char head[48];
  snprintf(head, sizeof head, "%s%c%s--%s%s%s", options[i].shortc ? "-" : " ",
           options[i].shortc ? options[i].shortc : ' ',
           options[i].shortc ? ", " : "  ", options[i].name,
           options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
  const char *help = options[i].help;
  char arch_help[256];
  if (options[i].id == 'a') {
    const char *what = cmd->arch_help ? cmd->arch_help
                                      : "target architecture, or a list of ABIs one kernel "
                                        "runs (x86_64,i386,x32; the native one first) for "
                                        "one filter that serves them all";
    if (strstr(what, "(default"))
      snprintf(arch_help, sizeof arch_help, "%s", what);
    else
      snprintf(arch_help, sizeof arch_help, "%s (default: the host, %s)", what,
               sysfence_host_arch() ? sysfence_host_arch() : "none");
    help = arch_help;
  }
  print_wrapped(help, fprintf(out, "  %s", head), out);
}

void sf_cli_help(const sf_command *cmd, FILE *out) {
  fprintf(out, "Usage: sysfence %s [OPTIONS]%s%s\n\n%s\n\nOptions:\n", cmd->name,
          *cmd->args ? " " : "", cmd->args, cmd->about);
  for (int i = 0; i < N_OPTIONS; i++)
    if (takes(cmd, options[i].id)) print_option(cmd, i, out);
  /* The commands that take CALLs after their input. */
  if (cmd->takes_input && cmd->max_args != 0 && strcmp(cmd->name, "run") != 0 &&
      strcmp(cmd->name, "explain") != 0 && strcmp(cmd->name, "convert") != 0 &&
      strcmp(cmd->name, "trace") != 0)
    fprintf(out, "\n"), fprintf(out, call_syntax,
                                 takes(cmd, 'I') ? "  An ARG may also be\na "
                                                   "constant #define'd in the policy or given "
                                                   "with -D." : "");
  if (cmd->epilog)
    fputs(cmd->epilog, out);
  else
    fprintf(out, "\nExit status: 0 success, 1 errors in the %s, 2 usage or I/O error.\n",
            takes(cmd, 'I') ? "policy" : "program");
}

__attribute__((format(printf, 2, 3)))
int sf_cli_usage_error(const sf_command *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sysfence: %s: ", cmd->name);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'sysfence %s --help' for more information.\n", cmd->name);
  return cmd->usage_status ? cmd->usage_status : EXIT_USAGE;
}

/* ---- parsing ----------------------------------------------------------------- */

static int parse_format(const char *s, sysfence_format *f) {
  if (strcmp(s, "bpf") == 0) *f = SYSFENCE_FORMAT_BPF;
  else if (strcmp(s, "c") == 0) *f = SYSFENCE_FORMAT_C;
  else if (strcmp(s, "asm") == 0) *f = SYSFENCE_FORMAT_ASM;
  else return -1;
  return 0;
}

static const char *long_name(int id) {
  for (int i = 0; i < N_OPTIONS; i++)
    if (options[i].id == id) return options[i].name;
  return "?";
}

/* Apply option C (with OPTARG): -1, or an exit status. */
static int take_option(const sf_command *cmd, int c, const char *arg, sf_cli_opts *o) {
  switch (c) {
  case 'o': o->output = arg; break;
  case 'f':
    if (parse_format(arg, &o->format) != 0)
      return sf_cli_usage_error(cmd, "unknown format '%s' (expected bpf, c or asm)", arg);
    break;
  case 'a': o->arch = arg; break;
  case 'K': o->to = arg; break;
  case 'I': o->includes[o->n_includes++] = arg; break;
  case 'D': o->defines[o->n_defines++] = arg; break;
  case 'n': {
    const char *why = sf_c_name_problem(arg);
    if (why)
      return sf_cli_usage_error(cmd, "--name '%s' cannot name a C array: %s", arg, why);
    o->name = arg;
    break;
  }
  case 'B': o->bad_arch = arg; break;
  case 'U': o->unknown = arg; break;
  case 'O':
    if (strcmp(arg, "0") != 0 && strcmp(arg, "1") != 0)
      return sf_cli_usage_error(cmd, "unknown optimization level '%s' (expected 0 or 1)", arg);
    o->opt_level = arg[0] - '0';
    break;
  case 'R': o->profile = arg; break;
  case 'c': o->caps = arg; break;
  case 'k': o->kernel = arg; break;
  case 'T': o->trace = 1; break;
  case 'P': o->kind = INPUT_POLICY; break;
  case 'L': o->kind = INPUT_BLOB; break;
  case 'N':
    /* oci and policy are both read by the compiler (not a blob, not an
     * nsjail config); o->oci says which. */
    if (strcmp(arg, "policy") == 0) o->kind = INPUT_POLICY, o->oci = SYSFENCE_INPUT_POLICY;
    else if (strcmp(arg, "oci") == 0) o->kind = INPUT_POLICY, o->oci = SYSFENCE_INPUT_OCI;
    else if (strcmp(arg, "nsjail") == 0) o->kind = INPUT_NSJAIL;
    else return sf_cli_usage_error(cmd, "unknown --input '%s' (expected policy, oci or "
                                   "nsjail)", arg);
    break;
  case 'M': o->from = arg; break;
  case 't': o->flags |= SYSFENCE_APPLY_TSYNC; break;
  case 'g': o->flags |= SYSFENCE_APPLY_LOG; break;
  case 's': o->flags |= SYSFENCE_APPLY_SPEC_ALLOW; break;
  case 'p': o->no_preflight = 1; break;
  case 'Y': o->dry_run = 1; break;
  case 'W':
    if (strcmp(arg, "error") != 0)
      return sf_cli_usage_error(cmd, "unknown warning option '-W%s' (expected -Werror)", arg);
    o->warnings = SYSFENCE_WARNINGS_AS_ERRORS;
    break;
  case 'w': o->warnings = SYSFENCE_WARNINGS_HIDE; break;
  case 'E': {
    char *end;
    errno = 0;
    long n = strtol(arg, &end, 10);
    if (!*arg || *end || n < 0 || errno)
      return sf_cli_usage_error(cmd, "--max-errors '%s': expected a number, 0 for no limit", arg);
    o->max_errors = n;
    o->max_errors_given = 1;
    break;
  }
  case 'F':
    if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
      return sf_cli_usage_error(cmd, "unknown diagnostics format '%s' (expected text or json)", arg);
    o->diag_json = strcmp(arg, "json") == 0;
    break;
  case 'A': o->audit = 1; break;
  case 'r': o->report = 1; break;
  case 'G': o->audit_log = arg; break;
  case 'd': {
    uint32_t action;
    if (sysfence_parse_action(arg, &action) != 0)
      return sf_cli_usage_error(cmd, "invalid --default action '%s'", arg);
    o->default_action = arg;
    break;
  }
  case 'h': sf_cli_help(cmd, stdout); return EXIT_OK;
  case 'V': printf("sysfence %s\n", sysfence_version()); return EXIT_OK;
  }
  return -1;
}

/* The input and the arguments after the options; -1, or an exit status. */
static int take_arguments(const sf_command *cmd, int argc, char **argv,
                          sf_cli_opts *o) {
  int n = argc - optind - (cmd->takes_input ? 1 : 0);
  if (n < 0) return sf_cli_usage_error(cmd, "missing input file");
  if (n < cmd->min_args && strcmp(cmd->name, "explain") == 0)
    return sf_cli_usage_error(cmd, "missing RECORD (a seccomp audit record, or a "
                                   "syscall number)");
  if (n < cmd->min_args)
    return sf_cli_usage_error(cmd, "missing call to evaluate, e.g. 'read(0, 0, 16)'");
  if (cmd->max_args >= 0 && n > cmd->max_args)
    return sf_cli_usage_error(cmd, "too many arguments ('%s')", argv[argc - n]);
  if (cmd->takes_input) o->input = argv[optind];
  o->calls = argv + argc - n;
  o->n_calls = (size_t)n;
  return -1;
}

/* getopt's tables: every long option (an option a command does not take is
 * refused by name, not as unknown), and the short ones CMD takes. */
/* The option short letter C means for CMD: the one CMD takes, else the
 * first with that letter (to refuse it by name); -1 if none. */
static int option_of_short(const sf_command *cmd, int c) {
  int first = -1;
  for (int i = 0; i < N_OPTIONS; i++) {
    if (options[i].shortc != c) continue;
    if (takes(cmd, options[i].id)) return i;
    if (first < 0) first = i;
  }
  return first;
}

/* getopt's tables: every option, so that one a command does not take is
 * refused by name rather than as unknown; a short letter two options share
 * is the one CMD takes. */
static void getopt_tables(const sf_command *cmd, struct option *longs, char *shorts) {
  size_t k = 0;
  shorts[k++] = ':';
  for (int i = 0; i < N_OPTIONS; i++) {
    longs[i] = (struct option){options[i].name,
                               options[i].arg ? required_argument : no_argument,
                               NULL, options[i].id};
    int c = options[i].shortc;
    if (!c || option_of_short(cmd, c) != i) continue;
    shorts[k++] = (char)c;
    if (options[i].arg) shorts[k++] = ':';
  }
  longs[N_OPTIONS] = (struct option){NULL, 0, NULL, 0};
  shorts[k] = '\0';
}

/* getopt returns the letter of a short option: its id. */
static int id_of_short(const sf_command *cmd, int c) {
  int i = option_of_short(cmd, c);
  return i < 0 ? c : options[i].id;
}

int sf_cli_parse(const sf_command *cmd, int argc, char **argv, sf_cli_opts *o) {
  struct option longs[N_OPTIONS + 1];
  char shorts[2 * N_OPTIONS + 2];
  getopt_tables(cmd, longs, shorts);
  optind = 1;
  opterr = 0; /* our own messages name the command */
  int c, idx = -1;
  while ((c = getopt_long(argc, argv, shorts, longs, &idx)) != -1) {
    if (c == ':')
      return sf_cli_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
    if (c == '?') {
      if (optopt) return sf_cli_usage_error(cmd, "unknown option '-%c'", optopt);
      return sf_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
    }
    if (idx < 0) c = id_of_short(cmd, c);
    idx = -1;
    if (!takes(cmd, c))
      return sf_cli_usage_error(cmd, "option '--%s' does not apply to '%s'",
                                long_name(c), cmd->name);
    int rc = take_option(cmd, c, optarg, o);
    if (rc >= 0) return rc;
  }
  return take_arguments(cmd, argc, argv, o);
}

int sf_cli_parse_command(const sf_command *cmd, int argc, char **argv, sf_cli_opts *o,
                         char ***command) {
  int dd = sf_launch_split(argc, argv);
  int rc = sf_cli_parse(cmd, dd, argv, o);
  if (rc >= 0) return rc;
  if (o->n_calls > 0)
    return sf_cli_usage_error(cmd, "'%s': put the command after '--'", o->calls[0]);
  *command = dd + 1 < argc ? argv + dd + 1 : NULL;
  return -1;
}

/* ---- applying options -------------------------------------------------------- */

int sf_cli_status(int rc) {
  return rc == SYSFENCE_OK ? EXIT_OK : rc == SYSFENCE_EPOLICY ? EXIT_POLICY : EXIT_USAGE;
}

const sf_arch *sf_cli_arch(const sf_command *cmd, const sf_cli_opts *o) {
  const sf_arch *arch = o->arch ? sf_arch_by_name(o->arch) : sf_arch_host();
  if (!arch && o->arch && strchr(o->arch, ','))
    sf_cli_usage_error(cmd, "--arch %s: '%s' takes one architecture (a program "
                       "for several has a section for each)", o->arch, cmd->name);
  else if (!arch && o->arch)
    sf_cli_usage_error(cmd, "unknown architecture '%s' (see 'sysfence arches')", o->arch);
  else if (!arch)
    sf_cli_usage_error(cmd, "no syscall table for this host; give --arch");
  return arch;
}

void sf_cli_configure_diags(sysfence_ctx *ctx, const sf_cli_opts *o) {
  sysfence_set_warnings(ctx, o->warnings);
  if (o->max_errors_given) sysfence_set_max_errors(ctx, (size_t)o->max_errors);
}

static int configure_oci(const sf_command *cmd, sysfence_ctx *ctx, const sf_cli_opts *o);

int sf_cli_configure_options(const sf_command *cmd, sysfence_ctx *ctx,
                             const sf_cli_opts *o) {
  char why[512];
  sf_cli_configure_diags(ctx, o);
  if (o->arch && sysfence_set_arches(ctx, o->arch, why, sizeof why) != SYSFENCE_OK)
    return sf_cli_usage_error(cmd, "--arch %s: %s", o->arch, why);
  if (sf_cli_set_options(ctx, o->bad_arch, o->includes, o->n_includes, why,
                         sizeof why) != 0)
    return sf_cli_usage_error(cmd, "%s", why);
  for (size_t i = 0; i < o->n_defines; i++)
    if (sf_cli_define(ctx, o->defines[i], why, sizeof why) != 0)
      return sf_cli_usage_error(cmd, "%s", why);
  uint32_t unknown;
  if (o->unknown && sysfence_parse_action(o->unknown, &unknown) != 0)
    return sf_cli_usage_error(cmd, "invalid --unknown action '%s'", o->unknown);
  if (o->unknown) sysfence_set_unknown_action(ctx, 1, unknown);
  if (o->opt_level >= 0) sysfence_set_opt_level(ctx, o->opt_level);
  int rc = configure_oci(cmd, ctx, o);
  if (rc >= 0) return rc;
  if (o->profile &&
      sysfence_set_profile(ctx, o->profile, why, sizeof why) != SYSFENCE_OK) {
    fprintf(stderr, "sysfence: %s\n", why);
    return EXIT_USAGE;
  }
  return -1;
}

int sf_cli_is_nsjail(const sf_cli_opts *o) {
  if (o->kind != INPUT_AUTO) return o->kind == INPUT_NSJAIL;
  size_t n = strlen(o->input);
  if (n > 4 && strcmp(o->input + n - 4, ".cfg") == 0) return 1;
  if (strcmp(o->input, "-") == 0) return 0; /* stdin is read once, later */
  sf_input in;
  if (sf_read_path(o->input, (size_t)1 << 20, NULL, &in) != 0) return 0;
  int yes = sf_nsjail_looks_like(in.data, in.len);
  free(in.data);
  return yes;
}

/* --input, --caps, --kernel: -1, or an exit status after a message. */
static int configure_oci(const sf_command *cmd, sysfence_ctx *ctx, const sf_cli_opts *o) {
  char why[512];
  sysfence_set_input_kind(ctx, (sysfence_input_kind)o->oci);
  if (o->caps && sysfence_set_caps(ctx, o->caps, why, sizeof why) != SYSFENCE_OK)
    return sf_cli_usage_error(cmd, "--caps %s: %s", o->caps, why);
  if (o->kernel && sysfence_set_kernel(ctx, o->kernel) != SYSFENCE_OK)
    return sf_cli_usage_error(cmd, "--kernel %s: expected MAJOR.MINOR (5.10, 6.1.0-13-amd64)",
                              o->kernel);
  return -1;
}

int sf_cli_configure(const sf_command *cmd, sysfence_ctx *ctx, const sf_cli_opts *o) {
  int rc = sf_cli_configure_options(cmd, ctx, o);
  if (rc >= 0) return rc;
  char why[512];
  if (sf_cli_set_input(ctx, o->input, why, sizeof why) != 0)
    return sf_cli_usage_error(cmd, "%s", why);
  if (sf_cli_is_nsjail(o)) sysfence_set_input_kind(ctx, SYSFENCE_INPUT_NSJAIL);
  return -1;
}

/* ---- reading inputs ---------------------------------------------------------- */

int sf_cli_read(const char *path, size_t max, unsigned char **data, size_t *len) {
  sf_input in;
  int err = strcmp(path, "-") == 0 ? sf_read_stream(stdin, max, NULL, &in)
                                   : sf_read_path(path, max, NULL, &in);
  if (err) {
    fprintf(stderr, "sysfence: error: cannot read '%s': %s\n", path, strerror(err));
    return EXIT_USAGE;
  }
  *data = (unsigned char *)in.data;
  /* A larger input keeps its first MAX + 1 bytes: too big, the callers say. */
  *len = in.len + (in.more ? 1 : 0);
  return -1;
}

const sf_arch *sf_cli_arch_of_audit(uint32_t audit) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  const sf_arch *found = NULL;
  for (size_t i = 0; i < n; i++) {
    if (all[i]->audit_arch != audit) continue;
    /* x32 shares x86_64's value: the ABI whose numbers start at 0. */
    if (!sf_arch_nr_is_foreign(all[i], 0)) return all[i];
    if (!found) found = all[i];
  }
  return found;
}

const sf_arch *sf_cli_infer_arch(const struct sock_filter *prog, size_t n) {
  uint32_t values[16];
  size_t nv = sf_listing_arch_values(prog, n, values, sizeof values / sizeof values[0]);
  for (size_t i = 0; i < nv; i++) {
    const sf_arch *a = sf_cli_arch_of_audit(values[i]);
    if (a) return a;
  }
  return NULL;
}

const sf_arch *sf_cli_decode_inferred(const unsigned char *raw, size_t len,
                                      int first_be, int validate,
                                      struct sock_filter **prog, size_t *n) {
  for (int i = 0; i < 2; i++) {
    int be = i == 0 ? first_be : !first_be;
    char why[256];
    int rc = validate ? sf_blob_load(raw, len, be, prog, n, why, sizeof why)
                      : sf_bpf_from_blob(raw, len, be, prog, n, why, sizeof why);
    if (rc != 0) continue;
    const sf_arch *a = sf_cli_infer_arch(*prog, *n);
    if (a && a->big_endian == be) return a;
    free(*prog);
    *prog = NULL;
  }
  return NULL;
}

/* Text where a compiled filter is expected: a policy (or a JSON profile)
 * given to disasm or sim.  A filter's instructions always hold NUL bytes. */
static int text_not_filter(const char *path, const unsigned char *raw, size_t len) {
  size_t i = 0;
  for (; i < len; i++)
    if (raw[i] < 0x20 && !strchr("\t\r\n\f", raw[i])) break;
  if (len == 0 || i < len) return 0;
  /* Eight letters may be a (broken) filter; a policy has spaces or braces. */
  if (!memchr(raw, ' ', len) && !memchr(raw, '\n', len) && !memchr(raw, '{', len))
    return 0;
  for (i = 0; i < len && strchr(" \t\r\n", raw[i]); i++) continue;
  int json = i < len && raw[i] == '{';
  fprintf(stderr, "%s: error: this is text (%s), not a compiled filter\n", path,
          json ? "a JSON document: an OCI or Docker seccomp profile?" : "a policy?");
  if (json)
    fprintf(stderr, "%s: note: compile it first: 'sysfence compile %s -o FILE.bpf'\n",
            path, path);
  else
    fprintf(stderr, "%s: note: 'sysfence eval %s CALL' decides calls by the policy, "
            "'sysfence compile --format asm %s' lists its program\n", path, path, path);
  return 1;
}

int sf_cli_load_blob(const char *path, const sf_arch **arch, int infer,
                     int validate, struct sock_filter **prog, size_t *n,
                     char *why, size_t why_size) {
  unsigned char *raw;
  size_t len;
  int rc = sf_cli_read(path, SF_BLOB_READ_MAX, &raw, &len);
  if (rc >= 0) return rc;
  if (text_not_filter(path, raw, len)) {
    free(raw);
    return EXIT_POLICY;
  }
  const sf_arch *found =
      infer ? sf_cli_decode_inferred(raw, len, (*arch)->big_endian, 0, prog, n) : NULL;
  int bad = 0;
  if (found)
    *arch = found;
  else
    bad = sf_bpf_from_blob(raw, len, (*arch)->big_endian, prog, n, why, why_size);
  free(raw);
  if (bad) {
    fprintf(stderr, "%s: error: %s\n", path, why);
    return errno == ENOMEM ? EXIT_USAGE : EXIT_POLICY;
  }
  char reason[256];
  if (sf_bpf_validate(*prog, *n, reason, sizeof reason) == 0) return -1;
  snprintf(why, why_size, "%s: error: invalid seccomp filter: %s\n", path, reason);
  if (!validate) return EXIT_POLICY; /* the caller lists it, then says why */
  fputs(why, stderr);
  free(*prog);
  *prog = NULL;
  return EXIT_POLICY;
}

/* ---- applying the common options to a context -------------------------------- */

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
