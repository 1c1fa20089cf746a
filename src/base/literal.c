/* literal.c - the syntax of number literals (see literal.h). */
#include "base/literal.h"

#include <string.h>

static int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

/* The base a prefix at P (before END) gives, and how long the prefix is. */
static int base_of(const char *p, const char *end, size_t *skip, const char **kind) {
  *skip = 0;
  *kind = "decimal";
  if (end - p < 2 || p[0] != '0') return 10;
  if (p[1] == 'x' || p[1] == 'X') {
    *skip = 2;
    *kind = "hexadecimal";
    return 16;
  }
  if (p[1] == 'b' || p[1] == 'B') {
    *skip = 2;
    *kind = "binary";
    return 2;
  }
  *skip = 1;
  *kind = "octal";
  return 8;
}

sf_literal_status sf_literal_scan(const char *s, size_t n, sf_literal *out) {
  const char *p = s, *end = s + n;
  memset(out, 0, sizeof *out);
  out->negative = p < end && *p == '-';
  p += out->negative;
  if (p == end) return SF_LIT_EMPTY;
  size_t skip;
  int base = base_of(p, end, &skip, &out->kind);
  if (skip && out->negative) return SF_LIT_NEG_PREFIX;
  p += skip;
  if (skip && p == end) return SF_LIT_NO_DIGITS;
  uint64_t v = 0;
  int overflow = 0;
  for (; p < end; p++) {
    int d = digit_value(*p);
    if (d >= base) {
      out->bad = *p;
      return (*p >= '0' && *p <= '9') || (base == 16 && d < 16) ? SF_LIT_BAD_DIGIT
                                                                 : SF_LIT_BAD_CHAR;
    }
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) overflow = 1;
    v = v * (uint64_t)base + (uint64_t)d;
  }
  if (overflow || (out->negative && v > (UINT64_C(1) << 63))) return SF_LIT_OVERFLOW;
  out->value = out->negative ? (uint64_t)0 - v : v;
  return SF_LIT_OK;
}

int sf_literal_parse(const char *s, uint64_t *value, int *negative) {
  sf_literal lit;
  if (sf_literal_scan(s, strlen(s), &lit) != SF_LIT_OK) return -1;
  *value = lit.value;
  *negative = lit.negative;
  return 0;
}

int sf_literal_parse_unsigned(const char *s, uint64_t *value) {
  int negative;
  if (*s == '-' || sf_literal_parse(s, value, &negative) != 0) return -1;
  return 0;
}
