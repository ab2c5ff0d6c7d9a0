"""corio-serve over real sockets: curl, Python's http.client, raw sockets.

Run: test_http.py --server build/apps/serve/corio-serve [-k pattern]
"""
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import Server, closed_by_peer, read_response


def curl(*args, timeout=60):
    r = subprocess.run(["curl", "-s", "--max-time", "30", *args], capture_output=True, timeout=timeout)
    return r.stdout


class Basics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A long request timeout: sanitizer builds run /api/cpu many times slower.
        cls.server = Server("--request-timeout", "5m", "--debug-tasks").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def test_plaintext_and_json_with_curl(self):
        out = curl("-i", self.server.url + "/plaintext").decode()
        self.assertTrue(out.startswith("HTTP/1.1 200 OK"), out)
        self.assertIn("Content-Length: 13", out)
        self.assertTrue(out.endswith("Hello, World!"))
        self.assertEqual(json.loads(curl(self.server.url + "/json")), {"message": "Hello, World!"})

    def test_keep_alive_with_http_client_uses_one_connection(self):
        before = self.server.get_json("/api/stats")["connections_total"]
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        for _ in range(50):
            conn.request("GET", "/plaintext")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"Hello, World!")
        conn.close()
        after = self.server.get_json("/api/stats")["connections_total"]
        self.assertEqual(after - before, 2)  # the 50 requests, and the stats request itself

    def test_pipelined_requests_come_back_in_order(self):
        s = self.server.connect()
        s.sendall(b"GET /api/sleep?ms=200 HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET /api/fanout?n=3&ms=30 HTTP/1.1\r\nHost: t\r\n\r\n")
        first, second, third = read_response(s), read_response(s), read_response(s)
        self.assertEqual(json.loads(first[2]), {"slept_ms": 200})
        self.assertEqual(second[2], b"Hello, World!")
        self.assertEqual(json.loads(third[2])["max_ms"], 30)
        s.close()

    def test_fanout_total_is_the_longest_not_the_sum(self):
        r = self.server.get_json("/api/fanout?n=50&ms=400")
        self.assertEqual(r["max_ms"], 400)
        self.assertEqual(r["sum_ms"], sum(400 * (i + 1) // 50 for i in range(50)))
        self.assertGreaterEqual(r["elapsed_ms"], 400)
        self.assertLess(r["elapsed_ms"], 3000)  # far below the sum (10 200 ms)

    def test_timeout_endpoint_gives_504_only_over_the_limit(self):
        out = curl("-i", self.server.url + "/api/timeout?ms=500&limit=100").decode()
        self.assertTrue(out.startswith("HTTP/1.1 504"), out)
        self.assertEqual(json.loads(curl(self.server.url + "/api/timeout?ms=10&limit=1000"))["completed"], True)
        self.assertIn(b"400", curl("-i", self.server.url + "/api/timeout?ms=abc"))

    def test_thousand_concurrent_sleeps_finish_together(self):
        socks = [self.server.connect() for _ in range(300)]
        start = time.monotonic()
        for s in socks:
            s.sendall(b"GET /api/sleep?ms=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
        for s in socks:
            self.assertEqual(read_response(s)[0], 200)
            s.close()
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 1.0)
        self.assertLess(took, 10.0)  # concurrent: not 300 s

    def test_cpu_work_on_the_thread_pool_leaves_the_loop_responsive(self):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            busy = pool.submit(self.server.get_json, "/api/cpu?n=30000000", 300)
            time.sleep(0.05)
            worst = 0.0
            while not busy.done():
                t0 = time.monotonic()
                self.assertEqual(curl(self.server.url + "/plaintext"), b"Hello, World!")
                worst = max(worst, time.monotonic() - t0)
            self.assertEqual(busy.result()["primes_below_n"], 1857859)
        self.assertLess(worst, 2.0)  # the CPU work took longer; plaintext never waited for it

    def test_echo_streams_a_chunked_upload_and_curl_expect_continue_works(self):
        data = os.urandom(300_000)
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            # -T with a file of unknown length via stdin: chunked upload
            r = subprocess.run(["curl", "-s", "--max-time", "30", "-T", "-", "-X", "POST", self.server.url + "/api/echo"],
                               input=data, capture_output=True, timeout=60)
            self.assertEqual(r.stdout, data)
            # a sized upload over 1 KiB: curl sends Expect: 100-continue
            out = curl("--data-binary", "@" + f.name, "-H", "Content-Type: application/x-test", self.server.url + "/api/echo")
            self.assertEqual(out, data)

    def test_head_and_method_errors(self):
        out = curl("-I", self.server.url + "/json").decode()
        self.assertIn("Content-Length: 27", out)
        self.assertIn(b"405", curl("-i", "-X", "DELETE", self.server.url + "/json"))
        self.assertIn(b"Allow: GET, HEAD", curl("-i", "-X", "DELETE", self.server.url + "/json"))
        self.assertIn(b"404", curl("-i", self.server.url + "/api/nothing"))

    def test_stats_and_debug_tasks(self):
        stats = self.server.get_json("/api/stats")
        for key in ("requests", "active_connections", "live_tasks", "latency", "connections_total"):
            self.assertIn(key, stats)
        self.assertIn("p99_us", stats["latency"])
        tasks = self.server.get_json("/debug/tasks")  # (this server runs with --debug-tasks)
        names = [t["name"] for t in tasks["tasks"]]
        self.assertIn("accept 0", names)
        self.assertTrue(any(n.startswith("conn 127.0.0.1:") for n in names), names)
        self.assertIn(b"live tasks", curl(self.server.url + "/debug/tasks?format=text"))
        # Off by default; with a token, refused without it (its success: unit test serve_endpoints).
        with Server() as s:
            self.assertIn(b"404", curl("-i", s.url + "/debug/tasks"))
        with Server("--debug-token", "a-token-of-16-chars") as s:
            self.assertIn(b"401", curl("-i", s.url + "/debug/tasks"))


class BadInput(unittest.TestCase):
    """Each case: its status, Connection: close, and the connection closed; the server lives on."""

    CASES = [
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        (b"POST /api/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n", 400),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400),
        (b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", 400),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 400),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + b"e" * 5000 + b"\r\nx\r\n0\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: " + b"t" * 30000 + b"\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n", 431),
        (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + os.urandom(64), 400),  # a TLS ClientHello
    ]

    @classmethod
    def setUpClass(cls):
        cls.server = Server().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def test_each_case_gets_its_status_and_a_closed_connection(self):
        for raw, status in self.CASES:
            with self.subTest(raw=raw[:60]):
                s = self.server.connect()
                s.sendall(raw)
                r = read_response(s)
                self.assertIsNotNone(r, "no response")
                self.assertEqual(r[0], status, r)
                self.assertEqual(r[1].get("connection"), "close")
                self.assertTrue(closed_by_peer(s))
                s.close()
        self.assertEqual(curl(self.server.url + "/plaintext"), b"Hello, World!")

    def test_random_bytes_never_crash_the_server(self):
        rng = __import__("random").Random(6)
        for i in range(100):
            s = self.server.connect()
            try:
                s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) + b"\r\n\r\n")
                s.shutdown(socket.SHUT_WR)
                self.assertTrue(closed_by_peer(s), "case %d" % i)
            except (BrokenPipeError, ConnectionResetError):
                pass  # rejected before we finished sending
            s.close()
        self.assertEqual(curl(self.server.url + "/plaintext"), b"Hello, World!")

    def test_a_half_open_client_with_a_partial_request_gets_400(self):
        s = self.server.connect()
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n")
        s.shutdown(socket.SHUT_WR)
        r = read_response(s)
        self.assertEqual(r[0], 400)
        self.assertTrue(closed_by_peer(s))
        s.close()

    def test_curl_oversized_header_and_body(self):
        out = curl("-i", "-H", "X-Big: " + "a" * 10000, self.server.url + "/plaintext")
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:100])
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"x" * (2 * 1024 * 1024))
            f.flush()
            out = curl("-i", "--data-binary", "@" + f.name, self.server.url + "/api/echo")
            self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:100])


class SlowClients(unittest.TestCase):
    def test_slow_clients_are_dropped_and_others_are_unaffected(self):
        with Server("--header-timeout", "1s", "--idle-timeout", "2s", "--body-timeout", "1s") as srv:
            trickler = srv.connect()
            trickler.sendall(b"GET /plaintext HTTP/1.1\r\n")
            idle = srv.connect()
            body = srv.connect()
            body.sendall(b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part")
            start = time.monotonic()
            done = threading.Event()

            def trickle():
                try:
                    while not done.is_set():
                        trickler.sendall(b"X: y\r\n")
                        time.sleep(0.2)
                except OSError:
                    pass

            t = threading.Thread(target=trickle)
            t.start()
            # Meanwhile a normal client is served at once, several times.
            for _ in range(5):
                t0 = time.monotonic()
                self.assertEqual(curl(srv.url + "/plaintext"), b"Hello, World!")
                self.assertLess(time.monotonic() - t0, 1.0)
            self.assertTrue(closed_by_peer(body, timeout=10))
            self.assertTrue(closed_by_peer(idle, timeout=10))
            done.set()
            t.join(timeout=10)
            took = time.monotonic() - start
            self.assertLess(took, 8.0)
            trickler.settimeout(10)
            self.assertTrue(closed_by_peer(trickler, timeout=10))
            for s in (trickler, idle, body):
                s.close()


    def test_a_reader_slower_than_the_server_gets_every_pipelined_response_whole_and_in_order(self):
        # Responses are written without waiting while the socket takes them, and by waiting writes
        # once it is full. 12,000 pipelined requests to a client with a 4 KiB receive buffer that
        # reads one byte at a time: far more response bytes than the buffers hold, so writes meet a
        # full socket and go on as the client reads. Every 200th asks /debug/tasks, which lists the
        # 300 idle connections held open here (~45 KB: written in parts).
        with Server("--debug-tasks") as srv:
            idle = [srv.connect() for _ in range(300)]
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(60)
            s.connect(("127.0.0.1", srv.port))

            def path(i):
                if i % 200 == 0:
                    return "/debug/tasks"
                if i % 100 == 0:
                    return f"/api/cpu?n={i}"
                return "/json" if i % 2 else "/plaintext"
            paths = [path(i) for i in range(1, 12001)]
            payload = b"".join(f"GET {p} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for p in paths)
            sender = threading.Thread(target=s.sendall, args=(payload,))
            sender.start()
            for i, p in enumerate(paths, start=1):
                status, _, body = read_response(s)
                self.assertEqual(status, 200, p)
                if p == "/plaintext":
                    self.assertEqual(body, b"Hello, World!")
                elif p == "/json":
                    self.assertEqual(json.loads(body), {"message": "Hello, World!"})
                elif p == "/debug/tasks":
                    self.assertGreater(len(body), 30000)
                    self.assertGreaterEqual(body.count(b"127.0.0.1:"), 300)
                else:
                    self.assertEqual(json.loads(body)["n"], i, p)
            sender.join(timeout=60)
            self.assertFalse(sender.is_alive())
            for c in idle + [s]:
                c.close()


class StaticFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        os.makedirs(os.path.join(cls.dir, "docs"))
        with open(os.path.join(cls.dir, "index.html"), "w") as f:
            f.write("<a href='docs/'>docs</a>")
        with open(os.path.join(cls.dir, "docs", "index.html"), "w") as f:
            f.write("docs page")
        with open(os.path.join(cls.dir, "data.json"), "w") as f:
            f.write('{"a": 1}')
        cls.server = Server("--static", cls.dir).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        shutil.rmtree(cls.dir)

    def test_files_types_etags_and_304(self):
        out = curl("-i", self.server.url + "/data.json").decode()
        self.assertIn("Content-Type: application/json", out)
        etag = [l.split(": ", 1)[1].strip() for l in out.split("\r\n") if l.lower().startswith("etag:")][0]
        self.assertTrue(out.endswith('{"a": 1}'))
        again = curl("-i", "-H", "If-None-Match: " + etag, self.server.url + "/data.json").decode()
        self.assertTrue(again.startswith("HTTP/1.1 304"), again)
        self.assertEqual(curl(self.server.url + "/"), b"<a href='docs/'>docs</a>")
        head = curl("-I", self.server.url + "/docs/").decode()
        self.assertIn("Content-Length: 9", head)

    def test_directory_redirect_and_traversal(self):
        out = curl("-i", self.server.url + "/docs").decode()
        self.assertTrue(out.startswith("HTTP/1.1 301"), out)
        self.assertIn("Location: /docs/", out)
        for target in (b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/docs/..%2f..%2fetc%2fpasswd", b"/.hidden"):
            s = self.server.connect()
            s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(read_response(s)[0], 404, target)
            s.close()

    def test_the_dashboard_stays_at_dashboard(self):
        self.assertIn(b"corio-serve", curl(self.server.url + "/dashboard/"))


class Shutdown(unittest.TestCase):
    def test_sigterm_lets_requests_in_flight_finish_then_exits_0(self):
        with Server() as srv:
            busy = srv.connect()
            busy.sendall(b"GET /api/sleep?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n")
            idle = srv.connect()
            idle.sendall(b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(read_response(idle)[0], 200)
            time.sleep(0.3)  # the sleep request is in flight on the server by now (1.5 s of it left)
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(closed_by_peer(idle, timeout=5))  # idle: closed at once
            r = read_response(busy)
            self.assertEqual(r[0], 200)
            self.assertEqual(r[1].get("connection"), "close")
            self.assertEqual(srv.proc.wait(timeout=30), 0)
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            busy.close()
            idle.close()

    def test_the_drain_deadline_cancels_what_is_left(self):
        with Server("--drain-timeout", "500ms") as srv:
            busy = srv.connect()
            busy.sendall(b"GET /api/sleep?ms=60000 HTTP/1.1\r\nHost: t\r\n\r\n")
            time.sleep(0.2)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGINT)
            self.assertIsNone(read_response(busy))  # closed without a response
            self.assertEqual(srv.proc.wait(timeout=30), 0)
            self.assertLess(time.monotonic() - t0, 10)
            busy.close()


class CommandLine(unittest.TestCase):
    def test_help_bad_arguments_and_a_port_in_use(self):
        r = subprocess.run([harness.SERVER, "--help"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--max-header-bytes", r.stdout)
        r = subprocess.run([harness.SERVER, "--port", "http"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        # One line saying what is wrong, then where to look (not the whole help).
        self.assertEqual(r.stderr.decode().splitlines(),
                         ["corio-serve: --port: expected a whole number up to 65535, got 'http'",
                          "Try 'corio-serve --help' for more information."])
        r = subprocess.run([harness.SERVER, "--bogus"], capture_output=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr.decode()),
                         (2, "corio-serve: unknown option '--bogus'\nTry 'corio-serve --help' for more information.\n"))
        for flag in ("--version", "-V"):
            r = subprocess.run([harness.SERVER, flag], capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0)
            self.assertRegex(r.stdout.decode(), r"^corio-serve \d+\.\d+\.\d+\n$")
            self.assertEqual(r.stderr, b"")
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        r = subprocess.run([harness.SERVER, "--port", str(port)], capture_output=True, timeout=30)
        holder.close()
        self.assertEqual(r.returncode, 1)
        lines = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("cannot listen on 127.0.0.1:%d" % port, lines[0])
        self.assertIn("in use", lines[0])

    def test_json_access_log_has_one_object_per_request(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "access.log")
            with Server("--access-log-format", "json", access_log=path) as srv:
                curl(srv.url + "/plaintext")
                curl(srv.url + "/nope")
                self.assertEqual(srv.stop(), 0)
            with open(path) as f:
                lines = [json.loads(l) for l in f if l.strip()]
            self.assertEqual([(l["target"], l["status"]) for l in lines], [("/plaintext", 200), ("/nope", 404)])
            for key in ("ts_ms", "remote", "method", "bytes", "us", "conn", "req"):
                self.assertIn(key, lines[0])


    def test_the_access_log_names_each_connection_and_its_requests(self):
        # conn/req come from the connection task's context: two requests on one keep-alive
        # connection are req 1 and 2 of one conn, a second connection has its own id.
        import http.client
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "access.log")
            with Server("--access-log-format", "json", access_log=path) as srv:
                c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
                for target in ("/plaintext", "/nope"):
                    c.request("GET", target)
                    c.getresponse().read()
                c.close()
                curl(srv.url + "/plaintext?second")
                self.assertEqual(srv.stop(), 0)
            with open(path) as f:
                lines = [json.loads(l) for l in f if l.strip()]
            self.assertEqual([l["target"] for l in lines], ["/plaintext", "/nope", "/plaintext?second"])
            self.assertEqual([l["req"] for l in lines], [1, 2, 1])
            self.assertEqual(lines[0]["conn"], lines[1]["conn"])
            self.assertNotEqual(lines[0]["conn"], lines[2]["conn"])
            self.assertTrue(all(l["conn"] > 0 for l in lines), lines)

    def test_the_default_access_log_is_nginx_combined(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "access.log")
            with Server(access_log=path) as srv:
                curl("-A", 'agent "quoted"', "-e", "http://ref.example/", srv.url + "/plaintext?x=1")
                curl(srv.url + "/nope")
                self.assertEqual(srv.stop(), 0)
            with open(path) as f:
                lines = f.read().splitlines()
            pattern = (r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                       r'"GET (\S+) HTTP/1\.1" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$')
            import re
            m = [re.match(pattern, l) for l in lines]
            self.assertTrue(all(m), lines)
            self.assertEqual([(x.group(1), x.group(2)) for x in m], [("/plaintext?x=1", "200"), ("/nope", "404")])
            self.assertEqual(m[0].group(4), "http://ref.example/")
            self.assertEqual(m[0].group(5), "agent \\x22quoted\\x22")  # quotes escaped as nginx does
            self.assertEqual(m[1].group(4), "-")


    def wait_for_lines(self, path, n, timeout=20):
        """The complete lines of `path` once it holds `n` of them (the server still running)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    text = f.read()
                if text.endswith("\n") and len(text.splitlines()) >= n:
                    return text.splitlines()
            time.sleep(0.05)
        self.fail("%s holds %r, not %d complete lines, %d s on" % (path, text, n, timeout))

    def test_access_log_lines_reach_the_file_while_the_server_runs(self):
        # Flushed every second: no line waits in a buffer for the next ones or for the exit.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "access.log")
            with Server(access_log=path) as srv:
                for _ in range(3):
                    curl(srv.url + "/plaintext")
                lines = self.wait_for_lines(path, 3)
                self.assertEqual(len(lines), 3, lines)
                self.assertTrue(all('"GET /plaintext HTTP/1.1" 200' in l for l in lines), lines)
                self.assertIsNone(srv.proc.poll())
                self.assertEqual(srv.stop(), 0)

    def test_sighup_reopens_the_access_log_as_logrotate_expects(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "access.log")
            with Server(access_log=path) as srv:
                curl("-A", "before", srv.url + "/plaintext")
                self.wait_for_lines(path, 1)
                os.rename(path, path + ".1")  # logrotate's move, then its postrotate signal
                srv.proc.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 20
                while not os.path.exists(path) and time.monotonic() < deadline:
                    time.sleep(0.05)
                curl("-A", "after", srv.url + "/plaintext")
                after = self.wait_for_lines(path, 1)
                self.assertEqual(len(after), 1, after)
                self.assertIn('"after"', after[0])
                with open(path + ".1") as f:
                    before = f.read().splitlines()
                self.assertEqual(len(before), 1, before)
                self.assertIn('"before"', before[0])
                self.assertEqual(srv.stop(), 0)

    def test_sighup_never_ends_the_server_and_a_failed_reopen_is_reported(self):
        with Server() as srv:  # no access log: SIGHUP is still handled
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(curl(srv.url + "/plaintext"))
            self.assertIsNone(srv.proc.poll())
        with tempfile.TemporaryDirectory() as d:
            logs = os.path.join(d, "logs")
            os.mkdir(logs)
            path = os.path.join(logs, "access.log")
            with Server(access_log=path) as srv:
                curl("-A", "one", srv.url + "/plaintext")
                self.wait_for_lines(path, 1)
                os.rename(logs, logs + ".old")
                open(logs, "w").close()  # a file where the directory was: the reopen fails
                srv.proc.send_signal(signal.SIGHUP)
                err = b""
                os.set_blocking(srv.proc.stderr.fileno(), False)
                deadline = time.monotonic() + 20
                while b"could not be reopened" not in err and time.monotonic() < deadline:
                    err += srv.proc.stderr.read() or b""
                    time.sleep(0.05)
                os.set_blocking(srv.proc.stderr.fileno(), True)
                self.assertIn(b"the access log could not be reopened", err)
                curl("-A", "lost", srv.url + "/plaintext")  # (no file to go to)
                self.assertTrue(curl(srv.url + "/plaintext"))  # still serving
                os.remove(logs)
                os.mkdir(logs)
                srv.proc.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 20
                while not os.path.exists(path) and time.monotonic() < deadline:
                    time.sleep(0.05)
                curl("-A", "three", srv.url + "/plaintext")
                self.assertIn('"three"', self.wait_for_lines(path, 1)[-1])
                self.assertEqual(srv.stop(), 0)


    def test_events_stream_one_chunked_json_event_a_second_and_end_at_shutdown(self):
        with Server() as srv:
            s = srv.connect()
            s.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            deadline = time.monotonic() + 30
            while data.count(b"data: ") < 2 and time.monotonic() < deadline:
                data += s.recv(65536)
            head, body = data.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
            for line in (b"Content-Type: text/event-stream", b"Transfer-Encoding: chunked",
                         b"Cache-Control: no-cache", b"Connection: close"):
                self.assertIn(b"\r\n" + line + b"\r\n", head + b"\r\n")
            self.assertEqual(srv.stop(), 0)  # graceful: the stream ends with its last chunk
            s.settimeout(30)
            while True:
                more = s.recv(65536)
                if not more:
                    break
                body += more
            events = []
            while True:  # every chunk is one whole event
                size, rest = body.split(b"\r\n", 1)
                n = int(size, 16)
                if n == 0:
                    self.assertEqual(rest, b"\r\n")
                    break
                event, body = rest[:n], rest[n + 2:]
                self.assertEqual(rest[n:n + 2], b"\r\n")
                self.assertTrue(event.startswith(b"data: ") and event.endswith(b"\n\n"), event)
                events.append(json.loads(event[len(b"data: "):]))
            self.assertGreaterEqual(len(events), 2)
            for e in events:
                for key in ("rps", "window_p99_us", "requests", "live_tasks", "chat_members", "ts"):
                    self.assertIn(key, e)
                self.assertNotIn("task_tree", e)  # /debug/tasks is off: so is the tree

    def first_event(self, srv, extra_head=b""):
        s = srv.connect()
        s.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_head + b"\r\n")
        data = b""
        deadline = time.monotonic() + 30
        while b"\n\n" not in data.split(b"data: ", 1)[-1] or b"data: " not in data:
            self.assertLess(time.monotonic(), deadline)
            data += s.recv(65536)
        s.close()
        event = data.split(b"data: ", 1)[1].split(b"\n\n", 1)[0]
        return json.loads(event)

    def test_the_events_carry_the_task_tree_for_those_who_may_see_debug_tasks_only(self):
        with Server("--debug-tasks") as srv:
            e = self.first_event(srv)
            names = [t["name"] for t in e["task_tree"]]
            self.assertIn("main", names)
            self.assertTrue(any(n.startswith("conn 127.0.0.1:") for n in names), names)  # the stream's own
            self.assertEqual(e["task_count"], len(e["task_tree"]))
        token = "t0ken-of-sixteen-chars"
        with Server("--debug-token", token) as srv:
            self.assertNotIn("task_tree", self.first_event(srv))
            self.assertNotIn("task_tree", self.first_event(srv, b"Authorization: Bearer wrong-token-wrong-token\r\n"))
            e = self.first_event(srv, b"Authorization: Bearer " + token.encode() + b"\r\n")
            self.assertIn("task_tree", e)


class Threads(unittest.TestCase):
    def check(self, *args):
        with Server("--threads", "2", *args) as srv:
            self.assertEqual(srv.get_json("/api/stats")["shards"], 2)

            def one(_):
                c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
                for _ in range(20):
                    c.request("GET", "/json")
                    r = c.getresponse()
                    assert r.status == 200 and r.read() == b'{"message":"Hello, World!"}'
                c.close()
                return True

            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                self.assertTrue(all(pool.map(one, range(40))))
            self.assertGreaterEqual(srv.get_json("/api/stats")["requests"], 800)
            self.assertEqual(srv.stop(), 0)

    def test_two_shards_with_so_reuseport(self):
        self.check("--acceptor", "reuseport")

    def test_two_shards_with_one_listener(self):
        self.check("--acceptor", "single")


if __name__ == "__main__":
    harness.parse_args()
    unittest.main(verbosity=2)
