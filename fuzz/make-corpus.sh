#!/bin/sh
# make-corpus.sh - build the fuzzers' seed corpus in OUTDIR from the policies
# that already exist (nothing copied is committed):
#   - every *.policy under SHARED/corpus/kafel (Kafel's samples and test
#     data, nsjail's policies, ...),
#   - the shipped policies/ of SRCDIR,
#   - the small snippets below, one per language feature.
# Files are named by content hash, so rerunning is idempotent and a corpus
# the fuzzer grew in OUTDIR is kept.
# Usage: fuzz/make-corpus.sh SRCDIR SHARED OUTDIR
set -eu
srcdir=$1 shared=$2 out=$3
mkdir -p "$out"

add() { # add FILE: copy FILE into the corpus under its hash
  h=$(sha1sum < "$1" | cut -c1-16)
  [ -e "$out/seed-$h" ] || cp "$1" "$out/seed-$h"
}

n=$(find "$shared/corpus/kafel" "$srcdir/policies" -type f -name '*.policy' 2>/dev/null | wc -l)
find "$shared/corpus/kafel" "$srcdir/policies" -type f -name '*.policy' 2>/dev/null |
  LC_ALL=C sort | while IFS= read -r f; do add "$f"; done
[ "$n" -gt 0 ] || echo "make-corpus.sh: warning: no policies found under $shared/corpus/kafel or $srcdir/policies" >&2

# Snippets: one construct each, valid and invalid, so that mutations start
# next to every corner of the grammar and the resolver.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
snippet() { printf '%s\n' "$1" > "$tmp"; add "$tmp"; }
snippet 'ALLOW { read, write } DEFAULT KILL'
snippet 'POLICY p { ALLOW { read { fd == 0 }, write { fd == 1 || fd == 2 } } } USE p DEFAULT ERRNO(1)'
snippet '#define STDOUT 1
#define MASK 0x1f
POLICY io { ALLOW { write { fd == STDOUT }, mmap { (prot & MASK) == 0 } }, ERRNO(9) { close } }
USE io, KILL_PROCESS { ptrace, process_vm_readv } DEFAULT KILL'
snippet 'ALLOW { write(out, buf, n) { out == 1 && n < 4096 } }'
snippet 'ALLOW { SYSCALL[1000](a, b) { a == b }, SYSCALL[0x3e7] }'
snippet 'ALLOW { mmap { !(prot & 4) || (flags & 0x20) != 0 } } DEFAULT TRAP(5)'
snippet 'LOG { openat { flags >= 0b101 && flags <= 017 } } DEFAULT TRACE(7)'
snippet 'USER_NOTIF { ioctl { cmd > 0xffffffff } } KILL_THREAD { kill { sig == -1 } } DENY { tkill } DEFAULT ALLOW'
snippet '#include "common.policy"
USE common DEFAULT KILL'
snippet '#include "common.policy" "io.policy"
USE common, io DEFAULT KILL'
snippet '#include "wide.policy"
USE wide DEFAULT ERRNO(38)'
snippet '#include "chain.policy"
USE chain, chain_2 DEFAULT KILL'
snippet '#include "self_recursive.policy"'
snippet 'POLICY a { USE b } POLICY b { USE a } USE a'
snippet 'POLICY a { ALLOW { read } } POLICY a { ALLOW { write } } USE a'
snippet 'ALLOW { opneat } DEFAULT KILL'
snippet 'ALLOW { read { fd == 0 } } ERRNO(1) { read { fd == 1 } } DEFAULT KILL'
snippet 'ALLOW { socket { domain == 2 && type == 1 }, socket { family == 10 } }'
snippet 'ALLOW { read { ((((fd == 0)))) } }'
snippet 'ALLOW { read { fd == 18446744073709551615 || fd == -9223372036854775808 } }'
snippet '/* block */ ALLOW { read } // line
/* unterminated'
snippet 'ALLOW { read, write, read } DEFAULT ERRNO(65535)'
snippet 'ERRNO(65536) { read }'
snippet 'ALLOW { newstat, fstat64, _llseek, clone3, rt_sigreturn, exit_group }'
echo "make-corpus.sh: $(ls "$out" | wc -l) files in $out"
