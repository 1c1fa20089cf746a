/* cli.h - exit statuses of the sysfence programs. */
#ifndef SF_CLI_H
#define SF_CLI_H

enum {
  EXIT_OK = 0,     /* success */
  EXIT_POLICY = 1, /* the policy (or the input program) has errors */
  EXIT_USAGE = 2   /* bad command line, unreadable file, I/O error */
};

#endif
