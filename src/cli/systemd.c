/* systemd.c - systemd's syscall filter settings as a policy (systemd.h).
 *
 * What the settings mean is systemd's (systemd.exec(5), systemd 252 and
 * main):
 *   - SystemCallFilter= lists syscall names and @groups.  The first such
 *     line decides the mode: an allow-list (whatever is not listed is
 *     refused), or with a leading '~' a deny-list (only the listed calls
 *     are refused).  An allow-list also allows the @default group.  Later
 *     lines of the same kind add to the list, lines of the other kind take
 *     their names out of it.  An empty assignment resets the filter.
 *   - A deny-listed name or group may end in ':ERRNO' (a number 0..4095 or
 *     a name such as EPERM) or ':kill': the outcome for those calls.
 *   - SystemCallErrorNumber= (an errno, or 'kill' or empty for the default)
 *     is the outcome of every other refused call; the default kills the
 *     process.
 *   - SystemCallArchitectures= lists the ABIs whose calls are allowed at all
 *     ('native' for the system's own); lines add up, empty resets.  Here it
 *     becomes the --arch list the policy is meant to be compiled with.
 *   - A group member the ABI lacks is skipped, as systemd skips it.
 * What systemd ignores with a warning (an unknown name, group or
 * architecture, an error number on an allow-listed name, a '~' that does
 * not start the value) is an error here: the policy must not differ
 * silently from what the lines were meant to say.
 * Errno names are resolved with the C library's table (strerrorname_np),
 * as systemd resolves them on the machine it runs on. */
#include "cli/systemd.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "sysfence.h"

enum { MODE_NONE, MODE_ALLOW, MODE_DENY };
enum { ACT_DEFAULT = -1, ACT_KILL = -2 }; /* else an errno value */
enum { MAX_TARGETS = 8, MAX_ERRNO = 4095 };

enum { NAME_MAX_LEN = 64 }; /* longer than any syscall name */

typedef struct entry {
  char name[NAME_MAX_LEN];
  int action; /* deny-list: ACT_DEFAULT, ACT_KILL or an errno */
} entry;

typedef struct conv {
  entry *set;
  size_t n, cap;
  int mode;
  int error_number; /* SystemCallErrorNumber=: ACT_KILL or an errno */
  const char *targets[MAX_TARGETS];
  size_t n_targets;
  int have_arches; /* a SystemCallArchitectures= line was seen */
  const char *native;
  FILE *diags;
  const char *src; /* the current text's name and line, for diagnostics */
  int line;
  int errors, out_of_memory;
} conv;

__attribute__((format(printf, 3, 4)))
static void error_at(conv *c, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(c->diags, "%s:%d:%d: error: ", c->src, c->line, col);
  vfprintf(c->diags, fmt, ap);
  fputc('\n', c->diags);
  va_end(ap);
  c->errors++;
}

/* ---- the set of names ------------------------------------------------------ */

static entry *find(conv *c, const char *name) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->set[i].name, name) == 0) return &c->set[i];
  return NULL;
}

/* A later deny-list entry for a name gives it that entry's outcome. */
static void add_name(conv *c, const char *name, int action) {
  entry *e = find(c, name);
  if (e) {
    e->action = action;
    return;
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 256;
    entry *s = realloc(c->set, cap * sizeof *s);
    if (!s) {
      c->out_of_memory = 1;
      return;
    }
    c->set = s;
    c->cap = cap;
  }
  entry *n = &c->set[c->n++];
  snprintf(n->name, sizeof n->name, "%s", name);
  n->action = action;
}

static void remove_name(conv *c, const char *name) {
  entry *e = find(c, name);
  if (e) *e = c->set[--c->n];
}

static const sf_systemd_group *group_named(const char *name, size_t len) {
  for (const sf_systemd_group *g = sf_systemd_groups; g->name; g++)
    if (strlen(g->name) == len && strncmp(g->name, name, len) == 0) return g;
  return NULL;
}

/* Does any architecture sysfence knows have syscall NAME? */
static int known_anywhere(const char *name) {
  const char *arches[64];
  size_t n = sysfence_arch_names(arches, 64);
  for (size_t i = 0; i < n && i < 64; i++)
    if (sysfence_syscall_number(arches[i], name) >= 0) return 1;
  return 0;
}

/* ---- values ---------------------------------------------------------------- */

/* An errno as systemd takes it: a number in MIN..4095 or a name (EPERM).
 * -1 if it is neither. */
static int parse_errno(const char *s, size_t len, int min) {
  char buf[32];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (buf[0] >= '0' && buf[0] <= '9') {
    char *end;
    long v = strtol(buf, &end, 10);
    return *end || v < min || v > MAX_ERRNO ? -1 : (int)v;
  }
  for (int e = 1; e <= MAX_ERRNO; e++) {
    const char *name = strerrorname_np(e);
    if (name && strcmp(name, buf) == 0) return e;
  }
  return -1;
}


/* ---- SystemCallFilter= ------------------------------------------------------ */

static void apply_name(conv *c, const char *name, int adding, int action) {
  if (adding)
    add_name(c, name, c->mode == MODE_DENY ? action : ACT_DEFAULT);
  else
    remove_name(c, name);
}

static void apply_group(conv *c, const sf_systemd_group *g, int adding, int action) {
  for (const char *const *n = g->names; *n; n++) apply_name(c, *n, adding, action);
}

static void unknown_group(conv *c, int col, const char *name) {
  const char *names[64];
  size_t n = 0;
  for (const sf_systemd_group *g = sf_systemd_groups; g->name && n < 64; g++)
    names[n++] = g->name;
  const char *near = sf_closest_name(name, names, n);
  if (strcmp(name, "@known") == 0)
    error_at(c, col, "'@known' (every syscall of the kernel systemd was built "
             "for) is not supported: list the groups or names you mean");
  else if (near)
    error_at(c, col, "unknown syscall group '%s'; did you mean '%s'?", name, near);
  else
    error_at(c, col, "unknown syscall group '%s' (see systemd-analyze "
             "syscall-filter)", name);
}

/* The ':ERRNO' or ':kill' of a deny-listed word: *ACTION, or -1 after an
 * error. */
static int word_action(conv *c, const char *v, size_t len, int col, int invert,
                       int *action) {
  if (len == 4 && strncmp(v, "kill", 4) == 0) {
    *action = ACT_KILL;
  } else if ((*action = parse_errno(v, len, 0)) < 0) {
    error_at(c, col, "invalid error number '%.*s' (0..4095, an errno name such "
             "as EPERM, or kill)", (int)len, v);
    return -1;
  }
  if (!invert) {
    error_at(c, col, "only deny-listed ('~') names take an error number");
    return -1;
  }
  return 0;
}

/* One word of a SystemCallFilter= value: NAME or @GROUP, then maybe
 * ':ERRNO'.  INVERT: the value started with '~'. */
static void filter_word(conv *c, const char *w, size_t len, int col, int invert) {
  if (w[0] == '~') {
    /* systemd reads such a word as a name and ignores it ("Failed to parse
     * system call, ignoring"), so the calls stay allowed */
    error_at(c, col, "'~' only counts at the start of a value: systemd ignores "
             "'%.*s' here; put it on a line of its own: SystemCallFilter=%.*s",
             (int)len, w, (int)len, w);
    return;
  }
  const char *colon = memchr(w, ':', len);
  size_t nlen = colon ? (size_t)(colon - w) : len;
  int action = ACT_DEFAULT;
  if (colon && word_action(c, colon + 1, len - nlen - 1, col + (int)nlen + 1,
                           invert, &action) != 0)
    return;
  char name[NAME_MAX_LEN];
  if (nlen == 0 || nlen >= sizeof name) {
    error_at(c, col, "expected a syscall name or @group, not '%.*s'", (int)len, w);
    return;
  }
  memcpy(name, w, nlen);
  name[nlen] = '\0';
  /* A word of the line's own kind adds to the list; of the other kind, it
   * takes the names out. */
  int adding = invert == (c->mode == MODE_DENY);
  if (name[0] == '@') {
    const sf_systemd_group *g = group_named(name, nlen);
    if (g)
      apply_group(c, g, adding, action);
    else
      unknown_group(c, col, name);
  } else if (known_anywhere(name)) {
    apply_name(c, name, adding, action);
  } else {
    error_at(c, col, "unknown syscall '%s' (no architecture has it)", name);
  }
}

static int is_space(char ch) { return ch == ' ' || ch == '\t'; }

/* The next whitespace-separated word of V[*I..LEN): its start, or NULL. */
static const char *next_word(const char *v, size_t len, size_t *i, size_t *wlen) {
  while (*i < len && is_space(v[*i])) (*i)++;
  if (*i == len) return NULL;
  size_t start = *i;
  while (*i < len && !is_space(v[*i])) (*i)++;
  *wlen = *i - start;
  return v + start;
}

/* V[0..LEN) starts at column COL. */
static void filter_line(conv *c, const char *v, size_t len, int col) {
  size_t i = 0;
  while (i < len && is_space(v[i])) i++;
  if (i == len) { /* an empty assignment resets the filter */
    c->mode = MODE_NONE;
    c->n = 0;
    return;
  }
  int invert = v[i] == '~';
  if (invert) i++;
  if (c->mode == MODE_NONE) {
    c->mode = invert ? MODE_DENY : MODE_ALLOW;
    /* systemd allows @default with every allow-list */
    if (!invert) apply_group(c, group_named("@default", 8), 1, ACT_DEFAULT);
  }
  size_t wlen;
  for (const char *w; (w = next_word(v, len, &i, &wlen));)
    filter_word(c, w, wlen, col + (int)(w - v), invert);
}

/* ---- SystemCallErrorNumber= and SystemCallArchitectures= -------------------- */

static void error_number_line(conv *c, const char *v, size_t len, int col) {
  size_t i = 0, wlen = 0;
  const char *w = next_word(v, len, &i, &wlen);
  if (!w || (wlen == 4 && strncmp(w, "kill", 4) == 0)) {
    c->error_number = ACT_KILL;
  } else {
    int e = parse_errno(w, wlen, 1);
    if (e < 0 || next_word(v, len, &i, &wlen))
      error_at(c, col + (int)(w - v), "invalid SystemCallErrorNumber= '%.*s' "
               "(1..4095, an errno name such as EPERM, or kill)", (int)len, v);
    else
      c->error_number = e;
  }
}

/* systemd's architecture names (ConditionArchitecture=) -> sysfence's. */
static const char *const arch_names[][2] = {
    {"x86", "i386"},           {"x86-64", "x86_64"},       {"x32", "x32"},
    {"arm", "arm"},            {"arm64", "aarch64"},       {"loongarch64", "loongarch64"},
    {"m68k", "m68k"},          {"mips", "mips"},           {"mips-le", "mipsel"},
    {"mips64", "mips64"},      {"mips64-le", "mips64el"},  {"mips64-n32", "mips64n32"},
    {"mips64-le-n32", "mips64n32el"}, {"parisc", "parisc"}, {"parisc64", "parisc64"},
    {"ppc", "ppc"},            {"ppc64", "ppc64"},         {"ppc64-le", "ppc64le"},
    {"riscv64", "riscv64"},    {"s390", "s390"},           {"s390x", "s390x"},
    {"sh", "sh"},
};

static void add_target(conv *c, const char *arch, int col) {
  for (size_t i = 0; i < c->n_targets; i++)
    if (strcmp(c->targets[i], arch) == 0) return;
  if (c->n_targets == MAX_TARGETS)
    error_at(c, col, "more than %d architectures", MAX_TARGETS);
  else
    c->targets[c->n_targets++] = arch;
}

static void architectures_line(conv *c, const char *v, size_t len, int col) {
  size_t i = 0, wlen;
  const char *w = next_word(v, len, &i, &wlen);
  if (!w) { /* empty: no restriction again */
    c->n_targets = 0;
    c->have_arches = 0;
    return;
  }
  c->have_arches = 1;
  for (; w; w = next_word(v, len, &i, &wlen)) {
    int wcol = col + (int)(w - v);
    const char *arch = NULL;
    if (wlen == 6 && strncmp(w, "native", 6) == 0) arch = c->native;
    for (size_t k = 0; !arch && k < sizeof arch_names / sizeof arch_names[0]; k++)
      if (strlen(arch_names[k][0]) == wlen && strncmp(arch_names[k][0], w, wlen) == 0)
        arch = arch_names[k][1];
    if (arch)
      add_target(c, arch, wcol);
    else
      error_at(c, wcol, "unknown or unsupported architecture '%.*s'", (int)wlen, w);
  }
}

/* ---- the settings ------------------------------------------------------------ */

static const char *const settings[] = {"SystemCallFilter", "SystemCallErrorNumber",
                                       "SystemCallArchitectures"};

/* One line L[0..LEN); a setting we take is echoed to HEAD. */
static void setting_line(conv *c, const char *l, size_t len, FILE *head) {
  size_t i = 0;
  while (i < len && is_space(l[i])) i++;
  if (i == len || l[i] == '#' || l[i] == ';' || l[i] == '[') return;
  const char *eq = memchr(l, '=', len);
  if (!eq) {
    error_at(c, (int)i + 1, "expected a setting such as "
             "'SystemCallFilter=@system-service'");
    return;
  }
  size_t klen = (size_t)(eq - l);
  while (klen > i && is_space(l[klen - 1])) klen--;
  char key[64];
  snprintf(key, sizeof key, "%.*s", (int)(klen - i), l + i);
  const char *v = eq + 1;
  size_t vlen = len - (size_t)(v - l);
  int col = (int)(v - l) + 1;
  int which = -1;
  for (int k = 0; k < 3; k++)
    if (strcmp(key, settings[k]) == 0) which = k;
  if (which < 0) {
    /* another setting of the unit: skipped, unless it looks like a typo */
    const char *near = sf_closest_name(key, settings, 3);
    if (near) error_at(c, (int)i + 1, "unknown setting '%s'; did you mean '%s'?", key, near);
    return;
  }
  fprintf(head, "//   %.*s\n", (int)(len - i), l + i);
  if (which == 0) filter_line(c, v, vlen, col);
  else if (which == 1) error_number_line(c, v, vlen, col);
  else architectures_line(c, v, vlen, col);
}

static void read_text(conv *c, const sf_systemd_text *t, FILE *head) {
  c->src = t->name;
  c->line = 0;
  for (const char *p = t->text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    c->line++;
    if (len && p[len - 1] == '\r') len--;
    setting_line(c, p, len, head);
    p += len;
    if (*p == '\r') p++;
    if (*p == '\n') p++;
  }
}

/* ---- the policy ---------------------------------------------------------------- */

static int by_name(const void *a, const void *b) {
  return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

/* The names as the policy lists them: a name no target has is left out
 * (systemd skips a name the ABI lacks), and so is an alias of a name
 * already listed (newfstat is fstat on x86_64: a second rule for the same
 * syscall could never match). */
typedef struct listing {
  long (*nr)[MAX_TARGETS]; /* per entry and target: the number, or -1 */
  unsigned char *listed;
} listing;

static int listing_init(listing *l, const conv *c) {
  l->nr = calloc(c->n ? c->n : 1, sizeof *l->nr);
  l->listed = calloc(c->n ? c->n : 1, 1);
  if (!l->nr || !l->listed) return -1;
  for (size_t i = 0; i < c->n; i++)
    for (size_t t = 0; t < c->n_targets; t++)
      l->nr[i][t] = sysfence_syscall_number(c->targets[t], c->set[i].name);
  return 0;
}

/* Does entry I add a syscall of some target that no listed entry has? */
static int adds_a_syscall(const listing *l, const conv *c, size_t i) {
  for (size_t t = 0; t < c->n_targets; t++) {
    if (l->nr[i][t] < 0) continue;
    int seen = 0;
    for (size_t j = 0; j < c->n && !seen; j++)
      seen = l->listed[j] && l->nr[j][t] == l->nr[i][t];
    if (!seen) return 1;
  }
  return 0;
}

static void print_action(FILE *f, int action) {
  if (action == ACT_KILL) {
    fputs("KILL_PROCESS", f);
    return;
  }
  const char *name = strerrorname_np(action);
  fprintf(f, "ERRNO(%d)", action);
  if (name) fprintf(f, " /* %s */", name);
}

/* The block of the names whose outcome is ACTION (ACT_DEFAULT resolved;
 * in an allow-list, ALLOW is ACT_DEFAULT); nothing if there are none. */
static void print_block(FILE *f, const conv *c, listing *l, int action) {
  int col = 0;
  for (size_t i = 0; i < c->n; i++) {
    int a = c->set[i].action;
    if (c->mode == MODE_DENY && a == ACT_DEFAULT) a = c->error_number;
    if (a != action || !adds_a_syscall(l, c, i)) continue;
    l->listed[i] = 1;
    if (col == 0) {
      if (c->mode == MODE_ALLOW) fputs("ALLOW", f);
      else print_action(f, action);
      fputs(" {\n ", f);
      col = 1;
    } else if (col + strlen(c->set[i].name) + 2 > 76) {
      fputs(",\n ", f);
      col = 1;
    } else {
      fputc(',', f);
      col++;
    }
    col += fprintf(f, " %s", c->set[i].name);
  }
  if (col) fputs("\n}\n", f);
}

static int print_policy(FILE *f, conv *c) {
  qsort(c->set, c->n, sizeof *c->set, by_name);
  listing l;
  int rc = listing_init(&l, c);
  if (rc == 0 && c->mode == MODE_ALLOW) {
    print_block(f, c, &l, ACT_DEFAULT);
    fputs("DEFAULT ", f);
    print_action(f, c->error_number);
    fputc('\n', f);
  } else if (rc == 0) {
    if (c->mode == MODE_DENY) { /* the strictest first: an alias gets it */
      print_block(f, c, &l, ACT_KILL);
      for (int e = 0; e <= MAX_ERRNO; e++) print_block(f, c, &l, e);
    }
    fputs("DEFAULT ALLOW\n", f);
  }
  free(l.nr);
  free(l.listed);
  return rc;
}

/* The targets with the native one first (sysfence's --arch wants it so). */
static void order_targets(conv *c) {
  if (!c->have_arches) {
    c->targets[0] = c->native;
    c->n_targets = 1;
    return;
  }
  for (size_t i = 1; i < c->n_targets; i++)
    if (strcmp(c->targets[i], c->native) == 0) {
      const char *t = c->targets[0];
      c->targets[0] = c->targets[i];
      c->targets[i] = t;
    }
}

static void print_arches(FILE *f, const conv *c) {
  if (!c->have_arches) {
    fprintf(f, "// No SystemCallArchitectures=: systemd filters every ABI the kernel\n"
               "// runs alike; this policy has the names of %s (compile it with\n"
               "// --arch %s, or --arch with more ABIs and add their names).\n",
            c->native, c->native);
    return;
  }
  fputs("// Compile with: sysfence compile --arch ", f);
  for (size_t i = 0; i < c->n_targets; i++)
    fprintf(f, "%s%s", i ? "," : "", c->targets[i]);
  fputs(" POLICY\n// (calls of other ABIs are refused, as SystemCallArchitectures= says)\n", f);
}

int sf_systemd_convert(const sf_systemd_text *texts, size_t n, const char *native,
                       FILE *out, FILE *diags) {
  conv c = {.mode = MODE_NONE, .error_number = ACT_KILL, .native = native,
            .diags = diags};
  char *head = NULL;
  size_t head_len = 0;
  FILE *h = open_memstream(&head, &head_len);
  if (!h) return -1;
  for (size_t i = 0; i < n; i++) read_text(&c, &texts[i], h);
  fclose(h);
  int rc = c.out_of_memory ? -1 : c.errors ? 1 : 0;
  if (rc == 0 && c.n_targets == 0 && c.have_arches) {
    fprintf(diags, "sysfence: error: SystemCallArchitectures= lists no architecture\n");
    rc = 1;
  }
  if (rc == 0) {
    order_targets(&c);
    fprintf(out, "// Converted by 'sysfence convert --from systemd' from:\n%s"
                 "// systemd's groups: %s.\n", head ? head : "", sf_systemd_groups_source);
    print_arches(out, &c);
    if (c.mode == MODE_NONE) fputs("// No SystemCallFilter=: every call is allowed.\n", out);
    if (print_policy(out, &c) != 0) rc = -1;
  }
  free(head);
  free(c.set);
  return rc;
}
