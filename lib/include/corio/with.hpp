// corio/with.hpp — async cleanup (Python's `async with` / __aexit__, `try: ... finally: await ...`;
// C++ has no async destructor).
//
//   co_await corio::with(connection, [](auto& c) -> corio::awaitable<void> { co_await c.send(x); });
//   co_await corio::finally(serve(conn), [&] { return say_goodbye(conn); });
//
// `finally(body, cleanup)` awaits `body`, then awaits `cleanup()` whatever happened: after
// success, an error or a cancellation. `with(resource, fn)` is `finally(fn(resource),
// resource.aclose())`. The cleanup is shielded (corio::shield), so a cancelled caller still
// cleans up properly; the cancellation is rethrown afterwards.
//
// This is the way to await cleanup in a coroutine that is (or may be) cancelled. Asio refuses
// every `co_await` of a coroutine whose cancellation has been requested, before the awaited
// operation even starts — `co_await corio::shield(x)` included — so a cleanup written in a
// `catch` block after a caught cancellation cannot await anything; `finally` switches that check
// off for the cleanup alone and back on afterwards.
//
// Cancellation: the body is cancellable; the cleanup is not (shielded); the caller's cancellation
// is rethrown after the cleanup.
// Exceptions: the body's error (if the cleanup also fails, both are thrown together as a
// corio::exception_group, body's first); the cleanup's error if only it failed.
// Thread safety: executor-affine; runs on the caller's executor.
#pragma once

#include <corio/config.hpp>
#include <corio/exception_group.hpp>
#include <corio/shield.hpp>

#include <boost/asio/this_coro.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <variant>

namespace corio {

/// Awaits `body`, then `cleanup()` (which returns an awaitable<void>), shielded, whatever happened.
template <typename T, typename Cleanup>
[[nodiscard]] awaitable<T> finally(awaitable<T> body, Cleanup cleanup) {
  std::exception_ptr body_error;
  std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>> value;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
      value.emplace();
    } else {
      value.emplace(co_await std::move(body));
    }
  } catch (...) {
    body_error = std::current_exception();
  }
  // A cancelled coroutine fails at the very co_await of the cleanup (Asio checks before starting
  // any awaited operation), so the check is off while the shielded cleanup runs.
  const bool check = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  std::exception_ptr cleanup_error;
  try {
    co_await shield(std::invoke(cleanup));
  } catch (...) {
    cleanup_error = std::current_exception();
  }
  co_await asio::this_coro::throw_if_cancelled(check);
  if (body_error && cleanup_error) throw exception_group({body_error, cleanup_error});
  if (body_error) std::rethrow_exception(body_error);
  if (cleanup_error) std::rethrow_exception(cleanup_error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*value);
}

/// A coroutine of another executor type is refused with the fix, instead of template errors.
template <typename A, typename Cleanup>
  requires detail::any_foreign_awaitable<A>
awaitable<void> finally(A&&, Cleanup) {
  static_assert(detail::always_false<A>, "corio::finally" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}

template <typename Resource, typename F>
  requires detail::any_foreign_awaitable<std::invoke_result_t<F&, Resource&>>
awaitable<void> with(Resource&, F) {
  static_assert(detail::always_false<F>, "corio::with: the body" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}

template <typename Resource, typename F>
  requires(!detail::any_foreign_awaitable<std::invoke_result_t<F&, Resource&>>)
[[nodiscard]] auto with(Resource& resource, F fn)
    -> awaitable<typename std::invoke_result_t<F&, Resource&>::value_type> {
  // (The body's awaitable is made here, in this coroutine, so that `fn` outlives it.)
  auto close = [&resource] { return resource.aclose(); };
  co_return co_await finally(std::invoke(fn, resource), close);
}

}  // namespace corio
