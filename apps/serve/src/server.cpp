#include <serve/server.hpp>

#include <serve/access_log.hpp>
#include <serve/connection.hpp>
#include <serve/endpoints.hpp>

#include <corio/cancellation.hpp>
#include <corio/gather.hpp>
#include <corio/race.hpp>
#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/with.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <atomic>
#include <optional>
#include <csignal>
#include <cstddef>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace serve {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// SO_REUSEPORT as an Asio socket option (Asio offers none): what acceptor::set_option needs.
class reuse_port {
public:
  explicit reuse_port(bool on) noexcept : value_(on ? 1 : 0) {}
  template <typename Protocol>
  int level(const Protocol&) const noexcept {
    return SOL_SOCKET;
  }
  template <typename Protocol>
  int name(const Protocol&) const noexcept {
    return SO_REUSEPORT;
  }
  template <typename Protocol>
  const void* data(const Protocol&) const noexcept {
    return &value_;
  }
  template <typename Protocol>
  std::size_t size(const Protocol&) const noexcept {
    return sizeof(value_);
  }

private:
  int value_;
};

std::atomic<std::uint64_t> connection_ids{0};

corio::awaitable<void> serve_connection(shard& sh, tcp::socket sock, std::optional<corio::semaphore::guard> permit,
                                        corio::semaphore* permits, std::uint64_t id) {
  // A connection handed over by another shard's listener waits here for a slot of this shard.
  if (!permit) permit.emplace(co_await permits->acquire());
  connection c(sh, std::move(sock), id);
  co_await c.run();
}

corio::awaitable<void> nothing() { co_return; }

std::string endpoint_text(const tcp::endpoint& ep) {
  std::ostringstream out;
  out << ep;
  return out.str();
}

}  // namespace

// --- shard --------------------------------------------------------------------------------------

shard::shard(app& a, std::size_t index, corio::executor ex)
    : app_(a),
      index_(index),
      ex_(std::move(ex)),
      permits_((a.lim().max_connections + a.cfg().threads - 1) / std::max(1u, a.cfg().threads)) {}

shard::~shard() = default;

std::list<connection*>::iterator shard::attach(connection* c) { return connections_.insert(connections_.end(), c); }

void shard::detach(std::list<connection*>::iterator it) noexcept { connections_.erase(it); }

void shard::spawn_connection(tcp::socket sock, std::optional<corio::semaphore::guard> permit) {
  boost::system::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  const auto peer = sock.remote_endpoint(ec);
  if (!group_ || draining_) return;  // the socket closes here
  try {
    const std::uint64_t id = ++connection_ids;
    auto conn = serve_connection(*this, std::move(sock), std::move(permit), &permits_, id);
    if (app_.access_log_enabled()) {
      // The access log names each request from the connection task's context. (Only with the
      // log on: a task with a context costs ~1,900 instructions more per request, about 2 %.)
      group_->spawn(std::move(conn), "conn " + endpoint_text(peer),
                    corio::context().with(current_request, std::make_shared<request_ids>(request_ids{id, 0})));
    } else {
      group_->spawn(std::move(conn), "conn " + endpoint_text(peer));
    }
  } catch (const std::logic_error&) {
    // The group is shutting down (its drain deadline passed): the connection is simply closed.
  }
}

void shard::adopt(tcp::socket sock) {
  // The listener may hand over a connection before this shard's run() has started.
  if (!group_ && !draining_) {
    early_.push_back(std::move(sock));
    return;
  }
  spawn_connection(std::move(sock), std::nullopt);
}

corio::awaitable<void> shard::accept_loop(tcp::acceptor& acc, std::vector<shard*> targets) {
  std::size_t next = 0;
  for (;;) {
    shard* target = targets.empty() ? this : targets[next++ % targets.size()];
    std::optional<corio::semaphore::guard> permit;
    // --max-connections: wait for a slot before accepting, so excess clients wait in the backlog.
    if (target == this) permit.emplace(co_await permits_.acquire());
    auto [ec, sock] = co_await acc.async_accept(target->get_executor(), asio::as_tuple(asio::deferred));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acc.is_open()) co_return;
      // EMFILE, ENFILE, ENOBUFS...: keep serving the connections we have, try again shortly.
      app_.log().warn("accept on {}: {}", endpoint_text(acc.local_endpoint(ec)), ec.message());
      co_await corio::sleep(100ms);
      continue;
    }
    if (target == this) {
      spawn_connection(std::move(sock), std::move(permit));
    } else {
      asio::post(target->get_executor(), [target, s = std::move(sock)]() mutable { target->adopt(std::move(s)); });
    }
  }
}

corio::awaitable<void> shard::run(std::optional<tcp::acceptor> acceptor, std::vector<shard*> targets) {
  stopping_.emplace();
  drain_.emplace(ex_, [this] {
    if (group_) group_->cancel();  // the drain deadline: cancel what is still running
  });
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    group_ = &g;
    for (auto& sock : early_) spawn_connection(std::move(sock), std::nullopt);
    early_.clear();
    if (acceptor) {
      acceptor_ = &*acceptor;
      accept_task_ = g.spawn(accept_loop(*acceptor, std::move(targets)), "accept " + std::to_string(index_));
    }
    if (draining_) {  // shutdown() came before we started
      draining_ = false;
      begin_shutdown();
    }
    co_await stopping_->wait();
  };
  std::exception_ptr failure;
  try {
    co_await corio::task_group::run(body);
  } catch (...) {
    failure = std::current_exception();
  }
  group_ = nullptr;
  acceptor_ = nullptr;
  drain_.reset();
  if (failure) std::rethrow_exception(failure);
}

void shard::begin_shutdown() {
  if (draining_) return;
  draining_ = true;
  app_.set_draining();
  if (!group_) return;  // run() has not started: it calls us again
  if (accept_task_.valid()) accept_task_.cancel();
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);  // free the port now
  }
  // Closing an idle connection only schedules its end, so the list does not change under us.
  for (connection* c : connections_) c->on_server_shutdown();
  drain_->reschedule_after(app_.lim().drain_timeout);
  stopping_->set();
}

// --- server -------------------------------------------------------------------------------------

server::server(app& a, std::vector<corio::executor> shards) : app_(a), executors_(std::move(shards)) {
  if (executors_.empty()) throw std::invalid_argument("serve::server: no executors");
}

server::~server() = default;

tcp::endpoint server::listen() {
  const auto& cfg = app_.cfg();
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(cfg.host == "localhost" ? "127.0.0.1" : cfg.host, ec);
  if (ec) throw std::runtime_error("--host must be an IP address, not '" + cfg.host + "'");
  tcp::endpoint ep(addr, cfg.port);
  const std::string where = cfg.host + ":" + std::to_string(cfg.port);

  app_.set_shards(executors_);
  for (std::size_t k = 0; k < executors_.size(); ++k) shards_.push_back(std::make_unique<shard>(app_, k, executors_[k]));

  const bool per_shard = executors_.size() > 1 && cfg.acceptor == acceptor_mode::reuseport;
  acceptors_.resize(executors_.size());
  for (std::size_t k = 0; k < (per_shard ? executors_.size() : 1); ++k) {
    tcp::acceptor acc(executors_[k]);
    auto check = [&](const char* what) {
      if (ec) throw std::runtime_error(std::string("cannot listen on ") + where + ": " + what + ": " + ec.message());
    };
    acc.open(ep.protocol(), ec);
    check("socket");
    acc.set_option(tcp::acceptor::reuse_address(true), ec);
    check("SO_REUSEADDR");
    if (per_shard) {
      acc.set_option(reuse_port(true), ec);
      check("SO_REUSEPORT");
    }
    acc.bind(ep, ec);
    check("bind");
    acc.listen(asio::socket_base::max_listen_connections, ec);
    check("listen");
    if (k == 0) ep = acc.local_endpoint();  // the real port when --port 0: the other shards share it
    acceptors_[k].emplace(std::move(acc));
  }
  return ep;
}

corio::awaitable<void> server::run() {
  if (shards_.empty()) listen();
  std::vector<shard*> targets;
  if (executors_.size() > 1 && app_.cfg().acceptor == acceptor_mode::single) {
    for (auto& s : shards_) targets.push_back(s.get());
  }
  std::vector<corio::task<void>> tasks;
  for (std::size_t k = 0; k < shards_.size(); ++k) {
    tasks.push_back(corio::spawn(executors_[k],
                                 shards_[k]->run(std::move(acceptors_[k]), k == 0 ? targets : std::vector<shard*>{}),
                                 "shard " + std::to_string(k)));
  }
  std::vector<corio::awaitable<void>> waits;
  for (auto& t : tasks) waits.push_back(t.wait());
  // Cancelled (SIGINT/SIGTERM) or a shard failed: the shards are stopped and awaited either way.
  auto stop_all = [&] { return stop_and_wait(tasks); };
  co_await corio::finally(corio::gather(std::move(waits)), stop_all);
}

void server::shutdown() {
  for (auto& s : shards_) {
    asio::dispatch(s->get_executor(), [sh = s.get()] { sh->begin_shutdown(); });
  }
}

corio::awaitable<void> server::stop_and_wait(std::vector<corio::task<void>> tasks) {
  shutdown();
  for (auto& t : tasks) {
    try {
      co_await t.wait();
    } catch (const std::exception& e) {
      if (!corio::is_cancellation(e)) app_.log().error("{}: {}", t.name(), e.what());
    }
  }
  // A hand-off posted by the single listener may still be queued on another shard: let each
  // shard's queue run past it before the shards go away.
  for (std::size_t k = 1; k < executors_.size(); ++k) {
    co_await corio::spawn(executors_[k], nothing(), "barrier").wait();
  }
}

corio::awaitable<int> run_server(config cfg, std::shared_ptr<spdlog::logger> log,
                                 std::shared_ptr<spdlog::logger> access) {
  app a(std::move(cfg), std::move(log), std::move(access));
  register_endpoints(a);
  std::vector<corio::executor> executors = corio::shards();
  if (executors.empty()) executors.push_back(co_await asio::this_coro::executor);
  server srv(a, executors);
  const auto ep = srv.listen();
  boost::asio::signal_set hup(co_await boost::asio::this_coro::executor, SIGHUP);  // (before the announcement)
  std::cout << "listening on " << ep << std::endl;  // tests and scripts read the port from here
  a.log().info("corio-serve listening on {} with {} shard(s){}", endpoint_text(ep), executors.size(),
               executors.size() > 1
                   ? (a.cfg().acceptor == acceptor_mode::reuseport ? ", SO_REUSEPORT" : ", one listener")
                   : "");
  // The endpoints' background tasks (the chat relay with --redis) run until the server has drained
  // (a member that leaves during the drain is still announced everywhere), then are cancelled.
  auto background = corio::spawn(co_await boost::asio::this_coro::executor, a.run_background(), "background");
  auto stop_background = [&]() -> corio::awaitable<void> {
    background.cancel();
    try {
      co_await background.wait();
    } catch (const std::exception& e) {
      if (!corio::is_cancellation(e)) a.log().error("background task: {}", e.what());
    }
  };
  try {
    (void)co_await corio::finally(corio::race(srv.run(), keep_access_log(a.access_log(), a.log(), hup)),
                                  stop_background);
  } catch (const std::exception& e) {
    if (!corio::is_cancellation(e)) throw;
  }
  a.log().info("corio-serve stopped after {} requests", a.counters().take().requests);
  co_return 0;
}

}  // namespace serve
