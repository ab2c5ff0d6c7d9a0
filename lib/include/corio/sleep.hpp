// corio/sleep.hpp — asyncio.sleep and sleep(0).
//
// `sleep(d)` / `sleep_until(tp)` suspend the calling coroutine for a while on Corio's clock
// (virtual time under corio::testing). `yield()` lets every other ready handler run first
// (asyncio.sleep(0)); it is a plain Asio operation — `co_await corio::yield()` — costing exactly
// one post.
//
// Cancellation: all three are cancellable; a cancelled sleep throws operation_aborted at once. A
// cancellation requested while the coroutine is queued to resume from yield() or sleep(0) (or
// any sleep whose time has come) surfaces there too.
// Exceptions: only cancellation.
// Thread safety: each call is independent; safe from any coroutine.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/yield.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>

namespace corio {

namespace detail {
/// Compiled once, in lib/src/sleep.cpp.
awaitable<void> sleep_until(clock::time_point tp, clock::time_point now);
}  // namespace detail

/// Suspends until `tp` on corio::clock.
[[nodiscard]] inline awaitable<void> sleep_until(clock::time_point tp) {
  return detail::sleep_until(tp, clock::now());
}

/// Suspends for `d` (zero or negative: still a scheduling point, like yield()).
[[nodiscard]] inline awaitable<void> sleep(duration d) {
  const auto now = clock::now();
  return detail::sleep_until(now + d, now);
}

/// Lets other ready work run, then resumes (asyncio.sleep(0)); a cancellation requested meanwhile
/// surfaces here (operation_aborted). Returns an Asio deferred operation (a post to the awaiting
/// coroutine's executor), not an awaitable: no coroutine frame per yield. As a completion-token
/// operation its signature is void(error_code).
[[nodiscard]] inline auto yield() {
  return asio::async_initiate<const asio::deferred_t&, void(boost::system::error_code)>(detail::yield_initiation{},
                                                                                        asio::deferred);
}

}  // namespace corio
