/* tracepolicy.c - 'sysfence trace': recording the notified calls and
 * writing the policy that allows them (see tracepolicy.h). */
#include "cli/tracepolicy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/grow.h"
#include "oracle/eval.h"
#include "sysfence.h"

enum {
  MAX_VALUES = 8,  /* more distinct values than this: no condition */
  MAX_PROGS = 4,   /* programs named in a comment ("and N more") */
  MAX_SETS = 2,    /* arguments recorded per syscall */
  NAME_LEN = 32,
  PID_CACHE = 64
};

/* The arguments whose values form a small set a policy can check (by the
 * kernel's argument names, as the syscall tables give them). */
static const struct {
  const char *sys, *args[MAX_SETS];
} checked_args[] = {
    {"socket", {"domain", "type"}}, {"socketpair", {"domain", "type"}},
    {"ioctl", {"cmd", NULL}},       {"fcntl", {"cmd", NULL}},
    {"fcntl64", {"cmd", NULL}},     {"prctl", {"option", NULL}},
    {"clone", {"clone_flags", NULL}}, {"mmap", {"prot", NULL}},
    {"mmap2", {"prot", NULL}},      {"mprotect", {"prot", NULL}},
    {"pkey_mprotect", {"prot", NULL}}, {"personality", {"personality", NULL}},
};

typedef struct value_set {
  const char *arg; /* the argument's name; NULL: unused */
  int index, bits;
  int n, overflow;
  uint64_t v[MAX_VALUES];
} value_set;

typedef struct trace_entry {
  const sf_arch *arch;
  uint32_t nr;
  const char *name; /* NULL: a number without a name */
  unsigned long count;
  char progs[MAX_PROGS][NAME_LEN];
  int n_progs, more_progs;
  value_set sets[MAX_SETS];
} trace_entry;

typedef struct pid_name {
  pid_t pid;
  char name[NAME_LEN];
} pid_name;

struct sf_trace {
  const sf_ruleset *const *rs;
  size_t n_rs;
  trace_entry *e;
  size_t n, cap;
  unsigned long total, foreign, lost;
  uint32_t foreign_arch;
  pid_name cache[PID_CACHE];
  size_t next_slot;
};

sf_trace *sf_trace_new(const sf_ruleset *const *rs, size_t n) {
  sf_trace *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->rs = rs;
  t->n_rs = n;
  return t;
}

void sf_trace_free(sf_trace *t) {
  if (!t) return;
  free(t->e);
  free(t);
}

/* ---- recording ------------------------------------------------------------ */

/* The program of task PID: the last part of /proc/PID/exe, cached until
 * the task calls execve.  (A pid reused after a wrap of the pid space
 * would keep its old name in the comments: they are comments.) */
static const char *program_of(sf_trace *t, const sf_supervisor *sv,
                              const struct seccomp_notif *n) {
  for (size_t i = 0; i < PID_CACHE; i++)
    if (t->cache[i].pid == (pid_t)n->pid && t->cache[i].name[0]) return t->cache[i].name;
  char path[64], exe[4096];
  snprintf(path, sizeof path, "/proc/%u/exe", (unsigned)n->pid);
  ssize_t len = readlink(path, exe, sizeof exe - 1);
  /* Checked after the look-up: the pid may have been reused meanwhile. */
  if (len <= 0 || !sf_supervise_valid(sv, n)) return "?";
  exe[len] = '\0';
  const char *base = strrchr(exe, '/');
  pid_name *slot = &t->cache[t->next_slot++ % PID_CACHE];
  slot->pid = (pid_t)n->pid;
  const char *name = base ? base + 1 : exe;
  size_t len_name = strnlen(name, NAME_LEN - 1);
  memcpy(slot->name, name, len_name); /* cut to NAME_LEN - 1 */
  slot->name[len_name] = '\0';
  return slot->name;
}

static void forget_pid(sf_trace *t, pid_t pid) {
  for (size_t i = 0; i < PID_CACHE; i++)
    if (t->cache[i].pid == pid) t->cache[i].name[0] = '\0';
}

static void init_sets(trace_entry *e) {
  const sf_syscall *s = e->name ? sf_syscall_by_nr(e->arch, e->nr) : NULL;
  for (size_t i = 0; s && i < sizeof checked_args / sizeof checked_args[0]; i++) {
    if (strcmp(checked_args[i].sys, s->name) != 0) continue;
    for (int k = 0; k < MAX_SETS && checked_args[i].args[k]; k++)
      for (int a = 0; a < s->nargs; a++)
        if (strcmp(s->args[a].name, checked_args[i].args[k]) == 0)
          e->sets[k] = (value_set){.arg = s->args[a].name, .index = a,
                                   .bits = s->args[a].bits ? s->args[a].bits : 64};
  }
}

static trace_entry *entry_for(sf_trace *t, const sf_arch *arch, uint32_t nr) {
  for (size_t i = 0; i < t->n; i++)
    if (t->e[i].arch == arch && t->e[i].nr == nr) return &t->e[i];
  trace_entry *grown = sf_grow(t->e, &t->cap, t->n, sizeof *t->e, 64);
  if (!grown) return NULL;
  t->e = grown;
  trace_entry *e = &t->e[t->n++];
  memset(e, 0, sizeof *e);
  e->arch = arch;
  e->nr = nr;
  const sf_syscall *s = sf_syscall_by_nr(arch, nr);
  e->name = s ? s->name : NULL;
  init_sets(e);
  return e;
}

static void add_value(value_set *s, uint64_t v) {
  if (!s->arg || s->overflow) return;
  if (s->bits < 64) v &= (UINT64_C(1) << s->bits) - 1;
  for (int i = 0; i < s->n; i++)
    if (s->v[i] == v) return;
  if (s->n == MAX_VALUES) s->overflow = 1;
  else s->v[s->n++] = v;
}

static void add_program(trace_entry *e, const char *prog) {
  for (int i = 0; i < e->n_progs; i++)
    if (strcmp(e->progs[i], prog) == 0) return;
  if (e->n_progs == MAX_PROGS) e->more_progs = 1;
  else snprintf(e->progs[e->n_progs++], NAME_LEN, "%s", prog);
}

void sf_trace_on_call(void *user, const sf_supervisor *sv,
                      const struct seccomp_notif *n, sf_answer *a) {
  sf_trace *t = user;
  a->kind = SF_ANSWER_CONTINUE;
  sf_query q = {.nr = (uint32_t)n->data.nr, .arch = n->data.arch};
  const sf_ruleset *target = sf_targets_pick(t->rs, t->n_rs, &q);
  t->total++;
  if (!target) {
    /* An ABI that was not traced: let through, and say so at the end. */
    if (!t->foreign++) t->foreign_arch = n->data.arch;
    return;
  }
  trace_entry *e = entry_for(t, target->arch, q.nr);
  if (!e) {
    t->lost++;
    return;
  }
  e->count++;
  for (int k = 0; k < MAX_SETS; k++) add_value(&e->sets[k], n->data.args[e->sets[k].index]);
  int exec = e->name && (strcmp(e->name, "execve") == 0 || strcmp(e->name, "execveat") == 0);
  if (!exec) {
    add_program(e, program_of(t, sv, n));
    return;
  }
  /* For an exec, the program it starts (the file name's last part); from
   * the next call on, the task runs that program. */
  char file[4096];
  uint64_t addr = n->data.args[e->name[6] == 'a' ? 1 : 0];
  const char *base = "?";
  if (sf_supervise_read_string(sv, n, addr, file, sizeof file) == 0) {
    base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
  }
  add_program(e, base);
  forget_pid(t, (pid_t)n->pid);
}

/* ---- the policy ----------------------------------------------------------- */

/* The groups of the written policy, after policies/groups: the first whose
 * list has the name; the last one ("other") takes the rest. */
static const struct {
  const char *policy, *about, *names;
} groups[] = {
    {"program_start", "starting the program: exec, the loader's and the C library's set-up",
     " execve execveat arch_prctl set_tid_address set_robust_list rseq getrandom "
     "prlimit64 getrlimit ugetrlimit personality "},
    {"memory", "memory", " brk mmap mmap2 munmap mremap mprotect pkey_mprotect madvise "
     "mincore membarrier mlock munlock msync "},
    {"basic_io", "input and output on open descriptors",
     " read readv pread64 preadv preadv2 write writev pwrite64 pwritev pwritev2 lseek "
     "_llseek fsync fdatasync close close_range dup dup2 dup3 fcntl fcntl64 fstat fstat64 "
     "poll ppoll select _newselect pselect6 epoll_create epoll_create1 epoll_ctl "
     "epoll_wait epoll_pwait epoll_pwait2 ioctl pipe pipe2 sendfile sendfile64 splice "
     "eventfd eventfd2 "},
    {"files", "the file system",
     " open openat openat2 creat stat stat64 lstat lstat64 newfstatat fstatat64 statx "
     "statfs statfs64 fstatfs fstatfs64 access faccessat faccessat2 readlink readlinkat "
     "getdents getdents64 getcwd chdir fchdir mkdir mkdirat rmdir unlink unlinkat rename "
     "renameat renameat2 link linkat symlink symlinkat chmod fchmod fchmodat chown fchown "
     "lchown fchownat umask truncate ftruncate utimensat futimesat utime utimes "
     "getxattr lgetxattr fgetxattr listxattr flistxattr fadvise64 fallocate flock "},
    {"processes", "processes and threads",
     " clone clone3 fork vfork wait4 waitid exit exit_group futex get_robust_list "
     "sched_yield gettid tgkill tkill kill prctl setpgid setsid "},
    {"process_info", "questions about the process and the system",
     " getpid getppid getpgrp getpgid getsid getuid geteuid getgid getegid getresuid "
     "getresgid getgroups getuid32 geteuid32 getgid32 getegid32 uname sysinfo getrusage "
     "times getcpu sched_getaffinity sched_getparam sched_getscheduler getpriority "},
    {"signals", "signals",
     " rt_sigaction rt_sigprocmask rt_sigreturn sigreturn rt_sigpending rt_sigsuspend "
     "rt_sigtimedwait sigaltstack restart_syscall pause alarm "},
    {"time", "time", " clock_gettime clock_gettime64 clock_getres clock_nanosleep "
     "clock_nanosleep_time64 gettimeofday time nanosleep "},
    {"networking", "networking",
     " socket socketpair socketcall connect bind listen accept accept4 shutdown sendto "
     "sendmsg sendmmsg recvfrom recvmsg recvmmsg getsockname getpeername getsockopt "
     "setsockopt "},
    {"other", "everything else", NULL},
};
enum { N_GROUPS = sizeof groups / sizeof groups[0] };

static size_t group_of(const char *name) {
  if (!name) return N_GROUPS - 1;
  char key[NAME_LEN + 2];
  snprintf(key, sizeof key, " %s ", name);
  for (size_t g = 0; g + 1 < N_GROUPS; g++)
    if (strstr(groups[g].names, key)) return g;
  return N_GROUPS - 1;
}

/* One syscall as written: its entries in every target merged. */
typedef struct merged {
  const char *name;
  uint32_t nr;
  unsigned long count;
  value_set sets[MAX_SETS];
  char progs[MAX_PROGS][NAME_LEN];
  int n_progs, more_progs;
} merged;

static void merge_entry(merged *m, const trace_entry *e) {
  m->count += e->count;
  for (int i = 0; i < e->n_progs; i++) {
    int seen = 0;
    for (int j = 0; j < m->n_progs; j++) seen |= strcmp(m->progs[j], e->progs[i]) == 0;
    if (seen) continue;
    if (m->n_progs == MAX_PROGS) m->more_progs = 1;
    else snprintf(m->progs[m->n_progs++], NAME_LEN, "%s", e->progs[i]);
  }
  m->more_progs |= e->more_progs;
  for (int k = 0; k < MAX_SETS; k++) {
    value_set *s = &m->sets[k];
    const value_set *o = &e->sets[k];
    if (!s->arg || !o->arg || strcmp(s->arg, o->arg) != 0 || o->overflow) {
      s->overflow = 1; /* different arguments in two ABIs: no condition */
      continue;
    }
    for (int i = 0; i < o->n; i++) add_value(s, o->v[i]);
  }
}

static int by_name(const void *a, const void *b) {
  const merged *x = a, *y = b;
  if (!x->name || !y->name) return x->name ? -1 : y->name ? 1 : (x->nr > y->nr) - (x->nr < y->nr);
  return strcmp(x->name, y->name);
}

/* The recorded syscalls merged by name, sorted: malloc()ed, *N of them. */
static merged *merge_all(const sf_trace *t, size_t *n) {
  merged *m = calloc(t->n ? t->n : 1, sizeof *m);
  *n = 0;
  if (!m) return NULL;
  for (size_t i = 0; i < t->n; i++) {
    const trace_entry *e = &t->e[i];
    merged *into = NULL;
    for (size_t j = 0; j < *n && e->name; j++)
      if (m[j].name && strcmp(m[j].name, e->name) == 0) into = &m[j];
    if (!into) {
      into = &m[(*n)++];
      into->name = e->name;
      into->nr = e->nr;
      memcpy(into->sets, e->sets, sizeof into->sets);
      memcpy(into->progs, e->progs, sizeof into->progs);
      into->n_progs = e->n_progs;
      into->more_progs = e->more_progs;
      into->count = e->count;
      continue;
    }
    merge_entry(into, e);
  }
  qsort(m, *n, sizeof *m, by_name);
  return m;
}

static void write_values(FILE *out, const value_set *s) {
  fputc('(', out);
  for (int i = 0; i < s->n; i++)
    fprintf(out, "%s%s == 0x%" PRIx64, i ? " || " : "", s->arg, s->v[i]);
  fputc(')', out);
}

/* "read, // 12 calls: sh, ls" (LAST: no comma). */
static void write_syscall(FILE *out, const merged *m, int last) {
  int conds = 0;
  for (int k = 0; k < MAX_SETS; k++) conds += m->sets[k].arg && !m->sets[k].overflow;
  if (m->name) fprintf(out, "    %s", m->name);
  else fprintf(out, "    SYSCALL[%u]", (unsigned)m->nr);
  if (conds) {
    fputs(" { ", out);
    int w = 0;
    for (int k = 0; k < MAX_SETS; k++) {
      if (!m->sets[k].arg || m->sets[k].overflow) continue;
      if (w++) fputs(" && ", out);
      write_values(out, &m->sets[k]);
    }
    fputs(" }", out);
  }
  int exec = m->name && strncmp(m->name, "execve", 6) == 0;
  fprintf(out, "%s // %lu call%s%s:", last ? "" : ",", m->count, m->count == 1 ? "" : "s",
          exec ? ", starting" : "");
  for (int i = 0; i < m->n_progs; i++) fprintf(out, "%s %s", i ? "," : "", m->progs[i]);
  if (m->more_progs) fputs(" and more", out);
  for (int k = 0; k < MAX_SETS; k++)
    if (m->sets[k].arg && m->sets[k].overflow)
      fprintf(out, "; %s: too many values to check", m->sets[k].arg);
  fputc('\n', out);
}

static void write_header(const sf_trace *t, FILE *out, char *const *command,
                         const char *arches, size_t n) {
  fprintf(out, "// Written by 'sysfence trace' (sysfence %s) for %s, from what\n"
               "// this command did:\n//  ", sysfence_version(), arches);
  for (size_t i = 0; command[i]; i++) {
    /* a newline in an argument would end the comment */
    fputc(' ', out);
    for (const char *c = command[i]; *c; c++) fputc(*c == '\n' ? ' ' : *c, out);
  }
  fprintf(out, "\n// %lu calls of %zu syscalls.  Each rule says how often it was called and\n"
               "// by which programs.  Run it with:\n"
               "//   sysfence run THIS-FILE -- COMMAND...\n\n", t->total, n);
}

int sf_trace_write(const sf_trace *t, FILE *out, char *const *command,
                   const char *default_action, const char *arches) {
  size_t n;
  merged *m = merge_all(t, &n);
  if (!m) return -1;
  write_header(t, out, command, arches, n);
  int used[N_GROUPS] = {0};
  for (size_t i = 0; i < n; i++) used[group_of(m[i].name)]++;
  for (size_t g = 0; g < N_GROUPS; g++) {
    if (!used[g]) continue;
    fprintf(out, "// %s\nPOLICY %s {\n  ALLOW {\n", groups[g].about, groups[g].policy);
    int left = used[g];
    for (size_t i = 0; i < n; i++)
      if (group_of(m[i].name) == g) write_syscall(out, &m[i], --left == 0);
    fputs("  }\n}\n\n", out);
  }
  int left = 0;
  for (size_t g = 0; g < N_GROUPS; g++) left += used[g] != 0;
  for (size_t g = 0; g < N_GROUPS; g++)
    if (used[g]) fprintf(out, "USE %s%s\n", groups[g].policy, --left ? "," : "");
  fprintf(out, "\nDEFAULT %s\n", default_action);
  free(m);
  return ferror(out) ? -1 : 0;
}

void sf_trace_summary(const sf_trace *t, FILE *err) {
  fprintf(err, "sysfence: trace: %lu call%s of %zu syscall%s seen\n", t->total,
          t->total == 1 ? "" : "s", t->n, t->n == 1 ? "" : "s");
  if (t->lost)
    fprintf(err, "sysfence: trace: warning: %lu calls not recorded (out of memory)\n", t->lost);
  if (t->foreign)
    fprintf(err, "sysfence: trace: warning: %lu calls through an ABI that was not traced "
                 "(AUDIT_ARCH 0x%08x) were let through and are not in the policy; give "
                 "--arch with every ABI the program uses (e.g. x86_64,i386)\n",
            t->foreign, (unsigned)t->foreign_arch);
}
