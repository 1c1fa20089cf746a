/* launch.h - what sysfence-exec and 'sysfence run' share: the command line
 * split at "--", the exit statuses, finding the command, installing the
 * filter (sysfence_apply) and exec'ing the command. */
#ifndef SF_LAUNCH_H
#define SF_LAUNCH_H

#include <linux/filter.h>
#include <stddef.h>

/* Exit statuses (as env(1), nohup(1) and the shells use them).  Any other
 * status is the command's own. */
enum {
  SF_EXIT_LOADER = 125,   /* nothing ran: usage, blob/policy, install error */
  SF_EXIT_NOEXEC = 126,   /* the command was found but could not be run */
  SF_EXIT_NOTFOUND = 127  /* the command was not found */
};

/* Index of the first "--" among argv[1..argc), or argc if there is none. */
int sf_launch_split(int argc, char **argv);

/* Look COMMAND up as execvp(3) will (a name with a '/' as is, else each
 * folder of $PATH).  Returns -1 if it exists and is executable, else prints
 * why (prefixed by PROGNAME) and returns SF_EXIT_NOTFOUND or
 * SF_EXIT_NOEXEC.  Done before the filter is installed, so these statuses
 * do not depend on what the filter lets the loader do. */
int sf_launch_find(const char *progname, const char *command);

/* sysfence_apply(PROG, FLAGS).  Returns -1 on success, else prints why and
 * returns SF_EXIT_LOADER. */
int sf_launch_apply(const char *progname, const struct sock_fprog *prog,
                    unsigned flags);

/* execvp(ARGV[0], ARGV) after flushing stdout and stderr.  Returns only on
 * failure: prints why and returns SF_EXIT_NOTFOUND or SF_EXIT_NOEXEC. */
int sf_launch_exec(const char *progname, char *const argv[]);

/* The SYSFENCE_APPLY_* flags as text ("tsync,log"; "none"). */
const char *sf_launch_flags_str(unsigned flags, char *buf, size_t size);

#endif
