// corio/http/url.hpp — URL helpers on Boost.URL: parse, join (relative references), normalise.
//
//   auto u = corio::http::parse_url("HTTP://Example.COM:80/a/../b?q#frag");    // boost::urls::url
//   corio::http::normalize_url(u);          // "http://example.com/b?q" (no fragment, no :80)
//   corio::http::join_url("http://h/a/b", "../c");                              // "http://h/c"
//
// Only absolute http and https URLs with a host are accepted. Like browsers and curl, parse_url and
// join_url repair what would otherwise be refused (repair_url): a host name with non-ASCII
// characters becomes its IDNA ASCII form ("bücher.example" → "xn--bcher-kva.example", also when
// percent-encoded), and spaces, non-ASCII bytes (UTF-8 or Latin-1) and other characters a URL
// cannot hold are percent-encoded. The normal form (for comparing
// and de-duplicating URLs): lower-case scheme and host, no default port, dot segments removed,
// an empty path becomes "/", percent-encoding normalised (RFC 3986 §6.2.2), no user info, no
// fragment.
//
// Cancellation: not applicable.
// Exceptions: parse_url and normalize_url(string_view) throw corio::http::error (errc::bad_url);
// join_url never throws for bad input (it returns an empty optional).
// Thread safety: pure functions.
#pragma once

#include <boost/url/url.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corio::http {

/// Parses an absolute http(s) URL with a host; throws error(errc::bad_url) otherwise.
[[nodiscard]] boost::urls::url parse_url(std::string_view s);

/// The normal form of `u` (see above) as a string.
[[nodiscard]] std::string normalize_url(boost::urls::url u);
[[nodiscard]] std::string normalize_url(std::string_view s);

/// Resolves `ref` (absolute or relative, e.g. an href or a Location) against `base` and returns
/// the normal form; empty if either is invalid or the result is not an http(s) URL.
[[nodiscard]] std::optional<std::string> join_url(std::string_view base, std::string_view ref);

/// `s` (an absolute URL or a reference) repaired as described above; empty if nothing needed
/// repairing. Throws error(errc::bad_url) for a host name that is not valid IDNA.
[[nodiscard]] std::optional<std::string> repair_url(std::string_view s);

/// "Basic <base64 of user:password>", the Authorization value for credentials in a URL.
[[nodiscard]] std::string basic_authorization(std::string_view user, std::string_view password);

/// `url` with the password of its user info (if any) shown as "***":
/// "http://user:***@host/" (curl's and browsers' way of showing such a URL). Never throws but
/// std::bad_alloc; works on any string (nothing to redact: returned as is).
[[nodiscard]] std::string redact_userinfo(std::string_view url);

/// The port of an http(s) URL, defaulting to 80/443.
[[nodiscard]] std::uint16_t effective_port(const boost::urls::url_view_base& u) noexcept;

}  // namespace corio::http
