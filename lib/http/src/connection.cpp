#include "connection.hpp"

#include <corio/http/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>

namespace corio::http::detail {

std::string origin::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

connection::connection(const executor& ex, origin o, asio::ssl::context* tls_ctx, duration read_timeout)
    : origin_(std::move(o)),
      stream_(tls_ctx ? decltype(stream_)(std::in_place_index<1>, ex, *tls_ctx)
                      : decltype(stream_)(std::in_place_index<0>, ex)),
      read_timeout_(read_timeout),
      watchdog_(ex, [this] {
        error_code ignored;
        lowest().cancel(ignored);  // the pending read or write completes with operation_aborted
      }) {}

connection::~connection() { close(); }

std::string connection::remote_address() noexcept {
  error_code ec;
  const auto ep = lowest().remote_endpoint(ec);
  if (ec) return {};
  try {
    return ep.address().to_string();
  } catch (...) {  // (to_string allocates)
    return {};
  }
}

tcp::socket& connection::lowest() noexcept {
  if (auto* s = std::get_if<0>(&stream_)) return *s;
  return std::get<1>(stream_).next_layer();
}

void connection::close() noexcept {
  error_code ec;
  lowest().shutdown(tcp::socket::shutdown_both, ec);
  lowest().close(ec);
}

awaitable<void> connection::open(const std::vector<tcp::endpoint>& eps, bool verify, const std::string& url) {
  auto [ec, ep] = co_await asio::async_connect(lowest(), eps, asio::as_tuple(asio::deferred));
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
  if (ec) throw error(errc::connect, "cannot connect to " + origin_.to_string() + ": " + ec.message(), url);
  lowest().set_option(tcp::no_delay(true), ec);
  auto* tls = std::get_if<1>(&stream_);
  if (!tls) co_return;
  if (!is_ip_literal(origin_.host)) {
    // SNI: servers hosting several names pick the certificate by it.
    // (SSL_set_tlsext_host_name is a macro with a C cast.)
    if (!SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(origin_.host.c_str()))) {
      throw error(errc::tls, "cannot set the TLS server name", url);
    }
  }
  if (verify) {
    tls->set_verify_mode(asio::ssl::verify_peer);
    tls->set_verify_callback(asio::ssl::host_name_verification(origin_.host));
  } else {
    tls->set_verify_mode(asio::ssl::verify_none);
  }
  auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::deferred));
  if (hec == asio::error::operation_aborted) throw boost::system::system_error(hec);
  if (hec) {
    std::string why = hec.message();
    const long vr = SSL_get_verify_result(tls->native_handle());
    if (verify && vr != X509_V_OK) {
      why = std::string("certificate verification failed: ") + X509_verify_cert_error_string(vr);
    }
    throw error(errc::tls, "TLS handshake with " + origin_.to_string() + " failed: " + why, url);
  }
}

awaitable<std::pair<error_code, std::size_t>> connection::read_some(asio::mutable_buffer b) {
  watchdog_.reschedule_after(read_timeout_);
  error_code ec;
  std::size_t n = 0;
  if (auto* s = std::get_if<0>(&stream_)) {
    std::tie(ec, n) = co_await s->async_read_some(b, asio::as_tuple(asio::deferred));
  } else {
    std::tie(ec, n) = co_await std::get<1>(stream_).async_read_some(b, asio::as_tuple(asio::deferred));
  }
  watchdog_.disarm();
  if (watchdog_.expired() && ec) ec = asio::error::timed_out;
  co_return std::pair{ec, n};
}

awaitable<error_code> connection::write(std::string_view data) {
  watchdog_.reschedule_after(read_timeout_);
  error_code ec;
  if (auto* s = std::get_if<0>(&stream_)) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*s, asio::buffer(data), asio::as_tuple(asio::deferred));
  } else {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(std::get<1>(stream_), asio::buffer(data), asio::as_tuple(asio::deferred));
  }
  watchdog_.disarm();
  if (watchdog_.expired() && ec) ec = asio::error::timed_out;
  co_return ec;
}

bool connection::unusable() noexcept {
  if (!lowest().is_open() || buffer.size() > 0) return true;
  char c;
  const auto n = ::recv(lowest().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;                                   // the server closed it
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;  // reset or other error
  // Unsolicited bytes: garbage on plain HTTP; with TLS they may be a post-handshake message (a
  // TLS 1.3 session ticket), which the next read consumes.
  return std::holds_alternative<tcp::socket>(stream_);
}

}  // namespace corio::http::detail
