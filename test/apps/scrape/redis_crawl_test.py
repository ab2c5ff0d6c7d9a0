#!/usr/bin/env python3
"""Integration test of corio-scrape's distributed mode (--redis): workers share a crawl of a
generated site served by corio-serve through a real redis-server (both started here on free
loopback ports, with their files in a temp dir).

    redis_crawl_test.py [--pages N] [--seed S] CORIO_SCRAPE CORIO_SERVE MAKE_SITE_PY REDIS_SERVER

 1. Three workers crawl the site; one is killed -9 once the job has recorded a seeded random
    share of it: the two others exit 0, --export holds every page exactly once, no page is in
    two workers' --out files, and every row of those files is in the export.
 2. --status: its fields after the crawl.
 3. A worker with options other than the job's is refused (exit 2, naming the option).
 4. Stop every worker (SIGINT) in the middle of a crawl, start them again: the job goes on and
    ends with every page exactly once.
 5. List mode from --input (a bad URL gets its error row); batches.
    --delete-job refused while a worker runs; --cancel-job: a running worker exits 4. --delete-job removes every key of the job.
 6. Usage errors; a Redis that is not there: exit 1 after --redis-timeout.
 7. Redis (with AOF) killed -9 and started again in the middle of a crawl: the workers wait,
    reconnect, and the job ends with every page exactly once. Killed for good: a worker exits 1
    after --redis-timeout with the rows it fetched in its --out.
 8. Politeness is the job's, measured at the server (corio-serve's access log): three workers
    with --rate 20 never send more than 20 + burst requests in any second, and with --per-host 3
    never have more than 3 requests in flight together. A page that redirects counts where it
    landed as seen: a link to that URL is not fetched again.
 9. With --memory-urls N: a worker's peak RSS for a job of N URLs is that for N/10 (within 15%
    and 2 MiB).

Exit 77 (skipped) when redis-server is not installed.
"""
import argparse
import collections
import json
import os
import pty
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nginx_crawl_test import free_port, stop, wait_listening  # noqa: E402


def start_serve(serve, site, access_log=None):
    """corio-serve serving `site` on a free loopback port; returns (process, port)."""
    log = ["--access-log", access_log, "--access-log-format", "json"] if access_log else ["--access-log", "off"]
    proc = subprocess.Popen([serve, "--port", "0", "--static", site, "--log-level", "warn", *log],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()  # "listening on 127.0.0.1:PORT"
    if "listening on 127.0.0.1:" not in line:
        stop(proc)
        raise RuntimeError(f"corio-serve did not start: {line!r}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # (keeps its stdout drained)
    return proc, int(line.rsplit(":", 1)[1])


def access_times(path):
    """(start, end) of each request in corio-serve's JSON access log, in µs, shrunk to what is
    certain: the log has the end in ms (truncated) and the duration in µs."""
    out = []
    with open(path) as f:
        for line in f:
            entry = json.loads(line[line.index("{"):])
            end = entry["ts_ms"] * 1000
            out.append((entry["target"], end + 1000 - entry["us"], end))
    return out


class Redis:
    """redis-server on a free loopback port, no persistence, files in `tmp`; a tiny RESP client."""

    def __init__(self, server, tmp, aof=False, extra=()):
        self.server, self.dir, self.aof, self.extra = server, tmp, aof, list(extra)
        for _ in range(5):
            self.port = free_port()
            if self._start():
                break
        else:
            raise RuntimeError("redis-server did not start")
        self.url = f"redis://127.0.0.1:{self.port}"

    def _start(self):
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        self.proc = subprocess.Popen([self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                                      "--save", "", *persistence, "--daemonize", "no", *self.extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_listening(self.port, self.proc):
            stop(self.proc)
            return False
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.buf = b""
        return True

    def kill(self):
        """kill -9 (with AOF and appendfsync always, nothing acknowledged is lost)."""
        self.sock.close()
        self.proc.kill()
        self.proc.wait()

    def restart(self):
        for _ in range(50):  # the port is free again once the process is gone
            if self._start():
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start again")

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"bad reply {line!r}")

    def __call__(self, *args):
        out = f"*{len(args)}\r\n"
        for a in args:
            a = str(a)
            out += f"${len(a.encode())}\r\n{a}\r\n"
        self.sock.sendall(out.encode())
        return self._reply()

    def done(self, job):
        return int(self("HGET", f"{job}:counts", "done") or 0)

    def close(self):
        if self.proc.poll() is None:
            self.sock.close()
            stop(self.proc)


def wait_until(what, cond, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def rows_of(path):
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path)]


def check_export(scrape, redis, job, want, tmp):
    out = os.path.join(tmp, f"{job}-export.jsonl")
    r = subprocess.run([scrape, "--redis", redis.url, "--job", job, "--export", "-o", out],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = rows_of(out)
    urls = collections.Counter(row["url"] for row in rows)
    dupes = [u for u, n in urls.items() if n > 1]
    assert not dupes, f"{job}: in the export more than once: {dupes[:5]}"
    assert set(urls) == want, f"{job}: missing {sorted(want - set(urls))[:5]}, unexpected {sorted(set(urls) - want)[:5]}"
    bad = [row for row in rows if row["status"] != 200 or row["error"] is not None]
    assert not bad, f"failed rows: {bad[:3]}"
    return {row["url"]: row for row in rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--memory-urls", type=int, default=0, help="check a worker's memory with 1/10 and all of N URLs")
    ap.add_argument("scrape")
    ap.add_argument("serve")
    ap.add_argument("make_site")
    ap.add_argument("redis_server")
    a = ap.parse_args()
    if not a.redis_server or not os.access(a.redis_server, os.X_OK):
        print("SKIP: redis-server is not installed (scripts/deps.sh installs it)")
        return 77
    rnd = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="corio-redis-crawl-")
    server = redis = None
    procs = []
    try:
        site = os.path.join(tmp, "site")
        expected = subprocess.run([sys.executable, a.make_site, site, "--pages", str(a.pages)], check=True,
                                  capture_output=True, text=True).stdout.split()
        server, port = start_serve(a.serve, site)
        procs.append(server)
        redis = Redis(a.redis_server, tmp)
        base = f"http://127.0.0.1:{port}"
        want = {base + p for p in expected}
        n = len(want)

        def worker(job, out, *extra, server=None):
            cmd = [a.scrape, "--redis", (server or redis).url, "--job", job, "--depth", "1000", "--same-host",
                   "--concurrency", "8", "--rate", "600", "--lease", "2", "--redis-timeout", "10", "-o", out,
                   *extra, base + "/"]
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            procs.append(p)
            return p

        def finish(p, what, seconds=120):
            try:
                _, err = p.communicate(timeout=seconds)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
                raise AssertionError(f"{what}: did not end within {seconds} s:\n{err}")
            return p.returncode, err

        def script_calls():
            stats = redis("INFO", "commandstats")
            return sum(int(line.split("calls=")[1].split(",")[0]) for line in stats.splitlines()
                       if line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")))

        # 1. Three workers, one killed -9 in the middle.
        calls_before = script_calls()
        outs = [os.path.join(tmp, f"w{i}.jsonl") for i in range(3)]
        workers = [worker("crawl", out) for out in outs]
        kill_at = rnd.randint(n // 10, n // 2)
        victim = rnd.randrange(3)
        wait_until(f"{kill_at} rows recorded", lambda: redis.done("crawl") >= kill_at)
        leased_then = redis("ZCARD", "crawl:leased")
        workers[victim].kill()
        workers[victim].wait()
        print(f"killed worker {victim} at {redis.done('crawl')} rows recorded ({leased_then} URLs leased)")
        for i, p in enumerate(workers):
            if i == victim:
                continue
            code, err = finish(p, f"worker {i}")
            assert code == 0, f"worker {i}: exit status {code}:\n{err}"
        exported = check_export(a.scrape, redis, "crawl", want, tmp)
        owner = {}
        for i, out in enumerate(outs):
            for row in rows_of(out):
                assert row["url"] not in owner, f"{row['url']} is in w{owner[row['url']]} and w{i}"
                owner[row["url"]] = i
                assert row == exported[row["url"]], f"w{i}'s row differs from the job's: {row['url']}"
        survivors = {u for u, i in owner.items() if i != victim}
        assert len(survivors) + len([u for u, i in owner.items() if i == victim]) <= n
        print(f"OK: {n} pages, each exactly once in the export; the workers' outputs are disjoint")
        # (A crawl's frontier is short here — the pages are found as they are fetched —, so leases
        # are often smaller than 16: the batching is checked in list mode below.)
        calls = script_calls() - calls_before
        print(f"{calls} script calls for {n} pages: {n / calls:.1f} URLs per call")

        # 2. --status.
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "crawl", "--status"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        st = json.loads(r.stdout)
        assert st["job"] == "crawl" and st["pending"] == 0 and st["leased"] == 0, st
        assert st["done"] == n and st["failed"] == 0 and st["seen"] == n and st["finished"] is True, st
        assert st["origins"] == {base: n}, st["origins"]
        assert st["options"] == {"depth": 1000, "same_host": True, "max_urls": 0, "rate": 600, "burst": 1,
                                 "per_host": 8, "robots": False}, st["options"]
        assert 1 <= st["workers"] <= 3 and st["workers_window_s"] == 60 and st["cancelled"] is False, st
        assert isinstance(st["rate"], (int, float)) and st["expired_leases"] == 0, st
        print("OK: --status", r.stdout.strip()[:200])

        # 3. Conflicting options.
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "crawl", "--depth", "2", base + "/"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert "--depth 1000" in r.stderr and "--depth 2" in r.stderr, r.stderr
        print("OK: conflicting options:", r.stderr.splitlines()[0])

        # 4. Stop every worker, start again.
        outs2 = [os.path.join(tmp, f"r{i}.jsonl") for i in range(2)]
        workers = [worker("resume", out) for out in outs2]
        stop_at = rnd.randint(n // 10, n // 2)
        wait_until(f"{stop_at} rows recorded", lambda: redis.done("resume") >= stop_at)
        for p in workers:
            p.send_signal(signal.SIGINT)
        for i, p in enumerate(workers):
            code, err = finish(p, f"interrupted worker {i}")
            assert code in (0, 130), f"worker {i}: exit status {code}:\n{err}"
        done_then = redis.done("resume")
        assert redis("ZCARD", "resume:leased") == 0, "leases not given back on SIGINT"
        assert done_then < n, "the job ended before it was stopped: nothing to resume"
        print(f"stopped both workers at {done_then} rows; starting them again")
        workers = [worker("resume", out) for out in outs2]
        for i, p in enumerate(workers):
            code, err = finish(p, f"restarted worker {i}")
            assert code == 0, f"worker {i}: exit status {code}:\n{err}"
        exported = check_export(a.scrape, redis, "resume", want, tmp)
        urls = collections.Counter(row["url"] for out in outs2 for row in rows_of(out))
        assert all(c == 1 for c in urls.values()) and set(urls) == want, "resumed outputs: not each page once"
        print("OK: stopped and started again: every page exactly once")

        # List mode (no --depth) from --input: URLs as given (one without a scheme gets http://),
        # a line that is not a URL gets its error row; given twice, each URL still has one row.
        lst = os.path.join(tmp, "list.txt")
        with open(lst, "w") as f:
            f.write(f"{base}/\n# a comment\n{base}/nope\nnot a url\n127.0.0.1:{port}/s1/\n{base}/\n")
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "list", "-i", lst, "-o",
                            os.path.join(tmp, "list.jsonl")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        rows = {row["url"]: row for row in rows_of(os.path.join(tmp, "list.jsonl"))}
        assert set(rows) == {base + "/", base + "/nope", "not a url", base + "/s1/"}, sorted(rows)
        assert rows[base + "/nope"]["status"] == 404 and rows["not a url"]["error_kind"] == "bad_url", rows
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "list", "--status"], capture_output=True,
                           text=True, timeout=30)
        st = json.loads(r.stdout)
        assert st["done"] == 4 and st["failed"] == 2 and st["origins"] == {base: 3, "(not a URL)": 1}, st
        assert st["options"]["depth"] == 0, st
        print("OK: list mode")

        # A worker does not take the job for finished while another worker is still adding seeds
        # (its mark in NAME:adding; here a stand-in's, set by hand), and exits once it is gone.
        with open(lst, "w") as f:
            f.write(f"{base}/\n")
        redis("ZADD", "adders:adding", "99999999999999", "a-worker-still-adding")
        p = subprocess.Popen([a.scrape, "--redis", redis.url, "--job", "adders", "-i", lst, "-o",
                              os.path.join(tmp, "adders.jsonl")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        procs.append(p)
        wait_until("its row", lambda: redis.done("adders") == 1)
        time.sleep(1)  # (a worker that looked only at pending and leased would be gone by now)
        assert p.poll() is None, "the worker ended while another was adding seeds"
        redis("ZREM", "adders:adding", "a-worker-still-adding")
        code, err = finish(p, "worker waiting for another's seeds")
        assert code == 0 and "is finished" in err, (code, err)
        print("OK: not finished while a worker adds seeds")

        # Batching at steady state (a list of every page, one worker): one round trip per 16 URLs or
        # more — rows recorded and URLs leased in the same one (each URL's row within a second).
        with open(lst, "w") as f:
            f.write("".join(f"{u}\n" for u in sorted(want)))
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "batches", "-i", lst, "-c", "8", "-o",
                            os.path.join(tmp, "batches.jsonl"), "--log-level", "info"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        line = next(x for x in r.stderr.splitlines() if "round trips" in x)
        trips = int(line.split("round trips")[0].split()[-1])
        words = line.split("round trips: ")[1].replace("(", "").replace(",", "").split()
        leased, finished = int(words[2]), int(words[8])
        assert leased == n and finished == n, line
        per_trip = 16  # URLs leased and finished per round trip at steady state
        # The seeds (1,000 a round trip, and the marks that they are being added), the first lease,
        # the last rows, the finished check.
        slack = 10 + n // 1000
        assert trips <= n // per_trip + slack, line
        print("OK: batches:", line.split("info: ")[1])

        # --progress draws on a terminal as without --redis.
        master, slave = pty.openpty()
        p = subprocess.Popen([a.scrape, "--redis", redis.url, "--job", "progress", "-i", lst, "--rate", "500",
                              "--progress", "-o", os.path.join(tmp, "progress.jsonl")],
                             stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        seen = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's other side is closed
                    break
                if not chunk:
                    break
                seen += chunk
            elif p.poll() is not None:
                break
        os.close(master)
        assert p.wait(timeout=60) == 0, seen[-2000:]
        assert b"\r\x1b[K[" in seen and b"/s" in seen, seen[-2000:]
        print("OK: --progress")

        # 5. --cancel-job stops a running worker (exit 4); --delete-job removes the keys.
        p = worker("cancel", os.path.join(tmp, "c.jsonl"))
        wait_until("some rows", lambda: redis.done("cancel") >= 20)
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "cancel", "--delete-job"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1 and "leased by running workers" in r.stderr, (r.returncode, r.stderr)
        assert redis("EXISTS", "cancel:options") == 1
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "cancel", "--cancel-job"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        code, err = finish(p, "cancelled worker")
        assert code == 4, f"cancelled worker: exit status {code}:\n{err}"
        p = worker("cancel", os.path.join(tmp, "c2.jsonl"))
        code, err = finish(p, "worker of a cancelled job")
        assert code == 4, f"worker of a cancelled job: exit status {code}:\n{err}"
        for job in ("crawl", "resume", "cancel", "list", "batches", "progress", "adders"):
            assert redis("KEYS", f"{job}:*"), job
            r = subprocess.run([a.scrape, "--redis", redis.url, "--job", job, "--delete-job"], capture_output=True,
                               text=True, timeout=30)
            assert r.returncode == 0, r.stderr
            assert redis("KEYS", f"{job}:*") == [], redis("KEYS", f"{job}:*")
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "crawl", "--status"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1 and "no job crawl" in r.stderr, (r.returncode, r.stderr)
        print("OK: --cancel-job, --delete-job")

        # 6. Usage errors, and a Redis that is not there.
        for args, text in ((["--redis", redis.url, base], "--redis needs --job"),
                           (["--job", "x", base], "need --redis"),
                           (["--redis", "http://x", "--job", "x"], "--redis expects"),
                           (["--redis", redis.url, "--job", "a b"], "--job expects"),
                           (["--redis", redis.url, "--job", "x", "--lease", "0"], "--lease expects"),
                           (["--redis", redis.url, "--job", "x", "--status", "--export"], "exclude each other")):
            r = subprocess.run([a.scrape, *args], capture_output=True, text=True, timeout=30)
            assert r.returncode == 2 and text in r.stderr, (args, r.returncode, r.stderr)
        t0 = time.monotonic()
        r = subprocess.run([a.scrape, "--redis", f"redis://127.0.0.1:{free_port()}", "--job", "x",
                            "--redis-timeout", "1", base + "/"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "cannot connect to Redis" in r.stderr, (r.returncode, r.stderr)
        assert time.monotonic() - t0 < 30
        print("OK: usage errors; no Redis: exit 1")

        # A Redis that refuses writes (out of memory): exit 1 saying so, no hang.
        full_dir = os.path.join(tmp, "full")
        os.mkdir(full_dir)
        full = Redis(a.redis_server, full_dir, extra=["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"])
        try:
            big = os.path.join(tmp, "big.txt")
            with open(big, "w") as f:
                f.write("".join(f"{base}/{'x' * 200}?n={i}\n" for i in range(60000)))
            r = subprocess.run([a.scrape, "--redis", full.url, "--job", "full", "-i", big, "-o",
                                os.path.join(tmp, "full.jsonl"), "--redis-timeout", "5"],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 1 and "OOM" in r.stderr, (r.returncode, r.stderr[-2000:])
            rows = rows_of(os.path.join(tmp, "full.jsonl"))  # what it fetched is kept (if it got so far)
            assert len({row["url"] for row in rows}) == len(rows), "a row twice in the output"
            print("OK: Redis out of memory: exit 1,", r.stderr.strip().splitlines()[-1][:160])
        finally:
            full.close()

        # 7. Redis restarted, then gone for good.
        aof_dir = os.path.join(tmp, "aof")
        os.mkdir(aof_dir)
        redis2 = Redis(a.redis_server, aof_dir, aof=True)
        try:
            outs3 = [os.path.join(tmp, f"o{i}.jsonl") for i in range(2)]
            workers = [worker("outage", out, server=redis2) for out in outs3]
            wait_until("some rows", lambda: redis2.done("outage") >= rnd.randint(n // 10, n // 2))
            redis2.kill()
            time.sleep(1)  # (the workers see it gone meanwhile: they retry)
            redis2.restart()
            for i, p in enumerate(workers):
                code, err = finish(p, f"worker {i} across a Redis restart")
                assert code == 0, f"worker {i}: exit status {code}:\n{err}"
                assert "Redis is back" in err, err
            saved, redis = redis, redis2
            try:
                check_export(a.scrape, redis, "outage", want, tmp)
            finally:
                redis = saved
            print("OK: Redis killed and started again: every page exactly once")

            out = os.path.join(tmp, "gone.jsonl")
            p = worker("gone", out, "--redis-timeout", "1.5", server=redis2)
            wait_until("some rows", lambda: redis2.done("gone") >= 50)
            redis2.kill()
            t0 = time.monotonic()
            code, err = finish(p, "worker whose Redis is gone", seconds=60)
            assert code == 1 and "Redis unreachable for --redis-timeout 1.5 s" in err, (code, err)
            assert time.monotonic() - t0 < 30, "gave up too late"
            rows = rows_of(out)
            assert len(rows) >= 50 and len({r["url"] for r in rows}) == len(rows), len(rows)
            print(f"OK: Redis gone for good: exit 1, {len(rows)} rows in the worker's output")
        finally:
            redis2.close()

        # 8. Politeness across workers, measured at the server.
        log = os.path.join(tmp, "access.jsonl")
        polite, pport = start_serve(a.serve, site, access_log=log)
        procs.append(polite)
        pbase = f"http://127.0.0.1:{pport}"
        pages = 120
        workers = [subprocess.Popen([a.scrape, "--redis", redis.url, "--job", "polite", "--depth", "1000",
                                     "--same-host", "--max-urls", str(pages), "--rate", "20", "--per-host", "4",
                                     "-o", os.path.join(tmp, f"polite{i}.jsonl"), pbase + "/"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(3)]
        procs.extend(workers)
        for i, p in enumerate(workers):
            code, err = finish(p, f"polite worker {i}")
            assert code == 0, f"polite worker {i}: exit status {code}:\n{err}"
        stop(polite)  # (its access log is complete once it has exited)
        starts = sorted(start for _, start, _ in access_times(log))
        assert len(starts) == pages, f"{len(starts)} requests for {pages} pages"
        most, first = 0, 0
        for last, t in enumerate(starts):
            while t - starts[first] > 1_000_000:
                first += 1
            most = max(most, last - first + 1)
        assert most <= 20 + 1, f"{most} requests in one second with --rate 20 (burst 1) across 3 workers"
        span = (starts[-1] - starts[0]) / 1e6
        assert span >= (pages - 1) / 20 - 0.05, f"{pages} requests within {span:.2f} s with --rate 20"
        rows = [row for i in range(3) for row in rows_of(os.path.join(tmp, f"polite{i}.jsonl"))]
        assert len(rows) == pages and len({r["url"] for r in rows}) == pages, len(rows)
        print(f"OK: --rate 20 across 3 workers: at most {most} requests in any second ({pages} in {span:.1f} s)")

        log = os.path.join(tmp, "slots.jsonl")
        slots, sport = start_serve(a.serve, site, access_log=log)
        procs.append(slots)
        lst = os.path.join(tmp, "slow.txt")
        with open(lst, "w") as f:
            f.write("".join(f"http://127.0.0.1:{sport}/api/sleep?ms=20&i={i}\n" for i in range(150)))
        workers = [subprocess.Popen([a.scrape, "--redis", redis.url, "--job", "slots", "-i", lst, "--per-host", "3",
                                     "-o", os.path.join(tmp, f"slots{i}.jsonl")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(3)]
        procs.extend(workers)
        for i, p in enumerate(workers):
            code, err = finish(p, f"slots worker {i}")
            assert code == 0, f"slots worker {i}: exit status {code}:\n{err}"
        stop(slots)
        events = sorted([(start, 1) for _, start, _ in access_times(log)] +
                        [(end, -1) for _, _, end in access_times(log)])
        busy = most = 0
        for _, d in events:
            busy += d
            most = max(most, busy)
        assert len(events) == 300 and 1 <= most <= 3, f"{most} requests in flight together with --per-host 3"
        print(f"OK: --per-host 3 across 3 workers: at most {most} requests in flight together")

        landed = os.path.join(tmp, "landed")
        os.makedirs(os.path.join(landed, "sub"))
        with open(os.path.join(landed, "index.html"), "w") as f:
            f.write('<a href="/sub">sub</a>')
        with open(os.path.join(landed, "sub", "index.html"), "w") as f:
            f.write('<a href="/sub/">here</a> <a href="/">home</a> <a href="/end.html">end</a>')
        with open(os.path.join(landed, "end.html"), "w") as f:
            f.write("<p>the end</p>")
        lsrv, lport = start_serve(a.serve, landed)
        procs.append(lsrv)
        lbase = f"http://127.0.0.1:{lport}"
        r = subprocess.run([a.scrape, "--redis", redis.url, "--job", "landed", "--depth", "5", "-o",
                            os.path.join(tmp, "landed.jsonl"), lbase + "/"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        rows = {row["url"]: row for row in rows_of(os.path.join(tmp, "landed.jsonl"))}
        assert set(rows) == {lbase + "/", lbase + "/sub", lbase + "/end.html"}, sorted(rows)
        assert rows[lbase + "/sub"]["final_url"] == lbase + "/sub/", rows[lbase + "/sub"]
        print("OK: a redirect's target counts as seen: not fetched again")

        # 9. A worker's memory does not grow with the job: the job lives in Redis.
        if a.memory_urls:
            peaks = {}
            for count in (a.memory_urls // 10, a.memory_urls):
                lst = os.path.join(tmp, f"mem{count}.txt")
                with open(lst, "w") as f:
                    f.write("".join(f"{base}/?n={i}\n" for i in range(count)))
                out = os.path.join(tmp, f"mem{count}.jsonl")
                r = subprocess.run(["/usr/bin/time", "-f", "%M", a.scrape, "--redis", redis.url, "--job",
                                    f"mem{count}", "-i", lst, "-o", out], capture_output=True, text=True, timeout=240)
                assert r.returncode == 0, r.stderr
                assert sum(1 for _ in open(out)) == count
                peaks[count] = int(r.stderr.strip().splitlines()[-1])  # KiB
            small, large = peaks[a.memory_urls // 10], peaks[a.memory_urls]
            assert large <= small * 1.15 + 2048, f"peak RSS {small} KiB for {a.memory_urls // 10} URLs, {large} KiB for {a.memory_urls}"
            print(f"OK: a worker's peak RSS: {small} KiB for {a.memory_urls // 10} URLs, {large} KiB for {a.memory_urls}")
        else:
            print("(the memory check is skipped under the sanitizers: their allocators keep freed memory)")
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if redis is not None:
            redis.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
