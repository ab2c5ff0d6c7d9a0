// corio/detail/context_service.hpp — the per-execution-context services Corio looks up on hot
// paths (the task registry on every spawn, the deadline queue on every timeout), with the last one
// cached per thread. Internal.
//
// asio::use_service takes the context's service-registry lock and walks its list; the cache skips
// that when the same context is asked again. A Service bumps its `generation` when it is destroyed,
// so a new context at a dead one's address is never mistaken for it.
// Thread safety: any thread (the cache is per thread; the generation is atomic).
#pragma once

#include <corio/config.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include <atomic>
#include <cstdint>

namespace corio::detail {

/// Service requirement: `static inline std::atomic<std::uint64_t> generation`, incremented (release)
/// by its destructor.
template <typename Service>
Service& context_service(const executor& ex) {
  struct cached {
    asio::execution_context* ctx = nullptr;
    Service* service = nullptr;
    std::uint64_t generation = 0;
  };
  thread_local cached cache;
  auto& ctx = asio::query(ex, asio::execution::context);
  const auto gen = Service::generation.load(std::memory_order_acquire);
  if (cache.ctx == &ctx && cache.generation == gen) return *cache.service;
  auto& s = asio::use_service<Service>(ctx);
  cache = {&ctx, &s, gen};
  return s;
}

}  // namespace corio::detail
