/* check_badinput.c - malformed policies through the real command line.
 *
 * Every case of the table below is written to bad.policy in a fresh
 * folder (with a sentinel out.bpf and any included files) and compiled
 * with `sysfence compile bad.policy -o out.bpf --arch x86_64`; a second
 * pass runs `sysfence check` on the same input.  Each run must:
 *   - exit with status 1 (policy error);
 *   - print the expected diagnostic line(s) exactly, followed, for a
 *     located diagnostic, by the source line and a caret under the column;
 *   - print every other expected line (further errors, notes);
 *   - leave out.bpf byte-identical and no other file in the folder.
 *
 * The expectations are what a good diagnostic says, not a copy of what the
 * program happens to print. */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define SENTINEL "sysfence sentinel: must stay untouched\n"
#define MAX_ALSO 8
#define MAX_FILES 4

typedef struct bad_file {
  const char *name, *text;
} bad_file;

typedef struct bad_case {
  const char *name;
  const char *policy; /* text of bad.policy */
  size_t len;         /* 0: strlen(policy); else exact size (NUL bytes) */
  /* The main diagnostic: one or more whole lines ("In file included from"
   * lines first).  If the last line starts with FILE:LINE:COL: it must be
   * followed by the source line and a caret at COL.  "<N>" matches a run
   * of digits. */
  const char *expect;
  const char *also[MAX_ALSO]; /* further lines that must be present */
  bad_file files[MAX_FILES];  /* other files in the folder */
  const char *arch;           /* --arch (default x86_64) */
  char *(*gen)(void);         /* generates the policy (malloc()ed) */
  int compile_only;           /* an error only code generation can find */
} bad_case;

#define BYTES(s) s, sizeof(s) - 1

/* ---- generated policies ------------------------------------------------ */

typedef struct gbuf {
  char *s;
  size_t len, cap;
} gbuf;

__attribute__((format(printf, 2, 3)))
static void gadd(gbuf *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    if ((size_t)n < room) {
      b->len += (size_t)n;
      return;
    }
    b->cap = b->cap * 2 + (size_t)n + 1;
    b->s = realloc(b->s, b->cap);
    if (!b->s) abort();
  }
}

/* 3000 isolated custom syscalls, each with its own ERRNO action. */
static char *gen_many_errnos(void) {
  gbuf b = {0};
  for (int i = 0; i < 3000; i++)
    gadd(&b, "ERRNO(%d) { SYSCALL[%d] }\n", i % 4000 + 1, 1000 + 2 * i);
  return b.s;
}

/* 3000 isolated custom syscalls, each with an argument condition. */
static char *gen_many_conditions(void) {
  gbuf b = {0};
  gadd(&b, "ALLOW {\n");
  for (int i = 0; i < 3000; i++)
    gadd(&b, "  SYSCALL[%d](a) { a == %d },\n", 1000 + 2 * i, i);
  gadd(&b, "  read\n}\n");
  return b.s;
}

/* 300 nested '(' (or '!'), 100 a line: the 201st is at 4:1. */
static char *gen_deep(const char *open, const char *close) {
  gbuf b = {0};
  gadd(&b, "ALLOW { read {\n");
  for (int i = 0; i < 300; i++) gadd(&b, "%s%s", open, i % 100 == 99 ? "\n" : "");
  gadd(&b, "fd == 1");
  for (int i = 0; i < 300 && *close; i++) gadd(&b, "%s", close);
  gadd(&b, " } }\n");
  return b.s;
}
static char *gen_deep_parens(void) { return gen_deep("(", ")"); }
static char *gen_deep_nots(void) { return gen_deep("!", ""); }

/* An error at column 249 of a long line. */
static char *gen_long_line(void) {
  gbuf b = {0};
  gadd(&b, "ALLOW { ");
  for (int i = 0; i < 40; i++) gadd(&b, "read, ");
  gadd(&b, "opneat }\n");
  return b.s;
}

/* ---- the cases --------------------------------------------------------- */

static const bad_case cases[] = {
    /* -- syntax ---------------------------------------------------------- */
    {.name = "missing_open_brace",
     .policy = "ALLOW read }\n",
     .expect = "bad.policy:1:7: error: unexpected identifier 'read', expected '{'"},
    {.name = "missing_close_brace_at_eof",
     .policy = "ALLOW { read ",
     .expect = "bad.policy:1:14: error: unexpected end of file, expected 'ON', "
               "',', '{', '}' or '('"},
    {.name = "stray_close_brace",
     .policy = "ALLOW { read } }\n",
     .expect = "bad.policy:1:16: error: unexpected '}', expected an action, end "
               "of file, 'POLICY', 'USE', 'DEFAULT', '#define' or ','"},
    {.name = "missing_comma_between_rules",
     .policy = "ALLOW { read write }\n",
     .expect = "bad.policy:1:14: error: unexpected identifier 'write', expected "
               "'ON', ',', '{', '}' or '('"},
    {.name = "trailing_comma_in_rules",
     .policy = "ALLOW { read, }\n",
     .expect = "bad.policy:1:15: error: unexpected '}', expected a syscall name"},
    {.name = "double_comma_between_entries",
     .policy = "ALLOW { read }, , ALLOW { write }\n",
     .expect = "bad.policy:1:17: error: unexpected ',', expected an action or 'USE'"},
    {.name = "filter_without_comparison",
     .policy = "ALLOW { read { fd } }\n",
     .expect = "bad.policy:1:16: error: expected a comparison, found 'fd' alone "
               "(e.g. 'fd != 0')"},
    {.name = "chained_equality",
     .policy = "ALLOW { read { fd == 1 == 1 } }\n",
     .expect = "bad.policy:1:24: error: unexpected '==', expected '||', '&&', "
               "',', '|', '&' or '}'"},
    {.name = "chained_less_than",
     .policy = "ALLOW { read { fd < 1 < 2 } }\n",
     .expect = "bad.policy:1:23: error: unexpected '<', expected '||', '&&', "
               "',', '|', '&' or '}'"},
    {.name = "negated_value",
     .policy = "ALLOW { read { !(fd & 1) } }\n",
     .expect = "bad.policy:1:17: error: expected a comparison, found a value"},
    {.name = "negated_identifier",
     .policy = "ALLOW { read { !fd } }\n",
     .expect = "bad.policy:1:17: error: expected a comparison, found 'fd' alone "
               "(e.g. 'fd != 0')"},
    {.name = "value_operand_of_and",
     .policy = "ALLOW { read { fd && 1 == 1 } }\n",
     .expect = "bad.policy:1:16: error: expected a comparison, found 'fd' alone "
               "(e.g. 'fd != 0')"},
    {.name = "comparison_compared",
     .policy = "ALLOW { read { (fd == 1) == 1 } }\n",
     .expect = "bad.policy:1:16: error: a comparison cannot be an operand of '=='"},
    {.name = "comparison_in_bitand",
     .policy = "ALLOW { read { fd & (fd == 1) } }\n",
     .expect = "bad.policy:1:21: error: a comparison cannot be an operand of '&'"},
    {.name = "missing_right_operand",
     .policy = "ALLOW { read { fd == } }\n",
     .expect = "bad.policy:1:22: error: unexpected '}', expected an identifier, "
               "a number, '!' or '('"},
    {.name = "missing_left_operand",
     .policy = "ALLOW { read { == 1 } }\n",
     .expect = "bad.policy:1:16: error: unexpected '==', expected an identifier, "
               "a number, '!', '}' or '('"},
    {.name = "dangling_and",
     .policy = "ALLOW { read { fd == 1 && } }\n",
     .expect = "bad.policy:1:27: error: unexpected '}', expected an identifier, "
               "a number, '!' or '('"},
    {.name = "unclosed_paren",
     .policy = "ALLOW { read { (fd == 1 } }\n",
     .expect = "bad.policy:1:25: error: unexpected '}', expected '||', '&&', "
               "',', '|', '&' or ')'"},
    {.name = "extra_close_paren",
     .policy = "ALLOW { read { fd == 1) } }\n",
     .expect = "bad.policy:1:23: error: unexpected ')', expected '||', '&&', "
               "',', '|', '&' or '}'"},
    {.name = "empty_parens",
     .policy = "ALLOW { read { () } }\n",
     .expect = "bad.policy:1:17: error: unexpected ')', expected an identifier, "
               "a number, '!' or '('"},
    {.name = "two_filters",
     .policy = "ALLOW { read { fd == 1 } { fd == 2 } }\n",
     .expect = "bad.policy:1:26: error: unexpected '{', expected ',' or '}'"},
    {.name = "infix_bang",
     .policy = "ALLOW { read { fd == 1 ! fd == 2 } }\n",
     .expect = "bad.policy:1:24: error: unexpected '!', expected '||', '&&', "
               "',', '|', '&' or '}'"},
    {.name = "assign_instead_of_equal",
     .policy = "ALLOW { read { fd = 1 } }\n",
     .expect = "bad.policy:1:19: error: '=' is not an operator; use '==' to compare"},
    {.name = "unknown_character",
     .policy = "ALLOW { read $ }\n",
     .expect = "bad.policy:1:14: error: unexpected character '$'"},
    {.name = "control_character",
     .policy = "ALLOW { read }\x01\n",
     .expect = "bad.policy:1:15: error: unexpected character 0x01"},
    {.name = "lower_case_keyword",
     .policy = "allow { read }\n",
     .expect = "bad.policy:1:1: error: unexpected identifier 'allow', expected "
               "an action, end of file, 'POLICY', 'USE', 'DEFAULT' or '#define' "
               "(keywords are upper case: 'ALLOW')"},
    {.name = "keyword_as_syscall",
     .policy = "ALLOW { POLICY }\n",
     .expect = "bad.policy:1:9: error: keyword 'POLICY' cannot be used as a name"},
    {.name = "keyword_as_policy_name",
     .policy = "POLICY ALLOW { ALLOW { read } }\n",
     .expect = "bad.policy:1:8: error: keyword 'ALLOW' cannot be used as a name"},
    {.name = "keyword_in_use",
     .policy = "USE DEFAULT\n",
     .expect = "bad.policy:1:5: error: keyword 'DEFAULT' cannot be used as a name"},
    {.name = "keyword_in_define",
     .policy = "#define ERRNO 1\n",
     .expect = "bad.policy:1:9: error: keyword 'ERRNO' cannot be used as a name"},
    {.name = "keyword_as_argument_name",
     .policy = "ALLOW { read(ALLOW) }\n",
     .expect = "bad.policy:1:14: error: keyword 'ALLOW' cannot be used as a name"},
    {.name = "keyword_as_arch",
     .policy = "ALLOW { read ON ALLOW }\n",
     .expect = "bad.policy:1:17: error: keyword 'ALLOW' cannot be used as a name"},
    {.name = "keyword_in_errno",
     .policy = "ERRNO(TRAP) { read }\n",
     .expect = "bad.policy:1:7: error: keyword 'TRAP' cannot be used as a name"},
    {.name = "policy_without_name",
     .policy = "POLICY { ALLOW { read } }\n",
     .expect = "bad.policy:1:8: error: unexpected '{', expected an identifier"},
    {.name = "policy_missing_brace",
     .policy = "POLICY p ALLOW { read }\n",
     .expect = "bad.policy:1:10: error: unexpected 'ALLOW', expected '{'"},
    {.name = "policy_unclosed",
     .policy = "POLICY p { ALLOW { read } ",
     .expect = "bad.policy:1:27: error: unexpected end of file, expected an "
               "action, 'USE', 'DEFAULT', '#define', ',' or '}'"},
    {.name = "use_without_name",
     .policy = "USE",
     .expect = "bad.policy:1:4: error: unexpected end of file, expected an identifier"},
    {.name = "on_without_arch",
     .policy = "ALLOW { read ON }\n",
     .expect = "bad.policy:1:17: error: unexpected '}', expected an identifier or '{'"},
    {.name = "on_empty_set",
     .policy = "ALLOW { read ON {} }\n",
     .expect = "bad.policy:1:18: error: unexpected '}', expected an identifier"},
    {.name = "on_twice",
     .policy = "ALLOW { read ON x86_64 ON arm }\n",
     .expect = "bad.policy:1:24: error: unexpected 'ON', expected ',', '{' or '}'"},
    {.name = "argument_list_trailing_comma",
     .policy = "ALLOW { read(a,) }\n",
     .expect = "bad.policy:1:16: error: unexpected ')', expected an identifier"},
    {.name = "syscall_empty_index",
     .policy = "ALLOW { SYSCALL[] }\n",
     .expect = "bad.policy:1:17: error: unexpected ']', expected a number"},
    {.name = "syscall_name_index",
     .policy = "ALLOW { SYSCALL[abc] }\n",
     .expect = "bad.policy:1:17: error: unexpected identifier 'abc', expected a number"},
    {.name = "unterminated_comment",
     .policy = "ALLOW { read }\n/* open",
     .expect = "bad.policy:2:1: error: unterminated comment"},
    {.name = "unterminated_include_string",
     .policy = "#include \"foo.policy\nALLOW { read }\n",
     .expect = "bad.policy:1:10: error: unterminated string in #include"},
    {.name = "include_unquoted",
     .policy = "#include foo.policy\nALLOW { read }\n",
     .expect = "bad.policy:1:10: error: unexpected 'f' in #include, expected a "
               "quoted file name"},
    {.name = "include_empty_name",
     .policy = "#include \"\"\nALLOW { read }\n",
     .expect = "bad.policy:1:10: error: empty file name in #include"},
    {.name = "include_without_name",
     .policy = "#include\nALLOW { read }\n",
     .expect = "bad.policy:1:1: error: #include expects a quoted file name"},
    {.name = "unknown_directive",
     .policy = "#pragma once\nALLOW { read }\n",
     .expect = "bad.policy:1:1: error: unknown directive '#pragma'"},
    {.name = "define_without_value",
     .policy = "#define X\nALLOW { read }\n",
     .expect = "bad.policy:2:1: error: unexpected 'ALLOW', expected a number"},
    {.name = "define_with_expression",
     .policy = "#define X 1|2\nALLOW { read }\n",
     .expect = "bad.policy:1:12: error: unexpected '|', expected an action, end "
               "of file, 'POLICY', 'USE', 'DEFAULT' or '#define'"},
    {.name = "default_inside_policy",
     .policy = "POLICY p {\n  DEFAULT ALLOW\n}\nUSE p\n",
     .expect = "bad.policy:2:3: error: DEFAULT is only allowed at top level, not "
               "inside POLICY"},
    {.name = "define_inside_policy",
     .policy = "POLICY p {\n  #define X 1\n}\nUSE p\n",
     .expect = "bad.policy:2:3: error: #define is only allowed at top level, not "
               "inside POLICY"},
    {.name = "default_twice",
     .policy = "ALLOW { read }\nDEFAULT KILL\nDEFAULT ALLOW\n",
     .expect = "bad.policy:3:1: error: DEFAULT is given twice",
     .also = {"bad.policy:2:1: note: the first DEFAULT is here"}},
    {.name = "default_without_action",
     .policy = "ALLOW { read }\nDEFAULT",
     .expect = "bad.policy:2:8: error: unexpected end of file, expected an action"},
    {.name = "default_with_rules",
     .policy = "DEFAULT ALLOW { read }\n",
     .expect = "bad.policy:1:15: error: unexpected '{', expected an action, end "
               "of file, 'POLICY', 'USE', 'DEFAULT' or '#define'"},
    {.name = "errno_empty",
     .policy = "ERRNO() { read }\n",
     .expect = "bad.policy:1:7: error: unexpected ')', expected an identifier or "
               "a number"},
    {.name = "errno_unclosed",
     .policy = "ERRNO(1 { read }\n",
     .expect = "bad.policy:1:9: error: unexpected '{', expected ')'"},
    {.name = "trace_shift_expression",
     .policy = "TRACE(1<<17) { read }\n",
     .expect = "bad.policy:1:8: error: unexpected '<', expected ')'"},

    /* -- numbers --------------------------------------------------------- */
    {.name = "octal_09",
     .policy = "ALLOW { read { fd == 09 } }\n",
     .expect = "bad.policy:1:22: error: invalid digit '9' in octal constant"},
    {.name = "number_over_64_bits",
     .policy = "ALLOW { read { fd == 18446744073709551616 } }\n",
     .expect = "bad.policy:1:22: error: number out of range: "
               "'18446744073709551616' does not fit in 64 bits"},
    {.name = "negative_hex",
     .policy = "ALLOW { read { fd == -0x1 } }\n",
     .expect = "bad.policy:1:22: error: a negative number must be written in "
               "decimal without leading zeros"},
    {.name = "hex_without_digits",
     .policy = "ALLOW { read { fd == 0x } }\n",
     .expect = "bad.policy:1:22: error: missing digits in hexadecimal constant '0x'"},
    {.name = "binary_bad_digit",
     .policy = "ALLOW { read { fd == 0b102 } }\n",
     .expect = "bad.policy:1:22: error: invalid digit '2' in binary constant"},
    {.name = "number_with_letters",
     .policy = "ALLOW { read { fd == 12abc } }\n",
     .expect = "bad.policy:1:22: error: invalid character 'a' in number '12abc'"},
    {.name = "syscall_number_2_pow_32",
     .policy = "ALLOW { SYSCALL[0x100000000] }\n",
     .expect = "bad.policy:1:17: error: syscall number 4294967296 is out of "
               "range: it must fit in 32 bits"},
    {.name = "syscall_number_negative_hex",
     .policy = "ALLOW { SYSCALL[-0x10] }\n",
     .expect = "bad.policy:1:17: error: a negative number must be written in "
               "decimal without leading zeros"},
    {.name = "syscall_number_too_negative",
     .policy = "ALLOW { SYSCALL[-2147483649] }\n",
     .expect = "bad.policy:1:17: error: syscall number -2147483649 is out of "
               "range: it must fit in 32 bits"},
    {.name = "syscall_number_over_64_bits",
     .policy = "ALLOW { SYSCALL[18446744073709551616] }\n",
     .expect = "bad.policy:1:17: error: number out of range: "
               "'18446744073709551616' does not fit in 64 bits"},
    {.name = "constant_not_a_syscall_number",
     .policy = "#define N 0x100000000\nALLOW { N }\n",
     .expect = "bad.policy:2:9: error: constant 'N' (0x100000000) is not a "
               "syscall number: it must fit in 32 bits"},

    /* -- action values --------------------------------------------------- */
    {.name = "errno_65536",
     .policy = "ERRNO(65536) { read }\n",
     .expect = "bad.policy:1:7: error: ERRNO value 65536 is out of range: "
               "seccomp keeps 16 bits (0..65535)"},
    {.name = "trap_70000",
     .policy = "TRAP(70000) { read }\n",
     .expect = "bad.policy:1:6: error: TRAP value 70000 is out of range: "
               "seccomp keeps 16 bits (0..65535)"},
    {.name = "trace_65536",
     .policy = "TRACE(65536) { read }\n",
     .expect = "bad.policy:1:7: error: TRACE value 65536 is out of range: "
               "seccomp keeps 16 bits (0..65535)"},
    {.name = "default_errno_65536",
     .policy = "ALLOW { read } DEFAULT ERRNO(65536)\n",
     .expect = "bad.policy:1:30: error: ERRNO value 65536 is out of range: "
               "seccomp keeps 16 bits (0..65535)"},
    /* The value is shown as written, not as its 64-bit wrap-around. */
    {.name = "errno_negative",
     .policy = "ERRNO(-1) { read }\n",
     .expect = "bad.policy:1:7: error: ERRNO value -1 is out of range: seccomp "
               "keeps 16 bits (0..65535)"},
    {.name = "errno_negative_constant",
     .policy = "#define E -1\nERRNO(E) { read }\n",
     .expect = "bad.policy:2:7: error: ERRNO value -1 is out of range: seccomp "
               "keeps 16 bits (0..65535)"},
    {.name = "errno_constant_out_of_range",
     .policy = "#define E 70000\nERRNO(E) { read }\n",
     .expect = "bad.policy:2:7: error: ERRNO value 70000 is out of range: "
               "seccomp keeps 16 bits (0..65535)"},
    {.name = "errno_undefined_constant",
     .policy = "ERRNO(EFOO) { read }\n",
     .expect = "bad.policy:1:7: error: 'EFOO' is not a defined constant"},
    {.name = "trap_undefined_constant_did_you_mean",
     .policy = "#define SIGX 5\nTRAP(SIGY) { read }\n",
     .expect = "bad.policy:2:6: error: 'SIGY' is not a defined constant; did you "
               "mean 'SIGX'?"},

    /* -- names ----------------------------------------------------------- */
    {.name = "unknown_syscall_did_you_mean",
     .policy = "ALLOW { opneat }\n",
     .expect = "bad.policy:1:9: error: unknown syscall 'opneat' for x86_64; did "
               "you mean 'openat'?"},
    {.name = "unknown_syscall_after_utf8_comment",
     .policy = "// caf\xc3\xa9\nALLOW { opneat }\n",
     .expect = "bad.policy:2:9: error: unknown syscall 'opneat' for x86_64; did "
               "you mean 'openat'?"},
    {.name = "unknown_syscall_for_arch_option",
     .policy = "ALLOW { open }\n",
     .arch = "aarch64",
     .expect = "bad.policy:1:9: error: unknown syscall 'open' for aarch64: the C library's open() calls 'openat' there"},
    {.name = "unknown_argument_did_you_mean",
     .policy = "ALLOW { read { fdd == 1 } }\n",
     .expect = "bad.policy:1:16: error: 'fdd' is neither an argument of 'read' "
               "nor a constant; did you mean 'fd'?"},
    {.name = "renamed_arguments_hide_names",
     .policy = "ALLOW { read(a) { fd == 1 } }\n",
     .expect = "bad.policy:1:19: error: 'fd' is neither an argument of 'read' "
               "nor a constant"},
    {.name = "custom_syscall_undeclared_argument",
     .policy = "ALLOW { SYSCALL[1000](a) { b == 1 } }\n",
     .expect = "bad.policy:1:28: error: 'b' is neither an argument of "
               "SYSCALL[1000] nor a constant; did you mean 'a'?"},
    {.name = "unknown_policy",
     .policy = "USE fooo\n",
     .expect = "bad.policy:1:5: error: unknown policy 'fooo'"},
    {.name = "unknown_policy_did_you_mean",
     .policy = "POLICY foo { ALLOW { read } }\nUSE fop\n",
     .expect = "bad.policy:2:5: error: unknown policy 'fop'; did you mean 'foo'?"},
    {.name = "use_before_definition",
     .policy = "USE p\nPOLICY p { ALLOW { read } }\n",
     .expect = "bad.policy:1:5: error: unknown policy 'p'",
     .also = {"bad.policy:2:8: note: 'p' is defined here, after its use; a "
              "policy must be defined before USE"}},
    {.name = "policy_uses_itself",
     .policy = "POLICY p { USE p }\nUSE p\n",
     .expect = "bad.policy:1:16: error: policy 'p' cannot USE itself"},
    {.name = "policy_redefined",
     .policy = "POLICY p { ALLOW { read } }\nPOLICY p { ALLOW { write } }\nUSE p\n",
     .expect = "bad.policy:2:8: error: policy 'p' is defined twice",
     .also = {"bad.policy:1:8: note: previous definition of 'p' is here"}},
    {.name = "define_redefined",
     .policy = "#define X 1\n#define X 2\nALLOW { read { fd == X } }\n",
     .expect = "bad.policy:2:9: error: 'X' is redefined with a different value "
               "(2, was 1)",
     .also = {"bad.policy:1:9: note: previous definition of 'X' is here"}},
    {.name = "define_shadows_argument",
     .policy = "#define fd 5\nALLOW { read }\n",
     .expect = "bad.policy:1:9: error: 'fd' is an argument name; a #define "
               "would silently replace it"},
    {.name = "define_shadows_syscall",
     .policy = "#define read 0\nALLOW { write }\n",
     .expect = "bad.policy:1:9: error: 'read' is a syscall name; a #define "
               "would silently replace it"},
    {.name = "more_than_6_arguments",
     .policy = "ALLOW { read(a,b,c,d,e,f,g) }\n",
     .expect = "bad.policy:1:26: error: too many argument names: a syscall has "
               "at most 6 arguments"},
    {.name = "custom_more_than_6_arguments",
     .policy = "ALLOW { SYSCALL[1000](a,b,c,d,e,f,g) }\n",
     .expect = "bad.policy:1:35: error: too many argument names: a syscall has "
               "at most 6 arguments"},
    {.name = "duplicate_argument_name",
     .policy = "ALLOW { read(a,b,a) { a == 1 } }\n",
     .expect = "bad.policy:1:18: error: duplicate argument name 'a'",
     .also = {"bad.policy:1:14: note: 'a' is first declared here"}},
    {.name = "custom_duplicate_argument_name",
     .policy = "ALLOW { SYSCALL[1](fd, fd) }\n",
     .expect = "bad.policy:1:24: error: duplicate argument name 'fd'"},
    {.name = "unknown_arch_did_you_mean",
     .policy = "ALLOW { read ON x86_46 }\n",
     .expect = "bad.policy:1:17: error: unknown architecture 'x86_46'; did you "
               "mean 'x86_64'?"},
    {.name = "unknown_arch",
     .policy = "ALLOW { read ON nosucharch }\n",
     .expect = "bad.policy:1:17: error: unknown architecture 'nosucharch'"},
    {.name = "duplicate_arch",
     .policy = "ALLOW { read ON { x86_64, x86_64 } }\n",
     .expect = "bad.policy:1:27: error: architecture 'x86_64' is listed twice in "
               "the ON guard",
     .also = {"bad.policy:1:19: note: first listed here"}},
    {.name = "duplicate_arch_by_alias",
     .policy = "ALLOW { read ON { x86_64, amd64 } }\n",
     .expect = "bad.policy:1:27: error: architecture 'amd64' is listed twice in "
               "the ON guard"},
    {.name = "name_missing_on_guard_arch",
     .policy = "ALLOW { arm_fadvise64_64 ON x86_64 }\n",
     .expect = "bad.policy:1:9: error: unknown syscall 'arm_fadvise64_64' for x86_64",
     .also = {"bad.policy:1:9: note: 'arm_fadvise64_64' exists on arm but not "
              "on x86_64"}},
    {.name = "unknown_syscall_on_other_arch",
     .policy = "ALLOW { nosuch ON arm }\n",
     .expect = "bad.policy:1:9: error: unknown syscall 'nosuch' for arm"},

    /* -- bytes ----------------------------------------------------------- */
    {.name = "nul_byte",
     .policy = BYTES("ALLOW { read }\0\nALLOW { write }\n"),
     .expect = "bad.policy:1:15: error: NUL byte in policy"},
    {.name = "nul_byte_in_line_comment",
     .policy = BYTES("// a\0b\nALLOW { read }\n"),
     .expect = "bad.policy:1:5: error: NUL byte in policy"},
    {.name = "nul_byte_in_block_comment",
     .policy = BYTES("ALLOW { read } /* x \0 */\n"),
     .expect = "bad.policy:1:21: error: NUL byte in policy"},
    /* Diagnostics after the NUL byte are not lost. */
    {.name = "nul_byte_then_more_errors",
     .policy = BYTES("ALLOW { read } // \0\nALLOW { write $ }\n"),
     .expect = "bad.policy:1:19: error: NUL byte in policy",
     .also = {"bad.policy:2:15: error: unexpected character '$'"}},
    {.name = "invalid_utf8",
     .policy = "ALLOW { read }\nALLOW { \xff }\n",
     .expect = "bad.policy:2:9: error: invalid UTF-8 (byte 0xff)"},
    {.name = "truncated_utf8",
     .policy = "ALLOW { read, \xe2\x82 }\n",
     .expect = "bad.policy:1:15: error: invalid UTF-8 (byte 0xe2)"},
    {.name = "non_ascii_identifier",
     .policy = "ALLOW { r\xc3\xa9" "ad }\n",
     .expect = "bad.policy:1:10: error: unexpected non-ASCII character '\xc3\xa9'"},

    /* -- limits ---------------------------------------------------------- */
    {.name = "parens_nested_300_deep",
     .gen = gen_deep_parens,
     .expect = "bad.policy:4:1: error: expression is nested too deeply (more "
               "than 200 levels)"},
    {.name = "negations_nested_300_deep",
     .gen = gen_deep_nots,
     .expect = "bad.policy:4:1: error: expression is nested too deeply (more "
               "than 200 levels)"},
    /* The caret stays under the offending token on a long line. */
    {.name = "error_far_right_on_long_line",
     .gen = gen_long_line,
     .expect = "bad.policy:1:249: error: unknown syscall 'opneat' for x86_64; "
               "did you mean 'openat'?"},
    {.name = "program_over_4096_errno_actions",
     .gen = gen_many_errnos,
     .compile_only = 1,
     .expect = "sysfence: error: the program has <N> instructions; the "
               "kernel's limit is 4096 (BPF_MAXINSNS)"},
    {.name = "program_over_4096_conditions",
     .gen = gen_many_conditions,
     .compile_only = 1,
     .expect = "sysfence: error: the program has <N> instructions; the "
               "kernel's limit is 4096 (BPF_MAXINSNS)"},

    /* -- includes -------------------------------------------------------- */
    {.name = "error_in_included_file",
     .policy = "// main\n#include \"sub.policy\"\nALLOW { read }\n",
     .files = {{"sub.policy", "#define X 1\nALLOW { opneat }\n"}},
     .expect = "In file included from bad.policy:2:\n"
               "sub.policy:2:9: error: unknown syscall 'opneat' for x86_64; did "
               "you mean 'openat'?"},
    {.name = "syntax_error_in_included_file",
     .policy = "#include \"sub.policy\"\nALLOW { write }\n",
     .files = {{"sub.policy", "ALLOW { read $ }\n"}},
     .expect = "In file included from bad.policy:1:\n"
               "sub.policy:1:14: error: unexpected character '$'"},
    {.name = "error_two_includes_deep",
     .policy = "#include \"a.policy\"\n",
     .files = {{"a.policy", "// a\n#include \"b.policy\"\n"},
               {"b.policy", "KILL { ptrace }\nERRNO(65536) { read }\n"}},
     .expect = "In file included from a.policy:2:\n"
               "In file included from bad.policy:1:\n"
               "b.policy:2:7: error: ERRNO value 65536 is out of range: seccomp "
               "keeps 16 bits (0..65535)"},
    {.name = "define_conflict_across_include",
     .policy = "#include \"sub.policy\"\n#define X 2\nALLOW { read }\n",
     .files = {{"sub.policy", "#define X 1\n"}},
     .expect = "bad.policy:2:9: error: 'X' is redefined with a different value "
               "(2, was 1)",
     .also = {"sub.policy:1:9: note: previous definition of 'X' is here"}},
    /* Include errors point at the file name, the offending token. */
    {.name = "include_missing_file",
     .policy = "#include \"missing.policy\"\nALLOW { read }\n",
     .expect = "bad.policy:1:10: error: cannot open include file "
               "\"missing.policy\": No such file or directory"},
    {.name = "include_self_cycle",
     .policy = "ALLOW { read }\n#include \"bad.policy\"\n",
     .expect = "bad.policy:2:10: error: #include cycle: bad.policy includes itself"},
    {.name = "include_two_file_cycle",
     .policy = "ALLOW { read }\n#include \"a.policy\"\n",
     .files = {{"a.policy", "#include \"b.policy\"\n"},
               {"b.policy", "#include \"a.policy\"\n"}},
     .expect = "In file included from a.policy:1:\n"
               "In file included from bad.policy:2:\n"
               "b.policy:1:10: error: #include cycle: a.policy includes "
               "b.policy which includes a.policy"},

    /* -- several errors in one run ----------------------------------------- */
    {.name = "several_resolution_errors",
     .policy = "ALLOW { opneat, raed }\nERRNO(70000) { write }\nUSE nope\n"
               "KILL { read { fdd == 1 } }\n",
     .expect = "bad.policy:1:9: error: unknown syscall 'opneat' for x86_64; did "
               "you mean 'openat'?",
     .also = {"bad.policy:1:17: error: unknown syscall 'raed' for x86_64; did "
              "you mean 'read'?",
              "bad.policy:2:7: error: ERRNO value 70000 is out of range: "
              "seccomp keeps 16 bits (0..65535)",
              "bad.policy:3:5: error: unknown policy 'nope'",
              "bad.policy:4:15: error: 'fdd' is neither an argument of 'read' "
              "nor a constant; did you mean 'fd'?"}},
    {.name = "several_lexical_errors",
     .policy = "ALLOW { read { fd = 1 } }\nALLOW { write $ }\n"
               "ALLOW { close { 09 == fd } }\n",
     .expect = "bad.policy:1:19: error: '=' is not an operator; use '==' to compare",
     .also = {"bad.policy:2:15: error: unexpected character '$'",
              "bad.policy:3:17: error: invalid digit '9' in octal constant"}},
    {.name = "several_definition_errors",
     .policy = "#define X 1\n#define X 2\nPOLICY p { ALLOW { read } }\n"
               "POLICY p { ALLOW { write } }\nUSE q\n"
               "KILL { SYSCALL[0x100000000] }\n",
     .expect = "bad.policy:2:9: error: 'X' is redefined with a different value "
               "(2, was 1)",
     .also = {"bad.policy:4:8: error: policy 'p' is defined twice",
              "bad.policy:5:5: error: unknown policy 'q'; did you mean 'p'?",
              "bad.policy:6:16: error: syscall number 4294967296 is out of "
              "range: it must fit in 32 bits"}},
};

enum { N_CASES = sizeof cases / sizeof cases[0] };

/* ---- matching ---------------------------------------------------------- */

/* Does the line [S, S+N) match PAT exactly?  "<N>" matches one or more
 * digits, optionally after "over " (a count the compiler stopped at). */
static int line_matches(const char *pat, const char *s, size_t n) {
  const char *end = s + n;
  while (*pat) {
    if (strncmp(pat, "<N>", 3) == 0) {
      if ((size_t)(end - s) > 5 && strncmp(s, "over ", 5) == 0) s += 5;
      if (s == end || *s < '0' || *s > '9') return 0;
      while (s < end && *s >= '0' && *s <= '9') s++;
      pat += 3;
      continue;
    }
    if (s == end || *s != *pat) return 0;
    s++;
    pat++;
  }
  return s == end;
}

/* The lines of TEXT (NUL-ended), as pointers and lengths. */
typedef struct lines {
  const char **at;
  size_t *len, n;
} lines;

static lines split_lines(const char *text) {
  lines l = {0};
  size_t cap = 16;
  l.at = malloc(cap * sizeof *l.at);
  l.len = malloc(cap * sizeof *l.len);
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    if (l.n == cap) {
      cap *= 2;
      l.at = realloc(l.at, cap * sizeof *l.at);
      l.len = realloc(l.len, cap * sizeof *l.len);
    }
    l.at[l.n] = p;
    l.len[l.n++] = n;
    p += n + (nl ? 1 : 0);
  }
  return l;
}

static void free_lines(lines *l) {
  free(l->at);
  free(l->len);
}

/* Index of the first line of a run of lines matching the lines of
 * EXPECT, or -1. */
static long find_block(const lines *out, const char *expect) {
  char *copy = strdup(expect);
  lines want = split_lines(copy);
  long found = -1;
  for (size_t i = 0; found < 0 && i + want.n <= out->n; i++) {
    size_t k = 0;
    for (; k < want.n; k++) {
      char *pat = strndup(want.at[k], want.len[k]);
      int ok = line_matches(pat, out->at[i + k], out->len[i + k]);
      free(pat);
      if (!ok) break;
    }
    if (k == want.n) found = (long)i;
  }
  size_t n = want.n;
  free_lines(&want);
  free(copy);
  return found < 0 ? -1 : found + (long)n - 1; /* the last line */
}

/* The location of a "FILE:LINE:COL: " diagnostic line, if it has one. */
static int parse_location(const char *line, int *lnum, int *col) {
  const char *p = strstr(line, ": error: ");
  if (!p) p = strstr(line, ": warning: ");
  if (!p) return 0;
  /* Walk back over ":COL" and ":LINE". */
  const char *q = p;
  int nums[2], k = 0;
  while (k < 2) {
    const char *d = q;
    while (d > line && d[-1] >= '0' && d[-1] <= '9') d--;
    if (d == q || d == line || d[-1] != ':') return 0;
    nums[k++] = atoi(d);
    q = d - 1;
  }
  *col = nums[0];
  *lnum = nums[1];
  return q > line;
}

/* ---- running a case ---------------------------------------------------- */

static void write_bytes(const char *dir, const char *name, const char *data,
                        size_t len) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot create %s", path);
  ck_assert(fwrite(data, 1, len, f) == len);
  fclose(f);
  free(path);
}

/* Is the caret (at index IDX of the shown source line SHOWN) under column
 * COL?  Either it is at COL, or the line is shown as a window (a long line)
 * and the text at the caret is the text at COL of line LNUM of the policy
 * TEXT (checked only when the diagnostic is in bad.policy: MAIN). */
static int caret_ok(const char *shown, size_t shown_len, size_t idx,
                    const char *text, size_t len, int lnum, int col, int main) {
  if (idx == (size_t)col - 1) return 1;
  if (!main) return 0;
  const char *p = text, *end = text + len;
  for (int l = 1; l < lnum && p < end; l++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  size_t line_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
  if ((size_t)col - 1 >= line_len || idx >= shown_len) return 0;
  size_t k = line_len - ((size_t)col - 1);
  if (k > 8) k = 8;
  if (k > shown_len - idx) return 0;
  return memcmp(shown + idx, p + col - 1, k) == 0;
}

static const char *last_line(const char *expect) {
  const char *nl = strrchr(expect, '\n');
  return nl ? nl + 1 : expect;
}

/* The first failure of a run, kept until the folder is removed (a failed
 * ck_assert ends the test at once). */
static char *failure;

__attribute__((format(printf, 1, 2)))
static void note_fail(const char *fmt, ...) {
  if (failure) return;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&failure, fmt, ap) < 0) failure = NULL;
  va_end(ap);
}

/* Run sysfence MODE on DIR/bad.policy (in DIR, so that diagnostics name
 * "bad.policy"); compile writes to out.bpf. */
static tu_result run_in(const char *dir, int compile, const char *arch) {
  char sysfence[PATH_MAX];
  ck_assert_msg(realpath(tu_sysfence(), sysfence) != NULL, "no %s",
                tu_sysfence());
  char old_cwd[PATH_MAX];
  ck_assert(getcwd(old_cwd, sizeof old_cwd) != NULL);
  ck_assert(chdir(dir) == 0);
  char *argv[] = {sysfence, compile ? "compile" : "check", "bad.policy",
                  "--arch", (char *)(arch ? arch : "x86_64"),
                  compile ? "-o" : NULL, "out.bpf", NULL};
  tu_result r = tu_run(argv, NULL);
  ck_assert(chdir(old_cwd) == 0);
  return r;
}

/* out.bpf still holds the sentinel, and DIR holds only the files we
 * wrote. */
static void check_untouched(const char *dir, const bad_case *c,
                            const char *what) {
  size_t olen;
  char *path = malloc(strlen(dir) + 16);
  sprintf(path, "%s/out.bpf", dir);
  char *now = tu_read(path, &olen);
  if (!now || olen != strlen(SENTINEL) || memcmp(now, SENTINEL, olen) != 0)
    note_fail("[%s] out.bpf was modified or removed", what);
  free(now);
  free(path);
  DIR *d = opendir(dir);
  if (!d) {
    note_fail("[%s] cannot list the folder", what);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    int known = strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
                strcmp(n, "bad.policy") == 0 || strcmp(n, "out.bpf") == 0;
    for (int i = 0; c && i < MAX_FILES && c->files[i].name && !known; i++)
      known = strcmp(n, c->files[i].name) == 0;
    if (!known) note_fail("[%s] stray file '%s' left in the folder", what, n);
  }
  closedir(d);
}

static void run_case(const bad_case *c, int compile) {
  char what[128];
  snprintf(what, sizeof what, "%s/%s", c->name, compile ? "compile" : "check");
  char *dir = tu_tmpdir();
  char *generated = c->gen ? c->gen() : NULL;
  const char *text = generated ? generated : c->policy;
  size_t len = generated || !c->len ? strlen(text) : c->len;
  write_bytes(dir, "bad.policy", text, len);
  write_bytes(dir, "out.bpf", SENTINEL, strlen(SENTINEL));
  for (int i = 0; i < MAX_FILES && c->files[i].name; i++)
    write_bytes(dir, c->files[i].name, c->files[i].text, strlen(c->files[i].text));

  tu_result r = run_in(dir, compile, c->arch);
  lines out = split_lines(r.err);
  failure = NULL;

  /* Exit status 1, not a crash. */
  if (!r.exited || r.status != 1)
    note_fail("[%s] expected exit status 1, got %s %d; stderr:\n%s", what,
         r.exited ? "exit" : "signal", r.status, r.err);

  /* The diagnostic, its source line and caret. */
  long at = find_block(&out, c->expect);
  int lnum, col;
  if (at < 0) {
    note_fail("[%s] missing diagnostic:\n%s\n--- got:\n%s", what, c->expect, r.err);
  } else if (parse_location(last_line(c->expect), &lnum, &col)) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%5d | ", lnum);
    if ((size_t)at + 2 >= out.n ||
        strncmp(out.at[at + 1], prefix, strlen(prefix)) != 0) {
      note_fail("[%s] no source line '%s...' after the diagnostic; stderr:\n%s",
           what, prefix, r.err);
    } else {
      const char *caret = out.at[at + 2];
      size_t clen = out.len[at + 2];
      int ok = clen >= 9 && strncmp(caret, "      | ", 8) == 0 &&
               caret[clen - 1] == '^';
      for (size_t i = 8; ok && i + 1 < clen; i++)
        if (caret[i] != ' ' && caret[i] != '\t') ok = 0;
      if (!ok)
        note_fail("[%s] no caret line after the diagnostic; stderr:\n%s", what,
             r.err);
      else if (!caret_ok(out.at[at + 1] + strlen(prefix),
                         out.len[at + 1] - strlen(prefix), clen - 9, text, len,
                         lnum, col,
                         strncmp(last_line(c->expect), "bad.policy:", 11) == 0))
        note_fail("[%s] caret at column %d, expected %d; stderr:\n%s", what,
             (int)(clen - 8), col, r.err);
    }
  }
  for (int i = 0; i < MAX_ALSO && c->also[i]; i++)
    if (find_block(&out, c->also[i]) < 0)
      note_fail("[%s] missing line:\n%s\n--- got:\n%s", what, c->also[i], r.err);

  /* Nothing written: the sentinel is intact, no temporary file is left. */
  check_untouched(dir, c, what);

  free_lines(&out);
  tu_result_free(&r);
  free(generated);
  tu_rmtree(dir);
  free(dir);
  char *msg = failure;
  failure = NULL;
  ck_assert_msg(msg == NULL, "%s", msg);
}

START_TEST(bad_compile) { run_case(&cases[_i], 1); }
END_TEST

START_TEST(bad_check) {
  if (cases[_i].compile_only) return;
  run_case(&cases[_i], 0);
}
END_TEST

/* ---- the error cap ------------------------------------------------------ */

/* 50 unknown syscalls: at most 20 errors, then a note that more were
 * found. */
static void run_cap(int compile) {
  const char *what = compile ? "error_cap/compile" : "error_cap/check";
  char *dir = tu_tmpdir();
  gbuf b = {0};
  gadd(&b, "ALLOW {\n");
  for (int i = 1; i <= 50; i++) gadd(&b, "  nosuch%d,\n", i);
  gadd(&b, "  read\n}\n");
  write_bytes(dir, "bad.policy", b.s, b.len);
  write_bytes(dir, "out.bpf", SENTINEL, strlen(SENTINEL));
  tu_result r = run_in(dir, compile, NULL);
  failure = NULL;
  if (!r.exited || r.status != 1)
    note_fail("[%s] exit %d; stderr:\n%s", what, r.status, r.err);
  lines out = split_lines(r.err);
  int errors = 0;
  for (size_t i = 0; i < out.n; i++) {
    char *l = strndup(out.at[i], out.len[i]);
    if (strstr(l, ": error: ")) errors++;
    free(l);
  }
  free_lines(&out);
  if (errors < 1 || errors > 20)
    note_fail("[%s] %d errors shown:\n%s", what, errors, r.err);
  if (!strstr(r.err, "bad.policy:2:3: error: unknown syscall 'nosuch1' for "
                     "x86_64\n"))
    note_fail("[%s] first error missing:\n%s", what, r.err);
  if (!strstr(r.err, "more errors not shown"))
    note_fail("[%s] no \"more errors not shown\" note after %d errors:\n%s", what,
         errors, r.err);
  check_untouched(dir, NULL, what);
  tu_result_free(&r);
  free(b.s);
  tu_rmtree(dir);
  free(dir);
  char *msg = failure;
  failure = NULL;
  ck_assert_msg(msg == NULL, "%s", msg);
}

START_TEST(error_cap_compile) { run_cap(1); }
END_TEST

START_TEST(error_cap_check) { run_cap(0); }
END_TEST

static Suite *badinput_suite(void) {
  Suite *s = suite_create("badinput");
  TCase *tc = tcase_create("compile");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, bad_compile, 0, N_CASES);
  tcase_add_test(tc, error_cap_compile);
  suite_add_tcase(s, tc);
  tc = tcase_create("check");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, bad_check, 0, N_CASES);
  tcase_add_test(tc, error_cap_check);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (access(tu_sysfence(), X_OK) != 0) {
    fprintf(stderr, "check_badinput: %s is not an executable\n", tu_sysfence());
    return 99;
  }
  return tu_run_suite(badinput_suite());
}
