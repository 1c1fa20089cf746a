/* oci.c - OCI seccomp profiles (JSON, parsed with json-c) read the way
 * runc and libseccomp read them, into the policy front end's syntax tree
 * (see oci.h).  Where the semantics come from: moby's
 * profiles/seccomp/seccomp_linux.go (archMap, includes/excludes, minKernel),
 * runc's libcontainer/seccomp (actions, errnoRet, entries equal to the
 * default dropped, conditions on a repeated index added one rule each);
 * bench/oci.c builds the same profiles with libseccomp that way and
 * tests/check_oci.c holds the two to each other. */
#include "front/oci.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/diag.h"
#include "front/jsonloc.h"

/* ---- facts ------------------------------------------------------------------ */

/* Docker's default capabilities: moby, oci/caps/defaults.go,
 * DefaultCapabilities(). */
static const char *const docker_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL};
/* podman's: containers/common, pkg/config/default.go, DefaultCapabilities. */
static const char *const podman_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT", NULL};
static const char *const no_caps[] = {NULL};

const char *const *sf_oci_caps_preset(const char *name) {
  if (strcmp(name, "docker") == 0) return docker_caps;
  if (strcmp(name, "podman") == 0) return podman_caps;
  if (strcmp(name, "none") == 0) return no_caps;
  return NULL;
}

/* libseccomp's SCMP_ARCH_* names (the OCI runtime spec's), sysfence's
 * tables, and Go's GOARCH, which moby matches includes/excludes.arches
 * against. */
static const struct {
  const char *scmp, *table, *go;
} arch_names[] = {
    {"SCMP_ARCH_X86", "i386", "386"},         {"SCMP_ARCH_X86_64", "x86_64", "amd64"},
    {"SCMP_ARCH_X32", "x32", "x32"},          {"SCMP_ARCH_ARM", "arm", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64", "arm64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64", "loong64"},
    {"SCMP_ARCH_M68K", "m68k", "m68k"},       {"SCMP_ARCH_MIPS", "mips", "mips"},
    {"SCMP_ARCH_MIPSEL", "mipsel", "mipsle"}, {"SCMP_ARCH_MIPS64", "mips64", "mips64"},
    {"SCMP_ARCH_MIPSEL64", "mips64el", "mips64le"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL64N32", "mips64n32el", "mips64n32le"},
    {"SCMP_ARCH_PARISC", "parisc", "parisc"}, {"SCMP_ARCH_PARISC64", "parisc64", "parisc64"},
    {"SCMP_ARCH_PPC", "ppc", "ppc"},          {"SCMP_ARCH_PPC64", "ppc64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le", "ppc64le"},
    {"SCMP_ARCH_RISCV64", "riscv64", "riscv64"}, {"SCMP_ARCH_S390", "s390", "s390"},
    {"SCMP_ARCH_S390X", "s390x", "s390x"},    {"SCMP_ARCH_SHEB", "sh", "sh"},
    {"SCMP_ARCH_SH", "shel", "shle"},
};
enum { N_ARCH_NAMES = sizeof arch_names / sizeof arch_names[0] };

const sf_arch *sf_oci_arch(const char *scmp_name, int *known) {
  *known = 0;
  for (size_t i = 0; i < N_ARCH_NAMES; i++)
    if (strcmp(arch_names[i].scmp, scmp_name) == 0) {
      *known = 1;
      return sf_arch_by_name(arch_names[i].table);
    }
  return NULL;
}

const char *sf_oci_scmp_name(const sf_arch *a) {
  for (size_t i = 0; i < N_ARCH_NAMES; i++)
    if (strcmp(arch_names[i].table, a->name) == 0) return arch_names[i].scmp;
  return "?";
}

static const char *go_of(const sf_arch *a) {
  for (size_t i = 0; i < N_ARCH_NAMES; i++)
    if (strcmp(arch_names[i].table, a->name) == 0) return arch_names[i].go;
  return a->name;
}

/* libseccomp's multiplexed forms: on these ABIs a rule for a socket or
 * SysV IPC call is also added for socketcall(CALL, ...) or ipc(CALL, ...)
 * with the first argument equal to CALL and the rule's action, whatever
 * its conditions (the multiplexed arguments are in memory).  The call
 * numbers are the kernel's (include/uapi/linux/net.h SYS_SOCKET..
 * SYS_SENDMMSG, include/uapi/linux/ipc.h SEMOP..SHMCTL); the names are
 * libseccomp's, which has send and recv (socketcall 9 and 10) though no
 * kernel has them as syscalls, so this is not sema/derive.c's table. */
static const sf_oci_subcall mux_subs[] = {
    {"socketcall", "socket", 1},      {"socketcall", "bind", 2},
    {"socketcall", "connect", 3},     {"socketcall", "listen", 4},
    {"socketcall", "accept", 5},      {"socketcall", "getsockname", 6},
    {"socketcall", "getpeername", 7}, {"socketcall", "socketpair", 8},
    {"socketcall", "send", 9},        {"socketcall", "recv", 10},
    {"socketcall", "sendto", 11},     {"socketcall", "recvfrom", 12},
    {"socketcall", "shutdown", 13},   {"socketcall", "setsockopt", 14},
    {"socketcall", "getsockopt", 15}, {"socketcall", "sendmsg", 16},
    {"socketcall", "recvmsg", 17},    {"socketcall", "accept4", 18},
    {"socketcall", "recvmmsg", 19},   {"socketcall", "sendmmsg", 20},
    {"ipc", "semop", 1},    {"ipc", "semget", 2},  {"ipc", "semctl", 3},
    {"ipc", "semtimedop", 4}, {"ipc", "msgsnd", 11}, {"ipc", "msgrcv", 12},
    {"ipc", "msgget", 13},  {"ipc", "msgctl", 14}, {"ipc", "shmat", 21},
    {"ipc", "shmdt", 22},   {"ipc", "shmget", 23}, {"ipc", "shmctl", 24},
};
/* The ABIs libseccomp 2.5 multiplexes on (its arch-x86.c, arch-s390.c,
 * arch-s390x.c, arch-ppc.c, arch-ppc64.c). */
static const char *const mux_arches[] = {"i386", "s390", "s390x", "ppc", "ppc64"};

const sf_oci_subcall *sf_oci_subcall_of(const char *name) {
  for (size_t i = 0; i < sizeof mux_subs / sizeof mux_subs[0]; i++)
    if (strcmp(mux_subs[i].name, name) == 0) return &mux_subs[i];
  return NULL;
}

size_t sf_oci_mux_targets(const sf_oci_profile *p, const char *mux, const sf_arch **out) {
  size_t n = 0;
  for (size_t i = 0; i < p->n_arches; i++)
    for (size_t j = 0; j < sizeof mux_arches / sizeof mux_arches[0]; j++)
      if (strcmp(p->arches[i]->name, mux_arches[j]) == 0 &&
          sf_syscall_by_name(p->arches[i], mux))
        out[n++] = p->arches[i];
  return n;
}

int sf_oci_detect(const char *text, size_t len) {
  size_t i = 0;
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
    i++;
  return i < len && text[i] == '{';
}

/* ---- reading: positions, types ---------------------------------------------- */

enum { MAX_PATH = 8 };

typedef struct reader {
  sysfence_ctx *ctx;
  const sf_source *src;
  sf_jstep path[MAX_PATH];
  size_t depth;
  sf_oci_profile *p;
  unsigned kernel_major, kernel_minor;
  /* The offsets of the values of the last path located (at[d]: after d
   * steps; at[0] the document), so that locating the next member or
   * element in document order does not start over (which would make
   * reading a profile quadratic in its size). */
  sf_jstep seen[MAX_PATH];
  long at[MAX_PATH + 1];
  size_t n_seen;
  size_t line_off; /* line_loc is where byte line_off is */
  sf_loc line_loc;
} reader;

static void push_key(reader *r, const char *key) {
  if (r->depth < MAX_PATH) r->path[r->depth] = (sf_jstep){key, 0};
  r->depth++;
}

static void push_index(reader *r, size_t i) {
  if (r->depth < MAX_PATH) r->path[r->depth] = (sf_jstep){NULL, i};
  r->depth++;
}

static void pop(reader *r) { r->depth--; }

/* sf_json_loc_at, counting on from the last position asked for. */
static sf_loc loc_at(reader *r, size_t offset) {
  if (!r->line_loc.src || offset < r->line_off) {
    r->line_off = 0;
    r->line_loc = (sf_loc){r->src, 1, 1};
  }
  const char *t = r->src->text;
  for (size_t i = r->line_off; i < offset && i < r->src->len; i++) {
    if (t[i] == '\n') {
      r->line_loc.line++;
      r->line_loc.col = 1;
    } else {
      r->line_loc.col++;
    }
  }
  r->line_off = offset;
  return r->line_loc;
}

static int same_step(const sf_jstep *a, const sf_jstep *b) {
  return a->key ? b->key && strcmp(a->key, b->key) == 0 : !b->key && a->index == b->index;
}

/* The offset of the value at P[0..N), from the last path located. */
static long locate(reader *r, const sf_jstep *p, size_t n) {
  const char *text = r->src->text;
  size_t len = r->src->len, c = 0;
  while (c < n && c < r->n_seen && same_step(&p[c], &r->seen[c])) c++;
  long at = r->at[c];
  for (size_t s = c; s < n && at >= 0; s++) {
    /* The next elements of the array last looked into: from the last one. */
    if (s == c && s < r->n_seen && !p[s].key && !r->seen[s].key &&
        p[s].index > r->seen[s].index) {
      at = r->at[s + 1];
      for (size_t k = r->seen[s].index; k < p[s].index && at >= 0; k++)
        at = sf_json_next_element(text, len, at);
    } else {
      at = sf_json_step(text, len, at, &p[s], 0);
    }
    r->seen[s] = p[s];
    r->at[s + 1] = at;
    r->n_seen = s + 1;
  }
  if (c == n) r->n_seen = n;
  return at;
}

/* Where member KEY of the current value is (KEY NULL: the value itself);
 * the enclosing value when KEY is absent. */
static sf_loc loc_of(reader *r, const char *key) {
  sf_jstep p[MAX_PATH + 1];
  size_t n = r->depth < MAX_PATH ? r->depth : MAX_PATH;
  memcpy(p, r->path, n * sizeof p[0]);
  long at = -1;
  if (key) {
    p[n] = (sf_jstep){key, 0};
    at = locate(r, p, n + 1);
  }
  if (at < 0) at = locate(r, p, n);
  return loc_at(r, at < 0 ? 0 : (size_t)at);
}

static const char *type_name(json_type t) {
  switch (t) {
  case json_type_string: return "a string";
  case json_type_array: return "an array";
  case json_type_object: return "an object";
  case json_type_int: return "an integer";
  case json_type_boolean: return "true or false";
  case json_type_double: return "a number with a fraction";
  default: return "null";
  }
}

/* Member KEY of OBJ, which must be of TYPE: 1 and *OUT, 0 when absent or
 * null (an error when REQUIRED), -1 after an error. */
static int member_of(reader *r, json_object *obj, const char *key, json_type type,
                     int required, json_object **out) {
  json_object *v = NULL;
  *out = NULL;
  if (!json_object_object_get_ex(obj, key, &v) || !v) {
    if (!required) return 0;
    sf_error(r->ctx, loc_of(r, NULL), "missing field '%s'", key);
    return -1;
  }
  if (!json_object_is_type(v, type)) {
    sf_error(r->ctx, loc_of(r, key), "'%s' must be %s, not %s", key, type_name(type),
             type_name(json_object_get_type(v)));
    return -1;
  }
  *out = v;
  return 1;
}

/* An integer member in 0..MAX: 1 and *OUT, 0 when absent, -1 after an error. */
static int u64_member(reader *r, json_object *obj, const char *key, int required,
                      uint64_t max, uint64_t *out) {
  json_object *v;
  int rc = member_of(r, obj, key, json_type_int, required, &v);
  if (rc <= 0) return rc;
  if (json_object_get_int64(v) < 0) {
    sf_error(r->ctx, loc_of(r, key), "'%s' must not be negative", key);
    return -1;
  }
  *out = json_object_get_uint64(v);
  if (*out > max) {
    sf_error(r->ctx, loc_of(r, key), "'%s' is %llu: at most %llu", key,
             (unsigned long long)*out, (unsigned long long)max);
    return -1;
  }
  return 1;
}

static const char *fmt(reader *r, const char *format, ...) SF_PRINTF(2, 3);
static const char *fmt(reader *r, const char *format, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, format);
  vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  return sf_strdup(r->ctx, buf);
}

/* ---- actions ---------------------------------------------------------------- */

static const struct {
  const char *name;
  ast_action_kind kind;
} action_names[] = {
    {"SCMP_ACT_ALLOW", AST_ACT_ALLOW},       {"SCMP_ACT_ERRNO", AST_ACT_ERRNO},
    {"SCMP_ACT_KILL", AST_ACT_KILL},         {"SCMP_ACT_KILL_THREAD", AST_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", AST_ACT_KILL_PROCESS}, {"SCMP_ACT_TRAP", AST_ACT_TRAP},
    {"SCMP_ACT_TRACE", AST_ACT_TRACE},       {"SCMP_ACT_LOG", AST_ACT_LOG},
    {"SCMP_ACT_NOTIFY", AST_ACT_USER_NOTIF},
};

/* Member KEY (an action name) with its errno (member ERRNO_KEY): runc's
 * default errno for ERRNO and TRACE is EPERM.  0, or -1 after an error. */
static int action_member(reader *r, json_object *obj, const char *key,
                         const char *errno_key, ast_action *out) {
  json_object *v;
  if (member_of(r, obj, key, json_type_string, 1, &v) != 1) return -1;
  const char *name = json_object_get_string(v);
  memset(out, 0, sizeof *out);
  out->loc = loc_of(r, key);
  size_t i;
  for (i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
    if (strcmp(action_names[i].name, name) == 0) break;
  if (i == sizeof action_names / sizeof action_names[0]) {
    sf_error(r->ctx, out->loc, "unknown action '%s' (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
             "SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, "
             "SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)", name);
    return -1;
  }
  out->kind = action_names[i].kind;
  uint64_t ret = 1; /* EPERM */
  int rc = u64_member(r, obj, errno_key, 0, 0xffff, &ret);
  if (rc < 0) return -1;
  if (out->kind == AST_ACT_ERRNO || out->kind == AST_ACT_TRACE) {
    out->value = ret;
    out->value_loc = rc ? loc_of(r, errno_key) : out->loc;
  }
  return 0;
}

static int same_action(const ast_action *a, const ast_action *b) {
  return a->kind == b->kind && a->value == b->value;
}

/* ---- architectures ---------------------------------------------------------- */

/* Add A to the targets (once; only one a kernel runs beside the native). */
static void add_target(reader *r, const sf_arch *a, sf_loc loc, const char *scmp) {
  sf_oci_profile *p = r->p;
  for (size_t i = 0; i < p->n_arches; i++)
    if (p->arches[i] == a) return;
  if (!a || !sf_arch_run_together(p->arches[0], a) || p->n_arches == SF_MAX_TARGETS) {
    sf_note(r->ctx, loc, "%s is left out: no %s kernel runs it beside %s", scmp,
            p->arches[0]->name, p->arches[0]->name);
    return;
  }
  p->arches[p->n_arches++] = a;
}

/* One SCMP_ARCH_* string of the profile: 0 and *OUT (NULL when sysfence
 * has no table for it), -1 after an error. */
static int arch_string(reader *r, json_object *v, const sf_arch **out) {
  int known;
  if (!json_object_is_type(v, json_type_string)) {
    sf_error(r->ctx, loc_of(r, NULL), "an architecture must be a string");
    return -1;
  }
  *out = sf_oci_arch(json_object_get_string(v), &known);
  if (known) return 0;
  sf_error(r->ctx, loc_of(r, NULL), "unknown architecture '%s' (SCMP_ARCH_X86_64, "
           "SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, ...)", json_object_get_string(v));
  return -1;
}

/* The strings of array member KEY as architectures, added as targets when
 * ADD is set.  0, or -1 after an error. */
static int arch_list(reader *r, json_object *obj, const char *key, int add) {
  json_object *arr;
  int rc = member_of(r, obj, key, json_type_array, 0, &arr);
  if (rc <= 0) return rc;
  push_key(r, key);
  int bad = 0;
  for (size_t i = 0; i < json_object_array_length(arr); i++) {
    push_index(r, i);
    const sf_arch *a;
    if (arch_string(r, json_object_array_get_idx(arr, i), &a) != 0) bad = 1;
    else if (add)
      add_target(r, a, loc_of(r, NULL),
                 json_object_get_string(json_object_array_get_idx(arr, i)));
    pop(r);
  }
  pop(r);
  return bad ? -1 : 0;
}

/* archMap: the entry of the native architecture gives its sub-architectures
 * (moby); every entry is checked. */
static int arch_map(reader *r, json_object *map, int add) {
  int bad = 0;
  push_key(r, "archMap");
  for (size_t i = 0; i < json_object_array_length(map); i++) {
    json_object *e = json_object_array_get_idx(map, i), *name;
    push_index(r, i);
    const sf_arch *a = NULL;
    if (!json_object_is_type(e, json_type_object)) {
      sf_error(r->ctx, loc_of(r, NULL), "an archMap entry must be an object");
      bad = 1;
    } else if (member_of(r, e, "architecture", json_type_string, 1, &name) != 1) {
      bad = 1;
    } else {
      push_key(r, "architecture");
      bad |= arch_string(r, name, &a) != 0;
      pop(r);
      int native = a && a == r->p->arches[0];
      bad |= arch_list(r, e, "subArchitectures", add && native) != 0;
    }
    pop(r);
  }
  pop(r);
  return bad ? -1 : 0;
}

/* The filter's architectures: --arch's, or the native one and what the
 * profile lists beside it. */
static int read_arches(reader *r, json_object *root) {
  sysfence_ctx *ctx = r->ctx;
  sf_oci_profile *p = r->p;
  int add = !ctx->arches_explicit;
  p->arches[0] = ctx->arches[0];
  p->n_arches = 1;
  if (!add) {
    memcpy(p->arches, ctx->arches, ctx->n_arches * sizeof p->arches[0]);
    p->n_arches = ctx->n_arches;
  }
  p->go_arch = go_of(p->arches[0]);
  json_object *flat, *map;
  int rf = member_of(r, root, "architectures", json_type_array, 0, &flat);
  int rm = member_of(r, root, "archMap", json_type_array, 0, &map);
  if (rf < 0 || rm < 0) return -1;
  if (rf && rm && json_object_array_length(flat) && json_object_array_length(map)) {
    sf_error(ctx, loc_of(r, "archMap"), "'architectures' and 'archMap' cannot both be "
             "given (moby refuses the profile)");
    return -1;
  }
  if (rf && arch_list(r, root, "architectures", add) != 0) return -1;
  if (rm && arch_map(r, map, add) != 0) return -1;
  if (add) {
    memcpy(ctx->arches, p->arches, p->n_arches * sizeof p->arches[0]);
    ctx->n_arches = p->n_arches;
  }
  return 0;
}

/* ---- includes and excludes ------------------------------------------------- */

static int holds_cap(const sysfence_ctx *ctx, const char *cap) {
  for (size_t i = 0; i < ctx->n_caps; i++)
    if (strcmp(ctx->caps[i], cap) == 0) return 1;
  return 0;
}

/* The strings of array member KEY of OBJ into *ARR (NULL when absent):
 * 0, or -1 after an error. */
static int string_array(reader *r, json_object *obj, const char *key, json_object **arr) {
  if (member_of(r, obj, key, json_type_array, 0, arr) < 0) return -1;
  for (size_t i = 0; *arr && i < json_object_array_length(*arr); i++)
    if (!json_object_is_type(json_object_array_get_idx(*arr, i), json_type_string)) {
      push_key(r, key);
      push_index(r, i);
      sf_error(r->ctx, loc_of(r, NULL), "the elements of '%s' must be strings", key);
      pop(r);
      pop(r);
      return -1;
    }
  return 0;
}

/* The first string of ARR that is (HELD 1) or is not (HELD 0) a held
 * capability, or NULL. */
static const char *cap_where(const sysfence_ctx *ctx, json_object *arr, int held) {
  for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
    const char *c = json_object_get_string(json_object_array_get_idx(arr, i));
    if (holds_cap(ctx, c) == held) return c;
  }
  return NULL;
}

static int has_string(json_object *arr, const char *s) {
  for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
    if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0) return 1;
  return 0;
}

/* minKernel "MAJOR.MINOR" (moby's KernelVersion): 0 and *REASON set when
 * the kernel is older, -1 after an error. */
static int min_kernel(reader *r, json_object *inc, const char **reason) {
  json_object *v;
  int rc = member_of(r, inc, "minKernel", json_type_string, 0, &v);
  if (rc <= 0) return rc;
  unsigned maj, min;
  char end;
  if (sscanf(json_object_get_string(v), "%u.%u%c", &maj, &min, &end) != 2) {
    sf_error(r->ctx, loc_of(r, "minKernel"), "minKernel must be MAJOR.MINOR (\"4.8\"), "
             "not \"%s\"", json_object_get_string(v));
    return -1;
  }
  if (maj > r->kernel_major || (maj == r->kernel_major && min > r->kernel_minor))
    *reason = fmt(r, "needs kernel %u.%u (this is %u.%u; --kernel)", maj, min,
                  r->kernel_major, r->kernel_minor);
  return 0;
}

/* Member KEY ("includes" or "excludes") of entry E: why it leaves E out
 * (moby's rules: every included capability held, the native arch among the
 * included ones, the kernel new enough; no excluded capability held, the
 * native arch not excluded) into *REASON.  0, or -1 after an error. */
static int condition_set(reader *r, json_object *e, const char *key, const char **reason) {
  json_object *set, *caps, *arches;
  int rc = member_of(r, e, key, json_type_object, 0, &set);
  if (rc <= 0) return rc;
  int inc = strcmp(key, "includes") == 0;
  push_key(r, key);
  rc = string_array(r, set, "caps", &caps) | string_array(r, set, "arches", &arches);
  if (rc == 0 && inc) rc = min_kernel(r, set, reason);
  pop(r);
  if (rc != 0 || *reason) return rc ? -1 : 0;
  const char *cap = cap_where(r->ctx, caps, !inc);
  const char *go = r->p->go_arch;
  if (cap)
    *reason = fmt(r, inc ? "needs %s (--caps)" : "not with %s (--caps)", cap);
  else if (inc && arches && json_object_array_length(arches) && !has_string(arches, go))
    *reason = fmt(r, "not for %s", go);
  else if (!inc && has_string(arches, go))
    *reason = fmt(r, "excluded on %s", go);
  return 0;
}

/* ---- entries ---------------------------------------------------------------- */

static const char *const op_names[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                       "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                       "SCMP_CMP_MASKED_EQ"};

static int read_arg(reader *r, json_object *a, sf_oci_arg *out) {
  json_object *op;
  memset(out, 0, sizeof *out);
  out->loc = loc_of(r, NULL);
  if (!json_object_is_type(a, json_type_object)) {
    sf_error(r->ctx, out->loc, "a condition must be an object");
    return -1;
  }
  uint64_t index = 0;
  if (u64_member(r, a, "index", 1, 5, &index) < 0 || u64_member(r, a, "value", 0,
      UINT64_MAX, &out->value) < 0 || u64_member(r, a, "valueTwo", 0, UINT64_MAX,
      &out->two) < 0 || member_of(r, a, "op", json_type_string, 1, &op) != 1)
    return -1;
  out->index = (unsigned)index;
  const char *name = json_object_get_string(op);
  for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
    if (strcmp(op_names[i], name) == 0) {
      out->op = (sf_oci_op)i;
      return 0;
    }
  sf_error(r->ctx, loc_of(r, "op"), "unknown operator '%s' (SCMP_CMP_EQ, SCMP_CMP_NE, "
           "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE, SCMP_CMP_MASKED_EQ)", name);
  return -1;
}

static int read_args(reader *r, json_object *e, sf_oci_entry *out) {
  json_object *args;
  int rc = member_of(r, e, "args", json_type_array, 0, &args);
  if (rc <= 0) return rc;
  size_t n = json_object_array_length(args);
  out->args = sf_alloc(r->ctx, (n ? n : 1) * sizeof *out->args);
  if (!out->args) return -1;
  unsigned seen = 0;
  int bad = 0;
  push_key(r, "args");
  for (size_t i = 0; i < n; i++) {
    push_index(r, i);
    sf_oci_arg *a = &out->args[out->n_args];
    if (read_arg(r, json_object_array_get_idx(args, i), a) != 0) {
      bad = 1;
    } else {
      if (seen & (1u << a->index)) out->separate = 1;
      seen |= 1u << a->index;
      out->n_args++;
    }
    pop(r);
  }
  pop(r);
  return bad ? -1 : 0;
}

static int add_name(reader *r, sf_oci_entry *out, json_object *v) {
  if (!json_object_is_type(v, json_type_string)) {
    sf_error(r->ctx, loc_of(r, NULL), "a syscall name must be a string");
    return -1;
  }
  sf_oci_name *n = &out->names[out->n_names++];
  n->name = sf_strdup(r->ctx, json_object_get_string(v));
  n->loc = loc_of(r, NULL);
  return n->name ? 0 : -1;
}

/* names[] and name (runc takes both). */
static int read_names(reader *r, json_object *e, sf_oci_entry *out) {
  json_object *names, *name;
  int rn = member_of(r, e, "names", json_type_array, 0, &names);
  int rs = member_of(r, e, "name", json_type_string, 0, &name);
  if (rn < 0 || rs < 0) return -1;
  if (!rn && !rs) {
    sf_error(r->ctx, loc_of(r, NULL), "missing field 'names' (or 'name')");
    return -1;
  }
  size_t n = rn ? json_object_array_length(names) : 0;
  out->names = sf_alloc(r->ctx, (n + 1) * sizeof *out->names);
  if (!out->names) return -1;
  int bad = 0;
  push_key(r, "names");
  for (size_t i = 0; i < n; i++) {
    push_index(r, i);
    bad |= add_name(r, out, json_object_array_get_idx(names, i)) != 0;
    pop(r);
  }
  pop(r);
  if (rs) {
    push_key(r, "name");
    bad |= add_name(r, out, name) != 0;
    pop(r);
  }
  return bad ? -1 : 0;
}

static int read_entry(reader *r, json_object *e, sf_oci_entry *out) {
  memset(out, 0, sizeof *out);
  out->loc = loc_of(r, NULL);
  if (!json_object_is_type(e, json_type_object)) {
    sf_error(r->ctx, out->loc, "a syscalls[] entry must be an object");
    return -1;
  }
  json_object *comment;
  if (read_names(r, e, out) != 0 || action_member(r, e, "action", "errnoRet",
      &out->action) != 0 || read_args(r, e, out) != 0 ||
      member_of(r, e, "comment", json_type_string, 0, &comment) < 0)
    return -1;
  if (comment) out->comment = sf_strdup(r->ctx, json_object_get_string(comment));
  if (condition_set(r, e, "excludes", &out->skip) != 0 ||
      (!out->skip && condition_set(r, e, "includes", &out->skip) != 0))
    return -1;
  if (!out->skip && same_action(&out->action, &r->p->def))
    out->skip = "the default action already (runc leaves such entries out)";
  if (!out->skip && out->action.kind == AST_ACT_ERRNO && out->action.value > 4095) {
    /* libseccomp's _seccomp_action_valid: no errno above MAX_ERRNO. */
    out->skip = "libseccomp refuses an errno above 4095 (MAX_ERRNO)";
    sf_warning(r->ctx, out->action.value_loc, "errnoRet %llu is above 4095 (MAX_ERRNO): "
               "libseccomp refuses the rule (and runc the profile); left out",
               (unsigned long long)out->action.value);
  }
  return 0;
}

static int read_entries(reader *r, json_object *root) {
  json_object *arr;
  int rc = member_of(r, root, "syscalls", json_type_array, 0, &arr);
  if (rc <= 0) return rc;
  size_t n = json_object_array_length(arr);
  sf_oci_profile *p = r->p;
  p->entries = sf_alloc(r->ctx, (n ? n : 1) * sizeof *p->entries);
  if (!p->entries) return -1;
  int bad = 0;
  push_key(r, "syscalls");
  for (size_t i = 0; i < n && !sf_too_many_errors(r->ctx); i++) {
    push_index(r, i);
    bad |= read_entry(r, json_object_array_get_idx(arr, i), &p->entries[i]) != 0;
    pop(r);
  }
  pop(r);
  p->n_entries = bad ? 0 : n;
  return bad ? -1 : 0;
}

/* ---- names ------------------------------------------------------------------ */

/* A syscall of A by this very name (not by a Kafel alias)? */
static int exact_syscall(const sf_arch *a, const char *name) {
  const sf_syscall *s = sf_syscall_by_name(a, name);
  return s && strcmp(s->name, name) == 0;
}

/* Is N a syscall of a target?  Where it is one of some targets and only
 * an alias on others, the rule is limited to the first (N->only). */
static int on_some_target(const sf_oci_profile *p, sf_oci_name *n) {
  size_t exact = 0, alias = 0;
  for (size_t i = 0; i < p->n_arches; i++) {
    if (exact_syscall(p->arches[i], n->name)) n->only[exact++] = p->arches[i];
    else if (sf_syscall_by_name(p->arches[i], n->name)) alias++;
  }
  n->n_only = alias ? exact : 0;
  return exact > 0;
}

/* NAME is a call libseccomp multiplexes on one of P's targets, and only
 * that form applies (send, recv): why its direct rule is left out. */
static const char *only_multiplexed(reader *r, const char *name) {
  const sf_oci_subcall *sub = sf_oci_subcall_of(name);
  const sf_arch *mux[SF_MAX_TARGETS];
  if (!sub || !sf_oci_mux_targets(r->p, sub->mux, mux)) return NULL;
  return fmt(r, "only as %s(%u, ...) on %s", sub->mux, sub->k, mux[0]->name);
}

static int on_some_arch(const char *name) {
  if (sf_oci_subcall_of(name)) return 1;
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  for (size_t i = 0; i < n; i++)
    if (exact_syscall(all[i], name)) return 1;
  return 0;
}

/* Names no target has are left out, as libseccomp leaves them out of
 * each architecture that lacks them: one note for those another
 * architecture has, a warning for each no architecture has (a typo, or a
 * syscall newer than sysfence's tables). */
static void check_names(reader *r) {
  sf_oci_profile *p = r->p;
  char list[200] = "";
  size_t n_absent = 0;
  sf_loc first = {0};
  for (size_t i = 0; i < p->n_entries; i++) {
    sf_oci_entry *e = &p->entries[i];
    for (size_t j = 0; !e->skip && j < e->n_names; j++) {
      sf_oci_name *n = &e->names[j];
      if (on_some_target(p, n)) continue;
      if ((n->skip = only_multiplexed(r, n->name)) != NULL) continue;
      if (!on_some_arch(n->name)) {
        n->skip = "a syscall of no architecture";
        sf_warning(r->ctx, n->loc, "'%s' is a syscall of no architecture: left out "
                   "(runc leaves out names libseccomp does not know)", n->name);
        continue;
      }
      n->skip = fmt(r, "not a syscall of %s",
                    p->n_arches > 1 ? "these targets" : p->arches[0]->name);
      if (!n_absent++) first = n->loc;
      size_t used = strlen(list);
      if (used + strlen(n->name) + 8 < sizeof list)
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", n->name);
      else if (!strstr(list, "..."))
        snprintf(list + used, sizeof list - used, ", ...");
    }
  }
  if (n_absent)
    sf_note(r->ctx, first, "%zu name%s no syscall%s of the filter's architecture%s (%s): "
            "left out, as libseccomp leaves them out", n_absent, n_absent == 1 ? " is" : "s are",
            n_absent == 1 ? "" : "s", p->n_arches == 1 ? "" : "s", list);
}

/* ---- the document ------------------------------------------------------------ */

/* flags and listenerPath are the runtime's business when it installs the
 * filter: a blob cannot carry them. */
static int runtime_fields(reader *r, json_object *root) {
  json_object *flags, *listener;
  if (string_array(r, root, "flags", &flags) != 0 ||
      member_of(r, root, "listenerPath", json_type_string, 0, &listener) < 0)
    return -1;
  if (flags && json_object_array_length(flags))
    sf_note(r->ctx, loc_of(r, "flags"), "'flags' are not part of a filter: give them when "
            "installing it (sysfence run --tsync, --log, --spec-allow)");
  if (listener)
    sf_note(r->ctx, loc_of(r, "listenerPath"), "'listenerPath' is not part of a filter: "
            "SCMP_ACT_NOTIFY needs a listener the installer sets up");
  return 0;
}

/* The text as JSON (json-c), with the tokener's errors at their place. */
static json_object *parse_json(reader *r) {
  json_tokener *tok = json_tokener_new();
  if (!tok) {
    r->ctx->out_of_memory = 1;
    return NULL;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  const char *text = r->src->text;
  size_t len = r->src->len;
  json_object *root = json_tokener_parse_ex(tok, text, (int)len);
  enum json_tokener_error err = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  if (!root && err == json_tokener_continue)
    sf_error(r->ctx, sf_json_loc_at(r->src, len), "unexpected end of the JSON text");
  else if (!root) {
    /* The tokener stops after the byte it could not take; past blanks, that
     * byte is what the reader sees as wrong. */
    size_t at = end ? end - 1 : 0;
    while (at + 1 < len && strchr(" \t\r\n", text[at])) at++;
    sf_error(r->ctx, sf_json_loc_at(r->src, at), "invalid JSON: %s",
             json_tokener_error_desc(err));
  }
  while (root && end < len && strchr(" \t\r\n", text[end])) end++;
  if (root && end < len) {
    sf_error(r->ctx, sf_json_loc_at(r->src, end), "text after the JSON object");
    json_object_put(root);
    root = NULL;
  }
  json_tokener_free(tok);
  return root;
}

static void kernel_version(reader *r) {
  sysfence_ctx *ctx = r->ctx;
  struct utsname u;
  r->kernel_major = ctx->kernel_major;
  r->kernel_minor = ctx->kernel_minor;
  if (ctx->kernel_set || uname(&u) != 0) return;
  if (sscanf(u.release, "%u.%u", &r->kernel_major, &r->kernel_minor) != 2)
    r->kernel_major = r->kernel_minor = 0;
}

static int read_profile(reader *r, json_object *root) {
  json_object *comment;
  if (!json_object_is_type(root, json_type_object)) {
    sf_error(r->ctx, loc_of(r, NULL), "a seccomp profile must be a JSON object");
    return -1;
  }
  r->p->loc = loc_of(r, NULL);
  if (action_member(r, root, "defaultAction", "defaultErrnoRet", &r->p->def) != 0)
    return -1;
  if (r->p->def.kind == AST_ACT_ERRNO && r->p->def.value > 4095) {
    sf_error(r->ctx, r->p->def.value_loc, "defaultErrnoRet %llu is above 4095 (MAX_ERRNO): "
             "libseccomp refuses it", (unsigned long long)r->p->def.value);
    return -1;
  }
  if (
      read_arches(r, root) != 0 || runtime_fields(r, root) != 0 ||
      member_of(r, root, "comment", json_type_string, 0, &comment) < 0)
    return -1;
  if (comment) r->p->comment = sf_strdup(r->ctx, json_object_get_string(comment));
  if (read_entries(r, root) != 0) return -1;
  check_names(r);
  return 0;
}

sf_oci_profile *sf_oci_read(sysfence_ctx *ctx, const sf_source *src) {
  reader r = {.ctx = ctx, .src = src};
  r.at[0] = (long)strspn(src->text, " \t\r\n");
  r.p = sf_alloc(ctx, sizeof *r.p);
  if (!r.p || !ctx->arches[0]) {
    if (r.p) sf_error(ctx, (sf_loc){0}, "no target architecture: give --arch");
    return NULL;
  }
  kernel_version(&r);
  r.p->kernel_major = r.kernel_major;
  r.p->kernel_minor = r.kernel_minor;
  json_object *root = parse_json(&r);
  if (!root) return NULL;
  int rc = read_profile(&r, root);
  json_object_put(root);
  return rc == 0 && !ctx->n_errors ? r.p : NULL;
}

/* ---- the syntax tree ---------------------------------------------------------- */

static const char *const arg_names[SF_MAX_ARGS] = {"a0", "a1", "a2", "a3", "a4", "a5"};

static ast_expr *expr(sysfence_ctx *ctx, ast_expr_kind kind, sf_loc loc) {
  ast_expr *e = sf_alloc(ctx, sizeof *e);
  if (e) {
    e->kind = kind;
    e->loc = loc;
  }
  return e;
}

static ast_expr *num(sysfence_ctx *ctx, uint64_t v, sf_loc loc) {
  ast_expr *e = expr(ctx, AST_NUM, loc);
  if (e) e->value = v;
  return e;
}

static ast_expr *binary(sysfence_ctx *ctx, ast_expr_kind kind, ast_expr *l, ast_expr *r,
                        sf_loc loc) {
  ast_expr *e = l && r ? expr(ctx, kind, loc) : NULL;
  if (e) {
    e->lhs = l;
    e->rhs = r;
  }
  return e;
}

/* One condition: aN OP value, or (aN & value) == valueTwo. */
static ast_expr *condition(sysfence_ctx *ctx, const sf_oci_arg *a) {
  static const ast_cmp_op ops[] = {AST_NE, AST_LT, AST_LE, AST_EQ, AST_GE, AST_GT, AST_EQ};
  ast_expr *arg = expr(ctx, AST_IDENT, a->loc);
  if (!arg) return NULL;
  arg->name = arg_names[a->index];
  ast_expr *lhs = arg, *rhs = num(ctx, a->value, a->loc);
  if (a->op == SF_OCI_MASKED_EQ) {
    lhs = binary(ctx, AST_BITAND, arg, rhs, a->loc);
    rhs = num(ctx, a->two, a->loc);
  }
  ast_expr *cmp = binary(ctx, AST_CMP, lhs, rhs, a->loc);
  if (cmp) cmp->op = ops[a->op];
  return cmp;
}

/* The entry's conditions, ANDed (ORed when an index repeats: runc adds a
 * rule for each); NULL when there are none. */
static ast_expr *entry_filter(sysfence_ctx *ctx, const sf_oci_entry *e, int *failed) {
  ast_expr *all = NULL;
  for (size_t i = e->n_args; i-- > 0;) {
    ast_expr *c = condition(ctx, &e->args[i]);
    all = all ? binary(ctx, e->separate ? AST_OR : AST_AND, c, all, e->args[i].loc) : c;
    if (!all) *failed = 1;
  }
  return all;
}

static ast_rule *entry_rule(sysfence_ctx *ctx, const sf_oci_entry *e, const sf_oci_name *n,
                            ast_expr *filter) {
  ast_rule *rule = sf_alloc(ctx, sizeof *rule);
  if (!rule) return NULL;
  rule->loc = n->loc;
  rule->name = (ast_ident){n->name, n->loc};
  if (n->n_only) {
    rule->archs = sf_alloc(ctx, n->n_only * sizeof *rule->archs);
    if (!rule->archs) return NULL;
    for (size_t i = 0; i < n->n_only; i++) rule->archs[i] = (ast_ident){n->only[i]->name, n->loc};
    rule->n_archs = n->n_only;
  }
  if (!filter) return rule;
  unsigned highest = 0;
  for (size_t i = 0; i < e->n_args; i++)
    if (e->args[i].index > highest) highest = e->args[i].index;
  rule->has_args = 1;
  rule->n_args = highest + 1;
  rule->args = sf_alloc(ctx, rule->n_args * sizeof *rule->args);
  if (!rule->args) return NULL;
  for (unsigned i = 0; i <= highest; i++) rule->args[i] = (ast_ident){arg_names[i], e->loc};
  rule->filter = filter;
  return rule;
}

/* The block of entry E (NULL with *FAILED clear when nothing of it applies). */
static ast_entry *entry_block(sysfence_ctx *ctx, const sf_oci_entry *e, int *failed) {
  ast_rule *first = NULL, **tail = &first;
  ast_expr *filter = e->n_args ? entry_filter(ctx, e, failed) : NULL;
  for (size_t i = 0; !*failed && i < e->n_names; i++) {
    if (e->names[i].skip) continue;
    ast_rule *rule = entry_rule(ctx, e, &e->names[i], filter);
    if (!rule) *failed = 1;
    else *tail = rule, tail = &rule->next;
  }
  if (!first || *failed) return NULL;
  ast_entry *b = sf_alloc(ctx, sizeof *b);
  if (!b) {
    *failed = 1;
    return NULL;
  }
  b->kind = AST_ENTRY_BLOCK;
  b->loc = e->loc;
  b->action = e->action;
  b->rules = first;
  return b;
}

int sf_oci_unconditional(const sf_oci_profile *p, const char *name) {
  for (size_t i = 0; i < p->n_entries; i++) {
    const sf_oci_entry *e = &p->entries[i];
    for (size_t j = 0; !e->skip && !e->n_args && j < e->n_names; j++)
      if (!e->names[j].skip && strcmp(e->names[j].name, name) == 0) return 1;
  }
  return 0;
}

/* MUX(a0) { a0 == K } ON the targets libseccomp multiplexes on, for the
 * subcall names of entry E: NULL when there are none. */
static ast_rule *mux_rules(sysfence_ctx *ctx, const sf_oci_profile *p, const sf_oci_entry *e,
                           int *failed) {
  ast_rule *first = NULL, **tail = &first;
  for (size_t i = 0; i < e->n_names && !*failed; i++) {
    const sf_oci_subcall *sub = sf_oci_subcall_of(e->names[i].name);
    const sf_arch *on[SF_MAX_TARGETS];
    size_t n_on = sub ? sf_oci_mux_targets(p, sub->mux, on) : 0;
    if (!n_on || sf_oci_unconditional(p, sub->mux)) continue;
    sf_oci_name name = {sub->mux, e->names[i].loc, NULL, {NULL}, 0};
    sf_oci_arg key = {0, SF_OCI_EQ, sub->k, 0, e->names[i].loc};
    sf_oci_entry one = {.args = &key, .n_args = 1, .loc = e->loc};
    ast_rule *rule = entry_rule(ctx, &one, &name, condition(ctx, &key));
    ast_ident *archs = sf_alloc(ctx, n_on * sizeof *archs);
    if (!rule || !rule->filter || !archs) {
      *failed = 1;
      break;
    }
    for (size_t k = 0; k < n_on; k++) archs[k] = (ast_ident){on[k]->name, e->names[i].loc};
    rule->archs = archs;
    rule->n_archs = n_on;
    *tail = rule;
    tail = &rule->next;
  }
  return first;
}

/* The multiplexed forms, after every entry: an entry's own rule for the
 * multiplexer decides first, as in libseccomp. */
static void add_mux_blocks(sysfence_ctx *ctx, const sf_oci_profile *p, ast_entry **tail,
                           int *failed) {
  for (size_t i = 0; i < p->n_entries && !*failed; i++) {
    const sf_oci_entry *e = &p->entries[i];
    ast_rule *rules = e->skip ? NULL : mux_rules(ctx, p, e, failed);
    if (!rules) continue;
    ast_entry *b = sf_alloc(ctx, sizeof *b);
    if (!b) {
      *failed = 1;
      return;
    }
    *b = (ast_entry){.kind = AST_ENTRY_BLOCK, .loc = e->loc, .action = e->action, .rules = rules};
    *tail = b;
    tail = &b->next;
  }
}

ast_file *sf_oci_tree(sysfence_ctx *ctx, const sf_oci_profile *p) {
  ast_file *file = sf_alloc(ctx, sizeof *file);
  ast_top *def = sf_alloc(ctx, sizeof *def), *body = sf_alloc(ctx, sizeof *body);
  if (!file || !def || !body) return NULL;
  *def = (ast_top){.kind = AST_TOP_DEFAULT, .loc = p->def.loc, .action = p->def};
  *body = (ast_top){.kind = AST_TOP_ENTRIES, .loc = p->loc};
  ast_entry **tail = &body->entries;
  int failed = 0;
  for (size_t i = 0; i < p->n_entries && !failed; i++) {
    if (p->entries[i].skip) continue;
    ast_entry *b = entry_block(ctx, &p->entries[i], &failed);
    if (b) *tail = b, tail = &b->next;
  }
  /* libseccomp's own rules for the multiplexed forms (a sub-call gets the
   * rule's action whatever its conditions: socketcall(SYS_SOCKET) lets
   * every family through), only when sysfence's derived rules, which give
   * the multiplexed form the most restrictive outcome instead, are off
   * (-D SYSFENCE_DERIVE=0: libseccomp's behaviour exactly). */
  if (!failed && ctx->no_derive) add_mux_blocks(ctx, p, tail, &failed);
  if (failed) return NULL;
  body->next = def;
  file->items = body;
  return file;
}
