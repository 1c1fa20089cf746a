/* check_convert.c - 'sysfence convert --to oci': a policy as an OCI seccomp
 * profile.
 *
 * The round trip: policy -> profile (sf_oci_profile) -> libseccomp, built
 * the way runc builds it (bench/oci.c) -> the program, against policy ->
 * sysfence compile, both run in the simulator on every syscall number of
 * the target (0 to past the highest, -1, the x32 range, a foreign
 * AUDIT_ARCH) and, for the syscalls with rules, on argument vectors made of
 * probes around every constant of their conditions.  Every probe keeps the
 * bits above the argument's kernel width zero: with junk there libseccomp
 * compares 64 bits where the kernel (and sysfence) looks at the width, the
 * "width bypass" the README describes (width_bypass_documented shows it).
 * The profile has no field for the action of a foreign architecture:
 * libseccomp's own (KILL_THREAD) is what runc gets, so the sysfence side is
 * compiled with --bad-arch KILL_THREAD.
 *
 * Policies: the handmade ones below (every rewriting the converter does),
 * and every corpus Kafel policy that a profile can express, for x86_64 and
 * for x86_64,x32 (the others are listed with the reason).  libseccomp
 * compares x32's arguments on their low 32 bits alone, so x32's probes
 * have no high word (the width bypass again); syscalls this libseccomp
 * cannot name on an ABI are left out there, as runc leaves them out.
 * Without libseccomp those checks skip loudly.
 * The JSON is checked structurally as runc reads it (fields, types,
 * operators, no repeated index in an entry, no entry with the default
 * action), and every inexpressible construct is an error at its rule with
 * nothing written. */
#include "config.h" /* SHARED_DIR, HAVE_LIBSECCOMP */

#include <check.h>
#include <ftw.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/oci.h"
#include "internal.h"
#include "sysfence.h"
#include "testutil.h"
#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>

#include "../bench/bench.h"
#endif

#define CORPUS SHARED_DIR "/corpus"
/* corpus policies that convert (of those that compile): at least */
#define EXPECTED_EXPRESSIBLE 44

/* ---- structure: what runc reads ---------------------------------------------- */

static int in_list(const char *s, const char *const *list) {
  for (; s && *list; list++)
    if (strcmp(s, *list) == 0) return 1;
  return 0;
}

static const char *const actions[] = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY", NULL};
static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT",
                                  "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE",
                                  "SCMP_CMP_MASKED_EQ", NULL};

static json_object *field(json_object *o, const char *key, json_type type, int required) {
  json_object *v = NULL;
  int has = json_object_object_get_ex(o, key, &v);
  ck_assert_msg(has || !required, "missing \"%s\"", key);
  if (has) ck_assert_msg(json_object_is_type(v, type), "\"%s\" has the wrong type", key);
  return has ? v : NULL;
}

static void check_keys(json_object *o, const char *const *allowed) {
  json_object_object_foreach(o, key, val) {
    (void)val;
    ck_assert_msg(in_list(key, allowed), "unexpected field \"%s\"", key);
  }
}

static void check_arg(json_object *a, unsigned *seen) {
  static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
  check_keys(a, keys);
  int64_t index = json_object_get_int64(field(a, "index", json_type_int, 1));
  ck_assert_msg(index >= 0 && index <= 5, "index %lld", (long long)index);
  /* runc ORs the conditions of an entry whose indices repeat */
  ck_assert_msg(!(*seen & (1u << index)), "index %lld repeats in an entry", (long long)index);
  *seen |= 1u << index;
  field(a, "value", json_type_int, 1);
  field(a, "valueTwo", json_type_int, 0);
  ck_assert(in_list(json_object_get_string(field(a, "op", json_type_string, 1)), ops));
}

static void check_entry(json_object *e, const char *def_action, int64_t def_ret) {
  static const char *const keys[] = {"names", "action", "errnoRet", "args", NULL};
  check_keys(e, keys);
  json_object *names = field(e, "names", json_type_array, 1);
  ck_assert_int_gt(json_object_array_length(names), 0);
  for (size_t i = 0; i < json_object_array_length(names); i++) {
    json_object *n = json_object_array_get_idx(names, i);
    ck_assert(json_object_is_type(n, json_type_string) && *json_object_get_string(n));
  }
  const char *action = json_object_get_string(field(e, "action", json_type_string, 1));
  ck_assert_msg(in_list(action, actions), "action %s", action);
  json_object *ret = field(e, "errnoRet", json_type_int, 0);
  int with_ret = !strcmp(action, "SCMP_ACT_ERRNO") || !strcmp(action, "SCMP_ACT_TRACE");
  ck_assert_int_eq(ret != NULL, with_ret);
  /* runc drops an entry with the default action: it would say nothing */
  ck_assert_msg(strcmp(action, def_action) != 0 ||
                    (ret && json_object_get_int64(ret) != def_ret),
                "an entry with the default action");
  json_object *args = field(e, "args", json_type_array, 0);
  unsigned seen = 0;
  for (size_t i = 0; args && i < json_object_array_length(args); i++)
    check_arg(json_object_array_get_idx(args, i), &seen);
}

/* TEXT parses, and has the fields and types runc expects. */
static json_object *check_profile(const char *text, size_t n_arches) {
  static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "architectures",
                                     "syscalls", NULL};
  json_object *root = json_tokener_parse(text);
  ck_assert_msg(root && json_object_is_type(root, json_type_object), "not a JSON object");
  check_keys(root, keys);
  const char *def = json_object_get_string(field(root, "defaultAction", json_type_string, 1));
  ck_assert(in_list(def, actions));
  json_object *def_ret = field(root, "defaultErrnoRet", json_type_int, 0);
  json_object *arches = field(root, "architectures", json_type_array, 1);
  ck_assert_uint_eq(json_object_array_length(arches), n_arches);
  for (size_t i = 0; i < n_arches; i++)
    ck_assert(strncmp(json_object_get_string(json_object_array_get_idx(arches, i)),
                      "SCMP_ARCH_", 10) == 0);
  json_object *sys = field(root, "syscalls", json_type_array, 1);
  for (size_t i = 0; i < json_object_array_length(sys); i++)
    check_entry(json_object_array_get_idx(sys, i), def,
                def_ret ? json_object_get_int64(def_ret) : -1);
  return root;
}

/* ---- a policy, converted and compiled ---------------------------------------- */

enum { MAX_PROBES = 48 };

/* Argument probes for one syscall of one target: per index, values around
 * the constants its conditions compare with, within the argument's width. */
typedef struct sys_probes {
  uint32_t nr;
  uint64_t v[SF_MAX_ARGS][MAX_PROBES];
  size_t n[SF_MAX_ARGS];
} sys_probes;

typedef struct target {
  const sf_arch *arch;
  sys_probes *sys;
  size_t n_sys;
} target;

typedef struct converted {
  char *text;  /* the profile, or NULL */
  char *diags; /* the diagnostics (malloc()ed) */
  struct sock_fprog prog; /* sysfence's program (with --bad-arch KILL_THREAD) */
  target t[SF_MAX_TARGETS];
  size_t n_targets;
} converted;

static void add_probe(sys_probes *p, int idx, uint64_t v, uint64_t width) {
  v &= width;
  for (size_t i = 0; i < p->n[idx]; i++)
    if (p->v[idx][i] == v) return;
  if (p->n[idx] < MAX_PROBES) p->v[idx][p->n[idx]++] = v;
}

/* The argument of a comparison's side, and its constants. */
static void scan_val(const sf_val *v, int *idx, int *bits, uint64_t *k, size_t *nk) {
  if (v->kind == VAL_ARG) *idx = v->arg, *bits = v->bits;
  else if (v->kind == VAL_CONST && *nk < 8) k[(*nk)++] = v->k;
  else if (v->kind == VAL_AND || v->kind == VAL_OR) {
    scan_val(v->lhs, idx, bits, k, nk);
    scan_val(v->rhs, idx, bits, k, nk);
  }
}

static void scan_cond(const sf_cond *c, sys_probes *p) {
  if (!c) return;
  if (c->kind == COND_AND || c->kind == COND_OR) scan_cond(c->b, p);
  if (c->kind == COND_AND || c->kind == COND_OR || c->kind == COND_NOT) scan_cond(c->a, p);
  if (c->kind != COND_CMP) return;
  int idx = -1, bits = 64;
  uint64_t k[8];
  size_t nk = 0;
  scan_val(c->lhs, &idx, &bits, k, &nk);
  scan_val(c->rhs, &idx, &bits, k, &nk);
  if (idx < 0) return;
  uint64_t w = bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
  add_probe(p, idx, 0, w), add_probe(p, idx, 1, w), add_probe(p, idx, w, w);
  add_probe(p, idx, w >> 1, w), add_probe(p, idx, (w >> 1) + 1, w);
  for (size_t i = 0; i < nk; i++) {
    add_probe(p, idx, k[i], w), add_probe(p, idx, k[i] - 1, w);
    add_probe(p, idx, k[i] + 1, w), add_probe(p, idx, ~k[i], w);
    for (size_t j = 0; j < nk; j++)
      if (i != j) {
        add_probe(p, idx, k[i] | k[j], w), add_probe(p, idx, k[i] & ~k[j], w);
        add_probe(p, idx, k[i] ^ k[j], w);
      }
  }
}

/* libseccomp compares the low 32 bits alone on x32 (its ILP32 ABIs): a
 * high word there is the width bypass again, so x32's probes have none. */
static int scmp_compares_32(const sf_arch *arch) {
  return strcmp(arch->name, "x32") == 0;
}

static void collect_probes(target *t, const sf_ruleset *rs) {
  t->arch = rs->arch;
  t->n_sys = rs->n_sys;
  t->sys = calloc(rs->n_sys ? rs->n_sys : 1, sizeof *t->sys);
  ck_assert_ptr_nonnull(t->sys);
  for (size_t s = 0; s < rs->n_sys; s++) {
    t->sys[s].nr = rs->sys[s].nr;
    for (size_t r = 0; r < rs->sys[s].n_rules; r++) scan_cond(rs->sys[s].rules[r].cond, &t->sys[s]);
    for (int i = 0; i < SF_MAX_ARGS; i++) {
      if (t->sys[s].n[i] == 0) t->sys[s].v[i][t->sys[s].n[i]++] = 0;
      for (size_t k = 0; scmp_compares_32(rs->arch) && k < t->sys[s].n[i]; k++)
        t->sys[s].v[i][k] &= 0xffffffffu;
    }
  }
}

static sysfence_ctx *ctx_for(const char *path, const char *text, const char *arches) {
  sysfence_ctx *ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
  if (path) {
    ck_assert_int_eq(sysfence_set_input_path(ctx, path), SYSFENCE_OK);
    char *copy = strdup(path);
    ck_assert_int_eq(sysfence_add_include_path(ctx, dirname(copy)), SYSFENCE_OK);
    free(copy);
  } else {
    ck_assert_int_eq(sysfence_set_input_string(ctx, "policy", text), SYSFENCE_OK);
  }
  char why[256];
  ck_assert_msg(sysfence_set_arches(ctx, arches, why, sizeof why) == SYSFENCE_OK, "%s", why);
  ck_assert_int_eq(sysfence_set_bad_arch_action(ctx, SF_RET_KILL_THREAD), SYSFENCE_OK);
  return ctx;
}

/* Convert (and, when that works, compile) a policy for ARCHES. */
static converted convert(const char *path, const char *text, const char *arches) {
  converted c;
  memset(&c, 0, sizeof c);
  sysfence_ctx *ctx = ctx_for(path, text, arches);
  const sf_ruleset *rs[SF_MAX_TARGETS];
  const ast_file *tree;
  size_t n = sf_front_end_targets(ctx, &tree, rs);
  c.text = n ? sf_oci_profile_text(ctx, rs, n) : NULL;
  c.diags = strdup(sysfence_diag_text(ctx));
  c.n_targets = n;
  for (size_t i = 0; i < n; i++) collect_probes(&c.t[i], rs[i]);
  /* compiling starts afresh: the rule sets above are gone after this */
  if (c.text) ck_assert_msg(sysfence_compile(ctx, &c.prog) == SYSFENCE_OK, "%s",
                            sysfence_diag_text(ctx));
  sysfence_free(ctx);
  return c;
}

static void converted_free(converted *c) {
  free(c->text);
  free(c->diags);
  free(c->prog.filter);
  for (size_t i = 0; i < c->n_targets; i++) free(c->t[i].sys);
}

/* ---- the round trip ---------------------------------------------------------- */

#ifdef HAVE_LIBSECCOMP
/* libseccomp's name of a profile architecture (runc's mapping). */
static const char *scmp_arch(const char *oci) {
  static const char *const map[][2] = {{"SCMP_ARCH_X86", "x86"}, {"SCMP_ARCH_X86_64", "x86_64"},
                                       {"SCMP_ARCH_X32", "x32"}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i][0], oci) == 0) return map[i][1];
  return NULL;
}

/* The names of the profile this libseccomp does not know (newer syscalls),
 * newline-separated in UNKNOWN. */
static void unknown_names(json_object *root, char *unknown, size_t size) {
  json_object *sys = NULL;
  json_object_object_get_ex(root, "syscalls", &sys);
  size_t len = 0;
  unknown[0] = '\0';
  for (size_t i = 0; i < json_object_array_length(sys); i++) {
    json_object *names = NULL;
    json_object_object_get_ex(json_object_array_get_idx(sys, i), "names", &names);
    for (size_t k = 0; k < json_object_array_length(names); k++) {
      const char *n = json_object_get_string(json_object_array_get_idx(names, k));
      if (seccomp_syscall_resolve_name(n) == __NR_SCMP_ERROR && len + strlen(n) + 2 < size)
        len += (size_t)snprintf(unknown + len, size - len, "%s\n", n);
    }
  }
}

/* libseccomp's name of a sysfence architecture. */
static const char *scmp_arch_of(const sf_arch *arch) {
  return strcmp(arch->name, "i386") == 0 ? "x86" : arch->name;
}

/* The profile built by libseccomp the way runc builds it.  A name this
 * libseccomp does not know is resolved from syscalls.csv for x86_64 alone
 * (as bench/oci.c does, standing for a newer libseccomp); with other ABIs
 * too, a number cannot stand for the name on each, so such names are left
 * out as runc with this libseccomp leaves them out, and the comparison
 * skips them (left_out; UNKNOWN lists them). */
static struct sock_filter *libseccomp_build(const char *name, json_object *root, size_t *len,
                                            char *unknown, size_t unknown_size) {
  static csv_table csv;
  static int csv_loaded;
  if (!csv_loaded) csv_loaded = csv_load(SHARED_DIR "/data/syscalls.csv", "x86_64", &csv) == 0 ? 1 : -1;
  json_object *arches = NULL;
  json_object_object_get_ex(root, "architectures", &arches);
  const char *subs[SF_MAX_TARGETS + 1] = {NULL};
  for (size_t i = 1, k = 0; i < json_object_array_length(arches); i++) {
    const char *a = json_object_get_string(json_object_array_get_idx(arches, i));
    subs[k] = scmp_arch(a);
    ck_assert_msg(subs[k++], "%s: no libseccomp name for %s here", name, a);
  }
  oci_opts o = {"amd64", NULL, 0, 6, 1, NULL, 1, subs, NULL};
  unknown[0] = '\0';
  if (subs[0]) unknown_names(root, unknown, unknown_size);
  oci_report rep;
  char why[256];
  struct sock_filter *prog;
  int memfd = memfd_create("check_convert", 0);
  ck_assert_int_ge(memfd, 0);
  int rc = oci_compile(root, &o, csv_loaded > 0 && !subs[0] ? &csv : NULL, memfd, &prog, len,
                       &rep, why, sizeof why);
  close(memfd);
  ck_assert_msg(rc == 0, "%s: libseccomp: %s", name, why);
  ck_assert_msg(rep.unknown == 0 || unknown[0], "%s: names libseccomp does not know: %s", name,
                rep.unknown_names);
  if (unknown[0]) fprintf(stderr, "LEFT OUT %s: unknown to libseccomp: %s", name, unknown);
  ck_assert_msg(rep.failed == 0, "%s: libseccomp refused %zu rules: %s", name, rep.failed,
                rep.first_error);
  return prog;
}

typedef struct pair {
  const char *name;
  const converted *c;
  const struct sock_filter *ls; /* the program built from the profile */
  size_t ls_len;
  size_t calls;
  char unknown[2048]; /* names libseccomp_build left out, one a line */
  int by_sysfence;    /* ls is sysfence's build of the profile, not libseccomp's */
} pair;

/* A syscall of a profile for several ABIs that this libseccomp cannot
 * name on ARCH (its tables are older than the kernel's): runc with it
 * leaves the syscall out there, so the comparison does. */
static int left_out(const pair *p, const sf_arch *arch, uint32_t nr) {
  const sf_syscall *s = sf_syscall_by_nr(arch, nr);
  if (p->by_sysfence || p->c->n_targets < 2 || !s) return 0;
  uint32_t token = seccomp_arch_resolve_name(scmp_arch_of(arch));
  /* a negative number: a name libseccomp knows from another ABI only */
  return token && seccomp_syscall_resolve_name_arch(token, s->name) < 0;
}

static void same_on(pair *p, const sf_arch *arch, uint32_t audit, uint32_t nr,
                    const uint64_t args[SF_MAX_ARGS]) {
  if (audit == arch->audit_arch && left_out(p, arch, nr)) return;
  sf_seccomp_data d = {nr, audit, 0x1000, {0}};
  memcpy(d.args, args, sizeof d.args);
  uint32_t a = sf_bpf_run(p->c->prog.filter, p->c->prog.len, arch, &d, NULL);
  uint32_t b = sf_bpf_run(p->ls, p->ls_len, arch, &d, NULL);
  p->calls++;
  ck_assert_msg(a == b,
                "%s: %s nr %u (%#x) args %#llx %#llx %#llx %#llx %#llx %#llx: sysfence "
                "%#x, %s from the profile %#x",
                p->name, arch->name, nr, audit, (unsigned long long)args[0],
                (unsigned long long)args[1], (unsigned long long)args[2],
                (unsigned long long)args[3], (unsigned long long)args[4],
                (unsigned long long)args[5], a, p->by_sysfence ? "sysfence" : "libseccomp",
                b);
}

/* The argument vectors of one syscall: every combination of its probes, or
 * (too many) a fixed pseudo-random sample of them and each probe alone. */
static void probe_sys(pair *p, const sf_arch *arch, const sys_probes *s) {
  size_t total = 1;
  for (int i = 0; i < SF_MAX_ARGS; i++) total = total * s->n[i] > 100000 ? 100001 : total * s->n[i];
  uint64_t args[SF_MAX_ARGS];
  uint64_t seed = 0x9e3779b97f4a7c15u ^ s->nr;
  size_t rounds = total <= 100000 ? total : 50000;
  for (size_t k = 0; k < rounds; k++) {
    size_t rest = k;
    for (int i = 0; i < SF_MAX_ARGS; i++) {
      size_t pick;
      if (total <= 100000) pick = rest % s->n[i], rest /= s->n[i];
      else seed = seed * 6364136223846793005u + 1442695040888963407u, pick = (seed >> 33) % s->n[i];
      args[i] = s->v[i][pick];
    }
    same_on(p, arch, arch->audit_arch, s->nr, args);
  }
  for (int i = 0; total > 100000 && i < SF_MAX_ARGS; i++)
    for (size_t j = 0; j < s->n[i]; j++) {
      memset(args, 0, sizeof args);
      args[i] = s->v[i][j];
      same_on(p, arch, arch->audit_arch, s->nr, args);
    }
}

/* Every number of each target (and past its ends, -1, the other ABI's
 * range, a foreign AUDIT_ARCH) with zero arguments, then the probes. */
static void compare_all(pair *p) {
  static const uint64_t zero[SF_MAX_ARGS];
  for (size_t t = 0; t < p->c->n_targets; t++) {
    const target *tg = &p->c->t[t];
    const sf_arch *a = tg->arch;
    uint32_t lo = a->by_nr[0]->nr, hi = a->by_nr[a->n_syscalls - 1]->nr;
    for (uint32_t nr = lo >= 16 ? lo - 16 : 0; nr <= hi + 16; nr++) same_on(p, a, a->audit_arch, nr, zero);
    same_on(p, a, a->audit_arch, UINT32_MAX, zero);
    if (a->foreign_lo <= a->foreign_hi)
      for (uint32_t k = 0; k < 4; k++) same_on(p, a, a->audit_arch, a->foreign_lo + k, zero);
    same_on(p, a, 0x12345678u, 0, zero);
    for (size_t s = 0; s < tg->n_sys; s++) probe_sys(p, a, &tg->sys[s]);
  }
}

/* Policy -> profile -> libseccomp decides as policy -> sysfence on every
 * call probed; returns the number of calls. */
static size_t round_trip(const char *name, const converted *c) {
  json_object *root = check_profile(c->text, c->n_targets);
  pair p = {name, c, NULL, 0, 0, "", 0};
  struct sock_filter *ls = libseccomp_build(name, root, &p.ls_len, p.unknown, sizeof p.unknown);
  p.ls = ls;
  compare_all(&p);
  free(ls);
  json_object_put(root);
  return p.calls;
}

/* Policy -> profile -> sysfence (its OCI front end, the same targets, the
 * bad-arch action libseccomp gives a profile) decides as policy ->
 * sysfence on every call probed; returns the number of calls. */
static size_t round_trip_sysfence(const char *name, const converted *c, const char *arches) {
  sysfence_ctx *ctx = ctx_for(NULL, c->text, arches);
  ck_assert_int_eq(sysfence_set_input_kind(ctx, SYSFENCE_INPUT_OCI), SYSFENCE_OK);
  struct sock_fprog prog = {0};
  ck_assert_msg(sysfence_compile(ctx, &prog) == SYSFENCE_OK, "%s: the profile: %s", name,
                sysfence_diag_text(ctx));
  sysfence_free(ctx);
  pair p = {name, c, prog.filter, prog.len, 0, "", 1};
  compare_all(&p);
  free(prog.filter);
  return p.calls;
}
#endif

#define NEED_LIBSECCOMP(test)                                                       \
  do {                                                                              \
    if (!have_libseccomp) {                                                         \
      tu_skip((test), "%s", "libseccomp is not there (apt-get install libseccomp-dev, "  \
                            "then ./configure): profiles are not built the runc way"); \
      return;                                                                       \
    }                                                                               \
  } while (0)
#ifdef HAVE_LIBSECCOMP
static const int have_libseccomp = 1;
#else
static const int have_libseccomp = 0;
#endif

/* Valgrind has no seccomp(2): libseccomp, probing the kernel through it,
 * refuses the actions it cannot confirm (KILL_PROCESS, LOG, ...). */
static int libseccomp_usable(const char *test) {
  if (!tu_under_valgrind()) return 1;
  tu_not_applicable(test, "%s", "valgrind has no seccomp(2), so libseccomp refuses actions");
  return 0;
}

/* ---- handmade policies: every rewriting ---------------------------------------- */

static const struct handmade {
  const char *name, *arches, *text;
} handmade[] = {
    {"ranges-ne-masks", "x86_64",
     "POLICY p {\n"
     "  ALLOW { read, write(fd, buf, count) { fd == 1 || fd == 2 }, close },\n"
     "  ERRNO(1) { openat(dirfd, path, flags, mode) { (flags & 3) != 0 } },\n"
     "  KILL { mmap(addr, len, prot, flags, fd, off) { (prot & 4) != 0 } },\n"
     "  ALLOW { mmap(addr, len) { len >= 4096 && len <= 65536 } },\n"
     "  ALLOW { ioctl(fd, cmd) { cmd != 5 && fd < 10 } }\n"
     "}\n"
     "USE p DEFAULT ERRNO(38)\n"},
    /* overlapping rules of different actions: the first match decides */
    {"priorities", "x86_64",
     "POLICY p {\n"
     "  ALLOW { write(fd) { fd < 10 } },\n"
     "  ERRNO(5) { write(fd, buf, count) { count > 100 } },\n"
     "  KILL { write(fd) { fd == 3 } },\n"
     "  LOG { write(fd, buf, count) { fd >= 20 && count <= 7 } }\n"
     "}\n"
     "USE p DEFAULT ERRNO(1)\n"},
    /* a 32-bit argument compared with -1 is compared with 0xffffffff */
    {"negative", "x86_64",
     "POLICY p { ALLOW { close(fd) { fd == -1 }, lseek(fd, off) { off == -1 },\n"
     "  dup(fd) { fd != -2 } } }\n"
     "USE p DEFAULT KILL_PROCESS\n"},
    {"not-or-masks", "x86_64",
     "POLICY p {\n"
     "  ALLOW { ioctl(fd, cmd) { !(fd == 1 || cmd == 2) && (cmd & 0xff00) == 0x5400 } },\n"
     "  ERRNO(9) { fcntl(fd, cmd, arg) { (arg | 0x800) == 0x802 || (arg & 0xf0) != 0x10 } },\n"
     "  ALLOW { read(fd) { fd >= 3 && fd <= 200 && fd != 17 && fd != 3 } },\n"
     "  ALLOW { mmap(addr, len, prot) { len > 0x1000 && len < 0x100000 && prot <= 7 } }\n"
     "}\n"
     "USE p DEFAULT KILL\n"},
    {"actions", "x86_64",
     "POLICY p {\n"
     "  TRACE(7) { getpid }, TRAP(0) { getppid }, LOG { gettid }, KILL_PROCESS { ptrace },\n"
     "  USER_NOTIF { mknod }, KILL { reboot },\n"
     "  ERRNO(1) { mount(a, b, c, flags) { (flags & 1) == 1 && flags > 0x100 } }\n"
     "}\n"
     "USE p DEFAULT ALLOW\n"},
    /* one profile for three ABIs */
    {"multiarch", "x86_64,i386,x32",
     "POLICY p {\n"
     "  ALLOW { read, write(fd) { fd == 1 || fd == 2 }, close(fd) { fd > 2 },\n"
     "          exit_group, getpid, socket, semop,\n"
     "          mmap(addr, len, prot) { prot == 3 }, setuid(uid) { uid == 0 } },\n"
     "  ERRNO(13) { openat(dirfd, path, flags) { (flags & 3) != 0 } }\n"
     "}\n"
     "USE p DEFAULT ERRNO(38)\n"},
};
enum { N_HANDMADE = sizeof handmade / sizeof handmade[0] };

START_TEST(handmade_round_trip) {
  const struct handmade *h = &handmade[_i];
  converted c = convert(NULL, h->text, h->arches);
  ck_assert_msg(c.text, "%s: %s", h->name, c.diags);
  json_object_put(check_profile(c.text, c.n_targets));
#ifdef HAVE_LIBSECCOMP
  if (libseccomp_usable("handmade_round_trip"))
    fprintf(stderr, "ROUNDTRIP %s: %zu calls equal\n", h->name, round_trip(h->name, &c));
#endif
  converted_free(&c);
  NEED_LIBSECCOMP("handmade_round_trip");
}
END_TEST

/* ---- the corpus ---------------------------------------------------------------- */

static char **files;
static size_t n_files, cap_files;

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)ftw;
  size_t n = strlen(path);
  if (flag == FTW_F && n > 7 && strcmp(path + n - 7, ".policy") == 0) {
    if (n_files == cap_files) {
      cap_files = cap_files ? 2 * cap_files : 64;
      files = realloc(files, cap_files * sizeof *files);
    }
    files[n_files++] = strdup(path);
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_files(void) {
  nftw(CORPUS "/kafel", collect, 16, FTW_PHYS);
  const char *top[] = {CORPUS "/docker-default.kafel", CORPUS "/podman-default.kafel"};
  for (size_t i = 0; i < 2; i++)
    if (access(top[i], R_OK) == 0) {
      if (n_files == cap_files) {
        cap_files = cap_files ? 2 * cap_files : 64;
        files = realloc(files, cap_files * sizeof *files);
      }
      files[n_files++] = strdup(top[i]);
    }
  if (n_files) qsort(files, n_files, sizeof *files, cmp_str);
}

/* Each corpus policy that compiles: converted, or refused with an error
 * at a rule (never a crash, never a profile that decides differently);
 * for x86_64 alone, and for x86_64 with x32 (one profile, two ABIs). */
static const char *const corpus_arches[] = {"x86_64", "x86_64,x32"};

START_TEST(corpus_round_trip) {
  TU_NEED_CORPUS("corpus_round_trip");
  const char *path = files[_i / 2], *arches = corpus_arches[_i % 2];
  sysfence_ctx *probe = ctx_for(path, NULL, arches);
  int compiles = sysfence_check(probe) == SYSFENCE_OK;
  sysfence_free(probe);
  if (!compiles) return; /* a must-fail file of the corpus (check_corpus) */
  converted c = convert(path, NULL, arches);
  if (!c.text) {
    ck_assert_msg(strstr(c.diags, ": error: "), "%s: refused without an error", path);
    const char *e = strstr(c.diags, ": error: ");
    fprintf(stderr, "NOT EXPRESSIBLE %s (%s): %.*s\n", path, arches, (int)strcspn(e, "\n"), e);
  } else {
    json_object_put(check_profile(c.text, c.n_targets));
#ifdef HAVE_LIBSECCOMP
    fprintf(stderr, "ROUNDTRIP-SYSFENCE %s (%s): %zu calls equal\n", path, arches,
            round_trip_sysfence(path, &c, arches));
    if (libseccomp_usable("corpus_round_trip"))
      fprintf(stderr, "ROUNDTRIP %s (%s): %zu calls equal\n", path, arches, round_trip(path, &c));
#endif
  }
  converted_free(&c);
  NEED_LIBSECCOMP("corpus_round_trip");
}
END_TEST

/* Most of the corpus converts: a regression that refused what it did would
 * otherwise pass as "not expressible". */
START_TEST(corpus_mostly_expressible) {
  TU_NEED_CORPUS("corpus_mostly_expressible");
  size_t ok = 0, compiles = 0;
  for (size_t i = 0; i < n_files; i++) {
    sysfence_ctx *probe = ctx_for(files[i], NULL, "x86_64");
    int good = sysfence_check(probe) == SYSFENCE_OK;
    sysfence_free(probe);
    if (!good) continue;
    compiles++;
    converted c = convert(files[i], NULL, "x86_64");
    ok += c.text != NULL;
    converted_free(&c);
  }
  fprintf(stderr, "CORPUS %zu of %zu compiling policies convert to OCI\n", ok, compiles);
  ck_assert_uint_ge(ok, EXPECTED_EXPRESSIBLE);
}
END_TEST

/* ---- the width bypass ---------------------------------------------------------- */

/* A 32-bit argument with junk above bit 31: the kernel passes the low 32
 * bits (sysfence allows), libseccomp compares all 64 (the profile's EQ
 * fails): the difference the round trip leaves out, shown here.  A masked
 * comparison keeps the width (its mask is within it), so it agrees, and so
 * do the masked-equality blocks an interval is written as. */
START_TEST(width_bypass_documented) {
  NEED_LIBSECCOMP("width_bypass_documented");
  if (!libseccomp_usable("width_bypass_documented")) return;
#ifdef HAVE_LIBSECCOMP
  converted c = convert(NULL,
                        "POLICY p { ALLOW { close(fd) { fd == 3 },\n"
                        "  dup(fd) { (fd & 0xff) == 3 }, read(fd) { fd >= 3 && fd <= 200 } } }\n"
                        "USE p DEFAULT ERRNO(1)\n", "x86_64");
  ck_assert_msg(c.text, "%s", c.diags);
  json_object *root = check_profile(c.text, 1);
  pair p = {"width", &c, NULL, 0, 0, "", 0};
  struct sock_filter *ls = libseccomp_build("width", root, &p.ls_len, p.unknown, sizeof p.unknown);
  const sf_arch *a = sf_arch_by_name("x86_64");
  uint64_t args[SF_MAX_ARGS] = {0x100000003u};
  sf_seccomp_data d = {3 /* close */, a->audit_arch, 0, {0}};
  memcpy(d.args, args, sizeof args);
  ck_assert_uint_eq(sf_bpf_run(c.prog.filter, c.prog.len, a, &d, NULL), SF_RET_ALLOW);
  ck_assert_uint_eq(sf_bpf_run(ls, p.ls_len, a, &d, NULL), SF_RET_ERRNO | 1);
  d.nr = 32; /* dup */
  ck_assert_uint_eq(sf_bpf_run(c.prog.filter, c.prog.len, a, &d, NULL), SF_RET_ALLOW);
  ck_assert_uint_eq(sf_bpf_run(ls, p.ls_len, a, &d, NULL), SF_RET_ALLOW);
  d.nr = 0; /* read: the interval's blocks are masked to the width too */
  for (uint64_t low = 3; low <= 5; low += 2) {
    d.args[0] = (uint64_t)1 << 32 | low;
    ck_assert_uint_eq(sf_bpf_run(c.prog.filter, c.prog.len, a, &d, NULL), SF_RET_ALLOW);
    ck_assert_uint_eq(sf_bpf_run(ls, p.ls_len, a, &d, NULL), SF_RET_ALLOW);
  }
  free(ls);
  json_object_put(root);
  converted_free(&c);
#endif
}
END_TEST

/* ---- what a profile cannot express --------------------------------------------- */

static const struct inexpressible {
  const char *what, *text;
  int line, col;
  const char *words;
  const char *arches; /* NULL: x86_64 */
} inexpressible[] = {
    {"argument vs argument", "POLICY p {\n  ALLOW { write(fd, buf, count) { fd == count } }\n}\n"
     "USE p DEFAULT KILL\n", 2, 11, "another argument", NULL},
    {"two arguments combined", "POLICY p {\n  ALLOW { write(fd, buf, count) { (fd | count) == 3 } }\n}\n"
     "USE p DEFAULT KILL\n", 2, 11, "another argument", NULL},
    {"masked argument ordered", "POLICY p {\n  ALLOW { read(fd) { (fd & 0xf0) < 0x30 } }\n}\n"
     "USE p DEFAULT KILL\n", 2, 11, "MASKED_EQ", NULL},
    {"TRAP with data", "POLICY p {\n  TRAP(5) { read }\n}\nUSE p DEFAULT ALLOW\n", 2, 13, "TRAP", NULL},
    {"syscall by number", "POLICY p {\n  ALLOW { SYSCALL[1000] }\n}\nUSE p DEFAULT KILL\n", 2, 11,
     "names syscalls", NULL},
    {"conditions on a multiplexed call", "POLICY p {\n  ALLOW { socket(domain) { domain == 1 } }\n}\n"
     "USE p DEFAULT KILL\n", 2, 11, "socketcall", "x86_64,i386"},
    {"x32 and a constant above 32 bits",
     "POLICY p {\n  ALLOW { lseek(fd, offset) { offset == 0x100000000 } }\n}\nUSE p DEFAULT KILL\n",
     2, 11, "low 32 bits", "x86_64,x32"},
    {"default TRAP with data", "POLICY p {\n  ALLOW { read }\n}\nUSE p DEFAULT TRAP(3)\n", 0, 0,
     "TRAP", NULL},
};
enum { N_INEXPRESSIBLE = sizeof inexpressible / sizeof inexpressible[0] };

START_TEST(inexpressible_is_an_error) {
  const struct inexpressible *x = &inexpressible[_i];
  char *dir = tu_tmpdir();
  char *policy = tu_write(dir, "p.policy", x->text);
  char out[512], want[600];
  snprintf(out, sizeof out, "%s/out.json", dir);
  const char *arches = x->arches ? x->arches : "x86_64";
  tu_result r = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to", "oci", "-o", out,
                               "--arch", arches, NULL);
  ck_assert_msg(r.exited && r.status == 1, "%s: exit %d: %s", x->what, r.status, r.err);
  if (x->line)
    snprintf(want, sizeof want, "%s:%d:%d: error: ", policy, x->line, x->col);
  else
    snprintf(want, sizeof want, ": error: ");
  ck_assert_msg(strstr(r.err, want), "%s: no '%s' in: %s", x->what, want, r.err);
  ck_assert_msg(strstr(r.err, x->words), "%s: no '%s' in: %s", x->what, x->words, r.err);
  if (x->line) ck_assert_msg(strstr(r.err, "^"), "%s: no caret in: %s", x->what, r.err);
  ck_assert_msg(access(out, F_OK) != 0, "%s: %s was written", x->what, out);
  ck_assert_str_eq(r.out, "");
  tu_result_free(&r);
  /* stdout too: nothing */
  r = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to", "oci", "--arch", arches,
                     NULL);
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  tu_result_free(&r);
  free(policy);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

/* An argument of one width on x86_64 and another on i386 (lseek's offset):
 * one profile cannot give 'lseek' both meanings. */
START_TEST(targets_that_disagree) {
  converted c = convert(NULL,
                        "POLICY p {\n  ALLOW { lseek(fd, offset) { offset == 0x100000000 } }\n}\n"
                        "USE p DEFAULT KILL\n", "x86_64,i386");
  ck_assert_ptr_null(c.text);
  ck_assert_msg(strstr(c.diags, "policy:2:11: error: ") && strstr(c.diags, "'lseek'") &&
                    strstr(c.diags, "x86_64") && strstr(c.diags, "i386"),
                "%s", c.diags);
  converted_free(&c);
}
END_TEST

/* ---- the command ------------------------------------------------------------------ */

START_TEST(cli_convert) {
  char *dir = tu_tmpdir(), *inc = NULL;
  char sub[512], out[512];
  snprintf(sub, sizeof sub, "%s/inc", dir);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  free(tu_write(sub, "fds.policy", "#define LIMIT 7\n"));
  char *policy = tu_write(dir, "p.policy",
                          "#include \"fds.policy\"\n"
                          "POLICY p { ALLOW { read(fd) { fd < LIMIT }, write(fd) { fd == OUT } } }\n"
                          "USE p DEFAULT ERRNO(1)\n");
  snprintf(out, sizeof out, "%s/out.json", dir);
  free(tu_write(dir, "out.json", "old"));
  tu_result a = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to", "oci", "-I", sub,
                               "-D", "OUT=1", "--arch", "x86_64,i386", NULL);
  ck_assert_msg(a.exited && a.status == 0, "%s", a.err);
  json_object_put(check_profile(a.out, 2));
  ck_assert_msg(strstr(a.out, "\"SCMP_ARCH_X86_64\"") && strstr(a.out, "\"SCMP_ARCH_X86\""), "%s", a.out);
  ck_assert_msg(strstr(a.out, "\"defaultErrnoRet\": 1"), "%s", a.out);
  ck_assert_msg(strstr(a.out, "\"value\": 7") && strstr(a.out, "SCMP_CMP_LT"), "%s", a.out);
  tu_result b = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to", "oci", "-I", sub,
                               "-D", "OUT=1", "--arch", "x86_64,i386", "-o", out, NULL);
  ck_assert_msg(b.exited && b.status == 0, "%s", b.err);
  ck_assert_str_eq(b.out, "");
  char *written = tu_read(out, NULL);
  ck_assert_str_eq(written, a.out); /* the old file replaced, the same text */
  free(written);
  tu_result_free(&a), tu_result_free(&b);
  /* usage errors */
  a = tu_run_program(tu_sysfence(), NULL, "convert", policy, NULL);
  ck_assert_int_eq(a.status, 2);
  ck_assert_msg(strstr(a.err, "--to"), "%s", a.err);
  tu_result_free(&a);
  a = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to", "yaml", NULL);
  ck_assert_int_eq(a.status, 2);
  ck_assert_msg(strstr(a.err, "unknown --to 'yaml'"), "%s", a.err);
  tu_result_free(&a);
  a = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to", "oci", "-f", "c", NULL);
  ck_assert_int_eq(a.status, 2);
  tu_result_free(&a);
  free(policy), free(inc);
  tu_rmtree(dir);
  free(dir);
}
END_TEST

START_TEST(cli_help) {
  tu_result a = tu_run_program(tu_sysfence(), NULL, "convert", "--help", NULL);
  ck_assert_int_eq(a.status, 0);
  const char *want[] = {"--to FORMAT", "--output", "--arch", "--include", "--define", "oci"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(a.out, want[i]), "no '%s' in: %s", want[i], a.out);
  /* every line of the option list is indented (a help text's own line
   * breaks are spaces) */
  const char *opts = strstr(a.out, "\nOptions:\n");
  ck_assert_ptr_nonnull(opts);
  for (const char *l = opts + 10; *l && *l != '\n'; l = strchr(l, '\n') + 1)
    ck_assert_msg(strncmp(l, "  ", 2) == 0, "unindented help line: %.*s", (int)strcspn(l, "\n"), l);
  tu_result_free(&a);
  a = tu_run_program(tu_sysfence(), NULL, "--help", NULL);
  ck_assert_msg(strstr(a.out, "convert INPUT"), "%s", a.out);
  tu_result_free(&a);
}
END_TEST

int main(void) {
  collect_files();
  Suite *s = suite_create("convert");
  TCase *tc = tcase_create("oci");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, handmade_round_trip, 0, N_HANDMADE);
  tcase_add_test(tc, width_bypass_documented);
  tcase_add_loop_test(tc, inexpressible_is_an_error, 0, N_INEXPRESSIBLE);
  tcase_add_test(tc, targets_that_disagree);
  tcase_add_test(tc, cli_convert);
  tcase_add_test(tc, cli_help);
  if (n_files) tcase_add_loop_test(tc, corpus_round_trip, 0, 2 * (int)n_files);
  else tcase_add_loop_test(tc, corpus_round_trip, 0, 1);
  tcase_add_test(tc, corpus_mostly_expressible);
  suite_add_tcase(s, tc);
  int rc = tu_run_suite(s);
  for (size_t i = 0; i < n_files; i++) free(files[i]);
  free(files);
  return rc;
}
