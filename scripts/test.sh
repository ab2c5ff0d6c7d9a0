#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs every test
#   1. normal build (-O2)                    — every test: library, examples, apps, install
#   2. AddressSanitizer + UBSan (+ LSan)     — every test (-O1: faster to build, still fast to run)
#   3. ThreadSanitizer                       — the tests labelled "threads" (only those are built),
#                                              and corio-serve with two threads under real clients
#   4. libFuzzer (clang 14, ASan+UBSan)      — each fuzz target for CORIO_FUZZ_SECONDS (30) from its seeds
# Builds go to build/<kind>; ccache makes reruns fast. CI has 2 cores and a clean cache: keep the
# whole run well under 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

jobs=$(nproc)
# ccache: one cache for every checkout on this machine (paths hashed relative to the checkout).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
start=$(date +%s)

configure_and_build() {  # dir, "targets", extra cmake args...
  local dir=$1 targets=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCORIO_BUILD_PERF=OFF "$@" >/dev/null
  # shellcheck disable=SC2086 # a space-separated list of targets
  cmake --build "$dir" -j "$jobs" --target $targets
  echo "   ($(( $(date +%s) - start )) s so far)"
}
normal=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG")
# Sanitizer builds keep assertions on; -g1 (line tables) is enough for the reports. Warnings are
# errors in the normal build; GCC's flow-based warnings are unreliable under sanitizer
# instrumentation (GCC's manual says so), so there they are reported but do not stop the run.
sanitized=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DCORIO_WARNINGS_AS_ERRORS=OFF)

echo "== normal build"
configure_and_build build/release all "${normal[@]}" -DCORIO_BUILD_APPS=ON
(cd build/release && ctest --output-on-failure -j "$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
configure_and_build build/asan all "${sanitized[@]}" -DCORIO_SANITIZE="address;undefined" -DCORIO_BUILD_APPS=ON \
  -DCORIO_TEST_SEEDS=50  # (the normal build runs 200 schedule seeds per test)
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build/asan && ctest --output-on-failure -j "$jobs" -LE "browser|compile_fail")  # these run once, above

echo "== ThreadSanitizer (multi-threaded suites)"
configure_and_build build/tsan "corio_tests corio-serve" "${sanitized[@]}" -DCORIO_SANITIZE=thread -DCORIO_BUILD_APPS=ON \
  -DCORIO_TEST_SEEDS=20
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/test/sanitizers/tsan.supp"
(cd build/tsan && ctest --output-on-failure -j "$jobs" -L threads)

echo "== libFuzzer targets, ${CORIO_FUZZ_SECONDS:-30} s each (clang 14, ASan + UBSan)"
CC=clang-14 CXX=clang++-14 configure_and_build build/fuzz corio_fuzzers "${sanitized[@]}" \
  -DCORIO_SANITIZE="address;undefined" -DCORIO_FUZZ=ON -DCORIO_BUILD_TESTS=OFF \
  -DCORIO_FUZZ_SECONDS="${CORIO_FUZZ_SECONDS:-30}"
(cd build/fuzz && ctest --output-on-failure -L fuzz)

echo "== all test runs passed in $(( $(date +%s) - start )) s"
