"""One chat room across two corio-serve instances (--redis), through a real redis-server and,
for the clients, a real nginx whose upstream is both instances; all started here on free loopback
ports, with their files in a temporary directory.

Run: test_chat_redis.py --server corio-serve --redis-server PATH --nginx PATH [-k pattern]
Exits 77 (skipped) when redis-server or nginx is not installed (scripts/deps.sh installs both).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import Server, WebSocket

REDIS_SERVER = None
NGINX = None


def until(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Redis:
    """redis-server on a loopback port, no persistence; killed and started again on that port."""

    def __init__(self, tmp, port=None):
        self.dir, self.port, self.proc = tmp, port or free_port(), None

    def start(self):
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                                      "--save", "", "--appendonly", "no", "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not until(lambda: listening(self.port) or self.proc.poll() is not None) or self.proc.poll() is not None:
            raise RuntimeError("redis-server did not start on port %d" % self.port)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port


class Nginx:
    """nginx in front of `ports` (an upstream, round-robin), WebSocket upgrades passed through."""

    def __init__(self, tmp, ports):
        self.dir, self.port = tmp, free_port()
        servers = "".join("    server 127.0.0.1:%d;\n" % p for p in ports)
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %(d)s/body; proxy_temp_path %(d)s/proxy; fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi; scgi_temp_path %(d)s/scgi;
  upstream chat {
%(servers)s  }
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      proxy_pass http://chat;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 300s;
    }
  }
}
""" % {"d": tmp, "servers": servers, "port": self.port})
        self.proc = subprocess.Popen([NGINX, "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not until(lambda: listening(self.port) or self.proc.poll() is not None) or self.proc.poll() is not None:
            raise RuntimeError("nginx did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def relay_connected(srv):
    return srv.get_json("/api/stats").get("chat_relay_connected") is True


def next_message(ws):
    while True:
        m = ws.recv_json()
        if m["type"] == "message":
            return m


class ChatAcrossInstances(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="corio-serve-chat-redis-")
        self.redis = Redis(self.tmp)
        self.redis.start()

    def tearDown(self):
        if self.redis.proc.poll() is None:
            self.redis.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def two_instances(self):
        return Server("--redis", self.redis.url), Server("--redis", self.redis.url)

    def test_members_on_two_instances_behind_nginx_chat_both_ways(self):
        a, b = self.two_instances()
        with a, b:
            self.assertTrue(until(lambda: relay_connected(a) and relay_connected(b)))
            proxy = Nginx(self.tmp, [a.port, b.port])
            try:
                ada = WebSocket(proxy.port, "/ws/chat?name=ada")
                bob = WebSocket(proxy.port, "/ws/chat?name=bob")
                self.assertEqual((ada.status, bob.status), (101, 101))
                # nginx's round robin put one member on each instance.
                self.assertEqual(sorted([a.get_json("/api/stats")["chat_members"],
                                         b.get_json("/api/stats")["chat_members"]]), [1, 1])
                # ada hears of bob's join, which happened on the other instance.
                while True:
                    ev = ada.recv_json()
                    if ev["type"] == "join" and ev["name"] == "bob":
                        break
                ada.send_text("hi bob")
                m = next_message(bob)
                self.assertEqual((m["from"], m["text"]), ("ada", "hi bob"))
                bob.send_text("hi ada")
                m = next_message(ada)
                self.assertEqual((m["from"], m["text"]), ("ada", "hi bob"))  # her own, once
                m = next_message(ada)
                self.assertEqual((m["from"], m["text"]), ("bob", "hi ada"))
                m = next_message(bob)
                self.assertEqual((m["from"], m["text"]), ("bob", "hi ada"))
                for i in range(50):
                    (ada if i % 2 else bob).send_text("n%d" % i)
                got_a = [next_message(ada)["text"] for _ in range(50)]
                got_b = [next_message(bob)["text"] for _ in range(50)]
                # Each sender's messages in the order sent, on both sides.
                for got in (got_a, got_b):
                    self.assertEqual([t for t in got if int(t[1:]) % 2], ["n%d" % i for i in range(1, 50, 2)])
                    self.assertEqual([t for t in got if int(t[1:]) % 2 == 0], ["n%d" % i for i in range(0, 50, 2)])
                sa, sb = a.get_json("/api/stats"), b.get_json("/api/stats")
                self.assertEqual(sa["chat_relay_dropped"] + sb["chat_relay_dropped"], 0)
                self.assertGreaterEqual(sa["chat_relay_received"], 1)
                self.assertGreaterEqual(sb["chat_relay_received"], 1)
                ada.close()
                bob.close()
            finally:
                proxy.stop()

    def test_a_redis_restart_mid_chat_is_reconnected_and_the_chat_resumes(self):
        a, b = self.two_instances()
        with a, b:
            self.assertTrue(until(lambda: relay_connected(a) and relay_connected(b)))
            ada = WebSocket(a.port, "/ws/chat?name=ada")
            bob = WebSocket(b.port, "/ws/chat?name=bob")
            ada.send_text("before")
            self.assertEqual(next_message(bob)["text"], "before")
            self.redis.kill()
            self.assertTrue(until(lambda: not relay_connected(a) and not relay_connected(b)))
            # The room goes on within each instance meanwhile.
            local = WebSocket(a.port, "/ws/chat?name=local")
            local.send_text("during")
            self.assertEqual(next_message(ada)["text"], "before")  # (her own)
            self.assertEqual(next_message(ada)["text"], "during")
            self.redis.start()
            self.assertTrue(until(lambda: relay_connected(a) and relay_connected(b), timeout=60))
            ada.send_text("after")
            # "during" may reach bob too: sent while Redis was down, its PUBLISH may be retried
            # after it is back (within the relay's 10 s); nothing else comes before "after".
            m = next_message(bob)
            if m["text"] == "during":
                m = next_message(bob)
            self.assertEqual(m["text"], "after")
            bob.send_text("back")
            self.assertEqual(next_message(ada)["text"], "after")
            self.assertEqual(next_message(ada)["text"], "back")
            for ws in (ada, bob, local):
                ws.close()
            self.assertEqual(a.stop(), 0)
            self.assertEqual(b.stop(), 0)

    def test_an_instance_started_before_redis_connects_once_it_is_up(self):
        self.redis.kill()
        with Server("--redis", self.redis.url) as a:
            self.assertFalse(a.get_json("/api/stats")["chat_relay_connected"])  # serving meanwhile
            self.redis.start()
            self.assertTrue(until(lambda: relay_connected(a), timeout=60))

    def test_a_slow_member_on_the_other_instance_is_dropped_with_1008_and_slows_nobody(self):
        a, b = self.two_instances()
        with a, b:
            self.assertTrue(until(lambda: relay_connected(a) and relay_connected(b)))
            slow = WebSocket(b.port, "/ws/chat?name=slow", rcvbuf=4096)
            fast = WebSocket(b.port, "/ws/chat?name=fast")
            sender = WebSocket(a.port, "/ws/chat?name=sender")
            self.assertTrue(until(lambda: a.get_json("/api/stats")["chat_members"] == 1 and
                                  b.get_json("/api/stats")["chat_members"] == 2))
            total = 2000
            received, reader = harness.flood_paced(sender, fast, total)
            self.assertEqual([int(t.split()[0]) for t in received], list(range(total)))
            self.assertGreaterEqual(b.get_json("/api/stats")["chat_dropped"], 1)
            self.assertEqual(a.get_json("/api/stats")["chat_relay_dropped"], 0)
            seen = 0
            while True:
                frame = slow.recv()
                if frame[0] == "close":
                    self.assertEqual((frame[1], frame[2]), (1008, "too slow"))
                    break
                seen += 1
            self.assertLess(seen, total)
            for ws in (slow, fast, sender):
                ws.close()
            reader.join(timeout=30)


class WithoutRedis(unittest.TestCase):
    def test_without_redis_there_is_no_relay_and_a_bad_url_is_a_usage_error(self):
        with Server() as srv:
            self.assertNotIn("chat_relay_connected", srv.get_json("/api/stats"))
        bad = subprocess.run([harness.SERVER, "--redis", "http://127.0.0.1:1", "--port", "0"], capture_output=True,
                             timeout=30)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"--redis", bad.stderr)
        secret = subprocess.run([harness.SERVER, "--redis", "redis://:s3cret@127.0.0.1:notaport", "--port", "0"],
                                capture_output=True, timeout=30)
        self.assertEqual(secret.returncode, 2)
        self.assertNotIn(b"s3cret", secret.stderr)


def take(args, flag):
    i = args.index(flag)
    value = args[i + 1]
    del args[i:i + 2]
    return value


if __name__ == "__main__":
    REDIS_SERVER = take(sys.argv, "--redis-server") if "--redis-server" in sys.argv else shutil.which("redis-server")
    NGINX = take(sys.argv, "--nginx") if "--nginx" in sys.argv else shutil.which("nginx")
    harness.parse_args()
    missing = [n for n, p in (("redis-server", REDIS_SERVER), ("nginx", NGINX)) if not p or not os.access(p, os.X_OK)]
    if missing:
        print("SKIP: %s not installed (scripts/deps.sh installs them)" % ", ".join(missing))
        sys.exit(77)
    unittest.main(verbosity=2)
