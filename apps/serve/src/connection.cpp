#include <serve/connection.hpp>

#include <serve/app.hpp>
#include <serve/http_date.hpp>

#include <corio/cancellation.hpp>
#include <corio/exception_group.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <memory>
#include <span>
#include <utility>

namespace serve {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto as_tuple = asio::as_tuple(asio::deferred);
// What an idle connection reads into: enough for a typical small request in one read (a larger
// head grows the buffer and is read on at once), small enough to keep an idle connection ≤ 3 KiB.
constexpr std::size_t idle_read_bytes = 256;
// After rejecting a request: how long, and how much, to keep reading what the client still sends.
constexpr corio::duration linger_time = 2s;
constexpr std::size_t linger_bytes = 1024 * 1024;

std::string_view view(const boost::beast::flat_buffer& b) {
  return {static_cast<const char*>(b.data().data()), b.data().size()};
}

/// The path part of an origin-form or absolute-form target, without the query.
std::string_view path_of(std::string_view target, std::string_view& query) {
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    const auto authority = target.find("://") + 3;
    const auto slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const auto q = target.find('?');
  query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  return target.substr(0, q);
}

/// A message held in memory (a string or empty body) written as gathered writes: the buffers
/// Beast's serializer produces for it are collected once per round and handed to the socket
/// together (http::async_write walks its nested buffer views again in every write_some).
template <typename Body>
class gathered_writer {
public:
  explicit gathered_writer(http::response<Body>& m) : sr_(m) {}
  [[nodiscard]] bool done() const { return sr_.is_done(); }
  /// The next buffers (up to 16; the rest in the next round) and their size in bytes.
  std::span<const asio::const_buffer> next(boost::system::error_code& ec) {
    count_ = 0;
    bytes_ = 0;
    sr_.next(ec, [this](boost::system::error_code&, const auto& buffers) {
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
        if (count_ == bufs_.size()) break;
        const asio::const_buffer b = *it;
        bufs_[count_++] = b;
        bytes_ += b.size();
      }
    });
    return {bufs_.data(), count_};
  }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  /// After `n` bytes of the buffers from next() were written.
  void consume(std::size_t n) { sr_.consume(n); }

private:
  http::response_serializer<Body> sr_;
  std::array<asio::const_buffer, 16> bufs_;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

/// Writes as much of `w` as the socket (non-blocking) takes now, adding it to `written`. True
/// when the message is done or failed (`ec`); false when the rest must wait (write_rest).
template <typename Body>
bool write_now(tcp::socket& sock, gathered_writer<Body>& w, boost::system::error_code& ec, std::size_t& written) {
  if (!sock.non_blocking()) return false;  // (could not be set: everything waits in write_rest)
  while (!w.done()) {
    const auto buffers = w.next(ec);
    if (ec) return true;
    const std::size_t n = sock.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return false;
    }
    if (ec) return true;
    written += n;
    w.consume(n);
    if (n < w.bytes()) return false;
  }
  return true;
}

/// The rest of `w` after write_now, waiting for the socket. Adds what it wrote to `written`.
template <typename Body>
corio::awaitable<boost::system::error_code> write_rest(tcp::socket& sock, gathered_writer<Body>& w,
                                                      std::size_t& written) {
  boost::system::error_code ec;
  for (;;) {  // (not `while (!w.done())`: the loop form GCC 12 compiles correctly, README)
    if (w.done()) break;
    const auto buffers = w.next(ec);
    if (ec) break;
    auto [wec, n] = co_await asio::async_write(sock, buffers, as_tuple);
    written += n;
    ec = wec;
    if (ec) break;
    w.consume(n);
  }
  co_return ec;
}

/// Writes `m` (a string or empty body): what the socket takes at once without suspending, the
/// rest with write_rest. Adds what it wrote to `written`; true when all of it went.
template <typename Body>
corio::awaitable<bool> write_gathered(tcp::socket& sock, http::response<Body>& m, std::size_t& written) {
  gathered_writer<Body> w(m);
  boost::system::error_code ec;
  if (!write_now(sock, w, ec, written)) ec = co_await write_rest(sock, w, written);
  co_return !ec;
}

}  // namespace

// --- stream -------------------------------------------------------------------------------------

connection_io::connection_io(tcp::socket sock, const limits& lim)
    : socket_(std::move(sock)),
      lim_(lim),
      buffer_limit_(lim.header_bytes + 8 * 1024),
      dog_(socket_.get_executor(), [this] { expired(); }) {
  // Responses are first written without waiting (write_now): a write the socket cannot take at
  // once must return would_block, not block the shard.
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
}

connection_io::~connection_io() = default;

bool connection_io::shutting_down() const noexcept { return draining_; }

void connection_io::close_socket() noexcept {
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

corio::awaitable<std::size_t> connection_io::read_some() {
  buffer_full_ = false;
  const std::size_t size = buffer_.size();
  if (size >= buffer_limit_) {
    buffer_full_ = true;
    co_return 0;
  }
  // Into an empty buffer (the start of a request) a small read: idle_read_bytes, not 16 KiB (whose
  // touched pages cost ~8 KiB of RSS per connection).
  const std::size_t room = std::min<std::size_t>(buffer_limit_ - size, size == 0 ? idle_read_bytes : 16 * 1024);
  auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(room), as_tuple);
  if (ec) {
    eof_ = ec == asio::error::eof;
    co_return 0;
  }
  buffer_.commit(n);
  co_return n;
}

corio::awaitable<bool> connection_io::send_continue(request_parser& p) {
  if (continue_sent_ || !p.expects_continue() || p.is_done()) co_return true;
  continue_sent_ = true;
  static constexpr std::string_view line = "HTTP/1.1 100 Continue\r\n\r\n";
  phase_ = phase::writing;
  dog_.reschedule_after(lim_.write_timeout);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(line.data(), line.size()), as_tuple);
  co_return !ec;
}

corio::awaitable<bool> connection_io::read_until_body_done(request_parser& p) {
  if (p.is_done()) co_return true;
  if (!co_await send_continue(p)) co_return false;
  p.eager(true);
  for (;;) {
    if (buffer_.size() > 0) {
      const auto n = p.feed(view(buffer_));
      buffer_.consume(n);
      if (p.failed()) co_return false;
      if (p.is_done()) co_return true;
      if (n > 0) continue;
    }
    await_body();
    if (co_await read_some() == 0) {
      if (buffer_full_) p.fail(http::status::bad_request, "chunk header or trailer section too long");
      else if (eof_) p.feed_eof();
      co_return false;
    }
  }
}

void connection_io::await_body() {
  phase_ = phase::body;
  const auto now = corio::clock::now();
  if (body_deadline_ == corio::clock::time_point{}) body_deadline_ = now + lim_.body_timeout;
  dog_.reschedule(std::min(body_deadline_, now + lim_.body_read_timeout));
}

corio::awaitable<std::optional<std::string>> connection_io::read_body() {
  request_parser& p = *parser_;
  if (!co_await send_continue(p)) throw boost::system::system_error(asio::error::connection_reset, "100 Continue");
  p.eager(true);
  for (;;) {
    if (auto piece = p.take_body_piece(); !piece.empty()) co_return piece;
    if (p.failed()) throw request_rejected{p.failure_status(), p.failure_reason()};
    if (p.is_done()) co_return std::nullopt;
    if (buffer_.size() > 0) {
      const auto n = p.feed(view(buffer_));
      buffer_.consume(n);
      if (n > 0 || p.failed() || p.is_done()) continue;
    }
    await_body();
    if (co_await read_some() == 0) {
      if (buffer_full_) p.fail(http::status::bad_request, "chunk header or trailer section too long");
      else if (eof_) p.feed_eof();
      if (p.failed()) throw request_rejected{p.failure_status(), p.failure_reason()};
      throw boost::system::system_error(asio::error::connection_reset, "reading the request body");
    }
    phase_ = phase::streaming;
  }
}

corio::awaitable<void> connection_io::write(std::string_view bytes) {
  phase_ = phase::writing;
  dog_.reschedule_after(lim_.write_timeout);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), as_tuple);
  dog_.disarm();
  phase_ = phase::streaming;
  bytes_written_ += n;
  if (ec) throw boost::system::system_error(ec, "write");
}

corio::awaitable<void> connection_io::send(response res, bool keep_alive) {
  keep_alive_ = keep_alive;
  const bool ok = co_await write_message(res, parser_->get(), keep_alive);
  phase_ = phase::streaming;
  if (!ok) throw boost::system::system_error(asio::error::connection_reset, "write");
}

void connection_io::prepare_message(response& res, const request& req, bool keep_alive) {
  auto& h = header_of(res);
  h.version(req.version() == 10 ? 10 : 11);
  h.set(http::field::server, "corio-serve");
  h.set(http::field::date, http_date_now());
  std::visit([keep_alive](auto& m) { m.keep_alive(keep_alive); }, res);
  if (!keep_alive) h.set(http::field::connection, "close");  // HTTP/1.0 too: say it explicitly
  if (auto* s = std::get_if<string_response>(&res)) {
    s->content_length(s->body().size());
  } else if (auto* f = std::get_if<file_response>(&res)) {
    f->content_length(f->body().size());
  }
  if (req.method() == http::verb::head && !std::holds_alternative<empty_response>(res)) {
    const auto size = body_size(res);
    empty_response head(std::move(h));
    head.content_length(size);
    res = std::move(head);
  }
  status_ = header_of(res).result_int();
  phase_ = phase::writing;
  dog_.reschedule_after(lim_.write_timeout);
}

corio::awaitable<bool> connection_io::write_prepared(response& res) {
  boost::system::error_code ec;
  std::size_t n = 0;
  if (auto* s = std::get_if<string_response>(&res)) co_return co_await write_gathered(socket_, *s, bytes_written_);
  if (auto* e = std::get_if<empty_response>(&res)) co_return co_await write_gathered(socket_, *e, bytes_written_);
  std::tie(ec, n) = co_await http::async_write(socket_, std::get<file_response>(res), as_tuple);
  bytes_written_ += n;
  co_return !ec;
}

corio::awaitable<bool> connection_io::write_message(response& res, const request& req, bool keep_alive) {
  prepare_message(res, req, keep_alive);
  co_return co_await write_prepared(res);
}

// --- connection ---------------------------------------------------------------------------------

connection::connection(connection_host& sh, tcp::socket sock, std::uint64_t id)
    : connection_io(std::move(sock), sh.owner().lim()), shard_(sh), id_(id), ids_(current_request.get_or(nullptr)) {
  boost::system::error_code ec;
  remote_ = socket_.remote_endpoint(ec);
  draining_ = sh.draining();
  registration_ = sh.attach(this);
  sh.owner().counters().connection_opened(sh.index());
}

connection::~connection() {
  shard_.detach(registration_);
  shard_.owner().counters().connection_closed(shard_.index());
}

corio::awaitable<void> connection::run() {
  try {
    for (;;) {
      if (buffer_.size() == 0) {
        if (draining_) break;
        // Idle between requests: only this frame, the socket, a small read buffer and the
        // watchdog's entry stay. The request's frames (parser, response) are gone; they are made
        // again when the next request's first bytes arrive.
        phase_ = phase::idle;
        // A new connection that sends nothing holds its slot for the header timeout, not the
        // keep-alive one (it has not asked for anything yet).
        dog_.reschedule_after(requests_ == 0 ? lim_.header_timeout : lim_.idle_timeout);
        // A buffer grown by a large request is given back; the wait reads into a small one. (A
        // readiness wait without a buffer would cost an epoll_ctl per request: Asio re-arms the
        // descriptor for it.)
        if (buffer_.capacity() > idle_read_bytes) buffer_.shrink_to_fit();
        auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(idle_read_bytes), as_tuple);
        if (ec) break;  // end of stream, closed (idle timeout) or cancelled (graceful shutdown)
        buffer_.commit(n);
      }
      const bool more = co_await serve_one();
      parser_ = nullptr;  // it was serve_one's
      if (!more) break;
    }
  } catch (const std::exception& e) {
    // Cancellation (the drain deadline) and I/O failures just end the connection.
    if (!corio::is_cancellation(e)) {
      shard_.owner().log().debug("conn {}: {}", id_, e.what());
    }
  } catch (...) {
    shard_.owner().log().warn("conn {}: unknown exception", id_);
  }
  dog_.disarm();
  close_socket();
}

void connection::on_server_shutdown() {
  draining_ = true;
  if (shutdown_hook_) {
    auto hook = std::exchange(shutdown_hook_, nullptr);
    hook();
    return;
  }
  // Waiting for a request that has not started: stop waiting. Not by closing the socket — a read
  // may already have completed with the next request, its completion still queued; that request
  // is then served (with Connection: close). Cancelling ends only a read still pending.
  if (phase_ == phase::idle && buffer_.size() == 0) {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }
}

void connection::expired() {
  if (phase_ == phase::handling) {
    // Only the handler is cancelled: the connection answers 504 and may carry on.
    if (handler_group_) {
      handler_timed_out_ = true;
      handler_group_->cancel();
    }
    return;
  }
  close_socket();
}

bool connection::parse_buffered_head(request_parser& p) {
  while (buffer_.size() > 0) {
    const auto n = p.feed(view(buffer_));
    buffer_.consume(n);
    if (p.failed() || p.is_header_done() || n == 0) break;
  }
  return !p.failed() && p.is_header_done();
}

corio::awaitable<bool> connection::read_head(request_parser& p) {
  // Not `while (!p.failed()) { if (co_await read_some() == 0) ... }`: GCC 12 -O2 compiled that
  // into a read of an uninitialised value after the resumption (valgrind; a crash in the tests).
  for (;;) {
    if (p.failed()) co_return false;
    const std::size_t n = co_await read_some();
    if (n == 0) {
      if (buffer_full_) {
        p.fail(http::status::request_header_fields_too_large, "request head too large");
      } else if (eof_ && (p.got_some() || buffer_.size() > 0)) {
        p.fail(http::status::bad_request, "the connection ended inside the request head");
      }
      co_return false;
    }
    if (parse_buffered_head(p)) co_return true;
  }
}

corio::awaitable<bool> connection::serve_one() {
  app& a = shard_.owner();
  // The parser (360 bytes) lives on the heap, not in this frame. With many connections this frame
  // is allocated for every request (Asio caches two frames per thread); with the parser inside it
  // was 1,136 bytes: too large for Asio's recycling (≤ 1,020) and for glibc's tcache (≤ 1,032).
  const auto parser = std::make_unique<request_parser>(lim_);
  request_parser& p = *parser;
  parser_ = &p;
  continue_sent_ = false;
  body_deadline_ = {};
  bytes_written_ = 0;
  status_ = 0;
  cut_off_ = false;
  keep_alive_ = false;
  request_logged_ = false;
  route_ = stats::no_route;
  // The fast path — the whole head already read, no body — awaits no nested coroutine.
  // run() has seen the first bytes (or buffered ones): the head is under way, and has
  // limits.header_timeout from now, however slowly its bytes come.
  phase_ = phase::head;
  dog_.reschedule_after(lim_.header_timeout);
  bool head = parse_buffered_head(p);
  if (!head) head = co_await read_head(p);
  if (!head) {
    if (p.failed()) {
      next_request();
      co_await reject(p, p.failure_status(), p.failure_reason());
    }
    co_return false;
  }
  next_request();
  const auto started = corio::clock::now();
  request& req = p.get();
  std::string_view query;
  const std::string_view path = path_of(std::string_view(req.target().data(), req.target().size()), query);
  auto m = a.routes().find(req.method(), path);
  if (m.found) route_ = m.found->index;
  request_context ctx{req, std::move(m.params), path, query, remote_, a};

  if (m.found) {
    if (const auto* h = std::get_if<stream_handler>(&m.found->h)) {
      p.stream_body(true);
      const bool keep = co_await run_stream(*h, ctx, p);
      log_request(req, started);
      co_return keep;
    }
  }
  bool body = p.is_done();
  if (!body) body = co_await read_until_body_done(p);
  if (!body) {
    if (p.failed()) co_await reject(p, p.failure_status(), p.failure_reason());
    co_return false;
  }

  response res;
  if (!m.found) {
    if (req.method() == http::verb::unknown) {
      res = error(http::status::not_implemented, "method not implemented");
    } else if (m.status == http::status::method_not_allowed) {
      res = error(http::status::method_not_allowed, "method not allowed");
      header_of(res).set(http::field::allow, m.allow);
    } else {
      res = error(http::status::not_found, "not found");
    }
  } else if (const auto* sync = std::get_if<sync_handler>(&m.found->h)) {
    try {
      res = (*sync)(ctx);
    } catch (const std::exception& e) {
      a.log().error("conn {}: handler for {} failed: {}", id_, m.found->pattern, e.what());
      res = error(http::status::internal_server_error, "internal server error");
    }
  } else {
    res = co_await run_async(std::get<async_handler>(m.found->h), ctx);
  }

  const bool keep = p.keep_alive() && !draining_;
  prepare_message(res, req, keep);
  bool written = false;
  if (auto* s = std::get_if<string_response>(&res)) {
    // (the common case: written at once, without a coroutine frame or a suspension)
    gathered_writer<http::string_body> w(*s);
    boost::system::error_code ec;
    if (!write_now(socket_, w, ec, bytes_written_)) ec = co_await write_rest(socket_, w, bytes_written_);
    written = !ec;
  } else {
    written = co_await write_prepared(res);
  }
  log_request(req, started);
  co_return written && keep;
}

corio::awaitable<response> connection::run_async(const async_handler& h, request_context& ctx) {
  phase_ = phase::handling;
  handler_timed_out_ = false;
  dog_.reschedule_after(lim_.request_timeout);
  std::optional<response> res;
  std::string failure;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    handler_group_ = &g;
    res.emplace(co_await h(ctx));
  };
  try {
    co_await corio::task_group::run(body);
  } catch (const corio::exception_group& eg) {
    failure = eg.what();
  }
  handler_group_ = nullptr;
  if (!failure.empty()) {
    shard_.owner().log().error("conn {}: handler for {} failed: {}", id_, ctx.path, failure);
    co_return error(http::status::internal_server_error, "internal server error");
  }
  if (!res) {
    if (handler_timed_out_) co_return error(http::status::gateway_timeout, "request timed out");
    co_return error(http::status::internal_server_error, "the handler was cancelled");
  }
  co_return std::move(*res);
}

corio::awaitable<bool> connection::run_stream(const stream_handler& h, request_context& ctx, request_parser& p) {
  phase_ = phase::streaming;
  dog_.disarm();
  std::optional<request_rejected> rejected;
  try {
    co_await h(ctx, *this);
  } catch (request_rejected& r) {
    rejected = std::move(r);
  } catch (const std::exception& e) {
    if (corio::is_cancellation(e)) throw;
    shard_.owner().log().debug("conn {}: {} ended: {}", id_, ctx.path, e.what());
    if (response_started()) cut_off_ = true;
    co_return false;
  }
  shutdown_hook_ = nullptr;
  if (rejected) {
    if (!response_started()) {
      co_await reject(p, rejected->status, rejected->reason);
    } else {  // too late for its status: the response is cut off (the client sees it incomplete)
      shard_.owner().log().debug("conn {}: {}: {} after the response started", id_, ctx.path, rejected->reason);
      cut_off_ = true;
    }
    co_return false;
  }
  co_return keep_alive_ && p.is_done() && !draining_;
}

corio::awaitable<void> connection::reject(request_parser& p, http::status status, std::string_view reason) {
  auto res = response(error(status, reason));
  request& req = p.get();
  const auto started = corio::clock::now();
  if (co_await write_message(res, req, false)) {
    if (req.method_string().empty()) req.method_string("-");
    if (req.target().empty()) req.target("-");
    log_request(req, started);
    co_await linger();
  }
}

corio::awaitable<void> connection::linger() {
  // Closing with unread input makes the kernel send a reset, which can destroy the response
  // before the client reads it: stop sending, then drain what the client still sends, briefly.
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  phase_ = phase::lingering;
  dog_.reschedule_after(linger_time);
  std::size_t discarded = 0;
  while (discarded < linger_bytes) {
    buffer_.clear();
    const auto n = co_await read_some();
    if (n == 0) break;
    discarded += n;
  }
}

void connection::log_request(const request& req, corio::clock::time_point started) {
  // Once per request: a stream handler's rejection is logged by reject(), before its linger.
  if (request_logged_) return;
  request_logged_ = true;
  app& a = shard_.owner();
  const auto took = corio::clock::now() - started;
  a.counters().request_done(shard_.index(), cut_off_ ? 0 : status_, took, route_);
  if (a.access_log_enabled()) {
    const auto referer = req[http::field::referer];
    const auto agent = req[http::field::user_agent];
    a.log_access({remote_, std::string_view(req.method_string().data(), req.method_string().size()),
                  std::string_view(req.target().data(), req.target().size()), req.version(), status_,
                  bytes_written_, took, std::string_view(referer.data(), referer.size()),
                  std::string_view(agent.data(), agent.size())});
  }
}

}  // namespace serve
