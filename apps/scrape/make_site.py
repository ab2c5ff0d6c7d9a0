#!/usr/bin/env python3
"""Generates a static site of linked pages for corio-scrape's demo and nginx test.

    make_site.py OUTDIR [--pages N] [--seed S]

Writes N HTML pages (index.html, then sections s0/ s1/ ... with p<i>.html in them, a few with a
section index.html) plus a handful of text files, every one reachable from "/" through <a href>
links: a tree (each page links to its two children) plus random cross links, relative and
absolute paths, fragments, duplicates, links to other hosts and to mailto:/javascript:. No link
needs a redirect (directories are always linked with their trailing slash, the home page as
"/"), so a crawler fetches each file exactly once. Prints the URL paths of every file a
same-host crawl of "/" must fetch, one per line, sorted.
"""
import argparse
import os
import random

SECTION = 25  # pages per section directory


def path_of(i):
    if i == 0:
        return "/"
    s, k = divmod(i, SECTION)
    return f"/s{s}/" if k == 0 else f"/s{s}/p{i}.html"


def file_of(i):
    p = path_of(i)
    return p + "index.html" if p.endswith("/") else p


def relative(frm, to):
    """A relative reference from page `frm` to path `to` (same host)."""
    base = frm if frm.endswith("/") else frm.rsplit("/", 1)[0] + "/"
    rel = os.path.relpath(to, base)
    if to.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return rel if rel != "./" else "./"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    n = a.pages
    expected = []
    texts = [f"/files/notes{j}.txt" for j in range(5)]
    for i in range(n):
        me = path_of(i)
        links = []
        for c in (2 * i + 1, 2 * i + 2):
            if c < n:
                links.append(path_of(c) if rnd.random() < 0.5 else relative(me, path_of(c)))
        links.append("/")
        for _ in range(3):
            other = path_of(rnd.randrange(n))
            links.append(other + ("#section" if rnd.random() < 0.3 else ""))
        if i % 50 == 1:
            links.append("http://other.invalid/elsewhere.html")
            links.append("mailto:webmaster@example.com")
            links.append("javascript:void(0)")
            links.append("#top")
        if i < len(texts):
            links.append(texts[i])
        items = "\n".join(f'    <li><a href="{h}">{h}</a></li>' for h in links)
        html = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Page {i}</title></head>\n"
                f"<body><h1 id=\"top\">Page {i}</h1>\n<p>{'Lorem ipsum dolor sit amet. ' * rnd.randint(5, 40)}</p>\n"
                f"<ul>\n{items}\n</ul></body></html>\n")
        target = os.path.join(a.outdir, file_of(i).lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write(html)
        expected.append(me)
    for j, t in enumerate(texts):
        target = os.path.join(a.outdir, t.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write(f"notes {j}\n")
        if j < n:
            expected.append(t)
    for p in sorted(expected):
        print(p)


if __name__ == "__main__":
    main()
