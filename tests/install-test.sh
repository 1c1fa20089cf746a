#!/bin/sh
# install-test.sh - 'make install' into a temporary DESTDIR, then use what
# was installed: the programs, the shared library (soname, exports), the
# header, sysfence.pc with pkg-config, the man pages; and build and run
# examples/embed.c against the installed library.  Run by 'make check' from
# the build folder, with the install folders in the environment
# (AM_TESTS_ENVIRONMENT in Makefile.am).
set -u

fail() { echo "install-test: FAIL: $*" >&2; exit 1; }
# Checks that cannot run here, in the form check-local lists
# (tests/testutil.h, tu_skip); with SYSFENCE_REQUIRE_ALL=1 they fail.
required() {
  test "${SYSFENCE_REQUIRE_ALL:-}" != 1 ||
    fail "cannot run here and SYSFENCE_REQUIRE_ALL=1: $*"
}
skip() { required "$*"; echo "install-test.sh: SKIPPED: $*" >&2; exit 77; }
skip_check() {
  what=$1; shift
  required "$what: $*"; echo "install-test.sh: $what: SKIPPED: $*" >&2
}

: "${MAKE:=make}" "${CC:=cc}" "${PKG_CONFIG:=pkg-config}"
for v in bindir libdir includedir mandir pkgconfigdir pkgdatadir abs_top_srcdir abs_top_builddir; do
  eval "test -n \"\${$v:-}\"" || fail "\$$v is not set (run me through 'make check')"
done

tmp=`mktemp -d "${TMPDIR:-/tmp}/sysfence-install.XXXXXX"` || fail "mktemp"
trap 'rm -rf "$tmp"' 0
dest=$tmp/dest

# Other make options (-j, the jobserver) come along in MAKEFLAGS.
"$MAKE" -C "$abs_top_builddir" install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "make install DESTDIR=$dest"; }

B=$dest$bindir L=$dest$libdir I=$dest$includedir M=$dest$mandir P=$dest$pkgconfigdir
for f in "$B/sysfence" "$B/sysfence-exec" "$I/sysfence.h" "$P/sysfence.pc" \
         "$M/man1/sysfence.1" "$M/man1/sysfence-exec.1" "$M/man3/libsysfence.3" \
         "$M/man5/sysfence-policy.5" "$L/libsysfence.so" "$L/libsysfence.so.0"; do
  test -e "$f" || fail "not installed: $f"
done
echo "install-test: installed files present"

# The Python binding, where configure found a Python 3 (sf_pythondir set):
# it names the installed library's folder and works with it.
if test -n "${sf_pythondir:-}"; then
  py=$dest$sf_pythondir/sysfence.py
  test -f "$py" || fail "not installed: $py"
  grep -qF "_LIBDIR = \"$libdir\"" "$py" || fail "$py does not name the libdir $libdir"
  SYSFENCE_LIBRARY=$L/libsysfence.so.0 PYTHONPATH=$dest$sf_pythondir "$PYTHON" -c '
import sysfence
f = sysfence.compile("ALLOW { read } DEFAULT ERRNO(1)")
assert f.evaluate("read") == "ALLOW" and f.evaluate("write") == "ERRNO(1)"' ||
    fail "the installed sysfence module does not work"
  echo "install-test: Python module in $sf_pythondir"
else
  skip_check "Python module" "configure found no Python 3"
fi

# The programs run from where they were installed.
"$B/sysfence" --version | grep -q sysfence || fail "installed sysfence --version"
"$B/sysfence-exec" --version | grep -q sysfence-exec || fail "installed sysfence-exec --version"

# The policy library: the shipped policies, their groups and the Python
# launcher in $(pkgdatadir); the installed sysfence names that folder in its
# --help and searches it for #include after the including file's folder and
# -I.  (The folder compiled in is $pkgdatadir, outside DESTDIR, so the
# search is tried with SYSFENCE_POLICY_DIR naming the DESTDIR copy.)
D=$dest$pkgdatadir
for f in "$D/groups/basic-io.policy" "$D/groups/memory.policy" "$D/no-exec.policy" \
         "$D/python-sandbox.policy" "$D/python-sandbox-launch.py"; do
  test -e "$f" || fail "not installed: $f"
done
test -x "$D/python-sandbox-launch.py" || fail "the Python launcher is not executable"
unset SYSFENCE_POLICY_DIR
"$B/sysfence" --help | grep -F "Policy library: $pkgdatadir" >/dev/null ||
  fail "sysfence --help does not name the policy library $pkgdatadir"
mkdir "$tmp/elsewhere" || fail "mkdir"
cat >"$tmp/elsewhere/mine.policy" <<'POLICY'
#include "groups/basic-io.policy"
#include "groups/memory.policy"
POLICY p { ALLOW { exit_group }, ERRNO(EPERM) { uname } }
USE p, USE basic_io, USE memory DEFAULT KILL
POLICY
(cd "$tmp" && SYSFENCE_POLICY_DIR=$D "$B/sysfence" compile -o "$tmp/mine.bpf" \
  elsewhere/mine.policy) || fail "an installed group is not found from another folder"
test -s "$tmp/mine.bpf" || fail "no filter written for elsewhere/mine.policy"
# Without the library the same policy cannot find its group.
(cd "$tmp" && SYSFENCE_POLICY_DIR= "$B/sysfence" compile -o "$tmp/none.bpf" \
  elsewhere/mine.policy) 2>"$tmp/none.err" && fail "compiled without the policy library"
grep -F 'groups/basic-io.policy' "$tmp/none.err" >/dev/null || fail "no error naming the group"
echo "install-test: policy library in $pkgdatadir, found from another folder"

# The shared library: versioned soname; only the API is exported.
if command -v readelf >/dev/null 2>&1; then
  soname=`readelf -d "$L/libsysfence.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p'`
  test "$soname" = libsysfence.so.0 || fail "soname is '$soname', not libsysfence.so.0"
  echo "install-test: soname $soname"
else
  skip_check soname "no readelf (install binutils)"
fi
if command -v nm >/dev/null 2>&1; then
  nm -D --defined-only "$L/libsysfence.so" | awk '{print $NF}' | sort >"$tmp/exports"
  test -s "$tmp/exports" || fail "the library exports nothing"
  if grep -v '^sysfence_' "$tmp/exports" >"$tmp/others"; then
    cat "$tmp/others" >&2
    fail "symbols outside the API are exported"
  fi
  # ... and the whole API is.
  sed -n 's/^SYSFENCE_API[^(]*[ *]\(sysfence_[a-z_]*\)(.*/\1/p' \
    "$abs_top_srcdir/include/sysfence.h" | sort >"$tmp/api"
  test -s "$tmp/api" || fail "no API found in sysfence.h"
  missing=`comm -23 "$tmp/api" "$tmp/exports"`
  test -z "$missing" || fail "not exported: $missing"
  echo "install-test: exports = the API (`wc -l <"$tmp/exports"` functions)"
else
  skip_check exports "no nm (install binutils)"
fi

# pkg-config: the installed .pc, rebased into DESTDIR.
command -v "$PKG_CONFIG" >/dev/null 2>&1 || skip "no pkg-config"
flags=`PKG_CONFIG_PATH=$P PKG_CONFIG_LIBDIR=$P PKG_CONFIG_SYSROOT_DIR=$dest \
  "$PKG_CONFIG" --cflags --libs sysfence` || fail "pkg-config --cflags --libs sysfence"
echo "install-test: pkg-config: $flags"
case $flags in *-lsysfence*) ;; *) fail "no -lsysfence in '$flags'";; esac

# Build the example against the installed library only (not the source
# tree's header) and run it.
$CC -Wall -Wextra -Werror "$abs_top_srcdir/examples/embed.c" $flags -o "$tmp/embed" \
  || fail "examples/embed.c does not build against the installed library"
# It uses the installed library, not the build tree's.
if command -v ldd >/dev/null 2>&1; then
  LD_LIBRARY_PATH=$L ldd "$tmp/embed" | grep -F "$L/libsysfence.so.0" >/dev/null ||
    fail "embed is not linked to the installed libsysfence.so.0"
else
  skip_check "embed linked to the installed library" "no ldd"
fi
LD_LIBRARY_PATH=$L "$tmp/embed" >"$tmp/embed.out" 2>&1
st=$?
cat "$tmp/embed.out"
if test $st -ne 0 && grep -q 'sysfence_apply' "$tmp/embed.out"; then
  skip "seccomp filters cannot be installed here (the install itself passed)"
fi
test $st -eq 0 || fail "embed exited with $st"
grep -q 'uname: denied: Operation not permitted' "$tmp/embed.out" ||
  fail "embed: uname was not refused"
echo "install-test: PASS"
