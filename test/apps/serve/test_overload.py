"""corio-serve under overload: slow-loris clients, storms of bad input, SIGTERM under load.

Run: test_overload.py --server build/apps/serve/corio-serve [-k pattern]

All load is on 127.0.0.1 and bounded in count and time; the time bounds are generous so that a
slow or busy CI machine does not fail them (each bound is stated where it is asserted). Every
test prints its figures to stderr.
"""
import asyncio
import collections
import io
import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

import harness
from harness import Server

PLAINTEXT = b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"


def report(line):
    sys.stderr.write("    " + line + "\n")
    sys.stderr.flush()


def exit_log(srv):
    """The stderr of a server that has exited; left readable for the harness's own checks."""
    data = srv.proc.stderr.read()
    srv.proc.stderr.close()
    srv.proc.stderr = io.BytesIO(data)
    return data.decode(errors="replace")


def ensure_fd_limit(needed):
    """Raises RLIMIT_NOFILE's soft limit to `needed` if it is lower (the server, started later,
    inherits it). False when the hard limit does not allow it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            return False
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return True


def parse_response(buf):
    """One response at the start of `buf`: (length, status, headers), or None while incomplete.
    Framing by Content-Length or chunked (without trailers), which is all corio-serve sends."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    pos = end + 4
    if "content-length" in headers:
        pos += int(headers["content-length"])
        return (pos, status, headers) if len(buf) >= pos else None
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(buf[pos:eol].split(b";")[0], 16)
            pos = eol + 2 + size + 2
            if len(buf) < pos:
                return None
            if size == 0:
                return pos, status, headers
    return pos, status, headers


def status_of(buf):
    """The status code of a (possibly partial) response, or None before a whole status line."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", buf)
    return int(m.group(1)) if m else None


class KeepAliveClient:
    """A blocking keep-alive connection that times each request."""

    def __init__(self, srv):
        self.sock = srv.connect(timeout=30)
        self.buf = b""

    def request(self, raw):
        """Sends `raw`, reads one response; returns (status, body, seconds)."""
        t0 = time.perf_counter()
        self.sock.sendall(raw)
        while (r := parse_response(self.buf)) is None:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed mid-response")
            self.buf += data
        n, status, headers = r
        body = self.buf[n - int(headers.get("content-length", 0)):n]
        self.buf = self.buf[n:]
        return status, body, time.perf_counter() - t0

    def close(self):
        self.sock.close()


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


# --- slow clients ---------------------------------------------------------------------------------

class Loris:
    """`count` connections that send a request head a few bytes at a time and never finish it."""

    STREAM = b"GET /plaintext HTTP/1.1\r\nHost: t\r\n" + b"X-Slow: loris\r\n" * 500  # < 8 KiB, never ends

    def __init__(self, srv, count, step=2):
        self.step = step
        self.socks = []
        self.sent = []  # bytes of STREAM sent, per connection
        self.first_byte_at = []  # monotonic time of the first bytes, per connection
        for _ in range(count):
            s = srv.connect(timeout=10)
            s.sendall(self.STREAM[:3])
            self.first_byte_at.append(time.monotonic())
            self.socks.append(s)
            self.sent.append(3)
        self.closed_at = [None] * count
        self.got_bytes = [0] * count  # what the server sent before closing (README: nothing)
        self._stop = threading.Event()
        self._thread = None

    def trickle_once(self):
        """A few more bytes on every connection still open; a failed send means it was closed."""
        for i, s in enumerate(self.socks):
            if self.closed_at[i] is not None:
                continue
            try:
                s.sendall(self.STREAM[self.sent[i]:self.sent[i] + self.step])
                self.sent[i] += self.step
            except OSError:
                self.closed_at[i] = time.monotonic()

    def start_trickling(self, every):
        def run():
            while not self._stop.wait(every):
                self.trickle_once()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop_trickling(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def still_open(self):
        """How many connections the server has not closed (nothing readable: no EOF, no reset)."""
        with selectors.DefaultSelector() as sel:
            for i, s in enumerate(self.socks):
                sel.register(s, selectors.EVENT_READ, i)
            readable = {key.data for key, _ in sel.select(timeout=0)}
        return sum(1 for i in range(len(self.socks)) if i not in readable and self.closed_at[i] is None)

    def wait_until_closed(self, deadline, trickle_every):
        """Trickles until the server has closed every connection or `deadline`; records when."""
        with selectors.DefaultSelector() as sel:
            for i, s in enumerate(self.socks):
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, i)
            next_trickle = time.monotonic()
            while any(t is None for t in self.closed_at) and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=0.02):
                    i = key.data
                    try:
                        data = self.socks[i].recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    self.got_bytes[i] += len(data)
                    if not data:
                        self.closed_at[i] = time.monotonic()
                        sel.unregister(self.socks[i])
                if time.monotonic() >= next_trickle:
                    for i, s in enumerate(self.socks):
                        if self.closed_at[i] is None:
                            try:
                                s.send(self.STREAM[self.sent[i]:self.sent[i] + self.step])
                                self.sent[i] += self.step
                            except BlockingIOError:
                                pass
                            except OSError:
                                pass  # closed: the selector reports it
                    next_trickle += trickle_every

    def close(self):
        self.stop_trickling()
        for s in self.socks:
            s.close()


class SlowClients(unittest.TestCase):
    LORIS = 1000
    NORMAL_THREADS = 4
    NORMAL_REQUESTS = 500  # per thread: 2 000 in all
    P99_BOUND = 0.250  # seconds, client-side, for a keep-alive GET /plaintext (typically ~1 ms)

    def setUp(self):
        if not ensure_fd_limit(self.LORIS + 1024):
            self.skipTest("RLIMIT_NOFILE's hard limit is below %d" % (self.LORIS + 1024))

    def test_a_thousand_slow_loris_connections_do_not_slow_down_normal_clients(self):
        # A header timeout far beyond this test's length: the slow clients are held throughout.
        with Server("--header-timeout", "5m") as srv:
            loris = Loris(srv, self.LORIS)
            try:
                loris.start_trickling(every=0.25)
                deadline = time.monotonic() + 30
                while srv.get_json("/api/stats")["active_connections"] < self.LORIS + 1:
                    self.assertLess(time.monotonic(), deadline, "the server did not accept the slow clients")
                    time.sleep(0.05)

                results = [None] * self.NORMAL_THREADS

                def normal(k):
                    c = KeepAliveClient(srv)
                    out = []
                    try:
                        for _ in range(self.NORMAL_REQUESTS):
                            out.append(c.request(PLAINTEXT))
                    finally:
                        c.close()
                    results[k] = out

                threads = [threading.Thread(target=normal, args=(k,)) for k in range(self.NORMAL_THREADS)]
                t0 = time.monotonic()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=120)
                took = time.monotonic() - t0
                self.assertFalse(any(t.is_alive() for t in threads), "normal clients still running after 120 s")
                held = loris.still_open()
                active = srv.get_json("/api/stats")["active_connections"]
            finally:
                loris.close()

            rows = [r for out in results if out for r in out]
            self.assertEqual(len(rows), self.NORMAL_THREADS * self.NORMAL_REQUESTS)
            self.assertEqual(collections.Counter((s, b) for s, b, _ in rows), {(200, b"Hello, World!"): len(rows)})
            lat = sorted(t for _, _, t in rows)
            p50, p99 = percentile(lat, 0.50), percentile(lat, 0.99)
            report("slow clients held: %d of %d (server: %d active connections after the load)"
                   % (held, self.LORIS, active))
            report("normal clients: %d x GET /plaintext in %.2f s, all 200; p50 %.2f ms, p99 %.2f ms, max %.2f ms"
                   % (len(rows), took, p50 * 1e3, p99 * 1e3, lat[-1] * 1e3))
            self.assertEqual(held, self.LORIS, "slow clients were dropped while they were to be held")
            self.assertGreaterEqual(active, self.LORIS)
            self.assertLess(p99, self.P99_BOUND)
            self.assertIsNone(srv.proc.poll())

    def test_slow_loris_connections_are_closed_at_the_header_timeout(self):
        # Trickling does not extend the header timeout: it runs from the first byte of the head.
        with Server("--header-timeout", "1s") as srv:
            loris = Loris(srv, self.LORIS)
            try:
                loris.wait_until_closed(deadline=time.monotonic() + 20, trickle_every=0.2)
                open_left = sum(1 for t in loris.closed_at if t is None)
                after = [c - f for c, f in zip(loris.closed_at, loris.first_byte_at) if c is not None]
                got = sum(loris.got_bytes)
            finally:
                loris.close()
            report("header timeout 1 s: %d of %d slow clients closed, %.2f-%.2f s after their first byte, "
                   "%d bytes sent to them" % (len(after), self.LORIS, min(after, default=0), max(after, default=0), got))
            self.assertEqual(open_left, 0, "slow clients still open 20 s later")
            self.assertGreaterEqual(min(after), 0.9)  # not before the limit (timer slack: 0.1 s)
            self.assertLess(max(after), 6.0)  # the limit + 5 s for a busy machine
            self.assertEqual(got, 0)  # a plain close, no response
            c = KeepAliveClient(srv)
            self.assertEqual(c.request(PLAINTEXT)[:2], (200, b"Hello, World!"))
            c.close()


# --- storms ---------------------------------------------------------------------------------------

Case = collections.namedtuple("Case", "kind data half_close expect")
# expect: the statuses a complete response may have; "close" in it: closing without a (complete)
# response is also right; "started" in it: a streamed 200 may end early, the connection closed.


def storm_cases(n, seed):
    """`n` deterministic cases of garbage and malformed requests, each with what it must get."""
    rng = random.Random(seed)
    host = b"Host: t\r\n"

    def token(k):
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz-") for _ in range(k)).encode()

    def random_bytes():
        data = rng.randbytes(rng.randrange(1, 4096))
        if rng.random() < 0.5:
            data += b"\r\n\r\n"
        return data, {400, "close"}

    def bad_request_line():
        path = b"/" + token(rng.randrange(1, 20))
        line = rng.choice([
            b"GET " + path + b"\r\n\r\n",  # no version
            b"GET  " + path + b" HTTP/1.1\r\n",  # two spaces
            b"GET " + path + b" HTTP/1.1 extra\r\n",
            b"GET " + path[1:] + b" HTTP/1.1\r\n",  # no slash: not origin-form
            b"GET " + path + b" HTTP/1.1\n\n",  # bare LF
            b"G{T " + path + b" HTTP/1.1\r\n",
            b"GET " + path + b" HTTQ/1.1\r\n",
            b"\r\n\r\n\r\n" + b"GET " + path + b" HTTP/1.1 x\r\n",
            b" GET " + path + b" HTTP/1.1\r\n",
            b"GET " + path + b"\tHTTP/1.1\r\n",
        ])
        return line + host + b"\r\n", {400}

    def huge_header():
        which = rng.randrange(3)
        if which == 0:
            head = b"GET /plaintext HTTP/1.1\r\n" + host + b"X-Big: " + b"v" * rng.randrange(9_000, 100_000) + b"\r\n\r\n"
        elif which == 1:
            head = b"GET /plaintext HTTP/1.1\r\n" + host + b"".join(
                b"X-%d: v\r\n" % i for i in range(rng.randrange(101, 400))) + b"\r\n"
        else:
            head = b"GET /" + b"a" * rng.randrange(9_000, 40_000) + b" HTTP/1.1\r\n" + host + b"\r\n"
        return head, {431}

    def bad_chunked():
        body = rng.choice([b"ZZ\r\n", b"-1\r\n", b"3\r\nabcd\r\n0\r\n\r\n", b"5\r\nabc\r\n0\r\n\r\n",
                           b"1;" + b"e" * 5000 + b"\r\nx\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\n",
                           b"3\r\nabc\r\n0\r\nX-T: " + b"t" * 30_000 + b"\r\n\r\n", b"3 \r\nabc\r\n0\r\n\r\n"])
        if rng.random() < 0.5:  # a buffered handler: 400 before anything is sent
            return b"POST /plaintext HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\n" + body, {400}
        # the streaming echo: 400 if the first chunk is bad, else the 200 it started ends early
        return b"POST /api/echo HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\n" + body, {400, "started"}

    def bad_content_length():
        value = rng.choice([b"abc", b"-1", b"+5", b"0x5", b"5 5", b"1, 2", b"", b"99999999999999999999999",
                            b"5\r\nContent-Length: 6", b"1.5", b"\x0b5"])
        return b"POST /api/echo HTTP/1.1\r\n" + host + b"Content-Length: " + value + b"\r\n\r\nhello", {400}

    def nul_bytes():
        head = bytearray(b"GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Name: value\r\n\r\n")
        head[rng.randrange(len(head) - 2)] = 0  # anywhere before the final CRLF
        return bytes(head), {400}

    def http09_and_versions():
        return rng.choice([
            (b"GET /plaintext\r\n", {400}),  # HTTP/0.9: no version, no headers
            (b"GET /plaintext\r\n\r\n", {400}),
            (b"GET /plaintext HTTP/0.9\r\n" + host + b"\r\n", {505}),
            (b"GET /plaintext HTTP/2.0\r\n" + host + b"\r\n", {505}),
            (b"GET /plaintext HTTP/1.2\r\n" + host + b"\r\n", {505}),
            (b"GET /plaintext HTTP/1\r\n" + host + b"\r\n", {400}),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {505}),
        ])

    def smuggling():
        te, cl = b"Transfer-Encoding: chunked\r\n", b"Content-Length: 5\r\n"
        return rng.choice([
            (b"POST /api/echo HTTP/1.1\r\n" + host + cl + te + b"\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + te + cl + b"\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + te + te + b"\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + b"X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", {501}),
            (b"POST /api/echo HTTP/1.0\r\n" + te + b"\r\n0\r\n\r\n", {400}),
            (b"POST /api/echo HTTP/1.1\r\n" + host + b"Content-Length: 5, 5\r\n\r\nhello", {400}),
            (b"GET /plaintext HTTP/1.1\r\n" + host + host + b"\r\n", {400}),
        ])

    def truncated():
        # Valid so far, then nothing more: 400 at the client's EOF, else closed at a timeout.
        if rng.random() < 0.5:
            head = b"GET /plaintext HTTP/1.1\r\n" + host + b"X-Name: value\r\n\r\n"
            return head[:rng.randrange(1, len(head) - 1)], {400, "close"}
        n = rng.randrange(2, 5000)
        body = rng.randbytes(rng.randrange(1, n))
        return b"POST /plaintext HTTP/1.1\r\n" + host + b"Content-Length: %d\r\n\r\n" % n + body, {400, "close"}

    kinds = [random_bytes, bad_request_line, huge_header, bad_chunked, bad_content_length, nul_bytes,
             http09_and_versions, smuggling, truncated]
    cases = []
    for i in range(n):
        make = random_bytes if i % 3 == 0 else kinds[1 + i % (len(kinds) - 1)]
        data, expect = make()
        half_close = rng.random() < 0.5
        if make is truncated:
            expect = {400} if half_close else {"close"}
        cases.append(Case(make.__name__, data, half_close, expect))
    return cases


def run_storm(srv, cases, deadline_s):
    """Sends every case on its own connection (all open at once), half-closing where the case says;
    reads until the server closes each. Returns per case (received bytes, seconds until closed or
    None if still open at the deadline)."""
    socks, sent_at = [], []
    for c in cases:
        s = srv.connect(timeout=10)
        try:
            s.sendall(c.data)
            if c.half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # rejected before we finished sending: what it read so far is still checked
        sent_at.append(time.monotonic())
        socks.append(s)
    received = [b""] * len(cases)
    ended = [None] * len(cases)
    deadline = time.monotonic() + deadline_s
    with selectors.DefaultSelector() as sel:
        for i, s in enumerate(socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.1):
                i = key.data
                try:
                    data = socks[i].recv(65536)
                except BlockingIOError:
                    continue
                except OSError:  # a reset
                    data = b""
                received[i] += data
                if not data:
                    ended[i] = time.monotonic() - sent_at[i]
                    sel.unregister(socks[i])
    for s in socks:
        s.close()
    return received, ended


def outcome(data):
    """'close' (nothing, or not a status line), a status code (a complete response), or 'started'
    (a 200 whose body ended early)."""
    r = parse_response(data)
    if r is not None:
        return r[1]
    status = status_of(data)
    if status is None:
        return "close"
    return "started" if status == 200 else ("incomplete", status)


class Storms(unittest.TestCase):
    CASES = 500
    SEED = 20240611
    END_BOUND = 8.0  # s from the last byte sent to the server's FIN: the 1 s timeouts + slack for a busy machine

    def test_garbage_and_malformed_requests_get_4xx_or_close_and_the_server_lives_on(self):
        cases = storm_cases(self.CASES, self.SEED)
        self.assertEqual(cases, storm_cases(self.CASES, self.SEED))  # deterministic
        with tempfile.TemporaryDirectory() as d:
            log_path = os.path.join(d, "access.log")
            # Short timeouts bound how long an unfinished case may stay open.
            with Server("--header-timeout", "1s", "--idle-timeout", "1s", "--body-timeout", "1s",
                        "--access-log-format", "json", access_log=log_path) as srv:
                t0 = time.monotonic()
                received, ended = run_storm(srv, cases, deadline_s=30)
                took = time.monotonic() - t0
                if srv.proc.poll() is not None:
                    self.fail("the server died (status %d): %r" % (srv.proc.returncode, exit_log(srv)))
                c = KeepAliveClient(srv)
                self.assertEqual(c.request(PLAINTEXT)[:2], (200, b"Hello, World!"))
                c.close()
                self.assertEqual(srv.stop(signal.SIGTERM), 0)
            with open(log_path) as f:
                log = [json.loads(line) for line in f if line.strip()]

        by_kind = collections.defaultdict(collections.Counter)
        wrong, hung = [], []
        for c, data, end in zip(cases, received, ended):
            o = outcome(data)
            by_kind[c.kind][o] += 1
            if o not in c.expect:
                wrong.append((c.kind, c.data[:80], o, data[:120]))
            if end is None or end > self.END_BOUND:
                hung.append((c.kind, c.data[:80], c.half_close, end))
        for kind, counts in sorted(by_kind.items()):
            report("%-20s %s" % (kind, dict(sorted(counts.items(), key=str))))
        statuses = collections.Counter(o for k in by_kind.values() for o, n in k.items() for _ in range(n))
        errors = sum(n for o, n in statuses.items() if isinstance(o, int) and o >= 400)
        # The server's side: connections it logged an error response on (one per connection: it
        # closes after the first; counted per connection, see test_a_rejected_streamed_request_is_counted_once).
        error_conns = {e["conn"] for e in log if e["status"] >= 400}
        report("storm: %d connections (%d half-closed) in %.2f s, longest %.2f s until the server's FIN; "
               "%d error responses received, on %d connections the server logged one"
               % (len(cases), sum(c.half_close for c in cases), took, max(e for e in ended if e is not None),
                  errors, len(error_conns)))
        self.assertEqual(wrong, [])
        self.assertEqual(hung, [])
        # Every error response the server wrote arrived: none was destroyed by a reset.
        self.assertEqual(len(error_conns), errors)
        self.assertEqual(statuses.get("close", 0) + errors + statuses.get("started", 0), len(cases))

    # Was a server bug (found by this test): a request whose body a streaming handler (/api/echo)
    # rejected before its response started was logged and counted twice.
    def test_a_rejected_streamed_request_is_counted_once(self):
        with Server() as srv:
            before = srv.get_json("/api/stats")
            s = srv.connect()
            s.sendall(b"POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n")
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            s.close()
            self.assertEqual(status_of(data), 400)
            deadline = time.monotonic() + 30
            while (after := srv.get_json("/api/stats"))["active_connections"] > 1:  # the echo connection ended
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.01)
            self.assertEqual(after["responses"]["4xx"] - before["responses"]["4xx"], 1)


# --- graceful shutdown under load ----------------------------------------------------------------

class Conn:
    """What one client connection did: requests written, complete responses (status, whether it
    said Connection: close, its size in bytes), and how it ended."""

    def __init__(self, index):
        self.index = index
        self.port = None
        self.written = 0
        self.responses = []
        self.partial = b""  # bytes of a response that had started when the connection ended
        self.refused = 0  # requests written that got no byte of a response before the close
        self.end = None  # "closed after Connection: close", "closed", "reset", "done" or "timeout"


async def shutdown_client(port, conn, depth, bound, progress):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.port = sock.getsockname()[1]
    await progress.ready()
    buf = b""
    outstanding = 0
    closing = False  # a response said Connection: close: write nothing more
    try:
        while True:
            while outstanding < depth and conn.written < bound and not closing:
                # Alternate a synchronous handler and a 50 ms asynchronous one.
                path = b"/api/sleep?ms=50" if (conn.index + conn.written) % 2 else b"/plaintext"
                writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n")
                conn.written += 1
                outstanding += 1
            if outstanding == 0:
                conn.end = "done" if not closing else "closed after Connection: close"
                break
            await writer.drain()
            while (r := parse_response(buf)) is None:
                data = await asyncio.wait_for(reader.read(65536), timeout=30)
                if not data:
                    raise EOFError
                buf += data
            n, status, headers = r
            buf = buf[n:]
            outstanding -= 1
            said_close = headers.get("connection", "").lower() == "close"
            conn.responses.append((status, said_close, n))
            closing = closing or said_close
            progress.response()
    except (EOFError, ConnectionError) as e:
        conn.end = "reset" if isinstance(e, ConnectionResetError) else "closed"
        if closing and outstanding and not buf:
            conn.end = "closed after Connection: close"
        conn.partial = buf
        if not buf:
            conn.refused = outstanding
    except asyncio.TimeoutError:
        conn.end = "timeout"
        conn.partial = buf
    finally:
        writer.close()


def read_access_log(path, stderr):
    """The JSON access log's rows, checked against the server's own count at exit ("stopped after N
    requests", same counter): equal, so no line was dropped and the rows are every request handled."""
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    m = re.search(r"stopped after (\d+) requests", stderr)
    if m is None:
        raise AssertionError("no request count at exit: %r" % stderr)
    if int(m.group(1)) != len(rows):
        raise AssertionError("access-log lines were dropped (%s counted, %d logged): the comparison would be void"
                             % (m.group(1), len(rows)))
    return rows


class GracefulShutdown(unittest.TestCase):
    """Words: the server *handled* a request when it logged it (access log = /api/stats `requests`;
    `bytes` = what it wrote of the response); it *sent* the response when bytes > 0 (async_write
    writes all or fails). A request is *refused* when the client saw the connection end without a
    byte of its response: legitimate at shutdown if the server did not handle it. A response is
    *lost* when the server sent it but the client did not receive it complete."""

    CONNECTIONS = 64
    PIPELINED_EVERY = 8  # every 8th connection keeps two requests in flight
    BOUND = 300  # requests per connection at most: the access log's queue (65 536 lines) never overruns
    SIGNAL_AFTER = 1500  # complete responses before the signal
    DRAIN = 5.0  # --drain-timeout, s; the shutdown must finish before it (nothing left to cancel)

    def test_sigterm_under_load_loses_no_response_and_exits_0(self):
        self.check(signal.SIGTERM)

    def test_sigint_under_load_with_two_shards_loses_no_response_and_exits_0(self):
        self.check(signal.SIGINT, "--threads", "2")

    def check(self, sig, *args):
        with tempfile.TemporaryDirectory() as d:
            log_path = os.path.join(d, "access.log")
            with Server("--log-level", "info", "--access-log-format", "json", "--drain-timeout", "%gs" % self.DRAIN,
                        *args, access_log=log_path) as srv:
                conns, signalled, exited = self._run_load(srv, sig)
                status = srv.proc.wait(timeout=60)
                log = read_access_log(log_path, exit_log(srv))

        by_port = collections.defaultdict(list)
        for e in log:
            by_port[int(e["remote"].rsplit(":", 1)[1])].append(e)
        self.assertEqual(set(by_port) - {c.port for c in conns}, set())

        lost, mismatched, unanswered = [], [], []
        for c in conns:
            handled = sorted(by_port.get(c.port, []), key=lambda e: e["req"])
            sent = [e for e in handled if e["bytes"] > 0]
            # Handled, never sent (see ShutdownRace): must not happen.
            unanswered += [(c.index, e["req"], e["target"]) for e in handled if e["bytes"] == 0]
            if handled[len(sent):] != [e for e in handled if e["bytes"] == 0]:
                mismatched.append((c.index, "a response was sent after one that was not", handled))
            if len(sent) > len(c.responses):
                lost.append((c.index, [(e["req"], e["target"], e["status"], e["bytes"]) for e in sent[len(c.responses):]]))
            if len(c.responses) > len(sent):
                mismatched.append((c.index, "the client received more than the server sent", len(c.responses), len(sent)))
            for e, (st, _, size) in zip(sent, c.responses):
                if (e["status"], e["bytes"]) != (st, size):
                    mismatched.append((c.index, e, st, size))

        written = sum(c.written for c in conns)
        received = sum(len(c.responses) for c in conns)
        refused = sum(c.refused for c in conns)
        partial = [(c.index, c.partial[:80]) for c in conns if c.partial]
        said_close = sum(1 for c in conns for r in c.responses if r[1])
        ends = collections.Counter(c.end for c in conns)
        report("%s, %s: %d clients (%d pipelined), %d requests written, %d complete responses "
               "received, %d refused, %d torn; %d said Connection: close; ends %s"
               % (signal.Signals(sig).name, " ".join(args) or "--threads 1", len(conns),
                  sum(1 for c in conns if c.index % self.PIPELINED_EVERY == self.PIPELINED_EVERY - 1),
                  written, received, refused, len(partial), said_close, dict(ends)))
        report("server: %d handled (= its count at exit), %d sent, %d handled but never sent; lost %d; "
               "signal after %d responses, exit %d %.2f s later"
               % (len(log), sum(1 for e in log if e["bytes"] > 0), len(unanswered), sum(len(x[1]) for x in lost),
                  signalled[1], status, exited - signalled[0]))
        self.assertEqual(lost, [])
        self.assertEqual(unanswered, [])  # every request the server handled was answered
        self.assertEqual(mismatched, [])
        self.assertEqual(partial, [])  # a response that had started was completed
        self.assertEqual(written, received + refused)
        self.assertNotIn("timeout", ends)
        self.assertEqual(status, 0)
        self.assertLess(exited - signalled[0], self.DRAIN)
        self.assertGreater(said_close, 0)  # requests in flight at the signal were answered, with Connection: close
        self.assertTrue(all(st == 200 for c in conns for st, _, _ in c.responses))

    def _run_load(self, srv, sig):
        conns = [Conn(i) for i in range(self.CONNECTIONS)]
        signalled = [None, None]  # when the signal was sent, and after how many responses
        exited = [None]

        def wait_exit():
            srv.proc.wait(timeout=60)
            exited[0] = time.monotonic()

        class Progress:
            def __init__(self):
                self.connected = 0
                self.all_connected = asyncio.Event()
                self.responses = 0

            async def ready(self):
                # Every connection is open before any request: none is refused by the closed listener.
                self.connected += 1
                if self.connected == len(conns):
                    self.all_connected.set()
                await self.all_connected.wait()

            def response(self):
                self.responses += 1
                if self.responses == GracefulShutdown.SIGNAL_AFTER:
                    signalled[:] = [time.monotonic(), self.responses]
                    srv.proc.send_signal(sig)
                    threading.Thread(target=wait_exit, daemon=True).start()

        async def main():
            progress = Progress()
            await asyncio.wait_for(asyncio.gather(*(
                shutdown_client(srv.port, c, 2 if c.index % self.PIPELINED_EVERY == self.PIPELINED_EVERY - 1 else 1,
                                self.BOUND, progress) for c in conns)), timeout=120)

        asyncio.run(main())
        self.assertIsNotNone(signalled[0], "the load ended before the signal was sent")
        srv.proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while exited[0] is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return conns, signalled, exited[0]


class ShutdownRace(unittest.TestCase):
    """SIGTERM while 256 clients each send their next request the moment a response is in."""

    @classmethod
    def setUpClass(cls):
        cls.rounds = []  # (handled, received, handled but never sent), one per server
        # The race below is timing-dependent (about 1 round in 10 shows none): up to 6 rounds, until
        # one shows it. A fixed server passes all 6.
        for _ in range(6):
            with tempfile.TemporaryDirectory() as d:
                log_path = os.path.join(d, "access.log")
                with Server("--log-level", "info", "--access-log-format", "json", access_log=log_path) as srv:
                    received = blast_then_signal(srv, connections=256, signal_after=5000)
                    status = srv.proc.wait(timeout=60)
                    if status != 0:
                        raise AssertionError("exit status %d" % status)
                    log = read_access_log(log_path, exit_log(srv))
            cls.rounds.append((len(log), received, sum(1 for e in log if e["bytes"] == 0)))
            if cls.rounds[-1][2]:
                break
        report("fast clients: (handled, received, handled but never sent) per round: %s" % cls.rounds)

    def test_every_response_sent_arrives(self):
        self.assertEqual([h - u for h, _, u in self.rounds], [r for _, r, _ in self.rounds])

    # Was a server bug (found by this test): on shutdown, a connection idle with an empty buffer was
    # closed, but a read may already have taken the next request from the kernel (its completion
    # queued): the request was then handled (logged, counted 200) and its response never sent.
    # It needs clients that send each next request at once, on many connections.
    def test_a_request_read_as_the_shutdown_begins_is_answered(self):
        self.assertEqual([u for _, _, u in self.rounds], [0] * 6)


def blast_then_signal(srv, connections, signal_after, bound_s=30):
    """Keep-alive GET /plaintext on `connections` sockets, each sending its next request as soon as
    a response is in (one thread, non-blocking sockets: fast enough to keep the server busy);
    SIGTERM after `signal_after` responses; returns the complete responses received."""
    sel = selectors.DefaultSelector()
    socks = [srv.connect() for _ in range(connections)]
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    bufs = [b""] * connections
    received = 0
    for s in socks:
        s.send(PLAINTEXT)
    deadline = time.monotonic() + bound_s
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            i = key.data
            try:
                data = socks[i].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(socks[i])
                continue
            bufs[i] += data
            while (r := parse_response(bufs[i])) is not None:
                bufs[i] = bufs[i][r[0]:]
                received += 1
                if received == signal_after:
                    srv.proc.send_signal(signal.SIGTERM)
                try:
                    socks[i].send(PLAINTEXT)
                except OSError:
                    pass  # closed by the server: the selector reports it
    sel.close()
    for s in socks:
        s.close()
    if received < signal_after:
        raise AssertionError("the load ended before the signal was sent")
    return received


if __name__ == "__main__":
    harness.parse_args()
    unittest.main(verbosity=2)
