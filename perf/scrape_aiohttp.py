#!/usr/bin/env python3
"""The Python baseline for corio-scrape: the same work with aiohttp — fetch every URL of a file
with at most C requests in flight, read each body, write one JSON line per URL with the same
fields as corio-scrape, and print a one-line summary to stderr.

    /usr/bin/python3 perf/scrape_aiohttp.py URLS_FILE OUT_JSONL [CONCURRENCY [uvloop]]

(Debian's python3-aiohttp; used by perf/scrape_compare.sh.)
"""
import asyncio
import json
import sys
import time

import aiohttp


async def fetch(session, url, out):
    t0 = time.monotonic()
    row = {"url": url, "final_url": None, "status": None, "content_type": None, "bytes": 0,
           "elapsed_ms": 0.0, "attempts": 1, "error_kind": None, "error": None}
    try:
        async with session.get(url) as resp:
            body = await resp.read()
            row.update(final_url=str(resp.url), status=resp.status, content_type=resp.content_type, bytes=len(body))
            if resp.status >= 400:
                row.update(error_kind="http_status", error=f"http_status: HTTP {resp.status} {resp.reason}")
    except asyncio.TimeoutError:
        row.update(error_kind="timeout", error="timeout")
    except aiohttp.ClientError as e:
        row.update(error_kind="connection", error=str(e))
    row["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    out.write(json.dumps(row) + "\n")
    out.flush()  # as corio-scrape does: complete lines even if interrupted
    return row


async def main(urls_file, out_file, concurrency):
    with open(urls_file) as f:
        urls = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    queue = asyncio.Queue()
    for u in urls:
        queue.put_nowait(u)
    errors = 0
    t0 = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=30, sock_connect=10, sock_read=15)
    with open(out_file, "w") as out:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            async def worker():
                nonlocal errors
                while not queue.empty():
                    row = await fetch(session, queue.get_nowait(), out)
                    errors += row["error"] is not None

            await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - t0
    print(f"aiohttp: {len(urls)} URLs in {elapsed:.2f} s ({len(urls) / elapsed:.1f}/s), {errors} errors",
          file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[4] == "uvloop":
        import uvloop  # Debian's python3-uvloop
        uvloop.install()
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 100))
