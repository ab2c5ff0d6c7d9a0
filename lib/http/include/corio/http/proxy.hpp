// corio/http/proxy.hpp — HTTP proxy addresses and the no_proxy rule, as corio::http::client uses
// them (client_options::proxy, https_proxy and no_proxy; client.hpp says how a request goes
// through a proxy).
//
//   auto p = corio::http::parse_proxy("http://user:pw@proxy.test:3128");  // host, port, Basic credentials
//   corio::http::bypasses_proxy("example.com, .internal, 10.0.0.0/8", "a.example.com");  // true: go direct
//
// A proxy URL is "http://[user:password@]host[:port][/]". Without a scheme ("proxy.test:3128")
// http:// is assumed and without a port 1080 is, as curl does. Other schemes (https:// — TLS to the
// proxy itself —, socks5://, ...), a path other than "/", a query or a fragment are refused. The
// credentials are percent-decoded and sent as Proxy-Authorization: Basic.
//
// no_proxy is a list of hosts separated by commas (or spaces), as in curl's NO_PROXY:
//   - "*" matches every host (no request uses the proxy);
//   - a name matches itself and every name under it, case-insensitively: "example.com" and
//     ".example.com" both match example.com and a.example.com, never badexample.com;
//   - an IP literal matches that address only (IPv6 with or without brackets); an address with a
//     prefix length ("10.0.0.0/8", "fd00::/8") matches the addresses in that range;
//   - a port in an entry ("example.com:8080", "[::1]:80") is ignored: it matches every port.
// Empty entries are skipped.
//
// Cancellation: not applicable.
// Exceptions: parse_proxy throws corio::http::error (errc::bad_url) whose message and url() show
// the proxy URL with its password as "***"; bypasses_proxy throws nothing but std::bad_alloc.
// Thread safety: pure functions; proxy_address is a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace corio::http {

/// A parsed proxy URL.
struct proxy_address {
  std::string host;  ///< lower case; an IPv6 address without brackets
  std::uint16_t port = 1080;
  /// "Basic <base64 of user:password>" when the URL has credentials, else empty.
  std::string authorization;

  /// "http://host:port", without the credentials (for messages).
  [[nodiscard]] std::string to_string() const;
  bool operator==(const proxy_address&) const = default;
};

/// Parses a proxy URL (see above); throws error(errc::bad_url) with a sentence saying what is wrong.
[[nodiscard]] proxy_address parse_proxy(std::string_view url);

/// True if `host` (a URL's host: a name, an IPv4 address, or an IPv6 address with or without
/// brackets) is reached directly according to the `no_proxy` list (see above).
[[nodiscard]] bool bypasses_proxy(std::string_view no_proxy, std::string_view host);

}  // namespace corio::http
