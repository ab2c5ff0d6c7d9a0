#!/usr/bin/env bash
# Fuzzes every libFuzzer target for a while, then keeps what it found:
#   scripts/fuzz.sh [MINUTES]          MINUTES per target, default 10
# Builds the fuzz build (build/fuzz: clang 14, ASan + UBSan, as scripts/test.sh does), runs each
# target with its dictionary from its working corpus (build/fuzz/fuzz-runs/<target>/corpus, kept
# between runs) and its seeds, then merges the inputs that reach new coverage into
# test/fuzz/corpus/<target>/ (libFuzzer's -merge=1: only inputs that add coverage are copied).
# Prints per target: executions, exec/s, coverage (cov: edges, ft: features) and crashes. Exits
# 1 if any target crashed (or leaked, timed out, ran out of memory), naming the reproducer.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
if ! [[ $minutes =~ ^[0-9]+$ ]] || [ "$minutes" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [MINUTES per target, default 10]" >&2
  exit 2
fi

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
build=build/fuzz
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCORIO_BUILD_PERF=OFF -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DCORIO_WARNINGS_AS_ERRORS=OFF -DCORIO_SANITIZE="address;undefined" \
  -DCORIO_FUZZ=ON -DCORIO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target corio_fuzzers

# target → dictionary, as in test/fuzz/CMakeLists.txt
targets=(
  "fuzz_serve_connection http.dict"
  "fuzz_serve_websocket websocket.dict"
  "fuzz_http_client http.dict"
  "fuzz_scrape_text scrape.dict"
  "fuzz_redis_reply resp.dict"
)
options=(-timeout=20 -rss_limit_mb=2048 -max_len=131072)

summary=()
failed=()
for entry in "${targets[@]}"; do
  read -r target dict <<<"$entry"
  fuzzer="$PWD/$build/test/fuzz/$target"
  seeds="$PWD/test/fuzz/corpus/$target"
  work="$PWD/$build/fuzz-runs/$target"
  mkdir -p "$work/corpus" "$seeds"
  rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
  echo "== $target: $minutes min"
  rc=0
  "$fuzzer" "${options[@]}" -dict="$PWD/test/fuzz/dict/$dict" -max_total_time=$((minutes * 60)) \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  cov=$(grep -E '^#[0-9]+' "$work/log" | tail -1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p')
  reproducers=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  crashes=$(printf '%s' "$reproducers" | grep -c . || true)
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed+=("$target (exit $rc): ${reproducers:-no reproducer written; see $work/log}")
    tail -n 40 "$work/log"
  fi
  before=$(find "$seeds" -type f | wc -l)
  "$fuzzer" -merge=1 "${options[@]}" "$seeds" "$work/corpus" >"$work/merge.log" 2>&1 ||
    echo "   (merge failed: see $work/merge.log)"
  added=$(($(find "$seeds" -type f | wc -l) - before))
  summary+=("$(printf '%-24s %12s %8s %8s %8s %8s %6s' "$target" "${execs:-?}" "${rate:-?}" \
    "${cov% *}" "${cov#* }" "$crashes" "$added")")
done

echo
printf '%-24s %12s %8s %8s %8s %8s %6s\n' target executions exec/s cov ft crashes added
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo
  echo "crashes (run the target on the file to see the report again):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
