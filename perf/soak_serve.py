#!/usr/bin/python3
"""The Python half of perf/soak_serve.sh: the clients wrk cannot be, the samples, the report.

    soak_serve.py load --port P --pid PID --seconds S --round R --dir DIR
    soak_serve.py report --dir DIR --minutes M --round R --out FILE

`load` runs for S seconds against corio-serve on 127.0.0.1:P, each kind of client in its own
loop, paced so that the server is never starved of CPU:
  sse      GET /api/events, read two events, disconnect; again
  chat     join /ws/chat, send 10 messages, receive all 10 back (the room echoes to the sender),
           leave with a normal close; again
  api      /api/sleep, /api/fanout and POST /api/echo (random body, compared byte for byte)
           on keep-alive connections; latency measured per request
  vanish   raw sockets that go away mid-request: half a head, half a body (Content-Length and
           chunked), a whole request closed before reading the answer, a reset (SO_LINGER 0)
Every 10 s it samples the server's VmRSS and /api/stats (live tasks, connections); every R
seconds it records the p99 of the api latencies. Then it opens idle keep-alive, SSE and chat
connections, writes DIR/held, and checks how each ends when the script sends SIGTERM: the event
stream with its last chunk, a chat member with close code 1001, the idle connection closed.
Client-side failures are counted by class in DIR/client.json (an unexpected status, a broken
stream, a missing chat message, a timeout...).

`report` reads DIR (the samples, wrk's rounds in DIR/wrk/, the server's log, the shutdown record)
and writes the markdown results table; its exit status is 1 when any criterion fails.
"""
import argparse
import asyncio
import collections
import json
import os
import random
import re
import socket
import statistics
import struct
import sys
import time

# Criteria (see perf/README.md): RSS growth from the end of the warm-up to the end of the run;
# p99 trend (median of the last quarter's rounds over the first quarter's) and spikes (the worst
# round over the median round). p99 below P99_FLOOR_MS counts as P99_FLOOR_MS, so that 0.3 ms
# becoming 0.7 ms on a shared machine is not a trend.
RSS_GROWTH_MAX_PCT = 2.0
P99_TREND_MAX = 2.0
P99_SPIKE_MAX = 10.0
P99_FLOOR_MS = 2.0


def p99(values):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(0.99 * len(v)))]


class Client:
    def __init__(self, a):
        self.a = a
        self.base = f"http://127.0.0.1:{a.port}"
        self.errors = collections.Counter()
        self.examples = {}
        self.ok = collections.Counter()
        self.lat = collections.defaultdict(list)  # kind -> seconds, this interval
        self.stop_at = time.monotonic() + a.seconds
        self.t0 = time.monotonic()
        self.samples = open(os.path.join(a.dir, "samples.jsonl"), "w")
        self.intervals = open(os.path.join(a.dir, "intervals.jsonl"), "w")

    def fail(self, cls, detail):
        self.errors[cls] += 1
        self.examples.setdefault(cls, f"{detail} (t={time.monotonic() - self.t0:.0f}s)")

    def running(self):
        return time.monotonic() < self.stop_at

    async def pause(self, seconds):
        await asyncio.sleep(min(seconds, max(0.0, self.stop_at - time.monotonic())))

    # --- samples ---------------------------------------------------------------------------
    async def sampler(self, session):
        while True:
            t = time.monotonic() - self.t0
            rss = None
            with open(f"/proc/{self.a.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
            with open(f"/proc/{self.a.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
            row = {"t": round(t, 1), "rss_kb": rss, "cpu_s": cpu_s}
            try:
                async with session.get(self.base + "/api/stats") as r:
                    s = await r.json()
                row.update(live_tasks=s["live_tasks"], active_connections=s["active_connections"],
                           chat_members=s["chat_members"], requests=s["requests"], responses=s["responses"])
            except Exception as e:  # noqa: BLE001 - any failure is a client-side error row
                self.fail("stats", repr(e))
            self.samples.write(json.dumps(row) + "\n")
            self.samples.flush()
            if not self.running():
                return
            await self.pause(10)

    async def interval_recorder(self):
        n = 0
        while self.running():
            await self.pause(self.a.round)
            n += 1
            row = {"round": n, "t": round(time.monotonic() - self.t0, 1)}
            for kind, v in sorted(self.lat.items()):
                row[kind] = {"n": len(v), "p99_ms": round(1000 * p99(v), 2) if v else None}
            self.lat = collections.defaultdict(list)
            self.intervals.write(json.dumps(row) + "\n")
            self.intervals.flush()

    # --- clients ---------------------------------------------------------------------------
    async def api_worker(self, session, k):
        import aiohttp
        rnd = random.Random(k)
        while self.running():
            kind = rnd.choice(["sleep", "fanout", "echo"])
            t = time.perf_counter()
            try:
                if kind == "sleep":
                    async with session.get(f"{self.base}/api/sleep?ms={rnd.randint(1, 50)}") as r:
                        await r.read()
                elif kind == "fanout":
                    async with session.get(f"{self.base}/api/fanout?n=8&ms=20") as r:
                        await r.read()
                else:
                    body = rnd.randbytes(rnd.choice([0, 10, 1000, 20000, 65536]))
                    async with session.post(f"{self.base}/api/echo", data=body) as r:
                        got = await r.read()
                    if r.status == 200 and got != body:
                        self.fail("echo_mismatch", f"sent {len(body)} bytes, got {len(got)}")
                        continue
                if r.status != 200:
                    self.fail(f"{kind}_status_{r.status}", f"{kind} answered {r.status}")
                    continue
                self.lat[kind].append(time.perf_counter() - t)
                self.ok[kind] += 1
            except asyncio.TimeoutError:
                self.fail(f"{kind}_timeout", "no answer within 10 s")
            except aiohttp.ClientError as e:
                self.fail(f"{kind}_broken", repr(e))
            await self.pause(0.02)

    async def sse_worker(self, session, k):
        import aiohttp
        while self.running():
            t = time.perf_counter()
            try:
                async with session.get(self.base + "/api/events") as r:
                    if r.status != 200 or not r.headers.get("Content-Type", "").startswith("text/event-stream"):
                        self.fail("sse_status", f"{r.status} {r.headers.get('Content-Type')}")
                    else:
                        events = 0
                        while events < 2:
                            line = await r.content.readline()
                            if not line:
                                self.fail("sse_broken", f"stream ended after {events} events")
                                break
                            if line.startswith(b"data: "):
                                json.loads(line[6:])
                                events += 1
                        else:
                            self.ok["sse"] += 1
                            self.lat["sse_two_events"].append(time.perf_counter() - t)
                    r.close()  # disconnect mid-stream, as a closed browser tab does
            except asyncio.TimeoutError:
                self.fail("sse_timeout", "no event within 10 s")
            except (aiohttp.ClientError, ValueError) as e:
                self.fail("sse_broken", repr(e))
            await self.pause(0.2 + 0.1 * k)

    async def chat_worker(self, session, k):
        import aiohttp
        cycle = 0
        while self.running():
            cycle += 1
            name = f"soak-{k}-{cycle}"
            t = time.perf_counter()
            try:
                async with session.ws_connect(f"{self.base}/ws/chat?name={name}", timeout=10) as ws:
                    want = {f"{name}/{j}" for j in range(10)}
                    done = asyncio.Event()

                    async def reader():
                        async for msg in ws:
                            if msg.type == aiohttp.WSMsgType.TEXT:
                                m = json.loads(msg.data)
                                if m.get("type") == "message" and m.get("from") == name:
                                    want.discard(m["text"])
                                    if not want:
                                        done.set()
                        if not done.is_set():
                            self.fail("chat_closed_early", f"close code {ws.close_code}")
                            done.set()

                    rd = asyncio.create_task(reader())
                    for j in range(10):
                        await ws.send_str(f"{name}/{j}")
                        await asyncio.sleep(0.01)
                    try:
                        await asyncio.wait_for(done.wait(), 5)
                    except asyncio.TimeoutError:
                        self.fail("chat_missing", f"{len(want)} of 10 own messages not received in 5 s")
                    await ws.close()
                    await asyncio.wait_for(rd, 5)
                    if not want:
                        self.ok["chat"] += 1
                        self.lat["chat_cycle"].append(time.perf_counter() - t)
            except asyncio.TimeoutError:
                self.fail("chat_timeout", "no close within 5 s")
            except (aiohttp.ClientError, ValueError) as e:
                self.fail("chat_broken", repr(e))
            await self.pause(0.1 + 0.1 * k)

    async def vanish_worker(self):
        port = self.a.port
        kinds = {
            "half_head": b"GET /plaintext HTTP/1.1\r\nHost: soak\r\nUser-Agent: x",
            "half_body": b"POST /api/echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 10000\r\n\r\n" + b"x" * 1000,
            "half_chunked": b"POST /api/echo HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"
                            + b"y" * 1024 + b"\r\n",
            "no_read": b"GET /api/sleep?ms=100 HTTP/1.1\r\nHost: soak\r\n\r\n",
            "reset": b"GET /api/fanout?n=4&ms=50 HTTP/1.1\r\nHost: soak\r\n\r\n",
        }
        names = list(kinds)
        i = 0
        while self.running():
            kind = names[i % len(names)]
            i += 1
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(kinds[kind])
                await writer.drain()
                await asyncio.sleep(0.01 if kind != "half_body" else 0.05)
                if kind == "reset":
                    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                               struct.pack("ii", 1, 0))
                writer.close()
                self.ok[f"vanish_{kind}"] += 1
            except OSError as e:
                self.fail("vanish_connect", repr(e))
            await self.pause(0.05)

    # --- the held connections SIGTERM must end ---------------------------------------------
    async def held(self, session):
        import aiohttp

        async def sse():
            async with session.get(self.base + "/api/events", timeout=aiohttp.ClientTimeout(total=60)) as r:
                await r.content.readline()
                self.held_ready.release()
                try:
                    while await r.content.readline():
                        pass
                except aiohttp.ClientPayloadError as e:
                    self.fail("shutdown_sse_broken", repr(e))  # not ended with its last chunk
                    return
                self.ok["shutdown_sse_ended"] += 1

        async def chat(j):
            async with session.ws_connect(f"{self.base}/ws/chat?name=held-{j}", timeout=10) as ws:
                self.held_ready.release()
                async for _ in ws:
                    pass
                if ws.close_code == 1001:
                    self.ok["shutdown_chat_1001"] += 1
                else:
                    self.fail("shutdown_chat_code", f"close code {ws.close_code}, expected 1001")

        async def idle():
            reader, writer = await asyncio.open_connection("127.0.0.1", self.a.port)
            writer.write(b"GET /plaintext HTTP/1.1\r\nHost: soak\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            n = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            await reader.readexactly(n)
            self.held_ready.release()
            if await reader.read(1) == b"":
                self.ok["shutdown_idle_closed"] += 1
            else:
                self.fail("shutdown_idle", "bytes after the response on an idle connection")
            writer.close()

        self.held_ready = asyncio.Semaphore(0)
        jobs = [sse(), sse(), chat(0), chat(1), idle(), idle()]
        tasks = [asyncio.create_task(j) for j in jobs]
        for _ in jobs:
            await asyncio.wait_for(self.held_ready.acquire(), 10)
        with open(os.path.join(self.a.dir, "held"), "w") as f:
            f.write("ready\n")
        done, pending = await asyncio.wait(tasks, timeout=self.a.held_timeout)
        for t in pending:
            t.cancel()
            self.fail("shutdown_not_ended", "a held connection still open after SIGTERM + drain")
        for t in done:
            if t.exception() is not None:
                self.fail("shutdown_broken", repr(t.exception()))

    async def main(self):
        import aiohttp
        conn = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout) as session:
            jobs = [self.sampler(session), self.interval_recorder(), self.vanish_worker()]
            jobs += [self.api_worker(session, k) for k in range(2)]
            jobs += [self.sse_worker(session, k) for k in range(3)]
            jobs += [self.chat_worker(session, k) for k in range(3)]
            await asyncio.gather(*jobs)
            try:
                await self.held(session)
            except Exception as e:  # noqa: BLE001
                self.fail("shutdown_setup", repr(e))
                with open(os.path.join(self.a.dir, "held"), "w") as f:
                    f.write("failed\n")
        with open(os.path.join(self.a.dir, "client.json"), "w") as f:
            json.dump({"ok": self.ok, "errors": self.errors, "examples": self.examples}, f, indent=1)


# --- report --------------------------------------------------------------------------------
def parse_wrk(text):
    """wrk --latency output -> req/s, p99 (ms), requests, non-2xx, socket errors."""
    def ms(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
    out = {"rps": None, "p99_ms": None, "requests": 0, "non2xx": 0, "socket_errors": 0, "error_detail": ""}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    if m:
        out["p99_ms"] = ms(m.group(1), m.group(2))
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = sum(int(x) for x in m.groups())
        out["error_detail"] = m.group(0)
    return out


def stability(series):
    """p99 per round (ms) -> first-quarter median, last-quarter median, trend, spike, verdict."""
    v = [max(P99_FLOOR_MS, x) for x in series if x is not None]
    if len(v) < 2:
        return None
    q = max(1, len(v) // 4)
    first, last, med = statistics.median(v[:q]), statistics.median(v[-q:]), statistics.median(v)
    trend, spike = last / first, max(v) / med
    return {"first": first, "last": last, "median": med, "max": max(v), "trend": trend, "spike": spike,
            "ok": trend <= P99_TREND_MAX and spike <= P99_SPIKE_MAX}


def report(a):
    d = a.dir
    lines, failures = [], []
    minutes = a.minutes
    warmup = max(60.0, 0.1 * minutes * 60)
    samples = [json.loads(l) for l in open(os.path.join(d, "samples.jsonl")) if l.strip()]
    rss = [(s["t"], s["rss_kb"]) for s in samples if s.get("rss_kb")]
    after = [r for t, r in rss if t >= warmup]
    if len(after) < 2:
        failures.append("too few RSS samples after the warm-up")
        rss_warm = rss_end = growth = None
    else:
        # The median of three samples on each side, so that one sample taken during a burst of
        # 64 KiB echo bodies does not decide.
        rss_warm = statistics.median(after[:3])
        rss_end = statistics.median(after[-3:])
        growth = 100.0 * (rss_end - rss_warm) / rss_warm
        if growth > RSS_GROWTH_MAX_PCT:
            failures.append(f"RSS grew {growth:.2f}% after the warm-up (limit {RSS_GROWTH_MAX_PCT}%)")
    rss_max = max((r for _, r in rss), default=None)

    client = json.load(open(os.path.join(d, "client.json")))
    shutdown = json.load(open(os.path.join(d, "shutdown.json")))

    # wrk rounds
    streams = {}
    for name in sorted(os.listdir(os.path.join(d, "wrk"))):
        m = re.match(r"(.+)-(\d+)\.txt$", name)
        if m:
            streams.setdefault(m.group(1), {})[int(m.group(2))] = parse_wrk(open(os.path.join(d, "wrk", name)).read())
    wrk_rows, p99_series = [], {}
    for stream, rounds in sorted(streams.items()):
        rs = [rounds[k] for k in sorted(rounds)]
        p99_series[f"wrk {stream}"] = [r["p99_ms"] for r in rs]
        errs = sum(r["socket_errors"] for r in rs)
        non2xx = sum(r["non2xx"] for r in rs)
        if errs:
            failures.append(f"wrk {stream}: {errs} socket errors")
        if non2xx:
            failures.append(f"wrk {stream}: {non2xx} non-2xx/3xx responses")
        if any(r["rps"] is None for r in rs):
            failures.append(f"wrk {stream}: a round without a result")
        wrk_rows.append((stream, rs, errs, non2xx))

    intervals = [json.loads(l) for l in open(os.path.join(d, "intervals.jsonl")) if l.strip()]
    for kind in ("sleep", "fanout", "echo", "sse_two_events", "chat_cycle"):
        p99_series[f"python {kind}"] = [(iv.get(kind) or {}).get("p99_ms") for iv in intervals]

    stab_rows = []
    for name, series in p99_series.items():
        s = stability(series)
        stab_rows.append((name, series, s))
        if s and not s["ok"]:
            failures.append(f"p99 of {name} not stable: last/first quarter {s['trend']:.2f}, max/median {s['spike']:.2f}")

    # the server's log
    log_lines = open(os.path.join(d, "server.log"), errors="replace").read().splitlines()
    bad = [l for l in log_lines if re.search(r"\] \[(error|err|critical)\] ", l) or not l.startswith("[")]
    warns = [l for l in log_lines if re.search(r"\] \[(warning|warn)\] ", l)]
    if bad:
        failures.append(f"{len(bad)} error/critical (or unformatted) lines in the server's log")

    if shutdown["exit"] != 0:
        failures.append(f"corio-serve exited with {shutdown['exit']} after SIGTERM")
    if shutdown["seconds"] > shutdown["drain_timeout"]:
        failures.append(f"shutdown took {shutdown['seconds']:.1f} s, over the drain timeout")
    if client["errors"]:
        failures.append(f"{sum(client['errors'].values())} client-side failures")
    for key in ("shutdown_sse_ended", "shutdown_chat_1001", "shutdown_idle_closed"):
        if client["ok"].get(key, 0) != 2:
            failures.append(f"held connections at SIGTERM: {key} = {client['ok'].get(key, 0)} of 2")

    # markdown
    w = lines.append
    w(f"# corio-serve soak, {a.date}")
    w("")
    w(f"`perf/soak_serve.sh {a.build} {minutes:g}` — {a.host}. {'**PASS**' if not failures else '**FAIL**'}")
    w("")
    w("Load, all at once for the whole run: wrk keep-alive (/plaintext and /json alternating), wrk with "
      "`Connection: close`, wrk pipelining 8 requests per write, each paced by a Lua `delay()`; Python "
      "(aiohttp): 3 SSE clients on /api/events (two events, disconnect, again), 3 chat members on "
      "/ws/chat (join, 10 messages, all received back, leave, again), 2 clients on /api/sleep, "
      "/api/fanout and POST /api/echo (body compared), one raw-socket client vanishing mid-request "
      "(half a head, half a body, half a chunked body, no read, reset). "
      f"wrk runs in {a.round} s rounds; RSS and /api/stats every 10 s.")
    w("")
    w("## Verdict")
    w("")
    w("| criterion | result |")
    w("|---|---|")
    if growth is not None:
        w(f"| RSS after the warm-up ({warmup:.0f} s) → end (median of 3 samples each) | "
          f"{rss_warm / 1024:.1f} MiB → {rss_end / 1024:.1f} MiB: **{growth:+.2f}%** (limit {RSS_GROWTH_MAX_PCT:g}%); peak {rss_max / 1024:.1f} MiB |")
    worst = max((s for _, _, s in stab_rows if s), key=lambda s: s["trend"], default=None)
    if worst:
        w(f"| p99 stable (last/first quarter ≤ {P99_TREND_MAX:g}, max/median ≤ {P99_SPIKE_MAX:g}; "
          f"p99 under {P99_FLOOR_MS:g} ms counts as {P99_FLOOR_MS:g}) | "
          f"{'yes' if all(s['ok'] for _, _, s in stab_rows if s) else 'no'} (per stream below) |")
    w(f"| error/critical lines in the server's log | {len(bad)} (warnings: {len(warns)}) |")
    w(f"| SIGTERM → exit | {shutdown['seconds']:.2f} s (drain timeout {shutdown['drain_timeout']:g} s), exit {shutdown['exit']} |")
    w(f"| held at SIGTERM: 2 SSE streams ended cleanly, 2 chat members got 1001, 2 idle connections closed | "
      f"{client['ok'].get('shutdown_sse_ended', 0)}, {client['ok'].get('shutdown_chat_1001', 0)}, {client['ok'].get('shutdown_idle_closed', 0)} |")
    w(f"| client-side failures | {sum(client['errors'].values())} |")
    last = next((s for s in reversed(samples) if "responses" in s), None)
    if last:
        # The server counts a status for the vanishing clients too (a 400 for a head cut short).
        w(f"| responses by class, as the server counted them (last sample) | "
          f"{', '.join(f'{k}: {v:,}' for k, v in last['responses'].items())} |")
    w("")
    if failures:
        w("Failed:")
        w("")
        for f in failures:
            w(f"- {f}")
        w("")
    w("## wrk streams")
    w("")
    w("| stream | rounds | requests | mean req/s | p99 per round, ms (first … last) | socket errors | non-2xx |")
    w("|---|---:|---:|---:|---|---:|---:|")
    for stream, rs, errs, non2xx in wrk_rows:
        p = [r["p99_ms"] for r in rs]
        rps = [r["rps"] for r in rs if r["rps"] is not None]
        w(f"| {stream} | {len(rs)} | {sum(r['requests'] for r in rs):,} | {statistics.mean(rps) if rps else 0:,.0f} | "
          f"{', '.join('-' if x is None else f'{x:.2f}' for x in p)} | {errs} | {non2xx} |")
    loads = [l.strip() for l in open(os.path.join(d, "loadavg.txt"))] if os.path.exists(os.path.join(d, "loadavg.txt")) else []
    w(f"| (machine load average at the end of each round) | | | | {', '.join(loads)} | | |")
    w("")
    w("## p99 per interval")
    w("")
    w("| stream | first-quarter median | last-quarter median | last/first | median | max | max/median | stable |")
    w("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, series, s in stab_rows:
        if s:
            w(f"| {name} | {s['first']:.2f} ms | {s['last']:.2f} ms | {s['trend']:.2f} | {s['median']:.2f} ms | "
              f"{s['max']:.2f} ms | {s['spike']:.2f} | {'yes' if s['ok'] else '**no**'} |")
        else:
            w(f"| {name} | - | - | - | - | - | - | too few rounds |")
    w("")
    w("## Client side")
    w("")
    w("| class | count |")
    w("|---|---:|")
    for k, v in sorted(client["ok"].items()):
        w(f"| ok: {k} | {v:,} |")
    for k, v in sorted(client["errors"].items()):
        w(f"| **failed: {k}** | {v:,} (first: {client['examples'].get(k, '')}) |")
    w("")
    w("## RSS and server state every minute")
    w("")
    w("| t (s) | VmRSS (MiB) | server CPU since the previous row | live tasks | connections | chat members | requests |")
    w("|---:|---:|---:|---:|---:|---:|---:|")
    last_min, prev = -1, None
    for s in samples:
        if int(s["t"] // 60) != last_min or s is samples[-1]:
            last_min = int(s["t"] // 60)
            cpu = "-" if prev is None or s["t"] <= prev["t"] else \
                f"{100 * (s['cpu_s'] - prev['cpu_s']) / (s['t'] - prev['t']):.0f}% of a core"
            prev = s
            w(f"| {s['t']:.0f} | {s['rss_kb'] / 1024:.1f} | {cpu} | {s.get('live_tasks', '-')} | "
              f"{s.get('active_connections', '-')} | {s.get('chat_members', '-')} | {s.get('requests', 0):,} |")
    w("")
    if bad or warns:
        w("## Server log lines above info")
        w("")
        w("```")
        for l in (bad + warns)[:40]:
            w(l)
        if len(bad) + len(warns) > 40:
            w(f"... {len(bad) + len(warns) - 40} more")
        w("```")
        w("")
    text = "\n".join(lines)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    ld = sub.add_parser("load")
    ld.add_argument("--port", type=int, required=True)
    ld.add_argument("--pid", type=int, required=True)
    ld.add_argument("--seconds", type=float, required=True)
    ld.add_argument("--round", type=float, default=60)
    ld.add_argument("--held-timeout", type=float, default=60)
    ld.add_argument("--dir", required=True)
    rp = sub.add_parser("report")
    rp.add_argument("--dir", required=True)
    rp.add_argument("--minutes", type=float, required=True)
    rp.add_argument("--round", type=float, default=60)
    rp.add_argument("--out", required=True)
    rp.add_argument("--build", default="build/release")
    rp.add_argument("--date", default=time.strftime("%Y-%m-%d"))
    rp.add_argument("--host", default="")
    a = ap.parse_args()
    if a.cmd == "load":
        asyncio.run(Client(a).main())
        return 0
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
