/* defines.h - run-time constants: -D NAME=VALUE on the command line,
 * sysfence_define() in the API, SYSFENCE_PID from 'sysfence run'.  They
 * are predefined for the policy as if #define'd before its first line. */
#ifndef SF_DEFINES_H
#define SF_DEFINES_H

#include <stddef.h>
#include <stdint.h>

struct sysfence_ctx;

/* One run-time constant (in the context; survives compilations). */
typedef struct sf_define {
  char *name;
  uint64_t value; /* two's complement when negative */
  int negative;
} sf_define;

/* The constant the pid of the sandboxed process goes by. */
#define SF_PID_CONSTANT "SYSFENCE_PID"

/* The run-time constant NAME of CTX, or NULL. */
const sf_define *sf_define_find(const struct sysfence_ctx *ctx, const char *name);
/* Free CTX's run-time constants. */
void sf_defines_clear(struct sysfence_ctx *ctx);

#endif
