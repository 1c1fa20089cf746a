#!/bin/sh
# trace-bench.sh - what supervision costs: the same workloads bare, under
# 'sysfence trace', under 'strace -f -o /dev/null', and under
# 'sysfence run --audit' with a policy that allows everything (no call
# reaches the supervisor) beside plain 'sysfence run' with it.  Prints the
# median wall time of RUNS runs of each and the overheads against the bare
# run; exits 1 if trace's overhead is more than half of strace's.
#
# Usage: bench/trace-bench.sh [SYSFENCE [RUNS]]   (make bench-trace)
set -eu
SYSFENCE=${1:-src/sysfence}
RUNS=${2:-5}
command -v strace >/dev/null 2>&1 || { echo "trace-bench: SKIPPED: strace is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'DEFAULT ALLOW\n' > "$dir/allow.policy"

# The workloads: fork+exec heavy (a shell pipeline in a loop), and
# syscall heavy in one process (CPython reading a file in small pieces).
cat > "$dir/pipeline.sh" <<'EOF'
i=0; while [ $i -lt 100 ]; do ls / | wc -l >/dev/null; i=$((i + 1)); done
EOF
cat > "$dir/reads.py" <<'EOF'
import os
fd = os.open("/proc/self/exe", os.O_RDONLY)
for i in range(50000):
    os.pread(fd, 64, (i * 64) % 4096)
EOF

now() { date +%s%N; }
# median_ms CMD...: the median of RUNS wall times, in milliseconds
median_ms() {
  k=0; : > "$dir/times"
  while [ $k -lt "$RUNS" ]; do
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    echo $(( (t1 - t0) / 1000000 )) >> "$dir/times"; k=$((k + 1))
  done
  sort -n "$dir/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

fail=0
for w in pipeline reads; do
  case $w in
    pipeline) set -- /bin/sh "$dir/pipeline.sh" ;;
    reads) command -v python3 >/dev/null 2>&1 || continue; set -- python3 "$dir/reads.py" ;;
  esac
  bare=$(median_ms "$@")
  trace=$(median_ms "$SYSFENCE" trace -o /dev/null -- "$@")
  strace=$(median_ms strace -f -o /dev/null "$@")
  run=$(median_ms "$SYSFENCE" run "$dir/allow.policy" -- "$@")
  audit=$(median_ms "$SYSFENCE" run --audit "$dir/allow.policy" -- "$@")
  printf '%-9s bare %6d ms | trace %6d ms (+%d) | strace -f %6d ms (+%d) | run %6d ms | run --audit %6d ms\n' \
    "$w" "$bare" "$trace" $((trace - bare)) "$strace" $((strace - bare)) "$run" "$audit"
  if [ $((2 * (trace - bare))) -gt $((strace - bare)) ]; then
    echo "trace-bench: $w: trace's overhead is more than half of strace's"
    fail=1
  fi
done
exit $fail
