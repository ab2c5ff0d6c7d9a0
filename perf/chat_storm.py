#!/usr/bin/python3
"""A join storm in corio-serve's chat room, side by side for one or more server binaries.

    perf/chat_storm.py --server BIN [--server OTHER_BIN ...] [--members 3000] [--rounds 3]

Each round starts each server in turn (alternating, so a noisy machine hits them alike) on a free
127.0.0.1 port and then:
  - a watcher joins /ws/chat and counts the join announcements it receives;
  - a reader thread drains every member's socket (members read as fast as the kernel delivers);
  - a prober (a process of its own) sends GET /plaintext on one keep-alive connection, one
    request after the other 2 ms apart, timing each, for the whole storm;
  - MEMBERS members connect one after the other (handshake sent, the answer read by the reader).
The storm ends when the watcher has seen every join announced, or was itself dropped for being too
slow (bounded by 300 s). Reported per server, medians over the rounds: the seconds until then, the
announcements the watcher received and the joins they announced, the members dropped for being
too slow (/api/stats chat_dropped, the watcher included), and the p50 / p99 of /plaintext during
the storm.
"""
import argparse
import http.client
import json
import os
import re
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

HANDSHAKE = ("GET /ws/chat?name=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


PROBE = """
import http.client, json, sys, threading, time
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
out = []
while not stop.is_set():
    t0 = time.perf_counter()
    c.request("GET", "/plaintext")
    c.getresponse().read()
    out.append(time.perf_counter() - t0)
    time.sleep(0.002)
print(json.dumps(out))
"""


def start(server):
    proc = subprocess.Popen([server, "--host", "127.0.0.1", "--port", "0", "--access-log", "off", "--log-level", "warn"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    m = re.match(rb"listening on 127\.0\.0\.1:(\d+)", proc.stdout.readline())
    if not m:
        proc.kill()
        sys.exit("chat_storm: %s did not start" % server)
    return proc, int(m.group(1))


class Watcher:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.sock.sendall((HANDSHAKE % "watcher").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        self.buf = b""

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the watcher was disconnected")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def event(self):
        while True:
            b0, b1 = self.read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.read(8))[0]
            payload = self.read(n)
            if b0 & 0x0F == 1:
                return json.loads(payload)
            if b0 & 0x0F == 8:
                raise ConnectionError("the watcher got a close frame")


def storm(server, members):
    proc, port = start(server)
    try:
        watcher = Watcher(port)
        first = watcher.event()
        assert first["type"] == "join", first
        sel = selectors.DefaultSelector()
        done = threading.Event()
        lock = threading.Lock()

        def drain():
            while not done.is_set():
                with lock:
                    ready = sel.select(timeout=0.05) if sel.get_map() else []
                for key, _ in ready:
                    try:
                        if not key.fileobj.recv(65536):
                            with lock:
                                sel.unregister(key.fileobj)
                    except OSError:
                        with lock:
                            sel.unregister(key.fileobj)
                if not ready:
                    time.sleep(0.001)

        # The prober is a process of its own: in a thread it would share the interpreter's lock
        # with the reader and time the client, not the server.
        prober = subprocess.Popen([sys.executable, "-c", PROBE, str(port)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)

        watched = {"events": 0, "announced": 0, "dropped": False}
        watcher_done = threading.Event()

        def count(e):
            if e["type"] == "presence":
                return e["joined_count"]
            return int(e["type"] == "join")

        def watch():
            try:
                while watched["announced"] < members:
                    e = watcher.event()
                    if e["type"] != "message":
                        watched["events"] += 1
                        watched["announced"] += count(e)
            except (ConnectionError, OSError):
                watched["dropped"] = True
            watcher_done.set()

        threads = [threading.Thread(target=drain), threading.Thread(target=watch)]
        for t in threads:
            t.start()
        socks = []
        t0 = time.monotonic()
        for i in range(members):
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            s.sendall((HANDSHAKE % ("m%d" % i)).encode())
            s.setblocking(False)
            with lock:
                sel.register(s, selectors.EVENT_READ)
            socks.append(s)
        watcher_done.wait(timeout=300)
        took = time.monotonic() - t0
        done.set()
        watcher.sock.shutdown(socket.SHUT_RDWR)
        for t in threads:
            t.join()
        latencies = json.loads(prober.communicate("stop\n", timeout=120)[0])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/api/stats")
        dropped = json.loads(c.getresponse().read())["chat_dropped"]
        c.close()
        for s in socks:
            s.close()
        watcher.sock.close()
        lat = sorted(latencies)
        return {"took": took, "events": watched["events"], "announced": watched["announced"],
                "watcher_dropped": int(watched["dropped"]), "dropped": dropped,
                "p50": lat[len(lat) // 2] * 1000, "p99": lat[int(len(lat) * 0.99)] * 1000}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", required=True)
    ap.add_argument("--members", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.members * 2 + 100:
        sys.exit("chat_storm: the open-file limit (%d) is too low for %d members" % (hard, args.members))
    results = {s: [] for s in args.server}
    for r in range(args.rounds):
        for s in args.server:
            res = storm(s, args.members)
            print("round %d %s: %s" % (r + 1, s, json.dumps({k: round(v, 2) for k, v in res.items()})), flush=True)
            results[s].append(res)
    print()
    print("| server | members | s until every join was announced | announcements to one member | joins announced to it | dropped | /plaintext p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s, rs in results.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print("| %s | %d | %.2f | %d | %d | %d | %.2f | %.2f |" % (s, args.members, med["took"], med["events"],
                                                                med["announced"], med["dropped"], med["p50"], med["p99"]))


if __name__ == "__main__":
    main()
