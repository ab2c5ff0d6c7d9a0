// corio/shield.hpp — protect work from the caller's cancellation (asyncio.shield, Trio's shield).
//
//   co_await corio::shield(flush_and_close(conn));   // runs to completion even if we are cancelled
//
// Trio's semantics, not asyncio's: the caller keeps waiting for the shielded work and gets its
// value; the caller's cancellation is not lost either — its next suspension point after shield
// returns fails with operation_aborted (level-triggered). asyncio instead abandons the inner work.
// Use it for short cleanup, not to make a task immortal.
//
// Shield protects work started before the cancellation arrives. In a coroutine whose cancellation
// has already been requested, Asio refuses every `co_await` — that of shield included — before
// the awaited work starts; cleanup that must await even then goes around the work:
// corio::finally / corio::with (corio/with.hpp).
//
// Cancellation: the caller's cancellation does not reach `aw` (aw may still be cancelled by its
// own timeouts or groups).  Exceptions: whatever `aw` throws.
// Thread safety: executor-affine; `aw` runs on the caller's executor.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/scope.hpp>
#include <corio/task.hpp>

namespace corio {

template <typename T>
[[nodiscard]] awaitable<T> shield(awaitable<T> aw) {
  detail::scope sc(co_await asio::this_coro::executor, detail::scope::on_error::keep_going, "shield");
  auto t = sc.spawn(std::move(aw), "shield");
  co_await sc.join(detail::scope::on_outer_cancel::shield);
  co_return t.get();
}

/// A coroutine of another executor type is refused with the fix, instead of template errors.
template <typename A>
  requires detail::any_foreign_awaitable<A>
awaitable<void> shield(A&&) {
  static_assert(detail::always_false<A>, "corio::shield" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}

}  // namespace corio
