/* oci.c - an OCI (Docker/Podman) seccomp JSON profile built with libseccomp,
 * the way the container runtimes do it:
 *
 *   seccomp_init(defaultAction); for every entry of syscalls[] whose
 *   includes/excludes hold (capabilities, architecture, minKernel) and whose
 *   action is not the default (runc drops those): for every name,
 *   seccomp_rule_add_array(action, nr, conditions).  The conditions of an
 *   entry form one rule (AND) unless an argument index repeats, in which
 *   case each condition is its own rule (OR), as runc does.  Names this
 *   libseccomp does not know are resolved by number from syscalls.csv (the
 *   corpus README: "same syscall set as docker-default.kafel").  Then
 *   seccomp_export_bpf to a memfd, read back as the raw program. */
#include <errno.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

const char *const oci_docker_caps[OCI_N_DOCKER_CAPS] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

/* ---- syscalls.csv ---------------------------------------------------------- */

int csv_load(const char *path, const char *arch, csv_table *t) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[4096];
  int col = -1, rc = -1;
  size_t cap = 0;
  if (!fgets(line, sizeof line, f)) goto out;
  {
    int i = 0;
    for (char *save = NULL, *tok = strtok_r(line, ",\n", &save); tok;
         tok = strtok_r(NULL, ",\n", &save), i++)
      if (strcmp(tok, arch) == 0) col = i;
  }
  if (col < 0) goto out;
  while (fgets(line, sizeof line, f)) {
    char *save = NULL, *name = strtok_r(line, ",\n", &save), *tok = name;
    for (int i = 0; tok && i < col; i++) tok = strtok_r(NULL, ",\n", &save);
    if (!name || !tok || name[0] == '#') continue;
    char *end;
    long nr = strtol(tok, &end, 10);
    if (end == tok || *end) continue; /* PNR: not a syscall of ARCH */
    if (t->n == cap) {
      cap = cap ? 2 * cap : 512;
      char **nn = realloc(t->names, cap * sizeof *nn);
      if (!nn) goto out;
      t->names = nn;
      long *nv = realloc(t->nrs, cap * sizeof *nv);
      if (!nv) goto out;
      t->nrs = nv;
    }
    if (!(t->names[t->n] = strdup(name))) goto out;
    t->nrs[t->n++] = nr;
  }
  rc = 0;
out:
  fclose(f);
  if (rc != 0) csv_free(t);
  return rc;
}

long csv_lookup(const csv_table *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->names[i], name) == 0) return t->nrs[i];
  return -1;
}

void csv_free(csv_table *t) {
  for (size_t i = 0; i < t->n; i++) free(t->names[i]);
  free(t->names);
  free(t->nrs);
  memset(t, 0, sizeof *t);
}

/* ---- the profile ----------------------------------------------------------- */

static const char *str_of(json_object *o, const char *key) {
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v) : NULL;
}

static json_object *array_of(json_object *o, const char *key) {
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array)
             ? v : NULL;
}

static int has_int(json_object *o, const char *key, uint64_t *out) {
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
    return 0;
  *out = json_object_get_uint64(v);
  return 1;
}

/* An OCI action name with its errno (errnoRet, else FALLBACK_ERRNO) into a
 * libseccomp action; 0 and *ok = 0 for an unknown name. */
static uint32_t action_of(const char *name, json_object *holder, const char *errno_key,
                          uint64_t fallback_errno, int *ok) {
  uint64_t ret = fallback_errno;
  has_int(holder, errno_key, &ret);
  *ok = 1;
  if (!name) { *ok = 0; return 0; }
  if (!strcmp(name, "SCMP_ACT_ALLOW")) return SCMP_ACT_ALLOW;
  if (!strcmp(name, "SCMP_ACT_ERRNO")) return SCMP_ACT_ERRNO((uint32_t)ret);
  if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
    return SCMP_ACT_KILL_THREAD;
  if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) return SCMP_ACT_KILL_PROCESS;
  if (!strcmp(name, "SCMP_ACT_TRAP")) return SCMP_ACT_TRAP;
  if (!strcmp(name, "SCMP_ACT_TRACE")) return SCMP_ACT_TRACE((uint32_t)ret);
  if (!strcmp(name, "SCMP_ACT_LOG")) return SCMP_ACT_LOG;
  if (!strcmp(name, "SCMP_ACT_NOTIFY")) return SCMP_ACT_NOTIFY;
  *ok = 0;
  return 0;
}

static int in_strings(json_object *arr, const char *s) {
  size_t n = arr ? json_object_array_length(arr) : 0;
  for (size_t i = 0; i < n; i++) {
    const char *e = json_object_get_string(json_object_array_get_idx(arr, i));
    if (e && strcmp(e, s) == 0) return 1;
  }
  return 0;
}

static int holds_cap(const oci_opts *o, const char *cap) {
  for (size_t i = 0; i < o->n_caps; i++)
    if (strcmp(o->caps[i], cap) == 0) return 1;
  return 0;
}

/* moby's rule: includes.caps all held, includes.arches contains the arch,
 * includes.minKernel <= the kernel; excludes.caps none held,
 * excludes.arches does not contain the arch. */
static int entry_applies(json_object *e, const oci_opts *o) {
  json_object *inc = NULL, *exc = NULL;
  json_object_object_get_ex(e, "includes", &inc);
  json_object_object_get_ex(e, "excludes", &exc);
  if (inc && json_object_is_type(inc, json_type_object)) {
    json_object *caps = array_of(inc, "caps"), *arches = array_of(inc, "arches");
    for (size_t i = 0, n = caps ? json_object_array_length(caps) : 0; i < n; i++)
      if (!holds_cap(o, json_object_get_string(json_object_array_get_idx(caps, i))))
        return 0;
    if (arches && json_object_array_length(arches) > 0 && !in_strings(arches, o->oci_arch))
      return 0;
    const char *mk = str_of(inc, "minKernel");
    unsigned maj = 0, min = 0;
    if (mk && sscanf(mk, "%u.%u", &maj, &min) >= 1 &&
        (maj > o->kernel_major || (maj == o->kernel_major && min > o->kernel_minor)))
      return 0;
  }
  if (exc && json_object_is_type(exc, json_type_object)) {
    json_object *caps = array_of(exc, "caps"), *arches = array_of(exc, "arches");
    for (size_t i = 0, n = caps ? json_object_array_length(caps) : 0; i < n; i++)
      if (holds_cap(o, json_object_get_string(json_object_array_get_idx(caps, i))))
        return 0;
    if (in_strings(arches, o->oci_arch)) return 0;
  }
  return 1;
}

static int op_of(const char *s, enum scmp_compare *op) {
  static const struct { const char *name; enum scmp_compare op; } ops[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},         {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},         {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},         {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (size_t i = 0; s && i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(ops[i].name, s) == 0) { *op = ops[i].op; return 0; }
  return -1;
}

enum { MAX_CMPS = 6 };

/* The entry's conditions into CMPS; *separate = an index repeats. */
static int conditions(json_object *e, struct scmp_arg_cmp *cmps, unsigned *n,
                      int *separate, char *why, size_t why_size) {
  json_object *args = array_of(e, "args");
  size_t na = args ? json_object_array_length(args) : 0;
  unsigned seen = 0;
  *n = 0;
  *separate = 0;
  if (na > MAX_CMPS) {
    snprintf(why, why_size, "entry with %zu conditions (at most %d)", na, MAX_CMPS);
    return -1;
  }
  for (size_t i = 0; i < na; i++) {
    json_object *a = json_object_array_get_idx(args, i);
    uint64_t index = 0, value = 0, two = 0;
    enum scmp_compare op;
    has_int(a, "index", &index);
    has_int(a, "value", &value);
    has_int(a, "valueTwo", &two);
    if (index > 5 || op_of(str_of(a, "op"), &op) != 0) {
      snprintf(why, why_size, "bad condition (index %llu, op %s)",
               (unsigned long long)index, str_of(a, "op") ? str_of(a, "op") : "?");
      return -1;
    }
    if (seen & (1u << index)) *separate = 1;
    seen |= 1u << index;
    cmps[(*n)++] = (struct scmp_arg_cmp){.arg = (unsigned)index, .op = op,
                                         .datum_a = value, .datum_b = two};
  }
  return 0;
}

static void note_failure(oci_report *rep, const char *name, int rc) {
  if (rep->failed++ == 0)
    snprintf(rep->first_error, sizeof rep->first_error, "%s: %s", name, strerror(-rc));
}

static int add_rules(scmp_filter_ctx ctx, json_object *e, uint32_t act,
                     const csv_table *csv, oci_report *rep,
                     char *why, size_t why_size) {
  struct scmp_arg_cmp cmps[MAX_CMPS];
  unsigned n;
  int separate;
  if (conditions(e, cmps, &n, &separate, why, why_size) != 0) return -1;
  json_object *names = array_of(e, "names");
  size_t nn = names ? json_object_array_length(names) : 0;
  const char *single = str_of(e, "name");
  for (size_t i = 0; i < nn + (single != NULL); i++) {
    const char *name = i < nn ? json_object_get_string(json_object_array_get_idx(names, i))
                              : single;
    if (!name) continue;
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
      long by_csv = csv ? csv_lookup(csv, name) : -1;
      if (by_csv < 0) {
        size_t l = strlen(rep->unknown_names);
        snprintf(rep->unknown_names + l, sizeof rep->unknown_names - l, "%s%s",
                 rep->unknown++ ? ", " : "", name);
        continue;
      }
      nr = (int)by_csv;
      rep->by_number++;
    } else if (nr < 0) {
      rep->not_on_arch++; /* a pseudo-number: libseccomp skips it on x86_64 */
    }
    if (separate) {
      for (unsigned c = 0; c < n; c++) {
        int rc = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[c]);
        if (rc < 0) note_failure(rep, name, rc); else rep->rules++;
      }
    } else {
      int rc = seccomp_rule_add_array(ctx, act, nr, n, cmps);
      if (rc < 0) note_failure(rep, name, rc); else rep->rules++;
    }
  }
  return 0;
}

static int export_mem(scmp_filter_ctx ctx, int memfd, struct sock_filter **prog,
                      size_t *len, char *why, size_t why_size) {
  struct stat st;
  int rc;
  if (ftruncate(memfd, 0) != 0 || lseek(memfd, 0, SEEK_SET) != 0) goto sys;
  if ((rc = seccomp_export_bpf(ctx, memfd)) < 0) {
    snprintf(why, why_size, "seccomp_export_bpf: %s", strerror(-rc));
    return -1;
  }
  if (fstat(memfd, &st) != 0) goto sys;
  if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0) {
    snprintf(why, why_size, "seccomp_export_bpf wrote %lld bytes", (long long)st.st_size);
    return -1;
  }
  *len = (size_t)st.st_size / sizeof(struct sock_filter);
  if (!(*prog = malloc((size_t)st.st_size))) goto sys;
  if (pread(memfd, *prog, (size_t)st.st_size, 0) != st.st_size) {
    free(*prog);
    *prog = NULL;
    goto sys;
  }
  return 0;
sys:
  snprintf(why, why_size, "memfd: %s", strerror(errno));
  return -1;
}

int oci_compile(json_object *profile, const oci_opts *o, const csv_table *csv,
                int memfd, struct sock_filter **prog, size_t *len,
                oci_report *rep, char *why, size_t why_size) {
  int ok, rc = -1;
  memset(rep, 0, sizeof *rep);
  *prog = NULL;
  *len = 0;
  /* runc: EPERM when no errno is given */
  uint32_t def = action_of(str_of(profile, "defaultAction"), profile,
                           "defaultErrnoRet", 1, &ok);
  if (!ok) {
    snprintf(why, why_size, "unknown defaultAction");
    return -1;
  }
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) {
    snprintf(why, why_size, "seccomp_init failed");
    return -1;
  }
  /* Another arch than the host's: it replaces the native one (libseccomp
   * still reads syscall numbers as the host's and translates them by
   * name into each arch of the filter). */
  if (o->native_arch) {
    uint32_t token = seccomp_arch_resolve_name(o->native_arch);
    int arc = token ? seccomp_arch_add(ctx, token) : -EINVAL;
    if (arc == 0 && token != seccomp_arch_native())
      arc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
    if (arc != 0 && arc != -EEXIST) {
      snprintf(why, why_size, "arch %s: %s", o->native_arch, strerror(-arc));
      goto out;
    }
  }
  /* runc adds the profile's sub-architectures to the native one. */
  for (size_t i = 0; o->sub_arches && o->sub_arches[i]; i++) {
    uint32_t token = seccomp_arch_resolve_name(o->sub_arches[i]);
    int arc = token ? seccomp_arch_add(ctx, token) : -EINVAL;
    if (arc != 0 && arc != -EEXIST) {
      snprintf(why, why_size, "seccomp_arch_add(%s): %s", o->sub_arches[i], strerror(-arc));
      goto out;
    }
  }
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
  if (o->opt_level != 1 &&
      seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)o->opt_level) != 0) {
    snprintf(why, why_size, "SCMP_FLTATR_CTL_OPTIMIZE=%d refused", o->opt_level);
    goto out;
  }
#else
  if (o->opt_level != 1) {
    snprintf(why, why_size, "this libseccomp has no SCMP_FLTATR_CTL_OPTIMIZE");
    goto out;
  }
#endif
  json_object *entries = array_of(profile, "syscalls");
  for (size_t i = 0, n = entries ? json_object_array_length(entries) : 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(entries, i);
    if (!entry_applies(e, o)) { rep->skipped_entries++; continue; }
    uint32_t act = action_of(str_of(e, "action"), e, "errnoRet", 1, &ok);
    if (!ok) {
      snprintf(why, why_size, "entry %zu: unknown action", i);
      goto out;
    }
    if (act == def) continue; /* runc drops rules equal to the default */
    if (add_rules(ctx, e, act, csv, rep, why, why_size) != 0) goto out;
  }
  rc = export_mem(ctx, memfd, prog, len, why, why_size);
out:
  seccomp_release(ctx);
  return rc;
}
