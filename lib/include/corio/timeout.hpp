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

#include <corio/cancellation.hpp>
#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>
#include <corio/detail/deadline_queue.hpp>
#include <corio/detail/post_completion.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/interop.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <tuple>

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
class timeout_scope {
public:
  [[nodiscard]] clock::time_point deadline() const noexcept { return entry_.deadline; }
  [[nodiscard]] bool expired() const noexcept { return expired_; }
  /// Moves the deadline (earlier or later). No effect once the scope has expired or its work ended.
  void reschedule(clock::time_point tp) {
    if (expired_ || body_done_) return;
    if (due_at_start_) {
      entry_.deadline = tp;  // still starting: checked once the work first suspends
      return;
    }
    queue_.update(entry_, tp);
  }
  void reschedule_after(duration d) { reschedule(clock::now() + d); }

  timeout_scope(const executor& ex, clock::time_point tp) : ex_(ex), queue_(detail::deadline_queue::of(ex)) {
    entry_.deadline = tp;
    entry_.fire = &on_deadline;
    entry_.self = this;
  }
  timeout_scope(const timeout_scope&) = delete;
  timeout_scope& operator=(const timeout_scope&) = delete;
  ~timeout_scope() {
    // Only reachable with the entry still queued if the caller's frame was torn down with its
    // context (run() never finished it).
    queue_.remove(entry_, false);
  }

private:
  friend struct detail::timeout_access;

  // The work runs as its own Asio coroutine thread on the caller's executor (started inline, so
  // it runs at once up to its first suspension), bound to this scope's cancellation signal: the
  // deadline and the caller's cancellation both reach it through `signal_`. No Corio task, no
  // timer operation: the deadline is an entry in the context's deadline_queue. The thread is
  // launched directly (as co_spawn does, without co_spawn's work guards, cancellation proxy and
  // completion dispatch: the caller's own task keeps the context busy, and the caller is resumed
  // straight from the thread's last step).
  template <typename T>
  struct result_slot {
    std::exception_ptr error;
    std::optional<detail::value_or_monostate<T>> value;
  };

  template <typename T, typename Handler>
  static asio::awaitable<detail::coroutine_thread_entry, executor> work_thread(
      awaitable<T> body, result_slot<T>* out, timeout_scope* self, Handler handler) {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(body);
        out->value.emplace();
      } else {
        out->value.emplace(co_await std::move(body));
      }
    } catch (...) {
      out->error = std::current_exception();
    }
    self->work_ended(std::move(handler));  // last: the caller may destroy the scope
  }

  template <typename T, typename Handler>
  void start(Handler handler, awaitable<T> body, result_slot<T>* out) {
    // What may throw (allocations) comes before the caller's slot is connected to this scope.
    auto slot = asio::get_associated_cancellation_slot(handler);
    // A deadline that has passed already (zero or negative timeout) expires now: the work starts
    // cancelled, runs to its first suspension point and fails there (asyncio 3.12's timeout() and
    // wait_for(), Trio's cancel scopes). Work that ends without suspending keeps its result.
    due_at_start_ = entry_.deadline <= clock::now();
    if (!due_at_start_) queue_.add(entry_, ex_);
    detail::coroutine_thread<executor> thread(
        work_thread<T>(std::move(body), out, this, std::move(handler)), ex_, signal_.slot(),
        asio::cancellation_state(signal_.slot()));
    if (slot.is_connected()) {
      slot.assign([this](asio::cancellation_type) {
        outer_cancelled_ = true;
        signal_.emit(asio::cancellation_type::terminal);
      });
    }
    launching_ = true;
    thread.launch();
    launching_ = false;
    // A deadline due at the start expires only now — Asio refuses to enter a coroutine that is
    // cancelled already, and the work must get to its first suspension point — unless the work
    // ended meanwhile (it keeps its result) or moved the deadline into the future.
    if (due_at_start_) {
      due_at_start_ = false;
      if (body_done_) return;
      if (entry_.deadline > clock::now()) {
        queue_.add(entry_, ex_);
        return;
      }
      expired_ = true;
      signal_.emit(asio::cancellation_type::terminal);
    }
  }

  template <typename Handler>
  void work_ended(Handler handler) {
    body_done_ = true;
    if (queue_.remove(entry_) == detail::deadline_queue::state::firing) {
      // The deadline is being fired from another thread; on_deadline() resumes the caller.
      detail::store_handler(pending_, std::move(handler));
      return;
    }
    if (launching_) {
      // The work ended without suspending: resume the caller after its initiation has returned,
      // not inside it.
      asio::post(ex_, [h = std::move(handler)]() mutable { resume(std::move(h)); });
      return;
    }
    resume(std::move(handler));
  }

  template <typename Handler>
  static void resume(Handler handler) {
    asio::get_associated_cancellation_slot(handler).clear();
    std::move(handler)();
  }

  // Called by the deadline queue on the timer's thread; the rest runs on the scope's executor.
  static bool on_deadline(detail::deadline_queue::entry& e) noexcept {
    auto* self = static_cast<scope_entry&>(e).self;
    asio::dispatch(self->ex_, [self] {
      if (!self->body_done_) {
        self->expired_ = true;
        self->signal_.emit(asio::cancellation_type::terminal);
      }
      self->queue_.fired(self->entry_);
      if (self->pending_) resume(std::move(self->pending_));
    });
    return false;
  }

  executor ex_;
  detail::deadline_queue& queue_;
  struct scope_entry : detail::deadline_queue::entry {
    timeout_scope* self = nullptr;
  };
  scope_entry entry_;
  asio::cancellation_signal signal_;
  asio::any_completion_handler<void()> pending_;
  bool expired_ = false;
  bool body_done_ = false;
  bool launching_ = false;
  bool due_at_start_ = false;  // the deadline had passed when the work started (see start())
  bool outer_cancelled_ = false;
};

namespace detail {

template <typename F>
auto invoke_timeout_fn(F& fn, timeout_scope& s) {
  if constexpr (std::is_invocable_v<F&, timeout_scope&>) return as_awaitable(std::invoke(fn, s));
  else return as_awaitable(std::invoke(fn));
}

template <typename F>
using timeout_fn_result = typename decltype(invoke_timeout_fn(std::declval<F&>(), std::declval<timeout_scope&>()))::value_type;

struct timeout_access {
  template <typename T>
  using result_slot = timeout_scope::result_slot<T>;
  template <typename T, typename Handler>
  static void start(timeout_scope& s, Handler h, awaitable<T> body, result_slot<T>* out) {
    s.start<T>(std::move(h), std::move(body), out);
  }
  static bool outer_cancelled(const timeout_scope& s) noexcept { return s.outer_cancelled_; }
};

template <bool Throw, typename F>
using deadline_result = std::conditional_t<Throw, timeout_fn_result<F>,
                                           std::optional<value_or_monostate<timeout_fn_result<F>>>>;

/// The one coroutine behind with_deadline/with_timeout/wait_for (Throw) and move_on_* (!Throw).
template <bool Throw, typename F>
awaitable<deadline_result<Throw, F>> deadline_run(clock::time_point tp, F fn) {
  using T = timeout_fn_result<F>;
  timeout_scope s(co_await asio::this_coro::executor, tp);
  // A caller cancelled already: the work never starts (as with a task cancelled before its start).
  // Checked here, the wait below cannot throw at its own suspension point (Asio checks only before
  // suspending), which matters: the work points into this frame until it has ended.
  const auto cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none) throw_cancelled();
  timeout_access::result_slot<T> out;
  auto body = invoke_timeout_fn(fn, s);
  auto init = [&s, &body, &out](auto handler) { timeout_access::start<T>(s, std::move(handler), std::move(body), &out); };
  note_waiting("timeout");
  co_await asio::async_initiate<const asio::deferred_t&, void()>(init, asio::deferred);
  if (timeout_access::outer_cancelled(s)) throw_cancelled();
  if (out.error) {
    if (!(s.expired() && is_cancellation(out.error))) std::rethrow_exception(out.error);
    if constexpr (Throw) {
      throw timeout_error();
    } else {
      co_return std::nullopt;
    }
  }
  if constexpr (!Throw) {
    co_return std::move(out.value);
  } else if constexpr (!std::is_void_v<T>) {
    co_return std::move(*out.value);
  }
}

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

namespace detail {

template <typename Signature>
struct timed_signature {
  static constexpr bool starts_with_error_code = false;
};
template <typename R, typename... Args>
struct timed_signature<R(boost::system::error_code, Args...)> {
  static constexpr bool starts_with_error_code = true;
  using tuple = std::tuple<boost::system::error_code, std::decay_t<Args>...>;
};

/// Runs `op` under a deadline; its completion arguments as a tuple, with asio::error::timed_out
/// (and default values) when the deadline cancelled it.
template <typename Signature, typename Op>
awaitable<typename timed_signature<Signature>::tuple> timed_tuple(Op op, duration d) {
  using tuple = typename timed_signature<Signature>::tuple;
  bool expired = false;
  auto body = [&op, &expired](timeout_scope& s) -> awaitable<tuple> {
    tuple r = co_await std::move(op)(asio::as_tuple(asio::use_awaitable_t<executor>{}));
    expired = s.expired();
    co_return r;
  };
  std::optional<tuple> r = co_await move_on_after(d, body);
  if (!r || (expired && std::get<0>(*r) == asio::error::operation_aborted)) {
    tuple timed_out{};
    std::get<0>(timed_out) = asio::error::timed_out;
    co_return timed_out;
  }
  co_return std::move(*r);
}

}  // namespace detail

/// Completion-token form of wait_for for an Asio asynchronous operation; see the header comment.
template <detail::async_operation Op, typename CompletionToken>
auto async_wait_for(Op op, duration d, CompletionToken&& token) {
  using signature = asio::completion_signature_of_t<Op>;
  using traits = detail::timed_signature<signature>;
  static_assert(traits::starts_with_error_code,
                "corio::async_wait_for: the operation's completion signature must start with "
                "boost::system::error_code (for other operations use corio::wait_for in a coroutine)");
  return asio::async_initiate<CompletionToken, signature>(
      [d](auto handler, Op o) {
        const executor ex(detail::handler_executor(handler));
        auto slot = asio::get_associated_cancellation_slot(handler);
        asio::co_spawn(ex, detail::timed_tuple<signature>(std::move(o), d),
                       asio::bind_cancellation_slot(
                           slot, [h = std::move(handler)](std::exception_ptr e, typename traits::tuple t) mutable {
                             if (e) {
                               try {
                                 std::rethrow_exception(e);
                               } catch (const boost::system::system_error& se) {
                                 std::get<0>(t) = se.code();
                               }
                             }
                             std::apply(std::move(h), std::move(t));
                           }));
      },
      token, std::move(op));
}

}  // namespace corio
