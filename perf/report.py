#!/usr/bin/env python3
"""Turns the raw lines of perf/run into a Markdown report with ratios and a PNG chart.

    report.py RAW OUT_STEM   → OUT_STEM.md, OUT_STEM.png (if gnuplot is installed)
"""
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections import OrderedDict

# workload → the floor implementation for its Corio rows (or, as a dict, per Corio implementation,
# "*" for the rest)
FLOORS = {
    "spawn+join 100k": {"corio gather": "asio co_spawn+results", "*": "asio co_spawn+counter"},
    "1M yields / 1k tasks": "asio post(deferred)",
    "queue 1M ints cap 1024": "asio channel",
    "semaphore 1k tasks x100": "asio channel tokens",
    "timeout 100k quick ops": "asio timer arm+cancel",
    # Corio's tasks are cancellable: the equivalent hand-written code gives each coroutine a
    # cancellation signal (the plain co_spawn row, whose timers need no cancellation handler, is
    # shown beside it)
    "timer storm 100k x 0-100ms": "asio co_spawn+timer, cancellable",
    "to_thread round trip": "asio post to pool and back",
}


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return f"{cpu}, {os.cpu_count()} cores, {platform.platform()}, {gxx}, Python {platform.python_version()}"


def main():
    raw, stem = sys.argv[1], sys.argv[2]
    # perf/run measures each implementation in a fresh process, several rounds: a row is the
    # median of its lines.
    samples = OrderedDict()
    for line in open(raw):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 4:
            continue
        workload, impl, value, unit = parts
        key = workload if unit != "ms cpu" else workload + " (cpu)"
        samples.setdefault(key, OrderedDict()).setdefault((impl, unit), []).append(float(value))
    rows = OrderedDict(
        (key, [(impl, statistics.median(values), unit) for (impl, unit), values in impls.items()])
        for key, impls in samples.items())
    out = [f"# Corio benchmarks — {os.path.basename(stem)}", "", f"Machine: {machine()}", "",
           "Medians: each C++ implementation ran alone in a fresh process (a warm-up, then 3 runs), the "
           "implementations taking turns over the rounds; every column was measured in the same perf/run. "
           "Corio/floor < 1 means Corio is faster than the hand-written Asio floor; "
           "asyncio/Corio and uvloop/Corio say how many times faster Corio is.", ""]
    chart = []
    for workload, impls in rows.items():
        base = workload.replace(" (cpu)", "")
        floors = FLOORS.get(base)
        if not isinstance(floors, dict):
            floors = {"*": floors}

        def floor_of(impl):
            name = floors.get(impl, floors.get("*"))
            return next((v for i, v, _ in impls if i == name), None)
        corio = [(i, v) for i, v, _ in impls if i.startswith("corio")]
        best_corio = min((v for _, v in corio), default=None)
        out += [f"## {workload}", "", "| implementation | median | unit | Corio/floor | vs best Corio |", "|---|---:|---|---:|---:|"]
        for impl, value, unit in impls:
            floor = floor_of(impl)
            ratio = f"{value / floor:.2f}" if floor and impl.startswith("corio") else ""
            vs = ""
            if best_corio and not impl.startswith("corio") and best_corio > 0:
                vs = f"{value / best_corio:.1f}× slower" if value >= best_corio else f"{best_corio / value:.1f}× faster"
            out.append(f"| {impl} | {value:,.1f} | {unit} | {ratio} | {vs} |")
            if floor and impl.startswith("corio") and "debug" not in impl:
                chart.append((f"{workload}: {impl}", value / floor))
        out.append("")
    with open(stem + ".md", "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))
    if shutil.which("gnuplot") and chart:
        data = stem + ".dat"
        with open(data, "w") as f:
            for i, (label, r) in enumerate(chart):
                f.write(f'{i} {r:.4f} "{label}"\n')
        script = f"""
set terminal pngcairo noenhanced size 1100,{120 + 28 * len(chart)} font ",10"
set output "{stem}.png"
set title "Corio / hand-written Asio (lower is better; 1.0 = the floor)"
set style fill solid 0.6
set boxwidth 0.6
set xrange [0:*]
set ytics nomirror
unset key
set grid x
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb "red"
plot "{data}" using 2:1:(0):2:($1-0.3):($1+0.3):yticlabels(3) with boxxyerror
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=False)
        os.remove(data)


if __name__ == "__main__":
    main()
