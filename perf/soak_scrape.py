#!/usr/bin/python3
"""The checking half of perf/soak_scrape.sh: is every page of the site in the crawl's output once?

    soak_scrape.py report --dir DIR --pages N --out FILE [--build B]

DIR holds expected.txt (make_site.py's list of the paths a same-host crawl of "/" must fetch),
out.jsonl (corio-scrape's rows), rss.tsv (seconds, VmRSS kB, VmHWM kB of corio-scrape, VmRSS kB
of corio-serve, every 10 s), time.txt (/usr/bin/time -v of corio-scrape), scrape.err (its summary),
server.log and run.json (exit statuses, durations). Checks that the output holds every expected
URL exactly once, each a final 200 (no error, no redirect, no extra URL), that both programs
exited 0 and logged no error; writes the markdown results table; exit status 1 on any failure.
"""
import argparse
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit


def report(a):
    d = a.dir
    failures = []
    run = json.load(open(os.path.join(d, "run.json")))
    expected = set(l.strip() for l in open(os.path.join(d, "expected.txt")) if l.strip())
    html_pages = sum(1 for p in expected if not p.endswith(".txt"))

    seen = set()
    dups = rows = 0
    not_200, errors, redirected, extra, bad_json = [], [], [], [], 0
    out_bytes = os.path.getsize(os.path.join(d, "out.jsonl"))
    with open(os.path.join(d, "out.jsonl"), "rb") as f:
        for line in f:
            rows += 1
            try:
                r = json.loads(line)
            except ValueError:
                bad_json += 1
                continue
            path = urlsplit(r["url"]).path or "/"
            if path in seen:
                dups += 1
            seen.add(path)
            if path not in expected:
                extra.append(r["url"])
            if r.get("status") != 200:
                not_200.append(f"{r['url']} status {r.get('status')} {r.get('error_kind')} {r.get('error')}")
            elif r.get("error") is not None:
                errors.append(f"{r['url']} {r.get('error_kind')} {r.get('error')}")
            if r.get("final_url") not in (None, r["url"]):
                redirected.append(f"{r['url']} -> {r.get('final_url')}")
    missing = sorted(expected - seen)
    for what, items in (("missing pages", missing), ("duplicate rows", [None] * dups),
                        ("rows not 200", not_200), ("rows with an error", errors),
                        ("redirected rows", redirected), ("URLs not on the site", extra),
                        ("unparsable rows", [None] * bad_json)):
        if items:
            failures.append(f"{len(items):,} {what}" + (f" (first: {items[0]})" if items[0] else ""))

    if run["scrape_exit"] != 0:
        failures.append(f"corio-scrape exited with {run['scrape_exit']}")
    if run["server_exit"] != 0:
        failures.append(f"corio-serve exited with {run['server_exit']} after SIGTERM")
    if run["journal_left"]:
        failures.append("the crawl journal out.jsonl.state was not removed after a complete crawl")

    # Memory: /usr/bin/time's peak (exact), and the samples.
    t = open(os.path.join(d, "time.txt")).read()
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    cpu_s = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", t))
    samples = [l.split() for l in open(os.path.join(d, "rss.tsv")) if l.strip()]
    samples = [(float(s), int(r), int(h), int(v)) for s, r, h, v in samples]
    server_peak = max((v for *_, v in samples), default=0)

    log = open(os.path.join(d, "server.log"), errors="replace").read().splitlines()
    bad_log = [l for l in log if re.search(r"\] \[(error|err|critical)\] ", l) or not l.startswith("[")]
    if bad_log:
        failures.append(f"{len(bad_log)} error/critical (or unformatted) lines in corio-serve's log")
    summary = open(os.path.join(d, "scrape.err"), errors="replace").read().strip()

    fetched = len(seen)
    secs = run["crawl_seconds"]
    L = []
    w = L.append
    w(f"# corio-scrape soak, {a.date}")
    w("")
    w(f"`perf/soak_scrape.sh {a.build} {a.pages}` — {a.host}. {'**PASS**' if not failures else '**FAIL**'}")
    w("")
    w(f"The site: `apps/scrape/make_site.py --pages {a.pages}` ({html_pages:,} HTML pages in directories of 25, "
      f"each linking to its two children in a binary tree, to / and to 3 random pages, plus "
      f"{len(expected) - html_pages} text files), {run['site_mib']:.0f} MiB on disk, generated in "
      f"{run['generate_seconds']:.0f} s, served by `corio-serve --static` (1 thread, access log off). "
      f"The crawl: `{run['command']}`.")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| URLs the site holds (pages + text files) | {len(expected):,} |")
    w(f"| accounted for: distinct URLs in the output | {fetched:,} in {rows:,} rows |")
    w(f"| missing / duplicate / not 200 / error / redirected / not on the site | {len(missing):,} / {dups:,} / "
      f"{len(not_200):,} / {len(errors):,} / {len(redirected):,} / {len(extra):,} |")
    w(f"| crawl duration | {secs:.1f} s |")
    w(f"| pages/s | {fetched / secs:,.0f} |")
    w(f"| corio-scrape CPU (user + system) | {cpu_s:.1f} s |")
    w(f"| corio-scrape peak RSS (`/usr/bin/time`) | {peak_kb / 1024:.1f} MiB |")
    w(f"| peak RSS / URLs crawled (an upper bound on the memory per URL) | {peak_kb * 1024 / max(fetched, 1):,.0f} B |")
    w(f"| corio-serve peak VmRSS sampled | {server_peak / 1024:.1f} MiB |")
    w(f"| output size (JSONL) | {out_bytes / 2**20:.1f} MiB ({out_bytes / max(rows, 1):.0f} B per row) |")
    w(f"| exit statuses: corio-scrape, corio-serve after SIGTERM | {run['scrape_exit']}, {run['server_exit']} |")
    w(f"| error lines in corio-serve's log | {len(bad_log)} |")
    w("")
    w("Memory budget: neither the README nor `corio-scrape --help` states one, so there is no limit to "
      "check; the figures above are the measurement (the crawl keeps every URL it has seen, for "
      "de-duplication, so its memory grows with the site).")
    w("")
    if failures:
        w("Failed:")
        w("")
        for f in failures:
            w(f"- {f}")
        for m in missing[:20]:
            w(f"  - missing: {m}")
        w("")
    w("## RSS every 10 s")
    w("")
    w("| t (s) | corio-scrape VmRSS (MiB) | VmHWM (MiB) | corio-serve VmRSS (MiB) |")
    w("|---:|---:|---:|---:|")
    step = max(1, len(samples) // 30)
    for i, (s, r, h, v) in enumerate(samples):
        if i % step == 0 or i == len(samples) - 1:
            w(f"| {s:.0f} | {r / 1024:.1f} | {h / 1024:.1f} | {v / 1024:.1f} |")
    w("")
    w("## corio-scrape's summary")
    w("")
    w("```")
    w(summary[-3000:])
    w("```")
    if bad_log:
        w("")
        w("## corio-serve log lines above info")
        w("")
        w("```")
        w("\n".join(bad_log[:40]))
        w("```")
    w("")
    text = "\n".join(L)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    rp = sub.add_parser("report")
    rp.add_argument("--dir", required=True)
    rp.add_argument("--pages", type=int, required=True)
    rp.add_argument("--out", required=True)
    rp.add_argument("--build", default="build/release")
    rp.add_argument("--date", default=time.strftime("%Y-%m-%d"))
    rp.add_argument("--host", default="")
    a = ap.parse_args()
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
