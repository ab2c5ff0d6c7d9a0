#include <corio/http/error.hpp>
#include <corio/http/response.hpp>

namespace corio::http {

std::string response::content_type() const {
  auto ct = headers.get("Content-Type");
  if (!ct) return {};
  std::string_view v = *ct;
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  std::string out(v);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void response::raise_for_status() const {
  if (status < 400) return;
  throw error(errc::http_status, "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason), url)
      .with_status(status);
}

}  // namespace corio::http
