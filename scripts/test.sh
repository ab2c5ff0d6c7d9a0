#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs every test
#   1. normal build (RelWithDebInfo)        — every suite
#   2. AddressSanitizer + UBSan (+ LSan)     — every suite
#   3. ThreadSanitizer                       — the suites labelled "threads"
# Builds go to build/<kind>; ccache makes reruns fast.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

jobs=$(nproc)
# ccache: one cache for every checkout on this machine (paths hashed relative to the checkout).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
start=$(date +%s)

configure_and_build() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORIO_BUILD_PERF=OFF "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

echo "== normal build"
configure_and_build build/release
(cd build/release && ctest --output-on-failure -j "$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
configure_and_build build/asan -DCORIO_SANITIZE="address;undefined" -DCORIO_BUILD_APPS=ON
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build/asan && ctest --output-on-failure -j "$jobs")

echo "== ThreadSanitizer (multi-threaded suites)"
configure_and_build build/tsan -DCORIO_SANITIZE=thread -DCORIO_BUILD_APPS=OFF
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/test/sanitizers/tsan.supp"
(cd build/tsan && ctest --output-on-failure -j "$jobs" -L threads)

echo "== all test runs passed in $(( $(date +%s) - start )) s"
