// corio/timeout.hpp — deadlines: asyncio.wait_for / asyncio.timeout, Trio's move_on_after.
//
//   int v = co_await corio::wait_for(fetch(), 2s);                       // throws timeout_error
//   co_await corio::with_timeout(5s, [&](corio::timeout_scope& s) -> corio::awaitable<void> {
//     co_await step1();
//     s.reschedule(corio::clock::now() + 5s);                            // more time
//     co_await step2();
//   });
//   std::optional<int> r = co_await corio::move_on_after(1s, fetch);   // empty on expiry
//   std::size_t n = co_await corio::wait_for(sock.async_read_some(buf, asio::deferred), 5s);
//   corio::async_wait_for(sock.async_read_some(buf, asio::deferred), 5s,       // callback code
//                         [](boost::system::error_code ec, std::size_t n) { ... });  // timed_out
//
// At the deadline the work is cancelled (level-triggered, like any cancellation) and Corio waits
// for it to end — its RAII cleanup has run — before reporting the timeout. If the work finishes
// with a value despite the cancellation, the value is returned. Nested scopes: only the scope that
// expired reports a timeout; an inner timeout passes through an outer scope as an ordinary error,
// and an outer expiry surfaces from the inner scope as a cancellation that the outer scope turns
// into its timeout. Rescheduling moves the deadline either way; it has no effect once expired.
// A deadline already passed when the scope starts (a timeout of zero or less) still starts the
// work: it runs until its first suspension point (a co_await of anything, yield() and sleep(0)
// included), which fails with the cancellation, and the scope reports its timeout; work that
// finishes without suspending returns its value (asyncio 3.12's timeout() and wait_for(), Trio).
// `fn` is invoked with a `timeout_scope&` if it accepts one, else with no arguments; it returns
// an awaitable or any Asio asynchronous operation (a deferred operation); wait_for takes either too.
//
// async_wait_for(op, d, token) is the completion-token form, for callback code: `op` is an Asio
// asynchronous operation whose completion signature starts with boost::system::error_code; the
// token's handler gets that signature, with asio::error::timed_out (and default-constructed
// values) when the deadline expired first, asio::error::operation_aborted when the operation was
// cancelled through the handler's cancellation slot. The operation runs, and the handler is
// invoked, on the handler's executor (for a handler without one, the io_context or thread_pool
// the starting thread runs). The same guarantees hold: at expiry the operation is cancelled and
// has ended before the handler runs.
//
// Cancellation: cancelling the caller cancels the work, waits for it, and throws
// operation_aborted (not timeout_error).
// Exceptions: timeout_error (with_timeout, with_deadline, wait_for) on expiry; otherwise whatever
// the work throws. move_on_* never throw on expiry.
// Thread safety: executor-affine; the work runs on the caller's executor. timeout_scope members
// must be called from that executor.
// Cost: no Corio task and no timer operation per scope. The work runs as a light Asio coroutine
// thread started inline, and its deadline is an entry in a heap shared by every scope of the
// execution context, behind one timer that is re-armed only when the earliest deadline moves
// earlier (detail/deadline_queue.hpp). A scope whose work ends in time costs about what a bare
// `steady_timer` arm + cancel does, without its two system calls (perf/results).
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/timeout_scope.hpp>
#include <corio/interop.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

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

namespace detail {
struct timeout_access;
}

/// The running deadline scope, for rescheduling it from inside.
class timeout_scope : private detail::timeout_scope_base {
public:
  timeout_scope(const executor& ex, clock::time_point tp) : timeout_scope_base(ex, tp) {}

  /// The deadline in force.
  [[nodiscard]] clock::time_point deadline() const noexcept { return timeout_scope_base::deadline(); }
  /// True once the deadline has expired (the work has been cancelled).
  [[nodiscard]] bool expired() const noexcept { return timeout_scope_base::expired(); }
  /// Moves the deadline (earlier or later). No effect once the scope has expired or its work ended.
  void reschedule(clock::time_point tp) { timeout_scope_base::reschedule(tp); }
  void reschedule_after(duration d) { reschedule(clock::now() + d); }

private:
  friend struct detail::timeout_access;
};

namespace detail {

template <typename F>
auto invoke_timeout_fn(F& fn, timeout_scope& s) {
  if constexpr (std::is_invocable_v<F&, timeout_scope&>) return as_awaitable(std::invoke(fn, s));
  else return as_awaitable(std::invoke(fn));
}
template <typename F>
using timeout_fn_result = typename decltype(invoke_timeout_fn(std::declval<F&>(), std::declval<timeout_scope&>()))::value_type;
template <bool Throw, typename F>
using deadline_result = std::conditional_t<Throw, timeout_fn_result<F>,
                                           std::optional<value_or_monostate<timeout_fn_result<F>>>>;
/// The one coroutine behind every function below (detail/timeout_run.hpp).
template <bool Throw, typename F>
awaitable<deadline_result<Throw, F>> deadline_run(clock::time_point tp, F fn);

}  // namespace detail

/// Runs `fn` with a deadline; throws timeout_error if it expires first.
template <typename F>
[[nodiscard]] awaitable<detail::timeout_fn_result<F>> with_deadline(clock::time_point tp, F fn) {
  return detail::deadline_run<true>(tp, std::move(fn));
}

template <typename F>
[[nodiscard]] awaitable<detail::timeout_fn_result<F>> with_timeout(duration d, F fn) {
  return detail::deadline_run<true>(clock::now() + d, std::move(fn));
}

/// Awaits `aw` for at most `d`; throws timeout_error on expiry (after `aw` has ended).
template <typename T>
[[nodiscard]] awaitable<T> wait_for(awaitable<T> aw, duration d) {
  return detail::deadline_run<true>(clock::now() + d, [aw = std::move(aw)]() mutable { return std::move(aw); });
}

/// A coroutine of another executor type is refused with the fix (see corio/interop.hpp).
template <typename T, typename OtherExecutor>
  requires(!std::is_same_v<OtherExecutor, executor>)
awaitable<T> wait_for(asio::awaitable<T, OtherExecutor>, duration) {
  static_assert(std::is_same_v<OtherExecutor, executor>,
                "corio::wait_for takes corio::awaitable<T> (asio::awaitable<T, asio::any_io_executor>) or an "
                "Asio asynchronous operation; this coroutine has another executor type: pass "
                "asio::co_spawn(its_executor, coroutine, asio::deferred) instead");
}

/// Awaits the Asio asynchronous operation `op` for at most `d`; throws timeout_error on expiry
/// (after `op` has been cancelled and has ended).
template <detail::async_operation Op>
[[nodiscard]] auto wait_for(Op op, duration d) {
  return wait_for(to_awaitable(std::move(op)), d);
}

/// Runs `fn` with a deadline; an empty optional on expiry (void → std::monostate).
template <typename F>
[[nodiscard]] awaitable<std::optional<detail::value_or_monostate<detail::timeout_fn_result<F>>>>
move_on_at(clock::time_point tp, F fn) {
  return detail::deadline_run<false>(tp, std::move(fn));
}

template <typename F>
[[nodiscard]] awaitable<std::optional<detail::value_or_monostate<detail::timeout_fn_result<F>>>>
move_on_after(duration d, F fn) {
  return detail::deadline_run<false>(clock::now() + d, std::move(fn));
}

/// Completion-token form of wait_for for an Asio asynchronous operation; see the header comment.
template <detail::async_operation Op, typename CompletionToken>
auto async_wait_for(Op op, duration d, CompletionToken&& token);

}  // namespace corio

#include <corio/detail/timeout_run.hpp>
