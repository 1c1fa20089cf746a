/* supervise.c - a SECCOMP_RET_USER_NOTIF supervisor for 'sysfence trace' and
 * 'sysfence run --audit/--report' (see supervise.h).  Kernel facts from
 * include/uapi/linux/seccomp.h and kernel/seccomp.c. */
#include "launch/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/bpf.h"
#include "launch/launch.h"
#include "sysfence.h"

/* An fd at 3 or above, close-on-exec: with stdin, stdout or stderr closed
 * a new descriptor would otherwise take its number, and a message meant
 * for stderr would go into the socket (or the listener). */
static int high_fd(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

int sf_supervise_prepare(sf_supervisor *sv, const char *progname) {
  memset(sv, 0, sizeof *sv);
  sv->progname = progname;
  sv->listener = sv->setup_fd = sv->parent_fd = -1;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    fprintf(stderr, "%s: error: socketpair: %s\n", progname, strerror(errno));
    return SF_EXIT_LOADER;
  }
  sv->parent_fd = high_fd(fds[0]);
  sv->setup_fd = sv->setup_nr = high_fd(fds[1]);
  if (sv->parent_fd < 0 || sv->setup_fd < 0) {
    fprintf(stderr, "%s: error: socketpair: %s\n", progname, strerror(errno));
    sf_supervise_abandon(sv);
    return SF_EXIT_LOADER;
  }
  return -1;
}

void sf_supervise_abandon(sf_supervisor *sv) {
  if (sv->parent_fd >= 0) close(sv->parent_fd);
  if (sv->child > 0 && sv->listener < 0) {
    /* Forked, never started: the child reads end-of-file and exits. */
    int st;
    while (waitpid(sv->child, &st, 0) < 0 && errno == EINTR) {
    }
    sv->child = 0;
  }
  if (sv->setup_fd >= 0) close(sv->setup_fd);
  if (sv->listener >= 0) close(sv->listener);
  sv->parent_fd = sv->setup_fd = sv->listener = -1;
  free(sv->req);
  free(sv->resp);
  sv->req = NULL;
  sv->resp = NULL;
}

/* The one-byte message the listener crosses the set-up socket in, with
 * room for one descriptor (SCM_RIGHTS): both ends build it the same way.
 * MSG points into the struct, so it is set up in place. */
typedef struct {
  char byte;
  struct iovec iov;
  struct msghdr msg;
  union { /* last: clang counts CMSG_SPACE's size as variable */
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
} fd_message;

static void fd_message_init(fd_message *m, char byte) {
  memset(m, 0, sizeof *m);
  m->byte = byte;
  m->iov = (struct iovec){&m->byte, 1};
  m->msg = (struct msghdr){.msg_iov = &m->iov, .msg_iovlen = 1,
                           .msg_control = m->ctl.buf,
                           .msg_controllen = sizeof m->ctl.buf};
}

/* The child after install: pass LISTENER over the socket with the flags the
 * set-up rule lets through.  On failure no other call is possible (each
 * would wait for a supervisor that has no listener): the allowed exit. */
static void hand_over(int sock, int listener) {
  fd_message m;
  fd_message_init(&m, 'L');
  struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &listener, sizeof(int));
  if (sendmsg(sock, &m.msg, (int)SF_SETUP_FLAGS) != 1)
    syscall(SYS_exit_group, (long)SF_SETUP_FAILED);
}

static unsigned kernel_flags(unsigned flags) {
  unsigned k = SECCOMP_FILTER_FLAG_NEW_LISTENER;
  if (flags & SYSFENCE_APPLY_LOG) k |= SECCOMP_FILTER_FLAG_LOG;
  if (flags & SYSFENCE_APPLY_SPEC_ALLOW) k |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return k;
}

/* Read exactly LEN bytes from FD: 0, or -1 (end of file, error). */
static int read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The child's filter from the parent (a length, then the instructions),
 * or NULL: the parent gave up (it said why), or the filter is invalid. */
static struct sock_filter *receive_filter(const sf_supervisor *sv,
                                          unsigned short *len) {
  if (read_all(sv->setup_fd, len, sizeof *len) != 0) return NULL;
  struct sock_filter *f = malloc((size_t)*len * sizeof *f + 1);
  if (!f || read_all(sv->setup_fd, f, (size_t)*len * sizeof *f) != 0) {
    free(f);
    return NULL;
  }
  char why[256];
  if (sf_bpf_validate(f, *len, why, sizeof why) != 0) {
    fprintf(stderr, "%s: error: invalid filter: %s\n", sv->progname, why);
    free(f);
    return NULL;
  }
  return f;
}

/* The child: never returns. */
static _Noreturn void child_main(sf_supervisor *sv, pid_t parent) {
  close(sv->parent_fd);
  /* Without its supervisor the command's notified calls would fail with
   * ENOSYS (its exit too: glibc's _exit would spin): it dies with it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0L, 0L, 0L) != 0 || getppid() != parent)
    _exit(SF_EXIT_LOADER);
  struct sock_fprog prog;
  prog.filter = receive_filter(sv, &prog.len);
  if (!prog.filter) _exit(SF_EXIT_LOADER);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
    fprintf(stderr, "%s: error: no_new_privs: %s\n", sv->progname, strerror(errno));
    _exit(SF_EXIT_LOADER);
  }
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kernel_flags(sv->flags), &prog);
  if (fd < 0) {
    int err = errno;
    fprintf(stderr, "%s: error: cannot install the filter with a listener: %s\n",
            sv->progname, strerror(err));
    if (err == EINVAL)
      fprintf(stderr, "%s: note: this kernel may lack SECCOMP_RET_USER_NOTIF "
                      "(Linux 5.0) or SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5)\n",
              sv->progname);
    _exit(SF_EXIT_LOADER);
  }
  hand_over(sv->setup_fd, (int)fd);
  /* The listener and the socket are close-on-exec: the command gets
   * neither.  (The filter's copy is not freed: no call but execve now.) */
  _exit(sf_launch_exec(sv->progname, sv->path, sv->argv));
}

/* The listener from the child, or -1 (the child exited before handing
 * it over: its status tells why). */
static int receive_listener(int sock) {
  fd_message m;
  fd_message_init(&m, 0);
  ssize_t n;
  do n = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&m.msg) : NULL;
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return high_fd(fd);
}

/* Buffers of the sizes this kernel's notifications have (they may be larger
 * than this program's headers say: SECCOMP_GET_NOTIF_SIZES). */
static int alloc_buffers(sf_supervisor *sv) {
  struct seccomp_notif_sizes sizes = {0};
  sv->req_size = sizeof *sv->req;
  sv->resp_size = sizeof *sv->resp;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0) {
    if (sizes.seccomp_notif > sv->req_size) sv->req_size = sizes.seccomp_notif;
    if (sizes.seccomp_notif_resp > sv->resp_size) sv->resp_size = sizes.seccomp_notif_resp;
  }
  sv->req = calloc(1, sv->req_size);
  sv->resp = calloc(1, sv->resp_size);
  return sv->req && sv->resp ? 0 : -1;
}

static int wait_status(int st, int killed_by_us) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (!WIFSIGNALED(st)) return SF_EXIT_LOADER;
  if (killed_by_us && WTERMSIG(st) == SIGKILL) return 128 + SIGSYS;
  return 128 + WTERMSIG(st);
}

int sf_supervise_fork(sf_supervisor *sv, unsigned flags, const char *path,
                      char *const argv[]) {
  sv->flags = flags;
  sv->path = path;
  sv->argv = argv;
  if (alloc_buffers(sv) != 0) {
    fprintf(stderr, "%s: error: %s\n", sv->progname, strerror(ENOMEM));
    sf_supervise_abandon(sv);
    return SF_EXIT_LOADER;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t parent = getpid();
  sv->child = fork();
  if (sv->child < 0) {
    fprintf(stderr, "%s: error: fork: %s\n", sv->progname, strerror(errno));
    sv->child = 0;
    sf_supervise_abandon(sv);
    return SF_EXIT_LOADER;
  }
  if (sv->child == 0) child_main(sv, parent);
  close(sv->setup_fd);
  sv->setup_fd = -1;
  /* Processes the command leaves behind are reparented here, to be
   * supervised and reaped until the last is gone. */
  prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
  /* A closed pipe on stderr or the log must not kill the supervisor (the
   * command would be left without one); ^C and ^\ are for the command, as
   * with system(3). */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  return -1;
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int sf_supervise_start(sf_supervisor *sv, const struct sock_fprog *prog) {
  if (write_all(sv->parent_fd, &prog->len, sizeof prog->len) == 0)
    write_all(sv->parent_fd, prog->filter, (size_t)prog->len * sizeof *prog->filter);
  sv->listener = receive_listener(sv->parent_fd);
  close(sv->parent_fd);
  sv->parent_fd = -1;
  if (sv->listener >= 0) return -1;
  int st;
  while (waitpid(sv->child, &st, 0) < 0 && errno == EINTR) {
  }
  sv->child = 0;
  int rc = wait_status(st, 0);
  fprintf(stderr, "%s: error: the command's process did not hand over the "
                  "seccomp listener (status %d); nothing was run\n", sv->progname, rc);
  sf_supervise_abandon(sv);
  return rc == 0 ? SF_EXIT_LOADER : rc;
}

/* ---- reading the caller's memory ----------------------------------------- */

int sf_supervise_valid(const sf_supervisor *sv, const struct seccomp_notif *n) {
  uint64_t id = n->id;
  return ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

ssize_t sf_supervise_read(const sf_supervisor *sv, const struct seccomp_notif *n,
                          uint64_t addr, void *buf, size_t len) {
  if (!sf_supervise_valid(sv, n)) return -1;
  struct iovec local = {buf, len};
  struct iovec remote = {(void *)(uintptr_t)addr, len};
  ssize_t got = process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0);
  /* Valid after the read too: the pid was still the caller's. */
  if (got < 0 || !sf_supervise_valid(sv, n)) return -1;
  return got;
}

int sf_supervise_read_string(const sf_supervisor *sv, const struct seccomp_notif *n,
                             uint64_t addr, char *buf, size_t size) {
  size_t have = 0;
  buf[0] = '\0';
  /* In pieces that do not cross a page: the next page may be unmapped. */
  while (have + 1 < size) {
    size_t to_page = 4096 - (size_t)((addr + have) % 4096);
    size_t want = size - 1 - have < to_page ? size - 1 - have : to_page;
    ssize_t got = sf_supervise_read(sv, n, addr + have, buf + have, want);
    if (got <= 0) break;
    char *nul = memchr(buf + have, '\0', (size_t)got);
    if (nul) return 0;
    have += (size_t)got;
  }
  buf[have] = '\0';
  return have ? 0 : -1;
}

/* ---- the loop ------------------------------------------------------------- */

/* The thread group of task TID (/proc/TID/status), or TID. */
static pid_t tgid_of(pid_t tid) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
  FILE *f = fopen(path, "re");
  pid_t tgid = tid;
  if (!f) return tid;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Tgid: %d", &tgid) == 1) break;
  fclose(f);
  return tgid;
}

static void kill_caller(sf_supervisor *sv, const struct seccomp_notif *n) {
  pid_t tgid = tgid_of((pid_t)n->pid);
  /* Checked after the look-up: the pid is still the caller's. */
  if (!sf_supervise_valid(sv, n)) return;
  if (tgid == sv->child) sv->killed_command = 1;
  kill(tgid, SIGKILL);
}

/* Receive one notification and answer it. */
static void serve_one(sf_supervisor *sv) {
  memset(sv->req, 0, sv->req_size);
  if (ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_RECV, sv->req) != 0)
    return; /* EINTR, or ENOENT: the caller is gone (a signal, a kill) */
  sf_answer a = {SF_ANSWER_CONTINUE, 0, 0};
  if (sv->on_call) sv->on_call(sv->user, sv, sv->req, &a);
  sv->notifications++;
  if (a.kind == SF_ANSWER_KILL) {
    kill_caller(sv, sv->req);
    return; /* the kernel drops the notification of a dying task */
  }
  memset(sv->resp, 0, sv->resp_size);
  sv->resp->id = sv->req->id;
  if (a.kind == SF_ANSWER_CONTINUE) sv->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else if (a.kind == SF_ANSWER_ERRNO) sv->resp->error = -a.err;
  else sv->resp->val = a.val;
  if (!sf_supervise_valid(sv, sv->req)) return;
  /* ENOENT: interrupted by a signal meanwhile; the call is restarted and
   * notified again. */
  ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_SEND, sv->resp);
}

/* Reap every child that has exited; the command's status in *STATUS.
 * Returns 1 when no child is left. */
static int reap(sf_supervisor *sv, int *done, int *status) {
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, WNOHANG | __WALL);
    if (p == 0) return 0;
    if (p < 0) return errno == ECHILD;
    if (p == sv->child) {
      *done = 1;
      *status = wait_status(st, sv->killed_command);
    }
  }
}

int sf_supervise_run(sf_supervisor *sv) {
  int done = 0, status = SF_EXIT_LOADER;
  unsigned served = 0;
  for (;;) {
    struct pollfd p = {sv->listener, POLLIN, 0};
    /* The timeout bounds how long an exit goes unnoticed while nothing is
     * notified. */
    int r = poll(&p, 1, 50);
    if (r < 0 && errno != EINTR) break;
    /* Reaped when idle, and now and then while busy (a zombie keeps its
     * filter until reaped); not after every call: a waitpid each would
     * cost a fifth of the supervisor's syscalls. */
    if ((r == 0 || served % 64 == 63) && reap(sv, &done, &status) && done) break;
    if (r > 0 && (p.revents & POLLIN)) {
      serve_one(sv);
      served++;
    } else if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
      /* No task uses the filter any more: wait for the rest. */
      int st;
      pid_t q;
      while ((q = waitpid(-1, &st, __WALL)) > 0 || (q < 0 && errno == EINTR))
        if (q == sv->child) done = 1, status = wait_status(st, sv->killed_command);
      break;
    }
  }
  /* Closing the listener fails any call still waiting with ENOSYS: nobody
   * is left blocked. */
  sf_supervise_abandon(sv);
  return status;
}
