/* tracepolicy.h - what 'sysfence trace' records of each notified call (the
 * syscall, how often, by which programs, the values of the arguments a
 * policy can check) and the policy it writes from that. */
#ifndef SF_TRACEPOLICY_H
#define SF_TRACEPOLICY_H

#include <stdio.h>

#include "launch/supervise.h"
#include "sema/ruleset.h"

typedef struct sf_trace sf_trace;

/* A recorder for the targets of the rule sets RS[0..N) (the trace filter's:
 * they tell which ABI a call is in).  NULL: no memory. */
sf_trace *sf_trace_new(const sf_ruleset *const *rs, size_t n);
/* The supervisor's callback (USER = the recorder): record, CONTINUE. */
void sf_trace_on_call(void *user, const sf_supervisor *sv,
                      const struct seccomp_notif *n, sf_answer *a);
/* The policy that allows what was recorded, with DEFAULT_ACTION (text as
 * the user wrote it), for the COMMAND (shown in the header) and the
 * targets ARCHES (a comma list).  0, or -1 on a write error. */
int sf_trace_write(const sf_trace *t, FILE *out, char *const *command,
                   const char *default_action, const char *arches);
/* One line on ERR: how many calls of how many syscalls; calls of an ABI
 * that was not traced (which --arch would add it). */
void sf_trace_summary(const sf_trace *t, FILE *err);
void sf_trace_free(sf_trace *t);

#endif
