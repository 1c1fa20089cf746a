#!/bin/sh
# make check-kernels: sysfence's filters on real kernels of other
# architectures.  Boots Debian's own arm64 and s390x kernels under qemu
# (full-system emulation) with an initramfs whose /init (tests/kernels/init.c)
# installs a filter compiled from tests/kernels/policy.kafel and prints one
# marker line per call; on arm64 it also execs a 32-bit ARM program
# (tests/kernels/arm-child.c) under the inherited filter.  The third guest
# is Debian's amd64 kernel booted with syscall.x32=y: one filter for
# x86_64,i386,x32 (policy.kafel plus every other x32 number denied, which
# the code generator decides with bit-table windows), with x86_64, x32 and
# int $0x80 calls (tests/kernels/x86.h).  Each result must equal what
# 'sysfence sim' says for that call on the same filter AND a hard-coded
# expectation.
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

for tool in qemu-system-aarch64 qemu-system-s390x qemu-system-x86_64 \
        aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc s390x-linux-gnu-gcc gcc \
        cpio dpkg-deb timeout; do
    command -v $tool >/dev/null 2>&1 || skip "no $tool (apt-get install" \
        "qemu-system-arm qemu-system-misc qemu-system-x86 gcc-aarch64-linux-gnu" \
        "libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross" \
        "gcc-s390x-linux-gnu libc6-dev-s390x-cross cpio)"
done
test -x "$sysfence" || { echo "check-kernels: no $sysfence (run make first)" >&2; exit 1; }

# fetch_kernel DEBARCH: $cache/DEBARCH/vmlinuz (and its build
# configuration, config), downloaded once.  The versioned package is the
# one the metapackage linux-image-DEBARCH names.
fetch_kernel() {
    dir=$cache/$1
    test -s "$dir/vmlinuz" && return 0
    mkdir -p "$dir" || return 1
    test "`dpkg --print-architecture`" = "$1" ||
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
    cp "$tmp"/x/boot/config-* "$dir/config" 2>/dev/null
    test -n "$img" && cp "$img" "$dir/vmlinuz.new" && echo "$pkg" >"$dir/package" &&
        mv "$dir/vmlinuz.new" "$dir/vmlinuz"
    rc=$?
    rm -rf "$tmp"
    return $rc
}
for a in arm64 s390x amd64; do
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

# boot NAME QEMU CONSOLE MACHINE-ARGS...: run $work/NAME.cpio, output in
# NAME.out; $kargs is added to the kernel's command line
kargs=
boot() {
    name=$1 qemu=$2 console=$3
    shift 3
    start=`date +%s`
    timeout 120 "$qemu" "$@" -m 512 -nographic -no-reboot \
        -kernel "$cache/$kdir/vmlinuz" -initrd "$work/$name.cpio" \
        -append "console=$console quiet panic=-1 $kargs" </dev/null >"$work/$name.out" 2>&1
    status=$?
    echo "check-kernels: $name booted in $((`date +%s` - start)) s (qemu status $status)"
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

# check_all LABEL SIMARCH BLOB TABLE [ABI]: ABI (x32, i386) prefixes each
# CALL of TABLE for the simulator ('x32:close(1000)')
check_all() {
    echo "$4" | while read -r t c a h; do
        check "$1" "$2" "$3" "$t" "${5:+$5:}$c" "$a" "$h"
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

# ---- amd64 kernel: x86_64, x32 and i386 calls under one filter ----
# Debian's amd64 kernel is built with CONFIG_X86_X32_ABI=y but also with
# CONFIG_X86_X32_DISABLED=y (a Debian patch): x32 calls fail with ENOSYS
# unless the kernel is booted with syscall.x32=y (booted without it, the
# 6.1.0-57 kernel's x32 getpid failed with errno 38).  Both lines are in
# the package's /boot/config-*, kept as $cache/amd64/config; checked here
# so that a change shows up as such rather than as x32 failures.
for opt in CONFIG_X86_X32_ABI=y CONFIG_X86_X32_DISABLED=y CONFIG_IA32_EMULATION=y; do
    grep -qx "$opt" "$cache/amd64/config" 2>/dev/null ||
        fail "$cache/amd64/config: no '$opt' (Debian's x32 setup changed?" \
            "or an old cache: remove $cache/amd64 to download it again)"
done
# The policy: tests/kernels/policy.kafel's rules for all three ABIs, and
# ERRNO(1) ON x32 for every x32 syscall with an even number (those of
# src/arch/tables/x32.c; policy.kafel's own syscalls keep their rules), so
# x32's allowed and denied numbers alternate.
{
    sed '/^USE /d' "$policy"
    echo 'POLICY x32_alternating {'
    echo '  USE kernels,'
    echo '  ERRNO(1) {'
    sed -n 's/^  {"\([a-z0-9_]*\)", 0x[0-9a-f]*[02468ace],.*/\1/p' \
        "$srcdir/src/arch/tables/x32.c" | grep -vx 'getppid\|close\|lseek' |
        sed 's/.*/    & ON x32/;$!s/$/,/'
    echo '  }'
    echo '}'
    echo 'USE x32_alternating DEFAULT ALLOW'
} >"$work/x86.kafel"
policy=$work/x86.kafel
build_filter x86 x86_64,i386,x32 || { cat "$work/x86.warnings"; exit 1; }
# the point of this policy: x32 numbers decided by bit-table windows
# (codegen/window.h: ld #bits; rsh x; jset #1)
"$sysfence" disasm "$work/x86.bpf" | grep -q 'rsh x' ||
    fail "x86.bpf: no bit-table window (rsh x) for x32's numbers"
mkdir -p "$work/x86.root"
gcc $cflags -I"$tk" -include "$work/x86.h" -DSFK_ARCH='"x86_64"' -DSFK_X86 \
    "$tk/init.c" -o "$work/x86.root/init" || exit 1
initramfs x86
kdir=amd64
kargs=syscall.x32=y
# TCG (20 to 35 s on this 2-core machine under load) unless this machine offers KVM.  A /dev/kvm alone
# is not enough: on a VM whose CPU shows neither vmx nor svm (no nested
# virtualisation) qemu -enable-kvm hung in SeaBIOS, and with -cpu host it
# aborted (failed to set MSR 0x10a).
accel=
test -c /dev/kvm && test -w /dev/kvm && grep -qwE 'vmx|svm' /proc/cpuinfo &&
    accel=-enable-kvm
echo "check-kernels: x86 accelerator: ${accel:-TCG (no usable KVM)}"
boot x86 qemu-system-x86_64 ttyS0 -M pc $accel -nic none
out=x86.out
check_output
# x32 and i386 must run at all: without them every result below is moot
for abi in x32 i386; do
    if tr -d '\r' <"$work/$out" | grep -qx "SFK unfiltered $abi-getpid ok"; then
        passed=$((passed + 1))
    else
        fail "$abi calls do not work in the amd64 guest (without a filter;" \
            "for x32: was syscall.x32=y ignored?)"
    fi
done
calls_x32='getuid getuid ok errno=1
geteuid geteuid ok ok
getgid getgid ok errno=1
getpgrp getpgrp ok ok
getpid getpid ok ok
rtsigaction rt_sigaction(10,0,0,8) ok errno=1
readv readv(1000,0,0) errno=9 errno=9
writev writev(1000,0,0) errno=9 errno=1
sigaltstack sigaltstack(0,0) ok ok'
calls_i386='getppid getppid ok errno=11
close1000 close(1000) errno=9 errno=12
close1001 close(1001) errno=9 errno=9
close1003 close(1003) errno=9 errno=13
closejunk close(0xdeadbeef000003e8) errno=9 errno=12
lseeklo lseek(1001,2,0) errno=9 errno=9
lseekwh lseek(1000,0,5) errno=9 errno=32
lseekwh2 lseek(1001,0,5) errno=9 errno=9
llseek _llseek(1001,0,2,0,0) errno=9 errno=31
getuid getuid ok ok
getpid getpid ok ok'
check_all x86_64 x86_64 "$work/x86.bpf" "$calls64"
check_all x86_64 x86_64 "$work/x86.bpf" 'getuid getuid ok ok
writev writev(1000,0,0) errno=9 errno=9'
check_all x32 x86_64 "$work/x86.bpf" "$calls64" x32
check_all x32 x86_64 "$work/x86.bpf" "$calls_x32" x32
check_all i386 x86_64 "$work/x86.bpf" "$calls_i386" i386

echo "check-kernels: kernels `cat "$cache/arm64/package" "$cache/s390x/package" \
    "$cache/amd64/package" | tr '\n' ' '`"
echo "check-kernels: $passed passed, $failed failed"
if test $failed -gt 0; then
    for f in a64 s390 x86; do echo "==== $f boot output"; tail -n 40 "$work/$f.out"; done
    exit 1
fi
exit 0
