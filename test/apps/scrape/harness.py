"""What corio-scrape's process-level tests share: checks that collect their failures (a test
reports every broken expectation, then exits 1), scrape_test_server as a process, free loopback
ports, and an environment without proxy variables (a developer's http_proxy must not reroute
loopback requests)."""
import os
import socket
import subprocess

PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy",
              "ALL_PROXY")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def finish():
    """The exit status: 1 (and how many) if a check failed, else 0."""
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("OK")
    return 0


class TestServer:
    """scrape_test_server: prints its port, serves until its stdin closes."""

    def __init__(self, exe, *args):
        self.proc = subprocess.Popen([exe, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def url(self, path, scheme="http", host="127.0.0.1"):
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_proxies(env=None):
    """`env` (default: this process's environment) without any proxy variable."""
    return {k: v for k, v in (os.environ if env is None else env).items() if k not in PROXY_VARS}
