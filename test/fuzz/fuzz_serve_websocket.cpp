// Fuzz target 4: bytes → the WebSocket frame path of corio-serve (/ws/chat: Beast's frame parser,
// the chat room's reader and writer, close handshakes). Per input, as in fuzz_serve_connection, a
// shard of the shared app serves one connection of a socket pair: the client sends a valid upgrade
// request, waits for 101 Switching Protocols, sends the input as frames, half-closes, and reads
// what comes back until the server closes (at most 60 s of virtual time); then the shard shuts
// down gracefully.
//
// Checked, besides "no crash, no sanitizer report, no hang": the upgrade succeeds; whatever the
// server sends after it is a sequence of well-formed server-to-client frames (RFC 6455 section 5:
// unmasked, no reserved bits, known opcodes, control frames whole and short, valid close codes,
// text messages valid UTF-8, continuations only inside a fragmented message, nothing after a
// close frame), the last one possibly cut short; and the shard shuts down cleanly.
#include "serve_fuzzing.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view upgrade =
    "GET /ws/chat?name=fuzz HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "server sent a malformed WebSocket frame: %s\n", what);
  std::abort();
}

/// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

/// A close code a frame may carry: not one RFC 6455 section 7.4 reserves (below 1000, 1004–1006,
/// 1015, 1016–2999). Codes from 5000 up, which the RFC leaves undefined, are let through: Beast
/// answers a client's close frame with the client's code, and accepts those.
bool valid_close_code(unsigned code) {
  if (code < 1000 || (code >= 1004 && code <= 1006) || (code >= 1015 && code <= 2999)) return false;
  return true;
}

/// Aborts unless `bytes` is a sequence of well-formed server-to-client frames (see the header
/// comment); the last frame may be incomplete.
void check_frames(std::string_view bytes) {
  bool in_message = false;  // a fragmented message has begun
  bool text = false;
  std::string message;
  while (!bytes.empty()) {
    if (bytes.size() < 2) return;
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    const auto b1 = static_cast<unsigned char>(bytes[1]);
    const bool fin = (b0 & 0x80) != 0;
    const unsigned opcode = b0 & 0x0f;
    if ((b0 & 0x70) != 0) broken("reserved bits set (no extension was negotiated)");
    if ((b1 & 0x80) != 0) broken("a server-to-client frame is masked");
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7f;
    if (length == 126 || length == 127) {
      const std::size_t extra = length == 126 ? 2 : 8;
      if (bytes.size() < header + extra) return;
      length = 0;
      for (std::size_t k = 0; k < extra; ++k) length = (length << 8) | static_cast<unsigned char>(bytes[header + k]);
      if (extra == 2 && length < 126) broken("a 16-bit length below 126");
      if (extra == 8 && (length <= 0xffff || (length >> 63) != 0)) broken("a 64-bit length not in its range");
      header += extra;
    }
    if (bytes.size() - header < length) return;  // cut short
    const std::string_view payload = bytes.substr(header, static_cast<std::size_t>(length));
    bytes.remove_prefix(header + static_cast<std::size_t>(length));
    switch (opcode) {
      case 0x0:  // continuation
        if (!in_message) broken("a continuation frame outside a fragmented message");
        break;
      case 0x1:
      case 0x2:
        if (in_message) broken("a new message inside a fragmented one");
        in_message = true;
        text = opcode == 0x1;
        message.clear();
        break;
      case 0x8:
      case 0x9:
      case 0xa:
        if (!fin) broken("a fragmented control frame");
        if (payload.size() > 125) broken("a control frame longer than 125 bytes");
        if (opcode == 0x8) {
          if (payload.size() == 1) broken("a close frame with a one-byte payload");
          if (payload.size() >= 2) {
            const unsigned code = static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]);
            if (!valid_close_code(code)) broken("a close code that may not be sent");
            if (!valid_utf8(payload.substr(2))) broken("a close reason that is not UTF-8");
          }
          if (!bytes.empty()) broken("bytes after the close frame");
        }
        continue;
      default:
        broken("an unknown opcode");
    }
    message.append(payload);
    if (fin) {
      if (text && !valid_utf8(message)) broken("a text message that is not UTF-8");
      in_message = false;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzzing::serve_one_connection([input](fuzzing::peer& p) -> corio::awaitable<void> {
    co_await p.write(upgrade);
    const auto head = co_await p.read_until("\r\n\r\n");
    if (head.rfind("HTTP/1.1 101 ", 0) != 0 || head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") {
      std::fprintf(stderr, "the WebSocket upgrade failed:\n%s\n", head.c_str());
      std::abort();
    }
    co_await p.write(input);
    p.close_sending();
    check_frames(co_await p.read_all());
  });
  return 0;
}
