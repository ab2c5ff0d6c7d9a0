#!/usr/bin/env bash
# corio-serve next to a minimal hand-written Beast server and an aiohttp server, measured with wrk
# in one run: /plaintext and /json, 1 and 2 threads (aiohttp: processes), on 127.0.0.1.
# Then corio-serve's two ways to share the port between shards (--acceptor reuseport | single),
# with keep-alive and with a new connection per request.
#
#   perf/serve_compare.sh BUILD_DIR [SECONDS=5] [CONNECTIONS=64]
#
# BUILD_DIR must hold a Release build with apps and perf (corio-serve, beast-floor-server):
#   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
#   cmake --build build/release --target corio-serve beast-floor-server
# Every run is bounded (wrk -d); servers bind 127.0.0.1 on a port the OS picks. wrk shares the
# machine with the server, so on a small machine the numbers are a comparison, not a capacity.
set -euo pipefail

build="${1:?usage: $0 BUILD_DIR [SECONDS] [CONNECTIONS]}"
secs="${2:-5}"
conns="${3:-64}"
here="$(cd "$(dirname "$0")" && pwd)"
serve="$build/apps/serve/corio-serve"
floor="$build/perf/beast-floor-server"
python=/usr/bin/python3  # Debian's, which has python3-aiohttp
for f in "$serve" "$floor"; do [ -x "$f" ] || { echo "missing $f (see the header of $0)"; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

pid=""
port=""
stop_server() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
trap stop_server EXIT

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

# measure PATH [wrk args...]: prints "requests/s p99"
measure() {
  local path="$1"
  shift
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "http://127.0.0.1:$port$path" |
    awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} END {printf "%10.0f %10s", rps, p99}'
}

printf "wrk -t2 -c%s -d%ss on %s (%s cores)\n\n" "$conns" "$secs" "$(uname -n)" "$(nproc)"
printf "%-34s %-10s %10s %10s\n" "server" "path" "req/s" "p99"
for threads in 1 2; do
  for name in corio-serve beast-floor aiohttp; do
    case "$name" in
      corio-serve) start_server "$serve" --port 0 --threads "$threads" --access-log off --log-level warn ;;
      beast-floor) start_server "$floor" --port 0 --threads "$threads" ;;
      aiohttp) start_server "$python" "$here/aiohttp_server.py" --port 0 --workers "$threads" ;;
    esac
    for path in /plaintext /json; do
      printf "%-34s %-10s %s\n" "$name ($threads thread$([ "$threads" = 1 ] || echo s))" "$path" "$(measure "$path")"
    done
    stop_server
  done
done

echo
printf "%-34s %-10s %10s %10s\n" "corio-serve --threads 2" "load" "req/s" "p99"
for mode in reuseport single; do
  start_server "$serve" --port 0 --threads 2 --acceptor "$mode" --access-log off --log-level warn
  printf "%-34s %-10s %s\n" "--acceptor $mode" "keep-alive" "$(measure /plaintext)"
  printf "%-34s %-10s %s\n" "--acceptor $mode" "new conn" "$(measure /plaintext -H 'Connection: close')"
  stop_server
done
