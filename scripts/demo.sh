#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, then
#   1. starts corio-serve on 127.0.0.1 (a free port) serving a generated site of linked pages,
#   2. crawls it with corio-scrape (progress bar on a terminal, JSON Lines, summary),
#   3. crawls it again with two corio-scrape workers sharing one job on a Redis of its own
#      (redis-server on a free loopback port, no persistence): --status, --export, --delete-job,
#   4. shows a few of corio-serve's demo endpoints, and stops it with SIGINT (graceful drain).
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
redis=""
workers=()
cleanup() {
  for p in "${workers[@]}" $redis $server; do
    if kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
echo "== the same crawl shared by two corio-scrape workers: a job on a Redis of its own"
scrape="$build/apps/scrape/corio-scrape"
rport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$tmp/redis"
echo "\$ redis-server --port $rport --bind 127.0.0.1 --dir TMP --save '' --appendonly no &"
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp/redis" --save '' --appendonly no --daemonize no \
  --logfile "$tmp/redis/redis.log" &
redis=$!
ping_redis() {  # PING over a socket (no redis-cli needed)
  python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.sendall(b"PING\r\n")
sys.exit(0 if s.recv(64).startswith(b"+PONG") else 1)' "$rport" 2>/dev/null
}
for _ in $(seq 50); do ping_redis && break; sleep 0.1; done
ping_redis || { echo "demo: redis-server did not start" >&2; cat "$tmp/redis/redis.log" >&2; exit 1; }
job=(--redis "redis://127.0.0.1:$rport" --job demo)
for w in 1 2; do
  echo "\$ corio-scrape ${job[*]} --depth 50 --same-host --concurrency 16 --per-host 16 --out worker$w.jsonl $base/ &"
  timeout 60 "$scrape" "${job[@]}" --depth 50 --same-host --concurrency 16 --per-host 16 \
    --out "$tmp/worker$w.jsonl" "$base/" 2> "$tmp/worker$w.log" &
  workers+=($!)
done
for w in 1 2; do
  status=0
  wait "${workers[$((w - 1))]}" || status=$?
  echo "worker $w: exit $status, $(grep -o 'this worker recorded.*' "$tmp/worker$w.log" || echo 'no summary')"
  [ "$status" -eq 0 ] || { echo "demo: worker $w failed" >&2; cat "$tmp/worker$w.log" >&2; exit 1; }
done
workers=()
echo "\$ corio-scrape ${job[*]} --status"
"$scrape" "${job[@]}" --status
echo "\$ corio-scrape ${job[*]} --export --out job.jsonl"
"$scrape" "${job[@]}" --export --out "$tmp/job.jsonl"
rows=$(wc -l < "$tmp/job.jsonl")
mine=$(cat "$tmp/worker1.jsonl" "$tmp/worker2.jsonl" | wc -l)
crawled=$(wc -l < "$tmp/crawl.jsonl")
echo "job.jsonl: $rows rows (the two workers' --out files: $mine); crawl.jsonl above: $crawled rows"
[ "$rows" -eq "$crawled" ] && [ "$mine" -eq "$rows" ] || { echo "demo: the job's rows differ from the crawl's" >&2; exit 1; }
echo "\$ corio-scrape ${job[*]} --delete-job"
"$scrape" "${job[@]}" --delete-job
kill "$redis"
wait "$redis" 2>/dev/null || true
redis=""
echo "redis-server stopped"

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
