/* cmd-explain.c - 'sysfence explain POLICY RECORD': a kernel audit record
 * of a seccomp action (type=1326, as dmesg, journalctl or ausearch print
 * it) or a bare syscall number, explained against a policy: which syscall
 * it was, which rule of the policy decides it (by the reference semantics,
 * src/oracle), what the record's action is, and the rule that allows it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "base/context.h"
#include "base/literal.h"
#include "bpf/action.h"
#include "bpf/bpf.h"
#include "cli/options.h"
#include "oracle/eval.h"

/* What explain reads from a record. */
typedef struct record {
  int has_arch, has_code;
  uint32_t audit, nr, code;
  const char *syscall_name; /* ausearch -i writes names: the table's string */
  char comm[64], exe[256], pid[24], sig[16];
} record;

/* The value of field KEY ("syscall" for " syscall=318") in TEXT into BUF
 * (quotes removed); NULL if absent. */
static const char *field(const char *text, const char *key, char *buf, size_t size) {
  size_t klen = strlen(key);
  for (const char *p = text; (p = strstr(p, key)) != NULL; p += klen) {
    if ((p != text && !isspace((unsigned char)p[-1])) || p[klen] != '=') continue;
    const char *v = p + klen + 1;
    size_t n = 0;
    if (*v == '"') {
      v++;
      while (v[n] && v[n] != '"') n++;
    } else {
      while (v[n] && !isspace((unsigned char)v[n])) n++;
    }
    snprintf(buf, size, "%.*s", (int)n, v);
    return buf;
  }
  return NULL;
}

static int parse_hex32(const char *s, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 16);
  if (!*s || *end || errno || v > UINT32_MAX) return -1;
  *out = (uint32_t)v;
  return 0;
}

/* arch=c000003e (or ausearch -i's arch=x86_64). */
static int record_arch(record *r, const char *v, char *err, size_t size) {
  const sf_arch *a = sf_arch_by_name(v);
  if (a) r->audit = a->audit_arch;
  else if (parse_hex32(v, &r->audit) != 0) {
    snprintf(err, size, "bad arch=%s in the record (expected an AUDIT_ARCH in hex)", v);
    return -1;
  }
  r->has_arch = 1;
  return 0;
}

/* syscall=318, or a name (ausearch -i) resolved once the arch is known. */
static int record_syscall(record *r, const char *v, char *err, size_t size) {
  uint64_t nr;
  if (isdigit((unsigned char)v[0])) {
    if (sf_literal_parse_unsigned(v, &nr) != 0 || nr > UINT32_MAX) {
      snprintf(err, size, "bad syscall=%s in the record", v);
      return -1;
    }
    r->nr = (uint32_t)nr;
    return 0;
  }
  r->syscall_name = v; /* the caller's buffer: looked up below */
  return 0;
}

/* code=0x80000000, or ausearch -i's name (kill-process, errno): the
 * action's name as a policy writes it. */
static int record_code(record *r, const char *v) {
  if (strncmp(v, "0x", 2) == 0 && parse_hex32(v + 2, &r->code) == 0) {
    r->has_code = 1;
    return 0;
  }
  char name[64];
  snprintf(name, sizeof name, "%s", v);
  for (char *p = name; *p; p++) *p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
  if (sf_action_parse(name, &r->code) == 0 || parse_hex32(v, &r->code) == 0) {
    r->has_code = 1;
    return 0;
  }
  return -1;
}

/* Parse TEXT, a record or a bare number, into R.  0, or -1 with ERR. */
static int parse_record(const char *text, record *r, char *name_buf, size_t name_size,
                        char *err, size_t size) {
  char v[64];
  memset(r, 0, sizeof *r);
  while (isspace((unsigned char)*text)) text++;
  if (isdigit((unsigned char)*text) && !strchr(text, '='))
    return record_syscall(r, text, err, size);
  const char *s = field(text, "syscall", name_buf, name_size);
  if (!s) {
    snprintf(err, size, "no syscall=N in the record: expected a seccomp audit record "
             "(type=1326 ... arch=c000003e syscall=318 ... code=0x80000000) or a number");
    return -1;
  }
  if (record_syscall(r, s, err, size) != 0) return -1;
  if (field(text, "arch", v, sizeof v) && record_arch(r, v, err, size) != 0) return -1;
  if (field(text, "code", v, sizeof v) && record_code(r, v) != 0) {
    snprintf(err, size, "bad code=%s in the record (expected a seccomp action in hex)", v);
    return -1;
  }
  field(text, "comm", r->comm, sizeof r->comm);
  field(text, "exe", r->exe, sizeof r->exe);
  field(text, "pid", r->pid, sizeof r->pid);
  field(text, "sig", r->sig, sizeof r->sig);
  return 0;
}

/* The architecture of the record: its AUDIT_ARCH, the x32 table for an
 * x32 number under x86_64's value; DEFAULT_ARCH for a bare number. */
static const sf_arch *record_table(const record *r, const sf_arch *default_arch) {
  if (!r->has_arch) return default_arch;
  const sf_arch *a = sf_cli_arch_of_audit(r->audit);
  if (!a || !sf_arch_nr_is_foreign(a, r->nr)) return a;
  const sf_arch *with[SF_MAX_TARGETS];
  size_t k = sf_arch_companions(a, with, SF_MAX_TARGETS);
  for (size_t i = 0; i < k; i++)
    if (with[i]->audit_arch == r->audit && !sf_arch_nr_is_foreign(with[i], r->nr))
      return with[i];
  return a;
}

/* The rules of RS for NR, or NULL. */
static const sf_sysrules *rules_of(const sf_ruleset *rs, uint32_t nr) {
  for (size_t i = 0; rs && i < rs->n_sys; i++)
    if (rs->sys[i].nr == nr) return &rs->sys[i];
  return NULL;
}

static const char *action_text(uint32_t action, char *buf, size_t size) {
  return sf_action_str(action, buf, size);
}

static void print_process(const record *r) {
  if (!*r->pid && !*r->comm && !*r->exe) return;
  printf("process:  ");
  if (*r->pid) printf("pid %s", r->pid);
  if (*r->comm) printf("%scomm \"%s\"", *r->pid ? ", " : "", r->comm);
  if (*r->exe) printf("%sexe \"%s\"", *r->pid || *r->comm ? ", " : "", r->exe);
  if (*r->sig && strcmp(r->sig, "0") != 0)
    printf(", signal %s%s", r->sig, strcmp(r->sig, "31") == 0 ? " (SIGSYS)" : "");
  putchar('\n');
}

/* The rules that may decide a call whose arguments are not known: those
 * of SR in order (the first whose condition holds decides), then the
 * default; the ones that give the record's action are marked. */
static void print_candidates(const sf_ruleset *rs, const sf_sysrules *sr,
                             const record *r, const char *name) {
  char act[48];
  printf("decided:  by the arguments, which the record does not have; the rules for "
         "%s (the first that matches decides):\n", name);
  int unconditional = 0;
  for (size_t i = 0; i < sr->n_rules && !unconditional; i++) {
    const sf_rule *rule = &sr->rules[i];
    unconditional = rule->cond == NULL;
    int same = r->has_code && rule->action == r->code;
    printf("  %s:%d:%d: %s%s%s\n", rule->loc.src ? rule->loc.src->name : "?",
           rule->loc.line, rule->loc.col, action_text(rule->action, act, sizeof act),
           unconditional ? "" : " when its condition holds",
           same ? "  <- the record's action" : "");
  }
  if (!unconditional)
    printf("  otherwise the default action: %s%s\n",
           action_text(rs->default_action, act, sizeof act),
           r->has_code && rs->default_action == r->code ? "  <- the record's action" : "");
}

/* The argument names and widths of SC, for a condition in the fix. */
static void print_fix(const sf_syscall *sc, uint32_t nr, const sf_rule *rule,
                      int depends) {
  char name[48];
  if (sc) snprintf(name, sizeof name, "%s", sc->name);
  else snprintf(name, sizeof name, "SYSCALL[%u]", nr);
  if (rule && !depends)
    printf("to allow: add before %s:%d:%d (the first rule that matches wins), or "
           "change that rule:\n", rule->loc.src ? rule->loc.src->name : "?",
           rule->loc.line, rule->loc.col);
  else if (depends)
    printf("to allow every call (before the rules above; a condition on the arguments "
           "allows only some):\n");
  else
    printf("to allow: add to the policy (at top level, or in the POLICY it USEs):\n");
  printf("  ALLOW { %s }\n", name);
  if (depends && sc && sc->nargs > 0) {
    printf("  arguments:");
    for (int i = 0; i < sc->nargs; i++)
      printf("%s %s (%u bits)", i ? "," : "", sc->args[i].name, sc->args[i].bits);
    putchar('\n');
  }
}

/* The record's action against the policy's, when they differ. */
static void compare_codes(const record *r, uint32_t action, int depends) {
  char a[48], b[48];
  if (!r->has_code) return;
  printf("record:   %s (code=0x%08x)\n", action_text(r->code, a, sizeof a), r->code);
  if (!depends && r->code != action)
    printf("note: the policy gives %s, the record says %s: the record comes from "
           "another filter (filters stack, and the strictest action wins) or another "
           "version of the policy\n", action_text(action, b, sizeof b), a);
}

/* Explain R (syscall NR of TABLE) by the rule sets RS[0..N). */
static int explain(const record *r, const sf_arch *table, const sf_ruleset *const *rs,
                   size_t n) {
  const sf_syscall *sc = sf_syscall_by_nr(table, r->nr);
  char act[48];
  sf_query q = {.nr = r->nr, .arch = table->audit_arch};
  if (sc) printf("syscall:  %s (%u on %s)\n", sc->name, r->nr, table->name);
  else printf("syscall:  %u, no syscall of %s's table\n", r->nr, table->name);
  print_process(r);
  const sf_ruleset *pick = sf_targets_pick(rs, n, &q);
  const sf_rule *rule = NULL;
  uint32_t action = sf_targets_decide(rs, n, &q, &rule);
  const sf_sysrules *sr = rules_of(pick, r->nr);
  int depends = sr && sr->n_rules && sr->rules[0].cond != NULL;
  compare_codes(r, action, depends);
  if (!pick) {
    printf("decided:  %s, the action for an architecture the policy was not compiled "
           "for (--bad-arch)\n", action_text(action, act, sizeof act));
    printf("to allow: compile the policy for %s too (e.g. --arch %s,%s), if one kernel "
           "runs both\n", table->name, rs[0]->arch->name, table->name);
    return EXIT_OK;
  }
  if (depends) {
    print_candidates(pick, sr, r, sc ? sc->name : "it");
  } else if (rule) {
    printf("decided:  %s by %s:%d:%d (rule for %s)\n", action_text(action, act, sizeof act),
           rule->loc.src ? rule->loc.src->name : "?", rule->loc.line, rule->loc.col,
           sc ? sc->name : "the number");
  } else {
    printf("decided:  %s by the %s\n", action_text(action, act, sizeof act),
           pick->has_unknown && action == pick->unknown_action && !sc
               ? "--unknown action (no syscall of the table)" : "policy's DEFAULT");
  }
  printf("arguments: not in the record; %s\n",
         depends ? "the decision depends on them (above)" : "the decision does not depend on them");
  if (!depends && action == SF_RET_ALLOW) {
    printf("the policy allows it already: nothing to add\n");
    return EXIT_OK;
  }
  print_fix(sc, r->nr, rule, depends);
  return EXIT_OK;
}

/* The words after POLICY, joined: a record pasted without quotes. */
static char *joined(char *const *words, size_t n) {
  size_t len = 1;
  for (size_t i = 0; i < n; i++) len += strlen(words[i]) + 1;
  char *s = malloc(len);
  if (!s) return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(s, " ");
    strcat(s, words[i]);
  }
  return s;
}

/* The table of R (a name from ausearch -i looked up in it); NULL after a
 * message. */
static const sf_arch *resolve_record(const sf_command *cmd, record *r,
                                     const sf_cli_opts *o) {
  const sf_arch *fallback = o->arch ? sf_arch_by_name(o->arch) : sf_arch_host();
  if (!r->has_arch && !fallback) {
    sf_cli_usage_error(cmd, "a bare number needs --arch ARCH (one architecture)");
    return NULL;
  }
  const sf_arch *table = record_table(r, fallback);
  if (!table) {
    fprintf(stderr, "sysfence: error: arch=%08x in the record is no architecture "
                    "sysfence knows (see 'sysfence arches')\n", r->audit);
    return NULL;
  }
  if (r->syscall_name) {
    const sf_syscall *sc = sf_syscall_by_name(table, r->syscall_name);
    if (!sc) {
      fprintf(stderr, "sysfence: error: syscall=%s in the record is no syscall of %s\n",
              r->syscall_name, table->name);
      return NULL;
    }
    r->nr = sc->nr;
  }
  return table;
}

/* Resolve the policy for the record's architecture (or --arch's targets)
 * and explain. */
static int explain_with_policy(const sf_command *cmd, record *r, const sf_cli_opts *o) {
  const sf_arch *table = resolve_record(cmd, r, o);
  if (!table) return r->has_arch || !o->arch ? EXIT_POLICY : EXIT_USAGE;
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  sf_cli_opts co = *o;
  if (!co.arch) co.arch = table->name; /* the policy as it was for that arch */
  int rc = sf_cli_configure(cmd, ctx, &co);
  if (rc < 0) {
    const struct ast_file *tree;
    const sf_ruleset *rs[SF_MAX_TARGETS];
    size_t n = sf_front_end_targets(ctx, &tree, rs);
    sf_cli_print_diags(ctx, o);
    if (n) rc = explain(r, table, rs, n);
    else rc = sysfence_error_count(ctx) ? EXIT_POLICY : EXIT_USAGE;
  }
  sysfence_free(ctx);
  return rc;
}

static int run_explain(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  char *text = joined(o.calls, o.n_calls);
  if (!text) return sf_cli_usage_error(cmd, "%s", strerror(ENOMEM));
  record r;
  char name[64], err[256];
  if (parse_record(text, &r, name, sizeof name, err, sizeof err) != 0)
    rc = sf_cli_usage_error(cmd, "%s", err);
  else
    rc = explain_with_policy(cmd, &r, &o);
  free(text);
  return rc;
}

static const char explain_epilog[] =
    "\n"
    "RECORD is the kernel's seccomp audit record (type=1326, or SECCOMP from\n"
    "'ausearch -i'), as one argument or as the words of one line, e.g.\n"
    "  'audit: type=1326 audit(1700000000.123:45): auid=1000 uid=1000 gid=1000\n"
    "  ses=2 pid=1234 comm=\"python3\" exe=\"/usr/bin/python3\" sig=31\n"
    "  arch=c000003e syscall=318 compat=0 ip=0x7f0000001234 code=0x80000000'\n"
    "or a bare syscall NUMBER of --arch (default: the host's).  The record's\n"
    "arch= picks the table (x32's for x32 numbers) and, without --arch, the\n"
    "architecture the policy is resolved for.  A record has no arguments:\n"
    "when the policy's rules for the syscall look at them, every rule that\n"
    "may decide is listed, the ones giving the record's action marked.\n"
    "\n"
    "Exit status: 0 explained, 1 errors in the policy or a record of an\n"
    "unknown architecture or syscall, 2 usage error.\n";

const sf_command sf_cmd_explain = {
    "explain", "POLICY RECORD",
    "the syscall of an audit record, the rule that decided it",
    "Explain a kernel audit record of a seccomp action (dmesg, journalctl,\n"
    "ausearch) or a syscall number against POLICY: the syscall, for the\n"
    "record's architecture; the record's action; the rule of POLICY that\n"
    "decides it (file:line:col, by the reference semantics), or the DEFAULT;\n"
    "and the policy line that allows it.",
    "aIDBU" SF_DIAG_OPTS "hV", "the targets the policy is resolved for (default: "
    "the record's architecture; for a bare number, the host)", 1, 1, -1, run_explain,
    explain_epilog, 0};
