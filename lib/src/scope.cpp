// The non-template part of corio/detail/scope.hpp: the join and its wake-up, compiled once.
#include <corio/detail/scope.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <cassert>

namespace corio::detail {

awaitable<void> scope::join(on_outer_cancel policy) {
  assert(state_ != state::closed && !joiner_ && "corio: a scope is joined once");
  // Leaving join() early would free a scope that children point at, so this wait must not
  // throw at its suspension point even when the coroutine is already cancelled.
  const bool throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  auto cs = co_await asio::this_coro::cancellation_state;
  // A joiner cancelled before it got here: its children are cancelled now, not never (test:
  // a_group_run_by_a_coroutine_cancelled_already_never_starts_its_body).
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
  assert(live_ == 0 && head_ == nullptr && "corio: a scope closes with every child ended");
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
