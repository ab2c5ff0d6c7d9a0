#!/usr/bin/env bash
# Soak: corio-scrape crawls a generated site of PAGES linked pages and must account for every one
# (not run by CI).
#
#   perf/soak_scrape.sh BUILD_DIR [PAGES=1000000]
#
# The site is real files: apps/scrape/make_site.py writes PAGES HTML pages (directories of 25,
# each page linking to its two children in a binary tree, to / and to 3 random pages, with
# relative and absolute links, fragments, off-site and mailto: links) plus 5 text files, and
# prints the paths a same-host crawl of / must fetch. One page is one file of about 1 KiB, so
# 1,000,000 pages take about 1M inodes and 4 GiB of a 4 KiB-block file system, and about five
# minutes to write on the 2-core development VM: the script checks `df` and `df -i` for the temporary directory first and stops
# if they do not fit (set TMPDIR elsewhere). On the development VM's disk-backed /tmp, removing
# the 1,000,000-file tree at exit took longer than the crawl (about 300 files/s, so the script
# returns long after the report is written); TMPDIR=/dev/shm (tmpfs, about 4 GiB of RAM for
# 1,000,000 pages) avoids that, and a 20,000-page run there crawled 2,800 pages/s against 1,200
# on disk. Real files keep the server honest (corio-serve
# --static: open, stat, ETag for every page) and the expected set exact, which a rewrite scheme
# over a small tree would not.
#
# corio-serve --static serves it (1 thread, access log off); corio-scrape crawls from / with
# --same-host, a depth and --max-urls well above what the site needs, under /usr/bin/time -v;
# its RSS (and the server's) is sampled every 10 s.
#
# Checks (perf/soak_scrape.py): the JSONL output holds every URL of the site exactly once, each
# a final 200 without error or redirect, nothing else; corio-scrape exits 0 and removes its
# crawl journal; corio-serve logs no error and exits 0 on SIGTERM. Reports duration, pages/s,
# peak RSS (no memory budget is stated for corio-scrape, so the figure is reported, not
# checked), RSS per crawled URL and the output size. Writes perf/results/DATE-soak-scrape.md and
# prints it; exits 1 when a check fails.
#
# Environment: SOAK_CONCURRENCY (corio-scrape -c, default 32), SOAK_PER_HOST (default 8).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: perf/soak_scrape.sh BUILD_DIR [PAGES=1000000]" >&2; exit 2; }
build=$1
pages=${2:-1000000}
conc=${SOAK_CONCURRENCY:-32}
per_host=${SOAK_PER_HOST:-8}
cd "$(dirname "$0")/.."
serve=$build/apps/serve/corio-serve
scrape=$build/apps/scrape/corio-scrape
for b in "$serve" "$scrape"; do
  [ -x "$b" ] || { echo "soak_scrape: $b not found (build corio-serve and corio-scrape)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "soak_scrape: /usr/bin/time not found (Debian: time)" >&2; exit 1; }
[[ $pages =~ ^[0-9]+$ ]] && [ "$pages" -ge 10 ] || { echo "soak_scrape: PAGES must be a number ≥ 10" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid="" scrape_pid="" sampler_pid=""
cleanup() {
  for p in $sampler_pid $scrape_pid $server_pid; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Room for the site: ~4 KiB and one inode per page, ~2 KiB of output per page, with a margin.
free_kb=$(df -Pk "$tmp" | awk 'NR==2 {print $4}')
free_inodes=$(df -Pi "$tmp" | awk 'NR==2 {print $4}')
need_kb=$((pages * 8 + 1048576))
need_inodes=$((pages + pages / 10 + 10000))
if [ "$free_kb" -lt "$need_kb" ] || [ "$free_inodes" -lt "$need_inodes" ]; then
  echo "soak_scrape: $tmp has $((free_kb / 1024)) MiB and $free_inodes inodes free; $pages pages need" \
       "about $((need_kb / 1024)) MiB and $need_inodes inodes (set TMPDIR to a bigger file system)" >&2
  exit 1
fi

echo "soak_scrape: generating $pages pages in $tmp/site"
g0=$(date +%s.%N)
nice /usr/bin/python3 apps/scrape/make_site.py "$tmp/site" --pages "$pages" >"$tmp/expected.txt"
g1=$(date +%s.%N)
site_kb=$(du -sk "$tmp/site" | cut -f1)

"$serve" --port 0 --static "$tmp/site" --access-log off --log-level info >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/server.out")
[ -n "$port" ] || { echo "soak_scrape: corio-serve did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }

# Bounded: 500 pages/s (the development VM crawls about 1,100 with other builds running), plus
# five minutes.
limit=$((pages / 500 + 300))
max_urls=$((pages * 2 + 1000))
cmd="corio-scrape --depth 100 --same-host --max-urls $max_urls -c $conc --per-host $per_host -o out.jsonl http://127.0.0.1:PORT/"
echo "soak_scrape: crawling http://127.0.0.1:$port/ (at most $limit s)"
c0=$(date +%s.%N)
timeout -s INT -k 30 "$limit" /usr/bin/time -v -o "$tmp/time.txt" \
  "$scrape" --depth 100 --same-host --max-urls "$max_urls" -c "$conc" --per-host "$per_host" \
  -o "$tmp/out.jsonl" "http://127.0.0.1:$port/" 2>"$tmp/scrape.err" &
scrape_pid=$!
(
  t0=$(date +%s)
  sleep 0.5
  while :; do
    child=$(pgrep -P "$(pgrep -P $scrape_pid | head -1)" 2>/dev/null | head -1 || true)
    [ -n "$child" ] || break
    s=$(awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {print r, h}' "/proc/$child/status" 2>/dev/null) || break
    v=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
    echo "$(($(date +%s) - t0)) $s $v" >>"$tmp/rss.tsv"
    sleep 10
  done
) &
sampler_pid=$!
set +e; wait "$scrape_pid"; scrape_exit=$?; set -e
c1=$(date +%s.%N)
scrape_pid=""
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
touch "$tmp/rss.tsv"
journal_left=false
[ ! -e "$tmp/out.jsonl.state" ] || journal_left=true
tail -3 "$tmp/scrape.err" | sed 's/^/soak_scrape: corio-scrape: /'

kill -TERM "$server_pid"
for _ in $(seq 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$server_pid" 2>/dev/null || true
set +e; wait "$server_pid"; server_exit=$?; set -e
server_pid=""

/usr/bin/python3 - "$tmp/run.json" <<PY
import json, sys
json.dump({"scrape_exit": $scrape_exit, "server_exit": $server_exit, "journal_left": "$journal_left" == "true",
           "crawl_seconds": $c1 - $c0, "generate_seconds": $g1 - $g0, "site_mib": $site_kb / 1024,
           "command": "$cmd"}, open(sys.argv[1], "w"))
PY

mkdir -p perf/results
out=perf/results/$(date +%F)-soak-scrape.md
host="$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(uname -sr)"
set +e
/usr/bin/python3 perf/soak_scrape.py report --dir "$tmp" --pages "$pages" --out "$out" --build "$build" --host "$host"
rc=$?
set -e
echo "soak_scrape: wrote $out"
exit $rc
