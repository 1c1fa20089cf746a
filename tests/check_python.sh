#!/bin/sh
# check_python.sh - the Python binding (python/sysfence.py) against the
# build tree's libsysfence.so: tests/python_test.py.  Run by 'make check'
# with abs_top_srcdir and abs_top_builddir in the environment.
set -u
skip() {
  if test "${SYSFENCE_REQUIRE_ALL:-}" = 1; then
    echo "check_python.sh: FAIL: cannot run here and SYSFENCE_REQUIRE_ALL=1: $*" >&2
    exit 1
  fi
  echo "check_python.sh: SKIPPED: $*" >&2
  exit 77
}
: "${abs_top_srcdir:?run me through make check}" "${abs_top_builddir:?run me through make check}"
command -v python3 >/dev/null 2>&1 || skip "python3 not found"
lib=$abs_top_builddir/.libs/libsysfence.so
test -f "$lib" || skip "no shared library in the build tree ($lib; --disable-shared?)"
test -f "$abs_top_builddir/python/sysfence.py" || {
  echo "check_python.sh: FAIL: python/sysfence.py was not built" >&2; exit 1; }
SYSFENCE_LIBRARY=$lib PYTHONPATH=$abs_top_builddir/python \
  SYSFENCE_TEST_SRCDIR=$abs_top_srcdir \
  exec python3 "$abs_top_srcdir/tests/python_test.py" -v
