// Internal: one HTTP connection (TCP or TLS) with its read buffer and its read-timeout watchdog.
//
// The read timeout is a corio::watchdog — one timer per connection: every read or write stores a
// new deadline (now + read_timeout), which is a plain store, and the timer re-arms itself only
// when it wakes (measured with corio-serve's benchmark: re-arming a timer per operation cost ~25%
// of throughput). On expiry it cancels the socket's pending operation, which then reports
// asio::error::timed_out.
#pragma once

#include <corio/config.hpp>
#include <corio/deadline.hpp>
#include <corio/http/proxy.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace corio::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/// (scheme, host, port) and the route to it: the pool's key. A connection through a proxy (a
/// tunnel to this origin, or plain HTTP forwarded by it) is never used for a direct request, nor
/// one through another proxy (or the same one with other credentials).
struct origin {
  bool tls = false;
  std::string host;  // as in the URL (lower case; IPv6 without brackets)
  std::uint16_t port = 0;
  std::string via;   // empty: direct; else the proxy's address and credentials
  bool operator==(const origin&) const = default;
  [[nodiscard]] std::string to_string() const;
};

struct origin_hash {
  std::size_t operator()(const origin& o) const noexcept {
    return std::hash<std::string>()(o.host) ^ (std::size_t{o.port} << 1) ^ (o.tls ? 0x9e3779b9u : 0u) ^
           (std::hash<std::string>()(o.via) << 3);
  }
};

class connection {
public:
  connection(const executor& ex, origin o, asio::ssl::context* tls_ctx, duration read_timeout);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// TCP connect to the first endpoint that accepts (`eps`: the origin's, or the proxy's when
  /// `proxy` is set), then for a TLS origin: through a proxy a CONNECT tunnel to the origin, and
  /// the TLS handshake with the origin (SNI and host name verification when `verify`). Throws
  /// corio::http::error (connect, tls, proxy; timeout or connection for a proxy that stops
  /// answering or hangs up during CONNECT).
  [[nodiscard]] awaitable<void> open(const std::vector<tcp::endpoint>& eps, bool verify, const std::string& url,
                                     const proxy_address* proxy = nullptr);

  /// One read under the watchdog; a watchdog expiry is reported as asio::error::timed_out.
  [[nodiscard]] awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer b);
  /// Plain TCP: writes what the socket takes at once, without waiting (a request usually fits);
  /// returns how many bytes, 0 for TLS or on any error (write() then reports it).
  [[nodiscard]] std::size_t write_now(std::string_view data) noexcept;
  /// Writes everything under the watchdog.
  [[nodiscard]] awaitable<error_code> write(std::string_view data);

  /// True if an idle connection can no longer be used (the peer closed it, or sent bytes nobody
  /// asked for). Never blocks.
  [[nodiscard]] bool unusable() noexcept;
  void close() noexcept;
  /// The peer's IP address ("" if the socket is not connected).
  [[nodiscard]] std::string remote_address() noexcept;

  [[nodiscard]] const origin& where() const noexcept { return origin_; }
  boost::beast::flat_buffer buffer;  // bytes read but not parsed yet
  // How much to read at a time: starts small (a pooled connection keeps its buffer, and most
  // responses are small: 100 connections would otherwise hold 64 KiB each), doubles while reads
  // fill it, up to 64 KiB.
  std::size_t read_size = 4096;
  clock::time_point idle_since{};

private:
  tcp::socket& lowest() noexcept;
  /// Opens the tunnel: CONNECT host:port, then the proxy's answer (a 2xx, or errc::proxy).
  [[nodiscard]] awaitable<void> tunnel(const proxy_address& proxy, const std::string& url);

  origin origin_;
  std::variant<tcp::socket, asio::ssl::stream<tcp::socket>> stream_;
  duration read_timeout_;
  corio::watchdog watchdog_;  // last: silenced first on destruction
};

}  // namespace corio::http::detail
