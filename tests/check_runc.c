/* check_runc.c - a container runtime takes and enforces the profile that
 * 'sysfence convert --to oci' writes.
 *
 * Docker and podman hand the profile of '--security-opt seccomp=FILE' to
 * the OCI runtime as config.json's linux.seccomp; here runc (Debian's
 * package) gets that object directly.  Each check converts a policy, makes
 * an OCI bundle in a temporary folder (config.json from 'runc spec', with
 * linux.seccomp replaced by the converted JSON as it was written, and a
 * rootfs holding only a static probe program built here), runs 'runc run',
 * and compares the probe's lines (one per call: "NAME: ok" or
 * "NAME: errno N") with what the policy decides, and each decision with
 * 'sysfence sim' on the same policy compiled by sysfence.
 *
 * One difference is runc's own: with a default action that refuses, runc
 * puts a stub before libseccomp's filter that answers ENOSYS to a syscall
 * numbered above every syscall the profile names (on its ABI), so that a
 * program can fall back from a call newer than the profile
 * (libcontainer/seccomp/patchbpf in runc's sources).  faccessat2 (439)
 * shows it: sysfence says ERRNO(1), the container sees ENOSYS.
 *
 * Without runc, without root, or where runc cannot run a container (no
 * cgroups, nested without privileges), the whole program skips loudly with
 * the reason; CI installs runc. */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* The probe: makes each call named on its command line and prints one
 * line for it.  Raw syscall(2) where glibc's wrapper could hide the
 * kernel's answer (getppid never sets errno). */
static const char probe_src[] =
    "#define _GNU_SOURCE\n"
    "#include <errno.h>\n"
    "#include <fcntl.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <sys/socket.h>\n"
    "#include <sys/syscall.h>\n"
    "#include <unistd.h>\n"
    "static long call(const char *n) {\n"
    "  if (!strcmp(n, \"getpid\")) return syscall(SYS_getpid);\n"
    "  if (!strcmp(n, \"getppid\")) return syscall(SYS_getppid);\n"
    "  if (!strcmp(n, \"mkdir\")) return syscall(SYS_mkdir, \"/sf-dir\", 0700);\n"
    "  if (!strcmp(n, \"dup1\")) return syscall(SYS_dup, 1);\n"
    "  if (!strcmp(n, \"dup100\")) return syscall(SYS_dup, 100);\n"
    "  if (!strcmp(n, \"dup101\")) return syscall(SYS_dup, 101);\n"
    "  if (!strcmp(n, \"socket-inet\")) return socket(AF_INET, SOCK_STREAM, 0);\n"
    "  if (!strcmp(n, \"socket-unix\")) return socket(AF_UNIX, SOCK_STREAM, 0);\n"
    "  if (!strcmp(n, \"faccessat2\")) return syscall(439, AT_FDCWD, \"/\", 0, 0);\n"
    "  return -2;\n"
    "}\n"
    "int main(int argc, char **argv) {\n"
    "  for (int i = 1; i < argc; i++) {\n"
    "    errno = 0;\n"
    "    long r = call(argv[i]);\n"
    "    if (r == -2) return 2;\n"
    "    if (r < 0) printf(\"%s: errno %d\\n\", argv[i], errno);\n"
    "    else printf(\"%s: ok\\n\", argv[i]);\n"
    "  }\n"
    "  return fflush(stdout) != 0;\n"
    "}\n";

/* Set up once in main() before the (forked) tests, read-only after. */
static struct {
  char *dir;       /* temporary folder of the run */
  char *runc;      /* runc's path */
  char *probe64;   /* the x86_64 probe */
  char *probe32;   /* the i386 probe, NULL if gcc -m32 -static failed */
  char why32[400]; /* why there is no i386 probe */
  int no_pivot;    /* runc needs --no-pivot here (a ramfs root) */
} fx;

/* One call of the probe: its name, the CALL for sysfence sim (without the
 * ABI prefix), the action sim must give, and the probe's line in the
 * container (for ALLOW the call's own result). */
typedef struct probe_call {
  const char *name, *sim, *action, *line;
} probe_call;

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) abort();
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Build the probe with FLAGS ("" or "-m32"); NULL and WHY filled on failure. */
static char *build_probe(const char *flags, const char *name, char *why,
                         size_t why_size) {
  char *src = tu_write(fx.dir, "probe.c", probe_src);
  char *exe = path_in(fx.dir, name);
  tu_result r = tu_sh("gcc %s -static -O1 -o '%s' '%s' 2>&1", flags, exe, src);
  free(src);
  if (!r.exited || r.status != 0) {
    snprintf(why, why_size, "gcc %s -static cannot build the probe: %.300s",
             flags, r.out);
    free(exe);
    exe = NULL;
  }
  tu_result_free(&r);
  return exe;
}

/* config.json of BUNDLE (from 'runc spec'): no terminal, the probe with
 * ARGS as the process, a writable root (mkdir may succeed), and SECCOMP
 * (taken over; NULL: none) as linux.seccomp.  Returns 0 on success. */
static int edit_config(const char *bundle, const char *const *args,
                       json_object *seccomp) {
  char *file = path_in(bundle, "config.json");
  json_object *c = json_object_from_file(file), *process, *root, *linux_;
  int ok = c && json_object_object_get_ex(c, "process", &process) &&
           json_object_object_get_ex(c, "root", &root) &&
           json_object_object_get_ex(c, "linux", &linux_);
  if (ok) {
    json_object *argv = json_object_new_array();
    json_object_array_add(argv, json_object_new_string("/probe"));
    for (size_t i = 0; args[i]; i++)
      json_object_array_add(argv, json_object_new_string(args[i]));
    json_object_object_add(process, "args", argv);
    json_object_object_add(process, "terminal", json_object_new_boolean(0));
    json_object_object_add(root, "readonly", json_object_new_boolean(0));
    json_object_object_del(linux_, "seccomp");
    if (seccomp) json_object_object_add(linux_, "seccomp", seccomp);
    seccomp = NULL;
    ok = json_object_to_file_ext(file, c, JSON_C_TO_STRING_PRETTY) == 0;
  }
  json_object_put(seccomp);
  json_object_put(c);
  free(file);
  return ok ? 0 : -1;
}

/* A fresh bundle in a new folder under fx.dir: rootfs with PROBE, and
 * config.json.  Returns the bundle's folder (malloc()ed), or NULL with WHY
 * filled (also usable before the tests run: no ck_assert). */
static char *try_bundle(const char *probe, const char *const *args,
                        json_object *seccomp, char *why, size_t why_size) {
  static const char tmpl[] = "/bundle.XXXXXX";
  char *bundle = malloc(strlen(fx.dir) + sizeof tmpl);
  if (!bundle) abort();
  strcpy(bundle, fx.dir);
  strcat(bundle, tmpl);
  if (!mkdtemp(bundle)) {
    snprintf(why, why_size, "mkdtemp %s failed", bundle);
    json_object_put(seccomp);
    free(bundle);
    return NULL;
  }
  tu_result r = tu_sh("mkdir '%s/rootfs' && cp '%s' '%s/rootfs/probe' && "
                      "'%s' spec --bundle '%s' 2>&1",
                      bundle, probe, bundle, fx.runc, bundle);
  int ok = r.exited && r.status == 0;
  if (!ok) snprintf(why, why_size, "runc spec --bundle %s: %.300s", bundle, r.out);
  tu_result_free(&r);
  if (ok && edit_config(bundle, args, seccomp) != 0) {
    snprintf(why, why_size, "cannot edit %s/config.json", bundle);
    ok = 0;
  } else if (!ok) {
    json_object_put(seccomp);
  }
  if (!ok) {
    free(bundle);
    bundle = NULL;
  }
  return bundle;
}

/* The same in a test. */
static char *make_bundle(const char *probe, const char *const *args,
                         json_object *seccomp) {
  char why[512];
  char *bundle = try_bundle(probe, args, seccomp, why, sizeof why);
  ck_assert_msg(bundle != NULL, "%s", why);
  return bundle;
}

/* 'runc run' of BUNDLE, with a state folder of its own (no trace left in
 * /run/runc) and a container id unique to this run. */
static tu_result runc_run(const char *bundle) {
  static unsigned serial; /* per forked test: the pid tells them apart */
  char id[64];
  snprintf(id, sizeof id, "sysfence-check-%ld-%u", (long)getpid(), serial++);
  char *state = path_in(bundle, "state");
  char *argv[] = {fx.runc,   "--root", state, "run", "--bundle", (char *)bundle,
                  id,        NULL,     NULL};
  if (fx.no_pivot) {
    argv[4] = "--no-pivot";
    argv[5] = "--bundle";
    argv[6] = (char *)bundle;
    argv[7] = id;
  }
  tu_result r = tu_run(argv, NULL);
  free(state);
  return r;
}

/* Does runc run a container here at all (no seccomp)?  NULL if it does,
 * else runc's complaint (malloc()ed).  Tries --no-pivot when pivot_root
 * fails (a root on ramfs). */
static char *runc_works(void) {
  const char *const args[] = {"getpid", NULL};
  char why[512];
  char *bundle = try_bundle(fx.probe64, args, NULL, why, sizeof why);
  if (!bundle) return strdup(why);
  tu_result r = runc_run(bundle);
  if (!(r.exited && r.status == 0) && strstr(r.err, "pivot_root")) {
    tu_result_free(&r);
    fx.no_pivot = 1;
    r = runc_run(bundle);
  }
  char *complaint = NULL;
  if (!(r.exited && r.status == 0 && strcmp(r.out, "getpid: ok\n") == 0)) {
    size_t n = strlen(r.err) + strlen(r.out) + 64;
    complaint = malloc(n);
    if (complaint)
      snprintf(complaint, n, "exit status %d, stdout '%s', stderr: %s", r.status,
               r.out, r.err);
  }
  tu_result_free(&r);
  free(bundle);
  return complaint;
}

/* Write POLICY into a new file of fx.dir; its path (malloc()ed). */
static char *write_policy(const char *name, const char *policy) {
  return tu_write(fx.dir, name, policy);
}

/* 'sysfence convert POLICY --to oci --arch ARCHES': the profile, parsed. */
static json_object *convert(const char *policy, const char *arches) {
  char *out = path_in(fx.dir, "profile.json");
  unlink(out);
  tu_result r = tu_run_program(tu_sysfence(), NULL, "convert", policy, "--to",
                               "oci", "--arch", arches, "-o", out, NULL);
  ck_assert_msg(r.exited && r.status == 0, "convert %s --arch %s: %s", policy,
                arches, r.err);
  tu_result_free(&r);
  json_object *profile = json_object_from_file(out);
  ck_assert_msg(profile != NULL, "%s is not JSON", out);
  free(out);
  return profile;
}

/* Each call of CALLS in 'sysfence sim' (ABI: prefix, "" for x86_64) on
 * POLICY compiled by sysfence for ARCHES gives its action. */
static void check_sim(const char *policy, const char *arches, const char *abi,
                      const probe_call *calls, size_t n) {
  char *bpf = path_in(fx.dir, "policy.bpf");
  tu_result r = tu_run_program(tu_sysfence(), NULL, "compile", policy, "--arch",
                               arches, "-o", bpf, NULL);
  ck_assert_msg(r.exited && r.status == 0, "compile: %s", r.err);
  tu_result_free(&r);
  for (size_t i = 0; i < n; i++) {
    char call[128], want[160];
    snprintf(call, sizeof call, "%s%s", abi, calls[i].sim);
    /* one CALL: sim prints the action and the instruction count */
    snprintf(want, sizeof want, "%s ", calls[i].action);
    r = tu_run_program(tu_sysfence(), NULL, "sim", bpf, call, NULL);
    ck_assert_msg(r.exited && r.status == 0 && strncmp(r.out, want, strlen(want)) == 0,
                  "sysfence sim %s: '%s', expected '%s...'", call, r.out, want);
    tu_result_free(&r);
  }
  free(bpf);
}

/* The probe PROBE under PROFILE (taken over) in runc makes the calls of
 * CALLS: its output is their lines, in order, and it exits 0. */
static void check_container(const char *probe, json_object *profile,
                            const probe_call *calls, size_t n) {
  const char *args[16];
  ck_assert_uint_lt(n, 16);
  char expected[1024] = "";
  for (size_t i = 0; i < n; i++) {
    args[i] = calls[i].name;
    size_t len = strlen(expected);
    snprintf(expected + len, sizeof expected - len, "%s: %s\n", calls[i].name,
             calls[i].line);
  }
  args[n] = NULL;
  char *bundle = make_bundle(probe, args, profile);
  tu_result r = runc_run(bundle);
  ck_assert_msg(r.exited && r.status == 0, "runc run %s: status %d, %s", bundle,
                r.status, r.err);
  ck_assert_msg(strcmp(r.out, expected) == 0, "in the container:\n%s\nexpected:\n%s",
                r.out, expected);
  tu_result_free(&r);
  free(bundle);
}

/* TEXT written as NAME, for x86_64: CALLS decided so by the simulator, and
 * made so in a runc container under its conversion. */
static void check_x86_64(const char *name, const char *text, const probe_call *calls,
                         size_t n) {
  char *policy = write_policy(name, text);
  check_sim(policy, "x86_64", "", calls, n);
  check_container(fx.probe64, convert(policy, "x86_64"), calls, n);
  free(policy);
}

/* ---- a deny-list --------------------------------------------------------- */

static const char deny_policy[] =
    "#define AF_INET 2\n"
    "ERRNO(13) { mkdir },\n"
    "ERRNO(1) { socket { domain == AF_INET } },\n"
    "ERRNO(16) { dup { fildes == 100 } }\n"
    "DEFAULT ALLOW\n";

static const probe_call deny_calls[] = {
    {"mkdir", "mkdir", "ERRNO(13)", "errno 13"},
    {"socket-inet", "socket(2, 1, 0)", "ERRNO(1)", "errno 1"},
    {"socket-unix", "socket(1, 1, 0)", "ALLOW", "ok"},
    {"dup100", "dup(100)", "ERRNO(16)", "errno 16"},
    {"dup101", "dup(101)", "ALLOW", "errno 9"}, /* EBADF: the kernel's */
    {"getpid", "getpid", "ALLOW", "ok"},
};
#define N_DENY (sizeof deny_calls / sizeof *deny_calls)

START_TEST(runc_deny_list) {
  check_x86_64("deny.policy", deny_policy, deny_calls, N_DENY);
}
END_TEST

/* The profile's "architectures" is honoured: for an ABI it does not list,
 * libseccomp's bad-architecture action (KILL_THREAD; the probe has one
 * thread, so SIGSYS ends it, and runc exits 128 + 31). */
START_TEST(runc_foreign_abi_killed) {
  if (!fx.probe32) {
    tu_skip("runc_foreign_abi_killed", "%s", fx.why32);
    return;
  }
  char *policy = write_policy("deny.policy", deny_policy);
  const char *const args[] = {"getpid", NULL};
  char *bundle = make_bundle(fx.probe32, args, convert(policy, "x86_64"));
  tu_result r = runc_run(bundle);
  ck_assert_msg(r.exited && r.status == 128 + 31 && r.out[0] == '\0',
                "i386 probe under an x86_64 profile: status %d, out '%s', err %s",
                r.status, r.out, r.err);
  tu_result_free(&r);
  free(bundle);
  free(policy);
}
END_TEST

/* Three ABIs in one profile.  libseccomp would give socket's argument
 * conditions to i386's socketcall too (convert refuses them), so socket
 * is refused whole here. */
static const char deny3_policy[] = "ERRNO(13) { mkdir },\n"
                                   "ERRNO(97) { socket },\n"
                                   "ERRNO(16) { dup { fildes == 100 } }\n"
                                   "DEFAULT ALLOW\n";

static const probe_call deny3_calls[] = {
    {"mkdir", "mkdir", "ERRNO(13)", "errno 13"},
    {"socket-inet", "socket(2, 1, 0)", "ERRNO(97)", "errno 97"},
    {"socket-unix", "socket(1, 1, 0)", "ERRNO(97)", "errno 97"},
    {"dup100", "dup(100)", "ERRNO(16)", "errno 16"},
    {"dup101", "dup(101)", "ALLOW", "errno 9"},
    {"getppid", "getppid", "ALLOW", "ok"},
};
#define N_DENY3 (sizeof deny3_calls / sizeof *deny3_calls)

START_TEST(runc_deny_list_three_abis) {
  char *policy = write_policy("deny3.policy", deny3_policy);
  const char *arches = "x86_64,i386,x32";
  check_sim(policy, arches, "", deny3_calls, N_DENY3);
  check_container(fx.probe64, convert(policy, arches), deny3_calls, N_DENY3);
  if (!fx.probe32) {
    tu_skip("runc_deny_list_three_abis", "the i386 half: %s", fx.why32);
  } else {
    check_sim(policy, arches, "i386:", deny3_calls, N_DENY3);
    check_container(fx.probe32, convert(policy, arches), deny3_calls, N_DENY3);
  }
  free(policy);
}
END_TEST

/* ---- an allow-list ------------------------------------------------------- */

/* runc's init (Go) loads the filter and then still closes its descriptors,
 * opens and writes its exec fifo, reads /proc/self/fd and execs the probe
 * (seen with strace -f; other Go threads may futex and sleep meanwhile);
 * the static probe's start needs the second group, and on i386 the third
 * (allow_policy_i386; a name an ABI lacks applies to the others). */
static const char allow_policy[] =
    "ALLOW { close, openat, write, read, getpid, fstatfs, getdents64,\n"
    "        epoll_ctl, epoll_pwait, futex, nanosleep, sched_yield,\n"
    "        rt_sigprocmask, rt_sigreturn, fcntl, madvise, mmap, munmap,\n"
    "        exit, tgkill, gettid, execve }\n"
    "ALLOW { brk, arch_prctl, set_tid_address, set_robust_list, rseq,\n"
    "        prlimit64, readlink, mprotect, newfstatat, statx, getrandom,\n"
    "        exit_group, uname }\n"
    "ALLOW { dup { fildes == 1 } }\n"
    "DEFAULT ERRNO(1)\n";
static const char allow_policy_i386[] = "ALLOW { set_thread_area, ugetrlimit }\n";

/* faccessat2 (439) is above every syscall the profile names: runc's stub
 * answers ENOSYS (38) where the policy says ERRNO(1) (see the top). */
static const probe_call allow_calls[] = {
    {"getpid", "getpid", "ALLOW", "ok"},
    {"dup1", "dup(1)", "ALLOW", "ok"},
    {"dup100", "dup(100)", "ERRNO(1)", "errno 1"},
    {"mkdir", "mkdir", "ERRNO(1)", "errno 1"},
    {"socket-unix", "socket(1, 1, 0)", "ERRNO(1)", "errno 1"},
    {"getppid", "getppid", "ERRNO(1)", "errno 1"},
    {"faccessat2", "faccessat2", "ERRNO(1)", "errno 38"},
};
#define N_ALLOW (sizeof allow_calls / sizeof *allow_calls)

START_TEST(runc_allow_list) {
  check_x86_64("allow.policy", allow_policy, allow_calls, N_ALLOW);
}
END_TEST

START_TEST(runc_allow_list_three_abis) {
  char text[sizeof allow_policy + sizeof allow_policy_i386];
  snprintf(text, sizeof text, "%s%s", allow_policy_i386, allow_policy);
  char *policy = write_policy("allow3.policy", text);
  const char *arches = "x86_64,i386,x32";
  check_sim(policy, arches, "", allow_calls, N_ALLOW);
  check_container(fx.probe64, convert(policy, arches), allow_calls, N_ALLOW);
  if (!fx.probe32) {
    tu_skip("runc_allow_list_three_abis", "the i386 half: %s", fx.why32);
  } else {
    check_sim(policy, arches, "i386:", allow_calls, N_ALLOW);
    check_container(fx.probe32, convert(policy, arches), allow_calls, N_ALLOW);
  }
  free(policy);
}
END_TEST

static Suite *runc_suite(void) {
  Suite *s = suite_create("runc");
  TCase *t = tcase_create("runc");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, runc_deny_list);
  tcase_add_test(t, runc_foreign_abi_killed);
  tcase_add_test(t, runc_deny_list_three_abis);
  tcase_add_test(t, runc_allow_list);
  tcase_add_test(t, runc_allow_list_three_abis);
  suite_add_tcase(s, t);
  return s;
}

/* fx: runc, root, the probes, and a first container without seccomp;
 * skips the whole program (loudly) when one of them is missing. */
static void set_up(void) {
  tu_result r = tu_sh("command -v runc");
  if (!r.exited || r.status != 0)
    tu_skip_program("runc is not installed (apt-get install runc): no "
                    "container ran with a converted profile");
  r.out[strcspn(r.out, "\n")] = '\0';
  fx.runc = strdup(r.out);
  tu_result_free(&r);
  if (geteuid() != 0)
    tu_skip_program("runc runs containers as root only (this is uid %ld)",
                    (long)geteuid());
  if (!tu_seccomp_available()) tu_skip_program_no_seccomp("runc with a profile");
  fx.dir = tu_tmpdir();
  char why[400];
  fx.probe64 = build_probe("", "probe64", why, sizeof why);
  if (!fx.probe64) {
    tu_rmtree(fx.dir);
    tu_skip_program("%s", why);
  }
  fx.probe32 = build_probe("-m32", "probe32", fx.why32, sizeof fx.why32);
  char *broken = runc_works();
  if (broken) {
    tu_rmtree(fx.dir);
    tu_skip_program("runc cannot run a container here: %.500s", broken);
  }
}

int main(void) {
  set_up();
  tu_result v = tu_sh("'%s' --version", fx.runc);
  fprintf(stderr, "check_runc: %s%s", v.out, fx.no_pivot ? "(with --no-pivot)\n" : "");
  tu_result_free(&v);
  int status = tu_run_suite(runc_suite());
  tu_rmtree(fx.dir);
  free(fx.dir);
  free(fx.runc);
  free(fx.probe64);
  free(fx.probe32);
  return status;
}
