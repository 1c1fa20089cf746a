/* literal.h - number literals as the policy language writes them: the one
 * definition of their syntax, used by the lexer (which turns each kind of
 * mistake into its own diagnostic), -D values, CALL arguments and action
 * data.  Decimal, 0x hex, 0b binary, 0 octal; a '-' only before a decimal
 * number without leading zeros (two's complement of a magnitude up to
 * 2^63); the value must fit in 64 bits. */
#ifndef SF_LITERAL_H
#define SF_LITERAL_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  SF_LIT_OK,
  SF_LIT_NO_DIGITS,    /* "0x": a prefix and nothing after it */
  SF_LIT_BAD_DIGIT,    /* a digit the base lacks ("09", "0b2") */
  SF_LIT_BAD_CHAR,     /* something that is no digit at all ("12q") */
  SF_LIT_NEG_PREFIX,   /* "-0x10", "-010" */
  SF_LIT_OVERFLOW,     /* beyond 64 bits (or below -2^63) */
  SF_LIT_EMPTY         /* nothing, or "-" alone */
} sf_literal_status;

typedef struct sf_literal {
  uint64_t value;   /* two's complement when negative */
  int negative;
  const char *kind; /* "decimal", "hexadecimal", "binary", "octal" */
  char bad;         /* the offending character, for BAD_DIGIT/BAD_CHAR */
} sf_literal;

/* Scan S[0..N). */
sf_literal_status sf_literal_scan(const char *s, size_t n, sf_literal *out);
/* The whole string S as an unsigned literal (no '-'): 0, or -1. */
int sf_literal_parse_unsigned(const char *s, uint64_t *value);
/* The whole string S, '-' allowed: 0, or -1. */
int sf_literal_parse(const char *s, uint64_t *value, int *negative);

#endif
