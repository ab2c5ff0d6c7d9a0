// serve/app.hpp — what every shard of one corio-serve shares: settings, routes, counters, the
// loggers, and the hooks through which an endpoint's own state (the chat room, say: it is made and
// owned where its endpoint is registered) learns the shards, adds its figures to /api/stats and
// runs a task beside the server.
//
// Cancellation: not applicable.  Exceptions: construction may throw std::bad_alloc.
// Thread safety: routes() and the hooks are filled before serving and only read afterwards;
// counters(), the loggers, add_figures()'s figures and draining() are safe from any shard.
#pragma once

#include <serve/config.hpp>
#include <serve/router.hpp>
#include <serve/stats.hpp>

#include <corio/config.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace boost::json {
class object;
}

namespace spdlog {
class logger;
}

namespace serve {


/// One line of the access log.
struct access_entry {
  const boost::asio::ip::tcp::endpoint& remote;
  std::string_view method;
  std::string_view target;
  unsigned version;
  unsigned status;
  std::uint64_t bytes;
  corio::duration took;
  std::string_view referer = {};     // (the combined format's)
  std::string_view user_agent = {};
};

class app {
public:
  /// `log` gets the server's own messages (null: spdlog's default logger); `access` the access
  /// log (null: off).
  app(config cfg, std::shared_ptr<spdlog::logger> log = nullptr, std::shared_ptr<spdlog::logger> access = nullptr);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  [[nodiscard]] const config& cfg() const noexcept { return cfg_; }
  [[nodiscard]] const limits& lim() const noexcept { return cfg_.lim; }
  [[nodiscard]] router& routes() noexcept { return routes_; }
  [[nodiscard]] const router& routes() const noexcept { return routes_; }
  [[nodiscard]] stats& counters() noexcept { return stats_; }
  [[nodiscard]] spdlog::logger& log() const noexcept { return *log_; }

  /// The executors of the shards (index = shard number); set by the server before serving.
  void set_shards(std::vector<corio::executor> shards);
  [[nodiscard]] const std::vector<corio::executor>& shards() const noexcept { return shards_; }

  void log_access(const access_entry& e) const;
  [[nodiscard]] bool access_log_enabled() const noexcept { return access_ != nullptr; }
  /// The access log (null when off).
  [[nodiscard]] const std::shared_ptr<spdlog::logger>& access_log() const noexcept { return access_; }

  /// Set once graceful shutdown has begun.
  [[nodiscard]] bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }
  void set_draining() noexcept { draining_.store(true, std::memory_order_relaxed); }

  // Hooks for an endpoint's state (call from register_endpoints, before serving):
  /// `f` is told the shards' executors when the server sets them.
  void on_shards(std::function<void(const std::vector<corio::executor>&)> f) { shard_hooks_.push_back(std::move(f)); }
  /// `f` adds its figures to /api/stats's (and /api/events') object; called on any shard.
  void add_figures(std::function<void(boost::json::object&)> f) { figures_.push_back(std::move(f)); }
  /// `f()` runs beside the server, on shard 0, from before the first connection until the server
  /// stops (then it is cancelled); it should not end before.
  void add_background(std::function<corio::awaitable<void>()> f) { background_.push_back(std::move(f)); }
  void fill_figures(boost::json::object& o) const;
  /// The background tasks, together; never ends by itself (cancel it).
  [[nodiscard]] corio::awaitable<void> run_background() const;

  /// Live Corio tasks in this process (every shard).
  [[nodiscard]] static std::size_t live_tasks();

private:
  config cfg_;
  router routes_;
  stats stats_;
  std::vector<std::function<void(const std::vector<corio::executor>&)>> shard_hooks_;
  std::vector<std::function<void(boost::json::object&)>> figures_;
  std::vector<std::function<corio::awaitable<void>()>> background_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<spdlog::logger> access_;
  std::vector<corio::executor> shards_;
  std::atomic<bool> draining_{false};
};

}  // namespace serve
