/* check_oci.c - OCI seccomp profiles (JSON): every profile of
 * SHARED_DIR/corpus/oci/ compiled by sysfence decides every call as
 * libseccomp's build of the same JSON (bench/oci.c, the runc way) with the
 * same capabilities, kernel version and architectures, per architecture;
 * the diagnostics of bad profiles; 'convert --to policy' keeping behaviour.
 *
 * The comparison leaves out, and counts:
 *  - the width bypass: libseccomp compares all 64 bits of an argument the
 *    kernel reads as 32 (an int, an unsigned int), sysfence the bits the
 *    kernel keeps; so probes keep the high words zero, and
 *    oci_width_bypass shows the one difference on purpose;
 *  - numbers whose name this libseccomp does not know on that architecture
 *    (a syscall newer than it): runc leaves such names out, sysfence's
 *    tables have them;
 *  - other ABIs' numbers (x32's on x86_64): sysfence gives them the
 *    bad-arch action (KILL_PROCESS), libseccomp its own.
 * Needs libseccomp-dev (else SKIPPED) and the corpus (else SKIPPED). */
#include "config.h" /* SHARED_DIR, HAVE_LIBSECCOMP */

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/load.h"
#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>

#include "../bench/bench.h"
#endif

#define OCI_DIR SHARED_DIR "/corpus/oci"

static const char *const profiles[] = {
    "moby-profiles/default.json", "moby-profiles/fixtures/example.json",
    "moby-profiles/fixtures/conditional_include.json", "containers-common/seccomp.json"};
enum { N_PROFILES = sizeof profiles / sizeof profiles[0] };

/* Compile PATH (or TEXT) with sysfence: 0 and *PROG; the targets in ARCHES. */
/* 1: build as libseccomp does (-D SYSFENCE_DERIVE=0: no derived rules,
 * libseccomp's own for socketcall/ipc), for the comparisons with it; 0:
 * sysfence's default, which closes the multiplexed forms' hole. */
static int libseccomp_mode;

static int sf_build(const char *path, const char *text, const char *caps, const char *arch,
                    struct sock_fprog *prog, const char **arches, size_t *n_arches) {
  sysfence_ctx *c = sysfence_new();
  ck_assert_ptr_nonnull(c);
  if (libseccomp_mode) ck_assert_int_eq(sysfence_define(c, "SYSFENCE_DERIVE", "0"), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_caps(c, caps, NULL, 0), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_kernel(c, "6.1"), SYSFENCE_OK);
  if (arch) ck_assert_int_eq(sysfence_set_arches(c, arch, NULL, 0), SYSFENCE_OK);
  if (text) sysfence_set_input_string(c, path, text);
  else sysfence_set_input_path(c, path);
  int rc = sysfence_compile(c, prog);
  if (rc != SYSFENCE_OK) fprintf(stderr, "%s", sysfence_diag_text(c));
  if (arches) {
    const char *names[SF_MAX_TARGETS];
    *n_arches = sysfence_get_arches(c, names, SF_MAX_TARGETS);
    for (size_t i = 0; i < *n_arches; i++) arches[i] = sf_arch_by_name(names[i])->name;
  }
  sysfence_free(c);
  return rc;
}

/* The probe values of a profile: 0, 1, and every value/valueTwo of its
 * conditions with its neighbours and its complement (low 32 bits). */
typedef struct probes {
  uint64_t v[512];
  size_t n;
} probes;

static void add_probe(probes *p, uint64_t v) {
  v &= 0xffffffffu; /* high words zero: see the width bypass above */
  for (size_t i = 0; i < p->n; i++)
    if (p->v[i] == v) return;
  if (p->n < sizeof p->v / sizeof p->v[0]) p->v[p->n++] = v;
}

static void collect_probes(json_object *doc, probes *p) {
  add_probe(p, 0);
  add_probe(p, 1);
  add_probe(p, 0xffffffffu);
  json_object *sys, *args, *v;
  if (!json_object_object_get_ex(doc, "syscalls", &sys)) return;
  for (size_t i = 0; i < json_object_array_length(sys); i++) {
    json_object *e = json_object_array_get_idx(sys, i);
    if (!json_object_object_get_ex(e, "args", &args) || !args) continue;
    for (size_t j = 0; j < json_object_array_length(args); j++) {
      json_object *a = json_object_array_get_idx(args, j);
      const char *keys[] = {"value", "valueTwo"};
      for (int k = 0; k < 2; k++) {
        if (!json_object_object_get_ex(a, keys[k], &v)) continue;
        uint64_t x = json_object_get_uint64(v);
        add_probe(p, x);
        add_probe(p, x - 1);
        add_probe(p, x + 1);
        add_probe(p, ~x);
        add_probe(p, x | 0x10000000u);
      }
    }
  }
}

#ifdef HAVE_LIBSECCOMP

static const char *scmp_sub(const char *table) {
  if (strcmp(table, "i386") == 0) return "x86";
  return table;
}

typedef struct counts {
  size_t calls, unknown_to_libseccomp, foreign;
} counts;

/* Does this libseccomp know the syscall numbered NR on ARCH by its name? */
static int libseccomp_knows(const sf_arch *arch, uint32_t nr) {
  const sf_syscall *s = sf_syscall_by_nr(arch, nr);
  if (!s) return 1; /* a hole: both give the default */
  uint32_t token = seccomp_arch_resolve_name(scmp_sub(arch->name));
  return token && seccomp_syscall_resolve_name_arch(token, s->name) >= 0;
}

static void compare_call(const char *label, const struct sock_fprog *sf,
                         const struct sock_filter *ls, size_t ls_len, const sf_arch *arch,
                         const sf_seccomp_data *d) {
  uint32_t a = sf_bpf_run(sf->filter, sf->len, arch, d, NULL);
  uint32_t b = sf_bpf_run(ls, ls_len, arch, d, NULL);
  if (a != b)
    ck_abort_msg("%s: %s nr %#x args (%#llx, %#llx, %#llx, %#llx): sysfence %#x, "
                 "libseccomp %#x", label, arch->name, (unsigned)d->nr,
                 (unsigned long long)d->args[0], (unsigned long long)d->args[1],
                 (unsigned long long)d->args[2], (unsigned long long)d->args[3], a, b);
}

/* Every number of ARCH's range and -1, with zero arguments, each argument
 * at each probe, and (for syscalls with conditions) pairs of arguments. */
static void compare_arch(const char *label, const struct sock_fprog *sf,
                         const struct sock_filter *ls, size_t ls_len, const sf_arch *arch,
                         const probes *p, counts *c) {
  uint32_t lo = arch->by_nr[0]->nr, hi = arch->by_nr[arch->n_syscalls - 1]->nr + 3;
  for (uint64_t nr = lo; nr <= (uint64_t)hi + 1; nr++) {
    uint32_t n = nr == (uint64_t)hi + 1 ? 0xffffffffu : (uint32_t)nr;
    if (sf_arch_nr_is_foreign(arch, n)) { c->foreign++; continue; }
    if (!libseccomp_knows(arch, n)) { c->unknown_to_libseccomp++; continue; }
    sf_seccomp_data d = {.nr = n, .arch = arch->audit_arch};
    compare_call(label, sf, ls, ls_len, arch, &d);
    c->calls++;
    for (int i = 0; i < 6; i++)
      for (size_t k = 0; k < p->n; k++) {
        sf_seccomp_data e = d;
        e.args[i] = p->v[k];
        compare_call(label, sf, ls, ls_len, arch, &e);
        c->calls++;
        for (int j = i + 1; j < 3 && k % 3 == 0; j++)
          for (size_t m = 0; m < p->n; m++) {
            e.args[j] = p->v[m];
            compare_call(label, sf, ls, ls_len, arch, &e);
            c->calls++;
          }
      }
  }
}

static void compare_profile(const char *file, const char *caps_name,
                            const char *const *caps, size_t n_caps) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", OCI_DIR, file);
  struct sock_fprog sf = {0};
  const char *arches[SF_MAX_TARGETS];
  size_t n_arches = 0;
  ck_assert_msg(sf_build(path, NULL, caps_name, NULL, &sf, arches, &n_arches) == 0, "%s", path);
  json_object *doc = json_object_from_file(path);
  ck_assert_ptr_nonnull(doc);
  const char *subs[SF_MAX_TARGETS + 1] = {0};
  for (size_t i = 1; i < n_arches; i++) subs[i - 1] = scmp_sub(arches[i]);
  oci_opts o = {"amd64", caps, n_caps, 6, 1, NULL, 1, subs, NULL};
  oci_report rep;
  struct sock_filter *ls;
  size_t ls_len;
  char why[200];
  int memfd = memfd_create("check-oci", MFD_CLOEXEC);
  ck_assert_int_ge(memfd, 0);
  ck_assert_msg(oci_compile(doc, &o, NULL, memfd, &ls, &ls_len, &rep, why, sizeof why) == 0,
                "libseccomp: %s", why);
  close(memfd);
  probes p = {{0}, 0};
  collect_probes(doc, &p);
  counts c = {0, 0, 0};
  char label[600];
  snprintf(label, sizeof label, "%s --caps %s", file, caps_name);
  for (size_t i = 0; i < n_arches; i++)
    compare_arch(label, &sf, ls, ls_len, sf_arch_by_name(arches[i]), &p, &c);
  fprintf(stderr, "check_oci: %s --caps %s (%zu architectures): %zu calls equal; left out: "
          "%zu numbers libseccomp does not know, %zu other-ABI numbers\n", file, caps_name,
          n_arches, c.calls, c.unknown_to_libseccomp, c.foreign);
  ck_assert_uint_gt(c.calls, 1000);
  free(ls);
  free(sf.filter);
  json_object_put(doc);
}

static const char *const docker_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
static const char *const podman_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT"};
static const char *const admin_caps[] = {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_BPF"};

START_TEST(oci_corpus_equiv) {
  if (!tu_have_corpus()) {
    tu_skip("oci_corpus_equiv", "%s", TU_NO_CORPUS);
    return;
  }
  const char *file = profiles[_i / 3];
  libseccomp_mode = 1; /* the same semantics as libseccomp's */
  switch (_i % 3) {
  case 0: compare_profile(file, "docker", docker_caps, 14); break;
  case 1: compare_profile(file, "podman", podman_caps, 11); break;
  default: compare_profile(file, "CAP_SYS_ADMIN,CAP_SYS_PTRACE,CAP_BPF", admin_caps, 3); break;
  }
  libseccomp_mode = 0;
}
END_TEST

#else

START_TEST(oci_corpus_equiv) {
  if (_i == 0)
    tu_skip("oci_corpus_equiv", "libseccomp-dev is not installed: no comparison with "
            "libseccomp's build of the profiles");
}
END_TEST

#endif

/* ---- profile -> policy -> compile ---------------------------------------------- */

/* The policy 'convert --to policy' writes for PATH (malloc()ed). */
static char *converted(const char *path, const char *caps) {
  sysfence_ctx *c = sysfence_new();
  if (libseccomp_mode) ck_assert_int_eq(sysfence_define(c, "SYSFENCE_DERIVE", "0"), SYSFENCE_OK);
  c->no_derive = sf_derive_defined_off(c);
  ck_assert_int_eq(sysfence_set_caps(c, caps, NULL, 0), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_kernel(c, "6.1"), SYSFENCE_OK);
  sysfence_set_input_path(c, path);
  ck_assert_int_eq(sf_ctx_reset(c), 0);
  const sf_oci_profile *p = sf_oci_read(c, sf_load_main_source(c));
  ck_assert_msg(p != NULL, "%s", sysfence_diag_text(c));
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  ck_assert_int_eq(sf_oci_write_policy(p, c, path, mem), 0);
  fclose(mem);
  sysfence_free(c);
  return text;
}

/* Every call of compare_arch's set decided alike by A and B. */
static size_t same_decisions(const char *label, const struct sock_fprog *a,
                             const struct sock_fprog *b, const sf_arch *arch, const probes *p) {
  size_t calls = 0;
  uint32_t lo = arch->by_nr[0]->nr, hi = arch->by_nr[arch->n_syscalls - 1]->nr + 3;
  for (uint64_t nr = lo; nr <= (uint64_t)hi + 1; nr++) {
    sf_seccomp_data d = {.nr = nr == (uint64_t)hi + 1 ? 0xffffffffu : (uint32_t)nr,
                         .arch = arch->audit_arch};
    for (int i = -1; i < 6; i++)
      for (size_t k = 0; k < (i < 0 ? 1 : p->n); k++) {
        sf_seccomp_data e = d;
        if (i >= 0) e.args[i] = p->v[k];
        uint32_t x = sf_bpf_run(a->filter, a->len, arch, &e, NULL);
        uint32_t y = sf_bpf_run(b->filter, b->len, arch, &e, NULL);
        if (x != y)
          ck_abort_msg("%s: %s nr %#x a%d=%#llx: profile %#x, converted policy %#x", label,
                       arch->name, (unsigned)e.nr, i, (unsigned long long)(i >= 0 ? e.args[i] : 0),
                       x, y);
        calls++;
      }
  }
  return calls;
}

static void round_trip_one(int _i, const char *cap);

START_TEST(oci_convert_round_trip) {
  if (!tu_have_corpus()) {
    tu_skip("oci_convert_round_trip", "%s", TU_NO_CORPUS);
    return;
  }
  static const char *const caps[] = {"docker", "podman", "CAP_SYS_ADMIN,CAP_SYS_PTRACE,CAP_BPF"};
  /* Both ways of reading a profile: sysfence's (derived rules on) and
   * libseccomp's (-D SYSFENCE_DERIVE=0), each kept by the policy. */
  for (libseccomp_mode = 0; libseccomp_mode <= 1; libseccomp_mode++)
    round_trip_one(_i, caps[_i % 3]);
  libseccomp_mode = 0;
}
END_TEST

static void round_trip_one(int _i, const char *cap) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", OCI_DIR, profiles[_i / 3]);
  struct sock_fprog direct = {0}, via = {0};
  const char *arches[SF_MAX_TARGETS];
  size_t n = 0;
  ck_assert_int_eq(sf_build(path, NULL, cap, NULL, &direct, arches, &n), 0);
  char list[128] = "";
  for (size_t i = 0; i < n; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", arches[i]);
  char *policy = converted(path, cap);
  ck_assert_msg(sf_build("converted.policy", policy, "none", list, &via, NULL, NULL) == 0,
                "the converted policy does not compile:\n%s", policy);
  json_object *doc = json_object_from_file(path);
  probes p = {{0}, 0};
  collect_probes(doc, &p);
  size_t calls = 0;
  for (size_t i = 0; i < n; i++)
    calls += same_decisions(profiles[_i / 3], &direct, &via, sf_arch_by_name(arches[i]), &p);
  fprintf(stderr, "check_oci: %s --caps %s%s -> policy -> compile: %zu calls equal\n",
          profiles[_i / 3], cap, libseccomp_mode ? " -D SYSFENCE_DERIVE=0" : "", calls);
  json_object_put(doc);
  free(policy);
  free(direct.filter);
  free(via.filter);
}

/* ---- the multiplexed forms ---------------------------------------------------- */

/* Docker's profile allows socket() for every family but AF_VSOCK (40) and a
 * few others, and allows socketcall.  libseccomp gives socketcall(SYS_SOCKET)
 * the rule's action whatever the family (the arguments are in memory), so
 * a 32-bit program makes an AF_VSOCK socket through it (issue 10's hole).
 * sysfence's derived rules give that form the most restrictive outcome of
 * socket's rules instead; -D SYSFENCE_DERIVE=0 keeps libseccomp's. */
START_TEST(oci_multiplexed_form_closed) {
  if (!tu_have_corpus()) {
    tu_skip("oci_multiplexed_form_closed", "%s", TU_NO_CORPUS);
    return;
  }
  const sf_arch *i386 = sf_arch_by_name("i386");
  const uint32_t socketcall = sf_syscall_by_name(i386, "socketcall")->nr;
  const uint32_t socket = sf_syscall_by_name(i386, "socket")->nr;
  for (libseccomp_mode = 0; libseccomp_mode <= 1; libseccomp_mode++) {
    struct sock_fprog sf = {0};
    ck_assert_int_eq(sf_build(OCI_DIR "/moby-profiles/default.json", NULL, "docker",
                              "x86_64,i386", &sf, NULL, NULL), 0);
    sf_seccomp_data vsock = {socket, i386->audit_arch, 0, {40, 1, 0}};
    sf_seccomp_data inet = {socket, i386->audit_arch, 0, {2, 1, 0}};
    sf_seccomp_data mux = {socketcall, i386->audit_arch, 0, {1 /* SYS_SOCKET */, 0x1000}};
    sf_seccomp_data mux_bind = {socketcall, i386->audit_arch, 0, {2 /* SYS_BIND */, 0x1000}};
    ck_assert_uint_eq(sf_bpf_run(sf.filter, sf.len, i386, &vsock, NULL), SF_RET_ERRNO | 1);
    ck_assert_uint_eq(sf_bpf_run(sf.filter, sf.len, i386, &inet, NULL), SF_RET_ALLOW);
    ck_assert_uint_eq(sf_bpf_run(sf.filter, sf.len, i386, &mux, NULL),
                      libseccomp_mode ? SF_RET_ALLOW : SF_RET_ERRNO | 1);
    /* bind has no conditions: its multiplexed form is allowed either way */
    ck_assert_uint_eq(sf_bpf_run(sf.filter, sf.len, i386, &mux_bind, NULL), SF_RET_ALLOW);
    free(sf.filter);
  }
  libseccomp_mode = 0;
}
END_TEST

/* ---- the width bypass, on purpose ------------------------------------------- */

/* personality(PER_LINUX32 | junk in the high word): the kernel's
 * personality() takes an unsigned int, so the call is personality(8), which
 * the profile allows; libseccomp compares 64 bits and refuses it. */
START_TEST(oci_width_bypass) {
  if (!tu_have_corpus()) {
    tu_skip("oci_width_bypass", "%s", TU_NO_CORPUS);
    return;
  }
  struct sock_fprog sf = {0};
  ck_assert_int_eq(sf_build(OCI_DIR "/moby-profiles/default.json", NULL, "docker", "x86_64",
                            &sf, NULL, NULL), 0);
  const sf_arch *x86_64 = sf_arch_by_name("x86_64");
  sf_seccomp_data d = {.nr = 135, .arch = x86_64->audit_arch,
                       .args = {0x5a5a000000000008ull}};
  ck_assert_uint_eq(sf_bpf_run(sf.filter, sf.len, x86_64, &d, NULL), SF_RET_ALLOW);
  free(sf.filter);
}
END_TEST

/* ---- diagnostics ------------------------------------------------------------ */

static const struct {
  const char *text, *diag;
} bad_profiles[] = {
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\"] "
     "\"action\": 1}]}", "p.json:2:34: error: invalid JSON"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\"", "p.json:1:35: error: unexpected end"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", "p.json:1:37: error: invalid JSON"},
    {"{\"syscalls\": []}", "p.json:1:1: error: missing field 'defaultAction'"},
    {"{\"defaultAction\": 3}",
     "p.json:1:19: error: 'defaultAction' must be a string, not an integer"},
    {"{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
     "p.json:1:19: error: unknown action 'SCMP_ACT_NOPE'"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"action\": \"SCMP_ACT_LOG\"}]}",
     "p.json:2:15: error: missing field 'names' (or 'name')"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\"]}]}",
     "p.json:2:15: error: missing field 'action'"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_LOG\",\n \"args\": [{\"index\": 6, \"op\": \"SCMP_CMP_EQ\"}]}]}",
     "p.json:2:21: error: 'index' is 6: at most 5"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_LOG\",\n \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_FOO\"}]}]}",
     "p.json:2:30: error: unknown operator 'SCMP_CMP_FOO'"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_LOG\",\n \"args\": [{\"index\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
     "p.json:2:21: error: 'index' must not be negative"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"archMap\": [{\"architecture\": "
     "\"SCMP_ARCH_VAX\"}]}", "p.json:2:31: error: unknown architecture 'SCMP_ARCH_VAX'"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\", 7], "
     "\"action\": \"SCMP_ACT_LOG\"}]}", "p.json:2:34: error: a syscall name must be a string"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],\n "
     "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 70000}]}",
     "p.json:2:42: error: 'errnoRet' is 70000"},
    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],\n "
     "\"action\": \"SCMP_ACT_LOG\", \"includes\": {\"minKernel\": \"four\"}}]}",
     "p.json:2:54: error: minKernel must be MAJOR.MINOR"},
    {"[1, 2]", "p.json:1:1: error: a seccomp profile must be a JSON object"},
};

START_TEST(oci_diagnostics) {
  sysfence_ctx *c = sysfence_new();
  sysfence_set_arch(c, "x86_64");
  sysfence_set_input_kind(c, SYSFENCE_INPUT_OCI);
  sysfence_set_input_string(c, "p.json", bad_profiles[_i].text);
  struct sock_fprog prog = {0};
  ck_assert_int_eq(sysfence_compile(c, &prog), SYSFENCE_EPOLICY);
  ck_assert_ptr_null(prog.filter);
  const char *text = sysfence_diag_text(c);
  ck_assert_msg(strstr(text, bad_profiles[_i].diag) != NULL, "expected '%s' in:\n%s",
                bad_profiles[_i].diag, text);
  ck_assert_msg(strstr(text, "^") != NULL, "no caret in:\n%s", text);
  sysfence_free(c);
}
END_TEST

/* A name no architecture has: a warning, the rest compiles; --input policy
 * reads the same text as a policy (and fails). */
START_TEST(oci_unknown_name_and_input_kind) {
  const char *text = "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [{\"names\": "
                     "[\"read\", \"no_such_call\"], \"action\": \"SCMP_ACT_ALLOW\"}]}";
  sysfence_ctx *c = sysfence_new();
  sysfence_set_arch(c, "x86_64");
  sysfence_set_input_string(c, "p.json", text);
  struct sock_fprog prog = {0};
  ck_assert_int_eq(sysfence_compile(c, &prog), SYSFENCE_OK);
  ck_assert_ptr_nonnull(strstr(sysfence_diag_text(c),
                               "p.json:2:34: warning: 'no_such_call' is a syscall of no"));
  const sf_arch *a = sf_arch_by_name("x86_64");
  sf_seccomp_data d = {.nr = 0, .arch = a->audit_arch};
  ck_assert_uint_eq(sf_bpf_run(prog.filter, prog.len, a, &d, NULL), SF_RET_ALLOW);
  d.nr = 1;
  ck_assert_uint_eq(sf_bpf_run(prog.filter, prog.len, a, &d, NULL), SF_RET_ERRNO | 1);
  free(prog.filter);
  sysfence_set_input_kind(c, SYSFENCE_INPUT_POLICY);
  ck_assert_int_eq(sysfence_compile(c, &prog), SYSFENCE_EPOLICY);
  sysfence_free(c);
}
END_TEST

/* Conditions: AND within an entry, OR when an index repeats (runc), and
 * MASKED_EQ; the architectures of archMap join the native one. */
START_TEST(oci_conditions_and_archmap) {
  const char *text =
      "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"archMap\": [{\"architecture\": "
      "\"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]}], \"syscalls\": [\n"
      "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
      "\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 2, \"value\": 5, "
      "\"op\": \"SCMP_CMP_GT\"}]},\n"
      "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7, \"args\": "
      "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 0, \"value\": 2, "
      "\"op\": \"SCMP_CMP_EQ\"}]},\n"
      "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
      "\"value\": 240, \"valueTwo\": 16, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}";
  sysfence_ctx *c = sysfence_new();
  sysfence_set_input_string(c, "p.json", text);
  struct sock_fprog p = {0};
  ck_assert_int_eq(sysfence_compile(c, &p), SYSFENCE_OK);
  const char *names[4];
  ck_assert_uint_eq(sysfence_get_arches(c, names, 4), 2);
  ck_assert_str_eq(names[1], "i386");
  const sf_arch *a = sf_arch_by_name("x86_64"), *i386 = sf_arch_by_name("i386");
  struct { const sf_arch *arch; uint32_t nr; uint64_t a0, a2; uint32_t want; } cases[] = {
      {a, 0, 1, 6, SF_RET_ALLOW},           {a, 0, 1, 5, SF_RET_KILL_PROCESS},
      {a, 0, 2, 6, SF_RET_KILL_PROCESS},    {a, 1, 1, 0, SF_RET_TRACE | 7},
      {a, 1, 2, 0, SF_RET_TRACE | 7},       {a, 1, 3, 0, SF_RET_KILL_PROCESS},
      {a, 56, 0x1f, 0, SF_RET_ERRNO | 1},   {a, 56, 0x2f, 0, SF_RET_KILL_PROCESS},
      {i386, 3, 1, 9, SF_RET_ALLOW},        {i386, 4, 2, 0, SF_RET_TRACE | 7},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sf_seccomp_data d = {.nr = cases[i].nr, .arch = cases[i].arch->audit_arch,
                         .args = {cases[i].a0, 0, cases[i].a2}};
    ck_assert_msg(sf_bpf_run(p.filter, p.len, a, &d, NULL) == cases[i].want, "case %zu", i);
  }
  free(p.filter);
  sysfence_free(c);
}
END_TEST

/* includes/excludes against --caps and --kernel; flags and listenerPath
 * noted; defaultErrnoRet. */
static uint32_t decide(const char *text, const char *caps, const char *kernel, uint32_t nr,
                       char *diags, size_t diags_size) {
  sysfence_ctx *c = sysfence_new();
  sysfence_set_arch(c, "x86_64");
  ck_assert_int_eq(sysfence_set_caps(c, caps, NULL, 0), SYSFENCE_OK);
  ck_assert_int_eq(sysfence_set_kernel(c, kernel), SYSFENCE_OK);
  sysfence_set_input_string(c, "p.json", text);
  struct sock_fprog p = {0};
  ck_assert_int_eq(sysfence_compile(c, &p), SYSFENCE_OK);
  snprintf(diags, diags_size, "%s", sysfence_diag_text(c));
  const sf_arch *a = sf_arch_by_name("x86_64");
  sf_seccomp_data d = {.nr = nr, .arch = a->audit_arch};
  uint32_t r = sf_bpf_run(p.filter, p.len, a, &d, NULL);
  free(p.filter);
  sysfence_free(c);
  return r;
}

START_TEST(oci_includes_excludes) {
  const char *text =
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,\n"
      " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"listenerPath\": \"/run/l.sock\",\n"
      " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
      "\"includes\": {\"minKernel\": \"6.2\"}},\n"
      " {\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
      "{\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
      " {\"names\": [\"open\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": "
      "{\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
      " {\"names\": [\"close\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": "
      "{\"arches\": [\"amd64\"]}},\n"
      " {\"names\": [\"stat\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
      "{\"arches\": [\"arm64\", \"amd64\"]}}]}";
  char diags[4096];
  ck_assert_uint_eq(decide(text, "none", "6.1", 0, diags, sizeof diags), SF_RET_ERRNO | 38);
  ck_assert_ptr_nonnull(strstr(diags, "p.json:2:11: note: 'flags' are not part of a filter"));
  ck_assert_ptr_nonnull(strstr(diags, "note: 'listenerPath' is not part of a filter"));
  ck_assert_uint_eq(decide(text, "none", "6.2", 0, diags, sizeof diags), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(text, "none", "6.1", 1, diags, sizeof diags), SF_RET_ERRNO | 38);
  ck_assert_uint_eq(decide(text, "CAP_SYS_ADMIN", "6.1", 1, diags, sizeof diags), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(text, "docker", "6.1", 2, diags, sizeof diags), SF_RET_ALLOW);
  ck_assert_uint_eq(decide(text, "CAP_SYS_ADMIN", "6.1", 2, diags, sizeof diags),
                    SF_RET_ERRNO | 38);
  ck_assert_uint_eq(decide(text, "docker", "6.1", 3, diags, sizeof diags), SF_RET_ERRNO | 38);
  ck_assert_uint_eq(decide(text, "docker", "6.1", 4, diags, sizeof diags), SF_RET_ALLOW);
}
END_TEST

static Suite *oci_suite(void) {
  Suite *s = suite_create("oci");
  TCase *t = tcase_create("oci");
  tcase_set_timeout(t, 600);
  tcase_add_loop_test(t, oci_corpus_equiv, 0, 3 * N_PROFILES);
  tcase_add_loop_test(t, oci_convert_round_trip, 0, 3 * N_PROFILES);
  tcase_add_test(t, oci_width_bypass);
  tcase_add_test(t, oci_multiplexed_form_closed);
  tcase_add_loop_test(t, oci_diagnostics, 0, sizeof bad_profiles / sizeof bad_profiles[0]);
  tcase_add_test(t, oci_unknown_name_and_input_kind);
  tcase_add_test(t, oci_conditions_and_archmap);
  tcase_add_test(t, oci_includes_excludes);
  suite_add_tcase(s, t);
  return s;
}

int main(void) { return tu_run_suite(oci_suite()); }
