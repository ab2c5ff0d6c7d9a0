#!/usr/bin/env python3
"""User-space memory per idle keep-alive connection: start a server, note its RSS, open N
connections to 127.0.0.1 that each make one GET /plaintext and then stay open (idle, keep-alive),
note the RSS again; prints (after - before) / N for each server.

    /usr/bin/python3 perf/idle_conns.py BUILD_DIR [N=10000]

BUILD_DIR holds corio-serve and beast-floor-server (see perf/serve_compare.sh). The aiohttp
server runs on asyncio and on uvloop. Everything is bounded: each server runs for the time it
takes to open N connections and is then stopped.
"""
import os
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (FileNotFoundError, AttributeError):
            pass
    return total


def family(pid):
    """The server and its child processes."""
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [int(k) for k in kids]


def start(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if m:
            return proc, int(m.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"idle_conns: {cmd[0]} did not start")


def open_idle(port, n):
    """N connections, one request each, responses read: then idle. Returns the sockets."""
    request = b"GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n"
    socks = []
    sel = selectors.DefaultSelector()
    pending = 0
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
        pending += 1
        # Keep at most 200 requests in flight: the server answers while we connect.
        while pending > 200 or (i == n - 1 and pending):
            events = sel.select(timeout=30)
            if not events:
                sys.exit("idle_conns: no response within 30 s")
            for key, _ in events:
                data = key.fileobj.recv(4096)
                if not data:
                    sys.exit("idle_conns: the server closed a connection")
                if b"\r\n\r\n" in data:
                    sel.unregister(key.fileobj)
                    pending -= 1
    return socks


def measure(name, cmd, n):
    proc, port = start(cmd)
    try:
        time.sleep(0.5)  # let start-up allocations settle
        before = rss_kib(family(proc.pid))
        socks = open_idle(port, n)
        time.sleep(0.5)
        after = rss_kib(family(proc.pid))
        per = (after - before) * 1024 / n
        print(f"{name:24} {before / 1024:8.1f} {after / 1024:8.1f} {per:10.0f}", flush=True)
        for s in socks:
            s.close()
        return per
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    try:
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    except ValueError:
        n = 0
    if not 1 <= n <= 100000:
        sys.exit("idle_conns: N must be a whole number from 1 to 100000")
    for binary in ("apps/serve/corio-serve", "perf/beast-floor-server"):
        if not os.access(f"{build}/{binary}", os.X_OK):
            sys.exit(f"idle_conns: {build}/{binary} is missing (see perf/serve_compare.sh)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 1024  # this process's sockets; the server inherits the limit for its own
    if soft < want:
        if hard < want:
            sys.exit(f"idle_conns: needs {want} file descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # inherited by the servers
    servers = [
        ("corio-serve", [f"{build}/apps/serve/corio-serve", "--port", "0", "--access-log", "off",
                         "--log-level", "warn", "--max-connections", str(n + 100)]),
        ("beast-floor", [f"{build}/perf/beast-floor-server", "--port", "0"]),
        ("aiohttp (asyncio)", ["/usr/bin/python3", f"{HERE}/aiohttp_server.py", "--port", "0", "--loop", "asyncio"]),
        ("aiohttp (uvloop)", ["/usr/bin/python3", f"{HERE}/aiohttp_server.py", "--port", "0", "--loop", "uvloop"]),
    ]
    print(f"{n} idle keep-alive connections, one request each; server RSS in MiB")
    print(f"{'server':24} {'before':>8} {'after':>8} {'B/conn':>10}")
    for name, cmd in servers:
        measure(name, cmd, n)


if __name__ == "__main__":
    main()
