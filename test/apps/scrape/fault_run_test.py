#!/usr/bin/env python3
"""corio-scrape fetches N URLs (10000 by default) from scrape_test_server on 127.0.0.1 in one run,
good ones mixed with every fault the server has (~42%): it exits 0 without crashing, writes exactly
one row per input URL, each row has the status or error kind its fault calls for, and its peak RSS
stays under a fixed bound (64 MiB) in spite of 1 GiB bodies, 16 MiB gzip bombs and endless bodies.

    fault_run_test.py [--urls N] [--max-rss-mib M] CORIO_SCRAPE SCRAPE_TEST_SERVER

Every outcome is decided far from a timing boundary: stalls never answer (so the 2 s read timeout
decides them whatever the load), the endless body reaches --max-bytes (1 MiB, 2-3 s at the server's
500 KiB/s) long before the 20 s total timeout, and any other response is complete within ~150 ms
(most within 5 ms), far under the read timeout; the summary prints these margins.
"""
import argparse
import collections
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from harness import TestServer

SEED = 20240617
TIMEOUT, READ_TIMEOUT, CONNECT_TIMEOUT, MAX_BYTES = "20", "2", "2", "1M"
CONCURRENCY = "100"

# The text /gzip and /deflate-raw serve, decoded (http_test_server::gzip_text()).
GZIP_TEXT_BYTES = len("".join(f"line {i}: the quick brown fox\n" for i in range(1000)))


class Fault:
    """One kind of URL in the mix: how often, where, and the row it must produce."""

    def __init__(self, weight, url, status=None, kind=None, size=None, final_suffix=None, error_has=None):
        self.weight, self.url = weight, url  # url(servers, i) -> str
        self.status, self.kind = status, kind
        self.size, self.final_suffix, self.error_has = size, final_suffix, error_has


def on(path):
    sep = "&" if "?" in path else "?"
    return lambda s, i: f"http://127.0.0.1:{s.port}{path}{sep}i={i}"


def site_page(s, i):
    page = "/site/" if i % 40 == 0 else f"/site/p{i % 40}.html"  # the 40 pages of the default site
    return f"http://127.0.0.1:{s.port}{page}?i={i}"


def redirect_to_refused(s, i):
    to = urllib.parse.quote(f"http://127.0.0.1:{s.refused_port}/moved", safe="")
    return f"http://127.0.0.1:{s.port}/goto?to={to}&i={i}"


# Weights per ~1000 URLs. Stalls and the endless body hold a slot for 2 s and 2-3 s (and the
# endless one up to 1 MiB of body), so they are few; everything else takes milliseconds.
FAULTS = {
    # Good responses.
    "ok": Fault(200, on("/ok"), 200, size=3),
    "site_page": Fault(150, site_page, 200),
    "redirect_3": Fault(80, on("/redirect/3"), 200, size=11, final_suffix="/redirect/0"),
    "gzip": Fault(60, on("/gzip"), 200, size=GZIP_TEXT_BYTES),
    "deflate_raw": Fault(20, on("/deflate-raw"), 200, size=GZIP_TEXT_BYTES),
    "interim_103": Fault(20, on("/interim"), 200, size=3),
    "no_length": Fault(20, on("/no-length"), 200, size=14),
    "close": Fault(10, on("/close"), 200, size=4),
    # 200, then the server closes the kept-alive connection: the next request on it must be resent.
    "ok_close_silently": Fault(20, on("/ok-close-silently"), 200, size=3),
    # Error statuses are rows with a status (no retries: --retries 0).
    "status_404": Fault(30, on("/status/404"), 404, "http_status"),
    "status_500": Fault(30, on("/status/500"), 500, "http_status"),
    # The connection ends before the response is complete.
    "reset_mid_body": Fault(30, on("/reset"), kind="connection"),
    "close_mid_body": Fault(20, on("/close-early"), kind="connection"),
    "truncated_chunked": Fault(30, on("/truncated-chunked"), kind="connection"),
    # Nothing more arrives.
    "stall": Fault(20, on("/stall"), kind="timeout", error_has="read timeout"),
    "stall_body": Fault(20, on("/stall-body"), kind="timeout", error_has="read timeout"),
    # Not HTTP, or a body that cannot be decoded.
    "garbage": Fault(30, on("/garbage"), kind="protocol"),
    "bad_gzip": Fault(20, on("/bad-gzip"), kind="protocol"),
    "unsupported_encoding": Fault(10, on("/unsupported-encoding"), kind="protocol"),
    # A trailer field of 64 KiB or more (pinned in test/unit/http_client.cpp).
    "big_trailer_field": Fault(10, on("/big-trailer"), kind="protocol"),
    # Over a limit: header, trailer, body on the wire, body after decoding.
    "big_header": Fault(20, on("/big-header"), kind="too_large"),
    "big_trailer": Fault(10, on("/big-trailer?size=200000"), kind="too_large"),
    "huge_body_1gib": Fault(20, on("/huge"), kind="too_large"),
    "endless_body": Fault(2, on("/endless"), kind="too_large"),
    "gzip_bomb": Fault(20, on("/gzip-bomb"), kind="too_large", error_has="decoded body"),
    "redirect_loop": Fault(30, on("/loop/a"), kind="too_many_redirects", error_has="redirect loop"),
    "redirects_11": Fault(10, on("/redirect/11"), kind="too_many_redirects", error_has="more than 10 redirects"),
    # TLS: the plain-HTTP port, and a self-signed certificate without --insecure.
    "tls_on_plain_port": Fault(20, lambda s, i: f"https://127.0.0.1:{s.port}/ok?i={i}", kind="tls"),
    "tls_untrusted_cert": Fault(20, lambda s, i: f"https://127.0.0.1:{s.tls_port}/ok?i={i}", kind="tls",
                                error_has="certificate verification failed"),
    # Nobody listens on the port.
    "refused": Fault(20, lambda s, i: f"http://127.0.0.1:{s.refused_port}/ok?i={i}", kind="connect",
                     error_has="Connection refused"),
    "redirect_to_refused": Fault(10, redirect_to_refused, kind="connect", final_suffix="/moved"),
    "bad_url": Fault(10, lambda s, i: f"ftp://127.0.0.1/file?i={i}", kind="bad_url"),
}


def plan(n, servers):
    """n unique URLs, the faults in proportion to their weights, in a fixed shuffled order; the
    endless bodies evenly spaced (~1 every 500 URLs, ~0.4 s apart), so that only a few of their
    1 MiB bodies are in memory at once, whatever n."""
    total = sum(f.weight for f in FAULTS.values())
    counts = {name: n * f.weight // total for name, f in FAULTS.items()}
    counts["ok"] += n - sum(counts.values())
    names = [name for name, c in counts.items() for _ in range(c) if name != "endless_body"]
    random.Random(SEED).shuffle(names)
    spaced = counts["endless_body"]
    for k in range(spaced):
        names.insert((k * n) // spaced + n // (2 * spaced), "endless_body")
    return [(FAULTS[name].url(servers, i), name) for i, name in enumerate(names)]


def run_scrape(scrape, input_path, out_path, err_path, limit_s):
    """Runs corio-scrape; returns (exit status, wall seconds, peak RSS in KiB) of that process alone."""
    args = [scrape, "--input", input_path, "--out", out_path, "--retries", "0", "--timeout", TIMEOUT,
            "--read-timeout", READ_TIMEOUT, "--connect-timeout", CONNECT_TIMEOUT, "--max-bytes", MAX_BYTES,
            "--concurrency", CONCURRENCY, "--per-host", CONCURRENCY]
    with open(err_path, "w") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        killer = threading.Timer(limit_s, p.kill)
        killer.start()
        # wait4: this child's own rusage (RUSAGE_CHILDREN would mix in the servers).
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)  # (Popen must not wait for it again)
    return p.returncode, wall, usage.ru_maxrss


def check_row(row, f):
    """What is wrong with `row` for fault `f` ("" if nothing)."""
    problems = []
    if row.get("status") != f.status:
        problems.append(f"status {row.get('status')} (want {f.status})")
    if row.get("error_kind") != f.kind:
        problems.append(f"error_kind {row.get('error_kind')} (want {f.kind})")
    err = row.get("error")
    if f.kind and not (err or "").startswith(f.kind + ": "):
        problems.append(f"error {err!r} should start with '{f.kind}: '")
    if not f.kind and err is not None:
        problems.append(f"error {err!r} on a good response")
    if f.error_has and f.error_has not in (err or ""):
        problems.append(f"error {err!r} should mention {f.error_has!r}")
    if f.size is not None and row.get("bytes") != f.size:
        problems.append(f"bytes {row.get('bytes')} (want {f.size})")
    if f.final_suffix and not urllib.parse.urlsplit(row.get("final_url") or "").path.endswith(f.final_suffix):
        problems.append(f"final_url {row.get('final_url')} (want …{f.final_suffix})")
    want_attempts = 0 if f.kind == "bad_url" else 1
    if row.get("attempts") != want_attempts:
        problems.append(f"attempts {row.get('attempts')} (want {want_attempts})")
    return "; ".join(problems)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=10000, help="how many URLs (10000)")
    ap.add_argument("--max-rss-mib", type=float, default=64, help="bound on corio-scrape's peak RSS (64)")
    ap.add_argument("--limit", type=float, default=240, help="seconds before the run is killed (240)")
    ap.add_argument("scrape")
    ap.add_argument("server")
    a = ap.parse_args()

    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what)

    with tempfile.TemporaryDirectory(prefix="corio-scrape-faults-") as tmp:
        plain = TestServer(a.server)
        tls = TestServer(a.server, "--tls", os.path.join(tmp, "cert.pem"))
        # Bound but not listening: connecting is refused, and no one else can take the port meanwhile.
        refused = socket.socket()
        refused.bind(("127.0.0.1", 0))
        try:
            servers = argparse.Namespace(port=plain.port, tls_port=tls.port, refused_port=refused.getsockname()[1])
            urls = plan(a.urls, servers)
            expected = dict(urls)
            check(len(expected) == a.urls, "the input URLs are unique")
            paths = {k: os.path.join(tmp, k) for k in ("urls.txt", "out.jsonl", "err.txt")}
            with open(paths["urls.txt"], "w") as f:
                f.writelines(u + "\n" for u, _ in urls)
            rc, wall, rss_kib = run_scrape(a.scrape, paths["urls.txt"], paths["out.jsonl"], paths["err.txt"], a.limit)
            with open(paths["err.txt"]) as f:
                err = f.read()
            with open(paths["out.jsonl"]) as f:
                lines = f.read().splitlines()
        finally:
            refused.close()
            tls.close()
            plain.close()

    check(rc >= 0, f"corio-scrape was not killed by a signal (returncode {rc}; over {a.limit:.0f} s if SIGKILL)")
    check(rc == 0, f"exit status 0 (got {rc}; stderr tail: {err[-500:]!r})")

    rows, bad_json = [], 0
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError:
            bad_json += 1
    check(bad_json == 0, f"every output line is JSON ({bad_json} are not)")
    per_url = collections.Counter(r.get("url") for r in rows)
    missing = [u for u in expected if u not in per_url]
    duplicated = [u for u, c in per_url.items() if c > 1]
    extra = [u for u in per_url if u not in expected]
    check(len(lines) == a.urls, f"one line per input URL ({len(lines)} lines for {a.urls} URLs)")
    check(not missing, f"{len(missing)} URLs have no row, e.g. {missing[:3]}")
    check(not duplicated, f"{len(duplicated)} URLs have several rows, e.g. {duplicated[:3]}")
    check(not extra, f"{len(extra)} rows are for URLs not in the input, e.g. {extra[:3]}")
    check(f"corio-scrape: {a.urls} URLs in" in err and "not attempted: 0" in err, f"summary ({err[-400:]!r})")

    wrong = collections.defaultdict(list)
    outcomes = collections.defaultdict(collections.Counter)
    for r in rows:
        name = expected.get(r.get("url"))
        if name is None:
            continue
        outcomes[name][(r.get("status"), r.get("error_kind"))] += 1
        problem = check_row(r, FAULTS[name])
        if problem:
            wrong[name].append((r.get("url"), problem))
    for name, cases in wrong.items():
        url, problem = cases[0]
        check(False, f"{name}: {len(cases)} rows wrong, e.g. {url}: {problem}")

    rss_mib = rss_kib / 1024
    check(rss_mib < a.max_rss_mib, f"peak RSS {rss_mib:.1f} MiB < {a.max_rss_mib:.0f} MiB")

    print(f"{'fault':<22} {'URLs':>6}  status/error_kind seen")
    for name in FAULTS:
        seen = ", ".join(f"{s if s is not None else '-'}/{k or '-'}×{c}" for (s, k), c in sorted(
            outcomes[name].items(), key=lambda kv: -kv[1]))
        print(f"{name:<22} {sum(outcomes[name].values()):>6}  {seen}")
    # How far from the timing boundaries the run stayed.
    def slowest(names):
        return max((r.get("elapsed_ms") or 0 for r in rows if expected.get(r.get("url")) in names), default=0)

    quick = [n for n in FAULTS if n not in ("stall", "stall_body", "endless_body")]
    print(f"slowest: quick rows {slowest(quick):.0f} ms (read timeout {float(READ_TIMEOUT) * 1000:.0f} ms), "
          f"endless body {slowest(['endless_body']):.0f} ms (total timeout {float(TIMEOUT) * 1000:.0f} ms)")
    kinds = collections.Counter(r.get("error_kind") or "none" for r in rows)
    print("error_kind: " + ", ".join(f"{k}×{c}" for k, c in sorted(kinds.items())))
    print(f"{a.urls} URLs, {len(rows)} rows, wall {wall:.2f} s, peak RSS {rss_mib:.1f} MiB "
          f"(bound {a.max_rss_mib:.0f} MiB), exit {rc}")
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
