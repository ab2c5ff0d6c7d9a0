#!/usr/bin/env bash
# The long run of randomized schedules: every unit suite labelled "schedules" (every primitive's
# and combinator's tests) with each CORIO_TEST_CASE run under SEEDS schedule seeds (0 .. SEEDS-1;
# seed 0 is posting order), JOBS suites at a time. CI runs the same suites with 200 seeds
# (scripts/test.sh); this is the run for a closing report, not for CI.
#
#   scripts/schedules.sh BUILD_DIR [SEEDS=100000] [JOBS=number of cores] [SUITE...]
#
# BUILD_DIR holds a build with the tests (build/release after scripts/test.sh); SUITE... limits
# the run to those suites. Prints each suite's result and time as it ends, then a summary; a
# failing case names its seed (re-run it alone with CORIO_TEST_SEED=N). Exit 1 if any suite failed. The suites run in virtual time (no
# sleeping); the stream suite's cases also open real connections on 127.0.0.1 and ::1, one or more
# per seed. Each closed connection would hold a port in TIME_WAIT for a minute, and 100,000 seeds
# would use up the machine's ephemeral ports within seconds. So, when it may (root, or a user
# allowed to make namespaces), the script runs in a network namespace of its own: only a loopback
# interface, its own ports, and at most 4,096 connections in TIME_WAIT (those beyond that close at
# once, harmless on a private loopback). Otherwise it warns and runs in the machine's namespace.
set -euo pipefail

if [ -z "${CORIO_SCHEDULES_NETNS:-}" ]; then
  if command -v unshare >/dev/null && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
    exec env CORIO_SCHEDULES_NETNS=1 unshare -n bash -c \
      'ip link set lo up && echo 4096 >/proc/sys/net/ipv4/tcp_max_tw_buckets && exec "$0" "$@"' "$0" "$@"
  fi
  echo "warning: no network namespace of its own (needs root, unshare and ip): the stream suite's" \
    "connections may run out of ephemeral ports under many seeds" >&2
fi

build="${1:?usage: $0 BUILD_DIR [SEEDS] [JOBS]}"
seeds="${2:-100000}"
jobs="${3:-$(nproc)}"
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "SEEDS must be a positive whole number"; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "JOBS must be a positive whole number"; exit 2; }
tests="$build/test/corio_tests"
[ -x "$tests" ] || { echo "missing $tests (build the tests first: scripts/test.sh, or cmake --build $build --target corio_tests)"; exit 2; }

mapfile -t suites < <(cd "$build" && ctest -N -L schedules | sed -n 's/^ *Test *#[0-9]*: unit\.\([a-z_0-9]*\)$/\1/p')
[ "${#suites[@]}" -gt 0 ] || { echo "no suite labelled 'schedules' in $build"; exit 2; }
if [ $# -gt 3 ]; then
  wanted=("${@:4}")
  for w in "${wanted[@]}"; do
    printf '%s\n' "${suites[@]}" | grep -qx "$w" || { echo "no suite '$w' labelled 'schedules' in $build"; exit 2; }
  done
  suites=("${wanted[@]}")
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "${#suites[@]} suites, $seeds seeds per test case, $jobs at a time"
start=$(date +%s)
run_suite() {  # suite: runs it, prints one line, leaves its log in $logs/suite.log
  local s=$1 t0 code=0
  t0=$(date +%s)
  CORIO_TEST_SEEDS="$seeds" "$tests" --run_test="$s" --report_level=short >"$logs/$s.log" 2>&1 || code=$?
  printf "%-22s %s in %d s\n" "$s" "$([ $code -eq 0 ] && echo passed || echo "FAILED (exit $code)")" $(( $(date +%s) - t0 ))
  [ $code -eq 0 ] || touch "$logs/$s.failed"
}
export -f run_suite
export tests seeds logs
printf "%s\n" "${suites[@]}" | xargs -P "$jobs" -I{} bash -c 'run_suite {}'

failed=0
for s in "${suites[@]}"; do
  if [ -e "$logs/$s.failed" ]; then
    failed=$((failed + 1))
    echo "== $s"
    tail -n 30 "$logs/$s.log"
  fi
done
echo "${#suites[@]} suites × $seeds seeds: $failed failed, $(( $(date +%s) - start )) s"
[ "$failed" -eq 0 ]
