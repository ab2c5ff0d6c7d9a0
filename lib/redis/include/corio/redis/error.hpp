// corio/redis/error.hpp — the one exception type of corio::redis, with a kind for every way a
// command can fail.
//
//   try {
//     auto r = co_await client.call("INCR", "counter");
//   } catch (const corio::redis::error& e) {
//     if (e.kind() == corio::redis::errc::server) ...;   // e.what(): "server: WRONGTYPE Operation ..."
//   }
//
// `kind()` says which class of failure it is; `what()` is "<kind>: <one clear sentence>";
// `message()` is the sentence alone. For errc::server (and errc::auth when the server refused the
// credentials) `message()` is the server's error reply as sent ("NOSCRIPT No matching script...")
// and `server_code()` its first word ("NOSCRIPT", "WRONGTYPE", "ERR").
//
// Whether a failed command ran on the server: errc::bad_url, errc::connect and errc::auth mean it
// was never sent; errc::server means it ran and was refused; errc::timeout, errc::connection and
// errc::protocol mean it may or may not have run (see client.hpp on resending).
//
// Cancellation: not applicable (a cancelled call throws operation_aborted, never this type).
// Exceptions: constructors may throw std::bad_alloc.
// Thread safety: a value type; const members are safe from any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace corio::redis {

enum class errc {
  bad_url = 1,  ///< not a redis://[[user]:password@]host[:port][/db] URL
  connect,      ///< no TCP connection (refused, unreachable, name not resolved, connect timeout)
  auth,         ///< AUTH refused (wrong password or user), the server wants one (NOAUTH), or the
                ///< user may not run the command (NOPERM)
  timeout,      ///< no reply within the call's timeout, or the server stalled (stall_timeout)
  connection,   ///< the connection was lost (or closed) while the command was in flight
  protocol,     ///< the server's bytes are not RESP2, or break a size limit; the connection is closed
  server,       ///< the server answered with an error reply (-ERR, -WRONGTYPE, -NOSCRIPT, ...)
  reply_type,   ///< a reply accessor was used on a reply of another type (reply.hpp)
};

/// "bad_url", "connect", ...
[[nodiscard]] std::string_view to_string(errc kind) noexcept;

class error : public std::runtime_error {
public:
  error(errc kind, const std::string& message);

  [[nodiscard]] errc kind() const noexcept { return kind_; }
  /// The message without the "<kind>: " prefix.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// For an error reply: its first word ("ERR", "NOSCRIPT", "WRONGTYPE"); empty otherwise.
  [[nodiscard]] std::string_view server_code() const noexcept;

private:
  errc kind_;
  std::string message_;
};

/// The error for an error reply's text: errc::auth for NOAUTH, WRONGPASS and NOPERM, errc::server
/// for every other.
[[nodiscard]] error reply_error(const std::string& message);

}  // namespace corio::redis
