#!/usr/bin/env bash
# corio-serve next to a minimal hand-written Beast server (the floor), aiohttp on asyncio and on
# uvloop, and nginx answering with `return 200` (the practical ceiling), measured with wrk in one
# run: /plaintext and /json, 1 and 2 threads (aiohttp, nginx: processes), 64 and 256 connections,
# on 127.0.0.1. Each line: requests/s, wrk's p99 latency, and the server's CPU time per request
# (user+system from /proc, children included) — with 2 cores shared with wrk, req/s cannot show
# scaling, CPU-µs per request can. Then corio-serve's two ways to share the port between shards
# (--acceptor reuseport | single), with keep-alive and with a new connection per request.
#
#   perf/serve_compare.sh BUILD_DIR [SECONDS=5] ["CONNECTIONS..."=64 256]
#
# BUILD_DIR must hold a Release build with apps and perf (corio-serve, beast-floor-server):
#   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
#   cmake --build build/release --target corio-serve beast-floor-server
# Every run is bounded (wrk -d); servers bind 127.0.0.1 on a port the OS picks. wrk shares the
# machine with the server, so on a small machine the numbers are a comparison, not a capacity.
set -euo pipefail

build="${1:?usage: $0 BUILD_DIR [SECONDS] [CONNECTIONS]}"
secs="${2:-5}"
conn_list="${3:-64 256}"
here="$(cd "$(dirname "$0")" && pwd)"
serve="$build/apps/serve/corio-serve"
floor="$build/perf/beast-floor-server"
python=/usr/bin/python3  # Debian's, which has python3-aiohttp
for f in "$serve" "$floor"; do [ -x "$f" ] || { echo "missing $f (see the header of $0)"; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is not installed (apt-get install nginx-light)"; exit 1; }
tmp=$(mktemp -d)
chmod 755 "$tmp"

pid=""
port=""
stop_server() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# nginx_server THREADS: nginx with worker_processes THREADS, answering both paths from its config.
nginx_server() {
  local p
  p=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$tmp/nginx.conf" <<CONF
daemon off;
worker_processes $1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$p reuseport;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
    location = /json { default_type application/json; return 200 '{"message":"Hello, World!"}'; }
  }
}
CONF
  "$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" &
  pid=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $p), 1)" 2>/dev/null && break
    sleep 0.1
  done
  port=$p
}

# cpu_ticks PID: user+system clock ticks of PID and its child processes.
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

# start_server CMD...: runs it, waits (bounded) for "listening on 127.0.0.1:PORT".
start_server() {
  local out
  out="$(mktemp)"
  "$@" >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 1 100); do
    port="$(grep -m1 -o 'listening on 127.0.0.1:[0-9]*' "$out" | grep -o '[0-9]*$' || true)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  rm -f "$out"
  [ -n "$port" ] || { echo "server did not start: $*"; exit 1; }
}

# measure PATH [wrk args...]: prints "requests/s p99 CPU-µs/request"
measure() {
  local path="$1" out t0 t1 hz
  shift
  hz=$(getconf CLK_TCK)
  t0=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "http://127.0.0.1:$port$path")
  t1=$(cpu_ticks "$pid")
  echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$hz" '
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2}
    END {printf "%10.0f %10s %12.1f", rps, p99, (n > 0 ? ticks / hz * 1e6 / n : 0)}'
}

printf "wrk -t2 -d%ss on %s (%s cores)\n\n" "$secs" "$(uname -n)" "$(nproc)"
printf "%-34s %-6s %-10s %10s %10s %12s\n" "server" "conns" "path" "req/s" "p99" "CPU-us/req"
for threads in 1 2; do
  for name in corio-serve beast-floor aiohttp aiohttp-uvloop nginx; do
    case "$name" in
      corio-serve) start_server "$serve" --port 0 --threads "$threads" --access-log off --log-level warn ;;
      beast-floor) start_server "$floor" --port 0 --threads "$threads" ;;
      aiohttp) start_server "$python" "$here/aiohttp_server.py" --port 0 --workers "$threads" --loop asyncio ;;
      aiohttp-uvloop) start_server "$python" "$here/aiohttp_server.py" --port 0 --workers "$threads" --loop uvloop ;;
      nginx) nginx_server "$threads" ;;
    esac
    for conns in $conn_list; do
      for path in /plaintext /json; do
        printf "%-34s %-6s %-10s %s\n" "$name ($threads thread$([ "$threads" = 1 ] || echo s))" "$conns" "$path" \
          "$(measure "$path")"
      done
    done
    stop_server
  done
done
conns=$(echo "$conn_list" | awk '{print $1}')

echo
printf "%-34s %-6s %-10s %10s %10s %12s\n" "corio-serve --threads 2" "conns" "load" "req/s" "p99" "CPU-us/req"
for mode in reuseport single; do
  start_server "$serve" --port 0 --threads 2 --acceptor "$mode" --access-log off --log-level warn
  printf "%-34s %-6s %-10s %s\n" "--acceptor $mode" "$conns" "keep-alive" "$(measure /plaintext)"
  printf "%-34s %-6s %-10s %s\n" "--acceptor $mode" "$conns" "new conn" "$(measure /plaintext -H 'Connection: close')"
  stop_server
done
