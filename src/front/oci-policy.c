/* oci-policy.c - an OCI profile as a readable policy (sysfence convert
 * --to policy): rules grouped by action, the profile's comments kept,
 * known constants named, what runc leaves out listed with the reason.
 * The policy compiles to the filter the profile compiles to (for the
 * same capabilities, kernel and architectures): it spells out what
 * libseccomp does (the multiplexed forms, names only some targets have)
 * and turns sysfence's own derivation off (#define SYSFENCE_DERIVE 0);
 * tests/check_oci.c holds the two to each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/oci.h"

/* ---- constants -------------------------------------------------------------- */

/* Constants the container profiles compare with, named as the kernel's
 * headers name them: include/uapi/linux/sched.h (CLONE_NEW*),
 * include/uapi/linux/personality.h (PER_LINUX, PER_LINUX32, UNAME26),
 * include/linux/socket.h (AF_*), include/uapi/linux/netlink.h
 * (NETLINK_AUDIT).  FLAGS: a value may be an OR of them. */
typedef struct known {
  const char *sys;
  int index; /* the argument, -1 any (clone's flags are the second on s390) */
  int flags;
  const char *name;
  uint64_t value;
} known;
static const known constants[] = {
    {"clone", -1, 1, "CLONE_NEWNS", 0x00020000},   {"clone", -1, 1, "CLONE_NEWCGROUP", 0x02000000},
    {"clone", -1, 1, "CLONE_NEWUTS", 0x04000000},  {"clone", -1, 1, "CLONE_NEWIPC", 0x08000000},
    {"clone", -1, 1, "CLONE_NEWUSER", 0x10000000}, {"clone", -1, 1, "CLONE_NEWPID", 0x20000000},
    {"clone", -1, 1, "CLONE_NEWNET", 0x40000000},
    {"personality", 0, 1, "PER_LINUX32", 0x0008},  {"personality", 0, 1, "UNAME26", 0x0020000},
    {"personality", 0, 0, "PER_LINUX", 0},
    {"socket", 0, 0, "AF_NETLINK", 16},            {"socket", 0, 0, "AF_ALG", 38},
    {"socket", 0, 0, "AF_NFC", 39},                {"socket", 0, 0, "AF_VSOCK", 40},
    {"socket", 2, 0, "NETLINK_AUDIT", 9},
};
enum { N_CONSTANTS = sizeof constants / sizeof constants[0] };

typedef struct writer {
  const sf_oci_profile *p;
  FILE *out;
  int used[N_CONSTANTS]; /* the #define lines needed */
} writer;

/* The one syscall ENTRY names, or NULL (constants are named only then). */
static const char *sole_name(const sf_oci_entry *e) {
  for (size_t i = 1; i < e->n_names; i++)
    if (strcmp(e->names[i].name, e->names[0].name) != 0) return NULL;
  return e->n_names ? e->names[0].name : NULL;
}

static int applies(const known *k, const char *sys, unsigned index) {
  return sys && strcmp(k->sys, sys) == 0 && (k->index < 0 || (unsigned)k->index == index);
}

/* V, argument INDEX of SYS, as named constants into BUF (an OR of flags
 * that makes V exactly); 0 when they do not name it. */
static int name_value(writer *w, const char *sys, unsigned index, uint64_t v, char *buf,
                      size_t size) {
  for (size_t i = 0; i < N_CONSTANTS; i++)
    if (applies(&constants[i], sys, index) && !constants[i].flags && constants[i].value == v) {
      w->used[i] = 1;
      snprintf(buf, size, "%s", constants[i].name);
      return 1;
    }
  uint64_t covered = 0;
  for (size_t i = 0; i < N_CONSTANTS; i++)
    if (applies(&constants[i], sys, index) && constants[i].flags &&
        (v & constants[i].value) == constants[i].value)
      covered |= constants[i].value;
  if (!v || covered != v) return 0;
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < N_CONSTANTS && len < size; i++)
    if (applies(&constants[i], sys, index) && constants[i].flags &&
        (v & constants[i].value) == constants[i].value) {
      w->used[i] = 1;
      len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " | " : "", constants[i].name);
    }
  return len < size;
}

static void number(writer *w, const char *sys, unsigned index, uint64_t v, char *buf,
                   size_t size) {
  char named[200];
  if (name_value(w, sys, index, v, named, sizeof named))
    snprintf(buf, size, strchr(named, '|') ? "(%s)" : "%s", named);
  else if (v > 255)
    snprintf(buf, size, "%#llx", (unsigned long long)v);
  else
    snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* ---- rules ------------------------------------------------------------------ */

static const char *const cmp_text[] = {"!=", "<", "<=", "==", ">=", ">", "=="};

/* The filter of entry E ("" for none) into BUF. */
static void filter_text(writer *w, const sf_oci_entry *e, char *buf, size_t size) {
  const char *sys = sole_name(e);
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < e->n_args && len < size; i++) {
    const sf_oci_arg *a = &e->args[i];
    char v[200], two[200];
    number(w, sys, a->index, a->value, v, sizeof v);
    const char *join = i == 0 ? "" : e->separate ? " || " : " && ";
    if (a->op == SF_OCI_MASKED_EQ) {
      number(w, sys, a->index, a->two, two, sizeof two);
      len += (size_t)snprintf(buf + len, size - len, "%s(a%u & %s) == %s", join, a->index, v, two);
    } else {
      len += (size_t)snprintf(buf + len, size - len, "%sa%u %s %s", join, a->index,
                              cmp_text[a->op], v);
    }
  }
}

/* "name(a0, a1)" up to the highest index the filter uses, with the ON
 * guard of N. */
static void rule_head(const sf_oci_entry *e, const sf_oci_name *n, char *buf, size_t size) {
  unsigned highest = 0;
  for (size_t i = 0; i < e->n_args; i++)
    if (e->args[i].index > highest) highest = e->args[i].index;
  size_t len = (size_t)snprintf(buf, size, "%s", n->name);
  for (unsigned i = 0; e->n_args && i <= highest && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%sa%u%s", i ? ", " : "(", i,
                            i == highest ? ")" : "");
  for (size_t i = 0; i < n->n_only && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%s%s",
                            i ? ", " : n->n_only > 1 ? " ON { " : " ON ",
                            n->only[i]->name, i + 1 == n->n_only && n->n_only > 1 ? " }" : "");
}

static void action_text(const ast_action *a, char *buf, size_t size) {
  static const char *const names[] = {"ALLOW", "LOG", "KILL", "KILL_PROCESS", "USER_NOTIF",
                                      "ERRNO", "TRAP", "TRACE"};
  if (a->kind == AST_ACT_ERRNO || a->kind == AST_ACT_TRACE || a->kind == AST_ACT_TRAP)
    snprintf(buf, size, "%s(%llu)", names[a->kind], (unsigned long long)a->value);
  else
    snprintf(buf, size, "%s", names[a->kind]);
}

/* ---- blocks ------------------------------------------------------------------ */

/* What goes into blocks: the entries that apply, then libseccomp's
 * multiplexed forms (made entries of their own). */
typedef struct items {
  const sf_oci_entry **e;
  size_t n;
  sf_oci_entry *made; /* the multiplexed forms (malloc()ed) */
  sf_oci_arg *made_args;
  sf_oci_name *made_names;
  size_t n_made;
} items;

static int has_rule(const sf_oci_entry *e) {
  for (size_t i = 0; !e->skip && i < e->n_names; i++)
    if (!e->names[i].skip) return 1;
  return 0;
}

static size_t count_mux(const sf_oci_profile *p) {
  size_t n = 0;
  for (size_t i = 0; i < p->n_entries; i++)
    for (size_t j = 0; !p->entries[i].skip && j < p->entries[i].n_names; j++)
      n += sf_oci_subcall_of(p->entries[i].names[j].name) != NULL;
  return n;
}

/* The multiplexed form of name J of entry E, as tree building makes it
 * (oci.c, mux_rules); 0 when there is none. */
static int make_mux(const sf_oci_profile *p, const sf_oci_entry *e, size_t j, items *it) {
  const sf_oci_subcall *sub = sf_oci_subcall_of(e->names[j].name);
  sf_oci_name *n = &it->made_names[it->n_made];
  memset(n, 0, sizeof *n);
  n->n_only = sub ? sf_oci_mux_targets(p, sub->mux, n->only) : 0;
  if (!n->n_only || sf_oci_unconditional(p, sub->mux)) return 0;
  n->name = sub->mux;
  sf_oci_arg *a = &it->made_args[it->n_made];
  *a = (sf_oci_arg){0, SF_OCI_EQ, sub->k, 0, e->loc};
  sf_oci_entry *m = &it->made[it->n_made++];
  *m = (sf_oci_entry){.names = n, .n_names = 1, .action = e->action, .args = a, .n_args = 1};
  m->comment = NULL;
  return 1;
}

static int collect_items(const sf_oci_profile *p, const sysfence_ctx *ctx, items *it) {
  size_t n_mux = count_mux(p);
  memset(it, 0, sizeof *it);
  it->e = calloc(p->n_entries + n_mux + 1, sizeof *it->e);
  it->made = calloc(n_mux + 1, sizeof *it->made);
  it->made_args = calloc(n_mux + 1, sizeof *it->made_args);
  it->made_names = calloc(n_mux + 1, sizeof *it->made_names);
  if (!it->e || !it->made || !it->made_args || !it->made_names) return -1;
  for (size_t i = 0; i < p->n_entries; i++)
    if (has_rule(&p->entries[i])) it->e[it->n++] = &p->entries[i];
  /* libseccomp's multiplexed rules only in its mode (see oci.c). */
  for (size_t i = 0; ctx->no_derive && i < p->n_entries; i++)
    for (size_t j = 0; !p->entries[i].skip && j < p->entries[i].n_names; j++)
      if (make_mux(p, &p->entries[i], j, it)) it->e[it->n++] = &it->made[it->n_made - 1];
  return 0;
}

static void free_items(items *it) {
  free(it->e);
  free(it->made);
  free(it->made_args);
  free(it->made_names);
}

static int same_action(const ast_action *a, const ast_action *b) {
  return a->kind == b->kind && a->value == b->value;
}

static int names_meet(const sf_oci_entry *a, const sf_oci_entry *b) {
  for (size_t i = 0; i < a->n_names; i++)
    for (size_t j = 0; !a->names[i].skip && j < b->n_names; j++)
      if (!b->names[j].skip && strcmp(a->names[i].name, b->names[j].name) == 0) return 1;
  return 0;
}

/* Items into blocks of one action each: an item joins the last block of
 * its action unless a later block has a rule for one of its syscalls
 * (first match: moving it before that rule would change what decides).
 * BLOCK_OF[i] is item i's block; returns how many blocks. */
static size_t group(const items *it, size_t *block_of, size_t *first_of) {
  size_t n_blocks = 0;
  for (size_t i = 0; i < it->n; i++) {
    size_t b = n_blocks;
    while (b-- > 0 && !same_action(&it->e[first_of[b]]->action, &it->e[i]->action)) {
    }
    int ok = b < n_blocks;
    for (size_t k = 0; ok && k < i; k++)
      if (block_of[k] > b && names_meet(it->e[k], it->e[i])) ok = 0;
    if (!ok) {
      b = n_blocks++;
      first_of[b] = i;
    }
    block_of[i] = b;
  }
  return n_blocks;
}

/* ---- printing ------------------------------------------------------------------ */

/* A comment's text with its end marker defused. */
static void put_comment(FILE *out, const char *indent, const char *text) {
  fprintf(out, "%s/* ", indent);
  for (const char *c = text; *c; c++) {
    if (c[0] == '*' && c[1] == '/') fputs("* ", out);
    else if (*c == '\n') fprintf(out, "\n%s * ", indent);
    else fputc(*c, out);
  }
  fputs(" */\n", out);
}

/* The rules of entry E in a block: names without a filter packed in lines,
 * one line per name with one.  *COL is the column ( 0: a new line), *MORE
 * whether a rule was put before (a comma goes between). */
static void put_entry(writer *w, FILE *out, const sf_oci_entry *e, int *col, int *more) {
  char filter[1024], head[160];
  filter_text(w, e, filter, sizeof filter);
  if (e->comment && *e->comment) {
    if (*more) fputs(",\n", out), *more = 0, *col = 0;
    else if (*col) fputc('\n', out), *col = 0;
    put_comment(out, "  ", e->comment);
  }
  for (size_t i = 0; i < e->n_names; i++) {
    if (e->names[i].skip) continue;
    rule_head(e, &e->names[i], head, sizeof head);
    int len = (int)strlen(head) + (*filter ? (int)strlen(filter) + 5 : 0);
    if (*more) fputc(',', out), (*col)++;
    if (*col && (*filter || *col + 1 + len > 78)) fputc('\n', out), *col = 0;
    *col += fprintf(out, "%s%s", *col ? " " : "  ", head);
    if (*filter) *col += fprintf(out, " { %s }", filter) + 79; /* alone on its line */
    *more = 1;
  }
}

static void put_blocks(writer *w, FILE *out, const items *it) {
  size_t *block_of = calloc(it->n + 1, sizeof *block_of);
  size_t *first_of = calloc(it->n + 1, sizeof *first_of);
  if (!block_of || !first_of) {
    free(block_of);
    free(first_of);
    return;
  }
  size_t n_blocks = group(it, block_of, first_of);
  int mux_said = 0;
  for (size_t b = 0; b < n_blocks; b++) {
    char act[48];
    action_text(&it->e[first_of[b]]->action, act, sizeof act);
    if (it->n_made && first_of[b] >= it->n - it->n_made && !mux_said++)
      put_comment(out, "", "libseccomp's multiplexed forms: a rule for a socket or SysV IPC "
                  "call also\ndecides socketcall() or ipc() with that call's number");
    fprintf(out, "%s {\n", act);
    int col = 0, more = 0;
    for (size_t i = 0; i < it->n; i++)
      if (block_of[i] == b) put_entry(w, out, it->e[i], &col, &more);
    fputs("\n}\n\n", out);
  }
  free(block_of);
  free(first_of);
}

static void put_left_out(FILE *out, const sf_oci_profile *p) {
  int any = 0;
  for (size_t i = 0; i < p->n_entries; i++) {
    const sf_oci_entry *e = &p->entries[i];
    for (size_t j = 0; j < e->n_names; j++) {
      if (!e->skip && !e->names[j].skip) continue;
      if (!any++) fputs("/* Left out of the filter, as runc leaves them out:\n", out);
      if (e->skip) {
        fprintf(out, " *   syscalls[%zu] (", i);
        for (size_t k = 0; k < e->n_names; k++)
          fprintf(out, "%s%s", k ? ", " : "", e->names[k].name);
        fprintf(out, "): %s\n", e->skip);
        break;
      }
      fprintf(out, " *   %s (syscalls[%zu]): %s\n", e->names[j].name, i, e->names[j].skip);
    }
  }
  if (any) fputs(" */\n\n", out);
}

static void put_header(FILE *out, const sf_oci_profile *p, const sysfence_ctx *ctx,
                       const char *from) {
  fprintf(out, "/* A sysfence policy from the OCI seccomp profile\n *   %s\n"
               " * as runc and libseccomp read it for %s", from, p->arches[0]->name);
  for (size_t i = 1; i < p->n_arches; i++) fprintf(out, "%s%s", i == 1 ? " with " : ", ",
                                                    p->arches[i]->name);
  fprintf(out, "\n * (compile it with --arch ");
  for (size_t i = 0; i < p->n_arches; i++) fprintf(out, "%s%s", i ? "," : "", p->arches[i]->name);
  fprintf(out, "),\n * kernel %u.%u and the capabilities", p->kernel_major, p->kernel_minor);
  for (size_t i = 0; i < ctx->n_caps; i++)
    fprintf(out, "%s%s", i % 4 ? ", " : "\n *   ", ctx->caps[i]);
  fprintf(out, "%s. */\n", ctx->n_caps ? "" : " (none)");
  if (p->comment && *p->comment) put_comment(out, "", p->comment);
  if (ctx->no_derive)
    fputs("\n/* The rules below spell out what libseccomp does on each architecture;\n"
          " * sysfence's own derived rules (32-bit twins, multiplexed calls) are off. */\n"
          "#define SYSFENCE_DERIVE 0\n", out);
  else
    fputs("\n/* sysfence's derived rules apply: a 32-bit twin gets its syscall's rules,\n"
          " * and socketcall/ipc sub-calls the most restrictive outcome of the rules of\n"
          " * the call they stand for, where libseccomp lets every argument through\n"
          " * (converted with -D SYSFENCE_DERIVE=0, the policy keeps libseccomp's\n"
          " * behaviour exactly). */\n", out);
}

int sf_oci_write_policy(const sf_oci_profile *p, const sysfence_ctx *ctx, const char *from,
                        FILE *out) {
  writer w = {p, out, {0}};
  char *body = NULL;
  size_t body_len = 0;
  items it;
  int rc = collect_items(p, ctx, &it);
  FILE *mem = rc == 0 ? open_memstream(&body, &body_len) : NULL;
  if (!mem) {
    free(body);
    free_items(&it);
    return -1;
  }
  put_blocks(&w, mem, &it);
  put_left_out(mem, p);
  char def[48];
  action_text(&p->def, def, sizeof def);
  fprintf(mem, "DEFAULT %s\n", def);
  free_items(&it);
  if (fclose(mem) != 0) {
    free(body);
    return -1;
  }
  put_header(out, p, ctx, from);
  for (size_t i = 0; i < N_CONSTANTS; i++)
    if (w.used[i])
      fprintf(out, constants[i].flags ? "#define %s %#llx\n" : "#define %s %llu\n",
              constants[i].name, (unsigned long long)constants[i].value);
  fputc('\n', out);
  fwrite(body, 1, body_len, out);
  free(body);
  return ferror(out) ? -1 : 0;
}
