#!/usr/bin/env python3
"""The Python asyncio point of comparison for corio-serve: aiohttp with /plaintext and /json.

    aiohttp_server.py [--port N] [--workers N] [--loop asyncio|uvloop]
                                                  prints "listening on 127.0.0.1:PORT"

--workers N runs N processes sharing the port with SO_REUSEPORT (asyncio is one thread per
process). --loop uvloop (Debian's python3-uvloop) replaces asyncio's event loop.
perf/serve_compare.sh runs wrk against it.
"""
import argparse
import asyncio
import multiprocessing
import os
import signal
import socket

from aiohttp import web


async def plaintext(_):
    return web.Response(text="Hello, World!", headers={"Server": "aiohttp"})


async def json_(_):
    return web.json_response({"message": "Hello, World!"}, headers={"Server": "aiohttp"})


def serve(sock, loop):
    if loop == "uvloop":
        import uvloop
        uvloop.install()
    app = web.Application()
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", json_)
    web.run_app(app, sock=sock, access_log=None, print=None, handle_signals=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8082)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    a = p.parse_args()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", a.port))
    sock.listen(1024)
    print("listening on 127.0.0.1:%d" % sock.getsockname()[1], flush=True)
    if a.workers == 1:
        serve(sock, a.loop)
        return
    procs = [multiprocessing.Process(target=serve, args=(sock, a.loop)) for _ in range(a.workers)]
    for pr in procs:
        pr.start()
    signal.signal(signal.SIGTERM, lambda *_: [os.kill(pr.pid, signal.SIGTERM) for pr in procs])
    for pr in procs:
        pr.join()


if __name__ == "__main__":
    main()
