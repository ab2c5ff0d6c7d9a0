// corio/http/error.hpp — the one exception type of corio::http, with a kind for every way a
// request can fail.
//
//   try {
//     auto r = co_await client.get(url);
//   } catch (const corio::http::error& e) {
//     if (e.kind() == corio::http::errc::timeout) ...;   // e.what(): "timeout: no data for 10000 ms"
//   }
//
// Every expected failure of a request (the network, the server, the limits it broke) is reported
// as `corio::http::error`: `kind()` says which class of failure it is, `what()` is
// "<kind>: <one clear sentence>", `url()` the URL being fetched when it happened (after
// redirects). A response with any status is *not* an error unless asked for
// (response::raise_for_status, or a retried 429/5xx whose retries ran out — see client.hpp).
//
// Cancellation: not applicable (a cancelled request throws operation_aborted, never this type).
// Exceptions: constructors may throw std::bad_alloc.
// Thread safety: a value type; const members are safe from any thread.
#pragma once

#include <corio/config.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace corio::http {

/// The kinds of failure, in the order a request meets them.
enum class errc {
  bad_url = 1,          ///< not an absolute http(s) URL, or a redirect to one that is not
  dns,                  ///< the host name could not be resolved
  connect,              ///< no TCP connection (refused, unreachable, ...)
  tls,                  ///< TLS handshake failed (including certificate verification)
  timeout,              ///< connect, idle-read or total timeout
  too_large,            ///< header, body or decoded body over its limit
  protocol,             ///< the server broke HTTP/1.1 (bad framing, oversized field, bad gzip, ...)
  connection,           ///< the connection was reset or closed before the response was complete
  too_many_redirects,   ///< more redirects than allowed, or a redirect loop
  http_status,          ///< an error status where a success was required (raise_for_status, retries)
  proxy,                ///< the proxy refused to open a tunnel (CONNECT answered with a non-2xx status)
};

/// "dns", "connect", ... (the names used in corio-scrape's output).
[[nodiscard]] std::string_view to_string(errc kind) noexcept;

class error : public std::runtime_error {
public:
  error(errc kind, const std::string& message, std::string url = {});

  [[nodiscard]] errc kind() const noexcept { return kind_; }
  /// The message without the "<kind>: " prefix.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  /// For http_status: the status code (0 otherwise).
  [[nodiscard]] unsigned status() const noexcept { return status_; }
  /// The server's Retry-After, when it sent one (429/503).
  [[nodiscard]] std::optional<duration> retry_after() const noexcept { return retry_after_; }
  /// How many attempts were made before this error was final (1 without retries).
  [[nodiscard]] int attempts() const noexcept { return attempts_; }

  error& with_url(std::string url) { url_ = std::move(url); return *this; }
  error& with_status(unsigned status, std::optional<duration> retry_after = {}) {
    status_ = status;
    retry_after_ = retry_after;
    return *this;
  }
  error& with_attempts(int n) noexcept { attempts_ = n; return *this; }

private:
  errc kind_;
  std::string message_;
  std::string url_;
  unsigned status_ = 0;
  std::optional<duration> retry_after_;
  int attempts_ = 1;
};

}  // namespace corio::http
