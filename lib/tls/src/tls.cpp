#include <corio/tls.hpp>

#include <corio/timeout.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <utility>

namespace corio {

template <typename Buffers, typename Token>
auto tls_stream::reader::async_read_some(const Buffers& b, Token&& token) {
  return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
      [this, b, started = false](auto& self, boost::system::error_code ec = {}, std::size_t n = 0) mutable {
        if (!started) {
          started = true;
          s->async_read_some(b, std::move(self));
          return;
        }
        if (ec == asio::ssl::error::stream_truncated) {  // the peer closed without close_notify
          truncated = true;
          ec = asio::error::eof;
        }
        self.complete(ec, n);
      },
      token, *s);
}

tls_stream::tls_stream(std::shared_ptr<asio::ssl::context> ctx, std::unique_ptr<socket_type> stream)
    : ctx_(std::move(ctx)), stream_(std::move(stream)), reader_{stream_.get(), false} {}

awaitable<std::string> tls_stream::read_some(std::size_t max) { return buf_.read_some(reader_, max); }

awaitable<std::string> tls_stream::read_exactly(std::size_t n) { return buf_.read_exactly(reader_, n); }

awaitable<std::string> tls_stream::read_until(std::string delim, std::size_t max) {
  return buf_.read_until(reader_, std::move(delim), max);
}

awaitable<std::string> tls_stream::read_line(std::size_t max) { return buf_.read_until(reader_, "\n", max); }

awaitable<void> tls_stream::write(std::string_view data) {
  const auto bytes = asio::buffer(data);
  co_await asio::async_write(*stream_, bytes, asio::deferred);
}

awaitable<void> tls_stream::shutdown() {
  try {
    // The peer's close_notify may never come: wait a bounded time for it.
    auto closing = stream_->async_shutdown(asio::use_awaitable_t<executor>{});
    co_await wait_for(std::move(closing), std::chrono::seconds(5));
  } catch (const timeout_error&) {
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) {  // cancelled: closed all the same
      close();
      throw;
    }
    // (a peer gone already, or one that answers with nothing: closed below all the same)
  }
  close();
}

void tls_stream::close() noexcept {
  boost::system::error_code ignored;
  stream_->lowest_layer().close(ignored);
}

namespace {

std::string host_port(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// OpenSSL's reason for a failed handshake, with the verification result when that is what failed.
std::string handshake_failure(const boost::system::error_code& ec, asio::ssl::stream<tcp::socket>& s) {
  std::string why = ec.message();
  const long verify = SSL_get_verify_result(s.native_handle());
  if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  return why;
}

std::shared_ptr<asio::ssl::context> client_context(const tls_options& opts) {
  if (opts.context) return opts.context;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  if (opts.verify) {
    if (opts.ca_file.empty()) ctx->set_default_verify_paths();
    else ctx->load_verify_file(opts.ca_file);  // throws system_error naming OpenSSL's reason
    ctx->set_verify_mode(asio::ssl::verify_peer);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  return ctx;
}

}  // namespace

awaitable<tls_stream> open_tls(std::string host, std::uint16_t port, tls_options opts) {
  const std::string name = opts.server_name.empty() ? host : opts.server_name;
  auto ctx = client_context(opts);
  auto connecting = open_tcp(host, port, opts.connect);
  tcp_stream conn = co_await std::move(connecting);
  auto s = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(conn.socket()), *ctx);
  // SNI carries a host name, never an address literal (RFC 6066).
  boost::system::error_code parse_ec;
  (void)asio::ip::make_address(name, parse_ec);
  // (SSL_set_tlsext_host_name, a macro with a C cast, spelled out.)
  if (parse_ec && SSL_ctrl(s->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                           const_cast<char*>(name.c_str())) != 1) {
    throw tls_error("corio::open_tls: cannot send the server name " + name, host, port,
                    boost::system::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()));
  }
  if (opts.verify) s->set_verify_callback(asio::ssl::host_name_verification(name));
  boost::system::error_code ec;
  try {
    auto handshake = s->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable_t<executor>{});
    co_await wait_for(std::move(handshake), opts.handshake_timeout);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;  // cancelled
    ec = e.code();
  } catch (const timeout_error&) {
    throw connect_timeout_error("corio::open_tls: the TLS handshake with " + host_port(host, port) +
                                    " timed out after " +
                                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       opts.handshake_timeout)
                                                       .count()) +
                                    " ms",
                                host, port, asio::error::timed_out);
  }
  if (ec) {
    throw tls_error("corio::open_tls: TLS handshake with " + host_port(host, port) + " failed: " +
                        handshake_failure(ec, *s),
                    host, port, ec);
  }
  co_return tls_stream(std::move(ctx), std::move(s));
}

}  // namespace corio
