#!/usr/bin/env python3
"""Integration test: corio-scrape crawls a generated site of 300 linked pages served by a real
nginx (started here on a free loopback port, with its config, pid and logs in a temp dir), and
fetches every page exactly once — checked in corio-scrape's output and in nginx's access log.

    nginx_crawl_test.py CORIO_SCRAPE NGINX MAKE_SITE_PY

Exit 77 (skipped) when nginx is not installed.
"""
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PAGES = 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def nginx_config(tmp, site, port, nginx):
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True).stderr
    temp_paths = [f"client_body_temp_path {tmp}/client_body;"]
    for mod in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if f"--without-http_{mod}_module" not in version:
            temp_paths.append(f"{mod}_temp_path {tmp}/{mod};")
    temps = "\n    ".join(temp_paths)
    return f"""
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {tmp}/access.log;
    {temps}
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    keepalive_requests 50;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 200;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location / {{ }}
    }}
}}
"""


def start_nginx(tmp, site, nginx, tweak=lambda conf: conf):
    """Starts nginx serving `site` on a free loopback port (config written into `tmp`, passed
    through `tweak`); returns (process, port), or (None, None) after printing its error log."""
    for _ in range(5):  # the free port may be taken before nginx binds it
        port = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(tweak(nginx_config(tmp, site, port, nginx)))
        proc = subprocess.Popen([nginx, "-p", tmp, "-e", os.path.join(tmp, "error.log"), "-c", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if wait_listening(port, proc):
            return proc, port
        stop(proc)
    print("nginx did not start:", open(os.path.join(tmp, "error.log")).read())
    return None, None


def main():
    scrape, nginx, make_site = sys.argv[1:4]
    if not nginx or not os.access(nginx, os.X_OK):
        print("SKIP: nginx is not installed (Debian: nginx-light)")
        return 77
    tmp = tempfile.mkdtemp(prefix="corio-nginx-")
    os.chmod(tmp, 0o755)  # nginx workers may run as another user when the test runs as root
    proc = None
    try:
        site = os.path.join(tmp, "site")
        expected = subprocess.run([sys.executable, make_site, site, "--pages", str(PAGES)], check=True,
                                  capture_output=True, text=True).stdout.split()
        assert len(expected) >= PAGES, expected
        proc, port = start_nginx(tmp, site, nginx)
        if proc is None:
            return 1

        out = os.path.join(tmp, "out.jsonl")
        base = f"http://127.0.0.1:{port}"
        run = subprocess.run([scrape, "--depth", "1000", "--same-host", "--concurrency", "16", "--per-host", "8",
                              "--out", out, base + "/"], capture_output=True, text=True, timeout=240)
        print(run.stderr)
        assert run.returncode == 0, f"exit status {run.returncode}"

        rows = [json.loads(line) for line in open(out)]
        urls = [r["url"] for r in rows]
        dupes = [u for u, n in collections.Counter(urls).items() if n > 1]
        assert not dupes, f"fetched more than once: {dupes}"
        want = {base + p for p in expected}
        got = set(urls)
        assert got == want, f"missing {sorted(want - got)[:10]}, unexpected {sorted(got - want)[:10]}"
        bad = [r for r in rows if r["status"] != 200 or r["error"] is not None]
        assert not bad, f"failed rows: {bad[:3]}"
        titled = [r for r in rows if r["url"].endswith((".html", "/"))]
        assert all(r["title"].startswith("Page ") for r in titled)

        stop(proc)
        proc = None
        # nginx saw each file exactly once (and nothing else: no robots.txt, no redirects, no retries).
        seen = collections.Counter()
        for line in open(os.path.join(tmp, "access.log")):
            request = line.split('"')[1]  # GET /path HTTP/1.1
            method, path, _ = request.split(" ")
            assert method == "GET", line
            seen[path] += 1
        assert set(seen) == set(expected), f"nginx saw {sorted(set(seen) ^ set(expected))[:10]}"
        assert all(n == 1 for n in seen.values()), [p for p, n in seen.items() if n > 1]
        print(f"OK: {len(rows)} pages crawled from nginx, each fetched exactly once")
        return 0
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # fast shutdown
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
