#include "scrape/report.hpp"


#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace scrape {

namespace {

/// Appends `in` as a JSON string: quotes, backslashes and control characters escaped; invalid
/// UTF-8 (a page title, a URL given on the command line) would make the line invalid JSON, so each
/// bad byte becomes U+FFFD. (One pass, no copy: this runs for every field of every row.)
void append_json_string(std::string& out, std::string_view in) {
  static constexpr char hex[] = "0123456789abcdef";
  // Bytes copied as they are: printable ASCII but the quote and the backslash.
  static constexpr auto plain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return t;
  }();
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (plain[c]) {  // the common case: a run of plain ASCII
      std::size_t j = i + 1;
      while (j < n && plain[p[j]]) ++j;
      out.append(in.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      out += '\\';
      switch (c) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '\b': out += 'b'; break;
        case '\f': out += 'f'; break;
        case '\n': out += 'n'; break;
        case '\r': out += 'r'; break;
        case '\t': out += 't'; break;
        default:
          out += "u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
      }
      ++i;
      continue;
    }
    const std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 2) ok = c >= 0xC2;                                           // overlong
    if (ok && len == 3) ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);  // overlong, surrogates
    if (ok && len == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90) && c <= 0xF4;
    if (ok) {
      out.append(in.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

/// Appends an integer (std::to_string would allocate a string for it).
template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

/// Appends `v` (milliseconds, not negative) with one decimal, "12.3": what printf's "%.1f"
/// writes (ties to even), without its cost.
void append_one_decimal(std::string& out, double v) {
  if (!(v >= 0) || v >= 1e15) {  // (not reached for a duration; NaN included)
    out += v >= 1e15 ? "1e15" : "0.0";
    return;
  }
  const auto tenths = static_cast<std::uint64_t>(std::nearbyint(v * 10));
  append_int(out, tenths / 10);
  out += '.';
  out += static_cast<char>('0' + tenths % 10);
}

}  // namespace

std::string to_json_line(const row& r, bool crawl, bool bodies) {
  // Composed by hand so that numbers read naturally (Boost.JSON would print 12.3 as 1.23E1), in
  // one buffer.
  std::string o;
  o.reserve(640);  // (a typical row, all keys: ~450 bytes)
  auto key = [&](std::string_view k) {
    o += o.empty() ? '{' : ',';
    o += '"';
    o.append(k);
    o += '"';
    o += ':';
  };
  auto str = [&](std::string_view k, const std::string& v, bool null_if_empty) {
    key(k);
    if (null_if_empty && v.empty()) {
      o += "null";
    } else {
      append_json_string(o, v);
    }
  };
  str("url", r.url, false);
  str("final_url", r.final_url, true);
  key("status");
  if (r.status) {
    append_int(o, *r.status);
  } else {
    o += "null";
  }
  str("content_type", r.content_type, true);
  key("bytes");
  append_int(o, r.bytes);
  key("elapsed_ms");
  append_one_decimal(o, r.elapsed_ms);
  key("attempts");
  append_int(o, r.attempts);
  str("error_kind", r.error_kind, true);
  str("error", r.error, true);
  key("redirects");
  o += '[';
  for (std::size_t i = 0; i < r.redirects.size(); ++i) {
    if (i) o += ',';
    append_json_string(o, r.redirects[i]);
  }
  o += ']';
  str("http_version", r.http_version, true);
  str("remote_ip", r.remote_ip, true);
  key("wire_bytes");
  append_int(o, r.wire_bytes);
  str("content_encoding", r.content_encoding, true);
  str("timestamp", r.timestamp, true);
  auto ms = [&](std::string_view k, std::optional<double> v) {
    key(k);
    if (!v) {
      o += "null";
      return;
    }
    append_one_decimal(o, *v);
  };
  ms("queue_ms", r.queue_ms);
  ms("ttfb_ms", r.ttfb_ms);
  if (r.robots_wait_ms) ms("robots_wait_ms", r.robots_wait_ms);
  if (bodies || r.body_path) {
    str("body_path", r.body_path.value_or(""), true);
    str("sha256", r.sha256, true);
  }
  if (crawl) {
    key("depth");
    append_int(o, r.depth);
    key("title");
    if (r.title) {
      append_json_string(o, *r.title);
    } else {
      o += "null";
    }
    key("links");
    if (r.links) {
      append_int(o, *r.links);
    } else {
      o += "null";
    }
  }
  o += '}';
  return o;
}

void summary::add(const row& r) {
  ++rows_;
  bytes_ += r.bytes;
  if (r.status) ++by_status_[*r.status];
  if (!r.error_kind.empty()) {
    ++errors_;
    ++by_error_[r.error_kind];
  }
  if (r.attempts > 1) retries_ += static_cast<std::size_t>(r.attempts - 1);
  if (r.attempts > 0) {
    latencies_.push_back(r.elapsed_ms);
    sorted_ = false;
  }
}

double summary::percentile(double p) const {
  if (latencies_.empty()) return 0;
  if (!sorted_) {
    std::sort(latencies_.begin(), latencies_.end());
    sorted_ = true;
  }
  // Nearest rank.
  const auto n = latencies_.size();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return latencies_[rank - 1];
}

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// Appends the parts (instead of `a + b + ...`, which GCC 12 -O3 flags with a false -Wrestrict).
template <typename... Parts>
void cat(std::string& s, const Parts&... parts) {
  (s.append(std::string_view(parts)), ...);
}

std::string human_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::string out = fixed(v, u == 0 ? 0 : 1);
  cat(out, " ", units[u]);
  return out;
}

}  // namespace

std::string summary::format() const {
  std::string s;
  const double rate = elapsed_s_ > 0 ? static_cast<double>(rows_) / elapsed_s_ : 0;
  cat(s, "corio-scrape: ", std::to_string(rows_), " URLs in ", fixed(elapsed_s_, 2), " s (", fixed(rate, 1), "/s), ",
      human_bytes(bytes_), " received");
  if (elapsed_s_ > 0) {
    cat(s, " (", human_bytes(static_cast<std::uint64_t>(static_cast<double>(bytes_) / elapsed_s_)), "/s)");
  }
  cat(s, interrupted_ ? ", interrupted" : "", "\n  status:");
  if (by_status_.empty()) s += " none";
  for (const auto& [st, n] : by_status_) cat(s, " ", std::to_string(st), "×", std::to_string(n));
  s += "\n  errors:";
  if (by_error_.empty()) s += " none";
  for (const auto& [k, n] : by_error_) cat(s, " ", k, "×", std::to_string(n));
  cat(s, "\n  latency: p50 ", fixed(percentile(50), 1), " ms, p95 ", fixed(percentile(95), 1), " ms, p99 ",
      fixed(percentile(99), 1), " ms, max ", fixed(percentile(100), 1), " ms\n");
  cat(s, "  retries: ", std::to_string(retries_), "\n");
  if (frontier_) {
    cat(s, "  frontier: ", std::to_string(*frontier_), " URLs known, at most ", std::to_string(peak_queued_),
        " queued at once\n");
  }
  if (resumed_) cat(s, "  resumed: ", std::to_string(skipped_), skipped_ == 1 ? " URL" : " URLs", " already done, skipped\n");
  cat(s, "  not attempted: ", std::to_string(not_attempted_.size()), "\n");
  for (const auto& u : not_attempted_) cat(s, "    ", u, "\n");
  if (!write_error_.empty()) {
    cat(s, "corio-scrape: ", write_error_, "; ", std::to_string(rows_not_written_), " row",
        rows_not_written_ == 1 ? "" : "s", " not written (the output ends with the last whole row)\n");
  }
  return s;
}

std::string progress_line(std::size_t done, std::size_t total, double rate, std::size_t errors, std::size_t width) {
  total = std::max(total, done);
  const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const auto filled = static_cast<std::size_t>(frac * static_cast<double>(width));
  std::string bar(filled, '=');
  if (filled < width) bar += '>';
  bar.resize(width, ' ');
  std::string eta = "--";
  if (rate > 0 && total > done) {
    const auto secs = static_cast<long long>(std::ceil(static_cast<double>(total - done) / rate));
    eta.clear();
    if (secs >= 3600) cat(eta, std::to_string(secs / 3600), "h", std::to_string(secs % 3600 / 60), "m");
    else if (secs >= 60) cat(eta, std::to_string(secs / 60), "m", std::to_string(secs % 60), "s");
    else cat(eta, std::to_string(secs), "s");
  } else if (total == done) {
    eta = "0s";
  }
  std::string out;
  cat(out, "[", bar, "] ", std::to_string(done), "/", std::to_string(total), "  ", fixed(rate, 1), "/s  errors ",
      std::to_string(errors), "  ETA ", eta);
  return out;
}

}  // namespace scrape
