/* check_diff.c - the `make check` slice of the differential test
 * (tests/difftest.c): the compatibility suite on six architectures, and
 * about 200,000 cases of random policies with a fixed seed (an eighth of the
 * policies compiled for several ABIs of one kernel), a few hundred of
 * them also in the kernel (x86_64 hosts with seccomp; skipped loudly
 * elsewhere).  The long run is `make difftest`. */
#include "config.h" /* SHARED_DIR */

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "difftest.h"
#include "testutil.h"

enum { RANDOM_CASES = 200000, KERNEL_CASES = 300 };
#define SEED 0x5eedd1ff7e57ULL

/* The kernel comparison did not run: say why (difftest.c found out). */
static void kernel_not_compared(const char *test, const dt_stats *st) {
  if (tu_under_valgrind()) tu_skip_no_seccomp(test);
  else tu_skip(test, "%s", st->kernel_skip_why);
}

START_TEST(test_corpus) {
  TU_NEED_CORPUS("test_corpus");
  dt_options o;
  dt_default_options(&o);
  o.seed = SEED;
  o.random = 0;
  o.corpus = 1;
  o.corpus_dir = SHARED_DIR "/corpus";
  o.kernel_cases = 100;
  dt_stats st;
  int rc = dt_run(&o, &st);
  dt_print_stats(stderr, &o, &st);
  ck_assert_msg(rc == 0, "differences in the compatibility suite (see above)");
  ck_assert_uint_ge(st.corpus_files, 40);
  ck_assert_uint_ge(st.corpus_programs, st.corpus_files);
  ck_assert_uint_gt(st.corpus_cases, 100000);
  if (st.kernel_skipped) kernel_not_compared("test_corpus (kernel comparison)", &st);
}
END_TEST

START_TEST(test_random) {
  dt_options o;
  dt_default_options(&o);
  o.seed = SEED;
  o.random = 1;
  o.max_cases = RANDOM_CASES;
  o.kernel_cases = KERNEL_CASES;
  dt_stats st;
  int rc = dt_run(&o, &st);
  dt_print_stats(stderr, &o, &st);
  ck_assert_msg(rc == 0, "differences or unexpected compile errors (see above); "
                "replay: tests/difftest --seed=%#" PRIx64 " --policy=I --verbose",
                (uint64_t)SEED);
  ck_assert_uint_ge(st.cases, RANDOM_CASES);
  /* Mostly valid, mostly compiling policies. */
  ck_assert_uint_ge(st.compiled * 10, st.policies * 9);
  /* One in eight for several ABIs of one kernel (x86_64,i386,x32, ...). */
  ck_assert_uint_ge(st.multi_compiled * 10, st.policies);
  ck_assert_uint_ge(st.multi_cases * 10, st.cases);
  if (st.kernel_skipped)
    kernel_not_compared("test_random (kernel comparison)", &st);
  else
    ck_assert_uint_ge(st.kernel_cases, KERNEL_CASES);
}
END_TEST

int main(void) {
  Suite *s = suite_create("diff");
  TCase *tc = tcase_create("diff");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_corpus);
  tcase_add_test(tc, test_random);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
