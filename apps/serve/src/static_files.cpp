#include <serve/static_files.hpp>

#include <serve/http_date.hpp>
#include <serve/router.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <stdexcept>
#include <utility>

namespace serve {

namespace {

bool iends_with(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char ext, char c) { return std::tolower(static_cast<unsigned char>(c)) == ext; });
}

/// Does an If-None-Match (weak comparison) or If-Match (`strong`: a weak tag never matches) list
/// contain `etag`, or "*"?
bool etag_matches(std::string_view header, std::string_view etag, bool strong = false) {
  auto strip_weak = [](std::string_view t) { return t.rfind("W/", 0) == 0 ? t.substr(2) : t; };
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*" || (strong ? item == etag : strip_weak(item) == strip_weak(etag))) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

/// A single byte range of a `size`-byte file (RFC 9110 14.1.2): "bytes=FIRST-LAST", "FIRST-" or
/// "-SUFFIX". Empty optional: no usable single range (several, or malformed: the whole file is
/// sent, as the RFC allows); unsatisfiable: it starts beyond the end (416).
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
  bool unsatisfiable = false;
};

/// Ranges longer than this are answered with the whole file (read into memory otherwise).
constexpr std::uint64_t max_range_bytes = 16u << 20;

std::optional<byte_range> parse_range(std::string_view v, std::uint64_t size) {
  if (v.size() < 7 || !std::equal(v.begin(), v.begin() + 6, "bytes=", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      })) {
    return std::nullopt;
  }
  v.remove_prefix(6);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = v.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view d) -> std::optional<std::uint64_t> {
    if (d.empty() || d.size() > 18) return std::nullopt;
    std::uint64_t n = 0;
    for (const char c : d) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
  };
  const auto a = v.substr(0, dash);
  const auto b = v.substr(dash + 1);
  byte_range r;
  if (a.empty()) {  // the last N bytes
    const auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return byte_range{0, 0, true};
    r.length = std::min(*n, size);
    r.first = size - r.length;
    return r;
  }
  const auto first = number(a);
  if (!first) return std::nullopt;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const auto l = number(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, last);
  }
  if (*first >= size) return byte_range{0, 0, true};
  r.first = *first;
  r.length = last - *first + 1;
  return r;
}

bool within(const std::filesystem::path& root, const std::filesystem::path& p) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

}  // namespace

std::string_view mime_type(std::string_view filename) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> types = {{
      {".html", "text/html; charset=utf-8"},   {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},     {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},   {".md", "text/markdown; charset=utf-8"},
      {".xml", "application/xml"},             {".svg", "image/svg+xml"},
      {".png", "image/png"},                   {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},                 {".gif", "image/gif"},
      {".webp", "image/webp"},                 {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},           {".pdf", "application/pdf"},
      {".woff", "font/woff"},                  {".woff2", "font/woff2"},
      {".csv", "text/csv; charset=utf-8"},     {".gz", "application/gzip"},
  }};
  for (const auto& [ext, type] : types)
    if (iends_with(filename, ext)) return type;
  return "application/octet-stream";
}

file_server::file_server(const std::filesystem::path& root, std::string mount) : mount_(std::move(mount)) {
  std::error_code ec;
  root_ = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(root_, ec)) {
    throw std::runtime_error("not a directory: " + root.string());
  }
}

response file_server::serve(const request& req, std::string_view rel) const {
  const auto decoded = percent_decode(rel);
  if (!decoded || decoded->find('\0') != std::string::npos) return error(http::status::bad_request, "bad path");
  std::filesystem::path path = root_;
  std::string_view rest = *decoded;
  const bool trailing_slash = !decoded->empty() && decoded->back() == '/';
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto seg = rest.substr(0, slash);
    if (!seg.empty()) {
      if (seg.front() == '.' || seg.find('\\') != std::string_view::npos) {
        return error(http::status::not_found, "not found");  // "..", hidden files, Windows separators
      }
      path /= std::string(seg);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (!decoded->empty() && !trailing_slash) {
      // The normalised path (empty segments dropped), never the raw one: "//host.example" must
      // not become the protocol-relative "Location: //host.example/".
      std::string location = mount_;
      std::string_view raw = rel;
      while (!raw.empty()) {
        const auto slash = raw.find('/');
        if (const auto seg = raw.substr(0, slash); !seg.empty()) {
          location.append(seg);
          location += '/';
        }
        if (slash == std::string_view::npos) break;
        raw.remove_prefix(slash + 1);
      }
      auto res = error(http::status::moved_permanently, "moved");
      res.set(http::field::location, location);
      return res;
    }
    path /= "index.html";
  } else if (trailing_slash) {  // "/index.html/": a file is not a directory
    return error(http::status::not_found, "not found");
  }
  // Symlinks may point anywhere: what is served must really be inside the root.
  const auto real = std::filesystem::canonical(path, ec);
  if (ec || !within(root_, real)) return error(http::status::not_found, "not found");
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return error(http::status::not_found, "not found");

  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec));
  const std::string last_modified = http_date(st.st_mtim.tv_sec);
  auto not_modified = [&] {
    empty_response res(http::status::not_modified, 11);
    res.set(http::field::etag, etag);
    res.set(http::field::last_modified, last_modified);
    return res;
  };
  const auto field = [&req](http::field f) -> std::optional<std::string_view> {
    const auto it = req.find(f);
    if (it == req.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  };
  // Preconditions in RFC 9110 13.2.2's order: If-Match, else If-Unmodified-Since (412); then
  // If-None-Match, else If-Modified-Since (304); then Range, unless If-Range says it is stale.
  auto precondition_failed = [&] {
    auto res = error(http::status::precondition_failed, "precondition failed");
    res.set(http::field::etag, etag);
    res.set(http::field::last_modified, last_modified);
    return res;
  };
  if (const auto im = field(http::field::if_match)) {
    if (!etag_matches(*im, etag, true)) return precondition_failed();
  } else if (const auto ius = field(http::field::if_unmodified_since)) {
    const auto since = parse_http_date(*ius);
    if (since && st.st_mtim.tv_sec > *since) return precondition_failed();
  }
  if (const auto inm = field(http::field::if_none_match)) {
    if (etag_matches(*inm, etag)) return not_modified();
  } else if (const auto ims = field(http::field::if_modified_since)) {
    const auto since = parse_http_date(*ims);
    if (since && st.st_mtim.tv_sec <= *since) return not_modified();
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::optional<byte_range> range;
  if (const auto r = field(http::field::range)) {
    const auto if_range = field(http::field::if_range);
    const bool current = !if_range || (if_range->front() == '"' ? *if_range == etag : *if_range == last_modified);
    if (current) {
      range = parse_range(*r, size);
      if (range && range->unsatisfiable) {
        auto res = error(http::status::range_not_satisfiable, "range not satisfiable");
        res.set(http::field::content_range, "bytes */" + std::to_string(size));
        return res;
      }
    }
  }
  if (range && range->length <= max_range_bytes) {
    std::string slice(static_cast<std::size_t>(range->length), '\0');
    std::FILE* f = std::fopen(real.c_str(), "rb");
    const bool read = f && std::fseek(f, static_cast<long>(range->first), SEEK_SET) == 0 &&
                      std::fread(slice.data(), 1, slice.size(), f) == slice.size();
    if (f) std::fclose(f);
    if (read) {
      auto res = text(http::status::partial_content, std::move(slice), mime_type(real.filename().string()));
      res.set(http::field::content_range, "bytes " + std::to_string(range->first) + "-" +
                                              std::to_string(range->first + range->length - 1) + "/" +
                                              std::to_string(size));
      res.set(http::field::accept_ranges, "bytes");
      res.set(http::field::etag, etag);
      res.set(http::field::last_modified, last_modified);
      res.set(http::field::cache_control, "no-cache");
      return res;
    }
  }

  boost::beast::error_code bec;
  http::file_body::value_type body;
  body.open(real.c_str(), boost::beast::file_mode::scan, bec);
  if (bec) return error(http::status::not_found, "not found");
  file_response res;
  res.result(http::status::ok);
  res.version(11);
  res.body() = std::move(body);
  res.set(http::field::content_type, mime_type(real.filename().string()));
  res.set(http::field::etag, etag);
  res.set(http::field::last_modified, last_modified);
  res.set(http::field::cache_control, "no-cache");
  res.set(http::field::accept_ranges, "bytes");
  return res;
}

}  // namespace serve
