#include <corio/redis/client.hpp>

#include <corio/cancellation.hpp>
#include <corio/deadline.hpp>
#include <corio/event.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <utility>

namespace corio::redis {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto as_tuple = asio::as_tuple(asio::deferred);

std::string ms(duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

/// The exception for an error reply to a call.
error error_of(const reply& r) { return reply_error(r.error_message()); }

/// What the calls of one exec/exec_batch wait for: `expected` replies, or an error.
struct slot {
  std::size_t expected = 1;
  std::size_t received = 0;
  std::vector<reply> replies;
  std::exception_ptr failure;
  bool done = false;
  bool abandoned = false;  // the caller has gone (timed out, cancelled): replies are discarded
  corio::event ready;
};

struct shared_stats {
  client_stats s;
};

/// One TCP connection with its pipeline: `pending` holds a slot per call whose replies have not
/// all arrived, in the order of the commands in `out` and on the wire.
struct connection {
  connection(const executor& ex, const parser_limits& limits, duration stall, std::shared_ptr<shared_stats> st)
      : socket(ex),
        parser(limits),
        stall_timeout(stall),
        stats(std::move(st)),
        dog(ex, [this] {
          fail(std::make_exception_ptr(error(
              errc::timeout, "no reply from the server for " + ms(stall_timeout) + " (stall_timeout); connection closed")));
        }) {}
  ~connection() { close_socket(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Queues the commands of `s` for the writer.
  void submit(const std::shared_ptr<slot>& s, const command* cmds, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) cmds[i].encode_to(out);
    s->expected = n;
    if (pending.empty() && stall_timeout > duration::zero()) dog.reschedule_after(stall_timeout);
    pending.push_back(s);
    stats->s.commands += n;
    stats->s.max_pending = std::max<std::uint64_t>(stats->s.max_pending, pending.size());
    wake.set();
  }

  /// A reply for the oldest slot; throws error(errc::protocol) if nobody is waiting for one.
  void deliver(reply r) {
    ++stats->s.replies;
    if (pending.empty()) throw error(errc::protocol, "a reply nobody asked for: " + r.to_string().substr(0, 200));
    slot& s = *pending.front();
    ++s.received;
    if (!s.abandoned) s.replies.push_back(std::move(r));
    if (s.received < s.expected) return;
    std::shared_ptr<slot> done = std::move(pending.front());
    pending.pop_front();
    if (done->abandoned) stats->s.discarded += done->received;
    done->done = true;
    done->ready.set();
  }

  /// Closes the connection and fails every call in flight with `e`. Idempotent.
  void fail(const std::exception_ptr& e) noexcept {
    if (closed) return;
    closed = true;
    dog.disarm();
    close_socket();
    auto failed = std::move(pending);
    pending.clear();
    for (auto& s : failed) {
      stats->s.failed += s->expected - s->received;
      s->failure = e;
      s->done = true;
      s->ready.set();
    }
    wake.set();  // the writer sees `closed` and ends
  }

  void close_socket() noexcept {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  /// After the reader's progress: the stall deadline restarts, or stops when nothing is awaited.
  void progressed() {
    if (stall_timeout <= duration::zero()) return;
    if (pending.empty()) {
      dog.disarm();
    } else {
      dog.reschedule_after(stall_timeout);
    }
  }

  tcp::socket socket;
  resp_parser parser;
  std::string out;    // commands not yet handed to the writer
  corio::event wake;  // `out` has bytes, or the connection closed
  std::deque<std::shared_ptr<slot>> pending;
  bool closed = false;
  duration stall_timeout;
  std::shared_ptr<shared_stats> stats;
  corio::watchdog dog;  // last: silenced first on destruction
};

std::exception_ptr lost(const std::string& why) {
  return std::make_exception_ptr(error(errc::connection, "connection lost: " + why));
}

awaitable<void> read_loop(std::shared_ptr<connection> c) {
  std::vector<char> buf(16 * 1024);
  std::size_t have = 0;
  for (;;) {
    if (c->closed) co_return;
    // A partial line is at most max_line_bytes (the parser refuses longer ones): the buffer stays
    // small; bulk payloads are consumed as they arrive.
    if (have == buf.size()) buf.resize(buf.size() * 2);
    const auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf.data() + have, buf.size() - have), as_tuple);
    if (c->closed) co_return;
    if (ec) {
      c->fail(lost(ec == asio::error::eof ? std::string("closed by the server") : ec.message()));
      co_return;
    }
    have += n;
    std::size_t pos = 0;
    try {
      for (;;) {
        std::optional<reply> r;
        const std::size_t used = c->parser.parse(std::string_view(buf.data() + pos, have - pos), r);
        pos += used;
        if (!r) break;
        c->deliver(std::move(*r));
      }
    } catch (...) {
      c->fail(std::current_exception());  // errc::protocol (or bad_alloc): the stream cannot be trusted
      co_return;
    }
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      have -= pos;
    }
    c->progressed();
  }
}

awaitable<void> write_loop(std::shared_ptr<connection> c) {
  std::string data;
  for (;;) {
    if (c->closed) co_return;
    if (c->out.empty()) {
      c->wake.clear();
      try {
        co_await c->wake.wait();
      } catch (...) {
        // Cancelled: the client is going away.
        c->fail(lost("the client was closed"));
        co_return;
      }
      continue;
    }
    data.clear();
    data.swap(c->out);
    const auto [ec, n] = co_await asio::async_write(c->socket, asio::buffer(data), as_tuple);
    (void)n;
    if (c->closed) co_return;
    if (ec) {
      c->fail(lost("cannot send: " + ec.message()));
      co_return;
    }
  }
}

/// Host name lookup as a task of its own, so that a caller's timeout returns at once while
/// getaddrinfo finishes in the background.
struct lookup_result {
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
};

awaitable<lookup_result> lookup(std::string host, std::uint16_t port) {
  lookup_result out;
  tcp::resolver resolver(co_await asio::this_coro::executor);
  const auto [ec, results] = co_await resolver.async_resolve(host, std::to_string(port), as_tuple);
  out.ec = ec;
  if (!ec) {
    for (const auto& e : results) out.endpoints.push_back(e.endpoint());
  }
  co_return out;
}

awaitable<std::vector<tcp::endpoint>> resolve(const server_address& a) {
  error_code ec;
  const auto addr = asio::ip::make_address(a.host, ec);
  if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(addr, a.port)};
  auto t = corio::spawn(co_await asio::this_coro::executor, lookup(a.host, a.port), "redis dns " + a.host);
  auto r = co_await t.wait();
  if (r.ec || r.endpoints.empty()) {
    throw error(errc::connect, "cannot resolve host '" + a.host + "': " + (r.ec ? r.ec.message() : "no addresses"));
  }
  co_return std::move(r.endpoints);
}

/// What the connecting task ends with (never an exception: nobody may be waiting for it).
struct connect_result {
  std::shared_ptr<connection> conn;
  std::exception_ptr failure;
};

}  // namespace

corio::retry_policy reconnect_attempts(int n) {
  corio::retry_policy p;
  p.max_attempts = n;
  p.initial_delay = std::chrono::milliseconds(100);
  p.multiplier = 2.0;
  p.max_delay = std::chrono::seconds(2);
  p.jitter = 0.2;
  return p;
}

struct client::impl : std::enable_shared_from_this<impl> {
  explicit impl(options o) : opts(std::move(o)), addr(parse_url(opts.url)), stats(std::make_shared<shared_stats>()) {}

  options opts;
  server_address addr;
  std::shared_ptr<shared_stats> stats;
  std::optional<executor> ex;  // of the first call: the connection's tasks run there
  std::shared_ptr<connection> conn;
  corio::task<connect_result> connecting;
  bool shut = false;  // the client was destroyed

  /// One attempt: TCP connection, then AUTH and SELECT through the new connection's pipeline.
  awaitable<std::shared_ptr<connection>> connect_once() {
    auto self = shared_from_this();
    const executor cex = co_await asio::this_coro::executor;
    auto c = std::make_shared<connection>(cex, opts.limits, opts.stall_timeout, stats);
    const std::string where = addr.to_string();
    auto attempt = [&]() -> awaitable<void> {
      const auto eps = co_await resolve(addr);
      const auto [ec, ep] = co_await asio::async_connect(c->socket, eps, as_tuple);
      (void)ep;
      if (ec) throw error(errc::connect, "cannot connect to " + where + ": " + ec.message());
      error_code ignored;
      c->socket.set_option(tcp::no_delay(true), ignored);
      corio::spawn(cex, read_loop(c), "redis reader " + where);
      corio::spawn(cex, write_loop(c), "redis writer " + where);
      std::vector<command> hello;
      if (!addr.password.empty()) {
        command auth("AUTH");
        if (!addr.user.empty()) auth.arg(addr.user);
        auth.arg(addr.password);
        hello.push_back(std::move(auth));
      }
      if (addr.db != 0) hello.push_back(command("SELECT", addr.db));
      if (hello.empty()) co_return;
      auto s = std::make_shared<slot>();
      c->submit(s, hello.data(), hello.size());
      co_await s->ready.wait();
      if (s->failure) std::rethrow_exception(s->failure);
      std::size_t i = 0;
      if (!addr.password.empty()) {
        const reply& r = s->replies[i++];
        if (r.is_error()) throw error(errc::auth, r.error_message());
      }
      if (addr.db != 0) {
        const reply& r = s->replies[i];
        if (r.is_error()) throw error(errc::server, r.error_message() + " (SELECT " + std::to_string(addr.db) + " on connecting)");
      }
    };
    try {
      co_await corio::with_timeout(opts.connect_timeout, attempt);
    } catch (const corio::timeout_error&) {
      c->fail(lost("connection attempt timed out"));
      throw error(errc::connect, "cannot connect to " + where + ": no connection (with AUTH and SELECT) within " +
                                     ms(opts.connect_timeout));
    } catch (const error& e) {
      c->fail(lost("connection attempt failed"));
      if (e.kind() == errc::connection || e.kind() == errc::timeout || e.kind() == errc::protocol) {
        throw error(errc::connect, "cannot connect to " + where + ": " + e.message());
      }
      throw;
    } catch (...) {
      c->fail(lost("connection attempt failed"));
      throw;
    }
    co_return c;
  }

  static awaitable<connect_result> connect_task(std::shared_ptr<impl> self) {
    connect_result out;
    try {
      corio::retry_policy policy = self->opts.reconnect;
      policy.retryable = [](const std::exception_ptr& e) {
        try {
          std::rethrow_exception(e);
        } catch (const error& re) {
          return re.kind() == errc::connect;
        } catch (...) {
          return false;
        }
      };
      auto once = [self]() { return self->connect_once(); };
      out.conn = co_await corio::retry(policy, once);
      if (self->shut) {
        out.conn->fail(lost("the client was closed"));
        out.conn = nullptr;
        throw error(errc::connection, "the client was closed");
      }
      self->conn = out.conn;
      ++self->stats->s.connects;
    } catch (...) {
      out.failure = std::current_exception();
      // Cancelled because the client was destroyed: the calls waiting for it were not cancelled.
      if (self->shut && corio::is_cancellation(out.failure)) {
        out.failure = std::make_exception_ptr(error(errc::connection, "the client was closed"));
      }
    }
    co_return out;
  }

  /// The established connection, connecting first if needed (one attempt at a time, shared).
  awaitable<std::shared_ptr<connection>> connection_for_call() {
    if (conn && !conn->closed) co_return conn;
    if (!connecting.valid() || connecting.done()) {
      connecting = corio::spawn(*ex, connect_task(shared_from_this()), "redis connect " + addr.to_string());
    }
    auto t = connecting;
    auto r = co_await t.wait();
    if (r.failure) std::rethrow_exception(r.failure);
    co_return r.conn;
  }

  /// The commands' round trip, without a timeout.
  awaitable<std::vector<reply>> round_trip(const command* cmds, std::size_t n, bool& sent) {
    auto c = co_await connection_for_call();
    if (c->closed) throw error(errc::connection, "connection lost while connecting");
    auto s = std::make_shared<slot>();
    c->submit(s, cmds, n);
    sent = true;
    struct abandon_guard {
      slot* s;
      ~abandon_guard() {
        if (!s->done) s->abandoned = true;
      }
    } guard{s.get()};
    co_await s->ready.wait();
    if (s->failure) std::rethrow_exception(s->failure);
    co_return std::move(s->replies);
  }

  /// round_trip under the call's timeout.
  awaitable<std::vector<reply>> run(const command* cmds, std::size_t n, const call_options& o) {
    if (!ex) ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < n; ++i) {
      if (cmds[i].empty()) throw std::invalid_argument("corio::redis: an empty command");
    }
    if (n == 0) co_return std::vector<reply>{};
    const duration d = o.timeout.value_or(opts.timeout);
    if (d <= duration::zero()) {
      bool sent = false;
      co_return co_await round_trip(cmds, n, sent);
    }
    bool sent = false;
    auto work = [&]() { return round_trip(cmds, n, sent); };
    std::vector<reply> out;
    try {
      out = co_await corio::with_timeout(d, work);
    } catch (const corio::timeout_error&) {
      throw error(errc::timeout, sent ? "no reply to " + std::string(cmds[0].name()) + " within " + ms(d)
                                      : "not connected within " + ms(d) + " (the call's timeout)");
    }
    co_return out;
  }

  /// EVALSHA, and on NOSCRIPT SCRIPT LOAD + EVALSHA, without a timeout.
  awaitable<reply> eval_steps(const script& s, const command& evalsha) {
    bool sent = false;
    auto first = co_await round_trip(&evalsha, 1, sent);
    if (!is_noscript(first[0])) co_return std::move(first[0]);
    const command load_cmd("SCRIPT", "LOAD", s.source());
    auto loaded = co_await round_trip(&load_cmd, 1, sent);
    if (loaded[0].is_error()) throw error_of(loaded[0]);
    if (!loaded[0].is_string() || loaded[0].as_string() != s.sha1()) {
      throw error(errc::protocol, "SCRIPT LOAD answered " + loaded[0].to_string().substr(0, 100) + ", not the SHA1 " +
                                      s.sha1());
    }
    auto second = co_await round_trip(&evalsha, 1, sent);
    co_return std::move(second[0]);
  }

  void shutdown() noexcept {
    shut = true;
    if (connecting.valid() && !connecting.done()) {
      try {
        connecting.cancel();
      } catch (...) {
      }
    }
    if (conn) conn->fail(lost("the client was closed"));
    conn = nullptr;
  }
};

client::client(options opts) : impl_(std::make_shared<impl>(std::move(opts))) {}

client::client(std::string url) : client([&] {
  options o;
  o.url = std::move(url);
  return o;
}()) {}

client::~client() { impl_->shutdown(); }

awaitable<reply> client::exec(command cmd, call_options o) {
  auto self = impl_;
  auto replies = co_await self->run(&cmd, 1, o);
  if (replies[0].is_error()) throw error_of(replies[0]);
  co_return std::move(replies[0]);
}

awaitable<std::vector<reply>> client::exec_batch(std::vector<command> cmds, call_options o) {
  auto self = impl_;
  co_return co_await self->run(cmds.data(), cmds.size(), o);
}

awaitable<reply> client::eval(script s, std::vector<std::string> keys, std::vector<std::string> args,
                              call_options o) {
  auto self = impl_;
  if (!self->ex) self->ex = co_await asio::this_coro::executor;
  const command evalsha = evalsha_command(s, keys, args);
  const duration d = o.timeout.value_or(self->opts.timeout);
  reply r;
  if (d <= duration::zero()) {
    r = co_await self->eval_steps(s, evalsha);
  } else {
    auto work = [&]() { return self->eval_steps(s, evalsha); };
    try {
      r = co_await corio::with_timeout(d, work);
    } catch (const corio::timeout_error&) {
      throw error(errc::timeout, "no reply to EVALSHA within " + ms(d));
    }
  }
  if (r.is_error()) throw error_of(r);
  co_return r;
}

awaitable<void> client::load(script s, call_options o) {
  auto self = impl_;
  const command load_cmd("SCRIPT", "LOAD", s.source());
  auto replies = co_await self->run(&load_cmd, 1, o);
  if (replies[0].is_error()) throw error_of(replies[0]);
}

awaitable<void> client::wait_connected(duration timeout) {
  auto self = impl_;
  if (!self->ex) self->ex = co_await asio::this_coro::executor;
  std::string last;
  auto attempts = [&]() -> awaitable<void> {
    for (int attempt = 1;; ++attempt) {
      bool failed = false;
      try {
        co_await self->connection_for_call();
      } catch (const error& e) {
        if (e.kind() != errc::connect) throw;
        last = e.message();
        failed = true;
      }
      if (!failed) co_return;
      co_await corio::sleep(self->opts.reconnect.backoff(attempt));
    }
  };
  try {
    co_await corio::with_timeout(timeout, attempts);
  } catch (const corio::timeout_error&) {
    throw error(errc::timeout, "not connected within " + ms(timeout) + (last.empty() ? std::string() : ": " + last));
  }
}

bool client::connected() const noexcept { return impl_->conn && !impl_->conn->closed; }

void client::close() noexcept {
  if (impl_->conn) impl_->conn->fail(lost("closed by the client"));
  impl_->conn = nullptr;
}

const options& client::get_options() const noexcept { return impl_->opts; }
const server_address& client::address() const noexcept { return impl_->addr; }
client_stats client::stats() const noexcept { return impl_->stats->s; }

}  // namespace corio::redis
