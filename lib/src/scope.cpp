// The non-template part of corio/detail/scope.hpp: the join and its wake-up, compiled once.
#include <corio/detail/scope.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

namespace corio::detail {

awaitable<void> scope::join(on_outer_cancel policy) {
  // Leaving join() early would free a scope that children point at, so this wait must not
  // throw at its suspension point even when the coroutine is already cancelled.
  const bool throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  auto cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none) outer_cancelled(policy);
  if (live_ > 0) {
    note_waiting(kind_);
    co_await asio::async_initiate<decltype(asio::deferred), void()>(
        [this, policy](auto handler) {
          store_handler(joiner_, std::move(handler));
          // The slot to use is the stored handler's: any_completion_handler interposes its own.
          auto slot = joiner_.get_cancellation_slot();
          if (slot.is_connected()) {
            slot.assign([this, policy](asio::cancellation_type) { outer_cancelled(policy); });
          }
        },
        asio::deferred);
  }
  state_ = state::closed;
  co_await asio::this_coro::throw_if_cancelled(throws);
}

void scope::wake_joiner() noexcept {
  if (!joiner_) return;
  auto h = std::move(joiner_);
  h.get_cancellation_slot().clear();
  // Posted, not called: the last child is still inside its own completion here.
  post_completion(ex_, std::move(h));
}

}  // namespace corio::detail
