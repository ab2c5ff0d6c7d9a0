#include <serve/static_files.hpp>

#include <serve/http_date.hpp>
#include <serve/router.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace serve {

namespace {

bool iends_with(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char ext, char c) { return std::tolower(static_cast<unsigned char>(c)) == ext; });
}

/// Does the If-None-Match list contain `etag` (weak comparison) or "*"?
bool etag_matches(std::string_view header, std::string_view etag) {
  auto strip_weak = [](std::string_view t) { return t.rfind("W/", 0) == 0 ? t.substr(2) : t; };
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*" || strip_weak(item) == strip_weak(etag)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
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
  if (auto inm = req.find(http::field::if_none_match); inm != req.end()) {
    if (etag_matches(std::string_view(inm->value().data(), inm->value().size()), etag)) return not_modified();
  } else if (auto ims = req.find(http::field::if_modified_since); ims != req.end()) {
    const auto since = parse_http_date(std::string_view(ims->value().data(), ims->value().size()));
    if (since && st.st_mtim.tv_sec <= *since) return not_modified();
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
  return res;
}

}  // namespace serve
