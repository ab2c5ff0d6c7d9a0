"""Starts corio-serve on 127.0.0.1 with --port 0 and talks to it with real clients.

Every wait is bounded; nothing here sleeps to "let things settle" except where a test measures
real time, and then the bounds are generous.
"""
import base64
import json
import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

SERVER = None  # path of the corio-serve binary, from --server
EXTRA_ARGS = []  # from --server-args "...": given to every server (e.g. "--threads 2" under TSan)
SANITIZER_MARKERS = (b"WARNING: ThreadSanitizer", b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                     b"runtime error:")


def parse_args():
    global SERVER, EXTRA_ARGS
    args = sys.argv[1:]
    if "--server" in args:
        i = args.index("--server")
        SERVER = args[i + 1]
        del args[i:i + 2]
    if "--server-args" in args:
        i = args.index("--server-args")
        EXTRA_ARGS = shlex.split(args[i + 1])
        del args[i:i + 2]
    sys.argv = [sys.argv[0]] + args
    if not SERVER or not os.access(SERVER, os.X_OK):
        sys.exit("usage: %s --server PATH/corio-serve [unittest args]" % sys.argv[0])


class Server:
    """A running corio-serve; use as a context manager."""

    def __init__(self, *args, access_log="off"):
        # A test's own arguments come last: they override EXTRA_ARGS.
        self.args = [SERVER, "--host", "127.0.0.1", "--port", "0", "--access-log", access_log,
                     "--log-level", "warn", *EXTRA_ARGS, *args]
        self.proc = None
        self.port = None
        self.stderr = b""

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.match(rb"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return self
        self.proc.kill()
        raise RuntimeError("corio-serve did not start: %r %r" % (line, self.proc.stderr.read()))

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        rest = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        # A sanitizer report fails the test, even when the test itself went well.
        if any(m in rest for m in SANITIZER_MARKERS):
            raise AssertionError("corio-serve reported a sanitizer finding:\n" + rest.decode(errors="replace"))

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and waits for the exit status."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def get_json(self, path, timeout=30):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return json.loads(r.read())

    def connect(self, timeout=30):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s


def read_response(sock):
    """Reads one HTTP/1.1 response (Content-Length or chunked); returns (status, headers, body).
    Returns None if the connection ended before a status line. Never reads past the response, so
    pipelined responses can be read one after the other."""
    f = sock.makefile("rb", buffering=0)  # unbuffered: a buffered reader would swallow the next response

    def exact(n):
        out = b""
        while len(out) < n:
            chunk = f.read(n - len(out))
            if not chunk:
                raise ConnectionError("the response ended early")
            out += chunk
        return out

    try:
        status_line = f.readline()
    except ConnectionResetError:
        return None
    if not status_line:
        return None
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, v = line.decode("latin-1").split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = exact(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                f.readline()
                break
            body += exact(size)
            f.readline()
    return status, headers, body


def closed_by_peer(sock, timeout=30):
    """True once the peer has closed (EOF or reset) within `timeout`; discards data meanwhile."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class WebSocket:
    """Just enough of RFC 6455 for the chat tests: text frames, close frames."""

    def __init__(self, port, path, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        self.status = int(head.split()[1])
        self.buf = b""

    def send_text(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_close(self, code):
        payload = struct.pack("!H", code)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """('text', str) or ('close', code, reason); pings are answered by ignoring them."""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 1:
                return ("text", payload.decode())
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return ("close", code, payload[2:].decode(errors="replace"))

    def recv_json(self):
        kind, *rest = self.recv()
        if kind != "text":
            raise AssertionError("expected a message, got %s %r" % (kind, rest))
        return json.loads(rest[0])

    def close(self):
        self.sock.close()


def flood_paced(sender, fast, total, burst=32, payload="x" * 3000, timeout=30):
    """Sends `total` chat messages "<n> <payload>" from `sender` in bursts, each burst waiting until
    `fast` (read by a thread of its own) has received the previous ones, so that its own outbox
    never fills. Returns (the texts `fast` received, the reader thread: it ends when `fast` closes).
    Raises AssertionError when `fast` falls `timeout` seconds behind."""
    received = []

    def read():
        try:
            while True:
                m = fast.recv_json()
                if m["type"] == "message":
                    received.append(m["text"])
        except (ConnectionError, OSError, AssertionError):
            pass

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(0, total, burst):
        for j in range(i, min(i + burst, total)):
            sender.send_text("%d %s" % (j, payload))
        deadline = time.monotonic() + timeout
        while len(received) < min(i + burst, total):
            if time.monotonic() > deadline:
                raise AssertionError("the fast member got %d of %d messages" % (len(received), min(i + burst, total)))
            time.sleep(0.01)
    return received, reader
