#include <corio/http/error.hpp>
#include <corio/http/url.hpp>

#include <boost/url/parse.hpp>

#include <idn2.h>

#include <cstdlib>
#include <memory>

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

/// True if the host is a registered name with a percent-encoding in it: the normal form of a URL
/// has its name decoded (and IDNA-encoded), so such a URL was not repaired and is refused.
bool has_encoded_name(const boost::urls::url_view_base& u) noexcept {
  return u.host_type() == boost::urls::host_type::name && u.encoded_host().find('%') != std::string_view::npos;
}

/// What is repaired (repair_url) before it is used: what does not parse, a percent-encoded host
/// name, and an authority Boost.URL read in an unexpected way ("http://a@b@h/" as host "b" and
/// path "@h/": an '@' in the userinfo).
bool needs_repair(const boost::system::result<boost::urls::url_view>& r) noexcept {
  return !r || has_encoded_name(*r) || (r->has_authority() && !valid_authority(*r));
}

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) noexcept {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/// Appends `s` with every byte a URL cannot hold as it is percent-encoded: controls, space,
/// non-ASCII (UTF-8 or Latin-1 alike: the bytes are kept), "<>\^`{|}[]" and a '%' that starts no
/// escape. '#' after the first one is encoded too (only one fragment).
void encode_lenient(std::string_view s, std::string& out, bool fragment_seen) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    bool encode = c <= 0x20 || c >= 0x7F;
    switch (c) {
      case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}': case '[': case ']':
        encode = true;
        break;
      case '%':
        encode = !(i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2]));
        break;
      case '#':
        encode = fragment_seen;
        fragment_seen = true;
        break;
      default:
        break;
    }
    if (encode) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
}

/// The ASCII (IDNA 2008, UTS #46 non-transitional) form of a registered host name given with
/// non-ASCII characters, raw UTF-8 or percent-encoded.
std::string ascii_host(std::string_view host, std::string_view whole) {
  std::string decoded;
  decoded.reserve(host.size());
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (host[i] == '%' && i + 2 < host.size() && is_hex(host[i + 1]) && is_hex(host[i + 2])) {
      decoded += static_cast<char>(hex_value(host[i + 1]) * 16 + hex_value(host[i + 2]));
      i += 2;
    } else {
      decoded += host[i];
    }
  }
  bool ascii = true;
  for (const char c : decoded) {
    const auto u = static_cast<unsigned char>(c);
    ascii = ascii && u < 0x80;
    // Decoded, "a%2Fb" would read as host "a" and a path: such a host is refused, not repaired.
    if (u <= 0x20 || u == 0x7F || std::string_view("/?#@:[]\\%<>\"^`{|}").find(c) != std::string_view::npos) {
      throw error(errc::bad_url, "invalid character in the host name", redact_userinfo(whole));
    }
  }
  if (ascii) return decoded;
  char* out = nullptr;
  const int rc = idn2_to_ascii_8z(decoded.c_str(), &out, IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&std::free)> owned(out, &std::free);
  if (rc != IDN2_OK) {
    throw error(errc::bad_url, "invalid international host name '" + decoded + "' (" + idn2_strerror(rc) + ")",
                redact_userinfo(whole));
  }
  return out;
}

}  // namespace

std::optional<std::string> repair_url(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  std::string_view rest = s;
  // The authority, when there is one: "scheme://" or a network-path reference "//".
  std::size_t auth = std::string_view::npos;
  if (const auto colon = s.find(':'); colon != std::string_view::npos && s.substr(colon, 3) == "://" &&
                                      s.find_first_of("/?#") > colon) {
    auth = colon + 3;
  } else if (s.starts_with("//")) {
    auth = 2;
  }
  if (auth != std::string_view::npos) {
    out.append(s.substr(0, auth));
    const auto end = std::min(s.find_first_of("/?#", auth), s.size());
    std::string_view authority = s.substr(auth, end - auth);
    rest = s.substr(end);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
      // The userinfo, where an '@' is data: only the last one ends it (as browsers read it).
      const auto from = out.size();
      encode_lenient(authority.substr(0, at), out, true);
      for (auto i = out.find('@', from); i != std::string::npos; i = out.find('@', i)) out.replace(i, 1, "%40");
      out += '@';
      authority.remove_prefix(at + 1);
    }
    std::string_view host = authority, port;
    if (!authority.starts_with('[')) {
      if (const auto c = authority.rfind(':'); c != std::string_view::npos) {
        host = authority.substr(0, c);
        port = authority.substr(c);
      }
      out += ascii_host(host, s);
    } else {
      out += host;  // an IP literal: nothing to repair
      port = {};
    }
    out += port;
  }
  encode_lenient(rest, out, false);
  if (out == s) return std::nullopt;
  return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in(user);
  in += ':';
  in += password;
  std::string out = "Basic ";
  out.reserve(out.size() + (in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(in[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? table[(v >> (18 - 6 * k)) & 0x3F] : '=';
  }
  return out;
}

std::string redact_userinfo(std::string_view url) {
  const auto start = url.find("://");
  if (start == std::string_view::npos) return std::string(url);
  const auto auth = start + 3;
  const auto end = std::min(url.find_first_of("/?#", auth), url.size());
  const auto at = url.substr(auth, end - auth).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto colon = url.substr(auth, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);  // a user name only
  std::string out(url.substr(0, auth + colon + 1));
  out += "***";
  out.append(url.substr(auth + at));
  return out;
}

std::uint16_t effective_port(const boost::urls::url_view_base& u) noexcept {
  if (u.has_port() && !u.port().empty()) return u.port_number();
  return u.scheme_id() == boost::urls::scheme::https ? 443 : 80;
}

boost::urls::url parse_url(std::string_view s) {
  auto r = boost::urls::parse_uri(s);
  // Only what fails (or has a percent-encoded host) is repaired: the common case costs nothing.
  std::optional<std::string> repaired;
  if (needs_repair(r)) {
    repaired = repair_url(s);
    if (repaired) {
      auto again = boost::urls::parse_uri(*repaired);
      if (again) r = again;
    }
  }
  if (!r) throw error(errc::bad_url, "not a valid absolute URL (" + r.error().message() + ")", redact_userinfo(s));
  if (!is_http(*r)) throw error(errc::bad_url, "only http and https URLs are supported", redact_userinfo(s));
  // A registered name still percent-encoded could not be decoded into one (the repair failed):
  // sending it would ask a DNS server for a name with '%' in it.
  if (has_encoded_name(*r)) throw error(errc::bad_url, "invalid character in the host name", redact_userinfo(s));
  if (!r->has_authority() || r->encoded_host().empty()) throw error(errc::bad_url, "the URL has no host", redact_userinfo(s));
  if (!valid_authority(*r)) throw error(errc::bad_url, "invalid port (1 to 65535) or authority", redact_userinfo(s));
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
  std::optional<std::string> repaired;
  if (needs_repair(r)) {
    try {
      repaired = repair_url(ref);
    } catch (const error&) {
      return std::nullopt;  // an invalid international host name
    }
    if (repaired) r = boost::urls::parse_uri_reference(*repaired);
  }
  if (!r) return std::nullopt;
  boost::urls::url dest;
  if (!boost::urls::resolve(*b, *r, dest)) return std::nullopt;
  if (!is_http(dest) || !dest.has_authority() || dest.encoded_host().empty()) return std::nullopt;
  if (!valid_authority(dest) || has_encoded_name(dest)) return std::nullopt;
  return normalize_url(std::move(dest));
}

}  // namespace corio::http
