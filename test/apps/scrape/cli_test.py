#!/usr/bin/env python3
"""corio-scrape as a process: exit statuses and messages, input and output options, TLS
verification, and Ctrl-C (SIGINT) handling — against scrape_test_server on 127.0.0.1.

    cli_test.py CORIO_SCRAPE SCRAPE_TEST_SERVER
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from harness import check, finish, TestServer

SCRAPE, SERVER = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="corio-scrape-cli-")
TRY_HELP = "Try 'corio-scrape --help' for more information.\n"


def scrape(*args, stdin="", timeout=120):
    return subprocess.run([SCRAPE, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f]  # every line must be valid JSON


def not_attempted(stderr):
    for line in stderr.splitlines():
        if line.strip().startswith("not attempted:"):
            return int(line.split(":")[1])
    return None


def interrupt(p):
    """Sends SIGINT to a corio-scrape reading its stdin; returns its stderr once it has exited."""
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    err = p.stderr.read()
    p.stdin.close()
    return err


def test_usage_and_setup_errors():
    r = scrape("--help")
    check(r.returncode == 0 and r.stdout.startswith("usage: corio-scrape"), "--help prints usage, exit 0")
    r = scrape("--bogus")
    check(r.returncode == 2 and r.stderr == "corio-scrape: unknown option '--bogus'\n" + TRY_HELP,
          f"unknown option: exit 2, one clear line and where to look ({r.returncode}, {r.stderr[:200]!r})")
    r = scrape("--resume", "http://127.0.0.1:9/")
    check(r.returncode == 2 and r.stderr.count("\n") == 2 and "--resume needs --out FILE" in r.stderr
          and r.stderr.endswith(TRY_HELP), f"--resume without --out: exit 2, one line ({r.returncode}, {r.stderr!r})")
    r = scrape()
    check(r.returncode == 2 and "no URLs" in r.stderr.splitlines()[0] and r.stderr.endswith(TRY_HELP),
          f"no URLs: usage error ({r.stderr!r})")
    # A list with no URL in it is a usage error that leaves an existing --out file as it was.
    empty, kept = os.path.join(TMP, "empty.txt"), os.path.join(TMP, "kept.jsonl")
    with open(empty, "w") as f:
        f.write("# nothing here\n\n")
    with open(kept, "w") as f:
        f.write("earlier results\n")
    r = scrape("--input", empty, "--out", kept)
    check(r.returncode == 2 and "no URLs" in r.stderr.splitlines()[0], f"empty list: usage error ({r.stderr!r})")
    check(open(kept).read() == "earlier results\n", "empty list: the --out file is not truncated")
    r = scrape("--input", "/nonexistent/urls.txt")
    check(r.returncode == 1 and r.stderr == "corio-scrape: cannot read /nonexistent/urls.txt: No such file or directory\n",
          f"unreadable input: exit 1, one line ({r.stderr!r})")
    r = scrape("--out", "/nonexistent/dir/out.jsonl", "http://127.0.0.1:9/")
    check(r.returncode == 1 and r.stderr.startswith("corio-scrape: cannot write /nonexistent/dir/out.jsonl"),
          f"unwritable output: exit 1 ({r.stderr!r})")


def test_urls_from_stdin_and_file_with_failures_still_exit_zero(srv):
    urls = [srv.url("/ok"), srv.url("/status/500"), srv.url("/gzip"), "ftp://nope/"]
    out = os.path.join(TMP, "stdin.jsonl")
    r = scrape("--retries", "0", "--out", out, stdin="\n".join(urls) + "\n")
    check(r.returncode == 0, f"run with failures exits 0 ({r.returncode}: {r.stderr})")
    got = {row["url"]: row for row in rows(out)}
    check(set(got) == set(urls), "one row per URL read from stdin")
    check(got[srv.url("/gzip")]["bytes"] > 10000, "gzip body decoded")
    check(got[srv.url("/status/500")]["error_kind"] == "http_status", "500 is an http_status row")
    check("corio-scrape: 4 URLs in" in r.stderr and "status: 200×2 500×1" in r.stderr, f"summary ({r.stderr})")
    listfile = os.path.join(TMP, "urls.txt")
    with open(listfile, "w") as f:
        f.write("# a comment\n" + srv.url("/ok") + "\n")
    r = scrape("--input", listfile)
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 1, "URLs from --input, JSON to stdout")


def test_a_url_without_a_scheme_is_fetched_over_http_with_a_warning(srv):
    bare = f"127.0.0.1:{srv.port}/ok"
    r = scrape("--retries", "0", bare)
    got = [json.loads(line) for line in r.stdout.splitlines()]
    check(r.returncode == 0 and len(got) == 1 and got[0]["url"] == "http://" + bare and got[0]["status"] == 200,
          f"scheme-less URL fetched over http ({r.returncode}: {r.stdout!r})")
    check(f"'{bare}' has no scheme: fetching http://{bare}" in r.stderr, f"warning on stderr ({r.stderr!r})")


def test_tls_verification_and_insecure(tmp):
    cert = os.path.join(tmp, "cert.pem")
    srv = TestServer(SERVER, "--tls", cert)
    try:
        r = scrape("--retries", "0", srv.url("/ok", "https"))
        row = json.loads(r.stdout)
        check(r.returncode == 0 and row["error_kind"] == "tls" and "certificate verification failed" in row["error"],
              f"self-signed certificate refused by default ({r.stdout})")
        r = scrape("--insecure", srv.url("/ok", "https"))
        row = json.loads(r.stdout)
        check(r.returncode == 0 and row["status"] == 200 and row["error"] is None, f"--insecure succeeds ({r.stdout})")
    finally:
        srv.close()


def test_sigint_finishes_requests_in_flight_and_lists_the_rest(srv):
    n = 200
    out = os.path.join(TMP, "sigint.jsonl")
    urls = "\n".join(srv.url(f"/slow?ms=300&i={i}") for i in range(n)) + "\n"
    p = subprocess.Popen([SCRAPE, "--concurrency", "4", "--grace", "20", "--out", out],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(urls)
    p.stdin.close()
    p.stdin = None  # (communicate() would flush it)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not os.path.exists(out) or os.path.getsize(out) == 0):
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    check(p.returncode == 130, f"graceful SIGINT exits 130 ({p.returncode})")
    check("interrupted by SIGINT; --resume goes on from here" in err, f"says it was interrupted ({err[-200:]!r})")
    got = rows(out)
    check(0 < len(got) < n, f"some rows written ({len(got)})")
    check(all(r["status"] == 200 for r in got), "requests in flight finished within the grace period")
    check(not_attempted(err) == n - len(got), f"every URL has a row or is listed as not attempted ({err[-300:]})")
    check("interrupted" in err, "the summary says the run was interrupted")


def test_second_sigint_cancels_requests_in_flight(srv):
    out = os.path.join(TMP, "sigint2.jsonl")
    p = subprocess.Popen([SCRAPE, "--concurrency", "2", "--log-level", "info", "--out", out,
                          *[srv.url(f"/stall?i={i}") for i in range(4)]],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    started = threading.Event()

    def read():
        for line in p.stderr:
            lines.append(line)
            if "to fetch" in line:
                started.set()

    t = threading.Thread(target=read)
    t.start()
    check(started.wait(60), "corio-scrape reports that it started")
    p.send_signal(signal.SIGINT)
    time.sleep(0.2)  # (either order of the two signals gives the same outcome)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    t.join(timeout=60)
    err = "".join(lines)
    got = rows(out)
    check(p.returncode == 130, f"exit 130 after two SIGINTs ({p.returncode})")
    check(all(r["error_kind"] == "interrupted" for r in got), "cancelled requests get an 'interrupted' row")
    check(all(r["error"] == "interrupted: cancelled by a second interrupt" for r in got),
          f"their rows say the second interrupt cancelled them ({[r['error'] for r in got]})")
    check(len(got) + (not_attempted(err) or 0) == 4, f"nothing lost ({len(got)} rows; {err[-300:]})")


def rows_not_written(stderr):
    for line in stderr.splitlines():
        if " not written (" in line:
            return int(line.split("; ")[-1].split(" ")[0])
    return None


def whole_json_lines(path):
    """The rows of `path`, or None if it does not end with a whole line of JSON."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        return None
    try:
        return [json.loads(line) for line in data.decode().splitlines()]
    except ValueError:
        return None


def check_stopped_by_write_error(r, n, out, what, label):
    check(r.returncode == 3, f"{label}: exit 3 ({r.returncode}: {r.stderr[-300:]!r})")
    check(what in r.stderr, f"{label}: says what failed ({r.stderr[-300:]!r})")
    lost = rows_not_written(r.stderr)
    check(lost is not None and lost > 0, f"{label}: says how many rows are not written ({r.stderr[-300:]!r})")
    if out is not None:
        got = whole_json_lines(out)
        check(got is not None, f"{label}: the file holds whole lines of JSON only")
        if got is not None and lost is not None:
            check(len(got) + lost + (not_attempted(r.stderr) or 0) == n,
                  f"{label}: rows written + not written + not attempted = {n} "
                  f"({len(got)} + {lost} + {not_attempted(r.stderr)})")


def test_write_errors_stop_the_run_with_exit_3_and_leave_whole_lines(srv):
    n = 400
    urls = "".join(srv.url(f"/ok?w={i}") + "\n" for i in range(n))
    r = scrape("--out", "/dev/full", stdin=urls)
    check_stopped_by_write_error(r, n, None, "cannot write /dev/full: No space left on device", "/dev/full")
    with open("/dev/full", "w") as full:
        r = subprocess.run([SCRAPE], input=urls, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    check_stopped_by_write_error(r, n, None, "cannot write stdout: No space left on device", "stdout on /dev/full")

    # A file size limit (no privileges needed) is a disk that fills up mid-line: 5000 bytes is
    # ~26 rows and a part of one. corio-scrape ignores SIGXFSZ itself (Python restores it to the
    # default action in the child), so the limit is a write error, not a death by signal.
    import resource
    out = os.path.join(TMP, "limited.jsonl")
    r = subprocess.run([SCRAPE, "--out", out], input=urls, capture_output=True, text=True, timeout=120,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000)))
    check_stopped_by_write_error(r, n, out, f"cannot write {out}: File too large", "file size limit")
    check(0 < os.path.getsize(out) <= 5000, f"file size limit: the file is cut back ({os.path.getsize(out)} bytes)")

    # A real full disk: a 64 KiB tmpfs (needs root and the right to mount).
    mnt = os.path.join(TMP, "tmpfs")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], capture_output=True, text=True)
    if m.returncode != 0:
        print(f"SKIP (this case only): cannot mount a small tmpfs here ({(m.stderr or 'not root').strip()});"
              " the file size limit above covers a full disk")
        return
    try:
        n = 1000  # ~190 KiB of rows
        out = os.path.join(mnt, "out.jsonl")
        r = scrape("--out", out, stdin="".join(srv.url(f"/ok?t={i}") + "\n" for i in range(n)))
        check_stopped_by_write_error(r, n, out, f"cannot write {out}: No space left on device", "full tmpfs")
    finally:
        subprocess.run(["umount", mnt])


def test_a_reader_that_closes_the_pipe_is_a_write_error(srv):
    # One row read, then the reader is gone: the next row fails with EPIPE (SIGPIPE is ignored).
    p = subprocess.Popen([SCRAPE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(srv.url("/ok?pipe=1") + "\n")
    p.stdin.flush()
    first = json.loads(p.stdout.readline())
    check(first["status"] == 200, "the first row arrives while stdin is open")
    p.stdout.close()
    try:
        p.stdin.write(srv.url("/ok?pipe=2") + "\n")
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.stdin = None
    err = p.stderr.read()
    p.wait(timeout=60)
    check(p.returncode == 3 and "cannot write stdout: Broken pipe" in err and rows_not_written(err) == 1,
          f"closed pipe: exit 3, EPIPE reported, 1 row not written ({p.returncode}, {err[-300:]!r})")


def test_stdin_is_read_as_the_run_goes_and_sigint_works_before_it_ends(srv):
    out = os.path.join(TMP, "streamed.jsonl")
    p = subprocess.Popen([SCRAPE, "--out", out], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write(srv.url("/ok?stream") + "\n")
    p.stdin.flush()  # and held open
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not os.path.exists(out) or os.path.getsize(out) == 0):
        time.sleep(0.02)
    got = whole_json_lines(out) if os.path.exists(out) else None
    check(got is not None and len(got) == 1 and got[0]["status"] == 200, "the row is written before stdin ends")
    err = interrupt(p)
    check(p.returncode == 130, f"SIGINT with stdin open: exit 130 ({p.returncode}, {err[-300:]!r})")
    check("corio-scrape: 1 URLs in" in err and "interrupted by SIGINT" in err, f"the summary is printed ({err!r})")

    # Before any URL arrived: the summary, exit 130, and --out is not created.
    out = os.path.join(TMP, "never.jsonl")
    p = subprocess.Popen([SCRAPE, "--out", out, "--log-level", "info"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()  # signals are handled once this is printed
    check("to fetch" in line, f"corio-scrape reports that it started ({line!r})")
    err = interrupt(p)
    check(p.returncode == 130 and "0 URLs in" in err and "interrupted" in err,
          f"SIGINT before the first URL: summary and exit 130 ({p.returncode}, {err!r})")
    check(not os.path.exists(out), "SIGINT before the first URL: --out is not created")


def test_resume_skips_done_urls_refetches_interrupted_ones_and_cuts_a_torn_line(srv):
    out = os.path.join(TMP, "resume.jsonl")
    a, b, c = srv.url("/ok?r=a"), srv.url("/ok?r=b"), srv.url("/ok?r=c")
    earlier = [{"url": a, "status": 200, "error_kind": None, "elapsed_ms": 12345.0},
               {"url": b, "status": None, "error_kind": "interrupted", "error": "interrupted: x"},
               {"url": a, "status": 200, "error_kind": None, "elapsed_ms": 1.0}]
    with open(out, "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in earlier)
        f.write('{"url": "' + c)  # torn by a kill
    r = scrape("--resume", "--out", out, stdin=f"{a}\n{b}\n{c}\n")
    check(r.returncode == 0, f"resume: exit 0 ({r.returncode}: {r.stderr[-300:]!r})")
    got = whole_json_lines(out)
    check(got is not None, "resume: whole lines of JSON (the torn one is gone)")
    got = got or []
    urls = [row["url"] for row in got]
    check(sorted(urls) == sorted([a, b, c]), f"resume: each URL exactly once ({urls})")
    byurl = {row["url"]: row for row in got}
    check(byurl.get(a, {}).get("elapsed_ms") == 12345.0, "resume: a URL done before is kept, not fetched again")
    check(byurl.get(b, {}).get("status") == 200, "resume: an interrupted row is fetched again and replaced")
    check("resumed: 1 URL already done" in r.stderr, f"resume: the summary counts what was skipped ({r.stderr!r})")

    bad = os.path.join(TMP, "notrows.jsonl")
    with open(bad, "w") as f:
        f.write("hello\n")
    r = scrape("--resume", "--out", bad, a)
    check(r.returncode == 1 and r.stderr == f"corio-scrape: {bad} line 1 is not a corio-scrape row: not resuming from it\n",
          f"resume from a file that is not ours: exit 1, one line ({r.returncode}, {r.stderr!r})")
    check(open(bad).read() == "hello\n", "resume from a file that is not ours: the file is left alone")


def test_save_bodies_stores_each_body_once_by_content(srv):
    import hashlib
    d = os.path.join(TMP, "bodies")
    urls = [srv.url("/ok"), srv.url("/ok?again=1"), srv.url("/gzip"), srv.url("/status/404"),
            "http://127.0.0.1:1/"]
    r = scrape("--save-bodies", d, *urls)
    check(r.returncode == 0, f"--save-bodies run exits 0 ({r.returncode}: {r.stderr[-300:]!r})")
    got = {x["url"]: x for x in map(json.loads, r.stdout.splitlines())}
    check(set(got) == set(urls), "--save-bodies: one row per URL")
    check(all("body_path" in x and "sha256" in x for x in got.values()), "--save-bodies: every row has the keys")
    ok, again = got[srv.url("/ok")], got[srv.url("/ok?again=1")]
    check(ok["sha256"] == hashlib.sha256(b"ok\n").hexdigest(), f"--save-bodies: sha256 of the body ({ok})")
    check(ok["body_path"] == again["body_path"] == os.path.join(d, ok["sha256"][:2], ok["sha256"]),
          "--save-bodies: the same body is stored once, under its hash")
    check(open(ok["body_path"], "rb").read() == b"ok\n", "--save-bodies: the file holds the body")
    gz = got[srv.url("/gzip")]
    data = open(gz["body_path"], "rb").read()
    check(len(data) == gz["bytes"] and hashlib.sha256(data).hexdigest() == gz["sha256"],
          "--save-bodies: a gzip body is stored decoded")
    check(got[srv.url("/status/404")]["body_path"] is not None, "--save-bodies: an error status's body is kept too")
    check(got["http://127.0.0.1:1/"]["body_path"] is None, "--save-bodies: no response, no body (null)")
    check(not [f for f in os.listdir(d) if f.startswith(".body-")], "--save-bodies: no temporary file is left")

    # Crawling: the page is parsed and stored.
    r = scrape("--save-bodies", d, "--depth", "1", "--max-urls", "3", srv.url("/site/"))
    site = [x for x in map(json.loads, r.stdout.splitlines()) if x["url"] == srv.url("/site/")]
    check(r.returncode == 0 and site and site[0]["title"] and site[0]["links"] and site[0]["body_path"],
          f"--save-bodies while crawling: parsed and stored ({r.stdout[:300]!r})")

    r = scrape("--save-bodies", "/dev/null/bodies", srv.url("/ok"))
    check(r.returncode == 1 and "cannot save bodies in /dev/null/bodies" in r.stderr,
          f"--save-bodies into what cannot be a directory: set-up error ({r.returncode}: {r.stderr!r})")

    mnt = os.path.join(TMP, "bodies-tmpfs")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], capture_output=True, text=True)
    if m.returncode != 0:
        print(f"SKIP (this case only): cannot mount a small tmpfs here ({(m.stderr or 'not root').strip()})")
        return
    try:
        n = 40  # distinct 100 KiB bodies: the first does not fit
        r = scrape("--save-bodies", mnt, "-c", "1", stdin="".join(srv.url(f"/bytes/102400?seed={i}") + "\n" for i in range(n)))
        check(r.returncode == 3 and "No space left on device" in r.stderr,
              f"--save-bodies on a full disk: the run stops with exit 3 ({r.returncode}: {r.stderr[-300:]!r})")
        got = list(map(json.loads, r.stdout.splitlines()))
        check(got and got[0]["body_path"] is None, "--save-bodies on a full disk: the row says the body is not stored")
        check(len(got) + not_attempted(r.stderr) + (rows_not_written(r.stderr) or 0) == n,
              f"--save-bodies on a full disk: every URL is accounted for ({len(got)} rows; {r.stderr[-300:]!r})")
        check(not [f for f in os.listdir(mnt) if f.startswith(".body-")], "--save-bodies: the partial file is removed")
    finally:
        subprocess.run(["umount", mnt])


def test_out_of_range_numbers_are_one_line_usage_errors():
    for args, message in [
            (["--timeout", "1e300"], "--timeout expects seconds from 0.001 to 1000000, got '1e300'"),
            (["--max-bytes", "17179869184G"],
             "--max-bytes expects a size from 1 byte to 4G (bytes, or k, M, G for KiB, MiB, GiB), got '17179869184G'"),
            (["--retries", "99999999999"], "--retries expects a whole number from 0 to 100, got '99999999999'"),
            (["--rate", "1e-9"], "--rate expects requests per second from 0.001 to 1000000, or 0 for no limit, got '1e-9'"),
            (["-X", "POST"], "-X expects GET or HEAD, got 'POST'"),
            (["-H", "X-Evil: a\r\nInjected: 1"], "-H X-Evil: a header value must not contain control characters (CR, LF, NUL...)"),
            (["-X", "HEAD", "-d", "1"], "-X HEAD cannot crawl: --depth needs the pages' bodies to find their links")]:
        r = scrape(*args, "http://127.0.0.1:9/")
        check(r.returncode == 2 and r.stdout == "" and r.stderr == f"corio-scrape: {message}\n" + TRY_HELP,
              f"{args}: exit 2, one line and where to look ({r.returncode}, {r.stderr!r})")
    r = scrape("--help")
    for text in ("-H, --header", "-X, --request", "--max-redirects N", "--cacert FILE", "--max-time S",
                 "--max-retry-after S", "1 to 4G", "0 to 100", "-V, --version"):
        check(text in r.stdout, f"--help mentions {text!r}")


def test_version():
    for flag in ("--version", "-V"):
        r = scrape(flag)
        check(r.returncode == 0 and re.fullmatch(r"corio-scrape \d+\.\d+\.\d+\n", r.stdout) and r.stderr == "",
              f"{flag}: 'corio-scrape X.Y.Z', exit 0 ({r.returncode}, {r.stdout!r}, {r.stderr!r})")


def one_row(r, what):
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 1, f"{what}: exit 0 and one row ({r.returncode}: {r.stdout!r} {r.stderr[-300:]!r})")
    return json.loads(lines[0]) if lines else {}


def test_headers_reach_the_server_and_replace_defaults(srv):
    def expect(name, value, count=1):
        return srv.url(f"/expect-header?name={name}&value={urllib.parse.quote(value)}&count={count}")

    r = scrape("--retries", "0", "-H", "X-Token: s3cret", "--header", "User-Agent: probe/9", "-H", "Accept: text/html",
               "-H", "X-Multi: a", "-H", "X-Multi: b",
               expect("X-Token", "s3cret"), expect("User-Agent", "probe/9"), expect("Accept", "text/html"),
               expect("X-Multi", "b", 2), expect("User-Agent", "corio-scrape/0.1", 1))
    got = {row["url"]: row for row in map(json.loads, r.stdout.splitlines())}
    check(r.returncode == 0 and len(got) == 5, f"-H: one row per URL ({r.returncode}, {r.stderr[-300:]!r})")
    for url in list(got)[:4]:
        check(got[url]["status"] == 200, f"-H: the server saw the field(s) exactly as given ({url}: {got[url]['status']})")
    # The default User-Agent is replaced, not sent as well.
    check(got[expect("User-Agent", "corio-scrape/0.1")]["status"] == 400, "-H User-Agent replaces the default one")
    row = one_row(scrape("--retries", "0", expect("User-Agent", "corio-scrape/0.1")), "no -H")
    check(row.get("status") == 200, f"without -H, the default User-Agent is sent ({row})")


def test_head_requests_and_redirects_not_followed(srv):
    row = one_row(scrape("-X", "HEAD", srv.url("/ok")), "-X HEAD")
    check(row.get("status") == 200 and row.get("bytes") == 0 and row.get("error") is None,
          f"-X HEAD: a row with the status and no body ({row})")
    row = one_row(scrape(srv.url("/ok")), "GET")
    check(row.get("bytes") == 3, f"GET (the default) has the body ({row})")
    row = one_row(scrape("--max-redirects", "0", srv.url("/redirect/2")), "--max-redirects 0")
    check(row.get("status") == 302 and row.get("final_url") == srv.url("/redirect/2") and row.get("error") is None,
          f"--max-redirects 0: the redirect is the row ({row})")
    row = one_row(scrape("--max-redirects", "1", srv.url("/redirect/2")), "--max-redirects 1")
    check(row.get("error_kind") == "too_many_redirects", f"--max-redirects 1: two are too many ({row})")
    row = one_row(scrape("--max-redirects", "2", srv.url("/redirect/2")), "--max-redirects 2")
    check(row.get("status") == 200 and row.get("final_url") == srv.url("/redirect/0"), f"--max-redirects 2 ({row})")


def test_max_time_caps_a_url_that_would_retry_for_long(srv):
    # 100 answers of 429 with Retry-After: 5, 50 retries: ~4 minutes without the cap.
    url = srv.url("/retry-after?key=maxtime&fails=100&after=5")
    row = one_row(scrape("--retries", "50", "--max-time", "1", url), "--max-time")
    check(row.get("error_kind") == "timeout" and row.get("status") is None
          and row.get("error") == "timeout: the per-URL time cap (--max-time 1 s) was reached "
                                  "(attempts, retry waits and Retry-After included)",
          f"--max-time: a 'timeout' row saying the per-URL cap was reached ({row})")
    # The attempts started before the cap are counted (500s, retried after a short backoff).
    row = one_row(scrape("--retries", "50", "--max-time", "3", srv.url("/flaky?key=maxtime-count&fails=100")),
                  "--max-time, attempts")
    check(row.get("error_kind") == "timeout" and row.get("attempts", 0) >= 2,
          f"--max-time: the row counts the attempts made before the cap ({row})")
    # A stalled request is cut the same way, whatever --timeout says.
    row = one_row(scrape("--timeout", "600", "--read-timeout", "600", "--max-time", "0.5", srv.url("/stall?mt")),
                  "--max-time on /stall")
    check(row.get("error_kind") == "timeout" and "--max-time 0.5 s" in (row.get("error") or ""), f"--max-time on /stall ({row})")


def test_retry_notices_name_the_url_they_are_about(srv):
    # The notice comes from the HTTP client's retry loop; the URL comes from the fetch task's context.
    urls = [srv.url(f"/flaky?key=notice-{i}&fails=1") for i in range(3)]
    r = scrape("--retries", "2", "--log-level", "debug", "--concurrency", "3", *urls)
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    check(sorted(row.get("url") for row in rows) == sorted(urls) and all(row.get("status") == 200 for row in rows),
          f"three flaky URLs, each fetched on its second attempt ({rows})")
    for u in urls:
        check(f"{u}: attempt 1 failed" in r.stderr, f"the retry notice names {u} ({r.stderr[-600:]!r})")
    check("(no URL)" not in r.stderr, f"no retry notice without its URL ({r.stderr[-600:]!r})")


def test_a_retry_after_over_the_cap_is_not_waited_for(srv):
    url = srv.url("/retry-after?key=cap&fails=1&after=3600")
    r = scrape("--retries", "2", "--log-level", "info", url)
    row = one_row(r, "Retry-After 3600")
    check(row.get("status") == 429 and row.get("attempts") == 1 and row.get("error_kind") == "http_status"
          and row.get("error") == "http_status: HTTP 429 Too Many Requests; not retried: "
                                  "Retry-After 3600 s is over --max-retry-after (60 s)",
          f"Retry-After over the default cap: no retry, the 429 is the row and says why ({row})")
    check(row.get("content_type") == "text/plain" and row.get("bytes") == len("try again\n"),
          f"... with the response's type and size, as any other row ({row})")
    check("not retried: Retry-After 3600 s" in r.stderr, f"... and the log says so too ({r.stderr[-300:]!r})")
    url = srv.url("/retry-after?key=cap2&fails=1&after=2&code=503")
    row = one_row(scrape("--retries", "2", "--max-retry-after", "1", url), "--max-retry-after 1")
    check(row.get("status") == 503 and row.get("attempts") == 1
          and "not retried: Retry-After 2 s is over --max-retry-after (1 s)" in (row.get("error") or ""),
          f"--max-retry-after 1: a Retry-After of 2 s is not waited for ({row})")
    url = srv.url("/retry-after?key=cap3&fails=1&after=0")
    row = one_row(scrape("--retries", "2", "--max-retry-after", "0", url), "--max-retry-after 0")
    check(row.get("status") == 200 and row.get("attempts") == 2, f"a Retry-After within the cap is honoured ({row})")


def test_cacert(tmp, srv):
    r = scrape("--cacert", "/nonexistent/ca.pem", srv.url("/ok"))
    check(r.returncode == 1 and r.stdout == ""
          and r.stderr == "corio-scrape: cannot read /nonexistent/ca.pem (--cacert): No such file or directory\n",
          f"--cacert with a missing file: exit 1 before the run, one line ({r.returncode}, {r.stderr!r})")
    notpem = os.path.join(tmp, "notpem.txt")
    with open(notpem, "w") as f:
        f.write("not a certificate\n")
    out = os.path.join(tmp, "cacert-out.jsonl")
    r = scrape("--cacert", notpem, "--out", out, srv.url("/ok"))
    check(r.returncode == 1 and r.stderr.startswith(f"corio-scrape: --cacert {notpem} holds no usable PEM certificate")
          and r.stderr.count("\n") == 1 and not os.path.exists(out),
          f"--cacert with a file that is not PEM: exit 1, nothing written ({r.returncode}, {r.stderr!r})")
    cert = os.path.join(tmp, "cacert.pem")
    tls = TestServer(SERVER, "--tls", cert)
    try:
        row = one_row(scrape("--retries", "0", "--cacert", cert, tls.url("/ok", "https")), "--cacert")
        check(row.get("status") == 200 and row.get("error") is None, f"--cacert: the server's certificate is trusted ({row})")
    finally:
        tls.close()


def main():
    srv = TestServer(SERVER)
    try:
        test_usage_and_setup_errors()
        test_out_of_range_numbers_are_one_line_usage_errors()
        test_version()
        test_headers_reach_the_server_and_replace_defaults(srv)
        test_head_requests_and_redirects_not_followed(srv)
        test_max_time_caps_a_url_that_would_retry_for_long(srv)
        test_retry_notices_name_the_url_they_are_about(srv)
        test_a_retry_after_over_the_cap_is_not_waited_for(srv)
        test_cacert(TMP, srv)
        test_urls_from_stdin_and_file_with_failures_still_exit_zero(srv)
        test_a_url_without_a_scheme_is_fetched_over_http_with_a_warning(srv)
        test_tls_verification_and_insecure(TMP)
        test_sigint_finishes_requests_in_flight_and_lists_the_rest(srv)
        test_second_sigint_cancels_requests_in_flight(srv)
        test_write_errors_stop_the_run_with_exit_3_and_leave_whole_lines(srv)
        test_a_reader_that_closes_the_pipe_is_a_write_error(srv)
        test_stdin_is_read_as_the_run_goes_and_sigint_works_before_it_ends(srv)
        test_save_bodies_stores_each_body_once_by_content(srv)
        test_resume_skips_done_urls_refetches_interrupted_ones_and_cuts_a_torn_line(srv)
    finally:
        srv.close()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
