// corio/deadline.hpp — a watchdog deadline for long-lived activities (a connection, a session):
// one deadline for the whole activity (an entry in the context's shared deadline queue), and
// moving it is a plain store.
//
//   corio::watchdog dog(ex, [&] { socket.close(); });   // what expiry does
//   for (;;) {
//     dog.reschedule_after(10s);                        // a store: no timer operation
//     co_await read_request(socket);
//     ...
//   }
//
//   co_await corio::with_watchdog(30s, [&](corio::watchdog& dog) -> corio::awaitable<void> {
//     for (;;) { co_await step(); dog.reschedule_after(30s); }  // timeout_error after 30 s idle
//   });
//
// A watchdog holds a deadline on corio::clock (virtual time under corio::testing), or none. When
// the clock reaches it, `on_expiry()` runs once — on the watchdog's executor, from a completion
// handler, never inside reschedule() — and the watchdog is disarmed (`expired()` is true until the
// next reschedule). `with_watchdog(tp_or_d, fn)` runs `fn(watchdog&)` in a scope whose expiry
// cancels the work, waits for it to end and throws corio::timeout_error (like with_deadline).
//
// Why not asio::steady_timer::expires_after: it cancels and re-arms the timer on every call, which
// costs a timer-queue update (a system call) and a cancelled completion per request — measurable
// on a fast request loop. (timeout_scope::reschedule is a heap update in the context's shared
// deadline queue; a watchdog is cheaper still: a plain store.) A watchdog is an entry in that
// same queue (no timer object or timer operation of its own: ~150 bytes), queued for the instant
// it was armed for; on waking it re-arms for the current deadline if that has moved later, or
// expires. Only a deadline moved *earlier* than the armed instant re-arms at once; that
// happens at most once per distinct shorter timeout between two wake-ups. So the timer does O(1) work per
// wake-up (about one per shortest timeout), independent of how often the deadline is moved.
// The price: none — expiry is still exact, because a later deadline is re-checked on waking.
//
// Cancellation: a watchdog does not suspend, so there is nothing to cancel; disarm() or
// destruction stops it (on_expiry is then never called). with_watchdog: cancelling the caller
// cancels the work, waits for it, and throws operation_aborted (not timeout_error).
// Exceptions: reschedule()/reschedule_after() may throw std::bad_alloc only when they re-arm;
// an exception thrown by on_expiry propagates out of the io_context's run() (do not throw).
// with_watchdog throws timeout_error on expiry, otherwise whatever the work throws.
// Thread safety: executor-affine: construct, reschedule, disarm and destroy a watchdog on its
// executor's thread; on_expiry runs there too.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/scope.hpp>
#include <corio/detail/deadline_queue.hpp>
#include <corio/task.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

namespace corio {

class watchdog {
public:
  /// A disarmed watchdog; `on_expiry` is called when a deadline set later is reached.
  watchdog(const executor& ex, std::function<void()> on_expiry);
  ~watchdog();
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  /// Sets the deadline (earlier or later) and clears expired(). A plain store unless `tp` is
  /// earlier than the instant the timer is armed for (see the header comment).
  void reschedule(clock::time_point tp);
  void reschedule_after(duration d) { reschedule(clock::now() + d); }
  /// No deadline: on_expiry will not be called until the next reschedule. A plain store.
  void disarm() noexcept { st_->due = clock::time_point::max(); }

  /// The current deadline; clock::time_point::max() when disarmed.
  [[nodiscard]] clock::time_point deadline() const noexcept { return st_->due; }
  /// True once the deadline has been reached (and on_expiry called), until the next reschedule.
  [[nodiscard]] bool expired() const noexcept { return st_->expired; }

private:
  // An entry in the context's deadline queue (no timer of its own), queued for the instant it
  // was armed for (entry::deadline). While queued or being fired it holds a reference to itself,
  // so a wake-up that arrives after the watchdog is gone finds it alive.
  struct state final : detail::deadline_queue::entry {
    state(const executor& e, std::function<void()> f) : ex(e), on_expiry(std::move(f)) {}
    executor ex;
    std::function<void()> on_expiry;
    std::shared_ptr<state> queued_self;
    detail::deadline_queue* queue = nullptr;
    clock::time_point due = clock::time_point::max();
    bool armed = false;  // queued or being fired
    bool expired = false;
    bool alive = true;
  };

  static void arm(const std::shared_ptr<state>& st, clock::time_point tp);
  static bool on_fire(detail::deadline_queue::entry& e);
  static void on_abandon(detail::deadline_queue::entry& e) noexcept;
  static void woken(state* st);

  std::shared_ptr<state> st_;
};

/// Runs `fn(watchdog&)` (or `fn()`), returning an awaitable<T>, with a watchdog first set to
/// `tp`; at expiry the work is cancelled and, once it has ended, timeout_error is thrown.
template <typename F>
[[nodiscard]] auto with_watchdog(clock::time_point tp, F fn);
template <typename F>
[[nodiscard]] auto with_watchdog(duration d, F fn) {
  return with_watchdog(clock::now() + d, std::move(fn));
}

// Implementation

inline watchdog::watchdog(const executor& ex, std::function<void()> on_expiry)
    : st_(std::make_shared<state>(ex, std::move(on_expiry))) {}

inline watchdog::~watchdog() {
  st_->alive = false;
  // Being fired elsewhere: the wake-up (which holds the state) finds it dead and does nothing.
  if (st_->armed && st_->queue->remove(*st_) == detail::deadline_queue::state::queued) {
    st_->armed = false;
    st_->queued_self.reset();
  }
}

inline void watchdog::reschedule(clock::time_point tp) {
  st_->due = tp;
  st_->expired = false;
  if (!st_->armed || tp < st_->deadline) arm(st_, tp);
}

inline void watchdog::arm(const std::shared_ptr<state>& st, clock::time_point tp) {
  if (!st->queue) st->queue = &detail::deadline_queue::of(st->ex);
  if (st->armed) {
    st->queue->update(*st, tp);  // queued: moved earlier (no effect while being fired: woken re-checks)
    return;
  }
  st->deadline = tp;
  st->fire = &on_fire;
  st->abandon = &on_abandon;
  st->queued_self = st;
  st->armed = true;
  try {
    st->queue->add(*st, st->ex);
  } catch (...) {
    st->armed = false;
    st->queued_self.reset();
    throw;
  }
}

inline bool watchdog::on_fire(detail::deadline_queue::entry& e) {
  // The timer's thread: continue on the watchdog's own executor (strand).
  auto* st = static_cast<state*>(&e);
  asio::dispatch(st->ex, [st] { woken(st); });
  return false;
}

inline void watchdog::on_abandon(detail::deadline_queue::entry& e) noexcept {
  // The context shuts down with this entry queued: no wake-up will come.
  auto self = std::move(static_cast<state&>(e).queued_self);
  self->armed = false;
}

inline void watchdog::woken(state* st) {
  auto self = std::move(st->queued_self);  // keeps on_expiry alive even if it destroys the watchdog
  st->queue->fired(*st);
  st->armed = false;
  if (!st->alive) return;
  if (st->due == clock::time_point::max()) return;  // disarmed meanwhile: stay idle
  if (clock::now() < st->due) {
    arm(self, st->due);  // moved later by reschedule(): sleep on
    return;
  }
  st->due = clock::time_point::max();
  st->expired = true;
  st->on_expiry();
}

namespace detail {

template <typename F>
auto invoke_watchdog_fn(F& fn, watchdog& w) {
  if constexpr (std::is_invocable_v<F&, watchdog&>) return std::invoke(fn, w);
  else return std::invoke(fn);
}

template <typename F>
using watchdog_fn_result =
    typename decltype(invoke_watchdog_fn(std::declval<F&>(), std::declval<watchdog&>()))::value_type;

}  // namespace detail

namespace detail {

template <typename T, typename F>
awaitable<T> watchdog_core(clock::time_point tp, F fn) {
  const auto ex = co_await asio::this_coro::executor;
  scope sc(ex, scope::on_error::keep_going, "watchdog");
  bool fired = false;
  // Declared after the scope so that it is destroyed (and silenced) first.
  watchdog dog(ex, [&sc, &fired] {
    fired = true;
    sc.cancel();
  });
  dog.reschedule(tp);
  auto t = sc.spawn(invoke_watchdog_fn(fn, dog), "watchdog");
  co_await sc.join();
  dog.disarm();
  if (sc.cancelled_from_outside()) throw_cancelled();
  if (fired && t.cancelled()) throw timeout_error();
  if constexpr (std::is_void_v<T>) {
    t.get();
  } else {
    co_return t.get();
  }
}

}  // namespace detail

template <typename F>
auto with_watchdog(clock::time_point tp, F fn) {
  return detail::watchdog_core<detail::watchdog_fn_result<F>>(tp, std::move(fn));
}

}  // namespace corio
