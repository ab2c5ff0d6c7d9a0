#include <corio/stream.hpp>

#include <corio/cancellation.hpp>
#include <corio/detail/resolve.hpp>
#include <corio/event.hpp>
#include <corio/log.hpp>
#include <corio/race.hpp>
#include <corio/semaphore.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <sstream>
#include <utility>

namespace corio {

namespace {

std::string host_port(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string to_string(const tcp::endpoint& ep) {
  std::ostringstream s;
  s << ep;
  return s.str();
}

}  // namespace

limit_overrun_error::limit_overrun_error(std::size_t max, std::size_t buffered)
    : std::runtime_error("corio: no delimiter within the limit of " + std::to_string(max) + " bytes (" +
                         std::to_string(buffered) + " bytes buffered)"),
      max_(max),
      buffered_(buffered) {}

incomplete_read_error::incomplete_read_error(std::string partial, std::size_t expected)
    : std::runtime_error("corio: end of stream after " + std::to_string(partial.size()) + " bytes" +
                         (expected ? " of " + std::to_string(expected) + " expected" : " without the delimiter")),
      partial_(std::move(partial)),
      expected_(expected) {}

connect_error::connect_error(const std::string& what, std::string host, std::uint16_t port,
                             boost::system::error_code ec)
    : std::runtime_error(what), host_(std::move(host)), port_(port), ec_(ec) {}

// tcp_stream

tcp_stream::tcp_stream(tcp::socket socket) : socket_(std::move(socket)) {}

awaitable<std::string> tcp_stream::read_some(std::size_t max) { return buf_.read_some(socket_, max); }

awaitable<std::string> tcp_stream::read_exactly(std::size_t n) { return buf_.read_exactly(socket_, n); }

awaitable<std::string> tcp_stream::read_until(std::string delim, std::size_t max) {
  return buf_.read_until(socket_, std::move(delim), max);
}

awaitable<std::string> tcp_stream::read_line(std::size_t max) { return buf_.read_until(socket_, "\n", max); }

awaitable<void> tcp_stream::write(std::string_view data) {
  co_await asio::async_write(socket_, asio::buffer(data), asio::deferred);
}

void tcp_stream::shutdown_write() { socket_.shutdown(tcp::socket::shutdown_send); }

void tcp_stream::close() noexcept {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

// open_tcp

std::vector<tcp::endpoint> happy_eyeballs_order(std::vector<tcp::endpoint> endpoints) {
  if (endpoints.empty()) return endpoints;
  const bool first_v6 = endpoints.front().address().is_v6();
  std::deque<tcp::endpoint> same, other;
  for (auto& e : endpoints) (e.address().is_v6() == first_v6 ? same : other).push_back(e);
  std::vector<tcp::endpoint> out;
  out.reserve(endpoints.size());
  while (!same.empty() || !other.empty()) {
    if (!same.empty()) out.push_back(same.front()), same.pop_front();
    if (!other.empty()) out.push_back(other.front()), other.pop_front();
  }
  return out;
}

namespace {

awaitable<std::vector<tcp::endpoint>> resolve(const std::string& host, std::uint16_t port) {
  detail::resolved r = co_await detail::resolve(host, port, "resolve " + host);
  if (r.ec || r.endpoints.empty()) {
    throw resolve_error("corio::open_tcp: cannot resolve " + host_port(host, port) + ": " +
                            (r.ec ? r.ec.message() : "no addresses"),
                        host, port, r.ec ? r.ec : asio::error::host_not_found);
  }
  co_return happy_eyeballs_order(std::move(r.endpoints));
}

// RFC 8305 §5 on a task_group: attempt i starts when attempt i-1 failed or after the delay,
// whichever comes first (a race); the first connected socket cancels the group.
awaitable<tcp::socket> happy_eyeballs(const std::vector<tcp::endpoint>& eps, duration delay, const std::string& host,
                                      std::uint16_t port) {
  std::optional<tcp::socket> winner;
  std::vector<boost::system::error_code> errors(eps.size());
  std::deque<event> failed(eps.size());
  co_await task_group::run([&](task_group& g) -> awaitable<void> {
    for (std::size_t i = 0; i < eps.size(); ++i) {
      g.spawn([&, i]() -> awaitable<void> {
        tcp::socket s(co_await asio::this_coro::executor);
        auto [ec] = co_await s.async_connect(eps[i], asio::as_tuple(asio::deferred));
        if (ec == asio::error::operation_aborted) co_return;  // a sibling won, or the caller gave up
        if (ec) {
          errors[i] = ec;
          failed[i].set();
          co_return;
        }
        if (!winner) {
          winner.emplace(std::move(s));
          g.cancel();
        }
      });
      if (i + 1 < eps.size()) co_await race(sleep(delay), failed[i].wait());
    }
  });
  if (winner) co_return std::move(*winner);
  // (Cancelled from outside, task_group::run has thrown.) No winner: every attempt failed.
  const bool all_refused = std::all_of(errors.begin(), errors.end(), [](const auto& ec) {
    return ec == asio::error::connection_refused;
  });
  std::string tried;
  for (const auto& e : eps) tried += (tried.empty() ? "" : ", ") + to_string(e);
  const auto ec = errors.back();
  const std::string what = "corio::open_tcp: cannot connect to " + host_port(host, port) + ": " + ec.message() +
                           " (tried " + tried + ")";
  if (all_refused) throw connection_refused_error(what, host, port, ec);
  throw connect_error(what, host, port, ec);
}

awaitable<tcp_stream> connect_within(const connect_options& opts, const std::string& host, std::uint16_t port,
                                     std::function<awaitable<std::vector<tcp::endpoint>>()> endpoints) {
  auto body = [&]() -> awaitable<tcp_stream> {
    const auto eps = co_await endpoints();
    if (eps.empty()) {
      throw connect_error("corio::open_tcp: no address to connect to", host, port, asio::error::host_not_found);
    }
    tcp::socket connected = co_await happy_eyeballs(eps, opts.happy_eyeballs_delay, host, port);
    co_return tcp_stream(std::move(connected));
  };
  if (!opts.timeout) co_return co_await body();
  try {
    co_return co_await with_timeout(*opts.timeout, body);
  } catch (const timeout_error&) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*opts.timeout).count();
    throw connect_timeout_error("corio::open_tcp: connecting to " + host_port(host, port) + " timed out after " +
                                    std::to_string(ms) + " ms",
                                host, port, asio::error::timed_out);
  }
}

}  // namespace

awaitable<tcp_stream> open_tcp(std::string host, std::uint16_t port, connect_options opts) {
  std::function<awaitable<std::vector<tcp::endpoint>>()> endpoints = [&]() { return resolve(host, port); };
  co_return co_await connect_within(opts, host, port, std::move(endpoints));
}

awaitable<tcp_stream> open_tcp(std::vector<tcp::endpoint> endpoints, connect_options opts) {
  const std::string host = endpoints.empty() ? std::string() : endpoints.front().address().to_string();
  const std::uint16_t port = endpoints.empty() ? 0 : endpoints.front().port();
  std::function<awaitable<std::vector<tcp::endpoint>>()> given = [&]() -> awaitable<std::vector<tcp::endpoint>> {
    co_return endpoints;
  };
  co_return co_await connect_within(opts, host, port, std::move(given));
}

// serve_tcp

tcp_listener::tcp_listener(executor ex, const tcp::endpoint& endpoint, serve_options opts)
    : acceptor_(std::move(ex)), opts_(opts) {
  acceptor_.open(endpoint.protocol());
  if (opts_.reuse_address) acceptor_.set_option(tcp::acceptor::reuse_address(true));
  if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(opts_.backlog);
}

namespace {

awaitable<void> serve_connection(tcp::socket s, const connection_handler& handler,
                                 std::optional<semaphore::guard> /*slot, held until the end*/) {
  boost::system::error_code ec;
  const auto peer = s.remote_endpoint(ec);
  try {
    tcp_stream stream(std::move(s));
    co_await handler(std::move(stream));
  } catch (...) {
    if (is_cancellation(std::current_exception())) throw;
    std::string why = "unknown exception";
    try {
      throw;
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
    }
    logger()->warn("corio::serve_tcp: the handler of the connection from {} failed: {}",
                   ec ? std::string("?") : to_string(peer), why);
  }
}

bool transient_accept_error(const boost::system::error_code& ec) {
  return ec == asio::error::connection_aborted || ec == asio::error::no_descriptors ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

}  // namespace

awaitable<void> tcp_listener::serve(connection_handler handler) {
  std::optional<semaphore> slots;
  if (opts_.max_connections > 0) slots.emplace(opts_.max_connections);
  co_await task_group::run([&](task_group& g) -> awaitable<void> {
    for (;;) {
      std::optional<semaphore::guard> slot;
      if (slots) slot = co_await slots->acquire();
      auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::deferred));
      if (ec == asio::error::operation_aborted) throw_cancelled();
      if (ec) {
        if (!transient_accept_error(ec)) throw boost::system::system_error(ec, "corio::serve_tcp: accept");
        // Out of descriptors or memory: accepting again at once would spin; let connections end.
        logger()->warn("corio::serve_tcp: accept failed ({}), retrying in 100 ms", ec.message());
        co_await sleep(std::chrono::milliseconds(100));
        continue;
      }
      g.spawn(serve_connection(std::move(s), handler, std::move(slot)), "connection");
    }
  });
}

awaitable<void> serve_tcp(tcp::endpoint endpoint, connection_handler handler, serve_options opts) {
  tcp_listener l(co_await asio::this_coro::executor, endpoint, opts);
  co_await l.serve(std::move(handler));
}

awaitable<void> serve_tcp(tcp::endpoint endpoint, connection_handler handler, serve_options opts,
                          start_handle<tcp::endpoint> started) {
  tcp_listener l(co_await asio::this_coro::executor, endpoint, opts);
  started.started(l.local_endpoint());
  co_await l.serve(std::move(handler));
}

}  // namespace corio
