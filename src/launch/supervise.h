/* supervise.h - running a command under a filter whose SECCOMP_RET_USER_NOTIF
 * calls come to this process: the listener (SECCOMP_FILTER_FLAG_NEW_LISTENER)
 * is created in the child just before it execs the command and handed to the
 * parent over a socketpair (SCM_RIGHTS); the parent receives each
 * notification, asks a callback what to do and answers.  For 'sysfence
 * trace' and 'sysfence run --audit/--report'.
 *
 * The set-up call: between installing the filter and exec'ing, the child
 * makes one call the filter must let through without a notification (there
 * is no supervisor yet to answer it): sendmsg(SETUP_FD, ..., SF_SETUP_FLAGS).
 * A filter for supervision therefore starts sendmsg's rules with
 * "ALLOW if fd == setup_fd && flags == SF_SETUP_FLAGS" (and exit_group's
 * with "ALLOW if status == SF_SETUP_FAILED", the child's way out when the
 * hand-over fails).  The execve that starts the command is notified like
 * any other call. */
#ifndef SF_SUPERVISE_H
#define SF_SUPERVISE_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* MSG_NOSIGNAL | MSG_DONTWAIT | MSG_EOR (<sys/socket.h>): flags no program
 * passes together to sendmsg on a socketpair in practice. */
#define SF_SETUP_FLAGS 0x40c0u
/* exit_group's status when the hand-over fails: exit status 125 (the low
 * byte), a value no program passes by chance. */
#define SF_SETUP_FAILED 0x5f7du

typedef enum {
  SF_ANSWER_CONTINUE, /* SECCOMP_USER_NOTIF_FLAG_CONTINUE: the call runs */
  SF_ANSWER_ERRNO,    /* the call fails with ERR without running */
  SF_ANSWER_VALUE,    /* the call returns VAL without running */
  SF_ANSWER_KILL      /* the caller's process is killed (SIGKILL) */
} sf_answer_kind;

typedef struct sf_answer {
  sf_answer_kind kind;
  int err;
  int64_t val;
} sf_answer;

struct sf_supervisor;
/* Called for each notification N (its id still valid when called); fills
 * A (CONTINUE when left alone). */
typedef void (*sf_notify_fn)(void *user, const struct sf_supervisor *sv,
                             const struct seccomp_notif *n, sf_answer *a);

typedef struct sf_supervisor {
  const char *progname;     /* for messages */
  int setup_fd;             /* the child's end of the socketpair (-1 in
                               the parent once forked) */
  int setup_nr;             /* its number: what the set-up rule names */
  int parent_fd;            /* the parent's end */
  int listener;             /* in the parent, once received */
  pid_t child;              /* 0 before the fork */
  unsigned flags;           /* SYSFENCE_APPLY_* for the child */
  const char *path;         /* what the child execs */
  char *const *argv;
  sf_notify_fn on_call;
  void *user;
  int killed_command;       /* the command was killed for a KILL answer */
  struct seccomp_notif *req;       /* buffers of the kernel's sizes */
  struct seccomp_notif_resp *resp;
  size_t req_size, resp_size;
  unsigned long notifications;     /* how many were answered */
} sf_supervisor;

/* Step 1, before the filter is compiled: the socketpair (sv->setup_nr is
 * known from here on).  -1 on success, else a message and SF_EXIT_LOADER. */
int sf_supervise_prepare(sf_supervisor *sv, const char *progname);

/* Step 2: fork.  The child waits for its filter (sent by step 3: the
 * filter may depend on the child's pid, SYSFENCE_PID).  -1 with sv->child
 * set, else a message and SF_EXIT_LOADER. */
int sf_supervise_fork(sf_supervisor *sv, unsigned flags, const char *path,
                      char *const argv[]);

/* Step 3: send PROG to the child, which checks it (sf_bpf_validate),
 * installs it with a new listener (FLAGS: SYSFENCE_APPLY_LOG /
 * _SPEC_ALLOW; TSYNC does not apply to the single-threaded child), hands
 * the listener over and execs PATH with ARGV (sf_launch_exec); receive the
 * listener.  -1 on success, else an exit status (the child's, when it
 * failed before the hand-over).  sf_supervise_abandon instead makes the
 * child exit (status 125) without running anything. */
int sf_supervise_start(sf_supervisor *sv, const struct sock_fprog *prog);

/* Step 4: answer notifications until the command and every process left
 * behind by it (this process is their subreaper) are gone.  Returns the
 * command's exit status: its own, or 128 + the signal that killed it
 * (128 + SIGSYS when killed for a KILL answer, as the kernel's kill gives).
 * Frees what sf_supervise_prepare/start allocated. */
int sf_supervise_run(sf_supervisor *sv);

/* Release everything without running (after a failed step); a forked
 * child exits and is reaped. */
void sf_supervise_abandon(sf_supervisor *sv);

/* Read LEN bytes at ADDR of the caller of N into BUF, only while N is
 * still valid (checked before and after: the pid may have been reused).
 * Returns the bytes read (maybe fewer), or -1. */
ssize_t sf_supervise_read(const sf_supervisor *sv, const struct seccomp_notif *n,
                          uint64_t addr, void *buf, size_t len);
/* The NUL-terminated string at ADDR (at most SIZE - 1 bytes) into BUF;
 * 0, or -1 (BUF is then ""). */
int sf_supervise_read_string(const sf_supervisor *sv, const struct seccomp_notif *n,
                             uint64_t addr, char *buf, size_t size);
/* Is N still pending (SECCOMP_IOCTL_NOTIF_ID_VALID)? */
int sf_supervise_valid(const sf_supervisor *sv, const struct seccomp_notif *n);

#endif
