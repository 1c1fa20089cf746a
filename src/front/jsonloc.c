/* jsonloc.c - positions of values in a JSON text (see jsonloc.h). */
#include "front/jsonloc.h"

#include <string.h>

static size_t skip_ws(const char *t, size_t len, size_t i) {
  while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
  return i;
}

/* T[I] is '"': the offset after the closing quote. */
static size_t skip_string(const char *t, size_t len, size_t i) {
  for (i++; i < len && t[i] != '"'; i++)
    if (t[i] == '\\') i++;
  return i < len ? i + 1 : len;
}

/* The offset after the value that starts at I. */
static size_t skip_value(const char *t, size_t len, size_t i) {
  if (i >= len) return len;
  if (t[i] == '"') return skip_string(t, len, i);
  if (t[i] != '{' && t[i] != '[') {
    while (i < len && !strchr(",}] \t\r\n", t[i])) i++;
    return i;
  }
  size_t depth = 0;
  while (i < len) {
    char c = t[i];
    if (c == '"') {
      i = skip_string(t, len, i);
      continue;
    }
    if (c == '{' || c == '[') depth++;
    else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    i++;
  }
  return len;
}

/* I at an object: the offset of member KEY's value (its key's with
 * AT_KEY), or -1. */
static long member(const char *t, size_t len, size_t i, const char *key, int at_key) {
  if (i >= len || t[i] != '{') return -1;
  size_t klen = strlen(key);
  for (i++;;) {
    i = skip_ws(t, len, i);
    if (i >= len || t[i] != '"') return -1;
    size_t start = i;
    i = skip_string(t, len, i);
    int match = i - start == klen + 2 && memcmp(t + start + 1, key, klen) == 0;
    i = skip_ws(t, len, i);
    if (i >= len || t[i] != ':') return -1;
    i = skip_ws(t, len, i + 1);
    if (match) return (long)(at_key ? start : i);
    i = skip_ws(t, len, skip_value(t, len, i));
    if (i >= len || t[i] != ',') return -1;
    i++;
  }
}

/* I at an array: the offset of element INDEX, or -1. */
static long element(const char *t, size_t len, size_t i, size_t index) {
  if (i >= len || t[i] != '[') return -1;
  i = skip_ws(t, len, i + 1);
  for (size_t k = 0; i < len && t[i] != ']'; k++) {
    if (k == index) return (long)i;
    i = skip_ws(t, len, skip_value(t, len, i));
    if (i >= len || t[i] != ',') return -1;
    i = skip_ws(t, len, i + 1);
  }
  return -1;
}

long sf_json_step(const char *text, size_t len, long at, const sf_jstep *step, int at_key) {
  if (at < 0) return -1;
  return step->key ? member(text, len, (size_t)at, step->key, at_key)
                   : element(text, len, (size_t)at, step->index);
}

long sf_json_next_element(const char *text, size_t len, long at) {
  if (at < 0) return -1;
  size_t i = skip_ws(text, len, skip_value(text, len, (size_t)at));
  if (i >= len || text[i] != ',') return -1;
  return (long)skip_ws(text, len, i + 1);
}

long sf_json_locate(const char *text, size_t len, const sf_jstep *path, size_t n,
                    int at_key) {
  long at = (long)skip_ws(text, len, 0);
  for (size_t s = 0; s < n && at >= 0; s++)
    at = sf_json_step(text, len, at, &path[s], at_key && s + 1 == n);
  return at;
}

sf_loc sf_json_loc_at(const sf_source *src, size_t offset) {
  sf_loc loc = {src, 1, 1};
  for (size_t i = 0; i < offset && i < src->len; i++) {
    if (src->text[i] == '\n') {
      loc.line++;
      loc.col = 1;
    } else {
      loc.col++;
    }
  }
  return loc;
}
