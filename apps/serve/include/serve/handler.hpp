// serve/handler.hpp — what an endpoint's handler sees: its request (request_context), and for a
// stream handler the connection (stream), with helpers for chunked and server-sent-event output
// so that no handler writes HTTP framing by hand.
//
// Three kinds of handler (registered with router::add):
//   sync    response(request_context&)                  cannot suspend: no timeout needed
//   async   awaitable<response>(request_context&)       runs under the request timeout (504)
//   stream  awaitable<void>(request_context&, stream&)  gets the connection after the request head
//                                                       (before the body): WebSocket, SSE, echo
// A new endpoint is a handler in its own file (apps/serve/src/endpoints/), one registration line
// in register_endpoints (endpoints.cpp), and its test.
//
// Cancellation: a stream handler is cancelled at the drain deadline of a graceful shutdown (after
// its on_shutdown callback); an async handler at the request timeout (the client gets 504).
// Exceptions: a handler's exception becomes 500 if no response byte was sent yet, else the
// connection ends (the response is counted as cut off); request_rejected from read_body becomes
// its status. stream's I/O throws boost::system::system_error.
// Thread safety: a handler runs on its connection's shard; stream is not thread-safe.
#pragma once

#include <serve/request_parser.hpp>
#include <serve/response.hpp>

#include <corio/config.hpp>
#include <corio/context.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace serve {

class app;

/// What a handler sees of its request.
/// The connection and request a task works for. Every connection's task carries them in its
/// context (corio/context.hpp), and the tasks it spawns inherit them: code deep in a handler (and
/// the access log) can name the request without having it passed down. `request` advances as the
/// connection reads each request head.
struct request_ids {
  std::uint64_t connection = 0;
  std::uint64_t request = 0;  // the request's number on its connection, from 1 (0: none yet)
};
/// Null outside a connection's task.
inline const corio::context_var<std::shared_ptr<request_ids>> current_request{"serve.request"};

struct request_context {
  request& req;
  std::vector<std::pair<std::string_view, std::string_view>> params;  // from the pattern, raw
  std::string_view path;   // the target without its query, raw
  std::string_view query;  // after '?', raw
  boost::asio::ip::tcp::endpoint remote;
  app& server;

  /// A path parameter (raw); empty if absent.
  [[nodiscard]] std::string_view param(std::string_view name) const;
  /// A query parameter, percent-decoded ('+' is a space); empty optional if absent.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
};

/// Thrown by stream::read_body when the request body is rejected (413, 400...).
struct request_rejected {
  http::status status;
  std::string reason;
};

/// What a stream handler gets: the connection, after the request head.
class stream {
public:
  [[nodiscard]] virtual boost::asio::ip::tcp::socket& socket() noexcept = 0;
  [[nodiscard]] virtual const limits& lim() const noexcept = 0;

  /// The next piece of the request body, or an empty optional at its end. Sends
  /// "100 Continue" first if the client asked for it. Throws request_rejected for a bad or
  /// oversized body (the connection then answers it if nothing was sent yet), and
  /// boost::system::system_error if the connection fails.
  [[nodiscard]] virtual corio::awaitable<std::optional<std::string>> read_body() = 0;

  /// Writes raw bytes; the watchdog allows limits.write_timeout and is disarmed afterwards.
  /// Prefer send() or the helpers below, which frame the response.
  [[nodiscard]] virtual corio::awaitable<void> write(std::string_view bytes) = 0;
  /// Writes a complete response (Server, Date, Content-Length, Connection added).
  [[nodiscard]] virtual corio::awaitable<void> send(response res, bool keep_alive) = 0;

  /// The connection's one deadline: expiry closes the socket (ending every pending operation).
  virtual void deadline_after(corio::duration d) = 0;
  virtual void no_deadline() noexcept = 0;

  /// Called (once, on this executor) when the server begins a graceful shutdown.
  virtual void on_shutdown(std::function<void()> f) = 0;
  [[nodiscard]] virtual bool shutting_down() const noexcept = 0;

  /// Lets the connection serve another request after the stream handler (default: close).
  virtual void keep_alive(bool on) noexcept = 0;
  /// For the access log and the counters: the status the handler answered with.
  virtual void set_status(unsigned status) noexcept = 0;
  [[nodiscard]] virtual bool response_started() const noexcept = 0;

  // Chunked output (HTTP/1.1 clients only: for HTTP/1.0 send the whole response with send()).
  /// Writes the head: `status`, Server, Date, Content-Type, Transfer-Encoding: chunked, then
  /// `extra_headers` (each line ending in CRLF) and, unless `keep_alive`, Connection: close; sets
  /// the status and whether the connection is kept afterwards.
  [[nodiscard]] corio::awaitable<void> begin_chunked(http::status status, std::string_view content_type,
                                                     bool keep_alive, std::string_view extra_headers = {});
  /// One chunk; nothing for empty data (an empty chunk would end the body).
  [[nodiscard]] corio::awaitable<void> write_chunk(std::string_view data);
  /// The last chunk: the response is complete.
  [[nodiscard]] corio::awaitable<void> end_chunked();

  // Server-sent events (text/event-stream, chunked, not cached; the connection closes after).
  [[nodiscard]] corio::awaitable<void> begin_events();
  /// One event: an `event:` line if `event` is not empty, a `data:` line per line of `data`
  /// (CR, LF and CRLF all split lines, as the EventSource parser does), then the blank line.
  [[nodiscard]] corio::awaitable<void> send_event(std::string_view data, std::string_view event = {});

  stream() = default;
  virtual ~stream() = default;
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
};

using sync_handler = std::function<response(request_context&)>;
using async_handler = std::function<corio::awaitable<response>(request_context&)>;
using stream_handler = std::function<corio::awaitable<void>(request_context&, stream&)>;
using handler = std::variant<sync_handler, async_handler, stream_handler>;

/// A chunk of the chunked transfer coding: hex size, CRLF, the data, CRLF (empty data: empty).
[[nodiscard]] std::string chunk(std::string_view data);
/// The text/event-stream form of one event (see stream::send_event).
[[nodiscard]] std::string event_text(std::string_view data, std::string_view event = {});

}  // namespace serve
