// corio/redis/url.hpp — the server a client talks to, from a redis:// URL.
//
//   auto a = corio::redis::parse_url("redis://:s3cret@10.0.0.5:6380/2");
//   // a.host "10.0.0.5", a.port 6380, a.password "s3cret", a.db 2
//
// Form: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] — HOST a name, an IPv4 address or an IPv6
// address in brackets; PORT 1..65535 (default 6379); DB a decimal number (default 0: no SELECT).
// USER and PASSWORD are percent-decoded; a password (possibly with a user) makes the client send
// AUTH [USER] PASSWORD on every connection, a DB other than 0 makes it send SELECT DB. A user name
// without a password, a query, a fragment, another scheme (rediss:// — TLS — included) are refused.
//
// Cancellation: not applicable.
// Exceptions: parse_url throws corio::redis::error (errc::bad_url) naming what is wrong (never
// the password).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace corio::redis {

struct server_address {
  std::string host;  // IPv6 without brackets
  std::uint16_t port = 6379;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  std::int64_t db = 0;

  /// "host:port" ("[::1]:port" for IPv6), for messages.
  [[nodiscard]] std::string to_string() const;
};

/// Parses a redis:// URL (see the header comment); throws error(errc::bad_url) otherwise.
[[nodiscard]] server_address parse_url(std::string_view url);

}  // namespace corio::redis
