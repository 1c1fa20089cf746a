/* action.h - seccomp return values (actions) by name: the one table of
 * what a policy, --bad-arch and the listings call them. */
#ifndef SF_ACTION_H
#define SF_ACTION_H

#include <stddef.h>
#include <stdint.h>

/* Name an action: "ALLOW", "ERRNO(1)", "KILL_PROCESS", ... into BUF (a
 * value no policy can write is shown in hex). */
const char *sf_action_str(uint32_t action, char *buf, size_t size);
/* The name of ACTION's kind without its data ("ERRNO" for ERRNO(5)), or
 * NULL. */
const char *sf_action_name(uint32_t action);
/* How restrictive ACTION is: the kernel's precedence between stacked
 * filters (kernel/seccomp.c keeps the lowest value; the higher the number
 * here, the more restrictive: KILL_PROCESS 7 ... ALLOW 0). */
int sf_action_severity(uint32_t action);
/* The more restrictive of A and B (A when they are as restrictive). */
uint32_t sf_action_stricter(uint32_t a, uint32_t b);
/* An action as a policy writes it ("ERRNO(1)", "KILL", "TRAP(0x10)"): 0
 * and *ACTION, or -1.  The data is a number literal up to 65535. */
int sf_action_parse(const char *text, uint32_t *action);

#endif
