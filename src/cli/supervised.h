/* supervised.h - filters for a supervisor (src/launch/supervise.h): a
 * policy's rule sets with their actions rewritten for a mode and the
 * set-up rules in front, compiled by the code generator and validated
 * like any filter; and the reports of 'sysfence run --audit/--report'. */
#ifndef SF_SUPERVISED_H
#define SF_SUPERVISED_H

#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>

#include "launch/supervise.h"
#include "sema/ruleset.h"

typedef enum {
  SF_MODE_TRACE,  /* every call is notified */
  SF_MODE_AUDIT,  /* every call not let through (ALLOW, LOG) is notified */
  SF_MODE_REPORT, /* ERRNO, KILL_* and USER_NOTIF are notified; TRAP,
                     TRACE, LOG, ALLOW stay in the kernel */
  SF_MODE_NOTIFY  /* the policy as it is (its USER_NOTIF rules notify) */
} sf_mode;

/* The action the supervised filter takes where the policy says ACTION. */
uint32_t sf_mode_action(sf_mode mode, uint32_t action);

/* Does a rule set of RS[0..N) have a USER_NOTIF action (a rule, the
 * default, the bad-arch or unknown action)? */
int sf_rulesets_notify(const sf_ruleset *const *rs, size_t n);

/* The filter of RS[0..N) (rs[0] the host's) for MODE, with the set-up rules
 * for SETUP_FD: compiled, validated, PROG->filter malloc()ed.  0, or -1
 * with a diagnostic in CTX. */
int sf_supervised_filter(struct sysfence_ctx *ctx, const sf_ruleset *const *rs,
                         size_t n, sf_mode mode, int setup_fd,
                         struct sock_fprog *prog);

/* SV prepared and forked: its child's filter (sf_supervised_filter for
 * SV's set-up socket), then the supervisor started (sf_supervise_start):
 * its result.  On an error the diagnostics go to stderr, SV is abandoned:
 * SF_EXIT_LOADER. */
int sf_supervised_start(struct sysfence_ctx *ctx, const sf_ruleset *const *rs,
                        size_t n, sf_mode mode, sf_supervisor *sv);

/* Reads the caller's string at ADDR into BUF: 0, or -1. */
typedef struct sf_string_reader {
  int (*read)(void *user, uint64_t addr, char *buf, size_t size);
  void *user;
} sf_string_reader;

/* CALL as "socket(AF_INET, SOCK_STREAM, 0)", "openat(AT_FDCWD, "/etc",
 * 0, 0)": the syscall's name in ARCH (or "syscall_N") and its arguments
 * (as many as it takes); a file name is read with RD (may be NULL) and
 * quoted. */
void sf_format_call(const sf_arch *arch, uint32_t nr, const uint64_t args[6],
                    const sf_string_reader *rd, char *buf, size_t size);

/* ---- the reports of run --audit / --report / a USER_NOTIF policy ---- */

typedef struct sf_reporter sf_reporter;
/* A reporter for the original rule sets RS[0..N) (kept, not copied), in
 * MODE, writing to OUT (stderr or the --audit-log).  NULL: no memory. */
sf_reporter *sf_reporter_new(const sf_ruleset *const *rs, size_t n, sf_mode mode,
                             FILE *out);
/* The supervisor's callback (USER = the reporter). */
void sf_reporter_on_call(void *user, const sf_supervisor *sv,
                         const struct seccomp_notif *n, sf_answer *a);
/* The summary table; then frees R.  Write errors cost the report only: a
 * note on stderr says so. */
void sf_reporter_finish(sf_reporter *r);

#endif
