#include <corio/http/error.hpp>
#include <corio/http/response.hpp>

#include <charconv>
#include <chrono>
#include <ctime>
#include <string>

namespace corio::http {

namespace {

/// Retry-After: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
std::optional<duration> parse_retry_after(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  std::string_view s = *v;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  long long secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size()) {
    if (secs < 0) return std::nullopt;
    return std::chrono::seconds(std::min<long long>(secs, 24 * 3600));
  }
  std::tm tm{};
  const std::string str(s);
  if (!strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto now = std::chrono::system_clock::now();
  if (when <= now) return duration::zero();
  return std::chrono::duration_cast<duration>(when - now);
}

}  // namespace

std::optional<duration> response::retry_after() const { return parse_retry_after(headers.get("Retry-After")); }


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
