/* literal.h - number literals as the policy language writes them:
 * decimal, 0x hex, 0b binary, 0 octal ("09" is not a number).  The lexer
 * (grammar/lexer.l) tokenizes the same syntax with its own rules, because it
 * reports each malformed form with its own diagnostic. */
#ifndef SF_LITERAL_H
#define SF_LITERAL_H

#include <stdint.h>

/* An unsigned literal (no sign, the whole string): 0, or -1 if it is
 * malformed or above 2^64 - 1. */
int sf_literal_parse_unsigned(const char *s, uint64_t *value);
/* The same with an optional '-' (64-bit two's complement of a magnitude up
 * to 2^63); *NEGATIVE tells which.  0, or -1. */
int sf_literal_parse(const char *s, uint64_t *value, int *negative);

#endif
