#include <corio/redis/error.hpp>
#include <corio/redis/url.hpp>

#include <cstddef>

namespace corio::redis {

namespace {

[[noreturn]] void bad(const std::string& why) { throw error(errc::bad_url, why); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, const char* what) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) bad(std::string("a bad percent-escape in the ") + what);
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) bad(std::string("a bad percent-escape in the ") + what);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string server_address::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

server_address parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.size() < scheme.size() || url.substr(0, scheme.size()) != scheme) {
    if (url.substr(0, 9) == "rediss://") bad("rediss:// (TLS) is not supported");
    bad("not a redis:// URL");
  }
  std::string_view rest = url.substr(scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) bad("a redis:// URL with a query or a fragment");
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) bad("a redis:// URL with a space or a control character");
  }
  server_address a;
  // The path: "/DB" or nothing.
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const std::string_view path = rest.substr(slash + 1);
    if (!path.empty()) {
      if (!all_digits(path) || path.size() > 9) bad("the database is not a number: '/" + std::string(path) + "'");
      a.db = std::stoll(std::string(path));
    }
  }
  // The user info: everything up to the last '@'.
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) bad("a user name without a password");
    a.user = percent_decode(userinfo.substr(0, colon), "user name");
    a.password = percent_decode(userinfo.substr(colon + 1), "password");
    if (a.password.empty() && !a.user.empty()) bad("a user name without a password");
  }
  // The host and the port.
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad("an IPv6 host without its ']'");
    a.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad("characters after the IPv6 host");
      port = after.substr(1);
      if (port.empty()) bad("an empty port");
    }
    if (a.host.empty() || a.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      bad("a bad IPv6 host");
    }
  } else {
    const auto colon = authority.find(':');
    a.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) bad("an empty port");
    }
    if (a.host.find_first_of("[]@:%") != std::string::npos) bad("a bad host");
  }
  if (a.host.empty()) bad("no host");
  if (!port.empty()) {
    if (!all_digits(port) || port.size() > 5) bad("the port is not a number");
    const long p = std::stol(std::string(port));
    if (p < 1 || p > 65535) bad("the port is out of range");
    a.port = static_cast<std::uint16_t>(p);
  }
  return a;
}

}  // namespace corio::redis
