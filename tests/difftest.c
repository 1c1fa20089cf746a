/* difftest.c - differential testing engine (see difftest.h). */
#include "difftest.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"

/* ======================================================================
 * Random numbers: xorshift64*, one stream per policy (seeded from the run's
 * seed and the policy's index, so any policy can be regenerated alone).
 * ==================================================================== */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static rng rng_for(uint64_t seed, uint64_t index) {
  rng r;
  r.s = splitmix(seed ^ splitmix(index + 0x1234567ULL));
  if (!r.s) r.s = 1;
  return r;
}

static uint64_t rnd(rng *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(rng *r, uint32_t n) { return n ? (uint32_t)(rnd(r) % n) : 0; }
/* True one time in N. */
static int one_in(rng *r, uint32_t n) { return below(r, n) == 0; }

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ======================================================================
 * Growable strings.
 * ==================================================================== */

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->n;
    int k = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
    va_end(ap);
    if (k < 0) abort();
    if ((size_t)k < room) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = b->cap ? b->cap * 2 : 1024;
    while (cap - b->n <= (size_t)k) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
}

static void sb_puts(sbuf *b, const char *s) { sb_printf(b, "%s", s); }

/* ======================================================================
 * The generated policy: a flat structure (indices, no pointers into
 * itself) so that a copy is one memcpy; the shrinker works on copies.
 * ==================================================================== */

enum {
  MAX_DEFS = 10, MAX_POLS = 4, MAX_ENTRIES = 6, MAX_TOP = 16, MAX_RULES = 12,
  MAX_NODES = 8192, MAX_GUARD = 3, MAX_POOL = 10
};

typedef enum {
  E_NUM, E_CONST, E_ARG, E_BAND, E_BOR,    /* values */
  E_CMP, E_AND, E_OR, E_COMMA, E_NOT       /* conditions */
} ekind;

enum { FMT_DEC, FMT_HEX, FMT_OCT, FMT_BIN };

typedef struct dexpr {
  ekind kind;
  int op;        /* E_CMP: cmp_op */
  int fmt;       /* E_NUM: how it is written */
  int neg;       /* E_NUM: written as a negative decimal */
  int paren;     /* written in (redundant) parentheses */
  int idx;       /* E_CONST: define; E_ARG: argument index */
  int l, r;      /* children (E_NOT: l) */
  uint64_t v;    /* E_NUM */
  const char *name; /* E_ARG: as written */
} dexpr;

enum { R_NAME, R_CUSTOM, R_DEFNAME };

typedef struct drule {
  int kind;
  const char *name;   /* R_NAME: the syscall as written (maybe a Kafel alias) */
  int def;            /* R_DEFNAME: the define */
  uint64_t num;       /* R_CUSTOM: SYSCALL[num] */
  int neg, fmt;
  int has_args, n_args;
  const char *args[SF_MAX_ARGS]; /* renamed arguments */
  int n_guard;
  const sf_arch *guard[MAX_GUARD];
  int empty_filter;   /* "{ }" */
  int filter;         /* root node or -1 */
  /* Meaning: the syscall in the table whose argument names apply. */
  const sf_syscall *sys;
  const sf_arch *table_arch;
} drule;

enum {
  A_ALLOW, A_LOG, A_KILL, A_KILL_THREAD, A_DENY, A_KILL_PROCESS, A_USER_NOTIF,
  A_ERRNO, A_TRAP, A_TRACE, A_COUNT
};

typedef struct daction {
  int kind;
  uint32_t value; /* ERRNO/TRAP/TRACE */
  int def;        /* >= 0: written as that define's name */
  int fmt;
} daction;

typedef struct dentry {
  int is_use, pol;
  daction act;
  int n_rules;
  drule rules[MAX_RULES];
} dentry;

typedef struct dpolicy {
  int deleted, commas;
  int n;
  dentry e[MAX_ENTRIES];
} dpolicy;

typedef struct ddefine {
  int deleted, neg, fmt;
  uint64_t v;
} ddefine;

typedef struct dfile {
  const sf_arch *arch;
  /* n_targets > 1: compiled for these ABIs of one kernel (targets[0] is
   * arch, the native one); the policy is written for arch's table. */
  const sf_arch *targets[SF_MAX_TARGETS];
  int n_targets;
  uint32_t bad_arch;
  int n_defs, n_pols, n_top, n_nodes;
  ddefine defs[MAX_DEFS];
  dpolicy pols[MAX_POLS];
  dentry top[MAX_TOP];
  int has_default, default_pos, top_commas, comments;
  daction dflt;
  dexpr nodes[MAX_NODES];
} dfile;

static const char *const action_names[A_COUNT] = {
    "ALLOW", "LOG", "KILL", "KILL_THREAD", "DENY", "KILL_PROCESS",
    "USER_NOTIF", "ERRNO", "TRAP", "TRACE"};

static uint32_t action_value(const dfile *f, const daction *a) {
  uint32_t v = a->def >= 0 ? (uint32_t)f->defs[a->def].v : a->value;
  switch (a->kind) {
  case A_ALLOW: return SF_RET_ALLOW;
  case A_LOG: return SF_RET_LOG;
  case A_KILL:
  case A_KILL_THREAD:
  case A_DENY: return SF_RET_KILL_THREAD;
  case A_KILL_PROCESS: return SF_RET_KILL_PROCESS;
  case A_USER_NOTIF: return SF_RET_USER_NOTIF;
  case A_ERRNO: return SF_RET_ERRNO | v;
  case A_TRAP: return SF_RET_TRAP | v;
  default: return SF_RET_TRACE | v;
  }
}

/* ======================================================================
 * Printing the policy text.
 * ==================================================================== */

static const char *def_name(int i) {
  static char buf[MAX_DEFS][16];
  snprintf(buf[i], sizeof buf[i], "DT_K%d", i);
  return buf[i];
}

static void print_number(sbuf *b, uint64_t v, int neg, int fmt) {
  if (neg) {
    sb_printf(b, "-%" PRIu64, (uint64_t)0 - v);
    return;
  }
  switch (fmt) {
  case FMT_HEX: sb_printf(b, "0x%" PRIx64, v); break;
  case FMT_OCT:
    if (v) sb_printf(b, "0%" PRIo64, v);
    else sb_puts(b, "0");
    break;
  case FMT_BIN: {
    char tmp[70];
    int n = 0;
    uint64_t x = v;
    do {
      tmp[n++] = (char)('0' + (x & 1));
      x >>= 1;
    } while (x);
    sb_puts(b, "0b");
    while (n) sb_printf(b, "%c", tmp[--n]);
    break;
  }
  default: sb_printf(b, "%" PRIu64, v);
  }
}

static int prec_of(const dexpr *e) {
  switch (e->kind) {
  case E_COMMA: return 1;
  case E_OR: return 2;
  case E_AND: return 3;
  case E_NOT:
  case E_CMP: return 4;
  case E_BOR: return 5;
  case E_BAND: return 6;
  default: return 7;
  }
}

static void print_expr(sbuf *b, const dfile *f, int i, int minprec) {
  static const char *const cmp[] = {"==", "!=", "<", "<=", ">", ">="};
  const dexpr *e = &f->nodes[i];
  int p = prec_of(e);
  int par = e->paren || p < minprec;
  if (par) sb_puts(b, "(");
  switch (e->kind) {
  case E_NUM: print_number(b, e->v, e->neg, e->fmt); break;
  case E_CONST: sb_puts(b, def_name(e->idx)); break;
  case E_ARG: sb_puts(b, e->name); break;
  case E_NOT:
    sb_puts(b, "!");
    print_expr(b, f, e->l, 4);
    break;
  case E_CMP:
    print_expr(b, f, e->l, 5);
    sb_printf(b, " %s ", cmp[e->op]);
    print_expr(b, f, e->r, 5);
    break;
  default: {
    const char *op = e->kind == E_BAND ? " & " : e->kind == E_BOR ? " | "
                     : e->kind == E_AND ? " && " : e->kind == E_OR ? " || " : ", ";
    print_expr(b, f, e->l, p);
    sb_puts(b, op);
    print_expr(b, f, e->r, p + 1);
  }
  }
  if (par) sb_puts(b, ")");
}

static void print_action(sbuf *b, const daction *a) {
  sb_puts(b, action_names[a->kind]);
  if (a->kind < A_ERRNO) return;
  sb_puts(b, "(");
  if (a->def >= 0) sb_puts(b, def_name(a->def));
  else print_number(b, a->value, 0, a->fmt);
  sb_puts(b, ")");
}

static void print_rule(sbuf *b, const dfile *f, const drule *r) {
  switch (r->kind) {
  case R_NAME: sb_puts(b, r->name); break;
  case R_DEFNAME: sb_puts(b, def_name(r->def)); break;
  default:
    sb_puts(b, "SYSCALL[");
    print_number(b, r->num, r->neg, r->fmt);
    sb_puts(b, "]");
  }
  if (r->has_args) {
    sb_puts(b, "(");
    for (int i = 0; i < r->n_args; i++) sb_printf(b, "%s%s", i ? ", " : "", r->args[i]);
    sb_puts(b, ")");
  }
  if (r->n_guard == 1) {
    sb_printf(b, " ON %s", r->guard[0]->name);
  } else if (r->n_guard > 1) {
    sb_puts(b, " ON {");
    for (int i = 0; i < r->n_guard; i++)
      sb_printf(b, "%s%s", i ? ", " : " ", r->guard[i]->name);
    sb_puts(b, " }");
  }
  if (r->filter >= 0) {
    sb_puts(b, " { ");
    print_expr(b, f, r->filter, 0);
    sb_puts(b, " }");
  } else if (r->empty_filter) {
    sb_puts(b, " { }");
  }
}

static void print_entry(sbuf *b, const dfile *f, const dentry *e, const char *indent) {
  if (e->is_use) {
    sb_printf(b, "%sUSE pol%d", indent, e->pol);
    return;
  }
  sb_puts(b, indent);
  print_action(b, &e->act);
  if (!e->n_rules) {
    sb_puts(b, " { }");
    return;
  }
  sb_puts(b, " {\n");
  for (int i = 0; i < e->n_rules; i++) {
    sb_printf(b, "%s  ", indent);
    print_rule(b, f, &e->rules[i]);
    sb_puts(b, i + 1 < e->n_rules ? ",\n" : "\n");
  }
  sb_printf(b, "%s}", indent);
}

static void print_default(sbuf *b, const dfile *f) {
  sb_puts(b, "DEFAULT ");
  print_action(b, &f->dflt);
  sb_puts(b, "\n");
}

/* The whole text, malloc()ed. */
static char *print_file(const dfile *f) {
  sbuf b = {0};
  if (f->comments) sb_printf(&b, "// difftest policy for %s\n", f->arch->name);
  for (int i = 0; i < f->n_defs; i++) {
    const ddefine *d = &f->defs[i];
    if (d->deleted) continue;
    sb_printf(&b, "#define %s ", def_name(i));
    print_number(&b, d->v, d->neg, d->fmt);
    sb_puts(&b, "\n");
  }
  for (int i = 0; i < f->n_pols; i++) {
    const dpolicy *p = &f->pols[i];
    if (p->deleted) continue;
    sb_printf(&b, "POLICY pol%d {\n", i);
    for (int j = 0; j < p->n; j++) {
      print_entry(&b, f, &p->e[j], "  ");
      sb_puts(&b, j + 1 < p->n && p->commas ? ",\n" : "\n");
    }
    sb_puts(&b, "}\n");
    if (f->comments) sb_puts(&b, "/* end of policy **/\n");
  }
  for (int i = 0; i < f->n_top; i++) {
    if (f->has_default && f->default_pos == i) print_default(&b, f);
    print_entry(&b, f, &f->top[i], "");
    /* A comma only between entries that follow each other (DEFAULT in
     * between is a new top-level item). */
    int next_is_entry = i + 1 < f->n_top && !(f->has_default && f->default_pos == i + 1);
    sb_puts(&b, next_is_entry && f->top_commas ? ",\n" : "\n");
  }
  if (f->has_default && f->default_pos >= f->n_top) print_default(&b, f);
  if (!b.p) sb_puts(&b, "");
  return b.p;
}

/* ======================================================================
 * Generating random policies.
 * ==================================================================== */

static const char *const rename_pool[] = {
    "a", "b", "c", "d", "x", "y", "z", "fd", "buf", "count", "flags",
    "mode", "arg", "_p", "q1", "len", "addr", "size"};
#define N_RENAME (sizeof rename_pool / sizeof rename_pool[0])

/* Syscalls whose real execution is harmless (kernel sampling favours them). */
static const char *const harmless_names[] = {"getpid", "getppid", "gettid",
                                             "getpgrp"};
#define N_HARMLESS (sizeof harmless_names / sizeof harmless_names[0])
static const char *const kafel_aliases[] = {"newstat", "newfstat", "newlstat",
                                            "newuname", "sendfile64", "umount",
                                            "sysctl"};
#define N_ALIASES (sizeof kafel_aliases / sizeof kafel_aliases[0])

/* A syscall reference: what a rule may name. */
typedef struct sysref {
  int kind;           /* R_NAME, R_CUSTOM, R_DEFNAME */
  const char *name;
  const sf_syscall *sys;
  uint64_t num;
  int neg, fmt, def;
} sysref;

typedef struct gen {
  rng *r;
  dfile *f;
  sysref pool[MAX_POOL];
  int n_pool;
  int big; /* a large policy: long programs, far jumps */
} gen;

static int new_node(dfile *f, ekind kind) {
  if (f->n_nodes >= MAX_NODES) abort(); /* the generator keeps a margin */
  dexpr *e = &f->nodes[f->n_nodes];
  memset(e, 0, sizeof *e);
  e->kind = kind;
  e->l = e->r = -1;
  return f->n_nodes++;
}

static int pick_fmt(rng *r, uint64_t v) {
  uint32_t k = below(r, 10);
  if (k < 5) return FMT_DEC;
  if (k < 8) return FMT_HEX;
  if (k < 9) return FMT_OCT;
  return v < (1u << 20) ? FMT_BIN : FMT_HEX;
}

/* A constant; *neg set when it is to be written as a negative decimal. */
static uint64_t gen_const(rng *r, int *neg) {
  static const uint64_t pool[] = {
      0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
      0x100000000ULL, 0x1ffffffffULL, 0xffffffff00000000ULL, ~0ULL,
      0x8000000000000000ULL, 0x7fffffffffffffffULL, 0xffffffff80000000ULL};
  *neg = 0;
  switch (below(r, 11)) {
  case 0:
  case 1: return below(r, 8);
  case 2: return (uint64_t)1 << below(r, 64);
  case 3: return ((uint64_t)1 << below(r, 64)) - 1;
  case 4: return pool[below(r, sizeof pool / sizeof pool[0])];
  case 5: {
    static const uint64_t negs[] = {1, 2, 100, 4096, 0x80000000ULL};
    *neg = 1;
    return (uint64_t)0 - (one_in(r, 2) ? negs[below(r, 5)] : 1 + below(r, 70000));
  }
  case 6: return rnd(r);
  case 7: return rnd(r) & 0xffffffffu;
  case 8: return rnd(r) & 0xffff;
  case 9: return (rnd(r) & 0xffffffff00000000ULL) | below(r, 4);
  default: return below(r, 256);
  }
}

static int add_define(gen *g, uint64_t v, int neg) {
  dfile *f = g->f;
  if (f->n_defs >= MAX_DEFS) return -1;
  ddefine *d = &f->defs[f->n_defs];
  d->deleted = 0;
  d->v = v;
  d->neg = neg;
  d->fmt = neg ? FMT_DEC : pick_fmt(g->r, v);
  return f->n_defs++;
}

/* Arguments a rule's filter may use: count, and how index i is written. */
typedef struct argset {
  int n;
  const char *names[SF_MAX_ARGS][2]; /* name, alias (or NULL) */
} argset;

/* Index an argument NAME means, following the resolver's rule: a real name
 * first, then Kafel's alias. */
static int lookup_name(const argset *as, const char *name) {
  for (int i = 0; i < as->n; i++)
    if (as->names[i][0] && strcmp(as->names[i][0], name) == 0) return i;
  for (int i = 0; i < as->n; i++)
    if (as->names[i][1] && strcmp(as->names[i][1], name) == 0) return i;
  return -1;
}

static void rule_args(const drule *r, argset *as) {
  memset(as, 0, sizeof *as);
  if (r->has_args) {
    as->n = r->n_args;
    for (int i = 0; i < r->n_args; i++) as->names[i][0] = r->args[i];
    return;
  }
  if (!r->sys || r->sys->nargs <= 0) return;
  as->n = r->sys->nargs;
  for (int i = 0; i < as->n; i++) {
    as->names[i][0] = r->sys->args[i].name;
    as->names[i][1] = r->sys->args[i].alias;
  }
}

/* Kernel width of argument I of rule R (the resolver's build_args). */
static int arg_bits(const drule *r, int i) {
  int nargs = r->sys ? r->sys->nargs : -1;
  int bits = i < nargs ? r->sys->args[i].bits : 64;
  if (r->table_arch->bits == 32 && bits > 32) bits = 32;
  return bits;
}

static int gen_val(gen *g, const argset *as, int depth, int want_arg) {
  rng *r = g->r;
  dfile *f = g->f;
  uint32_t k = below(r, depth > 0 ? 12 : 9);
  if (want_arg && as->n && k < 4) k = 4;
  if (k < 4 || !as->n) {
    int defs_ok = f->n_defs > 0 && one_in(r, 4);
    if (defs_ok) {
      int i = new_node(f, E_CONST);
      f->nodes[i].idx = (int)below(r, (uint32_t)f->n_defs);
      return i;
    }
    int i = new_node(f, E_NUM);
    dexpr *e = &f->nodes[i];
    e->v = gen_const(r, &e->neg);
    e->fmt = e->neg ? FMT_DEC : pick_fmt(r, e->v);
    return i;
  }
  if (k < 9) {
    int i = new_node(f, E_ARG);
    dexpr *e = &f->nodes[i];
    int a = (int)below(r, (uint32_t)as->n);
    const char *name = as->names[a][0];
    if (as->names[a][1] && one_in(r, 3)) name = as->names[a][1];
    e->name = name;
    e->idx = lookup_name(as, name);
    return i;
  }
  ekind kind = k < 11 ? E_BAND : E_BOR;
  int l = gen_val(g, as, depth - 1, want_arg);
  int rr = gen_val(g, as, depth - 1, 0);
  int i = new_node(f, kind);
  f->nodes[i].l = l;
  f->nodes[i].r = rr;
  f->nodes[i].paren = one_in(r, 6);
  return i;
}

static int gen_cmp(gen *g, const argset *as) {
  rng *r = g->r;
  dfile *f = g->f;
  int l, rr;
  switch (below(r, 6)) {
  case 0: /* (arg & mask) op k */
  case 1: {
    int a = gen_val(g, as, 0, 1);
    int m = gen_val(g, as, 0, 0);
    l = new_node(f, E_BAND);
    f->nodes[l].l = a;
    f->nodes[l].r = m;
    rr = gen_val(g, as, 0, 0);
    break;
  }
  case 2: /* arg op arg */
    l = gen_val(g, as, 1, 1);
    rr = gen_val(g, as, 1, 1);
    break;
  default:
    l = gen_val(g, as, below(r, 3), 1);
    rr = gen_val(g, as, below(r, 2), 0);
  }
  if (one_in(r, 3)) {
    int t = l;
    l = rr;
    rr = t;
  }
  int i = new_node(f, E_CMP);
  f->nodes[i].op = (int)below(r, 6);
  f->nodes[i].l = l;
  f->nodes[i].r = rr;
  f->nodes[i].paren = one_in(r, 8);
  return i;
}

static int gen_cond(gen *g, const argset *as, int depth) {
  rng *r = g->r;
  dfile *f = g->f;
  uint32_t k = below(r, depth > 0 ? 12 : 5);
  if (k < 5) return gen_cmp(g, as);
  if (k < 7) {
    int a = gen_cond(g, as, depth - 1);
    int i = new_node(f, E_NOT);
    f->nodes[i].l = a;
    f->nodes[i].paren = one_in(r, 8);
    return i;
  }
  ekind kind = k < 9 ? E_AND : k < 11 ? E_OR : E_COMMA;
  int a = gen_cond(g, as, depth - 1);
  int b = gen_cond(g, as, depth - 1);
  int i = new_node(f, kind);
  f->nodes[i].l = a;
  f->nodes[i].r = b;
  f->nodes[i].paren = one_in(r, 6);
  return i;
}

/* A syscall of ARCH with a known signature, at random. */
static const sf_syscall *random_sys(rng *r, const sf_arch *arch) {
  for (;;) {
    const sf_syscall *s = &arch->syscalls[below(r, (uint32_t)arch->n_syscalls)];
    if (s->nargs >= 0 || one_in(r, 4)) return s;
  }
}

static int is_target(const dfile *f, const sf_arch *a) {
  for (int i = 0; i < f->n_targets; i++)
    if (f->targets[i] == a) return 1;
  return 0;
}

static int same_str(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Can a rule name SC (of F's own table) for every target?  A policy for
 * several ABIs uses one syscall's argument names on each, so they must
 * be the same wherever the syscall exists (ppc's futimesat calls its third
 * argument t, ppc64's utimes; i386's mmap has one, "arg"). */
static int fits_targets(const dfile *f, const char *name, const sf_syscall *sc) {
  for (int t = 1; t < f->n_targets; t++) {
    const sf_syscall *o = sf_syscall_by_name(f->targets[t], name);
    if (!o) continue; /* missing there: a note, the rule is left out */
    if (o->nargs != sc->nargs) return 0;
    for (int i = 0; i < sc->nargs; i++)
      if (!same_str(o->args[i].name, sc->args[i].name) ||
          !same_str(o->args[i].alias, sc->args[i].alias))
        return 0;
  }
  return 1;
}

/* random_sys, one that fits every target (fits_targets). */
static const sf_syscall *random_sys_fit(rng *r, const dfile *f) {
  for (;;) {
    const sf_syscall *s = random_sys(r, f->arch);
    if (fits_targets(f, s->name, s)) return s;
  }
}

static void gen_sysref(gen *g, sysref *s) {
  rng *r = g->r;
  const sf_arch *arch = g->f->arch;
  memset(s, 0, sizeof *s);
  s->def = -1;
  uint32_t k = below(r, 16);
  if (k < 4) { /* a harmless one (kernel sampling), when it exists */
    const char *n = harmless_names[below(r, N_HARMLESS)];
    const sf_syscall *sys = sf_syscall_by_name(arch, n);
    if (sys && fits_targets(g->f, n, sys)) {
      s->kind = R_NAME;
      s->name = n;
      s->sys = sys;
      return;
    }
  }
  if (k == 4) { /* a Kafel alias */
    const char *n = kafel_aliases[below(r, N_ALIASES)];
    const sf_syscall *sys = sf_syscall_by_name(arch, n);
    if (sys && fits_targets(g->f, n, sys)) {
      s->kind = R_NAME;
      s->name = n;
      s->sys = sys;
      return;
    }
  }
  if (k == 5 || k == 6) { /* SYSCALL[n] */
    static const uint64_t nums[] = {1000, 0x3ff, 0xffffffff, 0x7fffffff,
                                    0x40000000, 0x40000027, 0x3fffffff, 0};
    s->kind = R_CUSTOM;
    switch (below(r, 4)) {
    case 0: s->num = (uint64_t)0 - 1; s->neg = 1; break;
    case 1: s->num = nums[below(r, sizeof nums / sizeof nums[0])]; break;
    case 2: s->num = random_sys(r, arch)->nr; break; /* same as a named one */
    default: s->num = below(r, 1100);
    }
    s->fmt = s->neg ? FMT_DEC : one_in(r, 3) ? FMT_HEX : FMT_DEC;
    return;
  }
  if (k == 7 && g->f->n_defs < MAX_DEFS) { /* #define'd number */
    int neg = one_in(r, 3);
    uint64_t v = neg ? (uint64_t)0 - 1 - below(r, 2) : random_sys(r, arch)->nr;
    if (!neg && one_in(r, 3)) v = 1000 + below(r, 10);
    s->kind = R_DEFNAME;
    s->def = add_define(g, v, neg);
    return;
  }
  s->kind = R_NAME;
  s->sys = random_sys_fit(r, g->f);
  s->name = s->sys->name;
}

static int pick_arch_other(rng *r, const sf_arch *not_this, const sf_arch **out) {
  size_t n;
  const sf_arch *const *all = sf_arch_all(&n);
  for (int tries = 0; tries < 20; tries++) {
    const sf_arch *a = all[below(r, (uint32_t)n)];
    if (a != not_this) {
      *out = a;
      return 1;
    }
  }
  return 0;
}

static void gen_rule(gen *g, drule *d) {
  rng *r = g->r;
  dfile *f = g->f;
  memset(d, 0, sizeof *d);
  d->filter = -1;
  d->table_arch = f->arch;
  sysref s;
  if (g->n_pool && (g->big ? one_in(r, 4) : !one_in(r, 8))) s = g->pool[below(r, (uint32_t)g->n_pool)];
  else gen_sysref(g, &s);
  /* ON guards: with the target (the rule applies), or without it (then the
   * rule names a syscall of the guard's first arch, whose argument names
   * apply). */
  uint32_t gk = below(r, 12);
  if (gk == 0 || gk == 1) {
    const sf_arch *others[MAX_GUARD];
    int n = 1 + (int)below(r, MAX_GUARD);
    int pos = (int)below(r, (uint32_t)n);
    int k = 0;
    for (int i = 0; i < n; i++) {
      const sf_arch *a = f->arch;
      if (i != pos) {
        if (!pick_arch_other(r, f->arch, &a)) continue;
        int dup = 0;
        for (int j = 0; j < k; j++) dup |= others[j] == a;
        if (dup) continue;
      }
      others[k++] = a;
    }
    for (int i = 0; i < k; i++) d->guard[i] = others[i];
    d->n_guard = k;
  } else if (gk == 2) {
    const sf_arch *ga;
    if (pick_arch_other(r, f->arch, &ga)) {
      d->guard[0] = ga;
      d->n_guard = 1;
      const sf_arch *gb;
      /* Several targets: the names of GA's table for GA alone. */
      if (one_in(r, 2) && pick_arch_other(r, f->arch, &gb) && gb != ga &&
          !is_target(f, ga) && !is_target(f, gb))
        d->guard[d->n_guard++] = gb;
      const sf_syscall *sys = random_sys(r, ga);
      s.kind = R_NAME;
      s.sys = sys;
      s.name = sys->name;
      d->table_arch = ga;
    }
  }
  d->kind = s.kind;
  d->name = s.name;
  d->def = s.def;
  d->num = s.num;
  d->neg = s.neg;
  d->fmt = s.fmt;
  d->sys = s.kind == R_NAME ? s.sys : NULL;
  /* Renamed arguments: always for syscalls without names. */
  int nargs = d->sys ? d->sys->nargs : -1;
  if (nargs < 0 ? !one_in(r, 4) : nargs == 0 ? !one_in(r, 4) : one_in(r, 5)) {
    d->has_args = 1;
    int want = nargs > 0 ? nargs : 3;
    d->n_args = (int)below(r, (uint32_t)want + 2);
    if (!d->n_args && !one_in(r, 4)) d->n_args = 1 + (int)below(r, 3);
    if (d->n_args > SF_MAX_ARGS) d->n_args = SF_MAX_ARGS;
    for (int i = 0; i < d->n_args; i++) {
      for (;;) {
        const char *n = rename_pool[below(r, N_RENAME)];
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= strcmp(d->args[j], n) == 0;
        if (!dup) {
          d->args[i] = n;
          break;
        }
      }
    }
  }
  argset as;
  rule_args(d, &as);
  if (f->n_nodes > MAX_NODES - 300) return;
  uint32_t fk = g->big ? 2 : below(r, 16);
  if (fk == 0) d->empty_filter = 1;
  else if (as.n ? fk < 14 : fk == 1)
    d->filter = gen_cond(g, &as, g->big ? 1 + (int)below(r, 3) : (int)below(r, 4));
}

static void gen_action(gen *g, daction *a) {
  rng *r = g->r;
  dfile *f = g->f;
  memset(a, 0, sizeof *a);
  a->def = -1;
  static const int kinds[] = {A_ALLOW, A_ALLOW, A_ALLOW, A_LOG, A_KILL,
                              A_KILL_THREAD, A_DENY, A_KILL_PROCESS,
                              A_KILL_PROCESS, A_USER_NOTIF, A_ERRNO, A_ERRNO,
                              A_ERRNO, A_ERRNO, A_TRAP, A_TRAP, A_TRACE};
  a->kind = kinds[below(r, sizeof kinds / sizeof kinds[0])];
  if (a->kind < A_ERRNO) return;
  switch (below(r, 8)) {
  case 0: a->value = 0; break;
  case 1: a->value = 4095 + below(r, 3); break;
  case 2: a->value = below(r, 65536); break;
  case 3: a->value = 65535; break;
  default: a->value = 1 + below(r, 40);
  }
  a->fmt = one_in(r, 4) ? FMT_HEX : FMT_DEC;
  if (one_in(r, 5) && f->n_defs < MAX_DEFS) {
    /* Reuse a define that fits, or make one. */
    for (int i = 0; i < f->n_defs; i++)
      if (!f->defs[i].neg && f->defs[i].v <= 0xffff && one_in(r, 2)) {
        a->def = i;
        return;
      }
    a->def = add_define(g, a->value, 0);
  }
}

static void gen_entry(gen *g, dentry *e, int n_pols_before) {
  rng *r = g->r;
  memset(e, 0, sizeof *e);
  if (n_pols_before > 0 && one_in(r, 4)) {
    e->is_use = 1;
    e->pol = (int)below(r, (uint32_t)n_pols_before);
    return;
  }
  gen_action(g, &e->act);
  e->n_rules = g->big ? MAX_RULES - (int)below(r, 3)
             : one_in(r, 12) ? 0 : 1 + (int)below(r, 4);
  for (int i = 0; i < e->n_rules; i++) gen_rule(g, &e->rules[i]);
}

static const char *const main_arches[] = {"x86_64", "i386", "aarch64",
                                          "s390x", "x32", "mips"};

/* The ABIs one kernel runs together (src/arch/arch.c, kernel_families). */
static const char *const families[][3] = {
    {"x86_64", "i386", "x32"},  {"aarch64", "arm", NULL},
    {"mips64", "mips", "mips64n32"}, {"mips64el", "mipsel", "mips64n32el"},
    {"ppc64", "ppc", NULL},     {"parisc64", "parisc", NULL},
    {"s390x", "s390", NULL}};
#define N_FAMILIES (sizeof families / sizeof families[0])

/* Two or three ABIs of one family in a random order; x86_64's family, with
 * the most to get wrong (x32's numbers in x86_64's section), half the time. */
static void pick_targets(dfile *f, rng *r) {
  size_t fam = one_in(r, 2) ? 0 : below(r, N_FAMILIES);
  const sf_arch *abis[3];
  int n = 0;
  for (int i = 0; i < 3; i++)
    if (families[fam][i]) abis[n++] = sf_arch_by_name(families[fam][i]);
  for (int i = n - 1; i > 0; i--) { /* shuffle */
    int j = (int)below(r, (uint32_t)i + 1);
    const sf_arch *t = abis[i];
    abis[i] = abis[j];
    abis[j] = t;
  }
  f->n_targets = n == 3 && one_in(r, 3) ? 2 : n;
  for (int i = 0; i < f->n_targets; i++) f->targets[i] = abis[i];
  f->arch = f->targets[0];
}

static void gen_file(dfile *f, rng *r, int force_x86_64, int multi) {
  memset(f, 0, offsetof(dfile, nodes));
  f->n_nodes = 0;
  gen g = {r, f, {{0}}, 0, 0};
  if (multi) {
    pick_targets(f, r);
  } else if (force_x86_64) {
    f->arch = sf_arch_by_name("x86_64");
  } else if (one_in(r, 8)) {
    size_t n;
    const sf_arch *const *all = sf_arch_all(&n);
    f->arch = all[below(r, (uint32_t)n)];
  } else {
    f->arch = sf_arch_by_name(main_arches[below(r, 6)]);
  }
  static const uint32_t bad[] = {SF_RET_KILL_PROCESS, SF_RET_KILL_THREAD,
                                 SF_RET_ERRNO | 1, SF_RET_TRAP | 9, SF_RET_ALLOW};
  f->bad_arch = one_in(r, 2) ? SF_RET_KILL_PROCESS : bad[below(r, 5)];
  f->top_commas = one_in(r, 2);
  f->comments = one_in(r, 4);
  int n_defs = (int)below(r, 5);
  for (int i = 0; i < n_defs; i++) {
    int neg;
    uint64_t v = gen_const(r, &neg);
    add_define(&g, v, neg);
  }
  g.big = one_in(r, 40);
  g.n_pool = g.big ? MAX_POOL : 1 + (int)below(r, 7);
  for (int i = 0; i < g.n_pool; i++) gen_sysref(&g, &g.pool[i]);
  f->n_pols = g.big ? MAX_POLS - 1 : (int)below(r, MAX_POLS);
  for (int i = 0; i < f->n_pols; i++) {
    dpolicy *p = &f->pols[i];
    p->commas = !one_in(r, 4);
    p->n = g.big ? MAX_ENTRIES : (int)below(r, 4);
    for (int j = 0; j < p->n; j++) gen_entry(&g, &p->e[j], i);
  }
  f->n_top = g.big ? MAX_TOP : 1 + (int)below(r, 5);
  for (int i = 0; i < f->n_top; i++) gen_entry(&g, &f->top[i], f->n_pols);
  f->has_default = !one_in(r, 5);
  f->default_pos = (int)below(r, (uint32_t)f->n_top + 1);
  if (f->has_default) gen_action(&g, &f->dflt);
}

/* ======================================================================
 * The independent evaluator of the generated tree (README's semantics).
 * ==================================================================== */

static uint64_t mask_of(int bits) {
  return bits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << bits) - 1;
}

/* The widest argument in expression I (0 if it has none). */
static int scan_cmp(const dfile *f, const drule *r, int i) {
  const dexpr *e = &f->nodes[i];
  if (e->kind == E_ARG) return arg_bits(r, e->idx);
  if (e->kind != E_BAND && e->kind != E_BOR) return 0;
  int a = scan_cmp(f, r, e->l), b = scan_cmp(f, r, e->r);
  return a > b ? a : b;
}

/* A constant in a comparison of width W (its widest argument; 64 without
 * arguments): a negative constant that fits in W bits signed means its
 * two's complement at that width ("dfd == -100 on an int matches
 * 0xffffff9c", "mode == -2 on a 16-bit umode_t matches 0xfffe"). */
static uint64_t const_at(uint64_t k, int w) {
  if (w >= 64 || k <= mask_of(w)) return k;
  uint64_t sign = ~(uint64_t)0 << (w - 1);
  return (k & sign) == sign ? k & mask_of(w) : k;
}

static uint64_t eval_val(const dfile *f, const drule *r, int i, int w,
                         const uint64_t *args) {
  const dexpr *e = &f->nodes[i];
  switch (e->kind) {
  case E_NUM: return const_at(e->v, w);
  case E_CONST: return const_at(f->defs[e->idx].v, w);
  case E_ARG: return args[e->idx] & mask_of(arg_bits(r, e->idx));
  case E_BAND: return eval_val(f, r, e->l, w, args) & eval_val(f, r, e->r, w, args);
  default: return eval_val(f, r, e->l, w, args) | eval_val(f, r, e->r, w, args);
  }
}

static int eval_cond(const dfile *f, const drule *r, int i, const uint64_t *args) {
  const dexpr *e = &f->nodes[i];
  switch (e->kind) {
  case E_CMP: {
    int wl = scan_cmp(f, r, e->l), wr = scan_cmp(f, r, e->r);
    int w = wl > wr ? wl : wr;
    if (w == 0) w = 64;
    uint64_t a = eval_val(f, r, e->l, w, args), b = eval_val(f, r, e->r, w, args);
    switch (e->op) {
    case CMP_EQ: return a == b;
    case CMP_NE: return a != b;
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    default: return a >= b;
    }
  }
  case E_NOT: return !eval_cond(f, r, e->l, args);
  case E_AND: return eval_cond(f, r, e->l, args) && eval_cond(f, r, e->r, args);
  default: return eval_cond(f, r, e->l, args) || eval_cond(f, r, e->r, args);
  }
}

static int rule_applies(const dfile *f, const drule *r) {
  if (!r->n_guard) return 1;
  for (int i = 0; i < r->n_guard; i++)
    if (r->guard[i] == f->arch) return 1;
  return 0;
}

static uint32_t rule_nr(const dfile *f, const drule *r) {
  switch (r->kind) {
  case R_NAME: return r->sys->nr;
  case R_DEFNAME: return (uint32_t)f->defs[r->def].v;
  default: return (uint32_t)r->num;
  }
}

/* 1 and *action set if an entry list decides the call. */
static int eval_entries(const dfile *f, const dentry *es, int n, const sf_query *c,
                        uint32_t *action, int depth) {
  for (int i = 0; i < n; i++) {
    const dentry *e = &es[i];
    if (e->is_use) {
      if (depth < 8 && eval_entries(f, f->pols[e->pol].e, f->pols[e->pol].n, c,
                                    action, depth + 1))
        return 1;
      continue;
    }
    for (int j = 0; j < e->n_rules; j++) {
      const drule *r = &e->rules[j];
      if (!rule_applies(f, r) || rule_nr(f, r) != c->nr) continue;
      if (r->filter < 0 || eval_cond(f, r, r->filter, c->args)) {
        *action = action_value(f, &e->act);
        return 1;
      }
    }
  }
  return 0;
}

/* Calls of a multiplexer (socketcall, ipc) get rules derived from the
 * policy's rules for the direct syscalls (src/sema/derive.c), which the
 * policy tree does not spell out: the tree check leaves them to the
 * simulator-vs-oracle checks and to derive's own tests (check_cli). */
static int multiplexed(const dfile *f, const sf_query *c) {
  static const char *const names[] = {"socketcall", "ipc"};
  for (size_t i = 0; i < 2; i++) {
    const sf_syscall *s = sf_syscall_by_name(f->arch, names[i]);
    if (s && s->nr == c->nr && c->arch == f->arch->audit_arch) return 1;
  }
  return 0;
}

static uint32_t tree_decide(const dfile *f, const sf_query *c) {
  if (c->arch != f->arch->audit_arch || sf_arch_nr_is_foreign(f->arch, c->nr))
    return f->bad_arch;
  uint32_t a;
  if (eval_entries(f, f->top, f->n_top, c, &a, 0)) return a;
  return f->has_default ? action_value(f, &f->dflt) : SF_RET_KILL_THREAD;
}

/* ======================================================================
 * Compiling through the pipeline.
 * ==================================================================== */

enum { C_OK, C_TOO_LONG, C_ERROR, C_INVALID };

typedef struct compiled {
  int status;
  const sf_ruleset *rs;          /* in the context's arena; the native one */
  const sf_ruleset *rss[SF_MAX_TARGETS]; /* every target's (rss[0] == rs) */
  size_t n_rs;
  struct sock_filter *insns;     /* malloc()ed */
  size_t len;
  struct sock_filter *insns0;    /* the same at -O0 (NULL if too long) */
  size_t len0;
  size_t warnings;
  char why[256];                 /* C_INVALID */
} compiled;

static void compiled_free(compiled *c) {
  free(c->insns);
  free(c->insns0);
  c->insns = c->insns0 = NULL;
}

/* The steps of sysfence_compile (api.c), keeping the rule set. */
static compiled compile_ctx(sysfence_ctx *ctx) {
  compiled c;
  memset(&c, 0, sizeof c);
  c.status = C_ERROR;
  const ast_file *file;
  c.n_rs = sf_front_end_targets(ctx, &file, c.rss);
  c.rs = c.n_rs ? c.rss[0] : NULL;
  c.warnings = ctx->n_warnings;
  if (!c.rs) return c;
  if (sf_codegen_targets(ctx, c.rss, c.n_rs, &c.insns, &c.len) != 0) {
    free(c.insns);
    c.insns = NULL;
    c.status = strstr(sysfence_diag_text(ctx), "4096") ? C_TOO_LONG : C_ERROR;
    return c;
  }
  if (sf_bpf_validate(c.insns, c.len, c.why, sizeof c.why) != 0) {
    c.status = C_INVALID;
    return c;
  }
  /* The straightforward code of -O0, held to the same decisions (it may
   * alone exceed the limit: then it is not compared). */
  int level = ctx->opt_level;
  ctx->opt_level = 0;
  if (sf_codegen_targets(ctx, c.rss, c.n_rs, &c.insns0, &c.len0) != 0) {
    free(c.insns0);
    c.insns0 = NULL;
  } else if (sf_bpf_validate(c.insns0, c.len0, c.why, sizeof c.why) != 0) {
    ctx->opt_level = level;
    c.status = C_INVALID;
    return c;
  }
  ctx->opt_level = level;
  c.status = C_OK;
  return c;
}

static compiled compile_text(sysfence_ctx *ctx, const dfile *f, const char *text) {
  sysfence_set_input_string(ctx, "difftest.policy", text);
  if (f->n_targets > 1) {
    char list[128] = "";
    for (int i = 0; i < f->n_targets; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "",
               f->targets[i]->name);
    if (sysfence_set_arches(ctx, list, NULL, 0) != SYSFENCE_OK) abort();
  } else {
    sysfence_set_arch(ctx, f->arch->name);
  }
  sysfence_set_bad_arch_action(ctx, f->bad_arch);
  return compile_ctx(ctx);
}

#define DIFF_O0_DISAGREES 0xdeadbeefU

/* The reference decision: one rule set's, or the targets' together. */
static uint32_t oracle_decide(const compiled *c, const sf_query *call) {
  return c->n_rs == 1 ? sf_ruleset_decide(c->rs, call, NULL)
                      : sf_targets_decide(c->rss, c->n_rs, call, NULL);
}

static uint32_t sim_decide(const compiled *c, const sf_query *call) {
  sf_seccomp_data d;
  memset(&d, 0, sizeof d);
  d.nr = call->nr;
  d.arch = call->arch;
  d.ip = 0x7f0012345678ULL;
  memcpy(d.args, call->args, sizeof d.args);
  uint32_t act = sf_bpf_run(c->insns, c->len, c->rs->arch, &d, NULL);
  /* -O0 and -O1 must agree; a disagreement shows as this value, which no
   * policy action has, so it is reported like any other difference. */
  if (c->insns0 && sf_bpf_run(c->insns0, c->len0, c->rs->arch, &d, NULL) != act)
    return DIFF_O0_DISAGREES;
  return act;
}

/* ======================================================================
 * The kernel (x86_64 hosts): install the program in a forked child and make
 * a syscall whose real execution is harmless; every action is observable.
 * ==================================================================== */

enum { K_RET, K_TRAP, K_KILLED, K_LOAD_FAILED, K_HANG };

typedef struct kout {
  int kind;
  int cls;   /* K_RET: -1 error, 0 zero, 1 positive */
  int err;   /* K_RET with cls -1 */
  int data;  /* K_TRAP: si_errno; K_KILLED: signal */
} kout;

typedef struct kshared {
  volatile int reported;
  volatile long ret;
  volatile int err, sigsys, data;
} kshared;

static kshared *k_shared;

static void k_on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  k_shared->data = si->si_errno;
  k_shared->sigsys = 1;
  k_shared->reported = 1;
  for (;;) {
  } /* no syscall: the filter may refuse them all; the parent kills us */
}

static int kout_eq(const kout *a, const kout *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case K_RET: return a->cls == b->cls && (a->cls != -1 || a->err == b->err);
  case K_TRAP:
  case K_KILLED: return a->data == b->data;
  default: return 1;
  }
}

static void kout_str(const kout *o, char *buf, size_t n) {
  switch (o->kind) {
  case K_RET:
    if (o->cls == -1) snprintf(buf, n, "returned -1, errno %d", o->err);
    else snprintf(buf, n, "returned %s", o->cls ? "a positive value (ran)" : "0");
    break;
  case K_TRAP: snprintf(buf, n, "SIGSYS caught, si_errno %d", o->data); break;
  case K_KILLED: snprintf(buf, n, "killed by signal %d", o->data); break;
  case K_LOAD_FAILED: snprintf(buf, n, "the kernel refused the program"); break;
  default: snprintf(buf, n, "hung");
  }
}

static kout kernel_run(const struct sock_filter *insns, size_t len, long nr,
                       const uint64_t args[6]) {
  kout o = {K_HANG, 0, 0, 0};
  kshared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) abort();
  memset((void *)sh, 0, sizeof *sh);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    k_shared = sh;
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = k_on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    struct sock_fprog p = {(unsigned short)len, (struct sock_filter *)insns};
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(101);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) != 0) _exit(102);
    errno = 0;
    long ret = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    sh->ret = ret;
    sh->err = ret == -1 ? errno : 0;
    sh->reported = 1;
    for (;;) {
    }
  }
  double deadline = now_seconds() + 10;
  int st = 0, done = 0;
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      done = 1;
      break;
    }
    if (sh->reported) break;
    if (now_seconds() > deadline) break;
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
  }
  if (!done) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  if (sh->reported) {
    if (sh->sigsys) {
      o.kind = K_TRAP;
      o.data = sh->data;
    } else {
      o.kind = K_RET;
      o.cls = sh->ret == -1 ? -1 : sh->ret == 0 ? 0 : 1;
      o.err = sh->err;
    }
  } else if (done && WIFSIGNALED(st)) {
    o.kind = K_KILLED;
    o.data = WTERMSIG(st);
  } else if (done && WIFEXITED(st) && (WEXITSTATUS(st) == 101 || WEXITSTATUS(st) == 102)) {
    o.kind = K_LOAD_FAILED;
  }
  munmap((void *)sh, sizeof *sh);
  return o;
}

/* Numbers the kernel samples use, and what each does when allowed. */
#define X32_BIT 0x40000000u
static const long kernel_nrs[] = {39 /* getpid */, 110 /* getppid */,
                                  186 /* gettid */, 111 /* getpgrp */,
                                  1000, -1, X32_BIT | 39, 0x3ff};
#define N_KERNEL_NRS (sizeof kernel_nrs / sizeof kernel_nrs[0])
static kout allowed_outcome[N_KERNEL_NRS];
static int kernel_state; /* 0 unknown, 1 usable, -1 skipped */
static const char *kernel_skip_why; /* why it was skipped */

static int kernel_init(FILE *out) {
  if (kernel_state) return kernel_state > 0;
  const sf_arch *host = sf_arch_host();
  const char *why = NULL;
  if (!host || strcmp(host->name, "x86_64") != 0) {
    why = "the host is not x86_64";
  } else {
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    uint64_t z[6] = {0};
    for (size_t i = 0; i < N_KERNEL_NRS && !why; i++) {
      allowed_outcome[i] = kernel_run(&allow, 1, kernel_nrs[i], z);
      if (allowed_outcome[i].kind == K_LOAD_FAILED)
        why = "seccomp filters cannot be installed here";
      else if (allowed_outcome[i].kind != K_RET)
        why = "a harmless syscall misbehaves under an ALLOW filter";
    }
  }
  if (why) {
    fprintf(out, "\n*** difftest: kernel comparison SKIPPED: %s ***\n\n", why);
    kernel_state = -1;
    kernel_skip_why = why;
    return 0;
  }
  kernel_state = 1;
  return 1;
}

static size_t kernel_index(uint32_t nr) {
  for (size_t i = 0; i < N_KERNEL_NRS; i++)
    if ((uint32_t)kernel_nrs[i] == nr) return i;
  return 0;
}

/* What the kernel must do for ACTION on kernel number index KI. */
static kout predict(uint32_t action, size_t ki) {
  kout o = {K_RET, 0, 0, 0};
  uint32_t data = action & SF_RET_DATA;
  switch (action & SF_RET_ACTION_FULL) {
  case SF_RET_KILL_PROCESS:
  case SF_RET_KILL_THREAD: o.kind = K_KILLED; o.data = SIGSYS; break;
  case SF_RET_TRAP: o.kind = K_TRAP; o.data = (int)data; break;
  case SF_RET_ERRNO:
    if (data > 4095) data = 4095;
    o.cls = data ? -1 : 0;
    o.err = (int)data;
    break;
  case SF_RET_TRACE:
  case SF_RET_USER_NOTIF: o.cls = -1; o.err = ENOSYS; break;
  case SF_RET_LOG:
  case SF_RET_ALLOW: o = allowed_outcome[ki]; break;
  default: o.kind = K_KILLED; o.data = SIGSYS; /* unknown: KILL_PROCESS */
  }
  return o;
}

/* ======================================================================
 * Calls.
 * ==================================================================== */

enum { MAX_VALS = 320 };

typedef struct valset {
  uint64_t v[MAX_VALS];
  size_t n;
} valset;

static void vals_add(valset *s, uint64_t v) {
  if (s->n < MAX_VALS) s->v[s->n++] = v;
}

static void vals_around(valset *s, uint64_t c) {
  vals_add(s, c);
  vals_add(s, c + 1);
  vals_add(s, c - 1);
  vals_add(s, c ^ 0x100000000ULL);
  vals_add(s, c & 0xffffffffu);
  vals_add(s, c | 0xffffffff00000000ULL);
  vals_add(s, c & 0xffffffff00000000ULL);
  vals_add(s, ~c);
}

static void vals_fixed(valset *s) {
  static const uint64_t fixed[] = {0, 1, 2, 0xffff, 0x10000, 0x7fffffff,
                                   0x80000000, 0xffffffff, 0x100000000ULL,
                                   ~0ULL, 0x8000000000000000ULL,
                                   0xffffffff00000000ULL, 0xffffffff80000000ULL};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) vals_add(s, fixed[i]);
}

static void vals_from_val(valset *s, const sf_val *v) {
  switch (v->kind) {
  case VAL_CONST: vals_around(s, v->k); break;
  case VAL_ARG: break;
  default:
    vals_from_val(s, v->lhs);
    vals_from_val(s, v->rhs);
  }
}

static void vals_from_cond(valset *s, const sf_cond *c) {
  switch (c->kind) {
  case COND_CMP:
    vals_from_val(s, c->lhs);
    vals_from_val(s, c->rhs);
    break;
  case COND_NOT: vals_from_cond(s, c->a); break;
  case COND_AND:
  case COND_OR:
    vals_from_cond(s, c->a);
    vals_from_cond(s, c->b);
    break;
  default: break;
  }
}

static void vals_from_ruleset(valset *s, const sf_ruleset *rs) {
  for (size_t i = 0; i < rs->n_sys; i++)
    for (size_t j = 0; j < rs->sys[i].n_rules; j++)
      if (rs->sys[i].rules[j].cond) vals_from_cond(s, rs->sys[i].rules[j].cond);
}

static void vals_from_file(valset *s, const dfile *f) {
  for (int i = 0; i < f->n_nodes; i++)
    if (f->nodes[i].kind == E_NUM) vals_around(s, f->nodes[i].v);
  for (int i = 0; i < f->n_defs; i++) vals_around(s, f->defs[i].v);
}

static void random_args(rng *r, const valset *s, uint64_t args[6]) {
  int mode = (int)below(r, 10);
  for (int a = 0; a < 6; a++) {
    uint32_t k = below(r, 10);
    uint64_t v;
    if (mode == 0) v = 0;                               /* all zero */
    else if (k == 0) v = rnd(r);
    else if (k == 1 && a) v = args[below(r, (uint32_t)a)]; /* equal args */
    else v = s->v[below(r, (uint32_t)s->n)];
    if (k == 2) v ^= rnd(r) & 0xffffffff00000000ULL;     /* high word only */
    if (k == 3) v = ~(uint64_t)0;
    args[a] = v;
  }
  if (mode == 1) { /* one interesting value, everything else zero */
    uint64_t v = s->v[below(r, (uint32_t)s->n)];
    memset(args, 0, 6 * sizeof *args);
    args[below(r, 6)] = v;
  }
}

/* ======================================================================
 * Comparing, reporting, shrinking.
 * ==================================================================== */

enum { CHK_SIM, CHK_TREE, CHK_KERNEL, CHK_COMPILE };
static const char *const chk_names[] = {
    "simulator (compiled program) vs reference evaluator (rule set)",
    "reference evaluator (rule set) vs the policy tree's own semantics",
    "kernel vs simulator", "compile error on a policy believed valid"};

typedef struct run {
  const dt_options *o;
  dt_stats *st;
  sysfence_ctx *ctx;
  sysfence_ctx *mctx; /* the shrinker's: ctx's rule set stays valid */
  FILE *out;
  int reports;
  uint64_t kernel_budget;
} run;

/* Does CHECK still fail for F (text printed from F) and CALL?  Fills the
 * two actions or outcomes (as text) when it does. */
static int still_fails(run *R, const dfile *f, const sf_query *call, int check,
                       char *a_txt, char *b_txt, size_t n) {
  char *text = print_file(f);
  compiled c = compile_text(R->mctx, f, text);
  free(text);
  int fails = 0;
  if (check == CHK_COMPILE) {
    fails = c.status == C_ERROR || c.status == C_INVALID;
    if (fails && a_txt) {
      snprintf(a_txt, n, "%s", c.status == C_INVALID ? c.why : sysfence_diag_text(R->mctx));
      snprintf(b_txt, n, "(none)");
    }
    compiled_free(&c);
    return fails;
  }
  if (c.status != C_OK) {
    compiled_free(&c);
    return 0;
  }
  uint32_t want = oracle_decide(&c, call);
  uint32_t a = 0, b = 0;
  if (check == CHK_SIM) {
    a = sim_decide(&c, call);
    b = want;
    fails = a != b;
  } else if (check == CHK_TREE) {
    a = want;
    b = multiplexed(f, call) ? want : tree_decide(f, call);
    fails = a != b;
  } else {
    uint32_t act = sim_decide(&c, call);
    size_t ki = kernel_index(call->nr);
    kout p = predict(act, ki);
    kout k = kernel_run(c.insns, c.len, (long)(int32_t)call->nr, call->args);
    fails = !kout_eq(&p, &k);
    if (fails && a_txt) {
      char s1[64], s2[96], s3[96];
      kout_str(&k, s2, sizeof s2);
      kout_str(&p, s3, sizeof s3);
      snprintf(a_txt, n, "kernel: %s", s2);
      snprintf(b_txt, n, "simulator: %s -> expected %s",
               sf_action_str(act, s1, sizeof s1), s3);
    }
  }
  if (fails && a_txt && check != CHK_KERNEL) {
    sf_action_str(a, a_txt, n);
    sf_action_str(b, b_txt, n);
  }
  compiled_free(&c);
  return fails;
}

/* The shrinker's simplifications, counted by *K: each step that finds the
 * K-th applies it (1); otherwise *K is what is left for the next (0). */

/* Deletions, coarse to fine: entries, policies, their entries, DEFAULT,
 * constants. */
static int mutate_deletions(dfile *f, int *kp) {
  int k = *kp;
  /* Entries and rules: deletions first, coarse to fine. */
  for (int i = 0; i < f->n_top; i++)
    if (k-- == 0) {
      memmove(&f->top[i], &f->top[i + 1], (size_t)(f->n_top - i - 1) * sizeof f->top[0]);
      f->n_top--;
      if (f->default_pos > i) f->default_pos--;
      return 1;
    }
  for (int p = 0; p < f->n_pols; p++)
    if (!f->pols[p].deleted && k-- == 0) {
      f->pols[p].deleted = 1;
      return 1;
    }
  for (int p = 0; p < f->n_pols; p++) {
    dpolicy *pp = &f->pols[p];
    for (int i = 0; i < pp->n && !pp->deleted; i++)
      if (k-- == 0) {
        memmove(&pp->e[i], &pp->e[i + 1], (size_t)(pp->n - i - 1) * sizeof pp->e[0]);
        pp->n--;
        return 1;
      }
  }
  if (f->has_default && k-- == 0) {
    f->has_default = 0;
    return 1;
  }
  for (int d = 0; d < f->n_defs; d++)
    if (!f->defs[d].deleted && k-- == 0) {
      f->defs[d].deleted = 1;
      return 1;
    }
  *kp = k;
  return 0;
}

/* Rules of every entry list, then parts of rules. */
static int mutate_entries(dfile *f, int *kp) {
  int k = *kp;
  for (int l = -1; l < f->n_pols; l++) {
    dentry *es = l < 0 ? f->top : f->pols[l].e;
    int n = l < 0 ? f->n_top : f->pols[l].n;
    for (int i = 0; i < n; i++) {
      dentry *e = &es[i];
      for (int j = 0; j < e->n_rules; j++)
        if (k-- == 0) {
          memmove(&e->rules[j], &e->rules[j + 1],
                  (size_t)(e->n_rules - j - 1) * sizeof e->rules[0]);
          e->n_rules--;
          return 1;
        }
      for (int j = 0; j < e->n_rules; j++) {
        drule *r = &e->rules[j];
        if (r->n_guard && k-- == 0) {
          r->n_guard = 0;
          return 1;
        }
        if (r->filter >= 0 && k-- == 0) {
          r->filter = -1;
          return 1;
        }
        if (r->empty_filter && k-- == 0) {
          r->empty_filter = 0;
          return 1;
        }
      }
      if (!e->is_use && e->act.def >= 0 && k-- == 0) {
        e->act.value = (uint32_t)f->defs[e->act.def].v;
        e->act.def = -1;
        return 1;
      }
    }
  }
  if (f->comments && k-- == 0) {
    f->comments = 0;
    return 1;
  }
  *kp = k;
  return 0;
}

/* Expressions: replace a node by a child, simplify constants. */
static int mutate_exprs(dfile *f, int k) {
  for (int i = 0; i < f->n_nodes; i++) {
    dexpr *e = &f->nodes[i];
    switch (e->kind) {
    case E_AND:
    case E_OR:
    case E_COMMA:
    case E_BAND:
    case E_BOR:
      if (k-- == 0) {
        int paren = e->paren;
        *e = f->nodes[e->l];
        e->paren = paren;
        return 1;
      }
      if (k-- == 0) {
        int paren = e->paren;
        *e = f->nodes[e->r];
        e->paren = paren;
        return 1;
      }
      break;
    case E_NOT:
      if (k-- == 0) {
        int paren = e->paren;
        *e = f->nodes[e->l];
        e->paren = paren;
        return 1;
      }
      break;
    case E_CONST:
      if (k-- == 0) {
        e->kind = E_NUM;
        e->v = f->defs[e->idx].v;
        e->neg = f->defs[e->idx].neg;
        e->fmt = f->defs[e->idx].fmt;
        return 1;
      }
      break;
    case E_NUM:
      if ((e->v || e->neg) && k-- == 0) {
        e->v = 0;
        e->neg = 0;
        return 1;
      }
      if (e->v > 1 && !e->neg && k-- == 0) {
        e->v = 1;
        return 1;
      }
      if (e->v > 1 && !e->neg && k-- == 0) {
        e->v >>= 1;
        return 1;
      }
      if (e->fmt != FMT_HEX && !e->neg && k-- == 0) {
        e->fmt = FMT_HEX;
        return 1;
      }
      break;
    default: break;
    }
    if (e->paren && k-- == 0) {
      e->paren = 0;
      return 1;
    }
  }
  return 0;
}


/* Apply the K-th possible simplification of F; 0 if there is none. */
static int mutate(dfile *f, int k) {
  return mutate_deletions(f, &k) || mutate_entries(f, &k) || mutate_exprs(f, k);
}

static void report(run *R, const char *where, const dfile *orig, const sf_query *orig_call,
                   int check) {
  R->st->differences += check != CHK_COMPILE;
  if (check == CHK_COMPILE) R->st->unexpected_errors++;
  if (check == CHK_KERNEL) R->st->kernel_differences++;
  FILE *out = R->out;
  if (R->reports >= R->o->max_reports) {
    fprintf(out, "difftest: %s: %s (not shown: report limit)\n", where, chk_names[check]);
    return;
  }
  R->reports++;
  dfile *cur = malloc(sizeof *cur), *tmp = malloc(sizeof *tmp);
  if (!cur || !tmp) abort();
  memcpy(cur, orig, sizeof *cur);
  sf_query call = *orig_call;
  char a[4096], b[4096], bad[64];
  char *orig_text = print_file(orig);
  int attempts = 0;
  for (int progress = 1; progress && attempts < 20000;) {
    progress = 0;
    for (int k = 0; attempts < 20000;) {
      memcpy(tmp, cur, sizeof *tmp);
      if (!mutate(tmp, k)) break;
      attempts++;
      if (still_fails(R, tmp, &call, check, NULL, NULL, 0)) {
        memcpy(cur, tmp, sizeof *cur);
        progress = 1;
      } else {
        k++;
      }
    }
    if (check == CHK_COMPILE) continue;
    /* The call: zero, then simplify the arguments. */
    for (int i = 0; i < 6; i++) {
      uint64_t keep = call.args[i];
      uint64_t tries[4] = {0, keep & 0xffffffffu, keep & 0xffffffff00000000ULL, 1};
      for (int t = 0; t < 4; t++) {
        if (tries[t] == call.args[i] || (t == 3 && call.args[i] < 2)) continue;
        uint64_t before = call.args[i];
        call.args[i] = tries[t];
        attempts++;
        if (still_fails(R, cur, &call, check, NULL, NULL, 0)) {
          progress = 1;
          break;
        }
        call.args[i] = before;
      }
    }
  }
  if (!still_fails(R, cur, &call, check, a, b, sizeof a)) {
    /* Flaky (should not happen): show the original. */
    memcpy(cur, orig, sizeof *cur);
    call = *orig_call;
    snprintf(a, sizeof a, "(did not reproduce)");
    snprintf(b, sizeof b, "(did not reproduce)");
  }
  char *text = print_file(cur);
  fprintf(out, "\n==== difftest: DIFFERENCE (%s) in %s\n", chk_names[check], where);
  fprintf(out, "---- minimized policy (arch %s, bad-arch action %s) after %d attempts:\n%s",
          cur->arch->name, sf_action_str(cur->bad_arch, bad, sizeof bad), attempts, text);
  if (check != CHK_COMPILE) {
    fprintf(out, "---- call: nr=%#x arch=%#x args=", call.nr, call.arch);
    for (int i = 0; i < 6; i++) fprintf(out, "%s%#" PRIx64, i ? "," : "", call.args[i]);
    fprintf(out, "\n");
  }
  switch (check) {
  case CHK_SIM: fprintf(out, "---- simulator: %s\n---- reference: %s\n", a, b); break;
  case CHK_TREE: fprintf(out, "---- reference (rule set): %s\n---- policy tree: %s\n", a, b); break;
  case CHK_KERNEL: fprintf(out, "---- %s\n---- %s\n", a, b); break;
  default: fprintf(out, "---- diagnostics:\n%s\n", a);
  }
  fprintf(out, "---- original policy (%zu bytes):\n%s==== end\n\n", strlen(orig_text), orig_text);
  fflush(out);
  free(text);
  free(orig_text);
  free(cur);
  free(tmp);
}

/* ======================================================================
 * Running one compiled program over many calls.
 * ==================================================================== */

static const uint32_t boundary_nrs[] = {
    0, 1, 0x3ff, 1000, 0x3ffffffe, 0x3fffffff, 0x40000000, 0x40000001,
    0x4000ffff, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffd, 0xfffffffe,
    0xffffffff};
#define N_BOUNDARY (sizeof boundary_nrs / sizeof boundary_nrs[0])

typedef struct target {
  const compiled *c;
  const dfile *f;     /* NULL for corpus files */
  const char *where;
  const dfile *report_file;
  int failed;         /* stop after the first difference of a program */
} target;

static void one_case(run *R, target *t, const sf_query *call) {
  if (t->failed) return;
  R->st->cases++;
  if (t->c->n_rs > 1) R->st->multi_cases++;
  uint32_t want = oracle_decide(t->c, call);
  uint32_t got = sim_decide(t->c, call);
  if (got != want) {
    t->failed = 1;
    if (t->f) {
      report(R, t->where, t->f, call, CHK_SIM);
    } else {
      char a[64], b[64];
      R->st->differences++;
      fprintf(R->out, "\n==== difftest: DIFFERENCE (%s) in %s\n---- call: nr=%#x arch=%#x args=",
              chk_names[CHK_SIM], t->where, call->nr, call->arch);
      for (int i = 0; i < 6; i++) fprintf(R->out, "%s%#" PRIx64, i ? "," : "", call->args[i]);
      fprintf(R->out, "\n---- simulator: %s\n---- reference: %s\n",
              sf_action_str(got, a, sizeof a), sf_action_str(want, b, sizeof b));
    }
    return;
  }
  /* The tree's semantics are one architecture's. */
  if (t->f && t->c->n_rs == 1 && !multiplexed(t->f, call) && tree_decide(t->f, call) != want) {
    t->failed = 1;
    report(R, t->where, t->f, call, CHK_TREE);
  }
}

/* Numbers under the AUDIT_ARCH of RS's ABI: every syscall of the ABI (or a
 * sample), the other ABI's numbers, the boundaries, the policy's numbers
 * +-1 (of every target's rule set). */
static void sweep_abi(run *R, target *t, rng *r, const valset *vals, int full,
                      const sf_ruleset *rs) {
  const sf_arch *arch = rs->arch;
  sf_query c;
  memset(&c, 0, sizeof c);
  c.arch = arch->audit_arch;
  if (one_in(r, 2)) random_args(r, vals, c.args);
  size_t n = arch->n_syscalls;
  if (full) {
    for (size_t i = 0; i < n; i++) {
      c.nr = arch->by_nr[i]->nr;
      one_case(R, t, &c);
      if (arch->foreign_lo <= arch->foreign_hi) {
        c.nr ^= X32_BIT;
        one_case(R, t, &c);
      }
    }
  } else {
    for (int i = 0; i < 32; i++) {
      c.nr = arch->by_nr[below(r, (uint32_t)n)]->nr;
      if (one_in(r, 4)) c.nr ^= X32_BIT;
      if (one_in(r, 4)) random_args(r, vals, c.args);
      one_case(R, t, &c);
    }
  }
  for (size_t i = 0; i < N_BOUNDARY; i++) {
    c.nr = boundary_nrs[i];
    one_case(R, t, &c);
  }
  for (size_t k = 0; k < t->c->n_rs; k++)
    for (size_t i = 0; i < t->c->rss[k]->n_sys; i++)
      for (int d = -1; d <= 1; d++) {
        c.nr = t->c->rss[k]->sys[i].nr + (uint32_t)d;
        one_case(R, t, &c);
      }
}

/* Every target's numbers, then foreign arches: a few fixed ones, the
 * companions of the native ABI (targets or not), and one bit off. */
static void sweep(run *R, target *t, rng *r, const valset *vals, int full) {
  for (size_t k = 0; k < t->c->n_rs; k++) sweep_abi(R, t, r, vals, full, t->c->rss[k]);
  const sf_ruleset *rs = t->c->rs;
  const sf_arch *arch = rs->arch;
  sf_query c;
  memset(&c, 0, sizeof c);
  static const uint32_t foreign[] = {0, 0x40000003 /* i386 */, 0xc000003e,
                                     0xc00000b7 /* aarch64 */, 0x80000016 /* s390x */};
  c.nr = rs->n_sys ? rs->sys[below(r, (uint32_t)rs->n_sys)].nr : 0;
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
    c.arch = foreign[i];
    one_case(R, t, &c);
  }
  c.arch = arch->audit_arch ^ 1;
  one_case(R, t, &c);
  if (t->c->n_rs < 2) return;
  const sf_arch *comp[4];
  size_t n_comp = sf_arch_companions(arch, comp, 4);
  for (size_t i = 0; i < n_comp; i++) {
    c.arch = comp[i]->audit_arch;
    for (int k = 0; k < 8; k++) {
      c.nr = comp[i]->by_nr[below(r, (uint32_t)comp[i]->n_syscalls)]->nr;
      one_case(R, t, &c);
    }
  }
}

/* Arguments: for every syscall with conditional rules, PER random vectors. */
static void arg_calls(run *R, target *t, rng *r, const valset *vals, int per) {
  for (size_t j = 0; j < t->c->n_rs; j++) {
    const sf_ruleset *rs = t->c->rss[j];
    sf_query c;
    memset(&c, 0, sizeof c);
    c.arch = rs->arch->audit_arch;
    for (size_t i = 0; i < rs->n_sys; i++) {
      if (!rs->sys[i].n_rules || !rs->sys[i].rules[0].cond) continue;
      c.nr = rs->sys[i].nr;
      for (int k = 0; k < per; k++) {
        random_args(r, vals, c.args);
        one_case(R, t, &c);
      }
    }
  }
}

/* Kernel samples for an x86_64 program: N calls of harmless numbers. */
static void kernel_calls(run *R, target *t, rng *r, const valset *vals, int n) {
  if (!R->o->kernel_cases || R->st->kernel_cases >= R->o->kernel_cases) return;
  if (strcmp(t->c->rs->arch->name, "x86_64") != 0) return;
  if (!kernel_init(R->out)) {
    R->st->kernel_skipped = 1;
    return;
  }
  for (int i = 0; i < n && R->st->kernel_cases < R->o->kernel_cases && !t->failed; i++) {
    sf_query c;
    memset(&c, 0, sizeof c);
    c.arch = t->c->rs->arch->audit_arch;
    size_t ki = below(r, N_KERNEL_NRS);
    /* Mostly the numbers the policy has rules for. */
    if (!one_in(r, 3)) {
      for (int tries = 0; tries < 8; tries++) {
        size_t kj = below(r, N_KERNEL_NRS);
        for (size_t s = 0; s < t->c->rs->n_sys; s++)
          if (t->c->rs->sys[s].nr == (uint32_t)kernel_nrs[kj]) ki = kj;
      }
    }
    c.nr = (uint32_t)kernel_nrs[ki];
    random_args(r, vals, c.args);
    uint32_t act = sim_decide(t->c, &c);
    kout p = predict(act, ki);
    kout k = kernel_run(t->c->insns, t->c->len, kernel_nrs[ki], c.args);
    R->st->kernel_cases++;
    if (!kout_eq(&p, &k)) {
      t->failed = 1;
      if (t->f) {
        report(R, t->where, t->f, &c, CHK_KERNEL);
      } else {
        char s1[64], s2[96], s3[96];
        kout_str(&k, s2, sizeof s2);
        kout_str(&p, s3, sizeof s3);
        R->st->differences++;
        R->st->kernel_differences++;
        fprintf(R->out, "\n==== difftest: DIFFERENCE (%s) in %s: nr %ld: kernel %s, "
                "simulator %s -> %s\n", chk_names[CHK_KERNEL], t->where,
                kernel_nrs[ki], s2, sf_action_str(act, s1, sizeof s1), s3);
      }
    }
  }
}

/* ======================================================================
 * Random policies.
 * ==================================================================== */

static void random_policy(run *R, uint64_t index, dfile *f) {
  rng r = rng_for(R->o->seed, index);
  /* Every fourth policy targets x86_64, so the kernel has enough; every
   * eighth (another) several ABIs of one kernel. */
  int multi = index % 8 == 2;
  gen_file(f, &r, index % 4 == 0, multi);
  char *text = print_file(f);
  R->st->policies++;
  R->st->multi_policies += (uint64_t)multi;
  char where[160];
  int at = snprintf(where, sizeof where, "random policy #%" PRIu64 " (seed %#" PRIx64 ")",
                    index, R->o->seed);
  for (int i = 0; multi && i < f->n_targets; i++)
    at += snprintf(where + at, sizeof where - (size_t)at, "%s%s", i ? "," : " for ",
                   f->targets[i]->name);
  if (R->o->verbose) fprintf(R->out, "---- %s, %s:\n%s", where, f->arch->name, text);
  compiled c = compile_text(R->ctx, f, text);
  free(text);
  if (R->o->verbose && sysfence_diag_count(R->ctx))
    fprintf(R->out, "---- diagnostics:\n%s", sysfence_diag_text(R->ctx));
  if (c.warnings) R->st->with_warnings++;
  if (c.status == C_TOO_LONG) {
    R->st->too_long++;
    return;
  }
  if (c.status != C_OK) {
    sf_query none;
    memset(&none, 0, sizeof none);
    report(R, where, f, &none, CHK_COMPILE);
    return;
  }
  R->st->compiled++;
  R->st->multi_compiled += (uint64_t)multi;
  R->st->insns_total += c.len;
  if (c.len > R->st->insns_max) R->st->insns_max = c.len;
  valset vals = {{0}, 0};
  vals_fixed(&vals);
  vals_from_file(&vals, f);
  for (size_t k = 0; k < c.n_rs; k++) vals_from_ruleset(&vals, c.rss[k]);
  target t = {&c, f, where, f, 0};
  sweep(R, &t, &r, &vals, one_in(&r, 4));
  arg_calls(R, &t, &r, &vals, 48);
  kernel_calls(R, &t, &r, &vals, 4);
  compiled_free(&c);
}

/* ======================================================================
 * The compatibility suite.
 * ==================================================================== */

static char **corpus_files;
static size_t n_corpus_files, cap_corpus_files;

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void add_corpus_file(const char *path) {
  if (n_corpus_files == cap_corpus_files) {
    cap_corpus_files = cap_corpus_files ? cap_corpus_files * 2 : 64;
    corpus_files = realloc(corpus_files, cap_corpus_files * sizeof *corpus_files);
    if (!corpus_files) abort();
  }
  corpus_files[n_corpus_files++] = strdup(path);
}

/* corpus/README.md: these must fail. */
static const char *const must_fail[] = {
    "README-example-invalid.policy", "chain_2_1.policy",
    "includes_short_loop.policy",     "self_recursive.policy",
    "short_loop.policy",             "short_loop_b.policy"};

static int collect_policy(const char *path, const struct stat *sb, int flag,
                          struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  if (flag != FTW_F || !ends_with(path, ".policy")) return 0;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; i < sizeof must_fail / sizeof must_fail[0]; i++)
    if (strcmp(base, must_fail[i]) == 0) return 0;
  add_corpus_file(path);
  return 0;
}

static int cmp_strp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_corpus(run *R) {
  const char *dir = R->o->corpus_dir;
  char path[4096];
  snprintf(path, sizeof path, "%s/kafel", dir);
  if (nftw(path, collect_policy, 16, FTW_PHYS) != 0 || !n_corpus_files) {
    fprintf(R->out, "difftest: FAILED: no corpus policies under %s "
            "(./configure --with-shared=DIR points to the corpus; "
            "--no-corpus runs without)\n", path);
    return -1;
  }
  const char *top[] = {"docker-default.kafel", "podman-default.kafel"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, top[i]);
    if (access(path, R_OK) != 0) {
      fprintf(R->out, "difftest: FAILED: %s is missing\n", path);
      return -1;
    }
    add_corpus_file(path);
  }
  qsort(corpus_files, n_corpus_files, sizeof *corpus_files, cmp_strp);
  rng r = rng_for(R->o->seed, 0xc0c0c0c0ULL);
  int rc = 0;
  /* Each file for the main ABIs one at a time, then as one filter for the
   * ABIs of one kernel (x86_64 policies are meant to compile for these
   * lists as they are; a syscall no target has is still an error). */
  static const char *const lists[] = {"x86_64,i386,x32", "aarch64,arm", "s390x,s390"};
  const size_t n_main = sizeof main_arches / sizeof main_arches[0];
  for (size_t i = 0; i < n_corpus_files; i++) {
    const char *file = corpus_files[i];
    R->st->corpus_files++;
    for (size_t a = 0; a < n_main + sizeof lists / sizeof lists[0]; a++) {
      const char *arches = a < n_main ? main_arches[a] : lists[a - n_main];
      sysfence_ctx *ctx = R->ctx;
      /* A fresh context per file: include paths are per file. */
      sysfence_ctx *own = sysfence_new();
      if (!own) abort();
      sysfence_set_input_path(own, file);
      if (strstr(file, "/kafel-testdata/")) {
        char *copy = strdup(file);
        sysfence_add_include_path(own, dirname(copy));
        free(copy);
      }
      if (sysfence_set_arches(own, arches, NULL, 0) != SYSFENCE_OK) abort();
      compiled c = compile_ctx(own);
      char where[4200];
      snprintf(where, sizeof where, "%s for %s", file, arches);
      if (c.status != C_OK) {
        /* Other arches may lack a syscall the policy names; x86_64 must
         * compile (the policies are x86_64 policies). */
        if (a == 0 || c.status == C_INVALID) {
          fprintf(R->out, "difftest: FAILED: %s does not compile: %s\n%s\n", where,
                  c.status == C_INVALID ? c.why : "", sysfence_diag_text(own));
          R->st->unexpected_errors++;
          rc = -1;
        }
        compiled_free(&c);
        sysfence_free(own);
        continue;
      }
      R->st->corpus_programs++;
      R->st->insns_total += c.len;
      if (c.len > R->st->insns_max) R->st->insns_max = c.len;
      uint64_t before = R->st->cases;
      valset vals = {{0}, 0};
      vals_fixed(&vals);
      for (size_t k = 0; k < c.n_rs; k++) vals_from_ruleset(&vals, c.rss[k]);
      target t = {&c, NULL, where, NULL, 0};
      R->ctx = own;
      for (int k = 0; k < 3; k++) sweep(R, &t, &r, &vals, 1);
      arg_calls(R, &t, &r, &vals, 400);
      kernel_calls(R, &t, &r, &vals, 6);
      R->ctx = ctx;
      R->st->corpus_cases += R->st->cases - before;
      if (t.failed) rc = -1;
      compiled_free(&c);
      sysfence_free(own);
    }
  }
  for (size_t i = 0; i < n_corpus_files; i++) free(corpus_files[i]);
  free(corpus_files);
  corpus_files = NULL;
  n_corpus_files = cap_corpus_files = 0;
  return rc;
}

/* ======================================================================
 * Entry points.
 * ==================================================================== */

void dt_default_options(dt_options *o) {
  memset(o, 0, sizeof *o);
  o->seed = 0x5eedd1ff7e57ULL;
  o->random = 1;
  o->max_cases = 200000;
  o->kernel_cases = 300;
  o->only_policy = -1;
  o->max_reports = 5;
  o->out = stderr;
}

int dt_run(const dt_options *o, dt_stats *st) {
  memset(st, 0, sizeof *st);
  /* The generator's names must not collide with the language's. */
  for (int i = 0; i < MAX_DEFS; i++)
    if (sf_is_known_syscall_or_arg(def_name(i))) abort();
  run R;
  memset(&R, 0, sizeof R);
  R.o = o;
  R.st = st;
  R.out = o->out ? o->out : stderr;
  R.ctx = sysfence_new();
  R.mctx = sysfence_new();
  if (!R.ctx || !R.mctx) abort();
  double t0 = now_seconds();
  int rc = 0;
  if (o->corpus && run_corpus(&R) != 0) rc = -1;
  if (o->random) {
    dfile *f = malloc(sizeof *f);
    if (!f) abort();
    if (o->only_policy >= 0) {
      random_policy(&R, (uint64_t)o->only_policy, f);
    } else {
      uint64_t start = st->cases;
      double next_progress = t0 + 30;
      for (uint64_t i = 0;; i++) {
        if (o->max_cases && st->cases - start >= o->max_cases) break;
        if (st->differences + st->unexpected_errors >= 100) {
          fprintf(R.out, "difftest: stopping after 100 failures\n");
          break;
        }
        if (o->max_seconds > 0 && (i & 15) == 0 && now_seconds() - t0 >= o->max_seconds)
          break;
        random_policy(&R, i, f);
        if ((i & 255) == 0 && now_seconds() > next_progress) {
          fprintf(R.out, "difftest: ... %" PRIu64 " cases, %" PRIu64 " policies, %" PRIu64
                  " differences (%.0f s)\n", st->cases, st->policies, st->differences,
                  now_seconds() - t0);
          fflush(R.out);
          next_progress = now_seconds() + 30;
        }
      }
    }
    free(f);
  }
  st->seconds = now_seconds() - t0;
  if (kernel_state < 0) st->kernel_skipped = 1;
  if (st->kernel_skipped) st->kernel_skip_why = kernel_skip_why;
  sysfence_free(R.ctx);
  sysfence_free(R.mctx);
  if (st->differences || st->unexpected_errors) rc = -1;
  return rc;
}

void dt_print_stats(FILE *f, const dt_options *o, const dt_stats *st) {
  fprintf(f, "difftest: seed %#" PRIx64 "\n", o->seed);
  if (o->corpus)
    fprintf(f, "difftest: corpus: %" PRIu64 " files, %" PRIu64 " programs (6 arches one "
            "by one, and x86_64,i386,x32, aarch64,arm, s390x,s390), %" PRIu64 " cases\n",
            st->corpus_files, st->corpus_programs, st->corpus_cases);
  if (o->random)
    fprintf(f, "difftest: random: %" PRIu64 " policies, %" PRIu64 " compiled, %" PRIu64
            " over 4096 instructions, %" PRIu64 " with warnings, %" PRIu64
            " unexpected compile errors\n", st->policies, st->compiled, st->too_long,
            st->with_warnings, st->unexpected_errors);
  if (o->random)
    fprintf(f, "difftest: several targets (random): %" PRIu64 " policies, %" PRIu64
            " compiled, %" PRIu64 " cases\n", st->multi_policies, st->multi_compiled,
            st->multi_cases);
  if (st->compiled + st->corpus_programs)
    fprintf(f, "difftest: programs: %" PRIu64 " instructions on average, longest %" PRIu64
            "\n", st->insns_total / (st->compiled + st->corpus_programs), st->insns_max);
  if (st->kernel_skipped)
    fprintf(f, "difftest: kernel: SKIPPED (see above)\n");
  else
    fprintf(f, "difftest: kernel: %" PRIu64 " cases, %" PRIu64 " differences\n",
            st->kernel_cases, st->kernel_differences);
  fprintf(f, "difftest: %" PRIu64 " cases, %" PRIu64 " differences (%.2f s)\n",
          st->cases, st->differences, st->seconds);
}
