/* main.c - the sysfence command: a thin client of libsysfence. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bpf/bpf.h"
#include "cli/call.h"
#include "cli/options.h"
#include "base/context.h"
#include "cli/run.h"
#include "bpf/blob.h"
#include "bpf/listing.h"
#include "bpf/cheader.h"
#include "bpf/action.h"
#include "sema/ruleset.h"
#include "cli/stats.h"
#include "sysfence.h"

static const char usage_text[] =
    "Usage: sysfence COMMAND [OPTIONS] ARGS\n"
    "\n"
    "Compile seccomp policies written in the Kafel language into classic BPF.\n"
    "\n"
    "Commands:\n"
    "  compile POLICY   compile POLICY ('-' reads stdin) into a seccomp filter\n"
    "  check POLICY     parse and resolve POLICY; report diagnostics only\n"
    "  disasm FILE.bpf  validate a raw filter and print it as a listing\n"
    "  eval POLICY CALL...\n"
    "                   the action POLICY gives each CALL, and the rule that\n"
    "                   decided it (the policy's semantics, not the BPF)\n"
    "  sim FILE.bpf CALL...\n"
    "                   run a raw filter on each CALL in the BPF interpreter:\n"
    "                   the action and the number of instructions executed\n"
    "  stats FILE       a raw filter's or a policy's path lengths over the\n"
    "                   arch's syscalls, and what the kernel's action cache\n"
    "                   (Linux 5.11+) always allows without running it\n"
    "  run POLICY [OPTIONS] -- COMMAND [ARG...]\n"
    "                   compile POLICY for the host, install the filter and run\n"
    "                   COMMAND under it (see 'sysfence run --help')\n"
    "  arches           list the supported architectures\n"
    "\n"
    "Options of compile and check:\n"
    "  -o, --output FILE    write to FILE atomically ('-': stdout); default\n"
    "                       stdout, which must not be a terminal for bpf\n"
    "  -f, --format FORMAT  bpf (raw struct sock_filter array in the target's\n"
    "                       byte order; default), c (C header), asm (listing)\n"
    "  -a, --arch ARCH      target architecture (default: the host, %s)\n"
    "  -I, --include DIR    search DIR for #include files (after the folder of\n"
    "                       the including file); may be repeated\n"
    "  -D, --define NAME[=VALUE]  compile, check, eval, stats: a constant, as\n"
    "                       if #define'd before the policy (VALUE default 1);\n"
    "                       may be repeated.  SYSFENCE_PID (the pid of the\n"
    "                       process the filter is for) is defined by 'run';\n"
    "                       elsewhere a policy using it needs -D SYSFENCE_PID=PID\n"
    "  -n, --name IDENT     C identifier of the array for --format c\n"
    "                       (default: sysfence_filter; not a C keyword, a\n"
    "                       reserved name, or BPF_*/SKF_*)\n"
    "      --bad-arch ACTION  action for a foreign architecture and for the\n"
    "                       other ABI's syscall numbers (x32 on x86_64);\n"
    "                       default KILL_PROCESS; e.g. ERRNO(38), KILL_THREAD;\n"
    "                       ALLOW and LOG are warned about: they let every\n"
    "                       other ABI through unfiltered\n"
    "  -O, --optimize LEVEL  compile and stats: 1 (default) optimizes the\n"
    "                       filter for size and speed; 0 emits straightforward\n"
    "                       code (same decisions)\n"
    "      --profile FILE   compile and stats: syscall frequencies ('strace -c'\n"
    "                       output, or 'NAME COUNT' lines) to give frequent\n"
    "                       syscalls shorter paths (same decisions); stats\n"
    "                       also prints the mean path weighted by FILE\n"
    "Options of disasm:\n"
    "  -a, --arch ARCH      byte order and syscall names (default: the host)\n"
    "Options of eval: -a, -I, -D and --bad-arch as for compile.\n"
    "Options of sim:\n"
    "  -a, --arch ARCH      byte order, syscall names and the AUDIT_ARCH of\n"
    "                       calls (default: the host)\n"
    "      --trace          print each instruction executed: address, the\n"
    "                       instruction, and A and X after it\n"
    "Options of stats: -a, -I, -D and --bad-arch as for compile, and\n"
    "      --blob, --policy FILE is a raw filter / a policy (default: a raw\n"
    "                       filter if it is a whole number of instructions\n"
    "                       that passes the kernel's checks, else a policy)\n"
    "\n"
    "A CALL is [ABI:]SYSCALL[(ARG, ...)]: SYSCALL a name or a number\n"
    "(seccomp_data.nr as is); up to 6 ARGs (missing ones are 0), each a\n"
    "number (decimal, 0x hex, 0b binary, 0 octal; negative: 64-bit two's\n"
    "complement) or, for eval, a constant #define'd in the policy; ARGs may\n"
    "be joined with '|'.  ABI (x32, i386, ...) takes the number from that\n"
    "ABI's table and sets seccomp_data.arch to its AUDIT_ARCH.  Examples:\n"
    "'openat(-100, 0, 0x241)', 'x32:read(0)', 'i386:open'.  Put '--' before\n"
    "a CALL that starts with '-'.\n"
    "\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 errors in the policy or program, 2 usage or\n"
    "I/O error; run: COMMAND's own, or 125 nothing was run, 126 COMMAND not\n"
    "executable, 127 COMMAND not found.\n";

static void usage(FILE *out) { fprintf(out, usage_text, sysfence_host_arch()); }

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sysfence: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'sysfence --help' for more information.\n");
  return EXIT_USAGE;
}

typedef enum { INPUT_AUTO, INPUT_POLICY, INPUT_BLOB } input_kind;

typedef struct options {
  const char *output, *arch, *name, *bad_arch, *input;
  sysfence_format format;
  const char **includes;
  size_t n_includes;
  const char **defines; /* -D NAME=VALUE */
  size_t n_defines;
  char **calls; /* eval, sim: the arguments after the input */
  size_t n_calls;
  int trace;
  int opt_level; /* -1: the library's default */
  const char *profile;
  input_kind kind;
} options;

/* What a command accepts: option letters (long-only ones: T --trace,
 * P --policy, L --blob) and how many arguments after the input. */
typedef struct command {
  const char *name;
  const char *opts;
  int min_calls, max_calls; /* max -1: any number */
} command;

static int parse_format(const char *s, sysfence_format *f) {
  if (strcmp(s, "bpf") == 0) *f = SYSFENCE_FORMAT_BPF;
  else if (strcmp(s, "c") == 0) *f = SYSFENCE_FORMAT_C;
  else if (strcmp(s, "asm") == 0) *f = SYSFENCE_FORMAT_ASM;
  else return -1;
  return 0;
}

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, 'f'},
    {"arch", required_argument, NULL, 'a'},
    {"include", required_argument, NULL, 'I'},
    {"define", required_argument, NULL, 'D'},
    {"name", required_argument, NULL, 'n'},
    {"bad-arch", required_argument, NULL, 'B'},
    {"optimize", required_argument, NULL, 'O'},
    {"profile", required_argument, NULL, 'R'},
    {"trace", no_argument, NULL, 'T'},
    {"policy", no_argument, NULL, 'P'},
    {"blob", no_argument, NULL, 'L'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* The long name of option C (for messages). */
static const char *option_name(int c) {
  for (const struct option *o = long_opts; o->name; o++)
    if (o->val == c) return o->name;
  return "?";
}

/* The input and the calls after the options; -1, or an exit status. */
static int take_arguments(int argc, char **argv, const command *cmd,
                          options *o) {
  int n = argc - optind - 1; /* calls */
  if (n < 0) return usage_error("missing input file");
  if (n < cmd->min_calls)
    return usage_error("%s: missing call to evaluate, e.g. 'read(0, 0, 16)'",
                       cmd->name);
  if (cmd->max_calls >= 0 && n > cmd->max_calls)
    return usage_error("too many arguments");
  o->input = argv[optind];
  o->calls = argv + optind + 1;
  o->n_calls = (size_t)n;
  return -1;
}

/* Returns -1 to continue, or an exit status. */
static int parse_options(int argc, char **argv, const command *cmd,
                         options *o) {
  int c;
  optind = 1;
  opterr = 0; /* our own messages name the program, not the command */
  while ((c = getopt_long(argc, argv, ":o:f:a:I:D:n:O:hV", long_opts, NULL)) != -1) {
    if (c != '?' && c != ':' && !strchr(cmd->opts, c))
      return usage_error("option '--%s' does not apply to '%s'", option_name(c),
                         cmd->name);
    switch (c) {
    case 'o': o->output = optarg; break;
    case 'f':
      if (parse_format(optarg, &o->format) != 0)
        return usage_error("unknown format '%s' (expected bpf, c or asm)", optarg);
      break;
    case 'a': o->arch = optarg; break;
    case 'I': o->includes[o->n_includes++] = optarg; break;
    case 'D': o->defines[o->n_defines++] = optarg; break;
    case 'n': {
      const char *why = sf_c_name_problem(optarg);
      if (why) return usage_error("--name '%s' cannot name a C array: %s", optarg, why);
      o->name = optarg;
      break;
    }
    case 'B': o->bad_arch = optarg; break;
    case 'O':
      if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0)
        return usage_error("unknown optimization level '%s' (expected 0 or 1)", optarg);
      o->opt_level = optarg[0] - '0';
      break;
    case 'R': o->profile = optarg; break;
    case 'T': o->trace = 1; break;
    case 'P': o->kind = INPUT_POLICY; break;
    case 'L': o->kind = INPUT_BLOB; break;
    case 'h': usage(stdout); return EXIT_OK;
    case 'V': printf("sysfence %s\n", sysfence_version()); return EXIT_OK;
    case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
      if (optopt) return usage_error("unknown option '-%c'", optopt);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  return take_arguments(argc, argv, cmd, o);
}

/* compile, check and disasm take the same options (disasm ignores most). */
static const command cmd_compile = {"compile", "ofaIDnBORhV", 0, 0};
static const command cmd_check = {"check", "ofaIDnBhV", 0, 0};
static const command cmd_disasm = {"disasm", "ofaInBhV", 0, 0};
static const command cmd_eval = {"eval", "aIDBhV", 1, -1};
static const command cmd_sim = {"sim", "aThV", 1, -1};
static const command cmd_stats = {"stats", "aIDBORPLhV", 0, 0};

static int configure_options(sysfence_ctx *ctx, const options *o) {
  if (o->arch && sysfence_set_arch(ctx, o->arch) != SYSFENCE_OK)
    return usage_error("unknown architecture '%s' (see 'sysfence arches')", o->arch);
  char why[512];
  if (sf_cli_set_options(ctx, o->bad_arch, o->includes, o->n_includes, why,
                         sizeof why) != 0)
    return usage_error("%s", why);
  for (size_t i = 0; i < o->n_defines; i++)
    if (sf_cli_define(ctx, o->defines[i], why, sizeof why) != 0)
      return usage_error("%s", why);
  if (o->opt_level >= 0) sysfence_set_opt_level(ctx, o->opt_level);
  if (o->profile &&
      sysfence_set_profile(ctx, o->profile, why, sizeof why) != SYSFENCE_OK) {
    fprintf(stderr, "sysfence: %s\n", why);
    return EXIT_USAGE;
  }
  return -1;
}

static int configure_input(sysfence_ctx *ctx, const options *o) {
  char why[512];
  if (sf_cli_set_input(ctx, o->input, why, sizeof why) != 0)
    return usage_error("%s", why);
  return -1;
}

static int configure(sysfence_ctx *ctx, const options *o) {
  int rc = configure_options(ctx, o);
  return rc >= 0 ? rc : configure_input(ctx, o);
}

static int run_front(int argc, char **argv, int compile) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  options o = {.format = SYSFENCE_FORMAT_BPF, .includes = includes,
               .defines = defines, .opt_level = -1};
  int rc = parse_options(argc, argv, compile ? &cmd_compile : &cmd_check, &o);
  if (rc >= 0) return rc;
  const char *out = o.output ? o.output : "-";
  if (compile && strcmp(out, "-") == 0 && o.format == SYSFENCE_FORMAT_BPF &&
      isatty(STDOUT_FILENO))
    return usage_error("%s", "refusing to write a binary filter to a terminal; "
                             "use -o FILE, or --format asm");
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return usage_error("%s", strerror(ENOMEM));
  rc = configure(ctx, &o);
  if (rc < 0) {
    struct sock_fprog prog = {0};
    int st = compile ? sysfence_compile(ctx, &prog) : sysfence_check(ctx);
    fputs(sysfence_diag_text(ctx), stderr);
    if (st == SYSFENCE_OK && compile &&
        sysfence_write_file(ctx, &prog, o.format, o.name, out) != SYSFENCE_OK) {
      fprintf(stderr, "sysfence: error: cannot write '%s': %s\n", out,
              strerror(errno));
      st = SYSFENCE_ESYSTEM;
    }
    free(prog.filter);
    rc = st == SYSFENCE_OK ? EXIT_OK : st == SYSFENCE_EPOLICY ? EXIT_POLICY : EXIT_USAGE;
  }
  sysfence_free(ctx);
  return rc;
}

/* ---- raw filters ---------------------------------------------------------- */

/* Up to MAX bytes of PATH ('-': stdin), and whether there was more. */
static unsigned char *read_all(const char *path, size_t max, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 8 * 8192, n = 0;
  unsigned char *buf = malloc(cap);
  /* One byte past the largest valid program is enough to know it's too big. */
  while (buf && n < max) {
    if (n == cap) {
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  int err = ferror(f);
  if (f != stdin) fclose(f);
  if (err) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static int cannot_read(const char *path) {
  fprintf(stderr, "sysfence: error: cannot read '%s': %s\n", path, strerror(errno));
  return EXIT_USAGE;
}

/* Decode LEN raw bytes into *PROG (malloc()ed); -1, or an exit status
 * after a message naming NAME. */
static int decode_blob(const char *name, const unsigned char *raw, size_t len,
                       const sf_arch *arch, struct sock_filter **prog,
                       size_t *n) {
  char why[256];
  if (sf_bpf_from_blob(raw, len, arch->big_endian, prog, n, why, sizeof why) == 0)
    return -1;
  fprintf(stderr, "%s: error: %s\n", name, why);
  return errno == ENOMEM ? EXIT_USAGE : EXIT_POLICY;
}

/* Read, decode and validate the filter in PATH; -1, or an exit status. */
static int load_blob(const char *path, const sf_arch *arch,
                     struct sock_filter **prog, size_t *n) {
  size_t len;
  unsigned char *raw = read_all(path, 8 * 8192, &len);
  if (!raw) return cannot_read(path);
  int rc = decode_blob(path, raw, len, arch, prog, n);
  free(raw);
  if (rc >= 0) return rc;
  char why[256];
  if (sf_bpf_validate(*prog, *n, why, sizeof why) == 0) return -1;
  fprintf(stderr, "%s: error: invalid seccomp filter: %s\n", path, why);
  free(*prog);
  *prog = NULL;
  return EXIT_POLICY;
}

static const sf_arch *option_arch(const options *o) {
  const sf_arch *arch = o->arch ? sf_arch_by_name(o->arch) : sf_arch_host();
  if (!arch) usage_error("unknown architecture '%s'", o->arch);
  return arch;
}

/* ---- disasm ------------------------------------------------------------- */

static int run_disasm(int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  options o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = parse_options(argc, argv, &cmd_disasm, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = option_arch(&o);
  if (!arch) return EXIT_USAGE;
  size_t len, n;
  unsigned char *raw = read_all(o.input, 8 * 8192, &len);
  if (!raw) return cannot_read(o.input);
  struct sock_filter *prog = NULL;
  rc = decode_blob(o.input, raw, len, arch, &prog, &n);
  free(raw);
  if (rc >= 0) return rc;
  char why[256];
  int valid = sf_bpf_validate(prog, n, why, sizeof why) == 0;
  sf_write_asm(prog, n, arch, stdout);
  if (!valid) fprintf(stderr, "%s: error: invalid seccomp filter: %s\n", o.input, why);
  free(prog);
  return valid ? EXIT_OK : EXIT_POLICY;
}

/* ---- calls: eval and sim ------------------------------------------------- */

/* Parse every call of O (all before any output); NULL after a message. */
static sf_call_spec *parse_calls(const options *o, const sf_arch *target,
                                 const struct ast_file *defs,
                                 const sysfence_ctx *ctx) {
  sf_call_spec *specs = calloc(o->n_calls, sizeof *specs);
  if (!specs) {
    fprintf(stderr, "sysfence: error: %s\n", strerror(ENOMEM));
    return NULL;
  }
  for (size_t i = 0; i < o->n_calls; i++) {
    char err[256];
    if (sf_call_parse(o->calls[i], target, defs, ctx, &specs[i], err, sizeof err) != 0) {
      fprintf(stderr, "sysfence: error: bad call '%s': %s\n", o->calls[i], err);
      free(specs);
      return NULL;
    }
  }
  return specs;
}

/* With several calls each result line starts with the call. */
static void print_result(const options *o, size_t i, uint32_t action,
                         const char *why) {
  char act[32];
  if (o->n_calls > 1) printf("%s -> ", o->calls[i]);
  printf("%s  %s\n", sf_action_str(action, act, sizeof act), why);
}

static int eval_calls(const options *o, const sf_ruleset *rs,
                      const struct ast_file *tree, const sysfence_ctx *ctx) {
  sf_call_spec *specs = parse_calls(o, rs->arch, tree, ctx);
  if (!specs) return EXIT_USAGE;
  for (size_t i = 0; i < o->n_calls; i++) {
    char why[300];
    uint32_t action = sf_call_explain(rs, &specs[i].call, why, sizeof why);
    print_result(o, i, action, why);
  }
  free(specs);
  return EXIT_OK;
}

static int run_eval(int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  options o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = parse_options(argc, argv, &cmd_eval, &o);
  if (rc >= 0) return rc;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return usage_error("%s", strerror(ENOMEM));
  rc = configure(ctx, &o);
  if (rc < 0) {
    const struct ast_file *tree;
    const sf_ruleset *rs = sf_front_end_tree(ctx, &tree);
    fputs(sysfence_diag_text(ctx), stderr);
    if (rs) rc = eval_calls(&o, rs, tree, ctx);
    else rc = sysfence_error_count(ctx) ? EXIT_POLICY : EXIT_USAGE;
  }
  sysfence_free(ctx);
  return rc;
}

/* --trace: one line per instruction executed. */
typedef struct tracer {
  const sf_arch *arch;
  int nr_loaded; /* A holds seccomp_data.nr (to name syscalls) */
} tracer;

static void trace_insn(void *user, size_t pc, const struct sock_filter *in,
                       uint32_t a, uint32_t x) {
  tracer *t = user;
  char text[160];
  sf_insn_str(in, pc, t->arch, t->nr_loaded, text, sizeof text);
  printf("%04zu: %-40s A=0x%08x X=0x%08x\n", pc, text, a, x);
  if (in->code == (BPF_LD | BPF_W | BPF_ABS))
    t->nr_loaded = in->k == SF_OFF_NR;
  else if (BPF_CLASS(in->code) == BPF_LD || BPF_CLASS(in->code) == BPF_ALU ||
           in->code == (BPF_MISC | BPF_TXA))
    t->nr_loaded = 0;
}

static void sim_call(const options *o, size_t i, const sf_call_spec *spec,
                     const struct sock_filter *prog, size_t n,
                     const sf_arch *arch) {
  sf_seccomp_data d = {.nr = spec->call.nr, .arch = spec->call.arch};
  memcpy(d.args, spec->call.args, sizeof d.args);
  tracer t = {arch, 0};
  if (o->trace && o->n_calls > 1) printf("%s:\n", o->calls[i]);
  size_t steps = 0;
  uint32_t action = sf_bpf_run_trace(prog, n, arch, &d, &steps,
                                     o->trace ? trace_insn : NULL, &t);
  char why[64];
  snprintf(why, sizeof why, "(%zu instruction%s)", steps, steps == 1 ? "" : "s");
  print_result(o, i, action, why);
}

static int run_sim(int argc, char **argv) {
  options o = {.opt_level = -1};
  int rc = parse_options(argc, argv, &cmd_sim, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = option_arch(&o);
  if (!arch) return EXIT_USAGE;
  struct sock_filter *prog = NULL;
  size_t n;
  rc = load_blob(o.input, arch, &prog, &n);
  if (rc >= 0) return rc;
  sf_call_spec *specs = parse_calls(&o, arch, NULL, NULL);
  if (specs)
    for (size_t i = 0; i < o.n_calls; i++) sim_call(&o, i, &specs[i], prog, n, arch);
  free(specs);
  free(prog);
  return specs ? EXIT_OK : EXIT_USAGE;
}

/* ---- stats ----------------------------------------------------------------- */

/* The allowed syscalls the cache misses, or (WANT_LOADS) those whose
 * path loads arguments with their path lengths; wrapped at column 13. */
static void print_names(const sf_stats *st, int want_loads) {
  size_t shown = 0;
  int col = 13;
  for (size_t i = 0; i < st->n_sys; i++) {
    const sf_stats_sys *y = &st->sys[i];
    if (!(want_loads ? y->loads_args : y->allowed && !y->cached)) continue;
    char item[96];
    if (want_loads) snprintf(item, sizeof item, "%s (%zu, worst %zu)", y->name, y->steps, y->worst);
    else snprintf(item, sizeof item, "%s", y->name);
    int w = (int)strlen(item) + (shown ? 1 : 0);
    if (shown && col + w > 79) {
      printf("\n%13s", "");
      col = 13;
      w--;
    } else if (shown) {
      putchar(' ');
    }
    fputs(item, stdout);
    col += w;
    shown++;
  }
  printf("%s\n", shown ? "" : "(none)");
}

static void print_stats(const sf_stats *st) {
  char act[32];
  printf("program:     %zu instructions (%s)\n", st->len, st->arch->name);
  printf("paths:       shortest %zu, longest %zu, mean %.2f instructions over the\n"
         "             %zu %s syscalls with all arguments zero\n",
         st->min_steps, st->max_steps, st->mean_steps, st->n_sys, st->arch->name);
  printf("worst path:  %zu instructions (argument probes included)\n",
         st->worst_steps);
  printf("bad arch:    %zu instructions (%s)\n", st->bad_arch_steps,
         sf_action_str(st->bad_arch_action, act, sizeof act));
  printf("allowed:     %zu syscalls (%zu with all arguments zero)\n",
         st->n_allowed, st->n_allowed_zero);
  printf("cached:      %zu always allowed by the kernel's action cache "
         "(Linux 5.11+)\n", st->n_cached);
  printf("not cached:  ");
  print_names(st, 0);
  printf("arg checks:  %zu syscalls (path, worst path)\n", st->n_loads_args);
  if (st->n_loads_args) {
    printf("             ");
    print_names(st, 1);
  }
}

/* The mean path weighted by the profile of CTX (if it has one). */
static void print_profile_mean(const sf_stats *st, const sysfence_ctx *ctx) {
  if (!ctx || !ctx->n_profile) return;
  double sum = 0, calls = 0;
  for (size_t i = 0; i < st->n_sys; i++) {
    int64_t c = sf_profile_count(ctx, st->sys[i].name);
    sum += (double)c * (double)st->sys[i].steps;
    calls += (double)c;
  }
  if (calls > 0)
    printf("profile:     mean %.2f instructions per call, weighted by the "
           "profile's counts\n", sum / calls);
  else
    printf("profile:     no call of the profile is a %s syscall\n",
           st->arch->name);
}

static int stats_of(const struct sock_filter *prog, size_t n, const sf_arch *arch,
                    const sysfence_ctx *ctx) {
  sf_stats st;
  if (sf_stats_compute(prog, n, arch, &st) != 0)
    return usage_error("%s", strerror(ENOMEM));
  print_stats(&st);
  print_profile_mean(&st, ctx);
  sf_stats_free(&st);
  return EXIT_OK;
}

/* Is RAW a valid filter for ARCH?  Policy text never is: its first two
 * bytes, as an opcode, have bits above the low byte. */
static int looks_like_blob(const unsigned char *raw, size_t len, const sf_arch *arch) {
  if (len == 0 || len % 8 != 0 || len > SF_BPF_MAXINSNS * 8) return 0;
  struct sock_filter *prog = malloc(len / 8 * sizeof *prog);
  if (!prog) return 0;
  sf_bpf_decode(raw, len / 8, arch->big_endian, prog);
  int ok = sf_bpf_validate(prog, len / 8, NULL, 0) == 0;
  free(prog);
  return ok;
}

static int stats_policy(const options *o, const unsigned char *raw, size_t len) {
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return usage_error("%s", strerror(ENOMEM));
  int rc = configure_options(ctx, o);
  if (rc < 0 && strcmp(o->input, "-") == 0) {
    /* stdin is read already; the text may hold NULs (a lexer error). */
    FILE *f = len ? fmemopen((void *)raw, len, "r") : NULL;
    int st = f ? sysfence_set_input_file(ctx, "<stdin>", f)
               : sysfence_set_input_string(ctx, "<stdin>", len ? NULL : "");
    if (st != SYSFENCE_OK) rc = usage_error("cannot read input: %s", strerror(errno));
    if (f) fclose(f);
  } else if (rc < 0) {
    rc = configure_input(ctx, o);
  }
  struct sock_fprog prog = {0};
  if (rc < 0) {
    int st = sysfence_compile(ctx, &prog);
    fputs(sysfence_diag_text(ctx), stderr);
    rc = st == SYSFENCE_OK ? stats_of(prog.filter, prog.len, sf_arch_by_name(
                                          sysfence_get_arch(ctx)), ctx)
         : st == SYSFENCE_EPOLICY ? EXIT_POLICY : EXIT_USAGE;
  }
  free(prog.filter);
  sysfence_free(ctx);
  return rc;
}

static int stats_blob(const options *o, const sf_arch *arch,
                      const unsigned char *raw, size_t len) {
  struct sock_filter *prog = NULL;
  size_t n;
  int rc = decode_blob(o->input, raw, len, arch, &prog, &n);
  if (rc >= 0) return rc;
  char why[256];
  if (sf_bpf_validate(prog, n, why, sizeof why) != 0) {
    fprintf(stderr, "%s: error: invalid seccomp filter: %s\n", o->input, why);
    rc = EXIT_POLICY;
  } else {
    sysfence_ctx *ctx = o->profile ? sysfence_new() : NULL;
    char pwhy[512];
    if (o->profile && !ctx) {
      rc = usage_error("%s", strerror(ENOMEM));
    } else if (ctx && sysfence_set_profile(ctx, o->profile, pwhy, sizeof pwhy) !=
                          SYSFENCE_OK) {
      fprintf(stderr, "sysfence: %s\n", pwhy);
      rc = EXIT_USAGE;
    } else {
      rc = stats_of(prog, n, arch, ctx);
    }
    sysfence_free(ctx);
  }
  free(prog);
  return rc;
}

static int run_stats(int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  options o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = parse_options(argc, argv, &cmd_stats, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = option_arch(&o);
  if (!arch) return EXIT_USAGE;
  size_t len;
  unsigned char *raw = read_all(o.input, (size_t)64 << 20, &len);
  if (!raw) return cannot_read(o.input);
  int blob = o.kind == INPUT_BLOB ||
             (o.kind == INPUT_AUTO && looks_like_blob(raw, len, arch));
  rc = blob ? stats_blob(&o, arch, raw, len) : stats_policy(&o, raw, len);
  free(raw);
  return rc;
}

static int run_arches(void) {
  const char *names[64];
  size_t n = sysfence_arch_names(names, 64);
  for (size_t i = 0; i < n && i < 64; i++) {
    const sf_arch *a = sf_arch_by_name(names[i]);
    printf("%-12s AUDIT_ARCH 0x%08x  %s-endian  %d-bit  %zu syscalls\n", a->name,
           a->audit_arch, a->big_endian ? "big" : "little", a->bits, a->n_syscalls);
  }
  return EXIT_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("sysfence %s\n", sysfence_version());
    return EXIT_OK;
  }
  if (strcmp(cmd, "compile") == 0) return run_front(argc - 1, argv + 1, 1);
  if (strcmp(cmd, "check") == 0) return run_front(argc - 1, argv + 1, 0);
  if (strcmp(cmd, "disasm") == 0) return run_disasm(argc - 1, argv + 1);
  if (strcmp(cmd, "eval") == 0) return run_eval(argc - 1, argv + 1);
  if (strcmp(cmd, "sim") == 0) return run_sim(argc - 1, argv + 1);
  if (strcmp(cmd, "stats") == 0) return run_stats(argc - 1, argv + 1);
  if (strcmp(cmd, "run") == 0) return sf_cli_run(argc - 1, argv + 1);
  if (strcmp(cmd, "arches") == 0) return run_arches();
  return usage_error("unknown command '%s'", cmd);
}
