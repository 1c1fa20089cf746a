/* derive.c - rules a target gets from rules written for others: on a
 * 32-bit ABI, the twins of a syscall (setuid32 for setuid, mmap2 for
 * mmap, fcntl64, the *_time64 calls, ...), and the multiplexed forms
 * (socketcall(SYS_SOCKET, args), ipc(SEMOP, ...)).  Without them a policy
 * written with x86_64's names (KILL { setuid }, ERRNO { socket { ... } })
 * could be bypassed on i386 through the twin glibc really calls, or
 * through the multiplexer whose arguments are in memory, where no filter
 * can read them. */
#include "sema/derive.h"

#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "bpf/action.h"
#include "bpf/bpf.h"

/* ---- the facts --------------------------------------------------------- */

/* A syscall and its twin: the same operation with wider types, the one
 * 32-bit C libraries call (the *32 uid calls of arch/x86/entry/syscalls/
 * syscall_32.tbl, the *64 file calls, and the y2038 *_time64 calls of
 * include/uapi/asm-generic/unistd.h 403-423). */
static const char *const twins[][2] = {
    {"setuid", "setuid32"},       {"setgid", "setgid32"},
    {"setreuid", "setreuid32"},   {"setregid", "setregid32"},
    {"setresuid", "setresuid32"}, {"setresgid", "setresgid32"},
    {"setfsuid", "setfsuid32"},   {"setfsgid", "setfsgid32"},
    {"getuid", "getuid32"},       {"getgid", "getgid32"},
    {"geteuid", "geteuid32"},     {"getegid", "getegid32"},
    {"getresuid", "getresuid32"}, {"getresgid", "getresgid32"},
    {"getgroups", "getgroups32"}, {"setgroups", "setgroups32"},
    {"chown", "chown32"},         {"lchown", "lchown32"},
    {"fchown", "fchown32"},       {"fcntl", "fcntl64"},
    {"mmap", "mmap2"},            {"stat", "stat64"},
    {"lstat", "lstat64"},         {"fstat", "fstat64"},
    {"newfstatat", "fstatat64"},  {"lseek", "_llseek"},
    {"sendfile", "sendfile64"},   {"truncate", "truncate64"},
    {"ftruncate", "ftruncate64"}, {"statfs", "statfs64"},
    {"fstatfs", "fstatfs64"},     {"fadvise64", "fadvise64_64"},
    {"select", "_newselect"},
    {"clock_gettime", "clock_gettime64"}, {"clock_settime", "clock_settime64"},
    {"clock_adjtime", "clock_adjtime64"}, {"clock_getres", "clock_getres_time64"},
    {"clock_nanosleep", "clock_nanosleep_time64"},
    {"timer_gettime", "timer_gettime64"}, {"timer_settime", "timer_settime64"},
    {"timerfd_gettime", "timerfd_gettime64"},
    {"timerfd_settime", "timerfd_settime64"},
    {"utimensat", "utimensat_time64"},   {"pselect6", "pselect6_time64"},
    {"ppoll", "ppoll_time64"},           {"io_pgetevents", "io_pgetevents_time64"},
    {"recvmmsg", "recvmmsg_time64"},     {"mq_timedsend", "mq_timedsend_time64"},
    {"mq_timedreceive", "mq_timedreceive_time64"},
    {"semtimedop", "semtimedop_time64"}, {"rt_sigtimedwait", "rt_sigtimedwait_time64"},
    {"futex", "futex_time64"},
    {"sched_rr_get_interval", "sched_rr_get_interval_time64"},
    /* The older calls that 32-bit ABIs keep beside the ones x86_64 and
     * aarch64 have (syscall_32.tbl, arch/arm/tools/syscall.tbl):
     * waitpid is wait4 without rusage, send and recv are sendto and
     * recvfrom without an address (net/socket.c), sigprocmask and
     * sigreturn the pre-rt signal calls, ugetrlimit the getrlimit glibc
     * calls, arm_fadvise64_64 and arm_sync_file_range (ppc:
     * sync_file_range2) the same calls with the arguments reordered. */
    {"wait4", "waitpid"},             {"sendto", "send"},
    {"recvfrom", "recv"},             {"rt_sigprocmask", "sigprocmask"},
    {"rt_sigreturn", "sigreturn"},    {"getrlimit", "ugetrlimit"},
    {"fadvise64", "arm_fadvise64_64"}, {"sync_file_range", "arm_sync_file_range"},
    {"sync_file_range", "sync_file_range2"},
};

/* A multiplexer's sub-calls: the call number and the syscall that does the
 * same directly.  socketcall: include/uapi/linux/net.h SYS_SOCKET..
 * SYS_SENDMMSG (net/socket.c; send and recv are sendto and recvfrom
 * without an address).  ipc: include/uapi/linux/ipc.h SEMOP..SHMCTL, the
 * low 16 bits of the call (ipc/syscall.c: the high ones are a version). */
typedef struct subcall {
  unsigned k;
  const char *name;
} subcall;
static const subcall socketcall_subs[] = {
    {1, "socket"},       {2, "bind"},        {3, "connect"},    {4, "listen"},
    {5, "accept"},       {6, "getsockname"}, {7, "getpeername"}, {8, "socketpair"},
    {9, "sendto"},       {10, "recvfrom"},   {11, "sendto"},    {12, "recvfrom"},
    {13, "shutdown"},    {14, "setsockopt"}, {15, "getsockopt"}, {16, "sendmsg"},
    {17, "recvmsg"},     {18, "accept4"},    {19, "recvmmsg"},  {20, "sendmmsg"},
};
static const subcall ipc_subs[] = {
    {1, "semop"},   {2, "semget"},  {3, "semctl"},  {4, "semtimedop"},
    {11, "msgsnd"}, {12, "msgrcv"}, {13, "msgget"}, {14, "msgctl"},
    {21, "shmat"},  {22, "shmdt"},  {23, "shmget"}, {24, "shmctl"},
};
static const struct {
  const char *name;
  const subcall *subs;
  size_t n;
  uint32_t mask; /* the bits of the first argument that select the call */
} multiplexers[] = {
    {"socketcall", socketcall_subs, sizeof socketcall_subs / sizeof socketcall_subs[0],
     0xffffffffu},
    {"ipc", ipc_subs, sizeof ipc_subs / sizeof ipc_subs[0], 0xffffu},
};

const char *sf_multiplexer_of(const sf_arch *arch, const char *name) {
  for (size_t m = 0; m < sizeof multiplexers / sizeof multiplexers[0]; m++) {
    const sf_syscall *mux = sf_syscall_by_name(arch, multiplexers[m].name);
    if (!mux || strcmp(mux->name, multiplexers[m].name) != 0) continue;
    for (size_t i = 0; i < multiplexers[m].n; i++)
      if (strcmp(multiplexers[m].subs[i].name, name) == 0) return multiplexers[m].name;
  }
  return NULL;
}

/* ---- outcomes ------------------------------------------------------------ */

/* The most restrictive action SYS's rules (and the default when they can
 * all fail) can give; *EXACT when that is the one action they give. */
static uint32_t worst_outcome(const sf_ruleset *rs, const sf_sysrules *sys, int *exact) {
  *exact = sys->n_rules == 1 && !sys->rules[0].cond;
  uint32_t worst = sys->rules[0].action;
  for (size_t i = 1; i < sys->n_rules; i++) worst = sf_action_stricter(worst, sys->rules[i].action);
  if (sys->rules[sys->n_rules - 1].cond) worst = sf_action_stricter(worst, rs->default_action);
  return worst;
}

/* NAME's syscall on ARCH when it is ARCH's own name, not one of Kafel's
 * kernel-internal aliases (x86_64 reads sendfile64 as its sendfile, umount
 * as umount2; i386 has syscalls of those names). */
static const sf_syscall *own_syscall(const sf_arch *arch, const char *name) {
  const sf_syscall *s = sf_syscall_by_name(arch, name);
  return s && strcmp(s->name, name) == 0 ? s : NULL;
}

static const sf_sysrules *rules_named(const sf_ruleset *rs, const char *name) {
  const sf_syscall *s = sf_syscall_by_name(rs->arch, name);
  if (!s) return NULL;
  for (size_t i = 0; i < rs->n_sys; i++)
    if (rs->sys[i].nr == s->nr) return &rs->sys[i];
  return NULL;
}

/* NAME's rules in RS, or (a syscall RS's ABI lacks, such as accept on
 * i386) in another target's: its outcome does not depend on the ABI. */
static const sf_sysrules *find_rules(const sf_ruleset *const *all, size_t n,
                                     const sf_ruleset *rs, const char *name,
                                     const sf_ruleset **from) {
  *from = rs;
  const sf_sysrules *s = rules_named(rs, name);
  for (size_t i = 0; !s && i < n; i++)
    if (all[i] != rs && (s = rules_named(all[i], name)) != NULL) *from = all[i];
  return s;
}

/* ---- building rules ------------------------------------------------------ */

static sf_val *new_val(sysfence_ctx *ctx, val_kind kind) {
  sf_val *v = sf_alloc(ctx, sizeof *v);
  if (v) v->kind = kind;
  return v;
}

/* "the first argument, masked with MASK, equals K". */
static const sf_cond *subcall_cond(sysfence_ctx *ctx, uint32_t mask, unsigned k) {
  sf_val *arg = new_val(ctx, VAL_ARG), *key = new_val(ctx, VAL_CONST);
  sf_cond *c = sf_alloc(ctx, sizeof *c);
  if (!arg || !key || !c) return NULL;
  arg->arg = 0;
  arg->bits = 32;
  key->k = k;
  c->kind = COND_CMP;
  c->op = CMP_EQ;
  c->lhs = arg;
  c->rhs = key;
  c->width = 32;
  if (mask != 0xffffffffu) {
    sf_val *m = new_val(ctx, VAL_CONST), *and = new_val(ctx, VAL_AND);
    if (!m || !and) return NULL;
    m->k = mask;
    and->lhs = arg;
    and->rhs = m;
    c->lhs = and;
  }
  return c;
}

/* A growable list of new sysrules entries and rules (in the arena). */
typedef struct added {
  sf_sysrules *sys;
  size_t n, cap;
} added;

static sf_sysrules *add_sys(sysfence_ctx *ctx, added *a) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 16;
    sf_sysrules *v = sf_alloc(ctx, cap * sizeof *v);
    if (!v) return NULL;
    if (a->n) memcpy(v, a->sys, a->n * sizeof *v);
    a->sys = v;
    a->cap = cap;
  }
  return &a->sys[a->n++];
}

/* ---- multiplexers -------------------------------------------------------- */

/* The rule for sub-call SUB of multiplexer M: the outcome of the rules
 * for the direct syscall, the most restrictive one (with a warning) when
 * they look at arguments the multiplexed form hides.  0 if the policy has
 * no rules for it, 1 with *OUT, -1 out of memory. */
static int subcall_rule(sysfence_ctx *ctx, const sf_ruleset *const *all, size_t n,
                        const sf_ruleset *rs, size_t m, const subcall *sub,
                        sf_rule *out) {
  const sf_ruleset *from;
  const sf_sysrules *s = find_rules(all, n, rs, sub->name, &from);
  if (!s) return 0;
  int exact;
  uint32_t action = worst_outcome(from, s, &exact);
  const sf_cond *c = subcall_cond(ctx, multiplexers[m].mask, sub->k);
  if (!c) return -1;
  *out = (sf_rule){c, action, s->rules[0].loc};
  if (!exact) {
    char act[32];
    sf_warning(ctx, s->rules[0].loc,
               "on %s, %s can also be made as %s(%u, ...), whose arguments are in "
               "memory where a filter cannot read them: that form gets %s, the "
               "most restrictive outcome of the rules for %s",
               rs->arch->name, sub->name, multiplexers[m].name, sub->k,
               sf_action_str(action, act, sizeof act), sub->name);
  }
  return 1;
}

/* Multiplexer M's derived rules, before its own (those decide the calls
 * the policy has no direct rules for).  0, or -1 out of memory. */
static int derive_multiplexer(sysfence_ctx *ctx, const sf_ruleset *const *all, size_t n,
                              sf_ruleset *rs, size_t m, added *out) {
  const sf_syscall *mx = sf_syscall_by_name(rs->arch, multiplexers[m].name);
  if (!mx) return 0;
  sf_sysrules *own = (sf_sysrules *)rules_named(rs, multiplexers[m].name);
  size_t cap = multiplexers[m].n + (own ? own->n_rules : 0);
  sf_rule *rules = sf_alloc(ctx, cap * sizeof *rules);
  if (!rules) return -1;
  size_t k = 0;
  for (size_t i = 0; i < multiplexers[m].n; i++) {
    int rc = subcall_rule(ctx, all, n, rs, m, &multiplexers[m].subs[i], &rules[k]);
    if (rc < 0) return -1;
    k += (size_t)rc;
  }
  if (k == 0) return 0;
  if (own) {
    memcpy(rules + k, own->rules, own->n_rules * sizeof *rules);
    own->rules = rules;
    own->n_rules += k;
    return 0;
  }
  sf_sysrules *s = add_sys(ctx, out);
  if (!s) return -1;
  *s = (sf_sysrules){mx->nr, mx->name, rules, k};
  return 0;
}

/* ---- twins --------------------------------------------------------------- */

/* V with FROM's arguments replaced by TO's of the same name and TO's
 * width; NULL if an argument has no namesake (or out of memory). */
static const sf_val *remap_val(sysfence_ctx *ctx, const sf_val *v, const sf_syscall *from,
                               const sf_syscall *to) {
  if (v->kind == VAL_CONST) return v;
  sf_val *w = new_val(ctx, v->kind);
  if (!w) return NULL;
  if (v->kind == VAL_ARG) {
    const char *name = v->arg < from->nargs ? from->args[v->arg].name : NULL;
    for (int j = 0; name && j < to->nargs; j++)
      if (strcmp(to->args[j].name, name) == 0) {
        w->arg = j;
        w->bits = to->args[j].bits;
        return w;
      }
    return NULL;
  }
  w->lhs = (sf_val *)remap_val(ctx, v->lhs, from, to);
  w->rhs = (sf_val *)remap_val(ctx, v->rhs, from, to);
  return w->lhs && w->rhs ? w : NULL;
}

static const sf_cond *remap_cond(sysfence_ctx *ctx, const sf_cond *c,
                                 const sf_syscall *from, const sf_syscall *to) {
  if (!c) return NULL;
  sf_cond *d = sf_alloc(ctx, sizeof *d);
  if (!d) return NULL;
  *d = *c;
  if (c->kind == COND_CMP) {
    d->lhs = (sf_val *)remap_val(ctx, c->lhs, from, to);
    d->rhs = (sf_val *)remap_val(ctx, c->rhs, from, to);
    if (!d->lhs || !d->rhs) return NULL;
    /* The width rule of resolve_cmp, on the twin's argument widths. */
    d->width = sf_val_max(d->lhs) <= 0xffffffffu && sf_val_max(d->rhs) <= 0xffffffffu ? 32 : 64;
  } else if (c->kind != COND_TRUE && c->kind != COND_FALSE) {
    d->a = (sf_cond *)remap_cond(ctx, c->a, from, to);
    d->b = c->b ? (sf_cond *)remap_cond(ctx, c->b, from, to) : NULL;
    if (!d->a || (c->b && !d->b)) return NULL;
  }
  return d;
}

/* The twin TO gets the rules S (of FROM_RS, for the syscall FROM) with
 * the arguments renamed; where an argument has no namesake, the most
 * restrictive outcome of the rules, with a warning.  NULL on no memory. */
static sf_rule *twin_rules(sysfence_ctx *ctx, const sf_ruleset *from_rs,
                           const sf_sysrules *s, const sf_syscall *from,
                           const sf_syscall *to, size_t *n) {
  sf_rule *rules = sf_alloc(ctx, s->n_rules * sizeof *rules);
  if (!rules) return NULL;
  *n = s->n_rules;
  for (size_t i = 0; i < s->n_rules; i++) {
    rules[i] = s->rules[i];
    if (!s->rules[i].cond) continue;
    rules[i].cond = remap_cond(ctx, s->rules[i].cond, from, to);
    if (rules[i].cond) continue;
    if (ctx->out_of_memory) return NULL;
    int exact;
    char act[32];
    rules[0] = (sf_rule){NULL, worst_outcome(from_rs, s, &exact), s->rules[0].loc};
    *n = 1;
    sf_warning(ctx, s->rules[0].loc,
               "%s is %s's twin (the call 32-bit C libraries make), but the rules "
               "look at arguments it does not have: %s gets %s, the most "
               "restrictive outcome of the rules for %s", to->name, from->name,
               to->name, sf_action_str(rules[0].action, act, sizeof act), from->name);
    break;
  }
  return rules;
}

/* Twin T[1] of T[0] on RS's ABI, when the native ABI lacks it (on x86_64
 * there is no setuid32: a rule on setuid means both on i386) and the
 * policy has no rules of its own for it.  The native ABI lacks x86_64's
 * sendfile64 even though Kafel's alias reads that name as sendfile.  0,
 * or -1 out of memory. */
static int derive_twin(sysfence_ctx *ctx, const sf_ruleset *native, sf_ruleset *rs,
                       const char *const t[2], added *out) {
  const sf_syscall *to = own_syscall(rs->arch, t[1]);
  if (!to || own_syscall(native->arch, t[1]) || rules_named(rs, t[1])) return 0;
  const sf_ruleset *from_rs = native;
  const sf_sysrules *s = rules_named(native, t[0]);
  if (!s) {
    from_rs = rs;
    s = rules_named(rs, t[0]);
  }
  if (!s) return 0;
  const sf_syscall *from = sf_syscall_by_name(from_rs->arch, t[0]);
  size_t n;
  sf_rule *rules = twin_rules(ctx, from_rs, s, from, to, &n);
  sf_sysrules *e = rules ? add_sys(ctx, out) : NULL;
  if (!e) return -1;
  *e = (sf_sysrules){to->nr, to->name, rules, n};
  return 0;
}

/* ---- Kafel's aliases ------------------------------------------------------ */

/* The rules S of RS's syscall K, when the native ABI reads the name K
 * through one of Kafel's aliases as its syscall N (x86_64: sendfile64 is
 * sendfile, umount is umount2) and RS's ABI has both K and N (i386): the
 * policy's rule meant N as well, so RS's N gets S's rules (the arguments
 * renamed as for a twin) unless the policy has rules of its own for N.
 * Else KILL { umount } for x86_64,i386 would miss i386's umount2, and
 * KILL { sendfile64 } i386's sendfile.  0, or -1 out of memory. */
static int derive_alias(sysfence_ctx *ctx, const sf_ruleset *native, sf_ruleset *rs,
                        const sf_sysrules *s, added *out) {
  const sf_syscall *meant = s->name ? sf_syscall_by_name(native->arch, s->name) : NULL;
  if (!meant || strcmp(meant->name, s->name) == 0) return 0; /* the same name */
  const sf_syscall *to = own_syscall(rs->arch, meant->name);
  const sf_syscall *from = own_syscall(rs->arch, s->name);
  if (!to || !from || from->nr != s->nr || rules_named(rs, meant->name)) return 0;
  size_t n;
  sf_rule *rules = twin_rules(ctx, rs, s, from, to, &n);
  sf_sysrules *e = rules ? add_sys(ctx, out) : NULL;
  if (!e) return -1;
  *e = (sf_sysrules){to->nr, to->name, rules, n};
  return 0;
}

/* ---- putting them in ----------------------------------------------------- */

static int by_nr(const void *a, const void *b) {
  uint32_t x = ((const sf_sysrules *)a)->nr, y = ((const sf_sysrules *)b)->nr;
  return x < y ? -1 : x > y;
}

int sf_derive(sysfence_ctx *ctx, const sf_ruleset *const *all, size_t n, size_t which) {
  sf_ruleset *rs = (sf_ruleset *)all[which];
  added more = {0};
  for (size_t m = 0; m < sizeof multiplexers / sizeof multiplexers[0]; m++)
    if (derive_multiplexer(ctx, all, n, rs, m, &more) != 0) return -1;
  for (size_t t = 0; which > 0 && t < sizeof twins / sizeof twins[0]; t++)
    if (derive_twin(ctx, all[0], rs, twins[t], &more) != 0) return -1;
  for (size_t i = 0; which > 0 && i < rs->n_sys; i++)
    if (derive_alias(ctx, all[0], rs, &rs->sys[i], &more) != 0) return -1;
  if (more.n == 0) return 0;
  sf_sysrules *sys = sf_alloc(ctx, (rs->n_sys + more.n) * sizeof *sys);
  if (!sys) return -1;
  if (rs->n_sys) memcpy(sys, rs->sys, rs->n_sys * sizeof *sys);
  memcpy(sys + rs->n_sys, more.sys, more.n * sizeof *sys);
  rs->sys = sys;
  rs->n_sys += more.n;
  qsort(rs->sys, rs->n_sys, sizeof *rs->sys, by_nr);
  return 0;
}
