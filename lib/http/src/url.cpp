#include <corio/http/error.hpp>
#include <corio/http/url.hpp>

#include <boost/url/parse.hpp>

namespace corio::http {

namespace {

bool is_http(const boost::urls::url_view_base& u) noexcept {
  return u.scheme_id() == boost::urls::scheme::http || u.scheme_id() == boost::urls::scheme::https;
}

/// Checks what Boost.URL 1.81 lets through in the authority: a port must be 1..65535 in decimal
/// digits (it wraps larger numbers: port_number() of ":99999" is 34463, a connection would go to
/// the wrong port), and the authority must end at '/', '?', '#' or the end ("http://h:80x/p" parses
/// as port "80" and path "x/p", which would normalise to another host).
bool valid_authority(const boost::urls::url_view_base& u) noexcept {
  const auto path = u.encoded_path();
  if (!path.empty() && path.front() != '/') return false;
  if (!u.has_port() || u.port().empty()) return true;  // "http://h:/" means the default port
  const auto p = u.port();
  if (p.size() > 5) return false;
  unsigned long v = 0;
  for (const char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  return v >= 1 && v <= 65535;
}

}  // namespace

std::uint16_t effective_port(const boost::urls::url_view_base& u) noexcept {
  if (u.has_port() && !u.port().empty()) return u.port_number();
  return u.scheme_id() == boost::urls::scheme::https ? 443 : 80;
}

boost::urls::url parse_url(std::string_view s) {
  auto r = boost::urls::parse_uri(s);
  if (!r) throw error(errc::bad_url, "not a valid absolute URL (" + r.error().message() + ")", std::string(s));
  if (!is_http(*r)) throw error(errc::bad_url, "only http and https URLs are supported", std::string(s));
  if (!r->has_authority() || r->encoded_host().empty()) throw error(errc::bad_url, "the URL has no host", std::string(s));
  if (!valid_authority(*r)) throw error(errc::bad_url, "invalid port (1 to 65535) or authority", std::string(s));
  return boost::urls::url(*r);
}

std::string normalize_url(boost::urls::url u) {
  u.normalize();
  u.remove_fragment();
  u.remove_userinfo();
  const bool default_port = u.has_port() && (u.port().empty() ||
      (u.scheme_id() == boost::urls::scheme::http && u.port_number() == 80) ||
      (u.scheme_id() == boost::urls::scheme::https && u.port_number() == 443));
  if (default_port) u.remove_port();
  // (Boost.URL 1.81: set_encoded_path("/") on an empty path yields "/./"; this does not.)
  if (u.encoded_path().empty()) u.set_path_absolute(true);
  return std::string(u.buffer());
}

std::string normalize_url(std::string_view s) { return normalize_url(parse_url(s)); }

std::optional<std::string> join_url(std::string_view base, std::string_view ref) {
  auto b = boost::urls::parse_uri(base);
  if (!b) return std::nullopt;
  auto r = boost::urls::parse_uri_reference(ref);
  if (!r) return std::nullopt;
  boost::urls::url dest;
  if (!boost::urls::resolve(*b, *r, dest)) return std::nullopt;
  if (!is_http(dest) || !dest.has_authority() || dest.encoded_host().empty()) return std::nullopt;
  if (!valid_authority(dest)) return std::nullopt;
  return normalize_url(std::move(dest));
}

}  // namespace corio::http
