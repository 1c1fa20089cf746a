/* main.c - the sysfence command: a thin client of libsysfence. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "bpf.h"
#include "cli.h"
#include "emit.h"
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
    "  -n, --name IDENT     C identifier of the array for --format c\n"
    "                       (default: sysfence_filter)\n"
    "      --bad-arch ACTION  action for a foreign architecture and for the\n"
    "                       other ABI's syscall numbers (x32 on x86_64);\n"
    "                       default KILL_PROCESS; e.g. ERRNO(38), KILL_THREAD\n"
    "Options of disasm:\n"
    "  -a, --arch ARCH      byte order and syscall names (default: the host)\n"
    "\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 errors in the policy or program, 2 usage or\n"
    "I/O error.\n";

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

typedef struct options {
  const char *output, *arch, *name, *bad_arch, *input;
  sysfence_format format;
  const char **includes;
  size_t n_includes;
} options;

static int parse_format(const char *s, sysfence_format *f) {
  if (strcmp(s, "bpf") == 0) *f = SYSFENCE_FORMAT_BPF;
  else if (strcmp(s, "c") == 0) *f = SYSFENCE_FORMAT_C;
  else if (strcmp(s, "asm") == 0) *f = SYSFENCE_FORMAT_ASM;
  else return -1;
  return 0;
}

static int is_c_identifier(const char *s) {
  if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
    return 0;
  for (; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9')))
      return 0;
  return 1;
}

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, 'f'},
    {"arch", required_argument, NULL, 'a'},
    {"include", required_argument, NULL, 'I'},
    {"name", required_argument, NULL, 'n'},
    {"bad-arch", required_argument, NULL, 'B'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* Returns -1 to continue, or an exit status. */
static int parse_options(int argc, char **argv, options *o) {
  int c;
  optind = 1;
  opterr = 0; /* our own messages name the program, not the command */
  while ((c = getopt_long(argc, argv, ":o:f:a:I:n:hV", long_opts, NULL)) != -1) {
    switch (c) {
    case 'o': o->output = optarg; break;
    case 'f':
      if (parse_format(optarg, &o->format) != 0)
        return usage_error("unknown format '%s' (expected bpf, c or asm)", optarg);
      break;
    case 'a': o->arch = optarg; break;
    case 'I': o->includes[o->n_includes++] = optarg; break;
    case 'n':
      if (!is_c_identifier(optarg))
        return usage_error("--name '%s' is not a C identifier", optarg);
      o->name = optarg;
      break;
    case 'B': o->bad_arch = optarg; break;
    case 'h': usage(stdout); return EXIT_OK;
    case 'V': printf("sysfence %s\n", sysfence_version()); return EXIT_OK;
    case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
      if (optopt) return usage_error("unknown option '-%c'", optopt);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return usage_error("%s", optind >= argc ? "missing input file"
                                            : "too many arguments");
  o->input = argv[optind];
  return -1;
}

static int configure(sysfence_ctx *ctx, const options *o) {
  if (o->arch && sysfence_set_arch(ctx, o->arch) != SYSFENCE_OK)
    return usage_error("unknown architecture '%s' (see 'sysfence arches')", o->arch);
  if (o->bad_arch) {
    uint32_t action;
    if (sysfence_parse_action(o->bad_arch, &action) != 0)
      return usage_error("invalid --bad-arch action '%s'", o->bad_arch);
    sysfence_set_bad_arch_action(ctx, action);
  }
  for (size_t i = 0; i < o->n_includes; i++)
    if (sysfence_add_include_path(ctx, o->includes[i]) != SYSFENCE_OK)
      return usage_error("%s", strerror(errno));
  int rc;
  if (strcmp(o->input, "-") == 0) {
    rc = sysfence_set_input_file(ctx, "<stdin>", stdin);
  } else {
    /* An unreadable input is a usage error (exit 2), not a policy error. */
    FILE *f = fopen(o->input, "r");
    if (!f) return usage_error("cannot read '%s': %s", o->input, strerror(errno));
    fclose(f);
    rc = sysfence_set_input_path(ctx, o->input);
  }
  if (rc != SYSFENCE_OK) return usage_error("cannot read input: %s", strerror(errno));
  return -1;
}

static int run_front(int argc, char **argv, int compile) {
  const char *includes[argc > 0 ? argc : 1];
  options o = {.format = SYSFENCE_FORMAT_BPF, .includes = includes};
  int rc = parse_options(argc, argv, &o);
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

/* ---- disasm ------------------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 8 * 8192, n = 0;
  unsigned char *buf = malloc(cap);
  /* One byte past the largest valid program is enough to know it's too big. */
  while (buf && n < cap) {
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

static int run_disasm(int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1];
  options o = {.includes = includes};
  int rc = parse_options(argc, argv, &o);
  if (rc >= 0) return rc;
  const sf_arch *arch = o.arch ? sf_arch_by_name(o.arch) : sf_arch_host();
  if (!arch) return usage_error("unknown architecture '%s'", o.arch);
  size_t len;
  unsigned char *raw = read_all(o.input, &len);
  if (!raw) {
    fprintf(stderr, "sysfence: error: cannot read '%s': %s\n", o.input, strerror(errno));
    return EXIT_USAGE;
  }
  if (len > SF_BPF_MAXINSNS * 8) {
    fprintf(stderr, "%s: error: more than %d instructions: not a seccomp filter\n",
            o.input, SF_BPF_MAXINSNS);
    free(raw);
    return EXIT_POLICY;
  }
  if (len % 8 != 0 || len == 0) {
    fprintf(stderr, "%s: error: %zu bytes is not a whole number of 8-byte instructions\n",
            o.input, len);
    free(raw);
    return EXIT_POLICY;
  }
  size_t n = len / 8;
  struct sock_filter *prog = malloc(n * sizeof *prog);
  if (!prog) {
    free(raw);
    return EXIT_USAGE;
  }
  sf_bpf_decode(raw, n, arch->big_endian, prog);
  free(raw);
  char why[256];
  int valid = sf_bpf_validate(prog, n, why, sizeof why) == 0;
  sf_emit_asm(prog, n, arch, stdout);
  if (!valid) fprintf(stderr, "%s: error: invalid seccomp filter: %s\n", o.input, why);
  free(prog);
  return valid ? EXIT_OK : EXIT_POLICY;
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
  if (strcmp(cmd, "arches") == 0) return run_arches();
  return usage_error("unknown command '%s'", cmd);
}
