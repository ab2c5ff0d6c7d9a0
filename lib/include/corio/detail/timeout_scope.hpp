// corio/detail/timeout_scope.hpp — the machinery of a deadline scope (corio/timeout.hpp): the work
// runs as its own Asio coroutine thread bound to the scope's cancellation signal, and the deadline
// is an entry in the context's deadline_queue. Internal; corio/timeout.hpp is the interface.
//
// Lifecycle: start() launches the work (running inline up to its first suspension); the deadline
// either fires first (expired_, the work is cancelled) or the work ends first (body_done_); the
// caller is resumed exactly once, after the work has ended, by work_ended() or — when the deadline
// is being fired on another thread at that moment — by on_deadline().
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>
#include <corio/detail/deadline_queue.hpp>
#include <corio/detail/post_completion.hpp>
#include <corio/detail/task_state.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <cassert>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace corio::detail {

class timeout_scope_base {
public:
  timeout_scope_base(const executor& ex, clock::time_point tp) : ex_(ex), queue_(deadline_queue::of(ex)) {
    entry_.deadline = tp;
    entry_.fire = &on_deadline;
    entry_.self = this;
  }
  timeout_scope_base(const timeout_scope_base&) = delete;
  timeout_scope_base& operator=(const timeout_scope_base&) = delete;
  ~timeout_scope_base() {
    // Only reachable with the entry still queued if the caller's frame was torn down with its
    // context (run() never finished it).
    queue_.remove(entry_, false);
  }

  [[nodiscard]] clock::time_point deadline() const noexcept { return entry_.deadline; }
  [[nodiscard]] bool expired() const noexcept { return expired_; }
  [[nodiscard]] bool outer_cancelled() const noexcept { return outer_cancelled_; }

  void reschedule(clock::time_point tp) {
    if (expired_ || body_done_) return;
    if (due_at_start_) {
      entry_.deadline = tp;  // still starting: checked once the work first suspends
      return;
    }
    queue_.update(entry_, tp);
  }

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
    std::optional<value_or_monostate<T>> value;
  };

private:
  template <typename T, typename Handler>
  static asio::awaitable<coroutine_thread_entry, executor> work_thread(
      awaitable<T> body, result_slot<T>* out, timeout_scope_base* self, Handler handler) {
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

public:
  /// Launches the work; `handler` (the caller's) is resumed once it has ended. Once per scope.
  template <typename T, typename Handler>
  void start(Handler handler, awaitable<T> body, result_slot<T>* out) {
    assert(!launching_ && !body_done_ && !expired_ && "corio: a timeout scope is started once");
    // What may throw (allocations) comes before the caller's slot is connected to this scope.
    auto slot = asio::get_associated_cancellation_slot(handler);
    // A deadline that has passed already (zero or negative timeout) expires now: the work starts
    // cancelled, runs to its first suspension point and fails there (asyncio 3.12's timeout() and
    // wait_for(), Trio's cancel scopes). Work that ends without suspending keeps its result.
    due_at_start_ = entry_.deadline <= clock::now();
    if (!due_at_start_) queue_.add(entry_, ex_);
    coroutine_thread<executor> thread(
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
    // ended meanwhile (it keeps its result) or moved the deadline into the future. (Tests:
    // with_timeout_zero_around_a_body_that_only_yields_times_out_at_the_yield,
    // wait_for_zero_returns_the_value_of_work_that_never_suspends,
    // a_scope_due_at_start_that_is_rescheduled_before_suspending_gets_the_new_deadline.)
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

private:
  template <typename Handler>
  void work_ended(Handler handler) {
    assert(!body_done_ && "corio: a timeout scope's work ends once");
    body_done_ = true;
    if (queue_.remove(entry_) == deadline_queue::state::firing) {
      // The deadline is being fired from another thread; on_deadline() resumes the caller.
      // (Test: scopes_on_strands_of_a_two_thread_context_expire_or_finish_exactly_once.)
      store_handler(pending_, std::move(handler));
      return;
    }
    if (launching_) {
      // The work ended without suspending: resume the caller after its initiation has returned,
      // not inside it. (Test: work_that_never_suspends_returns_its_value_even_past_its_deadline.)
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
  static bool on_deadline(deadline_queue::entry& e) noexcept {
    auto* self = static_cast<scope_entry&>(e).self;
    asio::dispatch(self->ex_, [self] {
      if (!self->body_done_) {
        self->expired_ = true;
        self->signal_.emit(asio::cancellation_type::terminal);
      }
      self->queue_.fired(self->entry_);
      // The work ended while this firing was under way: work_ended() left the caller to us.
      if (self->pending_) resume(std::move(self->pending_));
    });
    return false;
  }

  executor ex_;
  deadline_queue& queue_;
  struct scope_entry : deadline_queue::entry {
    timeout_scope_base* self = nullptr;
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

}  // namespace corio::detail
