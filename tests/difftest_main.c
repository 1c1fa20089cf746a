/* difftest_main.c - the long-running differential test (make difftest).
 *
 *   tests/difftest [--seed=N] [--cases=N] [--seconds=S] [--kernel=N]
 *                  [--no-corpus] [--policy=I] [--reports=N] [--verbose]
 *
 * Defaults: 10,000,000 cases of random policies (after the compatibility
 * suite), 20,000 kernel comparisons on an x86_64 host.  --seconds alone
 * runs for that long instead.  The same seed gives the same cases;
 * --policy=I regenerates and checks random policy #I only (printed with
 * --verbose), which is how a reported difference is replayed.  Exit status
 * 0 when there was no difference. */
#include "config.h" /* SHARED_DIR */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "difftest.h"

static int opt(const char *arg, const char *name, const char **value) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return 0;
  *value = arg + n + 1;
  return 1;
}

static uint64_t number(const char *what, const char *s) {
  char *end;
  uint64_t v = strtoull(s, &end, 0);
  if (!*s || *end) {
    fprintf(stderr, "difftest: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  dt_options o;
  dt_default_options(&o);
  o.max_cases = 10000000;
  o.kernel_cases = 20000;
  o.corpus = 1;
  o.corpus_dir = SHARED_DIR "/corpus";
  o.max_reports = 10;
  o.out = stdout;
  int cases_given = 0, seconds_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (opt(argv[i], "--seed", &v)) o.seed = number("seed", v);
    else if (opt(argv[i], "--cases", &v)) o.max_cases = number("case count", v), cases_given = 1;
    else if (opt(argv[i], "--seconds", &v)) o.max_seconds = strtod(v, NULL), seconds_given = 1;
    else if (opt(argv[i], "--kernel", &v)) o.kernel_cases = number("kernel case count", v);
    else if (opt(argv[i], "--policy", &v)) o.only_policy = (long)number("policy", v);
    else if (opt(argv[i], "--reports", &v)) o.max_reports = (int)number("report count", v);
    else if (opt(argv[i], "--corpus-dir", &v)) o.corpus_dir = v;
    else if (strcmp(argv[i], "--no-corpus") == 0) o.corpus = 0;
    else if (strcmp(argv[i], "--verbose") == 0) o.verbose = 1;
    else {
      fprintf(stderr, "usage: %s [--seed=N] [--cases=N] [--seconds=S] [--kernel=N] "
              "[--no-corpus] [--policy=I] [--reports=N] [--verbose]\n", argv[0]);
      return 2;
    }
  }
  if (seconds_given && !cases_given) o.max_cases = 0;
  if (o.only_policy >= 0) o.corpus = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("difftest: seed %#" PRIx64 ", %s%" PRIu64 " cases", o.seed,
         o.max_cases ? "" : "unlimited ", o.max_cases);
  if (o.max_seconds > 0) printf(", at most %.0f s", o.max_seconds);
  printf(", up to %" PRIu64 " kernel cases%s\n", o.kernel_cases,
         o.corpus ? ", corpus first" : "");
  dt_stats st;
  int rc = dt_run(&o, &st);
  dt_print_stats(stdout, &o, &st);
  if (rc == 0 && !o.max_seconds && o.only_policy < 0 && st.cases < o.max_cases) rc = 1;
  printf("difftest: %s\n", rc == 0 ? "PASS" : "FAIL");
  return rc == 0 ? 0 : 1;
}
