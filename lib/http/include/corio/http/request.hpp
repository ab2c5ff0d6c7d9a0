// corio/http/request.hpp — what to send: method, absolute URL, extra header fields, body.
//
//   corio::http::request r;
//   r.method = "POST";
//   r.url = "https://example.com/api";
//   r.headers.set("Content-Type", "application/json");
//   r.body = R"({"a":1})";
//   auto resp = co_await client.send(std::move(r));
//
// The client adds Host, User-Agent, Accept, Accept-Encoding (when decompressing) and
// Content-Length; a field of the same name in `headers` replaces its default. Only HTTP/1.1 is
// spoken. A method is sent as given (upper case by convention); GET, HEAD, PUT, DELETE and
// OPTIONS are idempotent — the client retries those after network errors, others only when the
// request was never sent or the server asked for it (429/503).
//
// Cancellation: not applicable (a value).  Exceptions: none of its own.
// Thread safety: a value type.
#pragma once

#include <corio/config.hpp>
#include <corio/http/fields.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace corio::http {

struct request {
  std::string method = "GET";
  std::string url;
  fields headers;
  std::string body;
  /// Overrides client_options::total_timeout for this request (each attempt).
  std::optional<duration> total_timeout;
  /// Overrides client_options::max_body_bytes for this request (on the wire and decoded).
  std::optional<std::size_t> max_body_bytes;
  /// A body over the limit is cut there and returned (response::truncated), not an error; the
  /// connection is then closed (the rest of the body is not read). For files only a prefix of
  /// which matters (robots.txt).
  bool truncate_body = false;
};

/// True for the methods the client may resend after a network error.
[[nodiscard]] bool is_idempotent(std::string_view method) noexcept;

}  // namespace corio::http
