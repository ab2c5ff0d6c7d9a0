#!/usr/bin/env bash
# The long run of randomized schedules: every unit suite labelled "schedules" (every primitive's
# and combinator's tests) with each CORIO_TEST_CASE run under SEEDS schedule seeds (0 .. SEEDS-1;
# seed 0 is posting order), JOBS suites at a time. CI runs the same suites with 200 seeds
# (scripts/test.sh); this is the run for a closing report, not for CI.
#
#   scripts/schedules.sh BUILD_DIR [SEEDS=100000] [JOBS=number of cores]
#
# BUILD_DIR holds a build with the tests (build/release after scripts/test.sh). Prints each
# suite's result and time as it ends, then a summary; a failing case names its seed (re-run it
# alone with CORIO_TEST_SEED=N). Exit 1 if any suite failed. The suites run in virtual time: no
# socket, no server, no sleeping.
set -euo pipefail

build="${1:?usage: $0 BUILD_DIR [SEEDS] [JOBS]}"
seeds="${2:-100000}"
jobs="${3:-$(nproc)}"
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "SEEDS must be a positive whole number"; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "JOBS must be a positive whole number"; exit 2; }
tests="$build/test/corio_tests"
[ -x "$tests" ] || { echo "missing $tests (build the tests first: scripts/test.sh, or cmake --build $build --target corio_tests)"; exit 2; }

mapfile -t suites < <(cd "$build" && ctest -N -L schedules | sed -n 's/^ *Test *#[0-9]*: unit\.\([a-z_0-9]*\)$/\1/p')
[ "${#suites[@]}" -gt 0 ] || { echo "no suite labelled 'schedules' in $build"; exit 2; }
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
