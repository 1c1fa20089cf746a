/* literal.c - the syntax of numbers, as the policy language writes them
 * (see literal.h): used for -D values, CALL arguments and action data. */
#include "base/literal.h"

static int digit_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 99;
}

int sf_literal_parse_unsigned(const char *s, uint64_t *out) {
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s += 2;
  } else if (s[0] == '0' && s[1]) {
    base = 8;
    s++;
  }
  if (!*s) return -1;
  uint64_t v = 0;
  for (; *s; s++) {
    unsigned d = (unsigned)digit_value(*s);
    if (d >= base || v > (UINT64_MAX - d) / base) return -1;
    v = v * base + d;
  }
  *out = v;
  return 0;
}

int sf_literal_parse(const char *s, uint64_t *value, int *negative) {
  int neg = *s == '-';
  uint64_t v;
  if (sf_literal_parse_unsigned(s + neg, &v) != 0) return -1;
  if (neg && v > (uint64_t)1 << 63) return -1;
  *value = neg ? (uint64_t)0 - v : v;
  *negative = neg;
  return 0;
}

