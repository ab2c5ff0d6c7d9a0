#!/usr/bin/env python3
"""Generates a small linked website for demos: corio-serve serves it, corio-scrape crawls it.

    apps/serve/make_demo_site.py DIR [--pages N] [--seed S]
    build/apps/serve/corio-serve --port 8080 --static DIR

Deterministic for a given seed. N pages in a few sections (directories with index.html, so the
server's directory redirects show too), each linking to 3-6 others; every page is reachable from
/. Some links are broken (404s for the crawler to report), some point off-site, some carry a
#fragment or a ?query. Prints what a complete crawl should find.
"""
import argparse
import os
import random
import shutil


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--seed", type=int, default=6)
    a = p.parse_args()
    rng = random.Random(a.seed)
    sections = ["news", "docs", "blog", "shop", "about"]
    pages = ["/"] + ["/%s/" % s for s in sections]
    while len(pages) < a.pages:
        pages.append("/%s/page-%d.html" % (rng.choice(sections), len(pages)))
    broken = set()

    if os.path.exists(a.dir):
        shutil.rmtree(a.dir)
    for i, url in enumerate(pages):
        # A chain through every page guarantees reachability; the rest are random links.
        links = {pages[(i + 1) % len(pages)]}
        for _ in range(rng.randrange(2, 6)):
            links.add(rng.choice(pages))
        extra = []
        if rng.random() < 0.1:
            missing = "/%s/missing-%d.html" % (rng.choice(sections), i)
            broken.add(missing)
            extra.append(missing)
        if rng.random() < 0.1:
            extra.append("https://example.invalid/elsewhere-%d" % i)
        if rng.random() < 0.1:
            extra.append(rng.choice(pages) + "#part")
        body = "\n".join('  <li><a href="%s">%s</a></li>' % (l, l) for l in sorted(links) + extra)
        html = ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>page %d</title>"
                "<link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body>\n<h1>%s</h1>\n<ul>\n%s\n</ul>\n"
                "</body></html>\n" % (i, url, body))
        rel = url.lstrip("/")
        path = os.path.join(a.dir, rel, "index.html") if url.endswith("/") else os.path.join(a.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(html)
    with open(os.path.join(a.dir, "style.css"), "w") as f:
        f.write("body { font-family: sans-serif; }\n")
    print("%d pages under %s, %d broken links, reachable from /" % (len(pages), a.dir, len(broken)))


if __name__ == "__main__":
    main()
