/* launch.h - what sysfence-exec and 'sysfence run' share: the command line
 * split at "--", the exit statuses, finding the command, the preflight,
 * installing the filter (sysfence_apply) and exec'ing the command. */
#ifndef SF_LAUNCH_H
#define SF_LAUNCH_H

#include <linux/filter.h>
#include <stddef.h>

/* Exit statuses (as env(1), nohup(1) and the shells use them).  Any other
 * status is the command's own. */
enum {
  SF_EXIT_LOADER = 125,   /* nothing ran: usage, blob/policy, preflight,
                             install error */
  SF_EXIT_NOEXEC = 126,   /* the command was found but could not be run */
  SF_EXIT_NOTFOUND = 127  /* the command was not found */
};

/* Index of the first "--" among argv[1..argc), or argc if there is none. */
int sf_launch_split(int argc, char **argv);

/* Look COMMAND up as execvp(3) does (a name with a '/' as is, else each
 * folder of $PATH, "." for an empty entry, EACCES reported rather than
 * not found).  Returns -1 if it exists and is executable, with the path to
 * exec in *RESOLVED (malloc()ed: "/usr/bin/true" for "true"); else NULL
 * there, prints why (prefixed by PROGNAME) and returns SF_EXIT_NOTFOUND or
 * SF_EXIT_NOEXEC.  Done before the filter is installed, so these statuses
 * do not depend on what the filter lets the loader do. */
int sf_launch_find(const char *progname, const char *command, char **resolved);

/* The preflight: run PROG in the simulator (sim.c) on the call
 * sf_launch_exec(PATH, ARGV) will make, execve(PATH, ARGV, environ) with
 * the host's AUDIT_ARCH and syscall number.  Returns -1 if the filter lets
 * it through (ALLOW or LOG), with "execve gets ALLOW" in VERDICT; else
 * prints why, naming the action (and, when the filter never accepts the
 * host's AUDIT_ARCH, "wrong architecture" and the one it checks for), with
 * WHAT (the filter's name) and PROGNAME, and returns SF_EXIT_LOADER.
 * PATH and ARGV may be NULL (--dry-run without a command). */
int sf_launch_preflight(const char *progname, const char *what,
                        const struct sock_fprog *prog, const char *path,
                        char *const argv[], char *verdict, size_t size);

/* sysfence_apply(PROG, FLAGS).  Returns -1 on success, else prints why and
 * returns SF_EXIT_LOADER. */
int sf_launch_apply(const char *progname, const struct sock_fprog *prog,
                    unsigned flags);

/* execve(PATH, ARGV, environ) after flushing stdout and stderr, PATH as
 * sf_launch_find resolved it (ARGV[0] as the user wrote it); a file the
 * kernel cannot execute (ENOEXEC) is run by /bin/sh, as execvp(3) does.
 * Returns only on failure: prints why and returns SF_EXIT_NOTFOUND or
 * SF_EXIT_NOEXEC. */
int sf_launch_exec(const char *progname, const char *path, char *const argv[]);

/* The SYSFENCE_APPLY_* flags as text ("tsync,log"; "none"). */
const char *sf_launch_flags_str(unsigned flags, char *buf, size_t size);

#endif
