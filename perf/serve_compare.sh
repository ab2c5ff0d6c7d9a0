#!/usr/bin/env bash
# corio-serve next to a minimal hand-written Beast server (the floor), aiohttp on asyncio and on
# uvloop, and nginx answering with `return 200` (the practical ceiling), measured with wrk in one
# run: /plaintext and /json, 1 and 2 threads (aiohttp, nginx: processes), 64 and 256 connections,
# on 127.0.0.1. Each line: requests/s, wrk's p99 latency, and the server's CPU time per request
# (user+system from /proc, children included) — with 2 cores shared with wrk, req/s cannot show
# scaling, CPU-µs per request can. Then corio-serve's two ways to share the port between shards
# (--acceptor reuseport | single), with keep-alive and with a new connection per request.
#
#   perf/serve_compare.sh BUILD_DIR [SECONDS=5] ["CONNECTIONS..."=64 256] [ROUNDS=1]
#
# SERVE_COMPARE_SERVERS="corio-serve beast-floor" measures only those (default: all five);
# SERVE_COMPARE_ACCEPTORS=0 skips the acceptor table; SERVE_COMPARE_THREADS="1" only the 1-thread
# rows; SERVE_COMPARE_PIN=1 pins a server to CPU 0 and wrk (-t1) to CPU 1 (below).
#
# With ROUNDS > 1 the whole table is measured ROUNDS times, and each row shows the median of its
# rounds; within a round each cell is measured for every server back to back (so a slow or fast
# phase of a shared machine hits all of them alike), and with beast-floor among the servers a last
# table gives each server's paired ratio to it (the median over rounds, and the range). Single 5 s
# runs swing by ±15% on a 2-core machine shared with wrk.
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
rounds="${4:-1}"
[[ "$rounds" =~ ^[1-9][0-9]?$ ]] || { echo "ROUNDS must be a whole number from 1 to 99"; exit 1; }
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
  out=$(${wrk_cmd} -c"$conns" -d"${secs}s" --latency "$@" "http://127.0.0.1:$port$path")
  t1=$(cpu_ticks "$pid")
  echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$hz" '
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2}
    END {printf "%10.0f %10s %12.1f", rps, p99, (n > 0 ? ticks / hz * 1e6 / n : 0)}'
}

# SERVE_COMPARE_PIN=1: single-threaded servers on CPU 0 and wrk (one thread) on CPU 1, so that
# neither takes the other's core; with SERVE_COMPARE_THREADS=1 (the 2-thread rows need both cores).
wrk_cmd="wrk -t2"
pin=()
if [ "${SERVE_COMPARE_PIN:-0}" = 1 ]; then
  wrk_cmd="taskset -c 1 wrk -t1"
  pin=(taskset -c 0)
fi
thread_list="${SERVE_COMPARE_THREADS:-1 2}"
printf "%s -d%ss on %s (%s cores)%s\n\n" "$wrk_cmd" "$secs" "$(uname -n)" "$(nproc)" \
  "$([ "$rounds" = 1 ] || echo ", median of $rounds alternating rounds")"
printf "%-34s %-6s %-10s %10s %10s %12s\n" "server" "conns" "path" "req/s" "p99" "CPU-us/req"
rows="$tmp/rows.txt"
read -r -a names <<<"${SERVE_COMPARE_SERVERS:-corio-serve beast-floor aiohttp aiohttp-uvloop nginx}"
declare -A server_pid server_port
stop_all() {
  local n
  for n in "${!server_pid[@]}"; do
    kill -TERM "${server_pid[$n]}" 2>/dev/null || true
    wait "${server_pid[$n]}" 2>/dev/null || true
    unset "server_pid[$n]"
  done
}
trap 'stop_server; stop_all; rm -rf "$tmp"' EXIT
# Every server of a thread count runs at once (idle while another is measured), and each cell
# (connections × path) is measured for all of them back to back — in the opposite order every
# other round — so that each round gives one ratio per cell from measurements seconds apart.
for round in $(seq "$rounds"); do
  order=("${names[@]}")
  if [ $((round % 2)) = 0 ]; then
    order=()
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[$i]}"); done
  fi
  for threads in $thread_list; do
    for name in "${names[@]}"; do
      case "$name" in
        corio-serve) start_server "${pin[@]}" "$serve" --port 0 --threads "$threads" --access-log off --log-level warn ;;
        beast-floor) start_server "${pin[@]}" "$floor" --port 0 --threads "$threads" ;;
        aiohttp) start_server "${pin[@]}" "$python" "$here/aiohttp_server.py" --port 0 --workers "$threads" --loop asyncio ;;
        aiohttp-uvloop) start_server "${pin[@]}" "$python" "$here/aiohttp_server.py" --port 0 --workers "$threads" --loop uvloop ;;
        nginx) nginx_server "$threads" ;;
        *) echo "unknown server '$name' in SERVE_COMPARE_SERVERS"; exit 1 ;;
      esac
      server_pid[$name]=$pid
      server_port[$name]=$port
      pid=""
    done
    for conns in $conn_list; do
      for path in /plaintext /json; do
        for name in "${order[@]}"; do
          pid=${server_pid[$name]}
          port=${server_port[$name]}
          line=$(printf "%-34s %-6s %-10s %s" "$name ($threads thread$([ "$threads" = 1 ] || echo s))" "$conns" "$path" \
            "$(measure "$path")")
          if [ "$rounds" = 1 ]; then echo "$line"; else echo "$round $line" >> "$rows"; fi
        done
      done
    done
    pid=""
    stop_all
  done
done
if [ "$rounds" != 1 ]; then
  # Median per row over the rounds (p99 in its own unit: us, ms or s); then, with beast-floor
  # measured, each other server's req/s over beast-floor's in the same round and cell: the
  # median of those paired ratios.
  python3 - "$rows" <<'PY'
import re, statistics, sys
rows, by_round = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"(\d+) (.{34}) (\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line.rstrip("\n"))
    if not m:
        continue
    rnd, key = int(m.group(1)), (m.group(2), m.group(3), m.group(4))
    unit = re.match(r"([0-9.]+)(us|ms|s)$", m.group(6))
    p99_ms = float(unit.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit.group(2)] if unit else float("nan")
    rows.setdefault(key, []).append((float(m.group(5)), p99_ms, float(m.group(7))))
    by_round[(rnd,) + key] = float(m.group(5))
for (server, conns, path), vals in rows.items():
    med = [statistics.median(v[i] for v in vals) for i in range(3)]
    print(f"{server} {conns:<6} {path:<10} {med[0]:10.0f} {med[1]:8.2f}ms {med[2]:12.1f}")
ratios = {}
for (rnd, server, conns, path), rps in by_round.items():
    name, threads = server.strip().split(" (", 1)
    floor = by_round.get((rnd, f"beast-floor ({threads}".ljust(34), conns, path))
    if name != "beast-floor" and floor:
        ratios.setdefault((name, threads.rstrip(")"), conns, path), []).append(rps / floor)
if ratios:
    print("\nreq/s over beast-floor's, paired by round (median, min-max)")
    for (name, threads, conns, path), r in ratios.items():
        print(f"{name + ' (' + threads + ')':<34} {conns:<6} {path:<10} {statistics.median(r):10.3f}   {min(r):.3f}-{max(r):.3f}")
PY
fi
conns=$(echo "$conn_list" | awk '{print $1}')
[ "${SERVE_COMPARE_ACCEPTORS:-1}" = 0 ] && exit 0

echo
printf "%-34s %-6s %-10s %10s %10s %12s\n" "corio-serve --threads 2" "conns" "load" "req/s" "p99" "CPU-us/req"
for mode in reuseport single; do
  start_server "$serve" --port 0 --threads 2 --acceptor "$mode" --access-log off --log-level warn
  printf "%-34s %-6s %-10s %s\n" "--acceptor $mode" "$conns" "keep-alive" "$(measure /plaintext)"
  printf "%-34s %-6s %-10s %s\n" "--acceptor $mode" "$conns" "new conn" "$(measure /plaintext -H 'Connection: close')"
  stop_server
done
