/* supervised.c - filters for a supervisor and the reports of
 * 'sysfence run --audit/--report' (see supervised.h). */
#include "cli/supervised.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "base/diag.h"
#include "bpf/action.h"
#include "bpf/bpf.h"
#include "codegen/program.h"
#include "launch/launch.h"
#include "oracle/eval.h"

/* ---- the filter ----------------------------------------------------------- */

static int passes(uint32_t action) {
  uint32_t a = action & SF_RET_ACTION_FULL;
  return a == SF_RET_ALLOW || a == SF_RET_LOG;
}

uint32_t sf_mode_action(sf_mode mode, uint32_t action) {
  uint32_t a = action & SF_RET_ACTION_FULL;
  switch (mode) {
  case SF_MODE_TRACE: return SF_RET_USER_NOTIF;
  case SF_MODE_AUDIT: return passes(action) ? action : SF_RET_USER_NOTIF;
  case SF_MODE_REPORT:
    /* What the supervisor can do exactly as the kernel would (fail the
     * call, kill, continue); TRAP's SIGSYS and TRACE's tracer stop cannot
     * be given from outside, so they stay in the kernel, unreported. */
    if (a == SF_RET_ALLOW || a == SF_RET_LOG || a == SF_RET_TRAP || a == SF_RET_TRACE)
      return action;
    return SF_RET_USER_NOTIF;
  case SF_MODE_NOTIFY: return action;
  }
  return action;
}

static int is_notify(uint32_t action) {
  return (action & SF_RET_ACTION_FULL) == SF_RET_USER_NOTIF;
}

int sf_rulesets_notify(const sf_ruleset *const *rs, size_t n) {
  for (size_t t = 0; t < n; t++) {
    const sf_ruleset *r = rs[t];
    if (is_notify(r->default_action) || is_notify(r->bad_arch_action) ||
        (r->has_unknown && is_notify(r->unknown_action)))
      return 1;
    for (size_t i = 0; i < r->n_sys; i++)
      for (size_t j = 0; j < r->sys[i].n_rules; j++)
        if (is_notify(r->sys[i].rules[j].action)) return 1;
  }
  return 0;
}

/* ARG (of width BITS) == K. */
static sf_cond *arg_equals(sysfence_ctx *ctx, int arg, int bits, uint64_t k) {
  sf_val *l = sf_alloc(ctx, sizeof *l), *r = sf_alloc(ctx, sizeof *r);
  sf_cond *c = sf_alloc(ctx, sizeof *c);
  if (!l || !r || !c) return NULL;
  *l = (sf_val){.kind = VAL_ARG, .arg = arg, .bits = bits};
  *r = (sf_val){.kind = VAL_CONST, .k = k};
  *c = (sf_cond){.kind = COND_CMP, .op = CMP_EQ, .lhs = l, .rhs = r,
                 .width = bits <= 32 ? 32 : 64};
  return c;
}

static int arg_bits(const sf_syscall *s, int arg) {
  return s->nargs > arg && s->args[arg].bits ? s->args[arg].bits : 64;
}

/* The set-up rule for syscall NAME of RS: ALLOW if the arguments A0 (and,
 * if A1 >= 0, A1) equal K0 (K1), first among its rules.  RS's sys array is
 * already a copy with room for one more entry. */
static int add_setup_rule(sysfence_ctx *ctx, sf_ruleset *rs, const char *name,
                          int a0, uint64_t k0, int a1, uint64_t k1) {
  const sf_syscall *s = sf_syscall_by_name(rs->arch, name);
  if (!s) return 0; /* not a syscall of this ABI: nothing to let through */
  sf_cond *c = arg_equals(ctx, a0, arg_bits(s, a0), k0);
  if (c && a1 >= 0) {
    sf_cond *both = sf_alloc(ctx, sizeof *both);
    sf_cond *c1 = arg_equals(ctx, a1, arg_bits(s, a1), k1);
    if (!both || !c1) return -1;
    *both = (sf_cond){.kind = COND_AND, .a = c, .b = c1};
    c = both;
  }
  if (!c) return -1;
  size_t i = 0;
  while (i < rs->n_sys && rs->sys[i].nr < s->nr) i++;
  if (i == rs->n_sys || rs->sys[i].nr != s->nr) {
    /* No rule for it: a new entry (falling through to the default). */
    memmove(&rs->sys[i + 1], &rs->sys[i], (rs->n_sys - i) * sizeof rs->sys[0]);
    rs->sys[i] = (sf_sysrules){.nr = s->nr, .name = s->name};
    rs->n_sys++;
  }
  sf_sysrules *sr = &rs->sys[i];
  sf_rule *rules = sf_alloc(ctx, (sr->n_rules + 1) * sizeof *rules);
  if (!rules) return -1;
  rules[0] = (sf_rule){.cond = c, .action = SF_RET_ALLOW};
  if (sr->n_rules) memcpy(rules + 1, sr->rules, sr->n_rules * sizeof *rules);
  sr->rules = rules;
  sr->n_rules++;
  return 0;
}

/* A copy of RS with MODE's actions (room for 2 more syscalls). */
static sf_ruleset *rewrite(sysfence_ctx *ctx, const sf_ruleset *rs, sf_mode mode) {
  sf_ruleset *out = sf_alloc(ctx, sizeof *out);
  if (!out) return NULL;
  *out = *rs;
  out->default_action = sf_mode_action(mode, rs->default_action);
  out->bad_arch_action = sf_mode_action(mode, rs->bad_arch_action);
  out->unknown_action = sf_mode_action(mode, rs->unknown_action);
  out->sys = sf_alloc(ctx, (rs->n_sys + 2) * sizeof *out->sys);
  if (!out->sys) return NULL;
  for (size_t i = 0; i < rs->n_sys; i++) {
    const sf_sysrules *in = &rs->sys[i];
    out->sys[i] = *in;
    sf_rule *rules = sf_alloc(ctx, (in->n_rules ? in->n_rules : 1) * sizeof *rules);
    if (!rules) return NULL;
    for (size_t j = 0; j < in->n_rules; j++) {
      rules[j] = in->rules[j];
      rules[j].action = sf_mode_action(mode, in->rules[j].action);
    }
    out->sys[i].rules = rules;
  }
  return out;
}

int sf_supervised_filter(sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                         sf_mode mode, int setup_fd, struct sock_fprog *prog) {
  const sf_ruleset *copies[SF_MAX_TARGETS];
  memset(prog, 0, sizeof *prog);
  for (size_t i = 0; i < n; i++) {
    sf_ruleset *c = rewrite(ctx, rs[i], mode);
    if (!c) return -1;
    /* The child's calls between install and exec, in the host's ABI (the
     * first target): see supervise.h. */
    if (i == 0 && (add_setup_rule(ctx, c, "sendmsg", 0, (uint64_t)setup_fd, 2,
                                  SF_SETUP_FLAGS) != 0 ||
                   add_setup_rule(ctx, c, "exit_group", 0, SF_SETUP_FAILED, -1, 0) != 0))
      return -1;
    copies[i] = c;
  }
  struct sock_filter *insns = NULL;
  size_t len = 0;
  if (sf_codegen_targets(ctx, copies, n, &insns, &len) != 0) {
    free(insns);
    return -1;
  }
  char why[256];
  if (sf_bpf_validate(insns, len, why, sizeof why) != 0) {
    sf_error(ctx, (sf_loc){0}, "internal error: the supervised filter is invalid: %s",
             why);
    free(insns);
    return -1;
  }
  prog->filter = insns;
  prog->len = (unsigned short)len;
  return 0;
}

int sf_supervised_start(sysfence_ctx *ctx, const sf_ruleset *const *rs, size_t n,
                        sf_mode mode, sf_supervisor *sv) {
  struct sock_fprog prog;
  if (sf_supervised_filter(ctx, rs, n, mode, sv->setup_nr, &prog) != 0) {
    fputs(sysfence_diag_text(ctx), stderr);
    sf_supervise_abandon(sv);
    return SF_EXIT_LOADER;
  }
  int rc = sf_supervise_start(sv, &prog);
  free(prog.filter);
  return rc;
}

/* ---- calls as text ---------------------------------------------------------- */

/* Kernel constants (include/linux/socket.h, include/linux/net.h,
 * include/uapi/linux/fcntl.h). */
static const char *family_name(uint64_t v) {
  switch (v) {
  case 1: return "AF_UNIX";
  case 2: return "AF_INET";
  case 10: return "AF_INET6";
  case 16: return "AF_NETLINK";
  case 17: return "AF_PACKET";
  default: return NULL;
  }
}

static void socket_type(uint64_t v, char *buf, size_t size) {
  static const char *const kinds[] = {NULL, "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW",
                                      NULL, "SOCK_SEQPACKET"};
  uint64_t kind = v & 0xf;
  const char *k = kind < 6 ? kinds[kind] : NULL;
  if (!k || (v & ~(uint64_t)(0xf | 04000 | 02000000))) {
    snprintf(buf, size, "0x%" PRIx64, v);
    return;
  }
  snprintf(buf, size, "%s%s%s", k, v & 04000 ? "|SOCK_NONBLOCK" : "",
           v & 02000000 ? "|SOCK_CLOEXEC" : "");
}

/* Arguments that name a file (the tables' names for them). */
static int is_path_arg(const char *name) {
  static const char *const names[] = {"filename", "pathname", "path", "oldname",
                                      "newname", "dir_name", "dev_name", "special"};
  for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0) return 1;
  return 0;
}

/* "\"/etc/passwd\"" (control characters and quotes escaped, cut at 64). */
static void quote_string(const char *s, char *buf, size_t size) {
  size_t at = 0;
  buf[at++] = '"';
  for (size_t i = 0; s[i] && at + 8 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i == 64) {
      at += (size_t)snprintf(buf + at, size - at, "...");
      break;
    }
    if (c == '"' || c == '\\') at += (size_t)snprintf(buf + at, size - at, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f) at += (size_t)snprintf(buf + at, size - at, "\\x%02x", c);
    else buf[at++] = (char)c;
  }
  snprintf(buf + at, size - at, "\"");
}

static void format_arg(const char *sys, int i, const sf_arg_info *info, uint64_t v,
                       const sf_string_reader *rd, char *buf, size_t size) {
  int bits = info && info->bits ? info->bits : 64;
  const char *name = info ? info->name : NULL;
  if (bits < 64) v &= (UINT64_C(1) << bits) - 1;
  int sock = strcmp(sys, "socket") == 0 || strcmp(sys, "socketpair") == 0;
  char str[256];
  if (sock && i == 0 && family_name(v)) {
    snprintf(buf, size, "%s", family_name(v));
  } else if (sock && i == 1) {
    socket_type(v, buf, size);
  } else if (name && strstr(name, "dfd") && (uint32_t)v == (uint32_t)-100) {
    snprintf(buf, size, "AT_FDCWD");
  } else if (v && rd && is_path_arg(name) && rd->read(rd->user, v, str, sizeof str) == 0) {
    quote_string(str, buf, size);
  } else if (v < 65536) {
    snprintf(buf, size, "%" PRIu64, v);
  } else {
    snprintf(buf, size, "0x%" PRIx64, v);
  }
}

void sf_format_call(const sf_arch *arch, uint32_t nr, const uint64_t args[6],
                    const sf_string_reader *rd, char *buf, size_t size) {
  const sf_syscall *s = arch ? sf_syscall_by_nr(arch, nr) : NULL;
  char name[32];
  if (!s) snprintf(name, sizeof name, "syscall_%u", (unsigned)nr);
  int nargs = s && s->nargs >= 0 ? s->nargs : 6;
  size_t at = (size_t)snprintf(buf, size, "%s(", s ? s->name : name);
  for (int i = 0; i < nargs && at < size; i++) {
    char a[320];
    format_arg(s ? s->name : "", i, s ? &s->args[i] : NULL, args[i], rd, a, sizeof a);
    at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", a);
  }
  if (at < size) snprintf(buf + at, size - at, ")");
}
