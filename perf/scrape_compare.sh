#!/usr/bin/env bash
# corio-scrape next to its floor and its peers doing the same work: N URLs served by a local nginx
# (1 worker, a 1 KiB page, keep-alive) at concurrency C, each run measured with /usr/bin/time -v:
#   corio-scrape         (its per-request timeouts, per-host limit and JSONL output on)
#   beast-client-floor   a minimal hand-written Beast client pool (perf/beast_client_floor.cpp)
#   aiohttp, aiohttp+uvloop   perf/scrape_aiohttp.py (aiohttp + Semaphore-like worker pool)
#   curl --parallel      curl's own parallel transfers (-Z --parallel-max C), one line per URL
# Prints wall time, requests/s, CPU seconds and peak RSS, and the ratios to corio-scrape.
#
#   perf/scrape_compare.sh [N] [C] [REPEATS]          (20000, 100, 3; median of the repeats)
#
# Builds corio-scrape and beast-client-floor in build/perf-scrape (Release), or uses the build
# in $CORIO_PERF_BUILD (perf/run passes its own).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
c=${2:-100}
repeats=${3:-3}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "scrape_compare: nginx not found (Debian: nginx-light)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scrape_compare: /usr/bin/time not found (Debian: time)" >&2; exit 1; }
build=${CORIO_PERF_BUILD:-build/perf-scrape}
if [ -z "${CORIO_PERF_BUILD:-}" ]; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORIO_BUILD_TESTS=OFF \
    -DCORIO_BUILD_PERF=ON >/dev/null
  cmake --build "$build" -j "$(nproc)" --target corio-scrape beast-client-floor >/dev/null
fi
CORIO_SCRAPE=$build/apps/scrape/corio-scrape
FLOOR=$build/perf/beast-client-floor

tmp=$(mktemp -d)
chmod 755 "$tmp"
nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/site"
python3 -c 'print("<!DOCTYPE html><html><head><title>bench</title></head><body>" + "x" * 900 + "</body></html>")' \
  > "$tmp/site/page.html"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  types { text/html html; }
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $tmp/site; location / { } }
}
CONF
"$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.1
done
python3 -c "
for i in range($n): print(f'http://127.0.0.1:$port/page.html?i={i}')" > "$tmp/urls.txt"
sed 's/.*/url = "&"\noutput = "\/dev\/null"/' "$tmp/urls.txt" > "$tmp/curl.cfg"

measure() {  # name, command...: one run; prints "name wall user sys rss_kib"
  local name=$1; shift
  /usr/bin/time -v -o "$tmp/time.txt" "$@" > /dev/null 2> "$tmp/stderr.txt"
  local rows ok
  rows=$(wc -l < "$tmp/out.jsonl")
  ok=$(grep -c '"status": *200' "$tmp/out.jsonl" || true)
  [ "$rows" -eq "$n" ] && [ "$ok" -eq "$n" ] || { echo "$name: $rows rows, $ok ok (want $n)" >&2; cat "$tmp/stderr.txt" >&2; exit 1; }
  python3 - "$name" "$tmp/time.txt" <<'PY'
import re, sys
t = open(sys.argv[2]).read()
def get(label):
    return re.search(re.escape(label) + r": (.*)", t).group(1).strip()
wall = get("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
print(sys.argv[1], secs, get("User time (seconds)"), get("System time (seconds)"), get("Maximum resident set size (kbytes)"))
PY
}

results="$tmp/results.txt"
for r in $(seq "$repeats"); do
  measure corio-scrape "$CORIO_SCRAPE" --concurrency "$c" --per-host "$c" --retries 0 --input "$tmp/urls.txt" \
    --out "$tmp/out.jsonl" >> "$results"
  measure beast-floor "$FLOOR" "$tmp/urls.txt" "$tmp/out.jsonl" "$c" >> "$results"
  measure aiohttp /usr/bin/python3 perf/scrape_aiohttp.py "$tmp/urls.txt" "$tmp/out.jsonl" "$c" >> "$results"
  measure aiohttp-uvloop /usr/bin/python3 perf/scrape_aiohttp.py "$tmp/urls.txt" "$tmp/out.jsonl" "$c" uvloop >> "$results"
  measure curl-parallel sh -c 'curl -sS -Z --parallel-max "$1" -K "$2" -w "{\"url\": \"%{url}\", \"status\": %{http_code}}\n" > "$3"' \
    sh "$c" "$tmp/curl.cfg" "$tmp/out.jsonl" >> "$results"
done

python3 - "$results" "$n" "$c" "$repeats" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, c, repeats = int(sys.argv[2]), sys.argv[3], sys.argv[4]
print(f"{n} URLs from a local nginx, concurrency {c}, median of {repeats} runs")
print(f"{'':14} {'wall s':>8} {'req/s':>9} {'CPU s':>7} {'user s':>7} {'sys s':>7} {'peak RSS MiB':>13}")
med = {}
names = ("corio-scrape", "beast-floor", "aiohttp", "aiohttp-uvloop", "curl-parallel")
for name in names:
    mine = [r for r in rows if r[0] == name]
    wall = statistics.median(float(r[1]) for r in mine)
    user = statistics.median(float(r[2]) for r in mine)
    sys_ = statistics.median(float(r[3]) for r in mine)
    cpu = statistics.median(float(r[2]) + float(r[3]) for r in mine)
    rss = statistics.median(int(r[4]) for r in mine) / 1024
    med[name] = (wall, n / wall, cpu, rss)
    print(f"{name:14} {wall:8.2f} {n / wall:9.0f} {cpu:7.2f} {user:7.2f} {sys_:7.2f} {rss:13.1f}")
a = med["corio-scrape"]
for name in names[1:]:
    b = med[name]
    print(f"corio-scrape / {name}: {a[1] / b[1]:.2f}x requests/s, {a[2] / b[2]:.2f}x CPU time, {a[3] / b[3]:.2f}x peak RSS")
PY
