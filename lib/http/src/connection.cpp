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

awaitable<void> connection::open(const std::vector<tcp::endpoint>& eps, bool verify, const std::string& url,
                                 const proxy_address* proxy) {
  auto [ec, ep] = co_await asio::async_connect(lowest(), eps, asio::as_tuple(asio::deferred));
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
  if (ec) {
    throw error(errc::connect, "cannot connect to " + (proxy ? "the proxy " + proxy->to_string() : origin_.to_string()) +
                                   ": " + ec.message(), url);
  }
  lowest().set_option(tcp::no_delay(true), ec);
  // Plain TCP: synchronous writes may not block (write_now() writes what the socket takes).
  if (std::holds_alternative<tcp::socket>(stream_)) lowest().non_blocking(true, ec);
  auto* tls = std::get_if<1>(&stream_);
  if (!tls) co_return;
  if (proxy) co_await tunnel(*proxy, url);
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

awaitable<void> connection::tunnel(const proxy_address& proxy, const std::string& url) {
  const bool v6 = origin_.host.find(':') != std::string::npos;
  const std::string target = (v6 ? "[" + origin_.host + "]" : origin_.host) + ":" + std::to_string(origin_.port);
  std::string req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
  if (!proxy.authorization.empty()) req += "Proxy-Authorization: " + proxy.authorization + "\r\n";
  req += "\r\n";
  const std::string where = "the proxy " + proxy.to_string();
  auto fail = [&](error_code e, const std::string& doing) {
    if (e == asio::error::operation_aborted) throw boost::system::system_error(e);
    if (e == asio::error::timed_out) {
      throw error(errc::timeout, where + " sent nothing for " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(read_timeout_).count()) +
                                     " ms while " + doing + " (read timeout)", url);
    }
    if (e == asio::error::eof) throw error(errc::connection, where + " closed the connection while " + doing, url);
    throw error(errc::connection, where + " failed while " + doing + ": " + e.message(), url);
  };
  watchdog_.reschedule_after(read_timeout_);
  auto [wec, wn] = co_await asio::async_write(lowest(), asio::buffer(req), asio::as_tuple(asio::deferred));
  watchdog_.disarm();
  if (wec) fail(watchdog_.expired() ? asio::error::timed_out : wec, "opening a tunnel to " + target);
  // The answer's head, read up to its blank line. A 2xx has no body (RFC 9110 §9.3.6) and the
  // origin says nothing before the client's TLS hello: a byte after the head is a broken proxy.
  // The body of a refusal is not read (the connection is closed).
  std::string head;
  constexpr std::size_t max_head = 64 * 1024;
  std::size_t end = std::string::npos;
  char chunk[4096];
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    if (head.size() > max_head) {
      throw error(errc::proxy, where + " answered CONNECT with a head over 64 KiB", url);
    }
    watchdog_.reschedule_after(read_timeout_);
    auto [rec, n] = co_await lowest().async_read_some(asio::buffer(chunk), asio::as_tuple(asio::deferred));
    watchdog_.disarm();
    if (rec) fail(watchdog_.expired() ? asio::error::timed_out : rec, "opening a tunnel to " + target);
    head.append(chunk, n);
  }
  // "HTTP/1.x SSS reason"
  const std::string_view line = std::string_view(head).substr(0, head.find("\r\n"));
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!(line.size() >= 12 && line.starts_with("HTTP/1.") && line[8] == ' ' && digit(line[9]) && digit(line[10]) &&
        digit(line[11]) && (line.size() == 12 || line[12] == ' '))) {
    throw error(errc::proxy, where + " answered CONNECT with something that is not HTTP", url);
  }
  const unsigned status = static_cast<unsigned>((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
  if (status < 200 || status > 299) {
    std::string reason(line.size() > 13 ? line.substr(13) : std::string_view());
    for (auto& c : reason) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    std::string msg = where + " refused the tunnel to " + target + ": HTTP " + std::to_string(status) +
                      (reason.empty() ? "" : " " + reason);
    if (status == 407 || status == 401) {  // (tinyproxy answers a CONNECT without credentials with 401)
      msg += proxy.authorization.empty() ? " (the proxy wants credentials: http://user:password@host:port)"
                                         : " (the proxy refused the credentials)";
    }
    throw error(errc::proxy, msg, url).with_status(status);
  }
  if (end + 4 != head.size()) throw error(errc::proxy, where + " sent bytes after its CONNECT response", url);
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

std::size_t connection::write_now(std::string_view data) noexcept {
  auto* s = std::get_if<0>(&stream_);
  if (!s || !s->non_blocking()) return 0;
  error_code ec;
  const std::size_t n = s->write_some(asio::buffer(data), ec);
  return ec ? 0 : n;  // (an error shows again in the asynchronous write, which reports it)
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
