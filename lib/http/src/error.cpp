#include <corio/http/error.hpp>

namespace corio::http {

std::string_view to_string(errc kind) noexcept {
  switch (kind) {
    case errc::bad_url: return "bad_url";
    case errc::dns: return "dns";
    case errc::connect: return "connect";
    case errc::tls: return "tls";
    case errc::timeout: return "timeout";
    case errc::too_large: return "too_large";
    case errc::protocol: return "protocol";
    case errc::connection: return "connection";
    case errc::too_many_redirects: return "too_many_redirects";
    case errc::http_status: return "http_status";
    case errc::proxy: return "proxy";
  }
  return "unknown";
}

error::error(errc kind, const std::string& message, std::string url)
    : std::runtime_error(std::string(to_string(kind)) + ": " + message),
      kind_(kind),
      message_(message),
      url_(std::move(url)) {}

}  // namespace corio::http
