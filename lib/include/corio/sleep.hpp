// corio/sleep.hpp — asyncio.sleep and sleep(0).
//
// `sleep(d)` / `sleep_until(tp)` suspend the calling coroutine for a while on Corio's clock
// (virtual time under corio::testing). `yield()` lets every other ready handler run first
// (asyncio.sleep(0)); it is a plain Asio operation — `co_await corio::yield()` — costing exactly
// one post.
//
// Cancellation: all three are cancellable; a cancelled sleep throws operation_aborted at once.
// Exceptions: only cancellation.
// Thread safety: each call is independent; safe from any coroutine.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/detail/timer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

namespace corio {

/// Suspends until `tp` on corio::clock.
[[nodiscard]] inline awaitable<void> sleep_until(clock::time_point tp) {
  detail::timer t(co_await asio::this_coro::executor);
  t.expires_at(tp);
  detail::note_waiting("sleep");
  auto [ec] = co_await t.async_wait(asio::as_tuple(asio::deferred));
  if (ec) throw boost::system::system_error(ec, "corio::sleep");
}

/// Suspends for `d` (zero or negative: still a scheduling point, like yield()).
[[nodiscard]] inline awaitable<void> sleep(duration d) { return sleep_until(clock::now() + d); }

/// Lets other ready work run, then resumes (asyncio.sleep(0)). Returns an Asio deferred operation
/// (a post to the awaiting coroutine's executor), not an awaitable: no coroutine frame per yield.
[[nodiscard]] inline auto yield() { return asio::post(asio::deferred); }

}  // namespace corio
