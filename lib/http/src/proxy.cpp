#include <corio/http/proxy.hpp>

#include <corio/http/error.hpp>
#include <corio/http/url.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace corio::http {

namespace asio = boost::asio;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

std::optional<asio::ip::address> ip_literal(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  boost::system::error_code ec;
  auto a = asio::ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

/// True if the first `bits` bits of `a` and `net` are equal (same family).
bool in_range(const asio::ip::address& a, const asio::ip::address& net, unsigned bits) {
  if (a.is_v4() != net.is_v4()) return false;
  std::array<unsigned char, 16> x{}, y{};
  std::size_t n = 0;
  if (a.is_v4()) {
    const auto xa = a.to_v4().to_bytes(), ya = net.to_v4().to_bytes();
    std::copy(xa.begin(), xa.end(), x.begin());
    std::copy(ya.begin(), ya.end(), y.begin());
    n = 4;
  } else {
    x = a.to_v6().to_bytes();
    y = net.to_v6().to_bytes();
    n = 16;
  }
  if (bits > n * 8) return false;
  for (std::size_t i = 0; i < n && bits > 0; ++i) {
    const unsigned take = std::min(bits, 8u);
    const auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((x[i] & mask) != (y[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

/// One no_proxy entry against the normalised host (`ip`: the host as an address, if it is one).
bool entry_matches(std::string_view e, const std::string& host, const std::optional<asio::ip::address>& ip) {
  if (e == "*") return true;
  // The port is ignored: "[v6]:port", "name:port" or "v4:port" (a bare IPv6 address has several ':').
  if (e.front() == '[') {
    const auto close = e.find(']');
    if (close == std::string_view::npos) return false;
    e = e.substr(1, close - 1);
  } else if (std::count(e.begin(), e.end(), ':') == 1) {
    e = e.substr(0, e.find(':'));
  }
  if (const auto slash = e.find('/'); slash != std::string_view::npos) {  // address/prefix length
    if (!ip) return false;
    const auto net = ip_literal(e.substr(0, slash));
    unsigned bits = 0;
    const auto len = e.substr(slash + 1);
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (!net || ec != std::errc() || p != len.data() + len.size()) return false;
    return in_range(*ip, *net, bits);
  }
  if (ip) {
    const auto other = ip_literal(e);
    return other && *other == *ip;
  }
  while (!e.empty() && e.front() == '.') e.remove_prefix(1);
  while (!e.empty() && e.back() == '.') e.remove_suffix(1);
  if (e.empty()) return false;
  const std::string name = lower(e);
  if (host == name) return true;
  return host.size() > name.size() && host.ends_with(name) && host[host.size() - name.size() - 1] == '.';
}

}  // namespace

std::string proxy_address::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

proxy_address parse_proxy(std::string_view url) {
  std::string text(url);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  text.erase(0, std::min(text.find_first_not_of(" \t"), text.size()));
  const std::string shown = redact_userinfo(text);
  auto bad = [&](const std::string& why) {
    return error(errc::bad_url, "invalid proxy URL '" + shown + "': " + why, shown);
  };
  if (text.empty()) throw bad("it is empty");
  if (text.find("://") == std::string::npos) text = "http://" + text;
  auto r = boost::urls::parse_uri(text);
  if (!r) throw bad("not a URL (" + r.error().message() + ")");
  const auto& u = *r;
  const std::string scheme = lower(u.scheme());
  if (scheme == "https") throw bad("HTTPS proxies (TLS to the proxy) are not supported; use http://");
  if (scheme != "http") throw bad("only http:// proxies are supported, not " + scheme + "://");
  if (!u.has_authority() || u.encoded_host().empty()) throw bad("it has no host");
  if (!u.encoded_path().empty() && u.encoded_path() != "/") throw bad("a proxy URL has no path");
  if (u.has_query() || u.has_fragment()) throw bad("a proxy URL has no query or fragment");
  proxy_address p;
  if (u.host_type() == boost::urls::host_type::ipv6 || u.host_type() == boost::urls::host_type::ipv4) {
    p.host = lower(u.host_address());
  } else if (u.host_type() == boost::urls::host_type::name) {
    const std::string h = u.host_address();
    if (!std::all_of(h.begin(), h.end(), name_char)) throw bad("invalid character in the host name");
    p.host = lower(h);
  } else {
    throw bad("unsupported host");
  }
  if (u.has_port()) {
    const std::string_view port = u.port();
    unsigned n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n == 0 || n > 65535) {
      throw bad("invalid port (1 to 65535)");
    }
    p.port = static_cast<std::uint16_t>(n);
  }
  if (u.has_userinfo() && (u.has_password() || !u.encoded_user().empty())) {
    p.authorization = basic_authorization(u.user(), u.password());
  }
  return p;
}

bool bypasses_proxy(std::string_view no_proxy, std::string_view host) {
  std::string h = lower(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.pop_back();
  const auto ip = ip_literal(h);
  std::size_t i = 0;
  while (i < no_proxy.size()) {
    const auto end = no_proxy.find_first_of(", \t", i);
    const auto entry = no_proxy.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (!entry.empty() && entry_matches(entry, h, ip)) return true;
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  return false;
}

}  // namespace corio::http
