#include <serve/stats.hpp>

#include <boost/json/array.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>

namespace serve {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;
}

std::size_t stats::bucket_of(std::uint64_t us) noexcept {
  if (us < 16) return static_cast<std::size_t>(us);
  const int msb = std::bit_width(us) - 1;  // >= 4
  const auto sub = static_cast<std::size_t>((us >> (msb - 4)) & 15);
  return std::min<std::size_t>(static_cast<std::size_t>(msb - 3) * 16 + sub, buckets - 1);
}

std::uint64_t stats::bucket_upper_us(std::size_t bucket) noexcept {
  if (bucket < 16) return bucket;
  const auto msb = bucket / 16 + 3;
  const auto sub = bucket % 16;
  return ((16 + sub + 1) << (msb - 4)) - 1;
}

stats::stats(std::size_t shards) : shards_(std::make_unique<per_shard[]>(std::max<std::size_t>(shards, 1))), n_(std::max<std::size_t>(shards, 1)) {}

void stats::request_done(std::size_t shard, unsigned status, corio::duration latency) noexcept {
  auto& s = shards_[shard % n_];
  s.requests.fetch_add(1, relaxed);
  s.by_class[std::min<unsigned>(status / 100, 5)].fetch_add(1, relaxed);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  s.histogram[bucket_of(us < 0 ? 0 : static_cast<std::uint64_t>(us))].fetch_add(1, relaxed);
}

void stats::connection_opened(std::size_t shard) noexcept {
  auto& s = shards_[shard % n_];
  s.connections_total.fetch_add(1, relaxed);
  s.active_connections.fetch_add(1, relaxed);
}

void stats::connection_closed(std::size_t shard) noexcept { shards_[shard % n_].active_connections.fetch_sub(1, relaxed); }

stats::snapshot stats::take() const {
  snapshot out;
  for (std::size_t i = 0; i < n_; ++i) {
    const auto& s = shards_[i];
    out.requests += s.requests.load(relaxed);
    out.connections_total += s.connections_total.load(relaxed);
    out.connections_by_shard.push_back(s.connections_total.load(relaxed));
    out.active_connections += s.active_connections.load(relaxed);
    for (std::size_t c = 0; c < out.by_class.size(); ++c) out.by_class[c] += s.by_class[c].load(relaxed);
    for (std::size_t b = 0; b < buckets; ++b) out.histogram[b] += s.histogram[b].load(relaxed);
  }
  return out;
}

double stats::snapshot::percentile_us(double p) const {
  std::uint64_t total = 0;
  for (auto c : histogram) total += c;
  if (total == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::max(1.0, p * static_cast<double>(total) + 0.5));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < histogram.size(); ++b) {
    seen += histogram[b];
    if (seen >= rank) return static_cast<double>(bucket_upper_us(b));
  }
  return static_cast<double>(bucket_upper_us(histogram.size() - 1));
}

stats::snapshot stats::snapshot::since(const snapshot& earlier) const {
  snapshot d = *this;
  d.requests -= std::min(d.requests, earlier.requests);
  d.connections_total -= std::min(d.connections_total, earlier.connections_total);
  for (std::size_t k = 0; k < d.connections_by_shard.size() && k < earlier.connections_by_shard.size(); ++k) {
    d.connections_by_shard[k] -= std::min(d.connections_by_shard[k], earlier.connections_by_shard[k]);
  }
  for (std::size_t c = 0; c < d.by_class.size(); ++c) d.by_class[c] -= std::min(d.by_class[c], earlier.by_class[c]);
  for (std::size_t b = 0; b < d.histogram.size(); ++b) d.histogram[b] -= std::min(d.histogram[b], earlier.histogram[b]);
  return d;
}

boost::json::object stats::snapshot::to_json() const {
  boost::json::object o;
  o["requests"] = requests;
  o["connections_total"] = connections_total;
  o["active_connections"] = active_connections;
  boost::json::array per_shard;
  for (auto c : connections_by_shard) per_shard.push_back(c);
  o["connections_by_shard"] = std::move(per_shard);
  boost::json::object classes;
  for (std::size_t c = 1; c < by_class.size(); ++c) classes[std::to_string(c) + "xx"] = by_class[c];
  o["responses"] = std::move(classes);
  o["aborted"] = by_class[0];  // responses cut off after they started
  boost::json::object lat;
  lat["p50_us"] = std::llround(percentile_us(0.50));
  lat["p90_us"] = std::llround(percentile_us(0.90));
  lat["p99_us"] = std::llround(percentile_us(0.99));
  lat["p999_us"] = std::llround(percentile_us(0.999));
  o["latency"] = std::move(lat);
  return o;
}

}  // namespace serve
