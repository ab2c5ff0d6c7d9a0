#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, then
#   1. starts corio-serve on 127.0.0.1 (a free port) serving a generated site of linked pages,
#   2. crawls it with corio-scrape (progress bar on a terminal, JSON Lines, summary),
#   3. shows a few of corio-serve's demo endpoints, and stops it with SIGINT (graceful drain).
# `scripts/demo.sh --examples` also runs the library's small examples first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
# ccache: one cache for every checkout on this machine (paths hashed relative to the checkout).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
build=build/demo
# The same flags as the normal build of scripts/test.sh, so that ccache shares the objects.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCORIO_BUILD_TESTS=OFF -DCORIO_BUILD_PERF=OFF \
  -DCORIO_BUILD_APPS=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

if [ "${1:-}" = "--examples" ]; then
  for example in gather_workers task_group_download wait_for_cleanup blocking_vs_async_sleep embed_in_asio \
      producer_consumer shared_counter_lock semaphore_limit to_thread_heartbeat; do
    echo "== example: $example"
    "$build/apps/examples/corio-example-$example"
  done
fi

tmp=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

pages=500
python3 apps/serve/make_demo_site.py "$tmp/site" --pages "$pages" > "$tmp/expected.txt"
mkfifo "$tmp/serve.out"
"$build/apps/serve/corio-serve" --host 127.0.0.1 --port 0 --static "$tmp/site" --access-log off \
  > "$tmp/serve.out" &
server=$!
# corio-serve prints "listening on 127.0.0.1:PORT" once it accepts; wait for it (bounded).
exec 3<"$tmp/serve.out"
port=""
while IFS= read -r -t 30 line <&3; do
  echo "corio-serve: $line"
  if [[ $line =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]]; then port=${BASH_REMATCH[1]}; break; fi
done
[ -n "$port" ] || { echo "demo: corio-serve did not start" >&2; exit 1; }
cat <&3 >/dev/null &  # keep draining its stdout

base="http://127.0.0.1:$port"
echo
echo "== corio-scrape crawls the $pages-page site served by corio-serve"
echo "\$ corio-scrape --depth 50 --same-host --concurrency 32 --per-host 32 --progress --out crawl.jsonl $base/"
"$build/apps/scrape/corio-scrape" --depth 50 --same-host --concurrency 32 --per-host 32 --progress \
  --out "$tmp/crawl.jsonl" "$base/"
echo "first rows of crawl.jsonl:"
head -n 3 "$tmp/crawl.jsonl"
echo "the generator says: $(cat "$tmp/expected.txt")"

echo
echo "== corio-serve's demo endpoints"
for path in "/api/fanout?n=100&ms=200" "/api/timeout?ms=500&limit=100" "/api/stats"; do
  echo "\$ curl -s '$base$path'"
  curl -s -w ' [HTTP %{http_code}]\n' "$base$path"
done

echo
echo "== SIGINT: corio-serve drains and exits"
kill -INT "$server"
status=0
wait "$server" || status=$?
server=""
echo "corio-serve exited with status $status"
exit "$status"
