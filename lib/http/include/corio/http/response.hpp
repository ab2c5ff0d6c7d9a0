// corio/http/response.hpp — what came back: status, header fields, decoded body, and how it was
// obtained (final URL after redirects, attempts, bytes on the wire).
//
//   auto r = co_await client.get(url);
//   if (r.ok()) use(r.body);                   // any status is a response, not an error
//   r.raise_for_status();                      // ... unless you ask for one (aiohttp's word)
//
// `body` is decoded (gzip, deflate, br, zstd) when the client decompresses; `wire_bytes` counts the body
// as it crossed the network (after de-chunking, before decoding). `headers` holds trailer fields
// of a chunked body too, after the header fields.
//
// Cancellation: not applicable.  Exceptions: raise_for_status() throws corio::http::error
// (errc::http_status) for a status of 400 or more.
// Thread safety: a value type.
#pragma once

#include <corio/config.hpp>
#include <corio/http/fields.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corio::http {

struct response {
  unsigned status = 0;
  std::string reason;
  /// 10 or 11 (HTTP/1.0, HTTP/1.1).
  unsigned version = 11;
  fields headers;
  std::string body;

  /// The URL that produced this response (the request's URL, or the last redirect's target).
  std::string url;
  /// Redirects followed to get here.
  int redirects = 0;
  /// Attempts made (1 + retries used).
  int attempts = 1;
  /// Body bytes received, before decoding.
  std::uint64_t wire_bytes = 0;
  /// Body bytes after decoding: body.size(), unless a request::sink took them.
  std::uint64_t body_bytes = 0;
  /// True if the request went over a kept-alive connection from the pool.
  bool reused_connection = false;
  /// True if the body was cut at the size limit (request::truncate_body).
  bool truncated = false;

  /// 200–299.
  [[nodiscard]] bool ok() const noexcept { return status >= 200 && status < 300; }
  /// The media type without parameters, lower case ("text/html"); empty if none.
  [[nodiscard]] std::string content_type() const;
  /// The Retry-After field as a wait (delta-seconds or an HTTP date, at most a day); empty if
  /// absent or unreadable.
  [[nodiscard]] std::optional<duration> retry_after() const;
  /// Throws corio::http::error (errc::http_status) when status >= 400.
  void raise_for_status() const;
};

}  // namespace corio::http
