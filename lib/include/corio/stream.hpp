// corio/stream.hpp — TCP streams: asyncio's open_connection / start_server and StreamReader, Trio's
// open_tcp_stream / serve_tcp.
//
//   corio::tcp_stream s = co_await corio::open_tcp("example.com", 80);
//   co_await s.write("GET / HTTP/1.0\r\n\r\n");
//   std::string status = co_await s.read_line(8192);     // "HTTP/1.0 200 OK\r\n"
//
//   co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
//     tcp::endpoint ep = co_await g.start<tcp::endpoint>([&](auto started) {    // port 0: learn it
//       return corio::serve_tcp({asio::ip::address_v4::loopback(), 0}, echo, {}, std::move(started));
//     });
//     ...
//   });
//
// tcp_stream buffers what it reads: bytes received past a delimiter (or past n) are kept for the
// next read. read_until / read_line never buffer more than their `max` plus one read: without the
// delimiter in the first `max` bytes they throw limit_overrun_error and leave the data buffered.
// read_exactly / read_until at an early end of stream throw incomplete_read_error carrying (and
// consuming) the partial data — read_line too, with an empty partial() at a clean end of stream
// (asyncio's readline() returns b"" there; read_some() returns "" here). write() returns once the
// kernel has taken every byte, so it is also asyncio's drain(): there is no separate drain(); the
// data must stay valid until then. shutdown_write() is the half-close (the peer reads end of
// stream; this side can still read).
//
// open_tcp resolves `host` and connects with Happy Eyeballs (RFC 8305): addresses interleaved by
// family (the resolver's first, then the other family's first, ...), a new attempt started every
// `happy_eyeballs_delay` or as soon as the previous one failed, the first connection wins and the
// attempts still running are cancelled. Failures are typed and name host:port: resolve_error,
// connection_refused_error (every attempt refused), connect_timeout_error (options.timeout, which
// covers resolution too), connect_error for the rest (their base).
//
// serve_tcp accepts connections and runs `handler(tcp_stream)` for each as a task of one
// task_group. A handler's exception ends only its own connection: it is logged (logger "corio",
// warn) and the server goes on — a server must not be stopped by one client. With
// max_connections, no connection is accepted while that many handlers run (the others wait in the
// kernel's backlog). tcp_listener binds and listens when constructed, so local_endpoint() gives the
// actual port of port 0 before anything is served; serve_tcp with a start_handle tells it the same
// way from inside a task_group (`g.start`). An IPv6 listener is IPv6-only (IPV6_V6ONLY, as Trio's
// serve_tcp): serve both families with two listeners.
// TLS: corio/tls.hpp (open_tls, tls_stream; target corio::tls, which links OpenSSL: the core does not).
//
// Cancellation: every awaitable here is cancelled as any Corio work is (task cancel, group,
// timeout) and then throws operation_aborted. A cancelled read loses nothing: bytes already received stay buffered. A
// cancelled write may have sent part of its bytes: close the stream. Cancelling open_tcp cancels
// the resolution (stops waiting for it) and every attempt. Cancelling serve_tcp / serve() stops
// accepting, cancels every handler and returns (throws operation_aborted) only once all have ended.
// Exceptions: as above; read_until with an empty delimiter: std::invalid_argument; tcp_listener's
// constructor: system_error (address_in_use...). read_some returns "" at end of stream instead;
// other socket errors as boost::system::system_error (connection reset...). Reading or writing a
// closed stream throws boost::system::system_error (bad_descriptor).
// Thread safety: executor-affine, like an Asio socket: one read and one write may be in flight at
// once (from coroutines of one executor or strand), not two reads or two writes.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/read_buffer.hpp>
#include <corio/stream_error.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace corio {

using tcp = asio::ip::tcp;

/// open_tcp failed; what() names host:port and the reason. code(): the last attempt's error
/// (host_not_found for resolution, timed_out for a timeout).
class connect_error : public std::runtime_error {
public:
  connect_error(const std::string& what, std::string host, std::uint16_t port, boost::system::error_code ec);
  [[nodiscard]] const std::string& host() const noexcept { return host_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] boost::system::error_code code() const noexcept { return ec_; }

private:
  std::string host_;
  std::uint16_t port_;
  boost::system::error_code ec_;
};
/// The host name did not resolve (or resolved to no address).
class resolve_error : public connect_error {
  using connect_error::connect_error;
};
/// Every address refused the connection (nothing listens on the port).
class connection_refused_error : public connect_error {
  using connect_error::connect_error;
};
/// connect_options::timeout expired (resolution and every attempt included).
class connect_timeout_error : public connect_error {
  using connect_error::connect_error;
};

/// A connected TCP socket with a read buffer. Move-only; see the header comment.
class tcp_stream {
public:
  explicit tcp_stream(tcp::socket socket);
  tcp_stream(tcp_stream&&) noexcept = default;
  tcp_stream& operator=(tcp_stream&&) noexcept = default;

  /// Up to `max` bytes: buffered ones first, else what one read from the socket gives. Empty at
  /// end of stream.
  [[nodiscard]] awaitable<std::string> read_some(std::size_t max = 65536);
  /// Exactly `n` bytes; incomplete_read_error at an earlier end of stream.
  [[nodiscard]] awaitable<std::string> read_exactly(std::size_t n);
  /// Up to and including the first `delim` (not empty), at most `max` bytes in all;
  /// limit_overrun_error beyond, incomplete_read_error at end of stream.
  [[nodiscard]] awaitable<std::string> read_until(std::string delim, std::size_t max);
  /// read_until("\n", max): the line with its "\n".
  [[nodiscard]] awaitable<std::string> read_line(std::size_t max);
  /// Writes every byte (asyncio's write() + drain()).
  [[nodiscard]] awaitable<void> write(std::string_view data);

  /// Half-close: the peer reads end of stream; reading goes on. Throws system_error if not connected.
  void shutdown_write();
  /// Closes the socket; operations in flight complete with operation_aborted. Idempotent.
  void close() noexcept;

  /// Bytes received and not yet read.
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size(); }
  [[nodiscard]] tcp::endpoint local_endpoint() const { return socket_.local_endpoint(); }
  [[nodiscard]] tcp::endpoint remote_endpoint() const { return socket_.remote_endpoint(); }
  [[nodiscard]] tcp::socket& socket() noexcept { return socket_; }

private:
  tcp::socket socket_;
  detail::read_buffer buf_;
};

struct connect_options {
  /// Limit on the whole open_tcp (resolution included); none by default (the OS gives up on an
  /// unanswered connect after about two minutes).
  std::optional<duration> timeout;
  /// RFC 8305's "Connection Attempt Delay": how long an attempt runs alone before the next starts.
  duration happy_eyeballs_delay = std::chrono::milliseconds(250);
};

/// Resolves host (a name or an address literal) and connects with Happy Eyeballs.
[[nodiscard]] awaitable<tcp_stream> open_tcp(std::string host, std::uint16_t port, connect_options opts = {});
/// Connects with Happy Eyeballs to `endpoints` in their order (no resolution, no reordering).
/// Errors name the first endpoint as host:port.
[[nodiscard]] awaitable<tcp_stream> open_tcp(std::vector<tcp::endpoint> endpoints, connect_options opts = {});
/// The order open_tcp(host, ...) tries resolved addresses in (RFC 8305 §4): the first, then
/// alternately one of the other family and one of the first, each family in the resolver's order.
/// For callers that resolve names themselves and then call open_tcp(endpoints).
[[nodiscard]] std::vector<tcp::endpoint> happy_eyeballs_order(std::vector<tcp::endpoint> endpoints);

struct serve_options {
  /// Connections served at once; 0: no limit.
  std::size_t max_connections = 0;
  int backlog = asio::socket_base::max_listen_connections;
  /// SO_REUSEADDR on the listening socket (restart on a port with connections in TIME_WAIT).
  bool reuse_address = true;
};

using connection_handler = std::function<awaitable<void>(tcp_stream)>;

/// A listening socket. The constructor binds and listens (throws system_error if it cannot).
class tcp_listener {
public:
  tcp_listener(executor ex, const tcp::endpoint& endpoint, serve_options opts = {});
  [[nodiscard]] tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  /// Accepts connections and runs handler for each until cancelled (see the header comment).
  /// Call once at a time.
  [[nodiscard]] awaitable<void> serve(connection_handler handler);

private:
  tcp::acceptor acceptor_;
  serve_options opts_;
};

/// tcp_listener(ex, endpoint, opts).serve(handler); the first form runs until cancelled, the second
/// calls started(local endpoint) once listening (for task_group::start).
[[nodiscard]] awaitable<void> serve_tcp(tcp::endpoint endpoint, connection_handler handler, serve_options opts = {});
[[nodiscard]] awaitable<void> serve_tcp(tcp::endpoint endpoint, connection_handler handler, serve_options opts,
                                        start_handle<tcp::endpoint> started);

}  // namespace corio
