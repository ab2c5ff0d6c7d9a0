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
// Two optional observers, owned by the caller, which must keep them alive until the request
// completes:
//   - `trace` is filled as the request runs, also when it fails (curl's getinfo): time spent
//     waiting for the origin's rate limit and a connection slot, when the last response's first
//     byte arrived, the redirect chain, the peer's address.
//   - `sink` receives the body piece by piece as it is decoded instead of response::body (the
//     body is then never held whole: response::body_bytes still counts it). begin() is called for
//     every response whose header arrives (a redirect, or a status that is retried, as well): what
//     was written before it belongs to a response that was not the last.
//
// Cancellation: not applicable (a value).  Exceptions: none of its own.
// Thread safety: a value type; a trace or sink is used from the client's executor only.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/http/fields.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corio::http {

/// What happened on the way to a response (or an error); see request::trace.
struct request_trace {
  /// Waiting for a connection slot, the origin's rate limit and the pacer, over every hop and attempt.
  duration queued{};
  /// When the first byte of the last response received arrived (empty if none did).
  std::optional<clock::time_point> first_byte;
  /// The URLs redirected from, in order, in the last attempt (response::url is where they led).
  std::vector<std::string> redirects;
  /// Attempts started (1 + retries so far; the last may not have finished).
  int attempts = 0;
  /// The peer's IP address for the last request sent ("" if no connection was made); through a
  /// proxy, the proxy's.
  std::string remote_address;
};

/// Receives response bodies as they are decoded; see request::sink.
class body_sink {
public:
  virtual ~body_sink() = default;
  /// A response's header arrived (not an interim 1xx); the body that follows is this response's.
  virtual void begin(unsigned status, const fields& headers) = 0;
  /// The next piece of the decoded body. Must not throw: a sink that cannot keep the bytes
  /// remembers that for its owner.
  virtual void write(std::string_view data) noexcept = 0;
};

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
  /// Filled as the request runs (optional; see above).
  request_trace* trace = nullptr;
  /// Takes the body instead of response::body (optional; see above).
  body_sink* sink = nullptr;
};

/// True for the methods the client may resend after a network error.
[[nodiscard]] bool is_idempotent(std::string_view method) noexcept;

}  // namespace corio::http
