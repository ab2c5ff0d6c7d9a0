// corio/with.hpp — async cleanup (Python's `async with` / __aexit__; C++ has no async destructor).
//
//   co_await corio::with(connection, [](auto& c) -> corio::awaitable<void> { co_await c.send(x); });
//
// Runs `fn(resource)`, then awaits `resource.aclose()` whatever happened: after success, an error
// or a cancellation. The cleanup is shielded (corio::shield), so a cancelled caller still closes
// the resource properly; the cancellation is rethrown afterwards.
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

#include <functional>
#include <optional>
#include <type_traits>

namespace corio {

template <typename Resource, typename F>
[[nodiscard]] auto with(Resource& resource, F fn)
    -> awaitable<typename std::invoke_result_t<F&, Resource&>::value_type> {
  using R = typename std::invoke_result_t<F&, Resource&>::value_type;
  std::exception_ptr body_error;
  std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>> value;
  try {
    if constexpr (std::is_void_v<R>) {
      co_await std::invoke(fn, resource);
      value.emplace();
    } else {
      value.emplace(co_await std::invoke(fn, resource));
    }
  } catch (...) {
    body_error = std::current_exception();
  }
  // A cancelled caller would fail at the very co_await of the cleanup (level-triggered), so the
  // check is off while the shielded cleanup runs.
  const bool throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  std::exception_ptr close_error;
  try {
    co_await shield(resource.aclose());
  } catch (...) {
    close_error = std::current_exception();
  }
  co_await asio::this_coro::throw_if_cancelled(throws);
  if (body_error && close_error) throw exception_group({body_error, close_error});
  if (body_error) std::rethrow_exception(body_error);
  if (close_error) std::rethrow_exception(close_error);
  if constexpr (!std::is_void_v<R>) co_return std::move(*value);
}

}  // namespace corio
