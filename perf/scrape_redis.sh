#!/usr/bin/env bash
# corio-scrape's distributed mode (--redis, a job on a Redis of its own) measured side by side in
# one run, each figure the median of REPEATS runs:
#   a. scaling on a latency-bound server: corio-serve's /api/sleep?ms=20&i=K (20 ms per response),
#      N_SLEEP distinct URLs given with --input to a job, one worker vs two workers of the job at the
#      same --concurrency C each (--per-host 512); pages/s = N_SLEEP / the wall time until every
#      worker has exited (target: two workers >= 1.8x one);
#   b. the cost of the job against a local nginx (a 1 KiB page, keep-alive, as scrape_compare.sh):
#      N_NGINX distinct URLs at concurrency 100, one --redis worker vs plain `corio-scrape --input`
#      (local mode) (target: redis pages/s / local pages/s >= 0.7);
#   c. round trips: the workers' own counters (their --log-level info line "job NAME: N round
#      trips: ...") give URLs per round trip (target: >= 16 at steady state), and Redis's
#      INFO commandstats / total_commands_processed, read before and after each run, give the
#      commands per URL: those the workers send (EVAL, ...) and all of them, those run inside the
#      scripts included; INFO cpu gives Redis's own CPU time.
# Every run is a fresh job (deleted after), bounded by its URLs and by $CORIO_PERF_TIMEOUT seconds
# (120); a run is checked: every worker exits 0, every URL has exactly one row, a 200, in the
# workers' --out files and in the job's --export. Prints a markdown table and the ratios.
#
#   perf/scrape_redis.sh [N_SLEEP] [C] [N_NGINX] [REPEATS]     (4000, 32, 20000, 3)
#
# Builds corio-scrape and corio-serve in build/perf-scrape (Release), or uses the build in
# $CORIO_PERF_BUILD. Starts its own redis-server, nginx and corio-serve on free 127.0.0.1 ports
# (temp dirs, no persistence) and stops them on every exit.
set -euo pipefail
cd "$(dirname "$0")/.."
n_sleep=${1:-4000}
c=${2:-32}
n_nginx=${3:-20000}
repeats=${4:-3}
c_nginx=100
per_host=512
limit=${CORIO_PERF_TIMEOUT:-120}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
redis_server=$(command -v redis-server || echo /usr/bin/redis-server)
[ -x "$nginx" ] || { echo "scrape_redis: nginx not found (Debian: nginx-light)" >&2; exit 1; }
[ -x "$redis_server" ] || { echo "scrape_redis: redis-server not found (Debian: redis-server)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scrape_redis: /usr/bin/time not found (Debian: time)" >&2; exit 1; }
build=${CORIO_PERF_BUILD:-build/perf-scrape}
if [ -z "${CORIO_PERF_BUILD:-}" ]; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORIO_BUILD_TESTS=OFF \
    -DCORIO_BUILD_PERF=ON >/dev/null
  cmake --build "$build" -j "$(nproc)" --target corio-scrape corio-serve >/dev/null
fi
SCRAPE=$build/apps/scrape/corio-scrape
SERVE=$build/apps/serve/corio-serve

tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()     # the servers: redis-server, nginx, corio-serve
running=()  # the workers of the run in progress (each timeout passes a signal on to its group)
cleanup() {
  for p in "${running[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${running[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One command to the Redis (RESP over a socket: no redis-cli needed); prints a bulk or status reply.
redis_cmd() {
  python3 - "$rport" "$@" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
args = [a.encode() for a in sys.argv[2:]]
s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
f = s.makefile("rb")
line = f.readline()
if line[:1] == b"$":
    sys.stdout.write(f.read(int(line[1:])).decode())
elif line[:1] in b"+:":
    print(line[1:].decode().strip())
else:
    sys.exit("redis: " + line.decode().strip())
PY
}

rport=$(free_port)
mkdir -p "$tmp/redis"
"$redis_server" --port "$rport" --bind 127.0.0.1 --dir "$tmp/redis" --save '' --appendonly no \
  --daemonize no --logfile "$tmp/redis/redis.log" &
pids+=($!)
for _ in $(seq 100); do
  [ "$(redis_cmd PING 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(redis_cmd PING)" = PONG ] || { echo "scrape_redis: redis-server did not start" >&2; exit 1; }
redis_url=redis://127.0.0.1:$rport

"$SERVE" --port 0 --access-log off > "$tmp/serve.out" 2>&1 &
pids+=($!)
sport=""
for _ in $(seq 100); do
  sport=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.out" | head -n 1)
  [ -n "$sport" ] && break
  sleep 0.1
done
[ -n "$sport" ] || { echo "scrape_redis: corio-serve did not start" >&2; cat "$tmp/serve.out" >&2; exit 1; }

mkdir -p "$tmp/site"
python3 -c 'print("<!DOCTYPE html><html><head><title>bench</title></head><body>" + "x" * 900 + "</body></html>")' \
  > "$tmp/site/page.html"
nport=$(free_port)
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
  server { listen 127.0.0.1:$nport; root $tmp/site; location / { } }
}
CONF
"$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" &
pids+=($!)
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $nport), 1)" 2>/dev/null && break
  sleep 0.1
done

python3 -c "
for i in range($n_sleep): print(f'http://127.0.0.1:$sport/api/sleep?ms=20&i={i}')" > "$tmp/sleep.txt"
python3 -c "
for i in range($n_nginx): print(f'http://127.0.0.1:$nport/page.html?i={i}')" > "$tmp/nginx.txt"

# name, workers (0: local mode, no Redis), URL file, URLs, concurrency: one run; appends to
# $results "name wall user sys rss_kib" then, for a job, the workers' counters summed, the
# commands Redis ran and its CPU seconds (see summarize below).
runs=0
measure() {
  local name=$1 workers=$2 urls=$3 n=$4 conc=$5
  runs=$((runs + 1))
  local job=perf-$$-$runs-$name
  local mode=(--log-level info)
  [ "$workers" -eq 0 ] || mode+=(--redis "$redis_url" --job "$job")
  rm -f "$tmp"/out.* "$tmp"/log.* "$tmp"/time.*
  redis_cmd INFO stats commandstats cpu > "$tmp/info.before"
  local start end w k=$((workers > 0 ? workers : 1)) failed=0
  running=()
  start=$(date +%s%N)
  for w in $(seq "$k"); do
    timeout -k 5 "$limit" /usr/bin/time -v -o "$tmp/time.$w" "$SCRAPE" "${mode[@]}" --input "$urls" \
      --concurrency "$conc" --per-host "$per_host" --retries 0 --out "$tmp/out.$w" > /dev/null 2> "$tmp/log.$w" &
    running+=($!)
  done
  for w in "${running[@]}"; do wait "$w" || failed=1; done
  running=()
  end=$(date +%s%N)
  redis_cmd INFO stats commandstats cpu > "$tmp/info.after"
  if [ "$failed" -ne 0 ]; then
    echo "scrape_redis: $name: a worker failed (or ran over ${limit} s)" >&2
    tail -n 20 "$tmp"/log.* >&2
    exit 1
  fi
  local rows ok
  rows=$(cat "$tmp"/out.* | wc -l)
  ok=$(cat "$tmp"/out.* | grep -c '"status": *200' || true)
  [ "$rows" -eq "$n" ] && [ "$ok" -eq "$n" ] || { echo "$name: $rows rows, $ok ok (want $n)" >&2; tail -n 20 "$tmp"/log.* >&2; exit 1; }
  if [ "$workers" -gt 0 ]; then
    "$SCRAPE" --redis "$redis_url" --job "$job" --status > "$tmp/status.json"
    "$SCRAPE" --redis "$redis_url" --job "$job" --export --out "$tmp/export.jsonl" 2>/dev/null
    "$SCRAPE" --redis "$redis_url" --job "$job" --delete-job 2>/dev/null
    python3 - "$tmp/status.json" "$tmp/export.jsonl" "$n" <<'PY' || { echo "$name: the job is not complete" >&2; exit 1; }
import json, sys
st, n = json.load(open(sys.argv[1])), int(sys.argv[3])
urls = [json.loads(l)["url"] for l in open(sys.argv[2])]
ok = st["done"] == n and st["failed"] == 0 and st["finished"] and len(urls) == n == len(set(urls))
if not ok: print(st, len(urls), len(set(urls)), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
  fi
  python3 - "$name" "$workers" "$start" "$end" "$tmp" <<'PY'
import glob, re, sys
name, workers, start, end, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
user = sys_ = 0.0
rss = 0
for f in glob.glob(tmp + "/time.*"):
    t = open(f).read()
    get = lambda label: re.search(re.escape(label) + r": (.*)", t).group(1).strip()
    user += float(get("User time (seconds)"))
    sys_ += float(get("System time (seconds)"))
    rss = max(rss, int(get("Maximum resident set size (kbytes)")))
# The workers' counters, summed: round trips, leases, leased URLs, adds, finishes, rows, renewals,
# checks, and (newer workers, with --per-host/--rate shared by the job) slot requests and pacings.
counts = [0] * 10
pat = re.compile(r"job \S+: (\d+) round trips: (\d+) leases \((\d+) URLs\), (\d+) adds, (\d+) finishes "
                 r"\((\d+) rows\), (\d+) renewals, (\d+) checks(?:, (\d+) slot requests, (\d+) pacings)?")
for f in glob.glob(tmp + "/log.*"):
    m = pat.search(open(f).read())
    if workers and not m: sys.exit(f"{name}: no round-trip counters in {f}")
    if m: counts = [a + int(b or 0) for a, b in zip(counts, m.groups())]
def info(path):
    calls, stats = {}, {}
    for line in open(path):
        m = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if m: calls[m.group(1)] = int(m.group(2))
        elif ":" in line: k, v = line.strip().split(":", 1); stats[k] = v
    return calls, stats
cb, sb = info(tmp + "/info.before")
ca, sa = info(tmp + "/info.after")
delta = {k: v - cb.get(k, 0) for k, v in ca.items() if v != cb.get(k, 0) and k != "info"}
# Commands the workers send; every other command is one their scripts run.
sent = sum(v for k, v in delta.items()
           if k.split("|")[0] in ("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "script",
                                  "hello", "auth", "select", "ping", "client", "command", "xrange", "multi", "exec"))
evals = delta.get("eval", 0) + delta.get("evalsha", 0)
total = int(sa["total_commands_processed"]) - int(sb["total_commands_processed"]) - 1  # (the first INFO)
cpu = lambda s: float(s["used_cpu_user"]) + float(s["used_cpu_sys"])
print(name, (end - start) / 1e9, user, sys_, rss, *counts, sent, evals, total, cpu(sa) - cpu(sb))
PY
}

# The latency-bound runs also go with the first half of the list: the difference between the two
# sizes is the steady state (what starting a worker and ending a job cost cancels out).
head -n "$((n_sleep / 2))" "$tmp/sleep.txt" > "$tmp/sleep-half.txt"
results="$tmp/results.txt"
for r in $(seq "$repeats"); do
  echo "scrape_redis: round $r of $repeats" >&2
  measure sleep-1-worker 1 "$tmp/sleep.txt" "$n_sleep" "$c" >> "$results"
  measure sleep-2-workers 2 "$tmp/sleep.txt" "$n_sleep" "$c" >> "$results"
  measure sleep-1-worker-half 1 "$tmp/sleep-half.txt" "$((n_sleep / 2))" "$c" >> "$results"
  measure sleep-2-workers-half 2 "$tmp/sleep-half.txt" "$((n_sleep / 2))" "$c" >> "$results"
  measure nginx-local 0 "$tmp/nginx.txt" "$n_nginx" "$c_nginx" >> "$results"
  measure nginx-redis 1 "$tmp/nginx.txt" "$n_nginx" "$c_nginx" >> "$results"
done

python3 - "$results" "$n_sleep" "$c" "$n_nginx" "$c_nginx" "$repeats" \
  "$(redis_cmd INFO server | tr -d '\r' | sed -n 's/^redis_version://p')" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n_sleep, c, n_nginx, c_nginx, repeats, version = sys.argv[2:9]
n_sleep, n_nginx = int(n_sleep), int(n_nginx)
half = n_sleep // 2
n_of = {"sleep-1-worker": n_sleep, "sleep-2-workers": n_sleep, "sleep-1-worker-half": half,
        "sleep-2-workers-half": half, "nginx-local": n_nginx, "nginx-redis": n_nginx}
what = {"sleep-1-worker": f"a. /api/sleep 20 ms, 1 worker (-c {c})",
        "sleep-2-workers": f"a. /api/sleep 20 ms, 2 workers (-c {c} each)",
        "sleep-1-worker-half": f"a. the same, {half} URLs, 1 worker",
        "sleep-2-workers-half": f"a. the same, {half} URLs, 2 workers",
        "nginx-local": f"b. nginx 1 KiB, local mode (-c {c_nginx})",
        "nginx-redis": f"b. nginx 1 KiB, --redis, 1 worker (-c {c_nginx})"}
# Fields after the name: 0 wall, 1 user, 2 sys, 3 rss, 4 round trips, 5 leases, 6 leased URLs, 7 adds,
# 8 finishes, 9 rows, 10 renewals, 11 checks, 12 slot requests, 13 pacings, 14 commands sent, 15 EVALs,
# 16 commands run, 17 Redis CPU.
runs = {name: [[float(x) for x in r[1:]] for r in rows if r[0] == name] for name in what}
med = lambda name, f: statistics.median(f(r) for r in runs[name])
field = lambda name, i: med(name, lambda r: r[i])
steps = lambda r: r[4] - r[7] - r[10] - r[11]  # not adding the list, renewing or checking: the steps
print(f"corio-scrape --redis (Redis {version}), median of {repeats} runs; /api/sleep: {n_sleep} URLs, "
      f"nginx: {n_nginx} URLs; --per-host 512 --retries 0")
print()
print("| run | wall s | pages/s | CPU s (workers) | peak RSS MiB | Redis CPU s | wall s of each run |")
print("|---|---:|---:|---:|---:|---:|---|")
pps = {}
for name in what:
    n, wall = n_of[name], field(name, 0)
    pps[name] = n / wall
    redis_cpu = "" if name == "nginx-local" else f"{field(name, 17):.2f}"
    each = " ".join(f"{r[0]:.2f}" for r in runs[name])
    print(f"| {what[name]} | {wall:.2f} | {n / wall:,.0f} | {med(name, lambda r: r[1] + r[2]):.2f} "
          f"| {field(name, 3) / 1024:.1f} | {redis_cpu} | {each} |")
print()
print("| run | round trips (the workers' counters, summed) | URLs / round trip | URLs / step | URLs / lease "
      "| rows / finish | commands sent / URL | EVALs / URL | commands run / URL |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for name in what:
    if name == "nginx-local": continue
    n, rt = n_of[name], field(name, 4)
    print(f"| {what[name]} | {rt:.0f} ({field(name, 5):.0f} leases, {field(name, 8):.0f} finishes, "
          f"{field(name, 7):.0f} adds, {field(name, 11):.0f} checks, {field(name, 10):.0f} renewals"
          + (f", {field(name, 12):.0f} slot requests, {field(name, 13):.0f} pacings" if field(name, 12) + field(name, 13) else "")
          + ") "
          f"| {n / rt:.1f} | {n / med(name, steps):.1f} | {field(name, 6) / field(name, 5):.1f} "
          f"| {field(name, 9) / field(name, 8):.1f} | {field(name, 14) / n:.3f} | {field(name, 15) / n:.3f} "
          f"| {field(name, 16) / n:.1f} |")
print()
print("URLs / round trip: the URLs over all the workers' round trips (adding the list, leasing, "
      "recording, renewing, checking whether the job is finished, asking for request slots or "
      "pacing); URLs / step: over those that lease and record (a lease and a finish are two scripts "
      "in one pipelined step; the leases at the end that find nothing left included) or ask for "
      "request slots or pacing (a slot request may also ride in a step). Commands sent: EVAL and the "
      "like (INFO commandstats); run: also those the scripts run (total_commands_processed). CPU s: "
      "user + system of the workers (/usr/bin/time), and Redis's own (INFO cpu).")
print()
print(f"Steady state, from the difference between {n_sleep} and {half} URLs (medians):")
print()
print("| /api/sleep 20 ms | pages/s | URLs / round trip | URLs / step |")
print("|---|---:|---:|---:|")
steady = {}
for full, w in (("sleep-1-worker", "1 worker"), ("sleep-2-workers", "2 workers")):
    part = full + "-half"
    dn = n_sleep - half
    dwall = field(full, 0) - field(part, 0)
    drt = field(full, 4) - field(part, 4)
    dsteps = med(full, steps) - med(part, steps)
    steady[full] = (dn / dwall if dwall > 0 else float("inf"), dn / drt if drt > 0 else float("inf"),
                    dn / dsteps if dsteps > 0 else float("inf"))
    print(f"| {w} | {steady[full][0]:,.0f} | {steady[full][1]:.1f} | {steady[full][2]:.1f} |")
print()
verdict = lambda ok: "met" if ok else "MISSED"
scale = pps["sleep-2-workers"] / pps["sleep-1-worker"]
scale_steady = steady["sleep-2-workers"][0] / steady["sleep-1-worker"][0]
cost = pps["nginx-redis"] / pps["nginx-local"]
print(f"- two workers / one worker, latency-bound, {n_sleep} URLs until every worker has exited: "
      f"{scale:.2f}x pages/s (target >= 1.8): {verdict(scale >= 1.8)}; at steady state {scale_steady:.2f}x")
print(f"- --redis / local mode, nginx: {cost:.2f}x pages/s (target >= 0.7): {verdict(cost >= 0.7)}")
for name in ("sleep-1-worker", "sleep-2-workers"):
    per = steady[name][1]
    print(f"- {name}: {per:.1f} URLs per round trip at steady state ({n_of[name] / field(name, 4):.1f} over "
          f"the whole run) (target >= 16): {verdict(per >= 16)}")
per = n_nginx / field("nginx-redis", 4)
print(f"- nginx-redis: {per:.1f} URLs per round trip over the whole run (target >= 16): {verdict(per >= 16)}")
PY
