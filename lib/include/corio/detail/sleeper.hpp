// corio/detail/sleeper.hpp — one sleep as an entry in its context's deadline queue, and the
// in-place storage for the sleeping coroutine's handler. Internal: only lib/src/sleep.cpp (where
// sleep's coroutine is compiled once) uses it; corio/sleep.hpp is the interface.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>
#include <corio/detail/deadline_queue.hpp>
#include <corio/detail/traced_executor.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace corio::detail {

/// A sleeping coroutine's completion handler kept inside the sleeper (which lives in that
/// coroutine's frame): no heap block, as any_completion_handler would need. The handler is always
/// moved out before it is called or destroyed — it owns the frame this storage is in.
class inline_wait_handler {
public:
  using error_code = boost::system::error_code;

  inline_wait_handler() = default;
  inline_wait_handler(const inline_wait_handler&) = delete;
  inline_wait_handler& operator=(const inline_wait_handler&) = delete;
  ~inline_wait_handler() { reset(); }

  template <typename Handler>
  void store(Handler&& h) {
    using H = std::decay_t<Handler>;
    static_assert(sizeof(H) <= sizeof(buf_) && alignof(H) <= alignof(std::max_align_t),
                  "corio::sleep: the coroutine's handler no longer fits the sleeper");
    H* p = ::new (static_cast<void*>(buf_)) H(std::forward<Handler>(h));
    slot_ = asio::get_associated_cancellation_slot(*p);
    ops_ = &ops_for<H>;
  }

  [[nodiscard]] explicit operator bool() const noexcept { return ops_ != nullptr; }
  [[nodiscard]] asio::cancellation_slot get_cancellation_slot() const noexcept { return slot_; }

  /// Calls the handler here (the caller is on its executor).
  void operator()(error_code ec) { std::exchange(ops_, nullptr)->call(buf_, ec); }
  /// Posts the handler's call through `ex`.
  void post(const executor& ex, error_code ec) { std::exchange(ops_, nullptr)->post(buf_, ex, ec); }
  /// Posts the handler's call through `ex`; it completes with operation_aborted if `*cancelled`
  /// is set by the time it runs (`cancelled` lives as long as the handler does). The handler's
  /// cancellation slot is cleared before the call.
  void post_checked(const executor& ex, const bool* cancelled) {
    std::exchange(ops_, nullptr)->post_checked(buf_, ex, cancelled);
  }
  /// Destroys the handler without calling it (unwinding the coroutine that waits).
  void reset() noexcept {
    if (ops_) std::exchange(ops_, nullptr)->destroy(buf_);
  }

private:
  struct ops {
    void (*call)(unsigned char*, error_code);
    void (*post)(unsigned char*, const executor&, error_code);
    void (*post_checked)(unsigned char*, const executor&, const bool*);
    void (*destroy)(unsigned char*) noexcept;
  };

  template <typename H>
  static H take(unsigned char* b) noexcept {
    H* p = std::launder(static_cast<H*>(static_cast<void*>(b)));
    H h(std::move(*p));
    p->~H();
    return h;
  }

  template <typename H>
  static constexpr ops ops_for{
      [](unsigned char* b, error_code ec) { take<H>(b)(ec); },
      [](unsigned char* b, const executor& ex, error_code ec) {
        asio::post(ex, [h = take<H>(b), ec]() mutable { std::move(h)(ec); });
      },
      [](unsigned char* b, const executor& ex, const bool* cancelled) {
        asio::post(ex, [h = take<H>(b), cancelled]() mutable {
          const bool aborted = *cancelled;
          asio::get_associated_cancellation_slot(h).clear();
          std::move(h)(aborted ? error_code(asio::error::operation_aborted) : error_code());
        });
      },
      [](unsigned char* b) noexcept { (void)take<H>(b); },
  };

  alignas(std::max_align_t) unsigned char buf_[32];
  const ops* ops_ = nullptr;
  asio::cancellation_slot slot_;
};

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

  /// `ex` must outlive the wait (sleep_until passes the executor its co_await expression holds);
  /// `now` is the clock's reading the caller already made.
  template <typename Token>
  auto async_wait(const executor& ex, clock::time_point tp, clock::time_point now, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [this, &ex, tp, now](auto handler) {
          handler_.store(std::move(handler));
          start(ex, tp, now);
        },
        token);
  }

private:
  void start(const executor& ex, clock::time_point tp, clock::time_point now) {
    ex_ = &ex;
    if (tp <= now) {
      // A scheduling point, like yield(): a cancellation arriving before the coroutine is resumed
      // surfaces here.
      auto slot = handler_.get_cancellation_slot();
      if (slot.is_connected()) slot.assign([this](asio::cancellation_type) { cancelled_ = true; });
      handler_.post_checked(ex, &cancelled_);
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
    const error_code ec = self->cancelled_ ? error_code(asio::error::operation_aborted) : error_code();
    self->handler_(ec);  // resumes the frame this sleeper lives in (which may destroy it)
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
  void complete(error_code ec) { handler_.post(*ex_, ec); }

  static void on_abandon(deadline_queue::entry& e) noexcept {
    auto* self = static_cast<sleeper*>(&e);
    self->q_ = nullptr;
    self->handler_.reset();  // unwinds the sleeping coroutine (through its executor)
  }

  inline_wait_handler handler_;
  const executor* ex_ = nullptr;  // the awaiting coroutine's, alive until it resumes
  deadline_queue* q_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace corio::detail
