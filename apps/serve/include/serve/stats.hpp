// serve/stats.hpp — request counters and a latency histogram, per shard, summed on demand.
//
// Each shard writes only its own counters (relaxed atomics, no contention); take() sums them.
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
#include <vector>

namespace serve {

class stats {
public:
  static constexpr std::size_t buckets = 16 * 38;  // up to 2^41 µs (25 days)

  struct snapshot {
    std::uint64_t requests = 0;
    std::uint64_t connections_total = 0;
    std::int64_t active_connections = 0;
    std::array<std::uint64_t, 6> by_class{};  // [1] = 1xx ... [5] = 5xx; [0]: cut off (below)
    std::vector<std::uint64_t> histogram = std::vector<std::uint64_t>(buckets);
    std::vector<std::uint64_t> connections_by_shard;  // connections_total, per shard

    /// The latency (µs) at or below which fraction `p` (0..1) of the requests fell; 0 if none.
    [[nodiscard]] double percentile_us(double p) const;
    /// Counts that happened after `earlier` (active_connections stays as is).
    [[nodiscard]] snapshot since(const snapshot& earlier) const;
    [[nodiscard]] boost::json::object to_json() const;
  };

  explicit stats(std::size_t shards = 1);

  /// A request answered; `status` 0: its response was cut off after it started (the client
  /// got an incomplete one), counted as "aborted", not in a status class.
  void request_done(std::size_t shard, unsigned status, corio::duration latency) noexcept;
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
  std::unique_ptr<per_shard[]> shards_;
  std::size_t n_;
};

}  // namespace serve
