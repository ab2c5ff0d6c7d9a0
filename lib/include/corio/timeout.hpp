// corio/timeout.hpp — deadlines: asyncio.wait_for / asyncio.timeout, Trio's move_on_after.
//
//   int v = co_await corio::wait_for(fetch(), 2s);                       // throws timeout_error
//   co_await corio::with_timeout(5s, [&](corio::timeout_scope& s) -> corio::awaitable<void> {
//     co_await step1();
//     s.reschedule(corio::clock::now() + 5s);                            // more time
//     co_await step2();
//   });
//   std::optional<int> r = co_await corio::move_on_after(1s, fetch);   // empty on expiry
//
// At the deadline the work is cancelled (level-triggered, like any cancellation) and Corio waits
// for it to end — its RAII cleanup has run — before reporting the timeout. If the work finishes
// with a value despite the cancellation, the value is returned. Nested scopes: only the scope that
// expired reports a timeout; an inner timeout passes through an outer scope as an ordinary error,
// and an outer expiry surfaces from the inner scope as a cancellation that the outer scope turns
// into its timeout. Rescheduling moves the deadline either way; it has no effect once expired.
// `fn` is invoked with a `timeout_scope&` if it accepts one, else with no arguments; it returns
// an awaitable.
//
// Cancellation: cancelling the caller cancels the work, waits for it, and throws
// operation_aborted (not timeout_error).
// Exceptions: timeout_error (with_timeout, with_deadline, wait_for) on expiry; otherwise whatever
// the work throws. move_on_* never throw on expiry.
// Thread safety: executor-affine; the work runs on the caller's executor. timeout_scope members
// must be called from that executor.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/scope.hpp>
#include <corio/detail/timer.hpp>
#include <corio/gather.hpp>
#include <corio/task.hpp>

#include <boost/asio/this_coro.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace corio {

/// Thrown when a with_timeout / with_deadline / wait_for scope expires.
class timeout_error : public std::runtime_error {
public:
  timeout_error() : std::runtime_error("corio: operation timed out") {}
};

/// The running deadline scope, for rescheduling it from inside.
class timeout_scope {
public:
  [[nodiscard]] clock::time_point deadline() const noexcept { return deadline_; }
  [[nodiscard]] bool expired() const noexcept { return expired_; }
  /// Moves the deadline (earlier or later). No effect once the scope has expired.
  void reschedule(clock::time_point tp) {
    if (expired_ || child_done_) return;
    deadline_ = tp;
    timer_.cancel();  // the handler re-arms for the new deadline or expires
  }
  void reschedule_after(duration d) { reschedule(clock::now() + d); }

  timeout_scope(const executor& ex, clock::time_point tp) : sc_(ex, detail::scope::on_error::keep_going, "timeout"), timer_(ex), deadline_(tp) {
    sc_.set_exit_hook(&on_child_exit, this);
  }

  template <typename T>
  awaitable<std::optional<detail::value_or_monostate<T>>> run(awaitable<T> body);

private:
  static void on_child_exit(void* self, detail::task_base&) noexcept {
    auto* s = static_cast<timeout_scope*>(self);
    s->child_done_ = true;
    s->timer_.cancel();
  }

  void arm() {
    timer_.expires_at(deadline_);
    timer_.async_wait([this](boost::system::error_code) { on_timer(); });
  }

  void on_timer() {
    if (child_done_) {
      sc_.release();
    } else if (clock::now() >= deadline_) {
      expired_ = true;
      sc_.cancel();
      sc_.release();
    } else {
      arm();  // rescheduled later
    }
  }

  detail::scope sc_;
  detail::timer timer_;
  clock::time_point deadline_;
  bool expired_ = false;
  bool child_done_ = false;
};

template <typename T>
awaitable<std::optional<detail::value_or_monostate<T>>> timeout_scope::run(awaitable<T> body) {
  auto t = sc_.spawn(std::move(body), "timeout");
  sc_.hold();  // released by the timer's handler
  arm();
  co_await sc_.join();
  if (sc_.cancelled_from_outside()) throw_cancelled();
  if (expired_ && t.cancelled()) co_return std::nullopt;
  co_return detail::value_of(t);
}

namespace detail {

template <typename F>
auto invoke_timeout_fn(F& fn, timeout_scope& s) {
  if constexpr (std::is_invocable_v<F&, timeout_scope&>) return std::invoke(fn, s);
  else return std::invoke(fn);
}

template <typename F>
using timeout_fn_result = typename decltype(invoke_timeout_fn(std::declval<F&>(), std::declval<timeout_scope&>()))::value_type;

template <typename F>
awaitable<std::optional<value_or_monostate<timeout_fn_result<F>>>> deadline_core(clock::time_point tp, F fn) {
  timeout_scope s(co_await asio::this_coro::executor, tp);
  co_return co_await s.run(invoke_timeout_fn(fn, s));
}

template <typename T>
T unwrap_or_timeout(std::optional<value_or_monostate<T>>&& r) {
  if (!r) throw timeout_error();
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

}  // namespace detail

/// Runs `fn` with a deadline; throws timeout_error if it expires first.
template <typename F>
[[nodiscard]] awaitable<detail::timeout_fn_result<F>> with_deadline(clock::time_point tp, F fn) {
  using R = detail::timeout_fn_result<F>;
  co_return detail::unwrap_or_timeout<R>(co_await detail::deadline_core(tp, std::move(fn)));
}

template <typename F>
[[nodiscard]] awaitable<detail::timeout_fn_result<F>> with_timeout(duration d, F fn) {
  return with_deadline(clock::now() + d, std::move(fn));
}

/// Awaits `aw` for at most `d`; throws timeout_error on expiry (after `aw` has ended).
template <typename T>
[[nodiscard]] awaitable<T> wait_for(awaitable<T> aw, duration d) {
  auto r = co_await detail::deadline_core(clock::now() + d,
                                          [&aw]() -> awaitable<T> { return std::move(aw); });
  co_return detail::unwrap_or_timeout<T>(std::move(r));
}

/// Runs `fn` with a deadline; an empty optional on expiry (void → std::monostate).
template <typename F>
[[nodiscard]] awaitable<std::optional<detail::value_or_monostate<detail::timeout_fn_result<F>>>>
move_on_at(clock::time_point tp, F fn) {
  return detail::deadline_core(tp, std::move(fn));
}

template <typename F>
[[nodiscard]] awaitable<std::optional<detail::value_or_monostate<detail::timeout_fn_result<F>>>>
move_on_after(duration d, F fn) {
  return detail::deadline_core(clock::now() + d, std::move(fn));
}

}  // namespace corio
