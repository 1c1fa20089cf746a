/* report.c - what 'sysfence run --audit', '--report' and a policy's
 * USER_NOTIF rules tell the user: one line per syscall and deciding rule
 * (the first time), the answer the supervisor gives, and a summary table
 * at exit (see supervised.h).  The decision and its rule come from the
 * reference semantics (src/oracle) on the original policy: the filter only
 * said "ask the supervisor". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "bpf/action.h"
#include "bpf/bpf.h"
#include "cli/supervised.h"
#include "oracle/eval.h"

typedef struct report_entry {
  uint32_t arch, nr, action;
  const sf_rule *rule;           /* NULL: default or bad-arch action */
  unsigned long count;
  char name[40];                 /* the syscall's name */
  char where[200];               /* the deciding rule, as reported */
} report_entry;

struct sf_reporter {
  const sf_ruleset *const *rs;
  size_t n;
  sf_mode mode;
  FILE *out;
  report_entry *e;
  size_t n_e, cap;
  unsigned long total, lost; /* lost: calls not in the table (no memory) */
};

sf_reporter *sf_reporter_new(const sf_ruleset *const *rs, size_t n, sf_mode mode,
                             FILE *out) {
  sf_reporter *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->rs = rs;
  r->n = n;
  r->mode = mode;
  r->out = out;
  return r;
}

static const char *mode_word(sf_mode mode) {
  return mode == SF_MODE_AUDIT ? "audit" : mode == SF_MODE_REPORT ? "report" : "notify";
}

/* "policy.txt:12:5 (rule for socket)", "DEFAULT (no rule for socket)",
 * "bad architecture"; " on i386" when the target is not the first. */
static void describe_rule(const sf_reporter *r, const sf_ruleset *target,
                          const sf_rule *rule, const char *name, char *buf,
                          size_t size) {
  const char *on = target && target != r->rs[0] ? target->arch->name : NULL;
  char suffix[48] = "";
  if (on) snprintf(suffix, sizeof suffix, " on %s", on);
  if (!target)
    snprintf(buf, size, "bad architecture");
  else if (rule && rule->loc.src)
    snprintf(buf, size, "%s:%d:%d (rule for %s%s)", rule->loc.src->name,
             rule->loc.line, rule->loc.col, name, suffix);
  else if (rule)
    snprintf(buf, size, "(rule for %s%s)", name, suffix);
  else
    snprintf(buf, size, "DEFAULT (no rule for %s%s)", name, suffix);
}

static report_entry *find_entry(sf_reporter *r, uint32_t arch, uint32_t nr,
                                const sf_rule *rule, uint32_t action) {
  for (size_t i = 0; i < r->n_e; i++)
    if (r->e[i].arch == arch && r->e[i].nr == nr && r->e[i].rule == rule &&
        r->e[i].action == action)
      return &r->e[i];
  report_entry *grown = sf_grow(r->e, &r->cap, r->n_e, sizeof *r->e, 32);
  if (!grown) return NULL;
  r->e = grown;
  report_entry *e = &r->e[r->n_e++];
  *e = (report_entry){.arch = arch, .nr = nr, .rule = rule, .action = action};
  return e;
}

/* What the supervisor answers for ACTION in R's mode. */
static void answer_for(const sf_reporter *r, uint32_t action, sf_answer *a) {
  uint32_t kind = action & SF_RET_ACTION_FULL;
  a->kind = SF_ANSWER_CONTINUE;
  if (r->mode != SF_MODE_REPORT) return;
  if (kind == SF_RET_ERRNO) {
    /* ERRNO(0) returns 0 without running the call, as the kernel does. */
    int err = (int)(action & SF_RET_DATA);
    a->kind = err ? SF_ANSWER_ERRNO : SF_ANSWER_VALUE;
    a->err = err;
    a->val = 0;
  } else if (kind == SF_RET_KILL_PROCESS || kind == SF_RET_KILL_THREAD ||
             (kind != SF_RET_USER_NOTIF && kind != SF_RET_ALLOW && kind != SF_RET_LOG)) {
    a->kind = SF_ANSWER_KILL;
  }
}

/* The caller's string, read only while its notification is valid. */
typedef struct caller {
  const sf_supervisor *sv;
  const struct seccomp_notif *n;
} caller;

static int read_caller_string(void *user, uint64_t addr, char *buf, size_t size) {
  const caller *c = user;
  return sf_supervise_read_string(c->sv, c->n, addr, buf, size);
}

void sf_reporter_on_call(void *user, const sf_supervisor *sv,
                         const struct seccomp_notif *n, sf_answer *a) {
  sf_reporter *r = user;
  sf_query q = {.nr = (uint32_t)n->data.nr, .arch = n->data.arch};
  memcpy(q.args, n->data.args, sizeof q.args);
  const sf_rule *rule = NULL;
  uint32_t action = sf_targets_decide(r->rs, r->n, &q, &rule);
  const sf_ruleset *target = sf_targets_pick(r->rs, r->n, &q);
  answer_for(r, action, a);
  r->total++;
  report_entry *e = find_entry(r, q.arch, q.nr, rule, action);
  if (!e) {
    r->lost++;
    return;
  }
  if (e->count++) return;
  char call[1024], act[32];
  const sf_arch *arch = target ? target->arch : NULL;
  caller c = {sv, n};
  sf_string_reader rd = {read_caller_string, &c};
  sf_format_call(arch, q.nr, q.args, &rd, call, sizeof call);
  const sf_syscall *s = arch ? sf_syscall_by_nr(arch, q.nr) : NULL;
  if (s) snprintf(e->name, sizeof e->name, "%s", s->name);
  else snprintf(e->name, sizeof e->name, "syscall_%u", (unsigned)q.nr);
  describe_rule(r, target, rule, e->name, e->where, sizeof e->where);
  /* Errors cost the report only (sf_reporter_finish says so). */
  fprintf(r->out, "%s: %s -> %s: %s [pid %u]\n", mode_word(r->mode), call,
          sf_action_str(action, act, sizeof act), e->where, (unsigned)n->pid);
  fflush(r->out);
}

static int by_count(const void *a, const void *b) {
  const report_entry *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->name, y->name);
}

void sf_reporter_finish(sf_reporter *r) {
  if (!r) return;
  const char *what = r->mode == SF_MODE_AUDIT ? "the policy would refuse"
                     : r->mode == SF_MODE_REPORT ? "the policy refused (or notified)"
                                                 : "notified by the policy";
  if (r->total == 0) {
    fprintf(r->out, "sysfence: %s summary: no call %s\n", mode_word(r->mode), what);
  } else {
    fprintf(r->out, "sysfence: %s summary: %lu call%s %s (%zu kind%s)\n",
            mode_word(r->mode), r->total, r->total == 1 ? "" : "s", what, r->n_e,
            r->n_e == 1 ? "" : "s");
    qsort(r->e, r->n_e, sizeof *r->e, by_count);
    fprintf(r->out, "  %8s  %-20s %-16s %s\n", "count", "syscall", "action", "rule");
    for (size_t i = 0; i < r->n_e; i++) {
      char act[32];
      fprintf(r->out, "  %8lu  %-20s %-16s %s\n", r->e[i].count, r->e[i].name,
              sf_action_str(r->e[i].action, act, sizeof act), r->e[i].where);
    }
    if (r->lost)
      fprintf(r->out, "  (%lu more calls not in the table: out of memory)\n", r->lost);
  }
  if (fflush(r->out) != 0 || ferror(r->out))
    fprintf(stderr, "sysfence: note: the %s report is incomplete: %s\n",
            mode_word(r->mode), strerror(errno));
  free(r->e);
  free(r);
}
