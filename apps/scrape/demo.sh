#!/usr/bin/env bash
# corio-scrape demo: generates a site of linked pages, serves it on 127.0.0.1 (Python's
# http.server, on a free port), crawls it with corio-scrape (progress bar, summary) and prints a few rows of its output.
#
#   apps/scrape/demo.sh [BUILD_DIR] [PAGES]      (defaults: build/release, 300)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build/release}
pages=${2:-300}
scrape="$build/apps/scrape/corio-scrape"
[ -x "$scrape" ] || { echo "demo: $scrape not found (build first: cmake --build $build)" >&2; exit 1; }

tmp=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 "$here/make_site.py" "$tmp/site" --pages "$pages" > "$tmp/expected.txt"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# http.server's default listen backlog (5) drops connections under a concurrent crawl: raise it.
python3 -c '
import functools, http.server, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
Server(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
' "$port" "$tmp/site" > "$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do  # up to 10 s
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.1
done

echo "demo: crawling a local site of $(wc -l < "$tmp/expected.txt") files at http://127.0.0.1:$port/"
echo "demo: $scrape --depth 100 --same-host --concurrency 16 --progress --out crawl.jsonl http://127.0.0.1:$port/"
"$scrape" --depth 100 --same-host --concurrency 16 --progress --out "$tmp/crawl.jsonl" "http://127.0.0.1:$port/"
echo "demo: the first rows of crawl.jsonl:"
head -n 3 "$tmp/crawl.jsonl"
