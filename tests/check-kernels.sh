#!/bin/sh
# make check-kernels: sysfence's filters on real kernels of other
# architectures.  Boots Debian's own arm64 and s390x kernels under qemu
# (full-system emulation) with an initramfs whose /init (tests/kernels/init.c)
# installs a filter compiled from tests/kernels/policy.kafel and prints one
# marker line per call; on arm64 it also execs a 32-bit ARM program
# (tests/kernels/arm-child.c) under the inherited filter.  Each result must
# equal what 'sysfence sim' says for that call on the same filter AND a
# hard-coded expectation.
#
# Usage: tests/check-kernels.sh SRCDIR BUILDDIR
# Kernels are cached in $SYSFENCE_KERNEL_CACHE (default
# /var/cache/sysfence-kernels).  A missing tool or kernel prints a SKIPPED
# line and exits 77, or exits 1 when SYSFENCE_REQUIRE_ALL=1.
set -u
srcdir=${1:-.}
builddir=${2:-.}
sysfence=$builddir/src/sysfence
cache=${SYSFENCE_KERNEL_CACHE:-/var/cache/sysfence-kernels}
policy=$srcdir/tests/kernels/policy.kafel

skip() {
    echo "check-kernels: SKIPPED: $*" >&2
    if test "${SYSFENCE_REQUIRE_ALL:-0}" = 1; then
        echo "check-kernels: SYSFENCE_REQUIRE_ALL=1: a skip is a failure" >&2
        exit 1
    fi
    exit 77
}

for tool in qemu-system-aarch64 qemu-system-s390x aarch64-linux-gnu-gcc \
        arm-linux-gnueabihf-gcc s390x-linux-gnu-gcc cpio dpkg-deb timeout; do
    command -v $tool >/dev/null 2>&1 || skip "no $tool (apt-get install" \
        "qemu-system-arm qemu-system-misc gcc-aarch64-linux-gnu" \
        "libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross" \
        "gcc-s390x-linux-gnu libc6-dev-s390x-cross cpio)"
done
test -x "$sysfence" || { echo "check-kernels: no $sysfence (run make first)" >&2; exit 1; }

# fetch_kernel DEBARCH: $cache/DEBARCH/vmlinuz, downloaded once.  The
# versioned package is the one the metapackage linux-image-DEBARCH names.
fetch_kernel() {
    dir=$cache/$1
    test -s "$dir/vmlinuz" && return 0
    mkdir -p "$dir" || return 1
    dpkg --print-foreign-architectures | grep -qx "$1" ||
        dpkg --add-architecture "$1" || return 1
    apt-cache show "linux-image-$1:$1" >/dev/null 2>&1 ||
        apt-get update -qq >/dev/null 2>&1 || return 1
    pkg=`apt-cache depends "linux-image-$1:$1" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1`
    test -n "$pkg" || return 1
    tmp=`mktemp -d "$dir/dl.XXXXXX"` || return 1
    # apt-get download writes into the current folder; _apt cannot write
    # into root's mktemp folder, so let it be readable
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1 &&
        dpkg-deb -x ./*.deb x) || { rm -rf "$tmp"; return 1; }
    img=`ls "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -n 1`
    test -n "$img" && cp "$img" "$dir/vmlinuz.new" && echo "$pkg" >"$dir/package" &&
        mv "$dir/vmlinuz.new" "$dir/vmlinuz"
    rc=$?
    rm -rf "$tmp"
    return $rc
}
for a in arm64 s390x; do
    fetch_kernel $a || skip "cannot download Debian's $a kernel into $cache" \
        "(no network or no package?)"
done

work=`mktemp -d "${TMPDIR:-/tmp}/check-kernels.XXXXXX"` || exit 1
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# build NAME ARCHES: the filter as a header and as a raw blob.
build_filter() {
    "$sysfence" compile --arch "$2" --format c --name sfk_filter "$policy" \
        -o "$work/$1.h" 2>"$work/$1.warnings" &&
    "$sysfence" compile --arch "$2" --format bpf "$policy" \
        -o "$work/$1.bpf" 2>>"$work/$1.warnings"
}

# boot NAME QEMU CONSOLE MACHINE-ARGS...: run $work/NAME.cpio, output in NAME.out
boot() {
    name=$1 qemu=$2 console=$3
    shift 3
    start=`date +%s`
    timeout 120 "$qemu" "$@" -m 512 -nographic -no-reboot \
        -kernel "$cache/$kdir/vmlinuz" -initrd "$work/$name.cpio" \
        -append "console=$console quiet panic=-1" </dev/null >"$work/$name.out" 2>&1
    echo "check-kernels: $name booted in $((`date +%s` - start)) s (qemu status $?)"
}

# initramfs NAME FILES...: $work/NAME.cpio from $work/NAME.root
initramfs() {
    (cd "$work/$1.root" && find . | cpio -o -H newc --quiet) >"$work/$1.cpio"
}

# check LABEL SIMARCH BLOB TEST CALL IF-ALLOWED HARD: the marker of TEST
# under LABEL must be what the simulator's action means for the call
# (ERRNO(n) -> errno=n, ALLOW -> IF-ALLOWED) and also HARD.
check() {
    label=$1 simarch=$2 blob=$3 test=$4 call=$5 allowed=$6 hard=$7
    # the console ends lines with CR LF
    got=`tr -d '\r' <"$work/$out" | sed -n "s/^SFK $label $test \([^ ]*\)$/\1/p"`
    action=`"$sysfence" sim --arch "$simarch" "$blob" "$call" |
        sed 's/^.* -> //' | awk '{ print $1 }'`
    case $action in
    ALLOW) want=$allowed ;;
    ERRNO*) want=errno=`echo "$action" | tr -dc 0-9` ;;
    *) want="(sim: $action)" ;;
    esac
    if test "$got" = "$want" && test "$got" = "$hard"; then
        passed=$((passed + 1))
        echo "ok:   $label $test $call: kernel $got, sim $action"
    else
        fail "$label $test $call: kernel '${got:-no marker}', sim $action -> '$want', expected '$hard'"
    fi
}

# The 64-bit calls of init.c's run_calls: TEST CALL IF-ALLOWED HARD
calls64='getppid getppid ok errno=11
close1000 close(1000) errno=9 errno=12
close1001 close(1001) errno=9 errno=9
close1003 close(1003) errno=9 errno=13
closejunk close(0xdeadbeef000003e8) errno=9 errno=12
lseekhi lseek(1001,0x100000002,0) errno=9 errno=31
lseekswap lseek(1001,0x200000001,0) errno=9 errno=9
lseeklo lseek(1001,2,0) errno=9 errno=9
lseekwh lseek(1000,0,5) errno=9 errno=32
lseekwh2 lseek(1001,0,5) errno=9 errno=9'
# arm-child.c's calls
calls_arm='getppid getppid ok errno=11
close1000 close(1000) errno=9 errno=12
close1001 close(1001) errno=9 errno=9
close1003 close(1003) errno=9 errno=13
lseeklo lseek(1001,2,0) errno=9 errno=9
lseekwh lseek(1000,0,5) errno=9 errno=32
lseekwh2 lseek(1001,0,5) errno=9 errno=9
llseek _llseek(1001,0,2,0,0) errno=9 errno=31'

# check_all LABEL SIMARCH BLOB TABLE
check_all() {
    echo "$4" | while read -r t c a h; do
        check "$1" "$2" "$3" "$t" "$c" "$a" "$h"
        echo "$passed $failed" >"$work/counts"
    done
    read -r passed failed <"$work/counts"
}

# the boot output must be whole: both ends and no error lines
check_output() {
    if grep -q '^SFK-END' "$work/$out" && ! grep -q '^SFK-ERROR' "$work/$out"; then
        passed=$((passed + 1))
    else
        fail "$out: incomplete run:"; grep -E '^SFK|Kernel panic' "$work/$out" | head -n 20
    fi
}

cflags='-static -O2 -Wall -Wextra -Werror'
tk=$srcdir/tests/kernels

# ---- arm64 kernel: aarch64 /init, a 32-bit ARM child ----
build_filter a64 aarch64,arm || { cat "$work/a64.warnings"; exit 1; }
mkdir -p "$work/a64.root"
aarch64-linux-gnu-gcc $cflags -I"$tk" -include "$work/a64.h" -DSFK_ARCH='"aarch64"' \
    -DSFK_ARM_CHILD "$tk/init.c" -o "$work/a64.root/init" &&
arm-linux-gnueabihf-gcc $cflags -I"$tk" "$tk/arm-child.c" -o "$work/a64.root/arm-child" ||
    exit 1
initramfs a64
kdir=arm64
boot a64 qemu-system-aarch64 ttyAMA0 -M virt -cpu cortex-a57 -nic none
out=a64.out
check_output
check_all aarch64 aarch64 "$work/a64.bpf" "$calls64"
check_all arm arm "$work/a64.bpf" "$calls_arm"

# ---- s390x kernel: big-endian, the header and the raw blob ----
build_filter s390 s390x || { cat "$work/s390.warnings"; exit 1; }
mkdir -p "$work/s390.root"
cp "$work/s390.bpf" "$work/s390.root/filter.bpf"
s390x-linux-gnu-gcc $cflags -I"$tk" -include "$work/s390.h" -DSFK_ARCH='"s390x"' \
    -DSFK_BLOB "$tk/init.c" -o "$work/s390.root/init" || exit 1
initramfs s390
kdir=s390x
boot s390 qemu-system-s390x ttysclp0 -M s390-ccw-virtio -nic none
out=s390.out
check_output
check_all s390x s390x "$work/s390.bpf" "$calls64"
check_all s390x-blob s390x "$work/s390.bpf" "$calls64"

echo "check-kernels: kernels `cat "$cache/arm64/package" "$cache/s390x/package" | tr '\n' ' '`"
echo "check-kernels: $passed passed, $failed failed"
if test $failed -gt 0; then
    for f in a64 s390; do echo "==== $f boot output"; tail -n 40 "$work/$f.out"; done
    exit 1
fi
exit 0
