#!/usr/bin/env python3
"""corio-scrape through a real HTTP proxy: tinyproxy, started here on a free loopback port with its
config and log in a temp dir, in front of scrape_test_server (plain and TLS). Checks --proxy,
--noproxy, the environment (http_proxy, https_proxy/HTTPS_PROXY, no_proxy/NO_PROXY; HTTP_PROXY
ignored as curl does), --proxy '' , a refused CONNECT, proxy credentials (and that they never
show), and malformed proxy URLs (exit 2).

    proxy_test.py CORIO_SCRAPE SCRAPE_TEST_SERVER TINYPROXY

Exit 77 (skipped) when tinyproxy is not installed (scripts/deps.sh installs it).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import check, finish, TestServer, without_proxies, free_port

SCRAPE, SERVER, TINYPROXY = sys.argv[1], sys.argv[2], sys.argv[3]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Tinyproxy:
    """tinyproxy in the foreground (-d) on 127.0.0.1, `extra` appended to its config."""

    def __init__(self, tmp, name, extra=""):
        self.log_path = os.path.join(tmp, name + ".log")
        conf = os.path.join(tmp, name + ".conf")
        for _ in range(5):  # the port was free when picked; another try if it was taken meanwhile
            self.port = free_port()
            with open(conf, "w") as f:
                f.write(f"Port {self.port}\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\nMaxClients 50\n"
                        f'LogLevel Connect\nViaProxyName "corio-test-proxy"\n{extra}')
            self.log = open(self.log_path, "w")
            self.proc = subprocess.Popen([TINYPROXY, "-d", "-c", conf], stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None and not listening(self.port):
                time.sleep(0.02)
            if self.proc.poll() is None and listening(self.port):
                return
            self.close()
        raise RuntimeError("tinyproxy did not start: " + open(self.log_path).read())

    def url(self, userinfo=""):
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.log.close()


def scrape(*args, env=None, timeout=120):
    e = without_proxies()
    e.update(env or {})
    return subprocess.run([SCRAPE, "--retries", "0", *args], capture_output=True, text=True, timeout=timeout, env=e)


def one_row(r):
    lines = r.stdout.splitlines()
    return json.loads(lines[0]) if r.returncode == 0 and len(lines) == 1 else None


def test_http_through_the_proxy(srv, proxy):
    r = scrape("--proxy", proxy.url(), srv.url("/proxied"))
    row = one_row(r)
    check(row and row["status"] == 200, f"--proxy: the server sees the proxy's Via ({r.returncode} {r.stdout!r})")
    check(f"GET {srv.url('/proxied')} HTTP/1.1" in proxy.text(), "--proxy: the proxy got an absolute-form request")
    r = scrape("--proxy", f"127.0.0.1:{proxy.port}", srv.url("/proxied"))
    row = one_row(r)
    check(row and row["status"] == 200, f"--proxy host:port (no scheme) works ({r.stdout!r})")
    r = scrape(srv.url("/proxied"))
    row = one_row(r)
    check(row and row["status"] == 400, f"without a proxy the server sees no Via ({r.stdout!r})")


def test_the_environment(srv, tls, proxy):
    r = scrape(srv.url("/proxied"), env={"http_proxy": proxy.url()})
    row = one_row(r)
    check(row and row["status"] == 200, f"http_proxy is used ({r.stdout!r})")
    r = scrape(srv.url("/proxied"), env={"HTTP_PROXY": proxy.url()})
    row = one_row(r)
    check(row and row["status"] == 400, f"HTTP_PROXY is ignored, as curl does ({r.stdout!r})")
    r = scrape("--proxy", "", srv.url("/proxied"), env={"http_proxy": proxy.url()})
    row = one_row(r)
    check(row and row["status"] == 400, f"--proxy '' ignores http_proxy ({r.stdout!r})")
    for var in ("no_proxy", "NO_PROXY"):
        r = scrape(srv.url("/proxied"), env={"http_proxy": proxy.url(), var: "example.com, 127.0.0.1"})
        row = one_row(r)
        check(row and row["status"] == 400, f"{var} sends the listed host direct ({r.stdout!r})")
    r = scrape("--noproxy", "127.0.0.1", srv.url("/proxied"), env={"http_proxy": proxy.url()})
    row = one_row(r)
    check(row and row["status"] == 400, f"--noproxy sends the listed host direct ({r.stdout!r})")
    r = scrape("--noproxy", "", srv.url("/proxied"), env={"http_proxy": proxy.url(), "no_proxy": "*"})
    row = one_row(r)
    check(row and row["status"] == 200, f"--noproxy '' overrides no_proxy ({r.stdout!r})")
    # https:// URLs take https_proxy (or HTTPS_PROXY), never http_proxy.
    connect_line = f"CONNECT 127.0.0.1:{tls.port} HTTP/1.1"
    before = proxy.text().count(connect_line)
    r = scrape("--insecure", tls.url("/ok", "https"), env={"http_proxy": proxy.url()})
    row = one_row(r)
    check(row and row["status"] == 200 and proxy.text().count(connect_line) == before,
          f"http_proxy does not serve https:// URLs ({r.stdout!r})")
    for var in ("https_proxy", "HTTPS_PROXY"):
        before = proxy.text().count(connect_line)
        r = scrape("--insecure", tls.url("/proxied", "https"), env={var: proxy.url()})
        row = one_row(r)
        # Through a tunnel the proxy sees no request, so the server sees no Via: 400.
        check(row and row["status"] == 400 and proxy.text().count(connect_line) == before + 1,
              f"{var}: https:// through a CONNECT tunnel ({r.stdout!r})")


def test_a_refused_tunnel(tls, tmp):
    strict = Tinyproxy(tmp, "strict", "ConnectPort 443\n")  # the test server's port is not allowed
    try:
        r = scrape("--insecure", "--proxy", strict.url(), tls.url("/ok", "https"))
        row = one_row(r)
        check(row and row["error_kind"] == "proxy" and "refused the tunnel" in row["error"] and "HTTP 403" in row["error"],
              f"a CONNECT answered 403 is error_kind proxy naming the status ({r.stdout!r})")
    finally:
        strict.close()


def test_proxy_credentials(srv, tls, tmp):
    auth = Tinyproxy(tmp, "auth", f"BasicAuth alice s3cret-pw\nConnectPort {tls.port}\n")
    try:
        r = scrape("--proxy", auth.url(), srv.url("/ok"))
        row = one_row(r)
        check(row and row["status"] == 407, f"without credentials: the proxy's 407 ({r.stdout!r})")
        r = scrape("--log-level", "info", "--insecure", "--proxy", auth.url("alice:s3cret-pw"), srv.url("/proxied"),
                   tls.url("/ok", "https"))
        got = {json.loads(line)["url"]: json.loads(line) for line in r.stdout.splitlines()}
        check(r.returncode == 0 and got.get(srv.url("/proxied"), {}).get("status") == 200,
              f"with credentials: forwarded ({r.stdout!r})")
        check(got.get(tls.url("/ok", "https"), {}).get("status") == 200, f"with credentials: tunnelled ({r.stdout!r})")
        check("s3cret-pw" not in r.stdout + r.stderr and f"alice:***@127.0.0.1:{auth.port}" in r.stderr,
              f"the proxy's password never shows ({r.stderr!r})")
        r = scrape("--insecure", "--proxy", auth.url("alice:wrong-pw"), tls.url("/ok", "https"))
        row = one_row(r)
        check(row and row["error_kind"] == "proxy" and "refused the credentials" in row["error"]
              and "wrong-pw" not in r.stdout + r.stderr, f"wrong credentials: a clear error, hidden ({r.stdout!r})")
    finally:
        auth.close()


def test_malformed_proxy_urls_are_usage_errors(srv):
    for bad in ("ftp://proxy.test:21", "https://proxy.test:443", "http://proxy.test:3128/path", "http://:3128",
                "http://user:hush-hush@proxy.test:99999"):
        r = scrape("--proxy", bad, srv.url("/ok"))
        check(r.returncode == 2 and r.stdout == "" and r.stderr.startswith("corio-scrape: --proxy: invalid proxy URL")
              and "hush-hush" not in r.stderr, f"--proxy {bad}: exit 2, one clear line ({r.returncode}, {r.stderr!r})")
    for var in ("http_proxy", "https_proxy", "HTTPS_PROXY"):
        r = scrape(srv.url("/ok"), env={var: "socks5://user:hush-hush@proxy.test"})
        check(r.returncode == 2 and f"the environment's {var}: invalid proxy URL" in r.stderr
              and "hush-hush" not in r.stderr, f"{var} malformed: exit 2 ({r.returncode}, {r.stderr!r})")


def main():
    if not shutil.which(TINYPROXY):
        print(f"SKIP: tinyproxy not found ({TINYPROXY!r}; scripts/deps.sh installs it)")
        return 77
    tmp = tempfile.mkdtemp(prefix="corio-scrape-proxy-")
    srv = TestServer(SERVER)
    tls = TestServer(SERVER, "--tls", os.path.join(tmp, "cert.pem"))
    proxy = None
    try:
        proxy = Tinyproxy(tmp, "open", f"ConnectPort {tls.port}\n")
        test_http_through_the_proxy(srv, proxy)
        test_the_environment(srv, tls, proxy)
        test_a_refused_tunnel(tls, tmp)
        test_proxy_credentials(srv, tls, tmp)
        test_malformed_proxy_urls_are_usage_errors(srv)
    finally:
        if proxy:
            proxy.close()
        srv.close()
        tls.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
