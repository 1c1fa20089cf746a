/* check_libseccomp.c - Docker's default profile for several ABIs, decided
 * call by call by sysfence and by libseccomp.
 *
 * sysfence compiles ../shared/corpus/docker-default.kafel (the profile as
 * Kafel) with --arch x86_64,i386,x32 and with --arch aarch64,arm; libseccomp
 * builds ../shared/corpus/oci/moby-profiles/default.json for the same
 * ABIs (bench/oci.c, the runc way: archMap's sub-architectures added with
 * seccomp_arch_add), at -O1 and -O2.  Both programs run in the simulator
 * (src/bpf/sim.c) on every syscall number of each ABI's table, the holes
 * and the numbers above it, -1, the other ABI's range, foreign
 * AUDIT_ARCH values, and, for every call whose path reads an argument,
 * argument probes around every constant either program compares (as low
 * word, high word, and with junk in the high word).  A sample of the
 * x86_64 and i386 calls also runs on the kernel in forked children.
 *
 * Every difference must fall into one of the classes below, each of which
 * has its reason (see 'enum diff_class'); the counts are printed, and one
 * unexplained difference fails the test.  `sysfence stats` and `disasm` on
 * libseccomp's three-architecture blob are checked here too.
 *
 * Needs libseccomp-dev and libjson-c-dev (configure's HAVE_OCI) and the
 * shared corpus; else SKIPPED. */
#include "config.h" /* SHARED_DIR, HAVE_OCI */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

#if HAVE_OCI

#include <errno.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "internal.h"

#define X32_BIT 0x40000000u
#define HI_JUNK 0x5a5a1234u /* a high word no rule compares with */

/* ---- the programs ---------------------------------------------------------- */

typedef struct family {
  const char *list;            /* sysfence's --arch */
  const char *oci_arch;        /* what includes/excludes.arches are read for */
  const char *native;          /* libseccomp's native arch (NULL: the host's) */
  const char *const *subs;     /* archMap's sub-architectures */
  const char *order;           /* the arch whose byte order the blob has */
} family;

static const char *const x86_subs[] = {"x86", "x32", NULL};
static const char *const arm_subs[] = {"arm", NULL};
static const family x86_family = {"x86_64,i386,x32", "amd64", NULL, x86_subs, "x86_64"};
static const family arm_family = {"aarch64,arm", "arm64", "aarch64", arm_subs, "aarch64"};

typedef struct programs {
  struct sock_fprog sf;        /* sysfence -O1 */
  struct sock_filter *ls[3];   /* libseccomp, by SCMP_FLTATR_CTL_OPTIMIZE 1, 2 */
  size_t ls_len[3];
  const sf_arch *order;
} programs;

/* libseccomp's default bad-arch action is SCMP_ACT_KILL (KILL_THREAD);
 * sysfence's is KILL_PROCESS.  That is a setting, not a decision: the
 * sysfence program gets libseccomp's, so that the comparison is of the
 * rules. */
static struct sock_fprog compile_sysfence(const family *fam) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  char why[256] = "";
  ck_assert_int_eq(sysfence_set_input_path(ctx, SHARED_DIR "/corpus/docker-default.kafel"),
                   SYSFENCE_OK);
  ck_assert_msg(sysfence_set_arches(ctx, fam->list, why, sizeof why) == SYSFENCE_OK, "%s",
                why);
  ck_assert_int_eq(sysfence_set_bad_arch_action(ctx, SECCOMP_RET_KILL_THREAD), SYSFENCE_OK);
  struct sock_fprog p = {0};
  ck_assert_msg(sysfence_compile(ctx, &p) == SYSFENCE_OK, "docker-default.kafel for %s:\n%s",
                fam->list, sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return p;
}

/* default.json with libseccomp at -O OPT.  The names this libseccomp does
 * not know get the host's number from syscalls.csv, as the benchmark does
 * (bench/bench.c); in a filter for several arches libseccomp cannot
 * translate such a number to the others and refuses the rule (EFAULT), so
 * those names get the default in every section (see D_LIBSECCOMP_UNKNOWN).
 * For another arch than the host's no number is guessed. */
static struct sock_filter *compile_libseccomp(const family *fam, int opt, size_t *len) {
  csv_table csv;
  ck_assert_int_eq(csv_load(SHARED_DIR "/data/syscalls.csv", "x86_64", &csv), 0);
  json_object *doc = json_object_from_file(SHARED_DIR "/corpus/oci/moby-profiles/default.json");
  ck_assert_msg(doc != NULL, "default.json: %s", json_util_get_last_err());
  int memfd = memfd_create("check_libseccomp", MFD_CLOEXEC);
  ck_assert_int_ge(memfd, 0);
  /* Docker's capabilities and kernel 6.1, as docker-default.kafel says
   * it was converted. */
  oci_opts o = {fam->oci_arch, oci_docker_caps, OCI_N_DOCKER_CAPS, 6, 1, NULL, opt,
                fam->subs, fam->native};
  oci_report rep;
  struct sock_filter *prog = NULL;
  char why[256];
  int rc = oci_compile(doc, &o, fam->native ? NULL : &csv, memfd, &prog, len, &rep, why,
                       sizeof why);
  ck_assert_msg(rc == 0, "libseccomp -O%d for %s: %s", opt, fam->list, why);
  close(memfd);
  json_object_put(doc);
  csv_free(&csv);
  return prog;
}

static programs build(const family *fam) {
  ck_assert_msg(seccomp_arch_native() == SCMP_ARCH_X86_64,
                "libseccomp's native arch here is not x86_64");
  programs p;
  memset(&p, 0, sizeof p);
  p.sf = compile_sysfence(fam);
  for (int opt = 1; opt <= 2; opt++) p.ls[opt] = compile_libseccomp(fam, opt, &p.ls_len[opt]);
  p.order = sf_arch_by_name(fam->order);
  return p;
}

static void programs_free(programs *p) {
  free(p->sf.filter);
  free(p->ls[1]);
  free(p->ls[2]);
}

/* ---- running them ---------------------------------------------------------- */

typedef struct arg_reads {
  int any; /* an argument (or ip) word was loaded */
} arg_reads;

static void note_loads(void *user, size_t pc, const struct sock_filter *insn, uint32_t a,
                       uint32_t x) {
  (void)pc, (void)a, (void)x;
  if (insn->code == (BPF_LD | BPF_W | BPF_ABS) && insn->k >= SF_OFF_IP)
    ((arg_reads *)user)->any = 1;
}

static uint32_t run(const struct sock_filter *f, size_t len, const sf_arch *order,
                    const sf_seccomp_data *d, int *reads_args) {
  arg_reads r = {0};
  uint32_t act = sf_bpf_run_trace(f, len, order, d, NULL, note_loads, &r);
  if (reads_args) *reads_args |= r.any;
  return act;
}

/* ---- the classes of differences --------------------------------------------
 * Each is explained where it is decided (classify). */
enum diff_class {
  /* libseccomp compares all 64 bits of an argument the kernel reads as 32
   * (or 16) bits: socket's int domain, personality's unsigned int.  Its
   * documented width bypass: socket(0x1_00000028 = AF_VSOCK for the
   * kernel) is allowed, personality(0x1_ffffffff = 0xffffffff for the
   * kernel) denied.  sysfence compares what the kernel uses.  Recognized
   * by: the high bits are set above the argument's kernel width, and
   * libseccomp on the same call with those bits cleared gives sysfence's
   * answer. */
  D_WIDTH,
  /* i386's socketcall and ipc: default.json allows both outright, so
   * socketcall(SYS_SOCKET, {AF_VSOCK, ...}) opens the socket that
   * socket(AF_VSOCK, ...) may not (issue 10).  sysfence gives a
   * multiplexer the most restrictive outcome of the rules of its
   * sub-calls whose arguments it cannot see (src/sema/derive.c).  Must be
   * stricter on sysfence's side. */
  D_MULTIPLEXER,
  /* A name libseccomp 2.5.4 does not know for the ABI (mseal, getxattrat,
   * uretprobe, ...): default.json allows it, but libseccomp refuses the
   * rule (see compile_libseccomp), so it gives the default.  Must be
   * libseccomp's side that gives the default. */
  D_LIBSECCOMP_UNKNOWN,
  /* A name docker-default.kafel left out: it was converted for x86_64
   * alone, so names that are no x86_64 syscall ("Omitted, not x86_64
   * syscalls") and entries for other arches ("Entry skipped
   * (includes.arches ...)") are not in it, while libseccomp allows them.
   * The twins among them (setuid32, mmap2, waitpid, ugetrlimit, arm's
   * send, ...) sysfence derives from the names the policy has, so they do
   * not differ; what is left is arm's own calls (breakpoint, cacheflush,
   * set_tls) and arm's _newselect, the twin of a select that neither
   * aarch64 nor arm has.  Must be sysfence's side that gives the policy's
   * default. */
  D_NOT_IN_KAFEL,
  D_UNEXPLAINED,
  N_CLASSES
};

static const char *const class_names[N_CLASSES] = {
    "width bypass (libseccomp compares bits the kernel ignores)",
    "socketcall/ipc (sysfence stricter)",
    "names libseccomp 2.5.4 does not know (libseccomp gives the default)",
    "names docker-default.kafel left out (x86_64 conversion; sysfence gives the default)",
    "UNEXPLAINED"};

enum { MAX_KEYS = 96, MAX_OMITTED = 160 };

typedef struct tally {
  uint64_t calls, diffs[N_CLASSES];
  char keys[N_CLASSES][MAX_KEYS][40]; /* "i386 socketcall", distinct */
  size_t n_keys[N_CLASSES];
  char first_unexplained[8][200];
  size_t n_first;
} tally;

static void add_key(tally *t, int c, const char *abi, const char *name) {
  char key[40];
  snprintf(key, sizeof key, "%s %s", abi, name);
  for (size_t i = 0; i < t->n_keys[c]; i++)
    if (strcmp(t->keys[c][i], key) == 0) return;
  if (t->n_keys[c] < MAX_KEYS) strcpy(t->keys[c][t->n_keys[c]++], key);
}

/* The names docker-default.kafel says it left out: the comment lines of
 * "Omitted, not x86_64 syscalls" and of "Entry skipped (includes.arches
 * A,B)" when OCI_ARCH is among A,B. */
typedef struct omitted {
  char names[MAX_OMITTED][32];
  size_t n;
} omitted;

static void omitted_add_list(omitted *o, const char *list) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *tok = strtok_r(buf, ", \n", &save); tok;
       tok = strtok_r(NULL, ", \n", &save))
    if (o->n < MAX_OMITTED) snprintf(o->names[o->n++], sizeof o->names[0], "%s", tok);
}

static int arches_have(const char *list, const char *oci_arch) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save))
    if (strcmp(tok, oci_arch) == 0) return 1;
  return 0;
}

static omitted read_omitted(const char *oci_arch) {
  omitted o;
  memset(&o, 0, sizeof o);
  char *text = tu_read(SHARED_DIR "/corpus/docker-default.kafel", NULL);
  ck_assert_ptr_nonnull(text);
  int in_list = 0;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    const char *colon = strchr(line, ':');
    char arches[128];
    if (in_list && strncmp(line, "//   ", 5) == 0) {
      omitted_add_list(&o, line + 5);
      continue;
    }
    in_list = 0;
    if (strncmp(line, "// Omitted, not x86_64 syscalls", 31) == 0 && colon) {
      omitted_add_list(&o, colon + 1);
      in_list = 1;
    } else if (sscanf(line, "// Entry skipped (includes.arches %127[^)])", arches) == 1 &&
               colon && arches_have(arches, oci_arch)) {
      omitted_add_list(&o, colon + 1);
      in_list = 1;
    }
  }
  free(text);
  ck_assert_uint_gt(o.n, 20);
  return o;
}

static int is_omitted(const omitted *o, const char *name) {
  for (size_t i = 0; i < o->n; i++)
    if (strcmp(o->names[i], name) == 0) return 1;
  return 0;
}

/* ---- one call, both programs -------------------------------------------------- */

typedef struct abi {
  const sf_arch *arch;
  uint32_t scmp; /* libseccomp's token */
} abi;

typedef struct context {
  const programs *p;
  const omitted *om;
  const abi *abis;
  size_t n_abis;
  uint32_t dflt; /* the policy's default (ERRNO(1)) */
  tally t[3];    /* by libseccomp's level */
} context;

/* The ABI whose call (ARCH, NR) is: the target with that AUDIT_ARCH whose
 * number range NR is in; NULL for a foreign arch. */
static const abi *abi_of(const context *c, uint32_t arch, uint32_t nr) {
  for (size_t i = 0; i < c->n_abis; i++)
    if (c->abis[i].arch->audit_arch == arch && !sf_arch_nr_is_foreign(c->abis[i].arch, nr))
      return &c->abis[i];
  return NULL;
}

/* D's arguments with the bits above each argument's kernel width cleared
 * (a 32-bit ABI's arguments are 32 bits; else the table's widths). */
static int clear_ignored_bits(const sf_arch *a, const sf_syscall *sc, sf_seccomp_data *d) {
  int changed = 0;
  for (int i = 0; i < SF_MAX_ARGS; i++) {
    int bits = a->bits == 32 ? 32 : sc && i < sc->nargs ? sc->args[i].bits : 64;
    uint64_t keep = bits >= 64 ? ~0ull : (1ull << bits) - 1;
    if (d->args[i] & ~keep) changed = 1;
    d->args[i] &= keep;
  }
  return changed;
}

static int libseccomp_knows(const abi *b, const char *name) {
  int nr = seccomp_syscall_resolve_name_arch(b->scmp, name);
  return nr != __NR_SCMP_ERROR && nr >= 0;
}

static int classify(const context *c, int opt, const abi *b, const sf_syscall *sc,
                    const sf_seccomp_data *d, uint32_t sf, uint32_t ls) {
  if (!b || !sc) return D_UNEXPLAINED; /* foreign arch, holes: no rule */
  if (b->arch->bits == 32 && (!strcmp(sc->name, "socketcall") || !strcmp(sc->name, "ipc")))
    return sf_action_stricter(sf, ls) == sf ? D_MULTIPLEXER : D_UNEXPLAINED;
  if (!libseccomp_knows(b, sc->name))
    return ls == c->dflt ? D_LIBSECCOMP_UNKNOWN : D_UNEXPLAINED;
  if (is_omitted(c->om, sc->name) && sf == c->dflt) return D_NOT_IN_KAFEL;
  sf_seccomp_data low = *d;
  if (clear_ignored_bits(b->arch, sc, &low) &&
      run(c->p->ls[opt], c->p->ls_len[opt], c->p->order, &low, NULL) == sf &&
      run(c->p->sf.filter, c->p->sf.len, c->p->order, &low, NULL) == sf)
    return D_WIDTH;
  return D_UNEXPLAINED;
}

/* Decide D with sysfence and with libseccomp at both levels; count and
 * classify the differences.  *READS: a program loaded an argument word. */
static void compare(context *c, const sf_seccomp_data *d, int *reads) {
  const programs *p = c->p;
  uint32_t sf = run(p->sf.filter, p->sf.len, p->order, d, reads);
  const abi *b = abi_of(c, d->arch, d->nr);
  const sf_syscall *sc = b ? sf_syscall_by_nr(b->arch, d->nr) : NULL;
  for (int opt = 1; opt <= 2; opt++) {
    tally *t = &c->t[opt];
    uint32_t ls = run(p->ls[opt], p->ls_len[opt], p->order, d, reads);
    t->calls++;
    if (ls == sf) continue;
    int k = classify(c, opt, b, sc, d, sf, ls);
    t->diffs[k]++;
    add_key(t, k, b ? b->arch->name : "foreign", sc ? sc->name : "(no syscall)");
    if (k == D_UNEXPLAINED && t->n_first < 8) {
      char s1[32], s2[32];
      snprintf(t->first_unexplained[t->n_first++], sizeof t->first_unexplained[0],
               "arch 0x%x nr 0x%x (%s %s) args 0x%llx 0x%llx 0x%llx: sysfence %s, "
               "libseccomp -O%d %s", d->arch, d->nr, b ? b->arch->name : "foreign",
               sc ? sc->name : "-", (unsigned long long)d->args[0],
               (unsigned long long)d->args[1], (unsigned long long)d->args[2],
               sf_action_str(sf, s1, sizeof s1), opt, sf_action_str(ls, s2, sizeof s2));
    }
  }
}

/* ---- the probes --------------------------------------------------------------- */

enum { MAX_VALUES = 512 };

typedef struct valset {
  uint32_t v[MAX_VALUES];
  size_t n;
} valset;

static void val_add(valset *s, uint32_t v) {
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == v) return;
  if (s->n < MAX_VALUES) s->v[s->n++] = v;
}

/* Every constant PROG compares an argument word with (the jumps after a
 * load of one, in program order), and every mask it ANDs one with: k-1,
 * k, k+1, and for a mask its complement and lowest bit. */
static void constants_of(const struct sock_filter *f, size_t len, valset *s) {
  int arg_loaded = 0;
  for (size_t i = 0; i < len; i++) {
    uint16_t cls = BPF_CLASS(f[i].code);
    if (cls == BPF_LD) arg_loaded = f[i].k >= SF_OFF_ARGS;
    if (!arg_loaded || BPF_SRC(f[i].code) != BPF_K) continue;
    uint32_t k = f[i].k;
    if (cls == BPF_JMP && BPF_OP(f[i].code) != BPF_JA) {
      val_add(s, k - 1);
      val_add(s, k);
      val_add(s, k + 1);
    } else if (cls == BPF_ALU && BPF_OP(f[i].code) == BPF_AND) {
      val_add(s, k);
      val_add(s, ~k);
      val_add(s, k & -k);
      val_add(s, 0);
    }
  }
}

static valset probe_words(const programs *p) {
  valset s = {{0}, 0};
  static const uint32_t fixed[] = {0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, HI_JUNK};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) val_add(&s, fixed[i]);
  constants_of(p->sf.filter, p->sf.len, &s);
  for (int opt = 1; opt <= 2; opt++) constants_of(p->ls[opt], p->ls_len[opt], &s);
  return s;
}

/* The call (ARCH, NR) with all arguments zero; where a program read an
 * argument, each argument (and all six at once) set to every pair of
 * words of W, as low and high word. */
static void probe_call(context *c, const valset *w, uint32_t arch, uint32_t nr) {
  sf_seccomp_data d = {nr, arch, 0, {0}};
  int reads = 0;
  compare(c, &d, &reads);
  if (!reads) return; /* no argument on any path: the answer is the same for all */
  static const uint32_t highs[] = {0, 1, 0xffffffff, HI_JUNK};
  for (int which = 0; which <= SF_MAX_ARGS; which++)
    for (size_t lo = 0; lo < w->n; lo++)
      for (size_t hi = 0; hi < sizeof highs / sizeof highs[0] + 2; hi++) {
        /* the high word: a fixed one, or a constant (as in a 64-bit compare) */
        uint32_t h = hi < 4 ? highs[hi] : w->v[(lo + hi) % w->n];
        uint64_t v = (uint64_t)h << 32 | w->v[lo];
        for (int i = 0; i < SF_MAX_ARGS; i++)
          d.args[i] = which == SF_MAX_ARGS || which == i ? v : 0;
        compare(c, &d, NULL);
      }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The numbers to try with AUDIT_ARCH of ABI B: every number from the ABI's
 * base to 64 above its highest regular one (the holes included), each
 * table number and its neighbours (arm's private calls at 0xf0000), -1,
 * and the edges of the other ABI's range. */
static size_t numbers_for(const abi *b, uint32_t *out, size_t max) {
  const sf_arch *a = b->arch;
  uint32_t base = a->by_nr[0]->nr & X32_BIT, top = base;
  size_t n = 0;
  for (size_t i = 0; i < a->n_syscalls; i++) {
    uint32_t nr = a->by_nr[i]->nr;
    if (nr - base < 0x10000 && nr > top) top = nr;
    if (n + 3 <= max) out[n++] = nr - 1, out[n++] = nr, out[n++] = nr + 1;
  }
  for (uint32_t nr = base; nr <= top + 64 && n < max; nr++) out[n++] = nr;
  static const uint32_t edges[] = {0xffffffff, 0xfffffffe, X32_BIT - 1, X32_BIT,
                                   0x7fffffff, 0x80000000, 0xffff, 0x10000};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0] && n < max; i++) out[n++] = edges[i];
  qsort(out, n, sizeof *out, cmp_u32);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (!u || out[u - 1] != out[i]) out[u++] = out[i];
  return u;
}

static void sweep(context *c) {
  valset w = probe_words(c->p);
  enum { MAX_NRS = 8192 };
  uint32_t *nrs = malloc(MAX_NRS * sizeof *nrs);
  ck_assert_ptr_nonnull(nrs);
  for (size_t i = 0; i < c->n_abis; i++) {
    size_t n = numbers_for(&c->abis[i], nrs, MAX_NRS);
    ck_assert_uint_lt(n, MAX_NRS);
    for (size_t k = 0; k < n; k++) probe_call(c, &w, c->abis[i].arch->audit_arch, nrs[k]);
  }
  /* Foreign architectures: the bad-arch action on both sides. */
  static const uint32_t foreign[] = {0, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386,
                                     AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_S390X,
                                     AUDIT_ARCH_X86_64 ^ 1, 0xffffffff};
  for (size_t f = 0; f < sizeof foreign / sizeof foreign[0]; f++) {
    int ours = 0;
    for (size_t i = 0; i < c->n_abis; i++) ours |= c->abis[i].arch->audit_arch == foreign[f];
    if (ours) continue;
    static const uint32_t some[] = {0, 1, 2, 41, 59, 102, 135, 0xffffffff, X32_BIT | 39};
    for (size_t k = 0; k < sizeof some / sizeof some[0]; k++) probe_call(c, &w, foreign[f], some[k]);
  }
  free(nrs);
}

static void report(const context *c, const char *list) {
  for (int opt = 1; opt <= 2; opt++) {
    const tally *t = &c->t[opt];
    fprintf(stderr, "check_libseccomp: %s, sysfence -O1 against libseccomp -O%d: %llu calls\n",
            list, opt, (unsigned long long)t->calls);
    for (int k = 0; k < N_CLASSES; k++) {
      if (!t->diffs[k] && k != D_UNEXPLAINED) continue;
      fprintf(stderr, "  %-86s %6llu calls", class_names[k], (unsigned long long)t->diffs[k]);
      if (t->n_keys[k]) fprintf(stderr, ", %zu syscalls:", t->n_keys[k]);
      for (size_t i = 0; i < t->n_keys[k]; i++)
        fprintf(stderr, "%s%s", i % 6 ? ", " : "\n    ", t->keys[k][i]);
      fprintf(stderr, "\n");
    }
  }
}

static int has_key(const tally *t, int k, const char *key) {
  for (size_t i = 0; i < t->n_keys[k]; i++)
    if (strcmp(t->keys[k][i], key) == 0) return 1;
  return 0;
}

static void expect_no_unexplained(const context *c, const char *list) {
  for (int opt = 1; opt <= 2; opt++) {
    const tally *t = &c->t[opt];
    ck_assert_msg(t->diffs[D_UNEXPLAINED] == 0,
                  "%s: %llu unexplained differences with libseccomp -O%d, the first:\n"
                  "%s\n%s\n%s", list, (unsigned long long)t->diffs[D_UNEXPLAINED], opt,
                  t->first_unexplained[0], t->n_first > 1 ? t->first_unexplained[1] : "",
                  t->n_first > 2 ? t->first_unexplained[2] : "");
    /* libseccomp's two levels decide alike: the classes are the same */
    for (int k = 0; k < N_CLASSES; k++)
      ck_assert_msg(c->t[1].diffs[k] == c->t[2].diffs[k],
                    "%s: %s: %llu calls at -O1, %llu at -O2", list, class_names[k],
                    (unsigned long long)c->t[1].diffs[k], (unsigned long long)c->t[2].diffs[k]);
  }
}

#define NEED_ALL(test)                                                         \
  do {                                                                         \
    TU_NEED_CORPUS(test);                                                      \
    if (seccomp_arch_native() != SCMP_ARCH_X86_64) {                           \
      tu_skip((test), "libseccomp's native arch here is not x86_64");          \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* FAM's programs P and the calls OM it leaves out, swept on ABIS[0..N)
 * (the policy's default ERRNO(1)) and reported, with no difference left
 * unexplained: the context, for the family's own checks (free() it). */
static context *swept(const family *fam, const programs *p, const omitted *om,
                      const abi *abis, size_t n) {
  context *c = calloc(1, sizeof *c);
  ck_assert_ptr_nonnull(c);
  *c = (context){p, om, abis, n, SECCOMP_RET_ERRNO | 1, {{0}}};
  sweep(c);
  report(c, fam->list);
  expect_no_unexplained(c, fam->list);
  return c;
}

START_TEST(docker_x86_family_matches_libseccomp) {
  NEED_ALL("docker_x86_family_matches_libseccomp");
  programs p = build(&x86_family);
  omitted om = read_omitted(x86_family.oci_arch);
  const abi abis[] = {{sf_arch_by_name("x86_64"), SCMP_ARCH_X86_64},
                      {sf_arch_by_name("i386"), SCMP_ARCH_X86},
                      {sf_arch_by_name("x32"), SCMP_ARCH_X32}};
  context *c = swept(&x86_family, &p, &om, abis, 3);
  const tally *t = &c->t[2];
  ck_assert_uint_gt(t->calls, 3 * 1000);
  /* The differences the issue names, each seen. */
  ck_assert_msg(has_key(t, D_WIDTH, "x86_64 socket") && has_key(t, D_WIDTH, "x86_64 personality"),
                "no width bypass seen on x86_64 socket and personality");
  ck_assert_msg(has_key(t, D_MULTIPLEXER, "i386 socketcall"), "socketcall not stricter");
  /* Every i386 name docker-default.kafel left out is a twin sysfence
   * derives (waitpid, ugetrlimit, sigprocmask, sigreturn, _llseek, ...). */
  ck_assert_uint_eq(t->diffs[D_NOT_IN_KAFEL], 0);
  free(c);
  programs_free(&p);
}
END_TEST

START_TEST(docker_arm_family_matches_libseccomp) {
  NEED_ALL("docker_arm_family_matches_libseccomp");
  programs p = build(&arm_family);
  omitted om = read_omitted(arm_family.oci_arch);
  const abi abis[] = {{sf_arch_by_name("aarch64"), SCMP_ARCH_AARCH64},
                      {sf_arch_by_name("arm"), SCMP_ARCH_ARM}};
  context *c = swept(&arm_family, &p, &om, abis, 2);
  ck_assert_uint_gt(c->t[2].calls, 2 * 1000);
  ck_assert_msg(has_key(&c->t[2], D_WIDTH, "aarch64 socket"), "no width bypass on aarch64");
  /* arm's own calls, and _newselect (select's twin; neither ABI has select) */
  const char *left_out[] = {"arm breakpoint", "arm cacheflush", "arm set_tls", "arm _newselect"};
  ck_assert_uint_eq(c->t[2].n_keys[D_NOT_IN_KAFEL], 4);
  for (size_t i = 0; i < 4; i++)
    ck_assert_msg(has_key(&c->t[2], D_NOT_IN_KAFEL, left_out[i]), "%s", left_out[i]);
  free(c);
  programs_free(&p);
}
END_TEST

/* ---- on the kernel ------------------------------------------------------------ */

/* A sample of x86_64 calls (syscall()) and i386 calls (int $0x80 from this
 * 64-bit process), each harmless should it run, made under each program
 * in a forked child: what the kernel does must be what the simulator said
 * of that program.  It includes the differences of the classes above:
 * socket(0x1_00000028) and personality(0x1_ffffffff) (the width bypass,
 * x86_64), socketcall(SYS_SOCKET, {AF_VSOCK, ...}) (i386; its argument
 * block must lie below 4 GiB for an i386 call). */
typedef struct kcall {
  const char *what;
  int i386;
  long nr;
  uint64_t a[6];
} kcall;

static void expect_kernel(const struct sock_fprog *prog, const sf_arch *order,
                          const kcall *k, const char *who) {
  sf_seccomp_data d = {(uint32_t)k->nr, k->i386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64, 0, {0}};
  memcpy(d.args, k->a, sizeof d.args);
  uint32_t want = sf_bpf_run(prog->filter, prog->len, order, &d, NULL);
  tu_outcome o = k->i386 ? tu_int80_under(prog, k->nr, k->a) : tu_syscall_under(prog, k->nr, k->a);
  char act[32];
  sf_action_str(want, act, sizeof act);
  ck_assert_msg(o.killed_by != -1, "%s: the kernel refused the filter", who);
  switch (want & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_ALLOW:
    ck_assert_msg(!o.killed_by && o.err != EPERM, "%s, %s: simulated %s, the kernel: "
                  "killed %d ret %ld errno %d", who, k->what, act, o.killed_by, o.ret, o.err);
    break;
  case SECCOMP_RET_ERRNO:
    ck_assert_msg(!o.killed_by && o.err == (int)(want & SECCOMP_RET_DATA),
                  "%s, %s: simulated %s, the kernel: killed %d ret %ld errno %d", who,
                  k->what, act, o.killed_by, o.ret, o.err);
    break;
  default:
    ck_assert_msg(o.killed_by == SIGSYS, "%s, %s: simulated %s, the kernel: killed %d "
                  "ret %ld errno %d", who, k->what, act, o.killed_by, o.ret, o.err);
  }
}

START_TEST(docker_x86_family_on_the_kernel) {
  NEED_ALL("docker_x86_family_on_the_kernel");
  if (!tu_seccomp_available()) {
    tu_skip_no_seccomp("docker_x86_family_on_the_kernel");
    return;
  }
  uint32_t *block = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  ck_assert_ptr_ne(block, MAP_FAILED);
  block[0] = 40, block[1] = SOCK_STREAM, block[2] = 0; /* AF_VSOCK */
  const uint64_t hi = (uint64_t)HI_JUNK << 32;
  const kcall calls[] = {
      {"getpid", 0, SYS_getpid, {0}},
      {"socket(AF_VSOCK)", 0, SYS_socket, {40, SOCK_STREAM}},
      {"socket(0x1_00000028)", 0, SYS_socket, {0x100000028ull, SOCK_STREAM}},
      {"socket(AF_UNIX)", 0, SYS_socket, {AF_UNIX, SOCK_STREAM}},
      {"personality(0xffffffff)", 0, SYS_personality, {0xffffffffull}},
      {"personality(0x1_ffffffff)", 0, SYS_personality, {0x1ffffffffull}},
      {"reboot(0, 0, 0)", 0, SYS_reboot, {0}},
      {"unshare(0)", 0, SYS_unshare, {0}},
      {"nr 1000", 0, 1000, {0}},
      {"nr -1", 0, -1, {0}},
      {"x32 getpid", 0, (long)(X32_BIT | SYS_getpid), {0}},
      {"i386 getpid", 1, 20, {0}},
      {"i386 socket(AF_VSOCK)", 1, 359, {40, SOCK_STREAM}},
      {"i386 socket(junk:AF_VSOCK)", 1, 359, {hi | 40, SOCK_STREAM}},
      {"i386 socketcall(SYS_SOCKET, {AF_VSOCK})", 1, 102, {1, (uint64_t)(uintptr_t)block}},
      {"i386 personality(junk:0xffffffff)", 1, 136, {hi | 0xffffffffull}},
      {"i386 ipc(0)", 1, 117, {0}},
      {"i386 nr 1000", 1, 1000, {0}},
  };
  /* int $0x80 needs the kernel's ia32 emulation */
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  const struct sock_fprog allow_all = {1, &allow};
  tu_outcome ia32 = tu_int80_under(&allow_all, 20, calls[0].a);
  int have_ia32 = !ia32.killed_by && ia32.ret > 0;
  if (!have_ia32)
    tu_skip("docker_x86_family_on_the_kernel", "int $0x80 (ia32 emulation) is not "
            "available on this kernel: the i386 calls were not made");
  programs p = build(&x86_family);
  const struct sock_fprog ls = {(unsigned short)p.ls_len[2], p.ls[2]};
  size_t made = 0, differ = 0;
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    if (calls[i].i386 && !have_ia32) continue;
    expect_kernel(&p.sf, p.order, &calls[i], "sysfence");
    expect_kernel(&ls, p.order, &calls[i], "libseccomp -O2");
    sf_seccomp_data d = {(uint32_t)calls[i].nr,
                         calls[i].i386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64, 0, {0}};
    memcpy(d.args, calls[i].a, sizeof d.args);
    differ += run(p.sf.filter, p.sf.len, p.order, &d, NULL) !=
              run(ls.filter, ls.len, p.order, &d, NULL);
    made++;
  }
  /* the width bypass twice, and socketcall when i386 ran */
  ck_assert_uint_ge(differ, have_ia32 ? 3 : 2);
  fprintf(stderr, "check_libseccomp: on the kernel: %zu calls under each program, %zu of "
          "them decided differently (each as simulated)\n", made, differ);
  munmap(block, 4096);
  programs_free(&p);
}
END_TEST

/* ---- sysfence stats and disasm on libseccomp's blobs ------------------------------ */

static char *write_blob(const char *dir, const char *name, const struct sock_filter *f,
                        size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *out = fopen(path, "wb");
  ck_assert_ptr_nonnull(out);
  ck_assert_uint_eq(fwrite(f, sizeof *f, len, out), len);
  ck_assert_int_eq(fclose(out), 0);
  return strdup(path);
}

/* Does the line at P end with WHAT? */
static int line_has(const char *p, const char *what) {
  const char *nl = p ? strchr(p, '\n') : NULL;
  size_t n = strlen(what);
  return nl && (size_t)(nl - p) >= n && strncmp(nl - n, what, n) == 0;
}

/* The report of ARCH in stats' output OUT (from its "target:" line to the
 * next), checked against sf_stats_compute on the same program. */
static void expect_report(const char *out, const char *arch, const char *pos,
                          const struct sock_filter *f, size_t len, const char *bitmap) {
  char head[64];
  snprintf(head, sizeof head, "target:      %s (%s)\n", arch, pos);
  const char *at = strstr(out, head);
  ck_assert_msg(at != NULL, "no '%s' in:\n%s", head, out);
  const char *end = strstr(at + 1, "target:");
  size_t n = end ? (size_t)(end - at) : strlen(at);
  char *part = strndup(at, n);
  sf_stats st;
  ck_assert_int_eq(sf_stats_compute(f, len, sf_arch_by_name(arch), &st), 0);
  char want[160];
  snprintf(want, sizeof want, "allowed:     %zu syscalls", st.n_allowed);
  ck_assert_msg(strstr(part, want), "%s: no '%s' in:\n%s", arch, want, part);
  snprintf(want, sizeof want, "cached:      %zu %s", st.n_cached,
           bitmap ? "always allowed" : "(x32 numbers are outside");
  ck_assert_msg(strstr(part, want), "%s: no '%s' in:\n%s", arch, want, part);
  if (bitmap) {
    snprintf(want, sizeof want, "(%s bitmap", bitmap);
    ck_assert_msg(strstr(part, want), "%s: no '%s' in:\n%s", arch, want, part);
  }
  ck_assert_uint_gt(st.n_allowed, 250);
  sf_stats_free(&st);
  free(part);
}

/* Each section annotated with its own arch's names: x86_64's 102 is getuid,
 * i386's socketcall; x32's 0x40000201 is rt_sigreturn.  stats reports
 * x86_64, x32 (same AUDIT_ARCH, a section of its own) and i386, each with
 * its cache bitmap; aarch64 and arm likewise. */
START_TEST(stats_and_disasm_of_libseccomp_blobs) {
  NEED_ALL("stats_and_disasm_of_libseccomp_blobs");
  char *dir = tu_tmpdir();
  programs p = build(&x86_family);
  char *x86 = write_blob(dir, "x86.bpf", p.ls[2], p.ls_len[2]);
  tu_result r = tu_run_program(tu_sysfence(), NULL, "disasm", x86, NULL);
  ck_assert_msg(r.exited && r.status == 0, "disasm: %s", r.err);
  const char *i386 = strstr(r.out, "; AUDIT_ARCH_I386\n");
  const char *x32 = strstr(r.out, "#0x40000201 ");
  ck_assert_msg(i386 && x32 && x32 < i386, "%s", r.out);
  ck_assert_msg(line_has(x32, "; rt_sigreturn") && line_has(strstr(i386, "#102 "), "; socketcall"),
                "%s", r.out);
  const char *getuid = strstr(r.out, "#102 ");
  ck_assert_msg(getuid < i386 && line_has(getuid, "; getuid"), "%s", r.out);
  tu_result_free(&r);
  r = tu_run_program(tu_sysfence(), NULL, "stats", x86, NULL);
  ck_assert_msg(r.exited && r.status == 0, "stats: %s", r.err);
  expect_report(r.out, "x86_64", "1 of 3", p.ls[2], p.ls_len[2], "native");
  expect_report(r.out, "x32", "2 of 3", p.ls[2], p.ls_len[2], NULL);
  expect_report(r.out, "i386", "3 of 3", p.ls[2], p.ls_len[2], "compat");
  tu_result_free(&r);
  programs_free(&p);
  p = build(&arm_family);
  char *arm = write_blob(dir, "arm.bpf", p.ls[2], p.ls_len[2]);
  r = tu_run_program(tu_sysfence(), NULL, "stats", arm, NULL);
  ck_assert_msg(r.exited && r.status == 0, "stats: %s", r.err);
  expect_report(r.out, "aarch64", "1 of 2", p.ls[2], p.ls_len[2], "native");
  expect_report(r.out, "arm", "2 of 2", p.ls[2], p.ls_len[2], "compat");
  tu_result_free(&r);
  programs_free(&p);
  free(x86);
  free(arm);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- suite ----------------------------------------------------------------- */

static Suite *libseccomp_suite(void) {
  Suite *s = suite_create("libseccomp");
  TCase *tc = tcase_create("docker");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, docker_x86_family_matches_libseccomp);
  tcase_add_test(tc, docker_arm_family_matches_libseccomp);
  tcase_add_test(tc, docker_x86_family_on_the_kernel);
  tcase_add_test(tc, stats_and_disasm_of_libseccomp_blobs);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(libseccomp_suite()); }

#else

int main(void) {
  tu_skip_program("libseccomp-dev and libjson-c-dev are not installed (configure found "
                  "no libseccomp or json-c with pkg-config): Docker's profile is not "
                  "compared with libseccomp's filters");
}

#endif
