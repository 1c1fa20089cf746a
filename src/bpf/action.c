/* action.c - seccomp return values by name (see action.h). */
#include "bpf/action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/literal.h"
#include "bpf/bpf.h"

/* Every name a policy may write; the first of each value is the one
 * listings print (KILL and DENY are Kafel's spellings of KILL_THREAD). */
static const struct {
  const char *name;
  uint32_t value;
  int has_data; /* ERRNO(n), TRAP(n), TRACE(n) */
} actions[] = {
    {"ALLOW", SF_RET_ALLOW, 0},           {"LOG", SF_RET_LOG, 0},
    {"KILL_THREAD", SF_RET_KILL_THREAD, 0}, {"KILL", SF_RET_KILL_THREAD, 0},
    {"DENY", SF_RET_KILL_THREAD, 0},      {"KILL_PROCESS", SF_RET_KILL_PROCESS, 0},
    {"USER_NOTIF", SF_RET_USER_NOTIF, 0}, {"ERRNO", SF_RET_ERRNO, 1},
    {"TRAP", SF_RET_TRAP, 1},             {"TRACE", SF_RET_TRACE, 1},
};
enum { N_ACTIONS = sizeof actions / sizeof actions[0] };

/* Index of ACTION's entry, or -1: plain actions match exactly (the kernel
 * ignores data on them, but a policy cannot write it), the others by kind. */
static int find_value(uint32_t action) {
  for (int i = 0; i < N_ACTIONS; i++)
    if (actions[i].has_data ? (action & SF_RET_ACTION_FULL) == actions[i].value
                            : action == actions[i].value)
      return i;
  return -1;
}

const char *sf_action_name(uint32_t action) {
  int i = find_value(action);
  return i < 0 ? NULL : actions[i].name;
}

const char *sf_action_str(uint32_t action, char *buf, size_t size) {
  int i = find_value(action);
  if (i < 0) /* not something a policy can write */
    snprintf(buf, size, "0x%08x", action);
  else if (actions[i].has_data)
    snprintf(buf, size, "%s(%u)", actions[i].name, action & SF_RET_DATA);
  else
    snprintf(buf, size, "%s", actions[i].name);
  return buf;
}

int sf_action_severity(uint32_t action) {
  switch (action & SF_RET_ACTION_FULL) {
  case SF_RET_KILL_PROCESS: return 7;
  case SF_RET_KILL_THREAD: return 6;
  case SF_RET_TRAP: return 5;
  case SF_RET_ERRNO: return 4;
  case SF_RET_USER_NOTIF: return 3;
  case SF_RET_TRACE: return 2;
  case SF_RET_LOG: return 1;
  case SF_RET_ALLOW: return 0;
  }
  return 7; /* the kernel kills for an unknown action */
}

uint32_t sf_action_stricter(uint32_t a, uint32_t b) {
  return sf_action_severity(b) > sf_action_severity(a) ? b : a;
}

/* "(N)" after a name with data; N a number literal up to 65535. */
static int parse_data(const char *p, uint32_t *data) {
  size_t n = strlen(p);
  if (n < 3 || p[0] != '(' || p[n - 1] != ')' || n - 2 >= 32) return -1;
  char digits[32];
  memcpy(digits, p + 1, n - 2);
  digits[n - 2] = '\0';
  uint64_t v;
  if (sf_literal_parse_unsigned(digits, &v) != 0 || v > 0xffff) return -1;
  *data = (uint32_t)v;
  return 0;
}

int sf_action_parse(const char *text, uint32_t *action) {
  if (!text || !action) return -1;
  for (int i = 0; i < N_ACTIONS; i++) {
    size_t n = strlen(actions[i].name);
    if (strncmp(text, actions[i].name, n) != 0) continue;
    if (!actions[i].has_data) {
      if (text[n] != '\0') continue; /* KILL is a prefix of KILL_PROCESS */
      *action = actions[i].value;
      return 0;
    }
    uint32_t data;
    if (parse_data(text + n, &data) != 0) return -1;
    *action = actions[i].value | data;
    return 0;
  }
  return -1;
}
