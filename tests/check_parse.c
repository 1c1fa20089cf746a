/* check_parse.c - unit tests of the front end: lexer, parser, #include. */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "sysfence.h"
#include "testutil.h"

#define KAFEL_DIR SHARED_DIR "/corpus/kafel"

/* ---- helpers ------------------------------------------------------------ */

static sysfence_ctx *ctx;

static void setup(void) {
  ctx = sysfence_new();
  ck_assert_ptr_nonnull(ctx);
}

static void teardown(void) {
  sysfence_free(ctx);
  ctx = NULL;
}

static ast_file *parse_ctx(void) {
  ck_assert_int_eq(sf_ctx_reset(ctx), 0);
  const sf_source *src = sf_load_main_source(ctx);
  if (!src) return NULL;
  return sf_parse(ctx, src);
}

static ast_file *parse(const char *text) {
  ck_assert_int_eq(sysfence_set_input_string(ctx, "t.policy", text), 0);
  return parse_ctx();
}

static ast_file *parse_path(const char *path) {
  ck_assert_int_eq(sysfence_set_input_path(ctx, path), 0);
  return parse_ctx();
}

/* Parse TEXT that must be free of errors. */
static ast_file *parse_ok(const char *text) {
  ast_file *f = parse(text);
  ck_assert_msg(f != NULL, "no tree for: %s", text);
  ck_assert_msg(ctx->n_errors == 0, "errors for '%s':\n%s", text,
                sysfence_diag_text(ctx));
  return f;
}

/* Render an expression as a compact string. */
static void add(char *buf, size_t size, const char *text) {
  size_t used = strlen(buf);
  if (used + 1 < size) snprintf(buf + used, size - used, "%s", text);
}

static void render_into(const ast_expr *e, char *buf, size_t size) {
  static const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
  char num[32];
  if (!e) {
    add(buf, size, "NULL");
    return;
  }
  switch (e->kind) {
  case AST_NUM:
    snprintf(num, sizeof num, "%s%llu", e->negative ? "-" : "",
             e->negative ? (unsigned long long)(0 - e->value)
                         : (unsigned long long)e->value);
    add(buf, size, num);
    return;
  case AST_IDENT:
    add(buf, size, e->name);
    return;
  case AST_NOT:
    add(buf, size, "!(");
    render_into(e->lhs, buf, size);
    add(buf, size, ")");
    return;
  case AST_AND:
  case AST_OR:
    add(buf, size, e->kind == AST_AND ? "AND(" : "OR(");
    render_into(e->lhs, buf, size);
    add(buf, size, ", ");
    render_into(e->rhs, buf, size);
    add(buf, size, ")");
    return;
  default:
    add(buf, size, "(");
    render_into(e->lhs, buf, size);
    add(buf, size, e->kind == AST_BITAND ? " & "
                   : e->kind == AST_BITOR ? " | " : " ");
    if (e->kind == AST_CMP) {
      add(buf, size, ops[e->op]);
      add(buf, size, " ");
    }
    render_into(e->rhs, buf, size);
    add(buf, size, ")");
    return;
  }
}

static void render(const ast_expr *e, char *buf, size_t size) {
  buf[0] = '\0';
  render_into(e, buf, size);
}

/* The first rule of the first block of the first ENTRIES item. */
static ast_rule *first_rule(ast_file *f) {
  for (ast_top *t = f->items; t; t = t->next)
    if (t->kind == AST_TOP_ENTRIES || t->kind == AST_TOP_POLICY)
      for (ast_entry *e = t->entries; e; e = e->next)
        if (e->kind == AST_ENTRY_BLOCK && e->rules) return e->rules;
  ck_abort_msg("no rule");
  return NULL;
}

/* Filter of the single rule in "ALLOW { r { FILTER } }", rendered. */
static const char *filter_of(const char *filter) {
  static char out[8192];
  char text[4096];
  snprintf(text, sizeof text, "ALLOW { r { %s } }", filter);
  ast_rule *r = first_rule(parse_ok(text));
  render(r->filter, out, sizeof out);
  return out;
}

static size_t count_items(const ast_file *f) {
  size_t n = 0;
  for (const ast_top *t = f->items; t; t = t->next) n++;
  return n;
}

static size_t count_entries(const ast_entry *e) {
  size_t n = 0;
  for (; e; e = e->next) n++;
  return n;
}

static size_t count_rules(const ast_rule *r) {
  size_t n = 0;
  for (; r; r = r->next) n++;
  return n;
}

/* Assert diagnostic I is an error at LINE:COL with message MSG. */
static void assert_diag(size_t i, int line, int col, const char *msg) {
  ck_assert_msg(sysfence_diag_count(ctx) > i, "diagnostic %zu missing:\n%s",
                i, sysfence_diag_text(ctx));
  const sysfence_diag *d = sysfence_diag_get(ctx, i);
  ck_assert_msg(d->line == line && d->column == col &&
                    strcmp(d->message, msg) == 0,
                "expected %d:%d: %s\ngot %d:%d: %s", line, col, msg, d->line,
                d->column, d->message);
}

/* Parse TEXT, which must give exactly one error: LINE:COL: MSG. */
static void error_case(const char *text, int line, int col, const char *msg) {
  parse(text);
  ck_assert_msg(ctx->n_errors == 1, "'%s': %zu errors, wanted 1:\n%s", text,
                ctx->n_errors, sysfence_diag_text(ctx));
  const sysfence_diag *d = sysfence_diag_get(ctx, 0);
  ck_assert_msg(d->severity == SYSFENCE_ERROR && d->line == line &&
                    d->column == col && strcmp(d->message, msg) == 0,
                "'%s':\nexpected %d:%d: %s\ngot %d:%d: %s", text, line, col,
                msg, d->line, d->column, d->message);
}

static int has_message(const char *needle) {
  for (size_t i = 0; i < sysfence_diag_count(ctx); i++)
    if (strstr(sysfence_diag_get(ctx, i)->message, needle)) return 1;
  return 0;
}

/* Temporary folders with policy files. */
static char tmpdir[256];

static void mk_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/check_parse.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static char *tmp_path(const char *name) {
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

static void write_file(const char *name, const char *text) {
  char *path = tmp_path(name);
  char *slash = strrchr(path, '/');
  if (slash && slash != path) {
    *slash = '\0';
    mkdir(path, 0700);
    *slash = '/';
  }
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static void rm_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(p);
    else unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

static char *repeat(const char *s, size_t n) {
  size_t l = strlen(s);
  char *r = malloc(l * n + 1);
  ck_assert_ptr_nonnull(r);
  for (size_t i = 0; i < n; i++) memcpy(r + i * l, s, l);
  r[l * n] = '\0';
  return r;
}

/* ---- numbers ------------------------------------------------------------- */

static uint64_t num_value(const char *lit, int *neg) {
  char text[256];
  snprintf(text, sizeof text, "ALLOW { r { a == %s } }", lit);
  ast_rule *r = first_rule(parse_ok(text));
  ck_assert_int_eq(r->filter->kind, AST_CMP);
  ck_assert_int_eq(r->filter->rhs->kind, AST_NUM);
  if (neg) *neg = r->filter->rhs->negative;
  return r->filter->rhs->value;
}

START_TEST(test_numbers) {
  int neg;
  ck_assert_uint_eq(num_value("42", &neg), 42);
  ck_assert_int_eq(neg, 0);
  ck_assert_uint_eq(num_value("0", NULL), 0);
  ck_assert_uint_eq(num_value("0x1F", NULL), 31);
  ck_assert_uint_eq(num_value("0XfF", NULL), 255);
  ck_assert_uint_eq(num_value("0755", NULL), 0755);
  ck_assert_uint_eq(num_value("00", NULL), 0);
  ck_assert_uint_eq(num_value("0b101", NULL), 5);
  ck_assert_uint_eq(num_value("0B11", NULL), 3);
  ck_assert_uint_eq(num_value("18446744073709551615", NULL), UINT64_MAX);
  ck_assert_uint_eq(num_value("0xffffffffffffffff", NULL), UINT64_MAX);
  ck_assert_uint_eq(num_value("-1", &neg), UINT64_MAX);
  ck_assert_int_eq(neg, 1);
  ck_assert_uint_eq(num_value("-100", &neg), (uint64_t)-100);
  ck_assert_int_eq(neg, 1);
  ck_assert_uint_eq(num_value("-9223372036854775808", NULL),
                    UINT64_C(0x8000000000000000));
}
END_TEST

START_TEST(test_number_errors) {
  error_case("ALLOW { r { a == 09 } }", 1, 18,
             "invalid digit '9' in octal constant");
  error_case("ALLOW { r { a == 0778 } }", 1, 18,
             "invalid digit '8' in octal constant");
  error_case("ALLOW { r { a == 18446744073709551616 } }", 1, 18,
             "number out of range: '18446744073709551616' does not fit in "
             "64 bits");
  error_case("ALLOW { r { a == 0x10000000000000000 } }", 1, 18,
             "number out of range: '0x10000000000000000' does not fit in "
             "64 bits");
  error_case("ALLOW { r { a == -9223372036854775809 } }", 1, 18,
             "number out of range: '-9223372036854775809' does not fit in "
             "64 bits");
  error_case("ALLOW { r { a == 0b102 } }", 1, 18,
             "invalid digit '2' in binary constant");
  error_case("ALLOW { r { a == 0x } }", 1, 18,
             "missing digits in hexadecimal constant '0x'");
  error_case("ALLOW { r { a == 12ab } }", 1, 18,
             "invalid character 'a' in number '12ab'");
  error_case("ALLOW { r { a == -0x1 } }", 1, 18,
             "a negative number must be written in decimal without leading "
             "zeros");
}
END_TEST

/* ---- expressions ----------------------------------------------------------- */

START_TEST(test_precedence) {
  ck_assert_str_eq(filter_of("a == 1 || b == 2 && c == 3"),
                   "OR((a == 1), AND((b == 2), (c == 3)))");
  ck_assert_str_eq(filter_of("a == 1 && b == 2 || c == 3"),
                   "OR(AND((a == 1), (b == 2)), (c == 3))");
  ck_assert_str_eq(filter_of("flags == 1|2"), "(flags == (1 | 2))");
  ck_assert_str_eq(filter_of("a & b | c == d"), "(((a & b) | c) == d)");
  ck_assert_str_eq(filter_of("a | b & c != 0"), "((a | (b & c)) != 0)");
  ck_assert_str_eq(filter_of("!fd == 1"), "!((fd == 1))");
  ck_assert_str_eq(filter_of("!fd == 1 && b < 2"),
                   "AND(!((fd == 1)), (b < 2))");
  ck_assert_str_eq(filter_of("!!(a <= 1)"), "!(!((a <= 1)))");
  ck_assert_str_eq(filter_of("fd == 1, fd == 2, fd >= 3"),
                   "OR(OR((fd == 1), (fd == 2)), (fd >= 3))");
  ck_assert_str_eq(filter_of("a == 1 || b == 2, c > 3 && d == 4"),
                   "OR(OR((a == 1), (b == 2)), AND((c > 3), (d == 4)))");
  ck_assert_str_eq(filter_of("(a == 1 || b == 2) && c == 3"),
                   "AND(OR((a == 1), (b == 2)), (c == 3))");
  ck_assert_str_eq(filter_of("(prot & 4) == 0"), "((prot & 4) == 0)");
  ck_assert_str_eq(filter_of("((a)) == ((1))"), "(a == 1)");
  ck_assert_str_eq(filter_of("((a == 1))"), "(a == 1)");
  ck_assert_str_eq(filter_of("(a == 1, b == 2) && c == 3"),
                   "AND(OR((a == 1), (b == 2)), (c == 3))");
  ck_assert_str_eq(filter_of("count <= buf"), "(count <= buf)");
  ck_assert_str_eq(filter_of("a != -100"), "(a != -100)");
  ck_assert_str_eq(filter_of("(buf & fd) <= 0xc267df278caf1f35"),
                   "((buf & fd) <= 14008410526916222773)");
}
END_TEST

START_TEST(test_expr_locations) {
  ast_rule *r = first_rule(parse_ok("ALLOW {\n  r { (a & 1) == 1 &&\n"
                                    "      !b == 2 }\n}"));
  ast_expr *e = r->filter;
  ck_assert_int_eq(e->kind, AST_AND);
  ck_assert_int_eq(e->loc.line, 2);
  ck_assert_int_eq(e->loc.col, 7); /* the '(' */
  ck_assert_int_eq(e->lhs->lhs->kind, AST_BITAND);
  ck_assert_int_eq(e->lhs->lhs->lhs->loc.col, 8); /* a */
  ck_assert_int_eq(e->rhs->kind, AST_NOT);
  ck_assert_int_eq(e->rhs->loc.line, 3);
  ck_assert_int_eq(e->rhs->loc.col, 7);
  ck_assert_int_eq(e->rhs->lhs->rhs->loc.col, 13); /* 2 */
  ck_assert_str_eq(e->rhs->loc.src->name, "t.policy");
}
END_TEST

START_TEST(test_expr_errors) {
  error_case("ALLOW { r { fd } }", 1, 13,
             "expected a comparison, found 'fd' alone (e.g. 'fd != 0')");
  error_case("ALLOW { r { fd & 1 } }", 1, 13,
             "expected a comparison, found a value");
  error_case("ALLOW { r { !(fd & 1) } }", 1, 14,
             "expected a comparison, found a value");
  error_case("ALLOW { r { a == 1 && 5 } }", 1, 23,
             "expected a comparison, found a value");
  error_case("ALLOW { r { (a == 1) == 1 } }", 1, 13,
             "a comparison cannot be an operand of '=='");
  error_case("ALLOW { r { a | (b < 1) != 0 } }", 1, 17,
             "a comparison cannot be an operand of '|'");
  error_case("ALLOW { r { a == 1 == 2 } }", 1, 20,
             "unexpected '==', expected '||', '&&', ',', '|', '&' or '}'");
  error_case("ALLOW { r { a == } }", 1, 18,
             "unexpected '}', expected an identifier, a number, '!' or '('");
  error_case("ALLOW { r { a = 1 } }", 1, 15,
             "'=' is not an operator; use '==' to compare");
  error_case("ALLOW { r { (a == 1 } }", 1, 21,
             "unexpected '}', expected '||', '&&', ',', '|', '&' or ')'");
}
END_TEST

/* ---- top level, entries and rules ------------------------------------------ */

START_TEST(test_top_level) {
  ast_file *f = parse_ok(
      "#define STDOUT 1\n"
      "# define NEG -5\n"
      "POLICY io {\n"
      "  ALLOW { read { fd == 0 }, write { fd == STDOUT, fd == 2 } },\n"
      "  ERRNO(9) { close }\n"
      "}\n"
      "POLICY mm { USE io, KILL_PROCESS { mprotect } }\n"
      "USE io, USE mm\n"
      "TRAP(1) { ptrace }, TRACE(2) { kill }, USER_NOTIF { mount }\n"
      "DEFAULT ERRNO(38)\n"
      "ALLOW { exit }\n");
  ck_assert_uint_eq(count_items(f), 7);
  ast_top *t = f->items;
  ck_assert_int_eq(t->kind, AST_TOP_DEFINE);
  ck_assert_str_eq(t->name.name, "STDOUT");
  ck_assert_uint_eq(t->value, 1);
  ck_assert_int_eq(t->loc.line, 1);
  ck_assert_int_eq(t->name.loc.col, 9);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_DEFINE);
  ck_assert_str_eq(t->name.name, "NEG");
  ck_assert_uint_eq(t->value, (uint64_t)-5);
  ck_assert_int_eq(t->negative, 1);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_POLICY);
  ck_assert_str_eq(t->name.name, "io");
  ck_assert_int_eq(t->name.loc.col, 8);
  ck_assert_uint_eq(count_entries(t->entries), 2);
  ck_assert_int_eq(t->entries->action.kind, AST_ACT_ALLOW);
  ck_assert_uint_eq(count_rules(t->entries->rules), 2);
  ck_assert_int_eq(t->entries->next->action.kind, AST_ACT_ERRNO);
  ck_assert_uint_eq(t->entries->next->action.value, 9);
  ck_assert_int_eq(t->entries->next->action.value_loc.col, 9);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_POLICY);
  ck_assert_int_eq(t->entries->kind, AST_ENTRY_USE);
  ck_assert_str_eq(t->entries->use.name, "io");
  ck_assert_int_eq(t->entries->use.loc.col, 17);
  t = t->next;
  /* USE io, USE mm and the next line form one run of top-level entries. */
  ck_assert_int_eq(t->kind, AST_TOP_ENTRIES);
  ck_assert_uint_eq(count_entries(t->entries), 5);
  ck_assert_int_eq(t->entries->next->next->action.kind, AST_ACT_TRAP);
  ck_assert_int_eq(t->entries->next->next->next->action.kind, AST_ACT_TRACE);
  ck_assert_uint_eq(t->entries->next->next->next->action.value, 2);
  ck_assert_int_eq(t->entries->next->next->next->next->action.kind,
                   AST_ACT_USER_NOTIF);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_DEFAULT);
  ck_assert_int_eq(t->action.kind, AST_ACT_ERRNO);
  ck_assert_uint_eq(t->action.value, 38);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_ENTRIES);
  ck_assert_ptr_null(t->next);
}
END_TEST

START_TEST(test_entry_separators) {
  /* Top-level blocks with or without commas; POLICY bodies too. */
  ast_file *f = parse_ok("ALLOW {a} ERRNO(1) {b}, KILL {c}\n"
                         "POLICY p { ALLOW {a}, KILL {b} ERRNO(2) {c} }");
  ck_assert_uint_eq(count_entries(f->items->entries), 3);
  ck_assert_uint_eq(count_entries(f->items->next->entries), 3);
  parse_ok("");
  parse_ok("// only a comment\n/* and another **/");
  f = parse_ok("POLICY empty {} ALLOW {} DEFAULT KILL");
  ck_assert_ptr_null(f->items->entries);
  ck_assert_ptr_null(f->items->next->entries->rules);
}
END_TEST

START_TEST(test_actions) {
  static const struct {
    const char *text;
    ast_action_kind kind;
    uint64_t value;
  } cases[] = {
      {"ALLOW", AST_ACT_ALLOW, 0},
      {"LOG", AST_ACT_LOG, 0},
      {"KILL", AST_ACT_KILL, 0},
      {"KILL_THREAD", AST_ACT_KILL, 0},
      {"DENY", AST_ACT_KILL, 0},
      {"KILL_PROCESS", AST_ACT_KILL_PROCESS, 0},
      {"USER_NOTIF", AST_ACT_USER_NOTIF, 0},
      {"ERRNO(0x5)", AST_ACT_ERRNO, 5},
      {"TRAP(7)", AST_ACT_TRAP, 7},
      {"TRACE(65535)", AST_ACT_TRACE, 65535},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, "DEFAULT %s", cases[i].text);
    ast_file *f = parse_ok(text);
    ck_assert_int_eq(f->items->action.kind, cases[i].kind);
    ck_assert_uint_eq(f->items->action.value, cases[i].value);
    ck_assert_ptr_null(f->items->action.value_name);
    ck_assert_int_eq(f->items->action.loc.col, 9);
  }
  ast_file *f = parse_ok("#define EPERM 1\nERRNO(EPERM) { a }");
  ast_action *a = &f->items->next->entries->action;
  ck_assert_int_eq(a->kind, AST_ACT_ERRNO);
  ck_assert_str_eq(a->value_name, "EPERM");
  ck_assert_int_eq(a->value_loc.line, 2);
  ck_assert_int_eq(a->value_loc.col, 7);
}
END_TEST

START_TEST(test_rules) {
  ast_file *f = parse_ok(
      "ALLOW {\n"
      "  SYSCALL[-1](myarg, myotherarg) { myarg == 1 && myotherarg == 2 },\n"
      "  write(out, p, n) { out == 1 },\n"
      "  read(),\n"
      "  io_uring_setup ON x86_64,\n"
      "  arm_fadvise64_64 ON { arm, i386 } {},\n"
      "  _llseek, SYSCALL[0x1000]\n"
      "}");
  ast_rule *r = first_rule(f);
  ck_assert_int_eq(r->is_custom, 1);
  ck_assert_uint_eq(r->number, UINT64_MAX);
  ck_assert_int_eq(r->number_negative, 1);
  ck_assert_int_eq(r->number_loc.line, 2);
  ck_assert_int_eq(r->number_loc.col, 11);
  ck_assert_int_eq(r->loc.col, 3);
  ck_assert_int_eq(r->has_args, 1);
  ck_assert_uint_eq(r->n_args, 2);
  ck_assert_str_eq(r->args[1].name, "myotherarg");
  ck_assert_int_eq(r->args[1].loc.col, 22);
  ck_assert_ptr_nonnull(r->filter);
  r = r->next;
  ck_assert_int_eq(r->is_custom, 0);
  ck_assert_str_eq(r->name.name, "write");
  ck_assert_int_eq(r->name.loc.line, 3);
  ck_assert_int_eq(r->name.loc.col, 3);
  ck_assert_uint_eq(r->n_args, 3);
  ck_assert_str_eq(r->args[0].name, "out");
  r = r->next;
  ck_assert_str_eq(r->name.name, "read");
  ck_assert_int_eq(r->has_args, 1);
  ck_assert_uint_eq(r->n_args, 0);
  ck_assert_ptr_null(r->filter);
  ck_assert_int_eq(r->empty_filter, 0);
  r = r->next;
  ck_assert_int_eq(r->has_args, 0);
  ck_assert_uint_eq(r->n_archs, 1);
  ck_assert_str_eq(r->archs[0].name, "x86_64");
  ck_assert_int_eq(r->archs[0].loc.col, 21);
  r = r->next;
  ck_assert_uint_eq(r->n_archs, 2);
  ck_assert_str_eq(r->archs[1].name, "i386");
  ck_assert_int_eq(r->empty_filter, 1);
  ck_assert_ptr_null(r->filter);
  r = r->next;
  ck_assert_str_eq(r->name.name, "_llseek");
  r = r->next;
  ck_assert_int_eq(r->is_custom, 1);
  ck_assert_uint_eq(r->number, 0x1000);
  ck_assert_ptr_null(r->next);
}
END_TEST

START_TEST(test_comments_and_whitespace) {
  ast_file *f = parse_ok("/* a\n * b **/ALLOW/**/{//x\n\tread\r\n/***/}");
  ast_rule *r = first_rule(f);
  ck_assert_int_eq(r->loc.line, 3);
  ck_assert_int_eq(r->loc.col, 2);
  /* Non-ASCII is fine inside comments. */
  parse_ok("// caf\xc3\xa9 \xff\n/* \xfe */ ALLOW { a }");
}
END_TEST

/* ---- syntax errors --------------------------------------------------------- */

START_TEST(test_syntax_errors) {
  error_case("ALLOW { read, }", 1, 15,
             "unexpected '}', expected a syscall name");
  error_case("ALLOW {\n  read,\n  /* x\n", 3, 3, "unterminated comment");
  error_case("ALLOW { @ }", 1, 9, "unexpected character '@'");
  error_case("ALLOW { re\x01 }", 1, 11, "unexpected character 0x01");
  error_case("ALLOW { caf\xc3\xa9 }", 1, 12,
             "unexpected non-ASCII character '\xc3\xa9'");
  error_case("ALLOW { a\xff }", 1, 10, "invalid UTF-8 (byte 0xff)");
  error_case("POLICY p {\n  ALLOW { read }\n  DEFAULT KILL\n}", 3, 3,
             "DEFAULT is only allowed at top level, not inside POLICY");
  error_case("ALLOW { ALLOW }", 1, 9, "keyword 'ALLOW' cannot be used as a name");
  error_case("POLICY KILL { }", 1, 8, "keyword 'KILL' cannot be used as a name");
  error_case("ALLOW { a } DEFAULT", 1, 20,
             "unexpected end of file, expected an action");
  error_case("DEFAULT FOO", 1, 9,
             "unexpected identifier 'FOO', expected an action");
  error_case("ERRNO { a }", 1, 7, "unexpected '{', expected '('");
  error_case("ALLOW { a(x,) }", 1, 13, "unexpected ')', expected an identifier");
  error_case("ALLOW { SYSCALL[x] }", 1, 17,
             "unexpected identifier 'x', expected a number");
  error_case("#define X\n", 2, 1, "unexpected end of file, expected a number");
  error_case("ALLOW { a } ;", 1, 13, "unexpected character ';'");
  error_case("allow { read }", 1, 1,
             "unexpected identifier 'allow', expected an action, end of "
             "file, 'POLICY', 'USE', 'DEFAULT' or '#define' (keywords are "
             "upper case: 'ALLOW')");
  error_case("#pragma once", 1, 1, "unknown directive '#pragma'");
  error_case("#include \"x.policy\n", 1, 10, "unterminated string in #include");
  error_case("#include x.policy\n", 1, 10,
             "unexpected 'x' in #include, expected a quoted file name");
  error_case("#include\n", 1, 1, "#include expects a quoted file name");
  error_case("POLICY p { #define X 1 }", 1, 12,
             "#define is only allowed at top level, not inside POLICY");
}
END_TEST

START_TEST(test_nul_bytes) {
  static const char text[] = "ALLOW { a }\n\0\0 // \0\n";
  ck_assert_int_eq(sf_ctx_reset(ctx), 0);
  /* set_input_string stops at NUL: put the text in the context directly */
  ck_assert_int_eq(sysfence_set_input_string(ctx, "n.policy", "x"), 0);
  free(ctx->input_text);
  ctx->input_text = malloc(sizeof text);
  memcpy(ctx->input_text, text, sizeof text);
  ctx->input_len = sizeof text - 1;
  parse_ctx();
  ck_assert_uint_eq(ctx->n_errors, 2);
  assert_diag(0, 2, 1, "NUL byte in policy");
  assert_diag(1, 2, 7, "NUL byte in policy");
}
END_TEST

START_TEST(test_many_errors_reported) {
  parse("ALLOW { read { fd == } , write { fd == 1 }, 12, close }\n"
        "ERRNO(1) { open { x } }\n"
        "KILL { a @ b }\n"
        "POLICY p { ALLOW { a } junk, KILL { b } }\n");
  ck_assert_msg(ctx->n_errors >= 4, "%s", sysfence_diag_text(ctx));
  assert_diag(0, 1, 22,
              "unexpected '}', expected an identifier, a number, '!' or '('");
  ck_assert(has_message("expected a comparison, found 'x' alone"));
  ck_assert(has_message("unexpected character '@'"));
  ck_assert(has_message("unexpected identifier 'junk'"));
}
END_TEST

START_TEST(test_too_many_errors) {
  char *s = repeat("@ ", 100000);
  parse(s);
  free(s);
  ck_assert(sf_too_many_errors(ctx));
  ck_assert_uint_le(sysfence_diag_count(ctx), SF_MAX_ERRORS + 1);
  s = repeat("ALLOW { , } ", 10000);
  parse(s);
  free(s);
  ck_assert(sf_too_many_errors(ctx));
}
END_TEST

/* ---- limits and robustness ------------------------------------------------- */

START_TEST(test_deep_nesting) {
  char *open = repeat("(", 100000), *close = repeat(")", 100000);
  size_t n = 2 * 100000 + 100;
  char *text = malloc(n);
  snprintf(text, n, "ALLOW { r { %sfd == 1%s } }", open, close);
  parse(text);
  ck_assert(ctx->n_errors >= 1);
  assert_diag(0, 1, 13 + SF_MAX_EXPR_DEPTH,
              "expression is nested too deeply (more than 200 levels)");
  char *bangs = repeat("!", 100000);
  snprintf(text, n, "ALLOW { r { %sfd == 1 } }", bangs);
  parse(text);
  ck_assert(ctx->n_errors >= 1);
  ck_assert(has_message("nested too deeply"));
  free(open);
  free(close);
  free(bangs);
  free(text);
  /* 199 levels of parentheses are fine. */
  open = repeat("(", 199);
  close = repeat(")", 199);
  text = malloc(1000);
  snprintf(text, 1000, "ALLOW { r { %sfd == 1%s } }", open, close);
  parse_ok(text);
  free(open);
  free(close);
  free(text);
  /* A long flat chain makes a deep tree. */
  char *chain = repeat("a == 1 || ", 300);
  text = malloc(strlen(chain) + 64);
  sprintf(text, "ALLOW { r { %sa == 1 } } KILL { x { }", chain);
  parse(text);
  ck_assert(has_message("nested too deeply"));
  free(chain);
  free(text);
}
END_TEST

START_TEST(test_many_rules) {
  size_t n = 100000;
  char *text = malloc(n * 32 + 64);
  size_t used = (size_t)sprintf(text, "ALLOW {\n");
  for (size_t i = 0; i < n; i++)
    used += (size_t)sprintf(text + used, "%ss%zu { a == %zu }\n",
                            i ? "," : "", i, i);
  strcpy(text + used, "}");
  ast_file *f = parse_ok(text);
  free(text);
  ck_assert_uint_eq(count_rules(first_rule(f)), n);
}
END_TEST

START_TEST(test_garbage) {
  /* Pseudo-random bytes: must not crash, and report errors. */
  unsigned seed = 12345;
  size_t n = 200000;
  char *text = malloc(n + 1);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    text[i] = (char)(seed >> 16);
    if (!text[i]) text[i] = '{';
  }
  text[n] = '\0';
  parse(text);
  ck_assert(ctx->n_errors > 0);
  /* Printable token soup. */
  static const char *toks[] = {"ALLOW", "{", "}", "(", ")", "read", ",",
                               "==", "1", "&&", "!", "POLICY", "USE",
                               "DEFAULT", "#define", "ON", "[", "]",
                               "SYSCALL", "ERRNO", "|", "&", "-1"};
  size_t used = 0;
  for (int i = 0; i < 20000; i++) {
    seed = seed * 1103515245u + 12345u;
    const char *t = toks[(seed >> 16) % (sizeof toks / sizeof toks[0])];
    used += (size_t)snprintf(text + used, n + 1 - used, "%s ", t);
    if (used > n - 20) break;
  }
  parse(text);
  free(text);
}
END_TEST

START_TEST(test_unreadable_input) {
  parse_path("/nonexistent/dir/x.policy");
  ck_assert_uint_eq(ctx->n_errors, 1);
  const sysfence_diag *d = sysfence_diag_get(ctx, 0);
  ck_assert_ptr_null(d->file);
  ck_assert_str_eq(d->message, "cannot read '/nonexistent/dir/x.policy': "
                               "No such file or directory");
  parse_path("/");
  ck_assert_uint_eq(ctx->n_errors, 1);
  ck_assert_str_eq(sysfence_diag_get(ctx, 0)->message,
                   "cannot read '/': Is a directory");
}
END_TEST

START_TEST(test_source_line) {
  sf_source s;
  memset(&s, 0, sizeof s);
  s.text = "one\r\ntwo\n\nfour";
  s.len = strlen(s.text);
  const char *p;
  size_t n;
  ck_assert_int_eq(sf_source_line(&s, 1, &p, &n), 1);
  ck_assert_uint_eq(n, 3);
  ck_assert(!strncmp(p, "one", 3));
  ck_assert_int_eq(sf_source_line(&s, 2, &p, &n), 1);
  ck_assert(n == 3 && !strncmp(p, "two", 3));
  ck_assert_int_eq(sf_source_line(&s, 3, &p, &n), 1);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(sf_source_line(&s, 4, &p, &n), 1);
  ck_assert(n == 4 && !strncmp(p, "four", 4));
  ck_assert_int_eq(sf_source_line(&s, 5, &p, &n), 0);
  ck_assert_int_eq(sf_source_line(&s, 0, &p, &n), 0);
  ck_assert_int_eq(sf_source_line(NULL, 1, &p, &n), 0);
}
END_TEST

/* ---- #include ----------------------------------------------------------------- */

START_TEST(test_include_splicing) {
  mk_tmpdir();
  write_file("main.policy",
             "POLICY p {\n"
             "  ALLOW { read },\n"
             "#include \"sub/body.inc\"\n"
             "}\n"
             "USE p\n"
             "#include \"a.inc\" \"b.inc\"; ALLOW { c }\n"
             "#include \"sub/nested.inc\"\n"
             "ALLOW { last }");
  write_file("sub/body.inc", "ERRNO(1) { write }\n");
  write_file("a.inc", "ALLOW { a }");
  write_file("b.inc", "#define B 2\n");
  /* Found next to the file that includes it, not next to main.policy. */
  write_file("sub/nested.inc", "#include \"inner.inc\"\n");
  write_file("sub/inner.inc", "KILL { inner {\n x == B } }");
  write_file("inner.inc", "KILL { wrong }");
  ast_file *f = parse_path(tmp_path("main.policy"));
  ck_assert_msg(ctx->n_errors == 0, "%s", sysfence_diag_text(ctx));
  ast_top *t = f->items;
  ck_assert_int_eq(t->kind, AST_TOP_POLICY);
  ck_assert_uint_eq(count_entries(t->entries), 2);
  ast_entry *e = t->entries->next;
  ck_assert_int_eq(e->action.kind, AST_ACT_ERRNO);
  ck_assert_str_eq(e->rules->name.name, "write");
  const sf_source *inc = e->rules->loc.src;
  ck_assert_int_eq(inc->depth, 1);
  ck_assert_ptr_nonnull(strstr(inc->name, "sub/body.inc"));
  ck_assert_int_eq(inc->included_from.line, 3);
  ck_assert_int_eq(inc->included_from.col, 10); /* the quoted name */
  ck_assert_int_eq(inc->included_from.src->depth, 0);
  ck_assert_int_eq(e->rules->loc.line, 1);
  ck_assert_int_eq(e->rules->loc.col, 12);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_ENTRIES);
  e = t->entries; /* USE p */
  ck_assert_int_eq(e->kind, AST_ENTRY_USE);
  e = e->next; /* from a.inc */
  ck_assert_str_eq(e->rules->name.name, "a");
  ck_assert_ptr_nonnull(strstr(e->rules->loc.src->name, "a.inc"));
  t = t->next; /* #define B from b.inc */
  ck_assert_int_eq(t->kind, AST_TOP_DEFINE);
  ck_assert_str_eq(t->name.name, "B");
  t = t->next; /* ALLOW { c } after the ';' on line 6 */
  e = t->entries;
  ck_assert_str_eq(e->rules->name.name, "c");
  ck_assert_int_eq(e->rules->loc.line, 6);
  ck_assert_int_eq(e->rules->loc.col, 35);
  e = e->next; /* sub/inner.inc via sub/nested.inc */
  ck_assert_str_eq(e->rules->name.name, "inner");
  ck_assert_int_eq(e->rules->loc.src->depth, 2);
  ck_assert_int_eq(e->rules->filter->loc.line, 2);
  e = e->next;
  ck_assert_str_eq(e->rules->name.name, "last");
  ck_assert_int_eq(e->rules->loc.line, 8);
  ck_assert_str_eq(e->rules->loc.src->name, tmp_path("main.policy"));
  rm_tree(tmpdir);
}
END_TEST

START_TEST(test_include_paths) {
  mk_tmpdir();
  write_file("lib1/x.inc", "ALLOW { one }");
  write_file("lib2/x.inc", "ALLOW { two }");
  write_file("lib2/y.inc", "ALLOW { y }");
  ck_assert_int_eq(sysfence_add_include_path(ctx, tmp_path("lib1")), 0);
  ck_assert_int_eq(sysfence_add_include_path(ctx, tmp_path("lib2")), 0);
  /* String input: no folder of its own; include paths in order. */
  ast_file *f = parse_ok("#include \"x.inc\" \"y.inc\"\n");
  ck_assert_str_eq(f->items->entries->rules->name.name, "one");
  ck_assert_str_eq(f->items->entries->next->rules->name.name, "y");
  /* An absolute name. */
  char text[600];
  snprintf(text, sizeof text, "#include \"%s\"", tmp_path("lib2/x.inc"));
  f = parse_ok(text);
  ck_assert_str_eq(f->items->entries->rules->name.name, "two");
  /* Errors inside an included file point into it. */
  write_file("lib1/bad.inc", "\n  ALLOW { @ }");
  parse("#include \"bad.inc\"");
  ck_assert_uint_eq(ctx->n_errors, 1);
  assert_diag(0, 2, 11, "unexpected character '@'");
  ck_assert_ptr_nonnull(strstr(sysfence_diag_get(ctx, 0)->file, "bad.inc"));
  /* Missing file: error at its name and a note listing the folders. */
  parse("ALLOW { a }\n  #include \"nope.inc\"\n");
  ck_assert_uint_eq(ctx->n_errors, 1);
  assert_diag(0, 2, 12,
              "cannot open include file \"nope.inc\": No such file or "
              "directory");
  const sysfence_diag *d = sysfence_diag_get(ctx, 1);
  ck_assert_int_eq(d->severity, SYSFENCE_NOTE);
  ck_assert_ptr_nonnull(strstr(d->message, "lib1"));
  ck_assert_ptr_nonnull(strstr(d->message, "lib2"));
  rm_tree(tmpdir);
}
END_TEST

START_TEST(test_include_cycles) {
  mk_tmpdir();
  write_file("self.policy", "#include \"self.policy\";\n");
  write_file("a.policy", "ALLOW { a }\n#include \"b.policy\"\n");
  write_file("b.policy", "\n#include \"a.policy\"\n");
  write_file("top.policy", "#include \"a.policy\"\n");
  parse_path(tmp_path("self.policy"));
  ck_assert_uint_eq(ctx->n_errors, 1);
  assert_diag(0, 1, 10, "#include cycle: self.policy includes itself");
  parse_path(tmp_path("a.policy"));
  ck_assert_uint_eq(ctx->n_errors, 1);
  assert_diag(0, 2, 10,
              "#include cycle: a.policy includes b.policy which includes "
              "a.policy");
  parse_path(tmp_path("top.policy"));
  ck_assert_uint_eq(ctx->n_errors, 1);
  ck_assert_str_eq(sysfence_diag_get(ctx, 0)->message,
                   "#include cycle: a.policy includes b.policy which "
                   "includes a.policy");
  /* A deep chain without a cycle: the depth limit. */
  for (int i = 0; i < 20; i++) {
    char name[32], body[64];
    snprintf(name, sizeof name, "d%d.inc", i);
    snprintf(body, sizeof body, "#include \"d%d.inc\"\n", i + 1);
    write_file(name, body);
  }
  write_file("d20.inc", "ALLOW { deep }");
  parse_path(tmp_path("d0.inc"));
  ck_assert_uint_eq(ctx->n_errors, 1);
  ck_assert_str_eq(sysfence_diag_get(ctx, 0)->message,
                   "#include nested too deeply (more than 16 levels)");
  ck_assert_ptr_nonnull(strstr(sysfence_diag_get(ctx, 0)->file, "d16.inc"));
  /* 16 levels are fine. */
  write_file("d16.inc", "ALLOW { deep }");
  ast_file *f = parse_path(tmp_path("d0.inc"));
  ck_assert_msg(ctx->n_errors == 0, "%s", sysfence_diag_text(ctx));
  ck_assert_int_eq(first_rule(f)->loc.src->depth, 16);
  rm_tree(tmpdir);
}
END_TEST

/* ---- the corpus ----------------------------------------------------------------- */

static int must_fail(const char *name) {
  return strstr(name, "README-example-invalid") || strstr(name, "loop") ||
         strstr(name, "self_recursive");
}

static int parse_corpus_dir(const char *dir, int recurse, int *failed) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (recurse) n += parse_corpus_dir(path, 1, failed);
      continue;
    }
    size_t l = strlen(e->d_name);
    if (!(l > 7 && !strcmp(e->d_name + l - 7, ".policy")) &&
        !(l > 6 && !strcmp(e->d_name + l - 6, ".kafel")))
      continue;
    sysfence_free(ctx);
    ctx = sysfence_new();
    sysfence_add_include_path(ctx, KAFEL_DIR "/kafel-testdata");
    ast_file *f = parse_path(path);
    n++;
    if (must_fail(e->d_name)) {
      if (ctx->n_errors == 0) {
        fprintf(stderr, "%s: parsed but must fail\n", path);
        (*failed)++;
      } else if (strstr(e->d_name, "loop") || strstr(e->d_name, "recursive")) {
        if (!has_message("#include cycle: ")) {
          fprintf(stderr, "%s: no cycle error:\n%s", path,
                  sysfence_diag_text(ctx));
          (*failed)++;
        }
      } else if (!has_message("DEFAULT is only allowed at top level")) {
        fprintf(stderr, "%s: wrong error:\n%s", path, sysfence_diag_text(ctx));
        (*failed)++;
      }
    } else if (!f || ctx->n_errors) {
      fprintf(stderr, "%s: errors:\n%s", path, sysfence_diag_text(ctx));
      (*failed)++;
    }
  }
  closedir(d);
  return n;
}

START_TEST(test_corpus) {
  TU_NEED_CORPUS("test_corpus");
  int failed = 0;
  int n = parse_corpus_dir(KAFEL_DIR, 1, &failed);
  n += parse_corpus_dir(SHARED_DIR "/corpus", 0, &failed); /* *.kafel */
  ck_assert_int_ge(n, 50);
  ck_assert_int_eq(failed, 0);
}
END_TEST

START_TEST(test_corpus_shapes) {
  TU_NEED_CORPUS("test_corpus_shapes");
  sysfence_add_include_path(ctx, KAFEL_DIR "/kafel-testdata");
  ast_file *f = parse_path(KAFEL_DIR "/kafel-testdata/chain.policy");
  ck_assert_uint_eq(ctx->n_errors, 0);
  /* basic, chain_2 (3 defines, chain_2_1's policy, chain_2), chain_3
   * (empty, chain_3), chain. */
  ck_assert_uint_eq(count_items(f), 9);
  f = parse_path(KAFEL_DIR "/kafel-samples/sample_composition.policy");
  ck_assert_uint_eq(ctx->n_errors, 0);
  ast_top *t = f->items->next->next; /* POLICY Main */
  ck_assert_str_eq(t->name.name, "Main");
  ck_assert_uint_eq(count_entries(t->entries), 2);
  t = t->next;
  ck_assert_int_eq(t->kind, AST_TOP_ENTRIES);
  ck_assert_str_eq(t->entries->use.name, "Main");
  ck_assert_int_eq(t->next->kind, AST_TOP_DEFAULT);
  char buf[512];
  render(first_rule(f)->filter, buf, sizeof buf);
  ck_assert_str_eq(buf, "(fd == 0)");
  f = parse_path(KAFEL_DIR "/nsjail/hexchat-with-net.policy");
  ck_assert_uint_eq(ctx->n_errors, 0);
  ck_assert_uint_eq(count_entries(f->items->entries), 2);
}
END_TEST

static Suite *parse_suite(void) {
  Suite *s = suite_create("parse");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_number_errors);
  tcase_add_test(tc, test_precedence);
  tcase_add_test(tc, test_expr_locations);
  tcase_add_test(tc, test_expr_errors);
  tcase_add_test(tc, test_top_level);
  tcase_add_test(tc, test_entry_separators);
  tcase_add_test(tc, test_actions);
  tcase_add_test(tc, test_rules);
  tcase_add_test(tc, test_comments_and_whitespace);
  tcase_add_test(tc, test_syntax_errors);
  tcase_add_test(tc, test_nul_bytes);
  tcase_add_test(tc, test_many_errors_reported);
  tcase_add_test(tc, test_too_many_errors);
  tcase_add_test(tc, test_deep_nesting);
  tcase_add_test(tc, test_many_rules);
  tcase_add_test(tc, test_garbage);
  tcase_add_test(tc, test_unreadable_input);
  tcase_add_test(tc, test_source_line);
  tcase_add_test(tc, test_include_splicing);
  tcase_add_test(tc, test_include_paths);
  tcase_add_test(tc, test_include_cycles);
  tcase_add_test(tc, test_corpus);
  tcase_add_test(tc, test_corpus_shapes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return tu_run_suite(parse_suite());
}
