#include <serve/router.hpp>

#include <stdexcept>

namespace serve {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Splits "/a/b/" into {"a", "b", ""}; the leading slash is not a segment.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }
bool is_rest(std::string_view seg) { return is_param(seg) && seg.size() >= 3 && seg[1] == '*'; }
std::string_view param_name(std::string_view seg) { return seg.substr(is_rest(seg) ? 2 : 1, seg.size() - (is_rest(seg) ? 3 : 2)); }

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view request_context::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

std::optional<std::string> request_context::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto pair = q.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string_view::npos) return std::string();
      return percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

void router::add(http::verb method, std::string pattern, handler h) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("serve::router: a pattern starts with '/': '" + pattern + "'");
  }
  route r{method, pattern, {}, std::move(h), routes_.size()};
  const auto segs = split_path(pattern);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (is_rest(segs[i]) && i + 1 != segs.size()) {
      throw std::invalid_argument("serve::router: {*name} must be the last segment: '" + pattern + "'");
    }
    r.segments.emplace_back(segs[i]);
  }
  routes_.push_back(std::move(r));
}

std::vector<std::string> router::names() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) {
    const auto verb = http::to_string(r.method);
    out.push_back(std::string(verb.data(), verb.size()) + " " + r.pattern);
  }
  return out;
}

bool router::match_segments(const route& r, std::string_view path,
                            std::vector<std::pair<std::string_view, std::string_view>>& params) {
  params.clear();
  std::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const std::string_view seg = r.segments[i];
    if (is_rest(seg)) {
      params.emplace_back(param_name(seg), rest);
      return true;
    }
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    const bool last = i + 1 == r.segments.size();
    if (last != (slash == std::string_view::npos)) return false;  // too few or too many segments
    if (is_param(seg)) {
      if (part.empty()) return false;
      params.emplace_back(param_name(seg), part);
    } else if (part != seg) {
      return false;
    }
    if (!last) rest.remove_prefix(slash + 1);
  }
  return true;
}

router::match router::find(http::verb method, std::string_view path) const {
  match m;
  std::vector<std::pair<std::string_view, std::string_view>> params;
  const route* head_fallback = nullptr;
  std::vector<std::pair<std::string_view, std::string_view>> head_params;
  // Routes without a {*rest} segment first, then the catch-alls: a mount at "/" must not hide a
  // route added after it.
  for (const bool catch_all : {false, true}) {
    for (const auto& r : routes_) {
      if ((!r.segments.empty() && is_rest(r.segments.back())) != catch_all) continue;
      if (!match_segments(r, path, params)) continue;
      if (r.method == method) {
        m.found = &r;
        m.params = std::move(params);
        m.status = http::status::ok;
        return m;
      }
      // HEAD is answered by a GET route's handler with the body left out, which a streaming
      // handler cannot do (it writes its own framing, and may never end): HEAD is 405 there.
      const bool head_ok = r.method == http::verb::get && !std::holds_alternative<stream_handler>(r.h);
      if (method == http::verb::head && head_ok && !head_fallback) {
        head_fallback = &r;
        head_params = params;
      }
      const auto name = http::to_string(r.method);
      if (m.allow.find(std::string_view(name.data(), name.size())) == std::string::npos) {
        if (!m.allow.empty()) m.allow += ", ";
        m.allow.append(name.data(), name.size());
        if (head_ok && m.allow.find("HEAD") == std::string::npos) m.allow += ", HEAD";
      }
      m.status = http::status::method_not_allowed;
    }
    if (head_fallback) {
      m.found = head_fallback;
      m.params = std::move(head_params);
      m.status = http::status::ok;
      return m;
    }
    if (m.status == http::status::method_not_allowed) return m;
  }
  return m;
}

}  // namespace serve
