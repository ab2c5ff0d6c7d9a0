#!/usr/bin/env python3
"""corio-scrape's --cookies and --cookie-jar as a process, against scrape_test_server on 127.0.0.1:
a cookie set by a redirect goes with the redirected request and with later requests to the same
site; nothing is kept or sent without --cookies; a host-only cookie does not go to another host;
--cookie-jar writes the jar in the Netscape format.

    cookies_test.py CORIO_SCRAPE SCRAPE_TEST_SERVER
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import check, finish, TestServer, without_proxies

SCRAPE, SERVER = sys.argv[1], sys.argv[2]


def scrape(*args):
    env = without_proxies()
    r = subprocess.run([SCRAPE, "--retries", "0", "-c", "1", *args], capture_output=True, text=True, timeout=120,
                       env=env)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    return r, {row["url"]: row for row in rows}


SET_THEN_CHECK = "/cookie/set?name=sid&value=42&to=/cookie/check%3Fname%3Dsid%26value%3D42"
CHECK = "/cookie/check?name=sid&value=42"


def test_a_cookie_set_by_a_redirect_is_sent_with_it_and_after(srv):
    r, rows = scrape("--cookies", srv.url(SET_THEN_CHECK), srv.url(CHECK))
    first, later = rows.get(srv.url(SET_THEN_CHECK), {}), rows.get(srv.url(CHECK), {})
    check(r.returncode == 0 and first.get("status") == 200 and first.get("final_url", "").endswith(CHECK),
          f"--cookies: the redirected request carries the cookie ({r.returncode}, {r.stdout!r})")
    check(later.get("status") == 200, f"--cookies: a later request to the site carries it ({r.stdout!r})")


def test_without_cookies_nothing_is_sent(srv):
    r, rows = scrape(srv.url(SET_THEN_CHECK), srv.url(CHECK))
    check(r.returncode == 0 and rows.get(srv.url(SET_THEN_CHECK), {}).get("status") == 403
          and rows.get(srv.url(CHECK), {}).get("status") == 403, f"without --cookies no cookie is sent ({r.stdout!r})")


def test_a_host_only_cookie_stays_with_its_host(srv):
    # Set on 127.0.0.1, asked for on localhost (the same server, another host).
    other = srv.url(CHECK, host="localhost")
    r, rows = scrape("--cookies", srv.url(SET_THEN_CHECK), other)
    check(rows.get(srv.url(SET_THEN_CHECK), {}).get("status") == 200 and rows.get(other, {}).get("status") == 403,
          f"the cookie of 127.0.0.1 is not sent to localhost ({r.stdout!r})")


def test_cookie_jar_file(srv, tmp):
    path = os.path.join(tmp, "jar.txt")
    r, rows = scrape("--cookie-jar", path, srv.url("/cookie/set?name=k&value=v&attrs=Path%3D/%3B%20HttpOnly"),
                     srv.url(SET_THEN_CHECK))
    text = open(path).read() if os.path.exists(path) else ""
    check(r.returncode == 0 and rows.get(srv.url(SET_THEN_CHECK), {}).get("status") == 200,
          f"--cookie-jar implies --cookies ({r.stdout!r})")
    check(text.startswith("# Netscape HTTP Cookie File\n") and "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tk\tv\n" in text
          and "127.0.0.1\tFALSE\t/cookie\tFALSE\t0\tsid\t42\n" in text, f"--cookie-jar writes the jar ({text!r})")
    r = subprocess.run([SCRAPE, "--cookie-jar", "", srv.url("/ok")], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "--cookie-jar needs a file name" in r.stderr, f"--cookie-jar '': exit 2 ({r.stderr!r})")


def main():
    tmp = tempfile.mkdtemp(prefix="corio-scrape-cookies-")
    srv = TestServer(SERVER)
    try:
        test_a_cookie_set_by_a_redirect_is_sent_with_it_and_after(srv)
        test_without_cookies_nothing_is_sent(srv)
        test_a_host_only_cookie_stays_with_its_host(srv)
        test_cookie_jar_file(srv, tmp)
    finally:
        srv.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
