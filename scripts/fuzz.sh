#!/usr/bin/env bash
# Fuzzes every libFuzzer target for a while, then keeps what it found:
#   scripts/fuzz.sh [MINUTES] [RUNS]    MINUTES per target (default 10); with RUNS, each target
#                                       stops after RUNS executions instead (MINUTES still caps it)
# FUZZ_JOBS=N runs N targets at a time (default 1); FUZZ_WORKERS=M runs each target in M processes
# (default 1; libFuzzer's -jobs/-workers: they share the working corpus, RUNS is split between
# them, and the figures printed are their sums). Keep N × M at most the number of cores.
# FUZZ_TARGETS="fuzz_a fuzz_b" runs only those targets (default: all five).
# Builds the fuzz build (build/fuzz: clang 14, ASan + UBSan, as scripts/test.sh does), runs each
# target with its dictionary from its working corpus (build/fuzz/fuzz-runs/<target>/corpus, kept
# between runs) and its seeds, then merges the inputs that reach new coverage into
# test/fuzz/corpus/<target>/ (libFuzzer's -merge=1: only inputs that add coverage are copied).
# Prints per target: executions, exec/s, coverage (cov: edges, ft: features), crashes, inputs
# added to the seeds and wall time. Exits 1 if any target crashed (or leaked, timed out, ran out
# of memory), naming the reproducer; the target's log is build/fuzz/fuzz-runs/<target>/log.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
runs=${2:-}
jobs=${FUZZ_JOBS:-1}
workers=${FUZZ_WORKERS:-1}
usage="usage: [FUZZ_JOBS=N] [FUZZ_WORKERS=M] scripts/fuzz.sh [MINUTES per target, default 10] [RUNS per target]"
if ! [[ $minutes =~ ^[0-9]+$ ]] || [ "$minutes" -eq 0 ]; then echo "$usage" >&2; exit 2; fi
if [ -n "$runs" ] && ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then echo "$usage" >&2; exit 2; fi
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]] || ! [[ $workers =~ ^[1-9][0-9]*$ ]]; then echo "$usage" >&2; exit 2; fi

# target → dictionary, as in test/fuzz/CMakeLists.txt
all_targets=(
  "fuzz_serve_connection http.dict"
  "fuzz_serve_websocket websocket.dict"
  "fuzz_http_client http.dict"
  "fuzz_scrape_text scrape.dict"
  "fuzz_redis_reply resp.dict"
)
targets=()
for entry in "${all_targets[@]}"; do
  read -r target _ <<<"$entry"
  if [ -z "${FUZZ_TARGETS:-}" ] || [[ " $FUZZ_TARGETS " == *" $target "* ]]; then targets+=("$entry"); fi
done
for wanted in ${FUZZ_TARGETS:-}; do
  if ! printf '%s\n' "${all_targets[@]}" | grep -q "^$wanted "; then
    echo "FUZZ_TARGETS: no target named '$wanted' (the targets: $(printf '%s\n' "${all_targets[@]}" | cut -d' ' -f1 | paste -sd' '))" >&2
    exit 2
  fi
done

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
build=build/fuzz
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCORIO_BUILD_PERF=OFF -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DCORIO_WARNINGS_AS_ERRORS=OFF -DCORIO_SANITIZE="address;undefined" \
  -DCORIO_FUZZ=ON -DCORIO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target corio_fuzzers

# (The options are test/fuzz/run_fuzzer.cmake's too, but for its entropic threshold.)
options=(-timeout=20 -rss_limit_mb=2048 -max_len=131072)
limit=(-max_total_time=$((minutes * 60)))
[ -z "$runs" ] || limit+=(-runs="$(((runs + workers - 1) / workers))")
[ "$workers" -eq 1 ] || limit+=(-jobs="$workers" -workers="$workers")

# fuzz_one TARGET DICT: runs it, merges, writes its summary line to its directory's "summary"
# and "failed" (if it failed).
fuzz_one() {
  local target=$1 dict=$2
  local fuzzer="$PWD/$build/test/fuzz/$target" seeds="$PWD/test/fuzz/corpus/$target"
  local work="$PWD/$build/fuzz-runs/$target" dictionary="$PWD/test/fuzz/dict/$dict"
  mkdir -p "$work/corpus" "$seeds"
  rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/fuzz-*.log "$work/summary" "$work/failed"
  echo "== $target: started $(date +%H:%M:%S)"
  local rc=0 t0
  t0=$(date +%s)
  # (in $work: with -jobs each process logs to fuzz-<job>.log in the current directory)
  (cd "$work" && "$fuzzer" "${options[@]}" "${limit[@]}" -dict="$dictionary" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1) || rc=$?
  local seconds=$(($(date +%s) - t0))
  local logs=("$work/log") execs rate cov reproducers crashes before added
  if compgen -G "$work/fuzz-*.log" >/dev/null; then logs=("$work"/fuzz-*.log); fi
  execs=$(cat "${logs[@]}" | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s += $1} END {if (NR) print s}')
  rate=$(cat "${logs[@]}" | sed -n 's/^stat::average_exec_per_sec: *//p' | awk '{s += $1} END {if (NR) print s}')
  cov=$(for log in "${logs[@]}"; do grep -E '^#[0-9]+' "$log" | tail -1; done |
    sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p' | sort -n -k2 | tail -1)
  reproducers=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  crashes=$(printf '%s' "$reproducers" | grep -c . || true)
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    echo "$target (exit $rc): ${reproducers:-no reproducer written; see $work/log}" >"$work/failed"
    tail -n 40 "${logs[@]}"
  fi
  before=$(find "$seeds" -type f | wc -l)
  "$fuzzer" -merge=1 "${options[@]}" "$seeds" "$work/corpus" >"$work/merge.log" 2>&1 ||
    echo "   ($target: merge failed: see $work/merge.log)"
  added=$(($(find "$seeds" -type f | wc -l) - before))
  printf '%-24s %12s %8s %8s %8s %8s %6s %7s\n' "$target" "${execs:-?}" "${rate:-?}" \
    "${cov% *}" "${cov#* }" "$crashes" "$added" "$seconds" >"$work/summary"
  echo "== $target: ended $(date +%H:%M:%S)"
}
export -f fuzz_one
export build
export options_str="${options[*]}" limit_str="${limit[*]}"
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -L 1 bash -c \
  'read -ra options <<<"$options_str"; read -ra limit <<<"$limit_str"; fuzz_one "$0" "$1"'

echo
printf '%-24s %12s %8s %8s %8s %8s %6s %7s\n' target executions exec/s cov ft crashes added seconds
failed=()
for entry in "${targets[@]}"; do
  read -r target _ <<<"$entry"
  cat "$build/fuzz-runs/$target/summary" 2>/dev/null || {
    echo "$target: no result (see $build/fuzz-runs/$target/log)"
    failed+=("$target: no result")
  }
  [ ! -e "$build/fuzz-runs/$target/failed" ] || failed+=("$(cat "$build/fuzz-runs/$target/failed")")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo
  echo "crashes (run the target on the file to see the report again):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
