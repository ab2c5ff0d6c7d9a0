// serve/server.hpp — corio-serve's shards and their graceful shutdown.
//
//   serve::app a(cfg);
//   serve::register_endpoints(a);
//   serve::server srv(a, executors);          // one executor per shard
//   auto ep = srv.listen();                   // binds now: errors are reported here
//   co_await srv.run();                       // until cancelled or shutdown(); then drains
//
// Each shard runs a corio::task_group on its own executor: an accept loop (unless it only receives
// connections from another shard) and one task per connection, named "conn <peer>". Two ways to
// share the port between shards (config::acceptor): one SO_REUSEPORT listener per shard (the kernel
// spreads connections, no cross-thread hand-off), or one listener on shard 0 that hands accepted
// sockets to the shards round-robin (one extra post per connection). Maximum connections: each
// shard's accept loop takes a semaphore permit before accepting, so excess connections wait in the
// listen backlog (with a single listener: a handed-off connection waits for its shard's permit).
//
// Shutdown (cancelling run()'s caller — SIGINT/SIGTERM under corio::run — or shutdown()): every
// shard stops accepting and closes its listener, ends idle connections (a request already read is
// still answered), lets requests in flight finish (they answer with Connection: close) for up to
// limits.drain_timeout, then cancels the rest. run() returns once every shard has ended; a
// caller's cancellation is rethrown after that.
//
// Cancellation: as above.  Exceptions: listen() throws std::runtime_error with one clear sentence
// (e.g. the address is in use); run() rethrows a shard's unexpected failure after draining others.
// Thread safety: construct, listen and run on shard 0's executor; shutdown() from any thread.
#pragma once

#include <serve/app.hpp>
#include <serve/connection.hpp>

#include <corio/config.hpp>
#include <corio/deadline.hpp>
#include <corio/event.hpp>
#include <corio/semaphore.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <optional>
#include <vector>

namespace serve {

class connection;

class shard final : public connection_host {
public:
  shard(app& a, std::size_t index, corio::executor ex);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  [[nodiscard]] app& owner() noexcept override { return app_; }
  [[nodiscard]] std::size_t index() const noexcept override { return index_; }
  [[nodiscard]] const corio::executor& get_executor() const noexcept { return ex_; }
  [[nodiscard]] bool draining() const noexcept override { return draining_; }

  /// Runs the shard until its shutdown has completed. `acceptor`: its listener, if it has one;
  /// `targets`: with a single listener, the shards to hand connections to (round-robin).
  [[nodiscard]] corio::awaitable<void> run(std::optional<boost::asio::ip::tcp::acceptor> acceptor,
                                           std::vector<shard*> targets);
  /// Begins graceful shutdown. Call on this shard's executor. Idempotent.
  void begin_shutdown();
  /// Starts serving a socket accepted by another shard. Call on this shard's executor.
  void adopt(boost::asio::ip::tcp::socket sock);

  // For connections (connection_host).
  std::list<connection*>::iterator attach(connection* c) override;
  void detach(std::list<connection*>::iterator it) noexcept override;

private:
  corio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acc, std::vector<shard*> targets);
  void spawn_connection(boost::asio::ip::tcp::socket sock, std::optional<corio::semaphore::guard> permit);

  app& app_;
  std::size_t index_;
  corio::executor ex_;
  corio::semaphore permits_;
  std::list<connection*> connections_;
  std::vector<boost::asio::ip::tcp::socket> early_;  // handed over before run() started
  corio::task_group* group_ = nullptr;
  boost::asio::ip::tcp::acceptor* acceptor_ = nullptr;
  corio::task<void> accept_task_;
  std::optional<corio::event> stopping_;
  std::optional<corio::watchdog> drain_;
  bool draining_ = false;
};

class server {
public:
  /// `shards`: one executor per shard (shard 0 first: the caller's).
  server(app& a, std::vector<corio::executor> shards);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens; returns the bound endpoint (the real port when config.port is 0).
  boost::asio::ip::tcp::endpoint listen();
  /// Serves until cancelled or shutdown(), then shuts down gracefully (see the header comment).
  [[nodiscard]] corio::awaitable<void> run();
  /// Begins graceful shutdown. Safe from any thread.
  void shutdown();

private:
  corio::awaitable<void> stop_and_wait(std::vector<corio::task<void>> tasks);

  app& app_;
  std::vector<corio::executor> executors_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::vector<std::optional<boost::asio::ip::tcp::acceptor>> acceptors_;
};

/// corio-serve's main coroutine: builds the app, listens, prints "listening on HOST:PORT" to
/// stdout, serves until SIGINT/SIGTERM (cancellation), drains. Returns the exit status.
[[nodiscard]] corio::awaitable<int> run_server(config cfg, std::shared_ptr<spdlog::logger> log,
                                               std::shared_ptr<spdlog::logger> access);

}  // namespace serve
