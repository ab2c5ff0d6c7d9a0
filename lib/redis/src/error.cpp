#include <corio/redis/error.hpp>

namespace corio::redis {

std::string_view to_string(errc kind) noexcept {
  switch (kind) {
    case errc::bad_url: return "bad_url";
    case errc::connect: return "connect";
    case errc::auth: return "auth";
    case errc::timeout: return "timeout";
    case errc::connection: return "connection";
    case errc::protocol: return "protocol";
    case errc::server: return "server";
    case errc::reply_type: return "reply_type";
  }
  return "unknown";
}

error::error(errc kind, const std::string& message)
    : std::runtime_error(std::string(to_string(kind)) + ": " + message), kind_(kind), message_(message) {}

std::string_view error::server_code() const noexcept {
  if (kind_ != errc::server && kind_ != errc::auth) return {};
  const std::string_view m = message_;
  const auto end = m.find(' ');
  const std::string_view word = m.substr(0, end);
  // Only an upper-case word is a code (the client's own messages start otherwise).
  for (const char c : word) {
    if (!((c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9'))) return {};
  }
  return word;
}

error reply_error(const std::string& message) {
  const bool refused = message.starts_with("NOAUTH") || message.starts_with("WRONGPASS") || message.starts_with("NOPERM");
  return error(refused ? errc::auth : errc::server, message);
}

}  // namespace corio::redis
