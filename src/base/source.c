/* source.c - policy source texts (see source.h). */
#include "base/source.h"

#include <string.h>

/* Line N exists when the text has at least N-1 newlines, so the (empty)
 * line after a final newline exists too: errors at the end of the file
 * point there. */
int sf_source_line(const sf_source *src, int line, const char **start,
                   size_t *len) {
  if (!src || !src->text || line < 1) return 0;
  const char *p = src->text, *end = src->text + src->len;
  for (int l = 1; l < line; l++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return 0;
    p = nl + 1;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
  if (n > 0 && p[n - 1] == '\r') n--;
  *start = p;
  *len = n;
  return 1;
}

sf_loc sf_loc_origin(sf_loc loc) {
  const sf_source *src = loc.src;
  if (!src || !src->origin || loc.line < 1) return loc;
  /* the byte at line:col (a column past the end of its line is the end of
   * that line) */
  size_t at = 0;
  for (int l = 1; l < loc.line && at < src->len; at++)
    if (src->text[at] == '\n') l++;
  size_t col = loc.col > 0 ? (size_t)loc.col - 1 : 0;
  for (size_t i = 0; i < col && at < src->len && src->text[at] != '\n'; i++) at++;
  return (sf_loc){src->origin->src, src->origin->line[at], src->origin->col[at]};
}
