#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
# ccache: one cache for every checkout on this machine (paths hashed relative to the checkout).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORIO_BUILD_TESTS=OFF -DCORIO_BUILD_PERF=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
for example in gather_workers task_group_download wait_for_cleanup blocking_vs_async_sleep embed_in_asio \
    producer_consumer shared_counter_lock semaphore_limit to_thread_heartbeat; do
  echo "== $example"
  "build/release/apps/examples/corio-example-$example"
done
