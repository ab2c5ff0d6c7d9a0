// corio/http/cookies.hpp — a cookie jar with RFC 6265's rules (§5), for corio::http::client
// (client_options::cookies) or on its own.
//
//   auto jar = std::make_shared<corio::http::cookie_jar>();
//   corio::http::client_options o;
//   o.cookies = jar;                       // every response's Set-Cookie stored, Cookie sent back
//   jar->set_cookie("https://a.example/x/", "sid=1; Path=/; Secure; Max-Age=3600");
//   jar->cookie_header("https://a.example/y");                  // "sid=1"
//
// Storing a Set-Cookie value received from a URL:
//   - "name=value" first (without '=' or with an empty name the cookie is ignored; a name or
//     value with a control character too), then attributes, case-insensitive, the last of a
//     kind winning; unknown ones (SameSite, ...) are ignored;
//   - Domain: absent → a host-only cookie, sent back to that exact host only. Present (a leading
//     '.' is dropped) → sent to that domain and every name under it, but only if the request's
//     host is that domain or a name under it (else the cookie is refused: no setting cookies for
//     a sibling or a parent you are not under), the host is not an IP address (unless identical),
//     and the domain is not a public suffix — here: a single label such as "com" or "test" (a
//     host that *is* that single label gets a host-only cookie). Multi-label public suffixes
//     (co.uk) are not known to this jar;
//   - Path: absent or not starting with '/' → the default path, the request path up to (not
//     including) its last '/' ("/" if that leaves nothing); sent to requests whose path is that
//     path or under it ("/docs" matches /docs, /docs/ and /docs/a, not /docsx);
//   - Secure: sent over https only; a Secure cookie set over plain http is refused;
//   - Max-Age (seconds) wins over Expires (an HTTP date, parsed as §5.1.1 says); both are capped
//     at 400 days; zero, negative or past: the cookie (and any it replaces) is deleted. Neither:
//     a session cookie, kept while the jar lives;
//   - HttpOnly is recorded (this is not a browser: nothing else reads cookies);
//   - a cookie with the same name, domain and path replaces the old one (keeping its creation
//     time, and so its place in the order).
// Limits, so that no server can grow the jar without bound: a cookie whose name and value exceed
// `max_cookie_bytes` (4096), or with an attribute value over 1024 bytes, is ignored; at most
// `per_domain` (50) cookies per domain and `total` (3000) overall: beyond that, expired cookies go
// first, then the least recently used.
// Sending (cookie_header): the cookies whose domain and path match the URL, Secure ones only for
// https, unexpired, as "a=1; b=2": longer paths first, then older first (RFC 6265 §5.4).
// Time comes from the clock given to the constructor (system_clock::now by default), so tests can
// move it.
//
// Cancellation: not applicable (no I/O).
// Exceptions: set_cookie and cookie_header taking a string throw error(errc::bad_url) for an
// invalid URL; a malformed Set-Cookie value is ignored, never an exception; std::bad_alloc.
// Thread safety: thread-safe (one mutex): one jar may serve several clients, on any threads.
#pragma once

#include <corio/http/fields.hpp>

#include <boost/url/url_view_base.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace corio::http {

struct cookie {
  using time_point = std::chrono::system_clock::time_point;

  std::string name;
  std::string value;
  std::string domain;  ///< lower case, without a leading '.'
  std::string path;
  bool host_only = true;   ///< sent to `domain` exactly (no Domain attribute)
  bool secure = false;
  bool http_only = false;
  bool persistent = false;  ///< had Max-Age or Expires (else a session cookie)
  time_point expires = time_point::max();
  time_point created{};
  time_point last_access{};
  std::uint64_t order = 0;  ///< creation order (ties of `created`)
};

class cookie_jar {
public:
  using time_point = cookie::time_point;
  struct limits {
    std::size_t max_cookie_bytes = 4096;  ///< name + value
    std::size_t per_domain = 50;
    std::size_t total = 3000;
  };

  cookie_jar();
  explicit cookie_jar(limits l, std::function<time_point()> now = {});

  /// Stores one Set-Cookie value received in a response to `url`. Returns false if it was
  /// ignored (see above); true if it was stored or deleted a cookie.
  bool set_cookie(const boost::urls::url_view_base& url, std::string_view set_cookie);
  bool set_cookie(std::string_view url, std::string_view set_cookie);
  /// Every Set-Cookie field of a response to `url`.
  void store(const boost::urls::url_view_base& url, const fields& response_headers);

  /// The Cookie field value for a request to `url` ("" when no cookie matches).
  [[nodiscard]] std::string cookie_header(const boost::urls::url_view_base& url);
  [[nodiscard]] std::string cookie_header(std::string_view url);

  /// The unexpired cookies, in no particular order.
  [[nodiscard]] std::vector<cookie> cookies() const;
  [[nodiscard]] std::size_t size() const;
  void clear();

  /// The cookies in the Netscape cookies.txt format curl reads and writes (-b, -c): one line
  /// each, "domain TAB include-subdomains TAB path TAB secure TAB expires TAB name TAB value"
  /// (expires: Unix seconds, 0 for a session cookie; HttpOnly ones prefixed "#HttpOnly_").
  [[nodiscard]] std::string to_netscape() const;

private:
  time_point now() const;
  void evict(std::vector<cookie>* domain_list, time_point now);

  mutable std::mutex mu_;
  limits limits_;
  std::function<time_point()> now_;
  std::unordered_map<std::string, std::vector<cookie>> by_domain_;
  std::size_t count_ = 0;
  std::uint64_t next_order_ = 0;
};

}  // namespace corio::http
