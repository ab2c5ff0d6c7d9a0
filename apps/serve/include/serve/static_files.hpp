// serve/static_files.hpp — files from a directory: MIME types, ETag + If-None-Match,
// Last-Modified + If-Modified-Since (304), HEAD (by the connection), no path traversal.
//
// The path is percent-decoded and split into segments; "..", NUL bytes, backslashes and hidden
// names (a segment starting with '.') give 404, and so does anything whose real path (symlinks
// resolved) is outside the root. A directory serves its index.html; a directory path without the
// trailing slash is redirected (301) to the one with it, so relative links keep working.
//
// Cancellation: not applicable (files are opened synchronously; the body is read while writing).
// Exceptions: none (failures are responses).
// Thread safety: const after construction: safe from every shard.
#pragma once

#include <serve/request_parser.hpp>
#include <serve/response.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace serve {

class file_server {
public:
  /// Serves `root` (which must be a directory; std::runtime_error otherwise). `mount` is the URL
  /// prefix the files appear under ("/" or "/dashboard/"), for redirects.
  file_server(const std::filesystem::path& root, std::string mount);

  /// Answers a GET or HEAD for `rel` (the raw path below the mount point).
  [[nodiscard]] response serve(const request& req, std::string_view rel) const;

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

private:
  std::filesystem::path root_;  // canonical
  std::string mount_;
};

/// The Content-Type for a file name's extension (application/octet-stream if unknown).
[[nodiscard]] std::string_view mime_type(std::string_view filename);

}  // namespace serve
