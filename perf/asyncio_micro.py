#!/usr/bin/env python3
"""The same micro workloads as bench-micro, on asyncio (default loop) and uvloop.

    /usr/bin/python3 perf/asyncio_micro.py asyncio [repeats]
    /usr/bin/python3 perf/asyncio_micro.py uvloop  [repeats]
    /usr/bin/python3 perf/asyncio_micro.py memory asyncio|uvloop N

Prints "workload<TAB>implementation<TAB>median<TAB>unit" lines, like bench-micro.
"""
import asyncio
import gc
import os
import random
import resource
import statistics
import sys
import time

SPAWN_N = 100_000
YIELD_TASKS, YIELDS_EACH = 1000, 1000
QUEUE_ITEMS = 1_000_000
SEM_TASKS, SEM_ROUNDS = 1000, 100
TIMEOUT_OPS = 100_000
STORM_N = 100_000
THREAD_TRIPS = 20_000


async def instant():
    return None


async def spawn_gather():
    await asyncio.gather(*[instant() for _ in range(SPAWN_N)])


async def spawn_task_group():
    async with asyncio.TaskGroup() as tg:
        for _ in range(SPAWN_N):
            tg.create_task(instant())


async def yields():
    async def yielder():
        for _ in range(YIELDS_EACH):
            await asyncio.sleep(0)
    await asyncio.gather(*[yielder() for _ in range(YIELD_TASKS)])


async def queue():
    q = asyncio.Queue(1024)

    async def producer():
        for i in range(QUEUE_ITEMS):
            await q.put(i)
    p = asyncio.create_task(producer())
    total = 0
    for _ in range(QUEUE_ITEMS):
        total += await q.get()
    await p


async def semaphore():
    sem = asyncio.Semaphore(10)

    async def worker():
        for _ in range(SEM_ROUNDS):
            async with sem:
                await asyncio.sleep(0)
    await asyncio.gather(*[worker() for _ in range(SEM_TASKS)])


async def quick_op():
    await asyncio.sleep(0)


async def no_timeout():
    for _ in range(TIMEOUT_OPS):
        await quick_op()


async def wait_for():
    for _ in range(TIMEOUT_OPS):
        await asyncio.wait_for(quick_op(), 1)


async def timeout_cm():
    for _ in range(TIMEOUT_OPS):
        async with asyncio.timeout(1):
            await quick_op()


async def storm():
    rng = random.Random(42)
    await asyncio.gather(*[asyncio.sleep(rng.randint(0, 100) / 1000) for _ in range(STORM_N)])


async def to_thread():
    for _ in range(THREAD_TRIPS):
        await asyncio.to_thread(lambda: None)


BENCHES = [
    ("spawn+join 100k", "gather", "ns/task", SPAWN_N, spawn_gather),
    ("spawn+join 100k", "TaskGroup", "ns/task", SPAWN_N, spawn_task_group),
    ("1M yields / 1k tasks", "sleep(0)", "ns/yield", YIELD_TASKS * YIELDS_EACH, yields),
    ("queue 1M ints cap 1024", "asyncio.Queue", "ns/item", QUEUE_ITEMS, queue),
    ("semaphore 1k tasks x100", "asyncio.Semaphore", "ns/acquire", SEM_TASKS * SEM_ROUNDS, semaphore),
    ("timeout 100k quick ops", "no timeout", "ns/op", TIMEOUT_OPS, no_timeout),
    ("timeout 100k quick ops", "wait_for", "ns/op", TIMEOUT_OPS, wait_for),
    ("timeout 100k quick ops", "timeout()", "ns/op", TIMEOUT_OPS, timeout_cm),
    ("timer storm 100k x 0-100ms", "gather+sleep", "ms wall", 1e6, storm),
    ("to_thread round trip", "to_thread", "ns/trip", THREAD_TRIPS, to_thread),
]


def new_loop(kind):
    if kind == "uvloop":
        import uvloop
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    kind = sys.argv[1]
    if kind == "memory":
        loop_kind, n = sys.argv[2], int(sys.argv[3])
        loop = new_loop(loop_kind)
        asyncio.set_event_loop(loop)
        ev = asyncio.Event()

        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        gc.collect()
        loop.run_until_complete(asyncio.sleep(0))
        before = rss()
        tasks = [loop.create_task(ev.wait()) for _ in range(n)]
        loop.run_until_complete(asyncio.sleep(0))
        after = rss()
        print(f"memory per idle task (N={n})\t{loop_kind} task+Event\t{(after - before) / n}\tbytes/task")
        os._exit(0)
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    results = {b: [] for b in BENCHES}
    cpus = {b: [] for b in BENCHES}
    for _ in range(repeats):
        for b in BENCHES:
            loop = new_loop(kind)
            gc.collect()
            c0, t0 = cpu(), time.perf_counter_ns()
            loop.run_until_complete(b[4]())
            results[b].append((time.perf_counter_ns() - t0) / b[3])
            cpus[b].append(cpu() - c0)
            loop.close()
    for b in BENCHES:
        print(f"{b[0]}\t{kind} {b[1]}\t{statistics.median(results[b])}\t{b[2]}")
        if b[0].startswith("timer storm"):
            print(f"{b[0]}\t{kind} {b[1]}\t{statistics.median(cpus[b]) * 1e3}\tms cpu")


if __name__ == "__main__":
    main()
