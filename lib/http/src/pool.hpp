// Internal: the connection pool — per origin a FIFO semaphore of `per_host` permits (a request
// holds one from before it picks a connection until its response is read), the idle kept-alive
// connections (most recently used last), and an optional rate limiter per origin.
//
// Invariant: open connections to an origin = requests holding a permit + idle ones; a new
// connection is made only when no idle one is usable, so an origin never has more than
// `per_host` connections open.
#pragma once

#include "connection.hpp"

#include <corio/rate_limiter.hpp>
#include <corio/semaphore.hpp>

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace corio::http::detail {

class pool {
public:
  pool(std::size_t per_host, duration idle_expiry, double rate_per_host, std::size_t rate_burst);
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// A permit for one request to an origin, and an idle connection if one was usable. A
  /// connection still held when the lease is destroyed is closed: only give_back() pools it.
  struct lease {
    lease() = default;
    lease(lease&&) = default;
    lease& operator=(lease&&) = default;
    ~lease() {
      if (conn) conn->close();
    }
    semaphore::guard permit;
    std::shared_ptr<connection> conn;
    bool reused = false;
  };

  /// Waits for a permit (cancellable).
  [[nodiscard]] awaitable<lease> acquire(const origin& o);
  /// The origin's rate limiter (null without a rate): a request waits for it once it holds its
  /// permit, right before it is written, so that waiting for a permit never saves up slots.
  [[nodiscard]] rate_limiter* rate_for(const origin& o);
  /// Keeps `l.conn` for reuse (after a complete response that allows keep-alive).
  void give_back(lease& l);
  void close_idle() noexcept;

private:
  struct host {
    explicit host(std::size_t n) : permits(n) {}
    semaphore permits;
    std::vector<std::shared_ptr<connection>> idle;
    std::optional<rate_limiter> rate;
  };

  host& host_for(const origin& o);
  void drop_expired(host& h);

  std::size_t per_host_;
  duration idle_expiry_;
  double rate_;
  std::size_t burst_;
  std::unordered_map<origin, std::unique_ptr<host>, origin_hash> hosts_;
};

}  // namespace corio::http::detail
