#!/usr/bin/env python3
"""corio-scrape as a process: exit statuses and messages, input and output options, TLS
verification, and Ctrl-C (SIGINT) handling — against scrape_test_server on 127.0.0.1.

    cli_test.py CORIO_SCRAPE SCRAPE_TEST_SERVER
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

SCRAPE, SERVER = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="corio-scrape-cli-")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


class Server:
    """scrape_test_server: prints its port, serves until its stdin closes."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def url(self, path, scheme="http"):
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def scrape(*args, stdin="", timeout=120):
    return subprocess.run([SCRAPE, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f]  # every line must be valid JSON


def not_attempted(stderr):
    for line in stderr.splitlines():
        if line.strip().startswith("not attempted:"):
            return int(line.split(":")[1])
    return None


def test_usage_and_setup_errors():
    r = scrape("--help")
    check(r.returncode == 0 and r.stdout.startswith("usage: corio-scrape"), "--help prints usage, exit 0")
    r = scrape("--bogus")
    check(r.returncode == 2 and r.stderr.startswith("corio-scrape: unknown option '--bogus'\n"),
          f"unknown option: exit 2 and one clear line ({r.returncode}, {r.stderr[:80]!r})")
    r = scrape()
    check(r.returncode == 2 and "no URLs" in r.stderr.splitlines()[0], "no URLs: usage error")
    # A list with no URL in it is a usage error that leaves an existing --out file as it was.
    empty, kept = os.path.join(TMP, "empty.txt"), os.path.join(TMP, "kept.jsonl")
    with open(empty, "w") as f:
        f.write("# nothing here\n\n")
    with open(kept, "w") as f:
        f.write("earlier results\n")
    r = scrape("--input", empty, "--out", kept)
    check(r.returncode == 2 and "no URLs" in r.stderr.splitlines()[0], f"empty list: usage error ({r.stderr!r})")
    check(open(kept).read() == "earlier results\n", "empty list: the --out file is not truncated")
    r = scrape("--input", "/nonexistent/urls.txt")
    check(r.returncode == 1 and r.stderr == "corio-scrape: cannot read /nonexistent/urls.txt: No such file or directory\n",
          f"unreadable input: exit 1, one line ({r.stderr!r})")
    r = scrape("--out", "/nonexistent/dir/out.jsonl", "http://127.0.0.1:9/")
    check(r.returncode == 1 and r.stderr.startswith("corio-scrape: cannot write /nonexistent/dir/out.jsonl"),
          f"unwritable output: exit 1 ({r.stderr!r})")


def test_urls_from_stdin_and_file_with_failures_still_exit_zero(srv):
    urls = [srv.url("/ok"), srv.url("/status/500"), srv.url("/gzip"), "ftp://nope/"]
    out = os.path.join(TMP, "stdin.jsonl")
    r = scrape("--retries", "0", "--out", out, stdin="\n".join(urls) + "\n")
    check(r.returncode == 0, f"run with failures exits 0 ({r.returncode}: {r.stderr})")
    got = {row["url"]: row for row in rows(out)}
    check(set(got) == set(urls), "one row per URL read from stdin")
    check(got[srv.url("/gzip")]["bytes"] > 10000, "gzip body decoded")
    check(got[srv.url("/status/500")]["error_kind"] == "http_status", "500 is an http_status row")
    check("corio-scrape: 4 URLs in" in r.stderr and "status: 200×2 500×1" in r.stderr, f"summary ({r.stderr})")
    listfile = os.path.join(TMP, "urls.txt")
    with open(listfile, "w") as f:
        f.write("# a comment\n" + srv.url("/ok") + "\n")
    r = scrape("--input", listfile)
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 1, "URLs from --input, JSON to stdout")


def test_tls_verification_and_insecure(tmp):
    cert = os.path.join(tmp, "cert.pem")
    srv = Server("--tls", cert)
    try:
        r = scrape("--retries", "0", srv.url("/ok", "https"))
        row = json.loads(r.stdout)
        check(r.returncode == 0 and row["error_kind"] == "tls" and "certificate verification failed" in row["error"],
              f"self-signed certificate refused by default ({r.stdout})")
        r = scrape("--insecure", srv.url("/ok", "https"))
        row = json.loads(r.stdout)
        check(r.returncode == 0 and row["status"] == 200 and row["error"] is None, f"--insecure succeeds ({r.stdout})")
    finally:
        srv.close()


def test_sigint_finishes_requests_in_flight_and_lists_the_rest(srv):
    n = 200
    out = os.path.join(TMP, "sigint.jsonl")
    urls = "\n".join(srv.url(f"/slow?ms=300&i={i}") for i in range(n)) + "\n"
    p = subprocess.Popen([SCRAPE, "--concurrency", "4", "--grace", "20", "--out", out],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(urls)
    p.stdin.close()
    p.stdin = None  # (communicate() would flush it)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not os.path.exists(out) or os.path.getsize(out) == 0):
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    check(p.returncode == 0, f"graceful SIGINT exits 0 ({p.returncode})")
    got = rows(out)
    check(0 < len(got) < n, f"some rows written ({len(got)})")
    check(all(r["status"] == 200 for r in got), "requests in flight finished within the grace period")
    check(not_attempted(err) == n - len(got), f"every URL has a row or is listed as not attempted ({err[-300:]})")
    check("interrupted" in err, "the summary says the run was interrupted")


def test_second_sigint_cancels_requests_in_flight(srv):
    out = os.path.join(TMP, "sigint2.jsonl")
    p = subprocess.Popen([SCRAPE, "--concurrency", "2", "--log-level", "info", "--out", out,
                          *[srv.url(f"/stall?i={i}") for i in range(4)]],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    started = threading.Event()

    def read():
        for line in p.stderr:
            lines.append(line)
            if "to fetch" in line:
                started.set()

    t = threading.Thread(target=read)
    t.start()
    check(started.wait(60), "corio-scrape reports that it started")
    p.send_signal(signal.SIGINT)
    time.sleep(0.2)  # (either order of the two signals gives the same outcome)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    t.join(timeout=60)
    err = "".join(lines)
    got = rows(out)
    check(p.returncode == 0, f"exit 0 after two SIGINTs ({p.returncode})")
    check(all(r["error_kind"] == "interrupted" for r in got), "cancelled requests get an 'interrupted' row")
    check(len(got) + (not_attempted(err) or 0) == 4, f"nothing lost ({len(got)} rows; {err[-300:]})")


def main():
    srv = Server()
    try:
        test_usage_and_setup_errors()
        test_urls_from_stdin_and_file_with_failures_still_exit_zero(srv)
        test_tls_verification_and_insecure(TMP)
        test_sigint_finishes_requests_in_flight_and_lists_the_rest(srv)
        test_second_sigint_cancels_requests_in_flight(srv)
    finally:
        srv.close()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
