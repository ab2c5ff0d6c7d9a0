"""corio-serve's /ws/chat with a minimal WebSocket client over raw sockets.

Run: test_chat.py --server build/apps/serve/corio-serve [-k pattern]
"""
import json
import os
import socket
import subprocess
import time
import unittest

import harness
from harness import Server, WebSocket, closed_by_peer


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
            total = 3000
            start = time.monotonic()
            received, reader = harness.flood_paced(sender, fast, total)
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

    def test_a_join_storm_is_announced_in_batches_and_every_join_and_leave_is_counted(self):
        n = 300
        with Server() as srv:
            watcher = WebSocket(srv.port, "/ws/chat?name=watcher")
            self.assertEqual(watcher.recv_json()["type"], "join")
            events = []

            def count(e, kind):  # the joins (or leaves) an event announces
                if e["type"] == "presence":
                    return e[kind + "ed_count" if kind == "join" else "left_count"]
                return int(e["type"] == kind)

            def collect_until(kind, total):
                seen = 0
                while seen < total:
                    e = watcher.recv_json()
                    if e["type"] != "message":
                        events.append(e)
                        seen += count(e, kind)
                self.assertEqual(seen, total)

            # Every handshake is sent before any is read: the joins land together.
            socks = [socket.create_connection(("127.0.0.1", srv.port), timeout=30) for _ in range(n)]
            for i, s in enumerate(socks):
                s.sendall(("GET /ws/chat?name=m%d HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % i).encode())
            collect_until("join", n)
            self.assertEqual(sum(count(e, "leave") for e in events), 0)
            self.assertEqual(events[-1]["members"], n + 1)
            # At most one announcement per 100 ms (the clock is milliseconds: 99 allows for rounding).
            gaps = [b["ts"] - a["ts"] for a, b in zip(events, events[1:])]
            self.assertTrue(all(g >= 99 for g in gaps), gaps)
            self.assertLess(len(events), n // 2)
            batch = next(e for e in events if e["type"] == "presence")
            self.assertLessEqual(len(batch["joined"]), 100)
            self.assertEqual(len(batch["joined"]), min(batch["joined_count"], 100))
            self.assertTrue(all(name.startswith("m") for name in batch["joined"]))
            events.clear()
            for s in socks:
                s.close()
            collect_until("leave", n)
            self.assertEqual(sum(count(e, "join") for e in events), 0)
            self.assertEqual(events[-1]["members"], 1)
            stats = srv.get_json("/api/stats")
            self.assertEqual((stats["chat_members"], stats["chat_dropped"]), (1, 0))
            watcher.close()

    @staticmethod
    def frame(opcode, payload=b"", fin=True):
        mask = os.urandom(4)
        assert len(payload) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([(0x80 if fin else 0) | opcode, 0x80 | len(payload)]) + mask + masked

    def test_a_message_in_several_frames_with_empty_ones_is_delivered(self):
        with Server() as srv:
            ws = WebSocket(srv.port, "/ws/chat?name=frag")
            parts = [self.frame(0x1, b"he", fin=False), self.frame(0x0, b"", fin=False),
                     self.frame(0x9, b"ping"),  # a control frame inside the message
                     self.frame(0x0, b"llo", fin=False), self.frame(0x0, b"", fin=True)]
            ws.sock.sendall(b"".join(parts))
            self.assertEqual(skip_events(ws)["text"], "hello")
            # 128 frames (the limit) is still one message.
            ws.sock.sendall(self.frame(0x1, b"a", fin=False) + self.frame(0x0, b"", fin=False) * 126 +
                            self.frame(0x0, b"b", fin=True))
            self.assertEqual(skip_events(ws)["text"], "ab")
            ws.close()

    def test_text_that_is_not_utf8_closes_its_sender_with_1007_and_reaches_nobody(self):
        # Whole frames of bad bytes, and a character cut by a fragment boundary whose message ends
        # with an empty continuation frame (which Beast's own check lets through).
        bad = [[self.frame(0x1, b"caf\xc3")],
               [self.frame(0x1, b"\xff\xfe")],
               [self.frame(0x1, b"\xed\xa0\x80")],  # a surrogate
               [self.frame(0x1, b"\xc0\xaf")],  # an overlong '/'
               [self.frame(0x1, b"He\xde", fin=False), self.frame(0x9, b"ping"), self.frame(0x0, b"", fin=True)]]
        with Server() as srv:
            watcher = WebSocket(srv.port, "/ws/chat?name=watcher")
            for frames in bad:
                ws = WebSocket(srv.port, "/ws/chat?name=sender")
                ws.sock.sendall(b"".join(frames))
                while True:
                    frame = ws.recv()  # (recv() decodes every text frame as UTF-8: strict)
                    if frame[0] == "close":
                        self.assertEqual(frame[1], 1007, frames)
                        break
                ws.close()
            # A good message after them is the first message the watcher gets.
            ok = WebSocket(srv.port, "/ws/chat?name=ok")
            ok.send_text("caf\u00e9 \U0001F600")
            self.assertEqual(skip_events(watcher)["text"], "caf\u00e9 \U0001F600")
            ok.close()
            watcher.close()

    def test_names_are_made_utf8_and_cut_between_characters(self):
        with Server() as srv:
            cases = [("%FF%FEbob", "\ufffd\ufffdbob"),
                     ("a%C3", "a\ufffd"),
                     ("x" * 31 + "%C3%A9", "x" * 31),  # é would end at byte 33: not cut in half
                     ("%F0%9F%98%80" * 9, "\U0001F600" * 8)]
            for query, want in cases:
                ws = WebSocket(srv.port, "/ws/chat?name=" + query)
                own = ws.recv_json()  # strict UTF-8 decoding of the frame
                # (its own join, alone or in a batch with the previous member's leave)
                names = [own["name"]] if own["type"] == "join" else own.get("joined", [])
                self.assertIn(want, names, (query, own))
                ws.send_text("hi")
                self.assertEqual(skip_events(ws)["from"], want)
                ws.close()

    def test_empty_continuation_frames_count_against_the_frame_limit(self):
        # Beast consumes empty non-final frames in a loop within one read: without a count per
        # message, a peer could feed them forever (the idle timer fed too) and hold its slot.
        for control in (False, True):
            with Server() as srv:
                ws = WebSocket(srv.port, "/ws/chat?name=feeder")
                watcher = WebSocket(srv.port, "/ws/chat?name=watcher")
                ws.sock.sendall(self.frame(0x1, b"x", fin=False))
                filler = self.frame(0x9, b"") if control else self.frame(0x0, b"", fin=False)
                closed = False
                try:
                    for _ in range(200):  # well past the 128-frame limit
                        ws.sock.sendall(filler * 10)
                    closed = closed_by_peer(ws.sock)
                except (ConnectionError, OSError):
                    closed = True
                self.assertTrue(closed, "the server kept reading empty frames")
                left = watcher.recv_json()  # (a "presence" batch when it comes with other news)
                while "feeder" not in ([left.get("name")] if left["type"] == "leave" else left.get("left", [])):
                    left = watcher.recv_json()
                self.assertEqual(left["members"], 1)
                # The room and the server carry on.
                other = WebSocket(srv.port, "/ws/chat?name=other")
                other.send_text("still here")
                self.assertEqual(skip_events(watcher)["text"], "still here")
                other.close()
                watcher.close()


if __name__ == "__main__":
    harness.parse_args()
    unittest.main(verbosity=2)
