// serve/stats.hpp — request counters and a latency histogram, per shard, summed on demand.
//
// Each shard writes only its own counters (relaxed atomics, no contention); take() sums them.
// Per route (set_routes, before serving) the same again: requests, client errors (4xx), server
// errors (5xx and responses cut off), and a latency histogram; requests that matched no route
// are counted under "(no route)".
// Latencies go into a log-linear histogram (16 buckets per power of two, microseconds), so
// percentiles are exact to about 6 %. `since()` turns two snapshots into a window (the dashboard's
// requests/s and p99 over the last second).
//
// Cancellation: not applicable.  Exceptions: none (take(): std::bad_alloc).
// Thread safety: every member is safe from any thread.
#pragma once

#include <corio/config.hpp>

#include <boost/json/object.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace serve {

class stats {
public:
  static constexpr std::size_t buckets = 16 * 38;  // up to 2^41 µs (25 days)

  /// One route's counts (a window of them after since()).
  struct route_snapshot {
    std::string name;  // "METHOD /pattern"
    std::uint64_t requests = 0;
    std::uint64_t client_errors = 0;  // 4xx
    std::uint64_t server_errors = 0;  // 5xx, and responses cut off after they started
    std::vector<std::uint64_t> histogram = std::vector<std::uint64_t>(buckets);
    [[nodiscard]] double percentile_us(double p) const;
  };

  struct snapshot {
    std::uint64_t requests = 0;
    std::uint64_t connections_total = 0;
    std::int64_t active_connections = 0;
    std::array<std::uint64_t, 6> by_class{};  // [1] = 1xx ... [5] = 5xx; [0]: cut off (below)
    std::vector<std::uint64_t> histogram = std::vector<std::uint64_t>(buckets);
    std::vector<std::uint64_t> connections_by_shard;  // connections_total, per shard
    std::vector<route_snapshot> routes;               // set_routes()'s order, then "(no route)"

    /// The latency (µs) at or below which fraction `p` (0..1) of the requests fell; 0 if none.
    [[nodiscard]] double percentile_us(double p) const;
    /// Counts that happened after `earlier` (active_connections stays as is).
    [[nodiscard]] snapshot since(const snapshot& earlier) const;
    [[nodiscard]] boost::json::object to_json() const;
  };

  static constexpr std::size_t no_route = static_cast<std::size_t>(-1);

  explicit stats(std::size_t shards = 1);

  /// The routes counted one by one (index = position), before serving; not thread-safe.
  void set_routes(std::vector<std::string> names);

  /// A request answered; `status` 0: its response was cut off after it started (the client
  /// got an incomplete one), counted as "aborted", not in a status class. `route`: its index in
  /// set_routes()'s list, or no_route.
  void request_done(std::size_t shard, unsigned status, corio::duration latency,
                    std::size_t route = no_route) noexcept;
  void connection_opened(std::size_t shard) noexcept;
  void connection_closed(std::size_t shard) noexcept;

  [[nodiscard]] snapshot take() const;

  /// Histogram bucket of a latency in µs, and the largest latency that bucket holds.
  [[nodiscard]] static std::size_t bucket_of(std::uint64_t us) noexcept;
  [[nodiscard]] static std::uint64_t bucket_upper_us(std::size_t bucket) noexcept;

private:
  struct alignas(64) per_shard {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections_total{0};
    std::atomic<std::int64_t> active_connections{0};
    std::array<std::atomic<std::uint64_t>, 6> by_class{};
    std::array<std::atomic<std::uint64_t>, buckets> histogram{};
  };
  struct alignas(64) per_route {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> client_errors{0};
    std::atomic<std::uint64_t> server_errors{0};
    std::array<std::atomic<std::uint64_t>, buckets> histogram{};
  };
  std::unique_ptr<per_shard[]> shards_;
  std::size_t n_;
  std::vector<std::string> route_names_;          // and "(no route)" last
  std::unique_ptr<per_route[]> routes_;           // shard-major: [shard * route_names_.size() + route]
};

}  // namespace serve
