// corio/redis/resp.hpp — an incremental RESP2 reply parser with size limits (what the client reads
// replies with; public for tests and fuzzing).
//
//   corio::redis::resp_parser p;
//   std::optional<corio::redis::reply> r;
//   std::size_t used = p.parse(bytes, r);      // r is set when a whole reply has been read
//
// parse() consumes bytes until one reply is complete (it stops right after it) or the input runs
// out. Bytes of a line not yet ended by CRLF are not consumed (give them again, with more); the
// payload of a bulk string is consumed as it comes, so the caller never holds more than one
// partial line. RESP2 only: simple strings (+), errors (-), integers (:), bulk strings ($, -1 is
// null) and arrays (*, -1 is null), nested. Anything else — a RESP3 type, a bad length, a CR
// without LF, a bulk string not followed by CRLF, an integer that does not fit 64 bits — is a
// protocol error. Limits: nothing is allocated ahead of the bytes that carry it (a bulk length of
// 2^62 is refused by max_bulk_bytes, an array length only reserves a small amount), and:
//  - max_line_bytes: longest line (simple string, error, integer, length header);
//  - max_bulk_bytes: longest bulk string (Redis' own proto-max-bulk-len default, 512 MiB);
//  - max_elements: array elements in one reply, nested arrays included;
//  - max_depth: arrays nested inside arrays.
// After an error the parser must not be used again (the connection is closed).
//
// Cancellation: not applicable.
// Exceptions: corio::redis::error (errc::protocol) for bytes that are not RESP2 or break a limit;
// std::bad_alloc.
// Thread safety: a value type; one parser per connection.
#pragma once

#include <corio/redis/reply.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corio::redis {

struct parser_limits {
  std::size_t max_line_bytes = 64 * 1024;
  std::size_t max_bulk_bytes = std::size_t{512} << 20;
  std::size_t max_elements = std::size_t{1} << 22;
  std::size_t max_depth = 32;
};

class resp_parser {
public:
  explicit resp_parser(parser_limits limits = {}) : limits_(limits) {}

  /// Parses from `in` (see the header comment); returns the bytes consumed. Sets `out` when a
  /// reply is complete (then the bytes after it are left for the next call).
  std::size_t parse(std::string_view in, std::optional<reply>& out);

  /// True between replies (no partial reply held).
  [[nodiscard]] bool idle() const noexcept { return stack_.empty() && !in_bulk_; }

private:
  struct frame {
    std::vector<reply> elements;
    std::size_t remaining = 0;
  };

  [[noreturn]] static void fail(const std::string& what);
  static std::int64_t parse_integer(std::string_view s);
  bool complete(reply r, std::optional<reply>& out);

  parser_limits limits_;
  std::vector<frame> stack_;
  std::size_t elements_ = 0;  // in the current reply
  bool in_bulk_ = false;
  std::size_t bulk_left_ = 0;
  std::string bulk_;
};

}  // namespace corio::redis
