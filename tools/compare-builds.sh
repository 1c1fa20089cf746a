#!/bin/sh
# compare-builds.sh - show that two commits compile the same filters.
#
#   tools/compare-builds.sh [-k] OLD NEW [POLICY...]
#
# Builds OLD and NEW (any commit-ish) in temporary worktrees, then compiles
# every policy of the corpus (SHARED/corpus: *.policy, *.kafel) and of
# policies/ (and any POLICY given) for every architecture both builds know,
# at -O0 and -O1, as a raw blob and as a listing, and compares the outputs
# byte for byte.  A policy that fails to compile must fail the same way
# (same exit status and the same diagnostics).  Prints the counts and each
# difference; exits 1 if there is any difference.
#
# SHARED defaults to the folder shared/ beside the repository; -k keeps the
# worktrees (in $TMPDIR) for inspection.
set -eu
keep=0
if [ "${1:-}" = "-k" ]; then keep=1; shift; fi
if [ $# -lt 2 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
old=$1 new=$2
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sysfence-compare.XXXXXX")
cleanup() {
  if [ $keep -eq 0 ]; then
    git -C "$repo" worktree remove --force "$tmp/old" 2>/dev/null || true
    git -C "$repo" worktree remove --force "$tmp/new" 2>/dev/null || true
    rm -rf "$tmp"
  else
    echo "kept: $tmp" >&2
  fi
}
trap cleanup EXIT

build() { # commit folder
  git -C "$repo" worktree add -q --detach "$2" "$1"
  (cd "$2" && autoreconf -fi >/dev/null 2>&1 && ./configure -q >/dev/null &&
   make -j"$(nproc)" src/sysfence >/dev/null 2>&1) ||
    { echo "compare-builds: cannot build $1" >&2; exit 2; }
}
build "$old" "$tmp/old"
build "$new" "$tmp/new"

# The policies: the corpus, the shipped ones, and the command line's.
list=$tmp/policies
{
  if [ -d "$shared/corpus" ]; then
    find "$shared/corpus" -type f \( -name '*.policy' -o -name '*.kafel' \)
  else
    echo "compare-builds: no corpus at $shared/corpus (set SHARED=DIR)" >&2
  fi
  find "$repo/policies" -type f -name '*.policy'
  for p in "$@"; do echo "$p"; done
} | LC_ALL=C sort >"$list"

arches() { "$1/src/sysfence" arches | awk '{print $1}'; }
arches "$tmp/old" >"$tmp/arches.old"
arches "$tmp/new" >"$tmp/arches.new"
if ! cmp -s "$tmp/arches.old" "$tmp/arches.new"; then
  echo "compare-builds: the architectures differ:" >&2
  diff "$tmp/arches.old" "$tmp/arches.new" >&2 || true
fi

# One output (blob or listing, diagnostics, exit status) of one build.
run_one() { # build policy arch level format out
  set +e
  "$1/src/sysfence" compile "$2" --arch "$3" -O "$4" --format "$5" \
    -I "$(dirname "$2")" -o - >"$6.out" 2>"$6.err"
  echo $? >"$6.rc"
  set -e
  # Diagnostics name the file; the path is the same for both builds.
}

n=0 same=0 diff=0 failed_same=0
while IFS= read -r pol; do
  for arch in $(cat "$tmp/arches.old"); do
    grep -qx "$arch" "$tmp/arches.new" || continue
    for level in 0 1; do
      for fmt in bpf asm; do
        run_one "$tmp/old" "$pol" "$arch" $level $fmt "$tmp/a"
        run_one "$tmp/new" "$pol" "$arch" $level $fmt "$tmp/b"
        n=$((n + 1))
        if cmp -s "$tmp/a.out" "$tmp/b.out" && cmp -s "$tmp/a.err" "$tmp/b.err" &&
           cmp -s "$tmp/a.rc" "$tmp/b.rc"; then
          same=$((same + 1))
          [ "$(cat "$tmp/a.rc")" = 0 ] || failed_same=$((failed_same + 1))
        else
          diff=$((diff + 1))
          echo "DIFFERENT: $pol --arch $arch -O $level --format $fmt" \
               "(exit $(cat "$tmp/a.rc") -> $(cat "$tmp/b.rc"))"
          diff "$tmp/a.err" "$tmp/b.err" | head -5 || true
        fi
      done
    done
  done
done <"$list"

echo "compare-builds: $(wc -l <"$list") policies x $(wc -l <"$tmp/arches.old") arches x 2 levels x 2 formats:"
echo "compare-builds: $n compilations, $same identical ($failed_same of them failing identically), $diff different"
[ $diff -eq 0 ]
