/* bench.c - sysfence against libseccomp (and Kafel's published figures) on
 * the corpus; live cost per syscall; compile-time scaling.  'make bench'.
 *
 *   sysfence-bench [--only corpus|live|scale] [--runs N] [--iters N]
 *                  [--rounds N] [--sizes N,N,...] [--scale-runs N]
 *                  [--timeout S] [--shared DIR]
 *
 * Every figure is measured or computed when it runs; nothing is asserted.
 * Program figures come from the same code for every compiler: sf_stats
 * (src/cli/stats.c) on the raw program, x86_64: instructions, the mean path
 * over the arch's syscalls with zero arguments, the worst path over
 * argument probes, and the kernel's constant-action cache emulation
 * (sf_const_allow). */
#include "config.h" /* SHARED_DIR */

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bpf/bpf.h"
#include "bpf/action.h"
#include "cli/stats.h"
#include "sysfence.h"

typedef struct config {
  const char *shared;
  const char *only;
  int runs, rounds, scale_runs, timeout;
  long iters;
  size_t sizes[16], n_sizes;
} config;

static const sf_arch *x86;

enum { MAX_RUNS = 101 }; /* --rounds and --scale-runs */

/* ---- small helpers --------------------------------------------------------- */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  if (n == 0) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t len = 0, cap = 8192;
  char *buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - len - 1, f);
    if (len < cap - 1) break;
    char *nb = realloc(buf, cap *= 2);
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
  }
  if (buf && ferror(f)) { free(buf); buf = NULL; }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

static void path_join(char *out, size_t size, const char *a, const char *b) {
  snprintf(out, size, "%s/%s", a, b);
}

static char *first_line(const char *text, char *buf, size_t size) {
  size_t n = strcspn(text, "\n");
  if (n >= size) n = size - 1;
  memcpy(buf, text, n);
  buf[n] = '\0';
  return buf;
}

/* ---- one program's figures ------------------------------------------------- */

typedef struct row {
  char policy[64];
  char compiler[32];
  int ok;
  char error[120];
  size_t insns, worst, allowed, uncond, cached;
  double mean, us;
} row;

static void analyse(const struct sock_filter *prog, size_t len, row *r) {
  sf_stats st;
  r->insns = len;
  if (sf_stats_compute(prog, len, x86, &st) != 0) {
    snprintf(r->error, sizeof r->error, "out of memory");
    return;
  }
  r->ok = 1;
  r->mean = st.mean_steps;
  r->worst = st.worst_steps;
  r->allowed = st.n_allowed;
  r->cached = st.n_cached;
  r->uncond = 0;
  for (size_t i = 0; i < st.n_sys; i++)
    r->uncond += st.sys[i].action == SF_RET_ALLOW && !st.sys[i].loads_args;
  sf_stats_free(&st);
}

static void print_row_header(const char *first) {
  printf("%-34s %-16s %6s %7s %6s %8s %8s %8s %9s\n", first, "compiler", "insns",
         "mean", "worst", "allowed", "uncond", "cached", "compile");
}

static void print_row(const row *r) {
  if (!r->ok) {
    printf("%-34s %-16s %s\n", r->policy, r->compiler, r->error);
    return;
  }
  printf("%-34s %-16s %6zu %7.2f %6zu %8zu %8zu %8zu %7.1fus\n", r->policy, r->compiler,
         r->insns, r->mean, r->worst, r->allowed, r->uncond, r->cached, r->us);
}

/* ---- sysfence ---------------------------------------------------------------- */

typedef struct sf_job {
  const char *path, *text, *dir;
  int opt;
} sf_job;

/* Compile JOB; 0 and *PROG, or the error's first line in WHY. */
static int sf_compile(const sf_job *j, struct sock_fprog *prog, char *why, size_t size) {
  sysfence_ctx *c = sysfence_new();
  int rc = -1;
  memset(prog, 0, sizeof *prog);
  if (!c) { snprintf(why, size, "out of memory"); return -1; }
  if (sysfence_set_arch(c, "x86_64") == 0 && sysfence_set_opt_level(c, j->opt) == 0 &&
      sysfence_add_include_path(c, j->dir) == 0 &&
      sysfence_set_input_string(c, j->path, j->text) == 0) {
    rc = sysfence_compile(c, prog) == SYSFENCE_OK ? 0 : -1;
    if (rc != 0) {
      const char *d = sysfence_diag_text(c), *e = strstr(d, "error: ");
      first_line(e ? e + 7 : d, why, size);
    }
  } else {
    snprintf(why, size, "bad setup");
  }
  sysfence_free(c);
  return rc;
}

static double sf_time_us(const sf_job *j, int runs) {
  double *t = calloc((size_t)runs, sizeof *t);
  char why[160];
  if (!t) return NAN;
  for (int i = 0; i < runs; i++) {
    struct sock_fprog p;
    double t0 = now_us();
    int rc = sf_compile(j, &p, why, sizeof why);
    t[i] = now_us() - t0;
    if (rc == 0) free(p.filter);
  }
  double m = median(t, (size_t)runs);
  free(t);
  return m;
}

/* Compile and measure PATH with sysfence at OPT into R; the program is
 * kept in *KEEP (if not NULL) for the caller. */
static void sf_row(const config *cfg, const char *path, int opt, row *r,
                   struct sock_fprog *keep) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  snprintf(r->compiler, sizeof r->compiler, "sysfence -O%d", opt);
  char *text = read_file(path);
  if (!text) {
    snprintf(r->error, sizeof r->error, "cannot read: %s", strerror(errno));
    return;
  }
  sf_job j = {path, text, dir, opt};
  struct sock_fprog p;
  if (sf_compile(&j, &p, r->error, sizeof r->error) == 0) {
    analyse(p.filter, p.len, r);
    r->us = sf_time_us(&j, cfg->runs);
    if (keep) *keep = p; else free(p.filter);
  } else if (keep) {
    memset(keep, 0, sizeof *keep);
  }
  free(text);
}

/* ---- libseccomp on the OCI profiles -------------------------------------- */

static const char *const podman_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT"};

typedef struct profile {
  const char *label, *json, *kafel;   /* corpus-relative */
  const char *const *caps;
  size_t n_caps;
  const char *caps_name;
  int kafel_insns;                    /* the corpus README's measurement */
} profile;

static const profile profiles[] = {
    {"docker default.json", "oci/moby-profiles/default.json", "docker-default.kafel",
     oci_docker_caps, OCI_N_DOCKER_CAPS, "Docker's default", 106},
    {"podman seccomp.json", "oci/containers-common/seccomp.json", "podman-default.kafel",
     podman_caps, sizeof podman_caps / sizeof podman_caps[0], "Podman's default", 107},
};
enum { N_PROFILES = sizeof profiles / sizeof profiles[0] };

/* The four programs of one profile, kept for the live test. */
typedef struct progs {
  struct sock_fprog sf;       /* sysfence -O1 */
  struct sock_filter *ls[3];  /* libseccomp, indexed by opt level 1, 2 */
  size_t ls_len[3];
} progs;

static void ls_row(const config *cfg, json_object *doc, const profile *p,
                   const csv_table *csv, int memfd, int opt, row *r, progs *keep) {
  oci_opts o = {"amd64", p->caps, p->n_caps, 6, 1, NULL, opt, NULL, NULL};
  oci_report rep;
  struct sock_filter *prog;
  size_t len;
  snprintf(r->policy, sizeof r->policy, "%s", p->label);
  snprintf(r->compiler, sizeof r->compiler, "libseccomp -O%d", opt);
  if (oci_compile(doc, &o, csv, memfd, &prog, &len, &rep, r->error, sizeof r->error) != 0)
    return;
  analyse(prog, len, r);
  double *t = calloc((size_t)cfg->runs, sizeof *t);
  for (int i = 0; t && i < cfg->runs; i++) {
    struct sock_filter *q;
    size_t n;
    oci_report rr;
    char why[160];
    double t0 = now_us();
    int rc = oci_compile(doc, &o, csv, memfd, &q, &n, &rr, why, sizeof why);
    t[i] = now_us() - t0;
    if (rc == 0) free(q);
  }
  r->us = t ? median(t, (size_t)cfg->runs) : NAN;
  free(t);
  if (opt == 1)
    printf("  (libseccomp build of %s: %zu rules added, %zu names resolved by number "
           "from syscalls.csv, %zu not x86_64 syscalls, %zu unknown%s%s%s, %zu entries "
           "left out by includes/excludes, %zu rule adds refused%s%s)\n",
           p->label, rep.rules, rep.by_number, rep.not_on_arch, rep.unknown,
           rep.unknown ? " (" : "", rep.unknown_names, rep.unknown ? ")" : "",
           rep.skipped_entries, rep.failed, rep.failed ? ": first " : "",
           rep.first_error);
  keep->ls[opt] = prog;
  keep->ls_len[opt] = len;
}

static void progs_free(progs *k) {
  free(k->sf.filter);
  free(k->ls[1]);
  free(k->ls[2]);
  memset(k, 0, sizeof *k);
}

/* Simulated decisions where libseccomp's 64-bit view of an int argument and
 * the kernel's 32-bit one differ. */
static void width_probes(const progs *k) {
  static const struct { const char *what; int nr; uint64_t a0; } probes[] = {
      {"socket(40 = AF_VSOCK, ...)", 41, 40},
      {"socket(0x1_00000028, ...)  [kernel: int 40, AF_VSOCK]", 41, 0x100000028ULL},
      {"personality(0xffffffff)", 135, 0xffffffffULL},
      {"personality(0x1_ffffffff) [kernel: 0xffffffff]", 135, 0x1ffffffffULL},
  };
  const struct sock_filter *p[3] = {k->sf.filter, k->ls[1], k->ls[2]};
  size_t n[3] = {k->sf.len, k->ls_len[1], k->ls_len[2]};
  printf("  %-54s %-14s %-14s %-14s\n", "argument width (simulated)", "sysfence",
         "libseccomp -O1", "libseccomp -O2");
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    sf_seccomp_data d = {.nr = (uint32_t)probes[i].nr, .arch = x86->audit_arch};
    d.args[0] = probes[i].a0;
    d.args[1] = 1; /* SOCK_STREAM */
    printf("  %-54s", probes[i].what);
    for (int f = 0; f < 3; f++) {
      char buf[48];
      if (!p[f]) { printf(" %-14s", "-"); continue; }
      printf(" %-14s", sf_action_str(sf_bpf_run(p[f], n[f], x86, &d, NULL), buf, sizeof buf));
    }
    printf("\n");
  }
}

/* Build every program of the profiles; print their rows when PRINT. */
static int oci_section(const config *cfg, progs *out, int print) {
  char path[4096];
  path_join(path, sizeof path, cfg->shared, "data/syscalls.csv");
  csv_table csv;
  if (csv_load(path, "x86_64", &csv) != 0) {
    fprintf(stderr, "sysfence-bench: cannot read %s\n", path);
    return -1;
  }
  int memfd = memfd_create("sysfence-bench", MFD_CLOEXEC);
  if (memfd < 0) {
    perror("memfd_create");
    csv_free(&csv);
    return -1;
  }
  if (print) {
    printf("== OCI profiles (x86_64; libseccomp %u.%u.%u, json-c %s) ==\n\n",
           seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro,
           json_c_version());
    print_row_header("policy");
  }
  for (size_t i = 0; i < N_PROFILES; i++) {
    const profile *p = &profiles[i];
    row r[4];
    memset(r, 0, sizeof r);
    memset(&out[i], 0, sizeof out[i]);
    path_join(path, sizeof path, cfg->shared, "corpus/");
    strncat(path, p->kafel, sizeof path - strlen(path) - 1);
    config quick = *cfg;
    quick.runs = 1;
    sf_row(print ? cfg : &quick, path, 1, &r[0], &out[i].sf);
    if (print) sf_row(cfg, path, 0, &r[1], NULL);
    snprintf(r[0].policy, sizeof r[0].policy, "%s", p->label);
    snprintf(r[1].policy, sizeof r[1].policy, "%s", p->label);
    path_join(path, sizeof path, cfg->shared, "corpus/");
    strncat(path, p->json, sizeof path - strlen(path) - 1);
    json_object *doc = json_object_from_file(path);
    if (!doc) {
      fprintf(stderr, "sysfence-bench: %s: %s\n", path, json_util_get_last_err());
      continue;
    }
    if (print) printf("%s (%s capabilities; sysfence compiles corpus/%s)\n", p->label,
                      p->caps_name, p->kafel);
    if (!print) {
      for (int opt = 1; opt <= 2; opt++) {
        oci_opts o = {"amd64", p->caps, p->n_caps, 6, 1, NULL, opt, NULL, NULL};
        oci_report rep;
        char why[160];
        if (oci_compile(doc, &o, &csv, memfd, &out[i].ls[opt], &out[i].ls_len[opt], &rep,
                        why, sizeof why) != 0)
          fprintf(stderr, "sysfence-bench: libseccomp -O%d: %s\n", opt, why);
      }
      json_object_put(doc);
      continue;
    }
    ls_row(cfg, doc, p, &csv, memfd, 1, &r[2], &out[i]);
    ls_row(cfg, doc, p, &csv, memfd, 2, &r[3], &out[i]);
    json_object_put(doc);
    for (int k = 0; k < 4; k++) print_row(&r[k]);
    printf("%-34s %-16s %6d %7s %6s %8s %8s %8s %9s\n", p->label, "Kafel (README)",
           p->kafel_insns, "-", "-", "-", "-", "-", "-");
    width_probes(&out[i]);
    printf("\n");
  }
  close(memfd);
  csv_free(&csv);
  return 0;
}

/* ---- three architectures --------------------------------------------------- */

/* Path statistics of PROG for the ABI ARCH (one section of a program for
 * several). */
static void abi_stats(const struct sock_filter *prog, size_t len, const char *arch,
                      double *mean, size_t *worst, size_t *cached) {
  sf_stats st;
  *mean = NAN;
  *worst = *cached = 0;
  if (sf_stats_compute(prog, len, sf_arch_by_name(arch), &st) != 0) return;
  *mean = st.mean_steps;
  *worst = st.worst_steps;
  *cached = st.n_cached;
  sf_stats_free(&st);
}

static void multi_row(const char *who, const struct sock_filter *prog, size_t len,
                      double us) {
  double m64, m32, mx;
  size_t w64, w32, wx, c64, c32, cx;
  abi_stats(prog, len, "x86_64", &m64, &w64, &c64);
  abi_stats(prog, len, "i386", &m32, &w32, &c32);
  abi_stats(prog, len, "x32", &mx, &wx, &cx);
  printf("%-22s %6zu %7.2f %6zu %7zu %7.2f %6zu %7zu %7.2f %6zu %8.1fus\n", who, len, m64,
         w64, c64, m32, w32, c32, mx, wx, us);
}

/* sysfence: PATH's TEXT (a policy or an OCI profile) into a validated
 * program for x86_64,i386,x32; the median time of RUNS into *US. */
static int sf_multi(const char *path, const char *text, int runs, struct sock_fprog *keep,
                    double *us) {
  double *t = calloc((size_t)runs, sizeof *t);
  int ok = t != NULL;
  for (int i = 0; ok && i < runs; i++) {
    sysfence_ctx *c = sysfence_new();
    struct sock_fprog p = {0};
    double t0 = now_us();
    ok = c && sysfence_set_arches(c, "x86_64,i386,x32", NULL, 0) == 0 &&
         sysfence_set_input_string(c, path, text) == 0 && sysfence_compile(c, &p) == SYSFENCE_OK;
    t[i] = now_us() - t0;
    if (!ok) printf("sysfence: %s\n", c ? sysfence_diag_text(c) : "out of memory");
    if (ok && i == 0) *keep = p; else free(p.filter);
    sysfence_free(c);
  }
  *us = ok ? median(t, (size_t)runs) : NAN;
  free(t);
  return ok ? 0 : -1;
}

/* libseccomp: TEXT (JSON) parsed with json-c and built the runc way with
 * x86 and x32 added; the median time of RUNS (parse, build, export). */
static int ls_multi(const char *text, const csv_table *csv, int memfd, int opt, int runs,
                    struct sock_filter **keep, size_t *len, double *us, char *why,
                    size_t why_size) {
  static const char *const subs[] = {"x86", "x32", NULL};
  double *t = calloc((size_t)runs, sizeof *t);
  int rc = t ? 0 : -1;
  for (int i = 0; rc == 0 && i < runs; i++) {
    oci_opts o = {"amd64", profiles[0].caps, profiles[0].n_caps, 6, 1, NULL, opt, subs,
                  NULL};
    oci_report rep;
    struct sock_filter *prog = NULL;
    size_t n = 0;
    double t0 = now_us();
    json_object *doc = json_tokener_parse(text);
    rc = doc ? oci_compile(doc, &o, csv, memfd, &prog, &n, &rep, why, why_size) : -1;
    if (doc) json_object_put(doc);
    t[i] = now_us() - t0;
    if (rc == 0 && i == 0) *keep = prog, *len = n; else free(prog);
  }
  *us = rc == 0 ? median(t, (size_t)runs) : NAN;
  free(t);
  return rc;
}

/* Docker's default profile for x86_64 + i386 + x32 (what runc installs on
 * amd64), from the same default.json: sysfence reads the JSON itself
 * (and, for comparison, compiles corpus/docker-default.kafel, the same
 * rules); libseccomp builds it with seccomp_arch_add(x86, x32) as runc
 * does.  Times are medians of --runs from the text in memory to the
 * program: sysfence's validated, libseccomp's exported. */
static void multi_section(const config *cfg) {
  char path[4096], kafel[4096];
  printf("== Docker's default profile for x86_64,i386,x32 ==\n\n"
         "mean/worst: instructions per call over each ABI's syscalls (zero\n"
         "arguments; worst over argument probes); cached: allowed by the kernel's\n"
         "action cache (native bitmap for x86_64, compat for i386); compile: median\n"
         "of %d runs from default.json's text to the program.\n\n", cfg->runs);
  printf("%-22s %6s %7s %6s %7s %7s %6s %7s %7s %6s %10s\n", "compiler", "insns",
         "x64mean", "worst", "cached", "i386mn", "worst", "cached", "x32mean", "worst",
         "compile");
  path_join(path, sizeof path, cfg->shared, "corpus/oci/moby-profiles/default.json");
  path_join(kafel, sizeof kafel, cfg->shared, "corpus/docker-default.kafel");
  char *json = read_file(path), *ktext = read_file(kafel);
  struct sock_fprog p = {0};
  double us, sf_us = NAN;
  if (json && sf_multi(path, json, cfg->runs, &p, &us) == 0)
    multi_row("sysfence (JSON) -O1", p.filter, p.len, us), sf_us = us;
  free(p.filter);
  p = (struct sock_fprog){0};
  if (ktext && sf_multi(kafel, ktext, cfg->runs, &p, &us) == 0)
    multi_row("sysfence (.kafel) -O1", p.filter, p.len, us);
  free(p.filter);
  path_join(path, sizeof path, cfg->shared, "data/syscalls.csv");
  csv_table csv;
  int memfd = memfd_create("sysfence-bench", MFD_CLOEXEC);
  if (json && memfd >= 0 && csv_load(path, "x86_64", &csv) == 0) {
    for (int opt = 1; opt <= 2; opt++) {
      struct sock_filter *prog = NULL;
      size_t len = 0;
      char why[160], who[32];
      snprintf(who, sizeof who, "libseccomp -O%d", opt);
      if (ls_multi(json, &csv, memfd, opt, cfg->runs, &prog, &len, &us, why, sizeof why) == 0) {
        multi_row(who, prog, len, us);
        if (sf_us > 0) printf("%-22s sysfence (JSON) is %.1f times as fast\n", "", us / sf_us);
      } else {
        printf("%-22s %s\n", who, why);
      }
      free(prog);
    }
    csv_free(&csv);
  }
  if (memfd >= 0) close(memfd);
  free(json);
  free(ktext);
  printf("\n");
}

/* ---- Kafel-only policies --------------------------------------------------- */

/* Kafel's x86_64 instruction counts as published in shared/reference/kafel.md
 * ("Compile results" table; imagemagick-convert from the table of section c,
 * "nsjail imagemagick-convert.cfg allow-list"); -1 = Kafel rejects it. */
static const struct { const char *file; int insns; } kafel_published[] = {
    {"sample_and_cmp_var.policy", 18}, {"sample_and_eq_long.policy", 13},
    {"sample_and_eq_long_set.policy", 11}, {"sample_and_eq_short_bottom.policy", 10},
    {"sample_and_eq_short_bottom_set.policy", 9}, {"sample_and_eq_short_top.policy", 10},
    {"sample_and_eq_short_top_set.policy", 9}, {"sample_and_eq_var_long.policy", 17},
    {"sample_and_eq_var_long_set.policy", 15}, {"sample_and_eq_var_short_bottom.policy", 16},
    {"sample_and_eq_var_short_top.policy", 16}, {"sample_basic.policy", 23},
    {"sample_basic_many.policy", 11}, {"sample_composition.policy", 19},
    {"sample_constants.policy", 23}, {"sample_custom_syscall.policy", 14},
    {"sample_custom_syscall_const.policy", 14}, {"sample_empty.policy", 1},
    {"sample_empty_not_kill.policy", 4}, {"sample_ftrace.policy", 19},
    {"sample_kill_all.policy", 1}, {"sample_or_flags.policy", 11},
    {"sample_var_cmp.policy", 23}, {"basic.policy", 1}, {"chain.policy", 1},
    {"chain_2.policy", 1}, {"chain_3.policy", 1}, {"empty.policy", 1},
    {"chain_2_1.policy", -1}, {"self_recursive.policy", -1}, {"short_loop.policy", -1},
    {"short_loop_b.policy", -1}, {"includes_short_loop.policy", -1},
    {"imagemagick-convert.policy", 46},
    {"README-example-invalid.policy", -1}, /* corpus README: "must fail" */
};

static int kafel_count(const char *file) {
  for (size_t i = 0; i < sizeof kafel_published / sizeof kafel_published[0]; i++)
    if (strcmp(kafel_published[i].file, file) == 0) return kafel_published[i].insns;
  return -2;
}

static int is_policy(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 7 && strcmp(d->d_name + n - 7, ".policy") == 0;
}

static void kafel_section(const config *cfg) {
  static const char *const dirs[] = {"kafel-samples", "kafel-testdata", "nsjail", "other"};
  printf("== Kafel-only policies (corpus/kafel; x86_64; libseccomp has no input "
         "format for them) ==\n\n");
  printf("%-52s %6s %7s %6s %8s %8s %8s %9s  %s\n", "policy (sysfence -O1)", "insns",
         "mean", "worst", "allowed", "uncond", "cached", "compile", "Kafel insns");
  for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/corpus/kafel/%s", cfg->shared, dirs[d]);
    struct dirent **ents;
    int n = scandir(dir, &ents, is_policy, alphasort);
    if (n < 0) {
      fprintf(stderr, "sysfence-bench: %s: %s\n", dir, strerror(errno));
      continue;
    }
    for (int i = 0; i < n; i++) {
      char path[4096 + 256], name[300], kafel[16];
      snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
      snprintf(name, sizeof name, "%s/%s", dirs[d], ents[i]->d_name);
      row r;
      memset(&r, 0, sizeof r);
      sf_row(cfg, path, 1, &r, NULL);
      int k = kafel_count(ents[i]->d_name);
      snprintf(kafel, sizeof kafel, "%s", k == -1 ? "ERR" : k == -2 ? "-" : "");
      if (k >= 0) snprintf(kafel, sizeof kafel, "%d", k);
      if (r.ok)
        printf("%-52s %6zu %7.2f %6zu %8zu %8zu %8zu %7.1fus  %s\n", name, r.insns, r.mean,
               r.worst, r.allowed, r.uncond, r.cached, r.us, kafel);
      else
        printf("%-52s %-64.64s  %s\n", name, r.error, kafel);
      free(ents[i]);
    }
    free(ents);
  }
  printf("\nKafel insns: Kafel 18f2074's x86_64 counts as published in "
         "shared/reference/kafel.md\n(\"Compile results\" table; imagemagick-convert "
         "from its section c table);\nERR = Kafel rejects the policy too (for "
         "nsjail/README-example-invalid: the corpus\nREADME); - = no published count.\n\n");
}

/* ---- live: ns per call under each filter ---------------------------------- */

typedef struct live_call {
  const char *what, *tag;
  long nr;
  unsigned long a0;
} live_call;

static const live_call calls[] = {
    {"getppid()", "getppid", SYS_getppid, 0},
    {"personality(0xffffffff)", "personality", SYS_personality, 0xffffffffUL},
    {"unshare(0)", "unshare", SYS_unshare, 0},
    {"nr 999 (no such syscall)", "nr 999", 999, 0},
};
enum { N_CALLS = sizeof calls / sizeof calls[0], N_FILTERS = 4, LIVE_BATCHES = 5 };

typedef struct live_result {
  double ns[N_CALLS];
  long ret[N_CALLS];
  int err[N_CALLS];
  int install_errno;
} live_result;

/* In a child: install PROG (if any), then time each call ITERS times in
 * LIVE_BATCHES batches; the fastest batch is the child's figure (the others
 * were disturbed by something else running). */
static void live_child(const struct sock_filter *prog, size_t len, long iters, int fd) {
  live_result res;
  memset(&res, 0, sizeof res);
  if (prog) {
    struct sock_fprog p = {.len = (unsigned short)len, .filter = (struct sock_filter *)prog};
    if (sysfence_apply(&p, 0) != 0) res.install_errno = errno ? errno : EINVAL;
  }
  for (int c = 0; c < N_CALLS && !res.install_errno; c++) {
    long batch = iters / LIVE_BATCHES > 0 ? iters / LIVE_BATCHES : 1;
    for (long i = 0; i < batch / 10 + 100; i++) syscall(calls[c].nr, calls[c].a0);
    res.ns[c] = INFINITY;
    for (int b = 0; b < LIVE_BATCHES; b++) {
      double t0 = now_us();
      for (long i = 0; i < batch; i++) syscall(calls[c].nr, calls[c].a0);
      double ns = (now_us() - t0) * 1000.0 / (double)batch;
      if (ns < res.ns[c]) res.ns[c] = ns;
    }
    errno = 0;
    res.ret[c] = syscall(calls[c].nr, calls[c].a0);
    res.err[c] = errno;
  }
  ssize_t w = write(fd, &res, sizeof res);
  _exit(w == (ssize_t)sizeof res ? 0 : 1);
}

static int live_run(const struct sock_filter *prog, size_t len, long iters,
                    live_result *out) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) { close(fds[0]); close(fds[1]); return -1; }
  if (pid == 0) {
    close(fds[0]);
    live_child(prog, len, iters, fds[1]);
  }
  close(fds[1]);
  ssize_t got = read(fds[0], out, sizeof *out);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return got == (ssize_t)sizeof *out && WIFEXITED(status) && WEXITSTATUS(status) == 0
             ? 0 : -1;
}

static void live_section(const config *cfg, const progs *docker) {
  static const char *const names[N_FILTERS] = {"none", "sysfence -O1", "libseccomp -O1",
                                               "libseccomp -O2"};
  const struct sock_filter *prog[N_FILTERS] = {NULL, docker->sf.filter, docker->ls[1],
                                               docker->ls[2]};
  size_t len[N_FILTERS] = {0, docker->sf.len, docker->ls_len[1], docker->ls_len[2]};
  static double ns[N_FILTERS * N_CALLS * MAX_RUNS]; /* children inherit it: no malloc */
  live_result last[N_FILTERS];
  size_t got[N_FILTERS] = {0};
  memset(last, 0, sizeof last);
  printf("== Live: ns per call under Docker's default profile (x86_64; %d rounds; "
         "filters\n   interleaved, a forked child per filter and round, which installs "
         "the filter and\n   times %ld calls of each kind in %d batches; the fastest "
         "batch counts; median\n   over rounds) ==\n\n", cfg->rounds, cfg->iters,
         LIVE_BATCHES);
  for (int r = 0; r < cfg->rounds; r++)
    for (int k = 0; k < N_FILTERS; k++) {
      int f = (k + r) % N_FILTERS; /* rotate the order every round */
      if (f > 0 && !prog[f]) continue;
      live_result res;
      if (live_run(prog[f], len[f], cfg->iters, &res) != 0) {
        fprintf(stderr, "sysfence-bench: live run (%s) failed\n", names[f]);
        continue;
      }
      if (res.install_errno) {
        fprintf(stderr, "sysfence-bench: installing %s: %s\n", names[f],
                strerror(res.install_errno));
        continue;
      }
      for (int c = 0; c < N_CALLS; c++)
        ns[((size_t)f * N_CALLS + (size_t)c) * (size_t)cfg->rounds + got[f]] = res.ns[c];
      got[f]++;
      last[f] = res;
    }
  double med[N_FILTERS][N_CALLS];
  for (int f = 0; f < N_FILTERS; f++)
    for (int c = 0; c < N_CALLS; c++)
      med[f][c] = median(&ns[((size_t)f * N_CALLS + (size_t)c) * (size_t)cfg->rounds], got[f]);
  printf("%-16s", "filter");
  for (int c = 0; c < N_CALLS; c++) printf(" | %-25.25s", calls[c].what);
  printf("\n%-16s", "");
  for (int c = 0; c < N_CALLS; c++) printf(" | %7s %8s %8s", "ns", "/none", "/sf");
  printf("\n");
  for (int f = 0; f < N_FILTERS; f++) {
    if (!got[f]) { printf("%-16s (not measured)\n", names[f]); continue; }
    printf("%-16s", names[f]);
    for (int c = 0; c < N_CALLS; c++)
      printf(" | %7.1f %7.2fx %7.2fx", med[f][c], med[f][c] / med[0][c], med[f][c] / med[1][c]);
    printf("\n");
  }
  printf("\ngetppid is allowed unconditionally (the kernel's cache skips every "
         "filter here);\npersonality(0xffffffff) runs the argument check; unshare(0) "
         "and nr 999 are\ndenied (never cached).  unshare(0) does real work when "
         "allowed (none), so a\nfilter that denies it can be faster than no filter; "
         "nr 999 costs ENOSYS without\na filter.\n");
  printf("\nwhat each call returned (checked once after the loop):\n");
  for (int f = 0; f < N_FILTERS; f++) {
    if (!got[f]) continue;
    printf("  %-16s", names[f]);
    for (int c = 0; c < N_CALLS; c++) {
      const char *e = strerrorname_np(last[f].err[c]);
      if (last[f].ret[c] < 0)
        printf("  %s: -1 %s", calls[c].tag, e ? e : "?");
      else
        printf("  %s: %ld", calls[c].tag, last[f].ret[c]);
    }
    printf("\n");
  }
  printf("\n");
}

/* ---- compile-time scaling ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void) { /* xorshift64*, fixed seed */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

/* N rules "ACTION { name(a, b, c) { a == K && (b & M) != 0 || c > L } }" over
 * random x86_64 syscalls with at least three arguments; PLAIN: "ACTION { name }"
 * (the first rule of each syscall wins, the rest are shadowed). */
static char *gen_policy(size_t n, int plain, size_t *size) {
  size_t cap = n * 96 + 64, len = 0;
  char *s = malloc(cap);
  const sf_syscall **pool = calloc(x86->n_syscalls, sizeof *pool);
  size_t np = 0;
  if (!s || !pool) { free(s); free(pool); return NULL; }
  for (size_t i = 0; i < x86->n_syscalls; i++)
    if (x86->syscalls[i].nargs >= 3) pool[np++] = &x86->syscalls[i];
  rng_state = 0x5eedf00dULL;
  for (size_t i = 0; i < n; i++) {
    const sf_syscall *sc = pool[rng() % np];
    char act[24];
    switch (rng() % 5) {
    case 0: snprintf(act, sizeof act, "ALLOW"); break;
    case 1: snprintf(act, sizeof act, "ERRNO(%u)", (unsigned)(rng() % 4095) + 1); break;
    case 2: snprintf(act, sizeof act, "KILL"); break;
    case 3: snprintf(act, sizeof act, "LOG"); break;
    default: snprintf(act, sizeof act, "TRAP(%u)", (unsigned)(rng() % 65536)); break;
    }
    if (plain)
      len += (size_t)snprintf(s + len, cap - len, "%s { %s }\n", act, sc->name);
    else
      len += (size_t)snprintf(s + len, cap - len,
                              "%s { %s(a, b, c) { a == %u && (b & %#x) != 0 || c > %u } }\n",
                              act, sc->name, (unsigned)(rng() % 1024),
                              (unsigned)(1u << (rng() % 32)) | (unsigned)(rng() % 8),
                              (unsigned)(rng() % 100000));
  }
  len += (size_t)snprintf(s + len, cap - len, "DEFAULT ERRNO(1)\n");
  free(pool);
  *size = len;
  return s;
}

typedef struct scale_result {
  int status;     /* 0 compiled, 1 refused (error), 2 could not run */
  size_t insns, text;
  double check_ms, compile_ms;
  long rss_before_kb, peak_kb;
  char msg[120];
} scale_result;

static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void scale_child(size_t n, int plain, int fd) {
  scale_result r;
  memset(&r, 0, sizeof r);
  r.status = 2;
  char *text = gen_policy(n, plain, &r.text);
  if (text) {
    r.rss_before_kb = rss_kb();
    sysfence_ctx *c = sysfence_new();
    if (c && sysfence_set_arch(c, "x86_64") == 0 &&
        sysfence_set_input_string(c, "generated", text) == 0) {
      double t0 = now_us();
      int rc = sysfence_check(c);
      r.check_ms = (now_us() - t0) / 1000;
      sysfence_free(c);
      c = sysfence_new();
      struct sock_fprog p;
      if (rc != SYSFENCE_EPOLICY && c && sysfence_set_arch(c, "x86_64") == 0 &&
          sysfence_set_input_string(c, "generated", text) == 0) {
        t0 = now_us();
        rc = sysfence_compile(c, &p);
        r.compile_ms = (now_us() - t0) / 1000;
        if (rc == SYSFENCE_OK) {
          r.status = 0;
          r.insns = p.len;
          free(p.filter);
        } else {
          const char *d = sysfence_diag_text(c), *e = strstr(d, "error: ");
          r.status = 1;
          first_line(e ? e + 7 : d, r.msg, sizeof r.msg);
        }
      } else if (c) {
        const char *d = sysfence_diag_text(c);
        snprintf(r.msg, sizeof r.msg, "check failed: %.100s", d);
      }
    }
    sysfence_free(c);
    free(text);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  r.peak_kb = ru.ru_maxrss;
  ssize_t w = write(fd, &r, sizeof r);
  _exit(w == (ssize_t)sizeof r ? 0 : 1);
}

static int scale_run(size_t n, int plain, int timeout, scale_result *out) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) { close(fds[0]); close(fds[1]); return -1; }
  if (pid == 0) {
    close(fds[0]);
    alarm((unsigned)timeout);
    scale_child(n, plain, fds[1]);
  }
  close(fds[1]);
  ssize_t got = read(fds[0], out, sizeof *out);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  if (got != (ssize_t)sizeof *out) {
    memset(out, 0, sizeof *out);
    out->status = 2;
    snprintf(out->msg, sizeof out->msg, WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
             ? "timed out after %d s" : "child failed", timeout);
  }
  return 0;
}

static void scale_table(const config *cfg, int plain, char *refusal, size_t refusal_size) {
  printf("%8s %9s %-22s %6s %10s %10s %9s %12s %9s %9s\n", "rules", "text KB",
         "result", "insns", "check ms", "compile ms", "x prev", "ns/(n lg n)", "peak MB",
         "delta MB");
  double prev = NAN;
  size_t prev_n = 0;
  for (size_t i = 0; i < cfg->n_sizes; i++) {
    size_t n = cfg->sizes[i];
    double chk[MAX_RUNS], cmp[MAX_RUNS]; /* not malloc()ed: the children inherit them */
    scale_result r, first;
    long peak = 0;
    size_t ok = 0;
    memset(&first, 0, sizeof first);
    for (int k = 0; k < cfg->scale_runs; k++) {
      if (scale_run(n, plain, cfg->timeout, &r) != 0 || r.status == 2) {
        first = r;
        break;
      }
      if (ok == 0) first = r;
      chk[ok] = r.check_ms;
      cmp[ok] = r.compile_ms;
      if (r.peak_kb > peak) peak = r.peak_kb;
      ok++;
    }
    if (ok == 0) {
      printf("%8zu %9s %-60.60s\n", n, "-", first.msg);
      continue;
    }
    double mc = median(chk, ok), mp = median(cmp, ok);
    char res[40];
    if (first.status == 0) {
      snprintf(res, sizeof res, "compiled");
    } else if (strstr(first.msg, "4096")) {
      snprintf(res, sizeof res, "refused (> 4096)");
      if (!refusal[0]) snprintf(refusal, refusal_size, "%s", first.msg);
    } else {
      snprintf(res, sizeof res, "error: %.15s", first.msg);
    }
    char ratio[24] = "-";
    if (prev_n) snprintf(ratio, sizeof ratio, "%.1fx/%zux", mp / prev, n / prev_n);
    printf("%8zu %9.0f %-22s %6zu %10.1f %10.1f %9s %12.1f %9.1f %9.1f\n", n,
           (double)first.text / 1024, res, first.insns, mc, mp, ratio,
           mp * 1e6 / ((double)n * log2((double)n)), (double)peak / 1024,
           (double)(peak - first.rss_before_kb) / 1024);
    prev = mp;
    prev_n = n;
  }
}

static void scale_section(const config *cfg) {
  char refusal[120] = "";
  printf("== Compile-time scaling (sysfence -O1, x86_64; a forked child per run, "
         "median of %d runs;\n   peak RSS from getrusage, delta = peak - RSS before "
         "compiling; fixed seed) ==\n\n", cfg->scale_runs);
  printf("Rules \"ACTION { SYSCALL(a, b, c) { a == K && (b & M) != 0 || c > L } }\", "
         "random syscalls\nwith >= 3 arguments, random actions and constants:\n");
  scale_table(cfg, 0, refusal, sizeof refusal);
  printf("\nRules \"ACTION { SYSCALL }\", random syscalls and actions (the first rule "
         "of each\nsyscall wins; the rest are shadowed, so every size compiles):\n");
  scale_table(cfg, 1, refusal, sizeof refusal);
  printf("\ncheck = parse and resolve only; compile = the whole pipeline to a validated "
         "program.\nx prev: compile time growth against the previous size (time x / "
         "rules x);\nn log n growth would be about 11.5x-13x per 10x rules.\n");
  if (refusal[0]) printf("refused: \"%s\" (the time is that of finding out).\n", refusal);
  printf("\n");
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void) {
  fputs("usage: sysfence-bench [--only corpus|live|scale] [--runs N] [--iters N]\n"
        "                      [--rounds N] [--sizes N,N,...] [--scale-runs N]\n"
        "                      [--timeout S] [--shared DIR]\n", stderr);
  exit(2);
}

static long num_arg(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v <= 0) usage();
  return v;
}

static void parse_args(int argc, char **argv, config *c) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--only")) c->only = v;
    else if (!strcmp(a, "--runs")) c->runs = (int)num_arg(v);
    else if (!strcmp(a, "--iters")) c->iters = num_arg(v);
    else if (!strcmp(a, "--rounds")) c->rounds = (int)num_arg(v);
    else if (!strcmp(a, "--scale-runs")) c->scale_runs = (int)num_arg(v);
    else if (!strcmp(a, "--timeout")) c->timeout = (int)num_arg(v);
    else if (!strcmp(a, "--shared")) c->shared = v;
    else if (!strcmp(a, "--sizes")) {
      char *copy = strdup(v), *save = NULL;
      c->n_sizes = 0;
      for (char *t = strtok_r(copy, ",", &save); t && c->n_sizes < 16;
           t = strtok_r(NULL, ",", &save))
        c->sizes[c->n_sizes++] = (size_t)num_arg(t);
      free(copy);
    } else usage();
  }
  if (c->rounds > MAX_RUNS || c->scale_runs > MAX_RUNS) usage();
  if (c->only && strcmp(c->only, "corpus") && strcmp(c->only, "live") &&
      strcmp(c->only, "scale"))
    usage();
}

static void machine_note(void) {
  struct utsname u;
  char load[64] = "?";
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (!fgets(load, sizeof load, f)) snprintf(load, sizeof load, "?");
    load[strcspn(load, "\n")] = '\0';
    fclose(f);
  }
  uname(&u);
  printf("sysfence %s; kernel %s %s; %ld CPUs online; load average %s\n\n",
         sysfence_version(), u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), load);
}

int main(int argc, char **argv) {
  config cfg = {.shared = SHARED_DIR, .runs = 15, .rounds = 9, .scale_runs = 3,
                .timeout = 300, .iters = 200000,
                .sizes = {100, 1000, 10000, 100000}, .n_sizes = 4};
  parse_args(argc, argv, &cfg);
  x86 = sf_arch_by_name("x86_64");
  if (!x86) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  machine_note();
  int all = cfg.only == NULL;
  progs docker[N_PROFILES];
  memset(docker, 0, sizeof docker);
  if (all || !strcmp(cfg.only, "corpus")) {
    printf("Columns: insns = program length; mean = instructions executed, averaged "
           "over the\n%zu x86_64 syscalls with zero arguments; worst = longest path "
           "over argument\nprobes; allowed = syscalls allowed for some arguments; "
           "uncond = allowed\nwhatever the arguments; cached = always allowed by the "
           "kernel's action cache\n(Linux 5.11+, sf_const_allow); compile = median of "
           "%d in-process runs (sysfence:\npolicy text to validated program; "
           "libseccomp: parsed JSON to seccomp_export_bpf,\nJSON parsing not "
           "included).  The same analysis code (src/cli/stats.c) measures\nevery "
           "program.\n\n", x86->n_syscalls, cfg.runs);
    if (oci_section(&cfg, docker, 1) != 0) return 1;
    printf("Note: libseccomp compares all 64 bits of int arguments, so its Docker "
           "filter lets\nsocket(0x1_00000028, ...) through to the kernel, which "
           "truncates the int to 40\n(AF_VSOCK), a family the profile denies; "
           "sysfence compares the kernel's 32 bits\n(and so also allows "
           "personality(0x1_ffffffff), which the kernel runs as\npersonality(0xffffffff), "
           "where libseccomp returns EPERM).\n\n");
    kafel_section(&cfg);
    multi_section(&cfg);
  }
  if (all || !strcmp(cfg.only, "live")) {
    if (!docker[0].sf.filter && oci_section(&cfg, docker, 0) != 0) return 1;
    live_section(&cfg, &docker[0]);
  }
  for (size_t i = 0; i < N_PROFILES; i++) progs_free(&docker[i]);
  if (all || !strcmp(cfg.only, "scale")) scale_section(&cfg);
  return 0;
}
