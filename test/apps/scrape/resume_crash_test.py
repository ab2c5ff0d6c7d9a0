#!/usr/bin/env python3
"""corio-scrape --resume survives kill -9: a crawl of a generated site (served by a real nginx on
127.0.0.1, as in nginx_crawl_test.py) is killed with SIGKILL at random moments (seeded, printed),
resumed each time, then interrupted with SIGINT (Ctrl-C: pages that finish during the grace period
must leave their links to the resumed run), and finally run to its end. The union of the rows then holds every page of the
site exactly once, every line is whole JSON, the journal is gone, and pages were fetched again
only for the batch each kill cut short.

    resume_crash_test.py [--pages N] [--kills K] [--interrupts I] [--seed S] CORIO_SCRAPE NGINX MAKE_SITE_PY

Exit 77 (skipped) when nginx is not installed.
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nginx_crawl_test import start_nginx, stop  # noqa: E402

CONCURRENCY = 16


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--interrupts", type=int, default=2)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CORIO_RESUME_SEED", "20261202")))
    ap.add_argument("scrape")
    ap.add_argument("nginx")
    ap.add_argument("make_site")
    a = ap.parse_args()
    if not a.nginx or not os.access(a.nginx, os.X_OK):
        print("SKIP: nginx is not installed (Debian: nginx-light)")
        return 77
    rnd = random.Random(a.seed)
    print(f"seed {a.seed} (CORIO_RESUME_SEED=... to repeat another), {a.pages} pages, {a.kills} kills")
    tmp = tempfile.mkdtemp(prefix="corio-resume-")
    os.chmod(tmp, 0o755)  # nginx workers may run as another user when the test runs as root
    proc = None
    t_start = time.monotonic()
    try:
        site = os.path.join(tmp, "site")
        expected = subprocess.run([sys.executable, a.make_site, site, "--pages", str(a.pages)], check=True,
                                  capture_output=True, text=True).stdout.split()
        proc, port = start_nginx(tmp, site, a.nginx,
                                 lambda conf: conf.replace("worker_connections 512", "worker_connections 1024"))
        if proc is None:
            return 1

        base = f"http://127.0.0.1:{port}"
        out = os.path.join(tmp, "out.jsonl")
        args = [a.scrape, "--depth", "100000", "--same-host", "--concurrency", str(CONCURRENCY), "--per-host",
                str(CONCURRENCY), "--resume", "--out", out, base + "/"]
        # Kill points: a row count to reach (spread over the crawl), then a random extra delay.
        total = len(expected)
        for k in range(a.kills):
            lo = total * k // (a.kills + 1)
            hi = total * (k + 1) // (a.kills + 1)
            target = rnd.randint(lo + 1, max(lo + 1, hi))
            delay = rnd.uniform(0, 0.05)
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while p.poll() is None and count_lines(out) < target and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(delay)
            finished = p.poll() is not None
            p.kill()
            p.wait()
            err = p.stderr.read()
            have = count_lines(out)
            print(f"kill {k + 1}: at >= {target} rows + {delay * 1000:.0f} ms: {have} rows"
                  + (f" (had already exited {p.returncode}: {err[-300:]!r})" if finished else ""))
            assert not finished or p.returncode == 0, f"run {k + 1} failed: {err}"

        # Interrupts: SIGINT once the run has gone a little further; it ends with 130 after its
        # requests in flight finish (the grace period).
        for k in range(a.interrupts):
            target = count_lines(out) + rnd.randint(1, max(1, total // (4 * (a.interrupts + 1))))
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while p.poll() is None and count_lines(out) < target and time.monotonic() < deadline:
                time.sleep(0.01)
            finished = p.poll() is not None
            if not finished:
                p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"interrupt {k + 1}: no exit within 120 s of SIGINT")
            err = p.stderr.read()
            print(f"interrupt {k + 1}: at >= {target} rows: exit {p.returncode}, {count_lines(out)} rows")
            assert p.returncode == (0 if finished else 130), f"interrupt {k + 1}: exit {p.returncode}: {err[-600:]}"

        run = subprocess.run(args, capture_output=True, text=True, timeout=240)
        print(run.stderr[-600:])
        assert run.returncode == 0, f"final run: exit status {run.returncode}"

        with open(out, "rb") as f:
            data = f.read()
        assert data.endswith(b"\n"), "the output ends with a whole line"
        rows = [json.loads(line) for line in data.decode().splitlines()]
        urls = collections.Counter(r["url"] for r in rows)
        dupes = [u for u, n in urls.items() if n > 1]
        assert not dupes, f"{len(dupes)} URLs have several rows, e.g. {dupes[:5]}"
        want = {base + p for p in expected}
        got = set(urls)
        assert got == want, f"missing {sorted(want - got)[:10]}, unexpected {sorted(got - want)[:10]}"
        bad = [r for r in rows if r["status"] != 200 or r["error"] is not None]
        assert not bad, f"failed rows: {bad[:3]}"
        assert not os.path.exists(out + ".state"), "the journal of a complete crawl is removed"

        stop(proc)
        proc = None
        seen = collections.Counter()
        for line in open(os.path.join(tmp, "access.log")):
            seen[line.split('"')[1].split(" ")[1]] += 1
        assert set(seen) == set(expected), f"nginx saw {sorted(set(seen) ^ set(expected))[:10]}"
        again = sum(n - 1 for n in seen.values())
        # A kill loses the requests in flight and the results not yet written: at most the
        # concurrency plus one batch (64 KiB of rows, ~300) each.
        bound = a.kills * (CONCURRENCY + 400) + a.interrupts * CONCURRENCY
        print(f"pages fetched again after a kill: {again} (bound {bound})")
        assert again <= bound, f"{again} pages fetched again"
        print(f"OK: {len(rows)} pages, each with exactly one row, after {a.kills} kills "
              f"({time.monotonic() - t_start:.1f} s)")
        return 0
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
