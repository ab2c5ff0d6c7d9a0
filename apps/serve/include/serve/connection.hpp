// serve/connection.hpp — one HTTP/1.1 connection: a Corio task that reads requests, runs their
// handlers and writes the responses, in order (keep-alive and pipelining).
//
// Every limit is enforced by ONE corio::watchdog per connection. Each phase of the request loop
// only stores a new deadline into it (a plain store, no timer operation on the hot path):
//   idle       waiting for the first byte of the next request      limits.idle_timeout
//              (an idle connection waits in run() alone, reading into a 256-byte buffer: no
//              parser, no request frames — about 2.7 KB in all instead of 6 KB); a new
//              connection's first request                          limits.header_timeout
//   head       first byte seen, head incomplete                     limits.header_timeout
//   body       reading the body: all of it within                   limits.body_timeout
//              and never a longer wait for more than                limits.body_read_timeout
//              (buffered or streamed to the handler alike)
//   handling   an async handler runs                                limits.request_timeout → 504
//   writing    writing a response                                   limits.write_timeout
//   streaming  a stream handler (WebSocket, SSE, echo) sets its own deadlines
// Expiry in `handling` cancels only the handler (its task group) and the client gets 504; in every
// other phase it closes the socket, which ends whatever the connection is waiting on.
//
// A rejected request (request_parser) gets its 4xx/5xx and `Connection: close`; then the socket is
// shut down for sending and what the client still sends is read and discarded for a moment
// (lingering close), so that the client sees the response instead of a reset.
//
// Graceful shutdown (shard::begin_shutdown): idle connections are closed at once; a connection in
// the middle of a request finishes it and answers with `Connection: close`; stream handlers get
// their on_shutdown() callback. Whatever is left at the drain deadline is cancelled.
//
// Cancellation: run() ends at its next suspension point, closing the socket; it never throws.
// Exceptions: none escape run(): handler errors become 500, I/O errors end the connection.
// Thread safety: a connection lives on its shard's executor.
#pragma once

#include <serve/request_parser.hpp>
#include <serve/response.hpp>
#include <serve/router.hpp>

#include <corio/config.hpp>
#include <corio/deadline.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>

namespace serve {

class app;
class connection;

/// All a connection asks of the shard that runs it (shard, in serve/server.hpp, is one): the app,
/// the shard's number (for the per-shard counters), whether it is shutting down already, and its
/// registration in the shard's list of connections (for graceful shutdown), taken at the start and
/// given back at the end.
class connection_host {
public:
  [[nodiscard]] virtual app& owner() noexcept = 0;
  [[nodiscard]] virtual std::size_t index() const noexcept = 0;
  [[nodiscard]] virtual bool draining() const noexcept = 0;
  virtual std::list<connection*>::iterator attach(connection* c) = 0;
  virtual void detach(std::list<connection*>::iterator it) noexcept = 0;

protected:
  ~connection_host() = default;
};

/// The stream a stream handler gets (serve/handler.hpp), and the connection's I/O underneath:
/// the buffer, the watchdog, the phases.
class connection_io : public stream {
public:
  [[nodiscard]] boost::asio::ip::tcp::socket& socket() noexcept final { return socket_; }
  [[nodiscard]] const limits& lim() const noexcept final { return lim_; }
  [[nodiscard]] corio::awaitable<std::optional<std::string>> read_body() final;
  [[nodiscard]] corio::awaitable<void> write(std::string_view bytes) final;
  [[nodiscard]] corio::awaitable<void> send(response res, bool keep_alive) final;
  void deadline_after(corio::duration d) final { dog_.reschedule_after(d); }
  void no_deadline() noexcept final { dog_.disarm(); }
  void on_shutdown(std::function<void()> f) final { shutdown_hook_ = std::move(f); }
  [[nodiscard]] bool shutting_down() const noexcept final;
  void keep_alive(bool on) noexcept final { keep_alive_ = on; }
  void set_status(unsigned status) noexcept final { status_ = status; }
  [[nodiscard]] bool response_started() const noexcept final { return bytes_written_ > 0; }

  ~connection_io() override;

protected:
  connection_io(boost::asio::ip::tcp::socket sock, const limits& lim);
  /// The watchdog's deadline passed.
  virtual void expired() = 0;

  enum class phase : std::uint8_t { idle, head, body, handling, writing, streaming, lingering };

  /// Reads more into buffer_; 0 on end of stream, error, or a full buffer (see buffer_full_).
  corio::awaitable<std::size_t> read_some();
  /// Feeds buffered bytes to the parser and reads until `done(parser)`; false when the connection
  /// ended or the parser failed.
  corio::awaitable<bool> read_until_body_done(request_parser& p);
  /// Before a read of the body: the phase, and the deadline (the whole body's or this read's).
  void await_body();
  corio::awaitable<bool> send_continue(request_parser& p);
  /// Adds Server, Date, Content-Length and Connection, turns a HEAD answer into a header-only
  /// one, and writes it; false if the connection failed.
  corio::awaitable<bool> write_message(response& res, const request& req, bool keep_alive);
  /// write_message's two halves: the headers (and the write phase's deadline), then the write.
  void prepare_message(response& res, const request& req, bool keep_alive);
  corio::awaitable<bool> write_prepared(response& res);
  void close_socket() noexcept;

  boost::asio::ip::tcp::socket socket_;
  const limits& lim_;
  boost::beast::flat_buffer buffer_;
  std::size_t buffer_limit_;
  corio::watchdog dog_;
  request_parser* parser_ = nullptr;  // the current request's
  std::function<void()> shutdown_hook_;
  std::uint64_t bytes_written_ = 0;  // of the current response
  unsigned status_ = 0;
  bool cut_off_ = false;  // a stream handler's response ended before it was complete
  phase phase_ = phase::idle;
  bool keep_alive_ = false;
  bool eof_ = false;
  bool buffer_full_ = false;
  bool draining_ = false;
  bool continue_sent_ = false;
  corio::clock::time_point body_deadline_{};  // the whole body's (set when its reading starts)
};

class connection final : public connection_io {
public:
  connection(connection_host& sh, boost::asio::ip::tcp::socket sock, std::uint64_t id);
  ~connection() override;

  /// Serves requests until the client or the server ends the connection. Never throws.
  [[nodiscard]] corio::awaitable<void> run();

  /// Graceful shutdown has begun (called by the shard, on this executor).
  void on_server_shutdown();

private:
  /// One request: head, body, handler, response. False when the connection is to end.
  corio::awaitable<bool> serve_one();
  /// Feeds the buffered bytes to the parser; true once the head is complete.
  bool parse_buffered_head(request_parser& p);
  /// Reads until the head is complete; false when the connection is over (p.failed(): answer it).
  corio::awaitable<bool> read_head(request_parser& p);
  corio::awaitable<response> run_async(const async_handler& h, request_context& ctx);
  corio::awaitable<bool> run_stream(const stream_handler& h, request_context& ctx, request_parser& p);
  /// Answers a rejected request and closes the connection gracefully.
  corio::awaitable<void> reject(request_parser& p, http::status status, std::string_view reason);
  corio::awaitable<void> linger();
  void expired() override;
  void log_request(const request& req, corio::clock::time_point started);

  connection_host& shard_;
  boost::asio::ip::tcp::endpoint remote_;
  std::uint64_t id_;
  std::uint64_t requests_ = 0;
  std::shared_ptr<request_ids> ids_;  // (the task's context's: see handler.hpp)
  void next_request() noexcept {
    ++requests_;
    if (ids_) ids_->request = requests_;
  }
  bool request_logged_ = false;  // the current request's access-log line and counters are done
  std::size_t route_ = static_cast<std::size_t>(-1);  // the current request's (stats::no_route: none)
  std::list<connection*>::iterator registration_;
  corio::task_group* handler_group_ = nullptr;
  bool handler_timed_out_ = false;
};

}  // namespace serve
