#!/usr/bin/env bash
# Soak: corio-serve for MINUTES under mixed, paced load, looking for leaks and instability rather
# than throughput (not run by CI).
#
#   perf/soak_serve.sh BUILD_DIR [MINUTES=30]
#
# Load, all at once for the whole run, paced (wrk's Lua delay(), sleeps in the Python clients) so
# that the server keeps CPU to spare on 2 shared cores:
#   wrk   keep-alive /plaintext + /json; a new connection per request (Connection: close);
#         pipelining (8 requests per write) — in ROUND-second rounds, each round's p99 and req/s kept
#   perf/soak_serve.py load   SSE clients, WebSocket chat members, /api/sleep, /api/fanout,
#         POST /api/echo, clients vanishing mid-request; samples VmRSS and /api/stats every 10 s
# Then, with SSE streams, chat members and idle keep-alive connections held open, SIGTERM.
#
# Checks (perf/soak_serve.py report; the thresholds are at the top of that file):
#   RSS after the warm-up (10% of the run, at least 60 s) → at the end: growth ≤ 2%
#   p99 per round stable: median of the last quarter ≤ 2× the first quarter's, max ≤ 10× median
#   no error/critical line in the server's log (the access log is off: 30 minutes of it would
#     be gigabytes; non-2xx answers are counted by the clients instead)
#   SIGTERM: exit 0 within the drain timeout; held SSE streams end cleanly, chat members get 1001
#   no client-side failure (an unexpected status, a broken stream, a lost chat message, a timeout)
# Writes perf/results/DATE-soak-serve.md and prints it; exits 1 when a criterion fails.
#
# Environment: SOAK_ROUND (wrk round length in seconds, default 60).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: perf/soak_serve.sh BUILD_DIR [MINUTES=30]" >&2; exit 2; }
build=$1
minutes=${2:-30}
round=${SOAK_ROUND:-60}
drain=10
cd "$(dirname "$0")/.."
serve=$build/apps/serve/corio-serve
[ -x "$serve" ] || { echo "soak_serve: $serve not found (build the corio-serve target)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "soak_serve: wrk not found" >&2; exit 1; }
/usr/bin/python3 -c 'import aiohttp' || { echo "soak_serve: /usr/bin/python3 lacks aiohttp" >&2; exit 1; }
seconds=$(/usr/bin/python3 -c "print(int(float('$minutes') * 60))")
[ "$seconds" -ge 60 ] || { echo "soak_serve: MINUTES must be at least 1" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid="" load_pid=""
cleanup() {
  for p in $load_pid $server_pid; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/wrk"

"$serve" --port 0 --access-log off --log-level info --drain-timeout "${drain}s" \
  >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/server.out")
[ -n "$port" ] || { echo "soak_serve: corio-serve did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
echo "soak_serve: corio-serve pid $server_pid on 127.0.0.1:$port for $minutes min (rounds of $round s)"

# wrk scripts: delay() paces each connection (ms between its requests); wrk measures latency
# from the write, so the delay is not in the figures.
cat >"$tmp/keepalive.lua" <<'LUA'
local reqs, i
init = function() reqs = { wrk.format("GET", "/plaintext"), wrk.format("GET", "/json") }; i = 0 end
request = function() i = i + 1; return reqs[i % 2 + 1] end
delay = function() return 2 end
LUA
cat >"$tmp/close.lua" <<'LUA'
wrk.headers["Connection"] = "close"
delay = function() return 20 end
LUA
cat >"$tmp/pipeline.lua" <<'LUA'
local req
init = function()
  local r = {}
  for k = 1, 8 do r[k] = wrk.format("GET", k % 2 == 0 and "/json" or "/plaintext") end
  req = table.concat(r)
end
request = function() return req end
delay = function() return 10 end
LUA

/usr/bin/python3 perf/soak_serve.py load --port "$port" --pid "$server_pid" --seconds "$seconds" \
  --round "$round" --held-timeout $((drain + 30)) --dir "$tmp" >"$tmp/load.out" 2>&1 &
load_pid=$!

url=http://127.0.0.1:$port
start=$(date +%s)
n=0
while :; do
  left=$((start + seconds - $(date +%s)))
  [ "$left" -ge 5 ] || break
  d=$((left < round ? left : round))
  n=$((n + 1))
  wrk -t1 -c8 -d"${d}s" --timeout 5s --latency -s "$tmp/keepalive.lua" "$url/plaintext" >"$tmp/wrk/keepalive-$n.txt" 2>&1 &
  w1=$!
  wrk -t1 -c4 -d"${d}s" --timeout 5s --latency -s "$tmp/close.lua" "$url/plaintext" >"$tmp/wrk/close-$n.txt" 2>&1 &
  w2=$!
  wrk -t1 -c4 -d"${d}s" --timeout 5s --latency -s "$tmp/pipeline.lua" "$url/plaintext" >"$tmp/wrk/pipeline-$n.txt" 2>&1 &
  w3=$!
  wait $w1 $w2 $w3 || true
  cut -d' ' -f1 /proc/loadavg >>"$tmp/loadavg.txt"  # other work on the machine moves p99 too
  kill -0 "$server_pid" 2>/dev/null || { echo "soak_serve: corio-serve died during round $n" >&2; break; }
  printf 'soak_serve: round %d done, RSS %s\n' "$n" "$(grep VmRSS /proc/$server_pid/status 2>/dev/null | tr -s ' ' || echo gone)"
done

# The Python clients finish, then hold connections open for the shutdown.
for _ in $(seq 300); do [ -e "$tmp/held" ] && break; kill -0 "$load_pid" 2>/dev/null || break; sleep 0.1; done
exit_code=137
t0=$(date +%s.%N)
if kill -0 "$server_pid" 2>/dev/null; then
  kill -TERM "$server_pid"
  for _ in $(seq $(((drain + 5) * 10))); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "soak_serve: corio-serve still running $((drain + 5)) s after SIGTERM; killing it" >&2
    kill -KILL "$server_pid"
  fi
  set +e; wait "$server_pid"; exit_code=$?; set -e
fi
t1=$(date +%s.%N)
server_pid=""
set +e; wait "$load_pid"; load_rc=$?; set -e
load_pid=""
[ "$load_rc" -eq 0 ] || { echo "soak_serve: the Python load client failed ($load_rc):" >&2; tail -20 "$tmp/load.out" >&2; }
printf '{"exit": %d, "seconds": %s, "drain_timeout": %d}\n' "$exit_code" \
  "$(/usr/bin/python3 -c "print($t1 - $t0)")" "$drain" >"$tmp/shutdown.json"

mkdir -p perf/results
out=perf/results/$(date +%F)-soak-serve.md
host="$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(uname -sr)"
set +e
/usr/bin/python3 perf/soak_serve.py report --dir "$tmp" --minutes "$minutes" --round "$round" \
  --out "$out" --build "$build" --host "$host"
rc=$?
set -e
[ "$load_rc" -eq 0 ] || rc=1
echo "soak_serve: wrote $out"
exit $rc
