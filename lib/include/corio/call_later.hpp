// corio/call_later.hpp — asyncio's loop.call_later / loop.call_at: a callback run after a delay or
// at a time, owned by a scope and cancellable.
//
//   co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
//     auto reminder = corio::call_later(g, 5s, [&] { log("still working"); });
//     co_await work();
//     reminder.cancel();  // done in time: the reminder never runs (asyncio's TimerHandle.cancel())
//   });
//
// `call_later(group, delay, fn)` spawns into `group` (a corio::task_group or corio::supervisor) a
// child that waits `delay` on Corio's clock (virtual time in tests), then calls `fn()`; when fn
// returns a corio::awaitable, that is awaited too. `call_at(group, time_point, fn)` waits until
// that time on corio::clock. Both return the child's corio::task<void>: `cancel()` it, or
// `co_await t.wait()` for it. Unlike asyncio's loop-level callbacks, the callback is owned: the
// group does not end before it has run or been cancelled (cancel what is not needed any more).
//
// Cancellation: cancelled before its time, fn never runs; once fn runs, cancellation reaches the
// awaitable it returned, like any task. Cancelling the group cancels it.
// Exceptions: fn's exception fails the child as any child's does (in a task_group: the group is
// cancelled and the error is part of its exception_group); std::logic_error when the group is
// shutting down or finished (as spawn).
// Thread safety: as the group's spawn: executor-affine.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace corio {

namespace detail {

template <typename T>
inline constexpr bool is_corio_awaitable_v = false;
template <typename T>
inline constexpr bool is_corio_awaitable_v<awaitable<T>> = true;

template <typename F>
awaitable<void> call_when(clock::time_point at, F fn) {
  co_await corio::sleep_until(at);
  if constexpr (is_corio_awaitable_v<std::invoke_result_t<F&>>) {
    co_await std::invoke(fn);
  } else {
    (void)std::invoke(fn);
  }
}

}  // namespace detail

/// Runs `fn()` (awaiting it if it returns a corio::awaitable) at `at`, as a child of `group`.
template <typename Group, typename F>
  requires std::is_invocable_v<F&>
task<void> call_at(Group& group, clock::time_point at, F fn, std::string name = "call_at") {
  return group.spawn(detail::call_when(at, std::move(fn)), std::move(name));
}

/// Runs `fn()` (awaiting it if it returns a corio::awaitable) after `delay`, as a child of `group`.
template <typename Group, typename F>
  requires std::is_invocable_v<F&>
task<void> call_later(Group& group, duration delay, F fn, std::string name = "call_later") {
  return call_at(group, clock::now() + delay, std::move(fn), std::move(name));
}

}  // namespace corio
