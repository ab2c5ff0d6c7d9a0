// corio/tls.hpp — TLS client streams (asyncio's open_connection(ssl=...), Trio's
// open_ssl_over_tcp_stream) on Asio's ssl::stream. Target corio::tls (links OpenSSL).
//
//   corio::tls_stream s = co_await corio::open_tls("example.com", 443);
//   co_await s.write("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n");
//   std::string status = co_await s.read_line(8192);
//   co_await s.shutdown();                                   // close_notify, then close
//
// open_tls connects as open_tcp does (Happy Eyeballs, options.connect), then does the TLS
// handshake with SNI. Verification is on by default: the peer's chain must lead to a trusted CA
// (the system's, or options.ca_file's instead) and the certificate must name the host (DNS name or
// IP address, RFC 6125 via OpenSSL). options.verify = false turns both off (for tests; never in
// production). options.server_name overrides the name sent and checked (default: host).
// options.handshake_timeout bounds the handshake (10 s by default); options.connect.timeout the
// connection before it.
//
// tls_stream has tcp_stream's reading and writing: read_some, read_exactly, read_until, read_line
// (with the same limits: limit_overrun_error beyond `max`, incomplete_read_error at an early end),
// write (which returns once OpenSSL has written every record to the socket: drain included).
// A peer that closes without close_notify ends the stream like a clean end (read_some returns "",
// the line readers throw incomplete_read_error): many servers do, and HTTP framing guards against
// truncation; a caller that needs to know can check truncated() afterwards. TLS has no half-close:
// shutdown() sends close_notify (waiting at most 5 s for the peer's) and closes the socket.
//
// Cancellation: as tcp_stream (a cancelled read loses nothing already decrypted; a cancelled write
// leaves the TLS stream unusable: close it). Cancelling open_tls cancels the connection or the
// handshake.
// Exceptions: connection failures as open_tcp (connect_error and its subclasses); a failed handshake
// throws tls_error naming host:port and OpenSSL's reason ("certificate verify failed", ...), with
// connect_timeout_error for a handshake over its timeout; later socket or TLS errors as
// boost::system::system_error.
// Thread safety: executor-affine, like tcp_stream: one read and one write in flight at once.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/read_buffer.hpp>
#include <corio/stream.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace corio {

/// The TLS handshake failed (verification, protocol); what() names host:port and the reason.
class tls_error : public connect_error {
public:
  using connect_error::connect_error;
};

struct tls_options {
  connect_options connect;
  /// Verify the peer's certificate chain and name (the default).
  bool verify = true;
  /// PEM file of CA certificates to trust instead of the system's.
  std::string ca_file;
  /// The name sent as SNI and checked against the certificate; empty: the host given to open_tls.
  std::string server_name;
  duration handshake_timeout = std::chrono::seconds(10);
  /// A context of your own (client certificates, protocol limits, ...): used as it is, and then
  /// verify and ca_file above are not applied to it (the name check still is, when verify is on).
  std::shared_ptr<asio::ssl::context> context;
};

/// A TLS connection over TCP with a read buffer. Move-only; see the header comment.
class tls_stream {
public:
  using socket_type = asio::ssl::stream<tcp::socket>;

  tls_stream(std::shared_ptr<asio::ssl::context> ctx, std::unique_ptr<socket_type> stream);
  tls_stream(tls_stream&&) noexcept = default;
  tls_stream& operator=(tls_stream&&) noexcept = default;

  [[nodiscard]] awaitable<std::string> read_some(std::size_t max = 65536);
  [[nodiscard]] awaitable<std::string> read_exactly(std::size_t n);
  [[nodiscard]] awaitable<std::string> read_until(std::string delim, std::size_t max);
  [[nodiscard]] awaitable<std::string> read_line(std::size_t max);
  [[nodiscard]] awaitable<void> write(std::string_view data);

  /// Sends close_notify (waits up to 5 s for the peer's) and closes the socket. Never throws for
  /// a peer that is gone already.
  [[nodiscard]] awaitable<void> shutdown();
  /// Closes the socket without close_notify; operations in flight complete with operation_aborted.
  void close() noexcept;

  /// True once the peer ended the stream without close_notify.
  [[nodiscard]] bool truncated() const noexcept { return reader_.truncated; }
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size(); }
  [[nodiscard]] tcp::endpoint remote_endpoint() const { return stream_->lowest_layer().remote_endpoint(); }
  [[nodiscard]] socket_type& ssl_stream() noexcept { return *stream_; }

private:
  /// The AsyncReadStream read_buffer reads: the TLS stream, with a peer's missing close_notify
  /// turned into a plain end of stream (recorded in `truncated`).
  struct reader {
    socket_type* s = nullptr;
    bool truncated = false;
    using executor_type = socket_type::executor_type;
    executor_type get_executor() { return s->get_executor(); }
    template <typename Buffers, typename Token>
    auto async_read_some(const Buffers& b, Token&& token);
  };

  std::shared_ptr<asio::ssl::context> ctx_;
  std::unique_ptr<socket_type> stream_;  // (its address stays put for reader_ when moved)
  reader reader_;
  detail::read_buffer buf_;
};

/// Connects to host:port (as open_tcp) and does the TLS handshake (see the header comment).
[[nodiscard]] awaitable<tls_stream> open_tls(std::string host, std::uint16_t port, tls_options opts = {});

}  // namespace corio
