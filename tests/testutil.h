/* testutil.h - helpers shared by the Check test programs. */
#ifndef SF_TESTUTIL_H
#define SF_TESTUTIL_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h" /* SHARED_DIR */
#include "sysfence.h"

/* Built with AddressSanitizer (gcc defines the first, clang answers the
 * second)?  Some checks do not apply to an instrumented build. */
#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#ifndef TU_ASAN
#define TU_ASAN 0
#endif

/* ---- checks that cannot run here ------------------------------------------
 * A check that needs something this machine lacks (a tool, a kernel
 * feature, the corpus) calls tu_skip and returns: one line on stderr,
 *   PROGRAM: TEST: SKIPPED: REASON
 * which 'make check' (check-local) collects from the test logs and lists
 * at the end.  With SYSFENCE_REQUIRE_ALL=1 in the environment (CI) the
 * check fails instead, with the reason.  Call it inside a Check test. */
void tu_skip(const char *test, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The whole program: "PROGRAM: SKIPPED: REASON", exit status 77 (automake's
 * SKIP); with SYSFENCE_REQUIRE_ALL=1, exit status 1. */
_Noreturn void tu_skip_program(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* A check that cannot apply to this build or run at all (an instrumented
 * build, or valgrind: what it needs or measures is not there), as opposed
 * to one the machine cannot run: "PROGRAM: TEST: NOT APPLICABLE: REASON",
 * listed apart, and never a failure, SYSFENCE_REQUIRE_ALL or not. */
void tu_not_applicable(const char *test, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Running under valgrind (make check-valgrind)?  Valgrind does not
 * implement seccomp(2): checks that install a filter do not apply to such
 * a run. */
int tu_under_valgrind(void);
/* For a check that needs seccomp where tu_seccomp_available() said no:
 * not applicable under valgrind, else a skip. */
void tu_skip_no_seccomp(const char *test);
/* The same for a whole program (exit status 77, or 1 for a skip under
 * SYSFENCE_REQUIRE_ALL=1); WHAT says what did not run. */
_Noreturn void tu_skip_program_no_seccomp(const char *what);

/* Is the shared corpus (SHARED_DIR/corpus, ./configure --with-shared) there? */
int tu_have_corpus(void);
#define TU_NO_CORPUS                                                           \
  "the corpus is not there (" SHARED_DIR "/corpus); "                          \
  "./configure --with-shared=DIR points to it"
/* In a Check test that needs the corpus: skip it (loudly) without. */
#define TU_NEED_CORPUS(test)                                                   \
  do {                                                                         \
    if (!tu_have_corpus()) {                                                   \
      tu_skip((test), "%s", TU_NO_CORPUS);                                     \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* Is PROGRAM found on $PATH (sh's command -v)? */
int tu_have_program(const char *program);

/* Compile SRC for ARCH (NULL: host).  Returns the sysfence_compile status;
 * on success *prog is filled (free prog->filter).  If DIAGS is not NULL it
 * receives a malloc()ed copy of the diagnostics text. */
int tu_compile(const char *src, const char *arch, struct sock_fprog *prog,
               char **diags);

/* Result of running a command or a child. */
typedef struct tu_result {
  int exited, status; /* exited: WIFEXITED; status: exit code or signal */
  char *out, *err;    /* captured stdout/stderr (malloc()ed, NUL-ended) */
} tu_result;
void tu_result_free(tu_result *r);

/* Run ARGV (argv[0] is a path) with STDIN_TEXT (may be NULL) on stdin. */
tu_result tu_run(char *const argv[], const char *stdin_text);
/* Path of the sysfence program under test ($SYSFENCE or BUILDDIR). */
const char *tu_sysfence(void);
/* Path of the loader under test ($SYSFENCE_EXEC or BUILDDIR). */
const char *tu_loader(void);
/* Run PROGRAM (tu_sysfence(), tu_loader(), ...) with the arguments up to
 * a NULL (at most 32) and STDIN_TEXT (NULL: none) on stdin. */
tu_result tu_run_program(const char *program, const char *stdin_text, ...)
    __attribute__((sentinel));
/* A shell command line (for redirections), run by /bin/sh -c. */
tu_result tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is PROGRAM on $PATH? */
int tu_have(const char *program);

/* Run SUITE with Check (forking each test) and free the runner: the exit
 * status of the test program (0 when every test passed). */
struct Suite;
int tu_run_suite(struct Suite *suite);

/* A fresh temporary folder (malloc()ed path), removed by tu_rmtree. */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);
/* Write TEXT to DIR/NAME; returns the malloc()ed path. */
char *tu_write(const char *dir, const char *name, const char *text);
/* Read a whole file (malloc()ed, NUL-ended), *len set if not NULL. */
char *tu_read(const char *path, size_t *len);

/* Is seccomp filtering available here?  (Checked in a forked child.) */
int tu_seccomp_available(void);

/* Outcome of a syscall made under an installed filter in a forked child. */
typedef struct tu_outcome {
  int killed_by;  /* signal that ended the child, 0 if it exited */
  long ret;       /* syscall return value (if not killed) */
  int err;        /* errno after the call (if ret == -1) */
  int sigsys;     /* a SIGSYS was caught (TRAP): 1, si_errno in trap_data */
  int trap_data;  /* si_errno of the SIGSYS (the TRAP data) */
  int trap_nr;    /* si_syscall of the SIGSYS */
  int reported;   /* the child got past the syscall (internal) */
} tu_outcome;

/* In a forked child: install PROG (no_new_privs + seccomp(2)), then make
 * syscall(nr, args...) and report what happened.  A SIGSYS handler is
 * installed to observe TRAP. */
tu_outcome tu_syscall_under(const struct sock_fprog *prog, long nr,
                            const uint64_t args[6]);

#if defined(__x86_64__)
/* The same for an i386 call made with int $0x80 from 64-bit code
 * (seccomp_data.arch AUDIT_ARCH_I386, i386 numbers; ARGS are whole 64-bit
 * registers, whose high words the kernel hands the filter but the call
 * ignores).  ret is the kernel's return value (-errno on failure), err
 * that errno or 0. */
tu_outcome tu_int80_under(const struct sock_fprog *prog, long nr, const uint64_t args[5]);
#endif

#endif
