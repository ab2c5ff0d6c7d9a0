#include <serve/stats.hpp>

#include <boost/json/array.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>

namespace serve {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;

double percentile_of(const std::vector<std::uint64_t>& histogram, double p) {
  std::uint64_t total = 0;
  for (auto c : histogram) total += c;
  if (total == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::max(1.0, p * static_cast<double>(total) + 0.5));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < histogram.size(); ++b) {
    seen += histogram[b];
    if (seen >= rank) return static_cast<double>(stats::bucket_upper_us(b));
  }
  return static_cast<double>(stats::bucket_upper_us(histogram.size() - 1));
}
}  // namespace

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

void stats::set_routes(std::vector<std::string> names) {
  names.emplace_back("(no route)");
  route_names_ = std::move(names);
  routes_ = std::make_unique<per_route[]>(n_ * route_names_.size());
}

void stats::request_done(std::size_t shard, unsigned status, corio::duration latency, std::size_t route) noexcept {
  auto& s = shards_[shard % n_];
  s.requests.fetch_add(1, relaxed);
  s.by_class[std::min<unsigned>(status / 100, 5)].fetch_add(1, relaxed);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  const std::size_t bucket = bucket_of(us < 0 ? 0 : static_cast<std::uint64_t>(us));
  s.histogram[bucket].fetch_add(1, relaxed);
  if (route_names_.empty()) return;
  const std::size_t k = route < route_names_.size() - 1 ? route : route_names_.size() - 1;
  auto& r = routes_[(shard % n_) * route_names_.size() + k];
  r.requests.fetch_add(1, relaxed);
  if (status >= 400 && status < 500) r.client_errors.fetch_add(1, relaxed);
  if (status >= 500 || status == 0) r.server_errors.fetch_add(1, relaxed);
  r.histogram[bucket].fetch_add(1, relaxed);
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
  out.routes.resize(route_names_.size());
  for (std::size_t k = 0; k < route_names_.size(); ++k) {
    auto& o = out.routes[k];
    o.name = route_names_[k];
    for (std::size_t i = 0; i < n_; ++i) {
      const auto& r = routes_[i * route_names_.size() + k];
      o.requests += r.requests.load(relaxed);
      o.client_errors += r.client_errors.load(relaxed);
      o.server_errors += r.server_errors.load(relaxed);
      for (std::size_t b = 0; b < buckets; ++b) o.histogram[b] += r.histogram[b].load(relaxed);
    }
  }
  return out;
}

double stats::snapshot::percentile_us(double p) const { return percentile_of(histogram, p); }

double stats::route_snapshot::percentile_us(double p) const { return percentile_of(histogram, p); }

stats::snapshot stats::snapshot::since(const snapshot& earlier) const {
  snapshot d = *this;
  d.requests -= std::min(d.requests, earlier.requests);
  d.connections_total -= std::min(d.connections_total, earlier.connections_total);
  for (std::size_t k = 0; k < d.connections_by_shard.size() && k < earlier.connections_by_shard.size(); ++k) {
    d.connections_by_shard[k] -= std::min(d.connections_by_shard[k], earlier.connections_by_shard[k]);
  }
  for (std::size_t c = 0; c < d.by_class.size(); ++c) d.by_class[c] -= std::min(d.by_class[c], earlier.by_class[c]);
  for (std::size_t b = 0; b < d.histogram.size(); ++b) d.histogram[b] -= std::min(d.histogram[b], earlier.histogram[b]);
  for (std::size_t k = 0; k < d.routes.size() && k < earlier.routes.size(); ++k) {
    auto& r = d.routes[k];
    const auto& e = earlier.routes[k];
    r.requests -= std::min(r.requests, e.requests);
    r.client_errors -= std::min(r.client_errors, e.client_errors);
    r.server_errors -= std::min(r.server_errors, e.server_errors);
    for (std::size_t b = 0; b < r.histogram.size(); ++b) r.histogram[b] -= std::min(r.histogram[b], e.histogram[b]);
  }
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
  boost::json::array served;
  for (const auto& r : routes) {
    if (r.requests == 0) continue;
    boost::json::object x;
    x["route"] = r.name;
    x["requests"] = r.requests;
    x["client_errors"] = r.client_errors;
    x["server_errors"] = r.server_errors;
    x["p50_us"] = std::llround(r.percentile_us(0.50));
    x["p99_us"] = std::llround(r.percentile_us(0.99));
    served.push_back(std::move(x));
  }
  o["routes"] = std::move(served);  // those with requests
  return o;
}

}  // namespace serve
