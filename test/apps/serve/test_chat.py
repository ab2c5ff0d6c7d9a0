"""corio-serve's /ws/chat with a minimal WebSocket client over raw sockets.

Run: test_chat.py --server build/apps/serve/corio-serve [-k pattern]
"""
import json
import subprocess
import threading
import time
import unittest

import harness
from harness import Server, WebSocket


def until(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def skip_events(ws):
    """The next chat message, skipping join/leave events."""
    while True:
        m = ws.recv_json()
        if m["type"] == "message":
            return m


class Chat(unittest.TestCase):
    def test_members_see_each_others_messages_and_joins_and_leaves(self):
        with Server() as srv:
            ada = WebSocket(srv.port, "/ws/chat?name=ada")
            self.assertEqual(ada.status, 101)
            own = ada.recv_json()
            self.assertEqual((own["type"], own["name"], own["members"]), ("join", "ada", 1))
            bob = WebSocket(srv.port, "/ws/chat?name=bob")
            joined = ada.recv_json()
            self.assertEqual((joined["type"], joined["name"], joined["members"]), ("join", "bob", 2))
            bob.send_text("hello from bob")
            for ws in (ada, bob):
                m = skip_events(ws)
                self.assertEqual((m["from"], m["text"]), ("bob", "hello from bob"))
            bob.close()
            left = ada.recv_json()
            while left["type"] != "leave":
                left = ada.recv_json()
            self.assertEqual((left["name"], left["members"]), ("bob", 1))
            ada.close()

    def test_a_plain_get_gets_426(self):
        with Server() as srv:
            out = subprocess.run(["curl", "-s", "-i", "--max-time", "30", srv.url + "/ws/chat"],
                                 capture_output=True, timeout=60).stdout
            self.assertTrue(out.startswith(b"HTTP/1.1 426"), out[:80])

    def test_a_member_that_does_not_read_is_dropped_with_1008_and_slows_nobody(self):
        with Server() as srv:
            slow = WebSocket(srv.port, "/ws/chat?name=slow", rcvbuf=4096)
            fast = WebSocket(srv.port, "/ws/chat?name=fast")
            sender = WebSocket(srv.port, "/ws/chat?name=sender")
            received = []

            def read_fast():
                try:
                    while True:
                        m = fast.recv_json()
                        if m["type"] == "message":
                            received.append(m["text"])
                except (ConnectionError, OSError, AssertionError):
                    pass

            reader = threading.Thread(target=read_fast)
            reader.start()
            total, burst, payload = 3000, 32, "x" * 3000
            start = time.monotonic()
            for i in range(0, total, burst):
                for j in range(i, min(i + burst, total)):
                    sender.send_text("%d %s" % (j, payload))
                # Pace by the fast member, so that its own 64-message outbox never fills.
                self.assertTrue(until(lambda: len(received) >= min(i + burst, total)), len(received))
            took = time.monotonic() - start
            self.assertEqual([int(t.split()[0]) for t in received], list(range(total)))
            self.assertLess(took, 120)
            self.assertGreaterEqual(srv.get_json("/api/stats")["chat_dropped"], 1)
            # The slow member gets what was already on its way, then the close frame.
            seen = 0
            while True:
                frame = slow.recv()
                if frame[0] == "close":
                    self.assertEqual(frame[1], 1008)
                    self.assertEqual(frame[2], "too slow")
                    break
                seen += 1
            self.assertLess(seen, total)
            for ws in (slow, fast, sender):
                ws.close()
            reader.join(timeout=30)

    def test_oversized_messages_close_the_member_with_1009(self):
        with Server() as srv:
            ws = WebSocket(srv.port, "/ws/chat?name=big")
            ws.recv_json()  # own join
            ws.send_text("y" * 5000)
            while True:
                frame = ws.recv()
                if frame[0] == "close":
                    self.assertEqual(frame[1], 1009)
                    break
            ws.close()

    def test_shutdown_says_going_away_1001_and_exits_0(self):
        with Server() as srv:
            ws = WebSocket(srv.port, "/ws/chat?name=stayer")
            ws.recv_json()
            srv.proc.send_signal(__import__("signal").SIGTERM)
            while True:
                frame = ws.recv()
                if frame[0] == "close":
                    self.assertEqual(frame[1], 1001)
                    break
            ws.close()
            self.assertEqual(srv.proc.wait(timeout=30), 0)

    def test_a_member_that_answers_the_close_but_keeps_the_socket_open_does_not_outlast_the_drain(self):
        with Server("--drain-timeout", "1s", "--write-timeout", "20s") as srv:
            ws = WebSocket(srv.port, "/ws/chat?name=lingerer")
            ws.recv_json()
            t0 = time.monotonic()
            srv.proc.send_signal(__import__("signal").SIGTERM)
            while True:
                frame = ws.recv()
                if frame[0] == "close":
                    break
            ws.send_close(1000)  # the closing handshake is answered, the TCP connection kept open
            self.assertEqual(srv.proc.wait(timeout=30), 0)
            took = time.monotonic() - t0
            self.assertLess(took, 10, "the server waited for the peer past --drain-timeout")
            ws.close()

    def test_members_on_different_shards_share_the_room(self):
        with Server("--threads", "2", "--acceptor", "single") as srv:
            # Round-robin hand-off: consecutive connections land on different shards.
            a = WebSocket(srv.port, "/ws/chat?name=a")
            b = WebSocket(srv.port, "/ws/chat?name=b")
            c = WebSocket(srv.port, "/ws/chat?name=c")
            self.assertTrue(until(lambda: srv.get_json("/api/stats")["chat_members"] == 3))
            for i in range(20):
                a.send_text("from a %d" % i)
            for ws in (a, b, c):
                texts = [skip_events(ws)["text"] for _ in range(20)]
                self.assertEqual(texts, ["from a %d" % i for i in range(20)])
            for ws in (a, b, c):
                ws.close()


if __name__ == "__main__":
    harness.parse_args()
    unittest.main(verbosity=2)
