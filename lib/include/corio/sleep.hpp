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
#include <corio/detail/deadline_queue.hpp>
#include <corio/detail/post_completion.hpp>
#include <corio/task.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <optional>

namespace corio {

namespace detail {

/// One sleep: an entry in its context's deadline_queue — no timer object and no timer operation
/// of its own (100,000 sleeping tasks share one timer). Lives in the sleeping coroutine's frame.
/// async_wait completes void(error_code) through `ex` — which must be the awaiting coroutine's own
/// executor — never inside the call;
/// operation_aborted when cancelled through the handler's slot. One wait per sleeper.
class sleeper final : private deadline_queue::entry {
public:
  using error_code = boost::system::error_code;

  sleeper() = default;
  sleeper(const sleeper&) = delete;
  sleeper& operator=(const sleeper&) = delete;
  ~sleeper() {
    // Still queued only if the frame was torn down with its context.
    if (q_) q_->remove(*this, false);
  }

  template <typename Token>
  auto async_wait(const executor& ex, clock::time_point tp, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [this, &ex, tp](auto handler) {
          store_handler(handler_, std::move(handler));
          start(ex, tp);
        },
        token);
  }

private:
  using handler_type = asio::any_completion_handler<void(error_code)>;

  void start(const executor& ex, clock::time_point tp) {
    ex_.emplace(ex);
    if (tp <= clock::now()) {
      complete(error_code());
      return;
    }
    deadline = tp;
    fire = &on_fire;
    resume = &on_resume;
    abandon = &on_abandon;
    q_ = &deadline_queue::of(ex);
    // (The slot handler is installed before the entry can fire: both run on the sleeper's thread.)
    auto slot = handler_.get_cancellation_slot();
    if (slot.is_connected()) slot.assign([this](asio::cancellation_type) { on_cancel(); });
    q_->add(*this, ex);
  }

  // The timer's thread. On the sleeper's own executor (the common case) it completes here, as a
  // timer's own completion would: the slot is let go now and the coroutine resumed by on_resume,
  // once every sleep due at this instant has fired (a sleeper resumed first and cancelling
  // another finds it expired already, as with Asio timers due together). Elsewhere (a strand not
  // running here, another thread) it finishes through the sleeper's executor.
  static bool on_fire(deadline_queue::entry& e) {
    auto* self = static_cast<sleeper*>(&e);
    if (running_in_this_thread(*self->ex_)) {
      self->detach();
      return true;
    }
    asio::dispatch(*self->ex_, [self] { self->finish(error_code()); });
    return false;
  }

  static void on_resume(deadline_queue::entry& e) {
    auto* self = static_cast<sleeper*>(&e);
    handler_type h;
    h.swap(self->handler_);
    const error_code ec = self->cancelled_ ? error_code(asio::error::operation_aborted) : error_code();
    std::move(h)(ec);  // resumes the frame this sleeper lives in (which may destroy it)
  }

  void on_cancel() {
    if (!q_) return;  // already finished, or dropped at shutdown
    // Being fired: the success is on its way — deliver the cancellation instead.
    if (q_->remove(*this) == deadline_queue::state::firing) cancelled_ = true;
    else finish(asio::error::operation_aborted);
  }

  void finish(error_code ec) {
    if (!handler_) return;  // dropped at shutdown
    if (cancelled_) ec = asio::error::operation_aborted;
    detach();
    complete(ec);
  }

  /// Out of the queue (removed, or popped by the firing thread); no longer cancellable.
  void detach() {
    q_ = nullptr;
    handler_.get_cancellation_slot().clear();
  }

  // Through ex_, the awaiting coroutine's own executor (sleep_until passes it), so no conversion
  // to the handler's associated any_completion_executor is needed.
  void complete(error_code ec) {
    handler_type h;
    h.swap(handler_);
    asio::post(*ex_, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
  }

  static void on_abandon(deadline_queue::entry& e) noexcept {
    auto* self = static_cast<sleeper*>(&e);
    self->q_ = nullptr;
    handler_type h;
    h.swap(self->handler_);  // destroying it unwinds the sleeping coroutine (through its executor)
  }

  handler_type handler_;
  std::optional<executor> ex_;
  deadline_queue* q_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace detail

/// Suspends until `tp` on corio::clock.
[[nodiscard]] inline awaitable<void> sleep_until(clock::time_point tp) {
  detail::sleeper s;
  detail::note_waiting("sleep");
  auto [ec] = co_await s.async_wait(co_await asio::this_coro::executor, tp, asio::as_tuple(asio::deferred));
  if (ec) throw boost::system::system_error(ec, "corio::sleep");
}

/// Suspends for `d` (zero or negative: still a scheduling point, like yield()).
[[nodiscard]] inline awaitable<void> sleep(duration d) { return sleep_until(clock::now() + d); }

/// Lets other ready work run, then resumes (asyncio.sleep(0)). Returns an Asio deferred operation
/// (a post to the awaiting coroutine's executor), not an awaitable: no coroutine frame per yield.
[[nodiscard]] inline auto yield() { return asio::post(asio::deferred); }

}  // namespace corio
