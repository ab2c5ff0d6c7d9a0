// corio/detail/traced_executor.hpp — debug mode's executor: wraps a task's executor so that every
// step of the task's coroutine (each handler that resumes it) is timed and attributed to the task.
// A task that carries a context (corio/context.hpp) runs through it too, untimed: its steps are
// attributed (current_task) so that the context can be found.
// Internal; see corio/debug.hpp.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>
#include <corio/detail/task_state.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <memory>
#include <typeinfo>
#include <utility>

namespace corio::detail {

/// Logs the slow-step warning (lib/src/debug.cpp).
void report_slow_step(const task_trace& trace, const char* waiting_on, std::chrono::nanoseconds took) noexcept;

class traced_executor {
public:
  /// slow_step for a task traced only to carry a context: its steps are attributed, not timed.
  static constexpr std::chrono::nanoseconds untimed = std::chrono::nanoseconds::max();

  traced_executor(executor inner, std::shared_ptr<task_trace> trace, std::chrono::nanoseconds slow_step)
      : inner_(std::move(inner)), trace_(std::move(trace)), slow_step_(slow_step) {}

  [[nodiscard]] const executor& inner() const noexcept { return inner_; }

  asio::execution_context& query(asio::execution::context_t) const noexcept {
    return asio::query(inner_, asio::execution::context);
  }
  asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
    return asio::query(inner_, asio::execution::blocking);
  }

  traced_executor require(asio::execution::blocking_t::never_t p) const { return rewrap(asio::require(inner_, p)); }
  traced_executor prefer(asio::execution::blocking_t::possibly_t p) const { return rewrap(asio::prefer(inner_, p)); }
  traced_executor prefer(asio::execution::outstanding_work_t::tracked_t p) const {
    return rewrap(asio::prefer(inner_, p));
  }
  traced_executor prefer(asio::execution::outstanding_work_t::untracked_t p) const {
    return rewrap(asio::prefer(inner_, p));
  }
  traced_executor prefer(asio::execution::relationship_t::fork_t p) const { return rewrap(asio::prefer(inner_, p)); }
  traced_executor prefer(asio::execution::relationship_t::continuation_t p) const {
    return rewrap(asio::prefer(inner_, p));
  }

  template <typename F>
  void execute(F&& f) const {
    inner_.execute(step<std::decay_t<F>>{std::forward<F>(f), trace_, slow_step_});
  }

  friend bool operator==(const traced_executor& a, const traced_executor& b) noexcept {
    return a.inner_ == b.inner_ && a.trace_ == b.trace_;
  }
  friend bool operator!=(const traced_executor& a, const traced_executor& b) noexcept { return !(a == b); }

private:
  traced_executor rewrap(executor e) const { return {std::move(e), trace_, slow_step_}; }

  template <typename F>
  struct step {
    F f;
    std::shared_ptr<task_trace> trace;
    std::chrono::nanoseconds slow_step;

    void operator()() {
      task_base* t = trace->task.load(std::memory_order_relaxed);
      task_base* const prev = current_task;
      current_task = t;
      if (slow_step == untimed) {  // a task with a context, outside debug mode: no timing
        f();
        current_task = prev;
        return;
      }
      if (t && t->status_ == task_status::suspended) t->status_ = task_status::running;
      ++depth_;
      const auto start = std::chrono::steady_clock::now();
      f();
      const auto took = std::chrono::steady_clock::now() - start;
      // The task may have ended (and gone) during the step.
      t = trace->task.load(std::memory_order_relaxed);
      const char* waiting = nullptr;
      if (t) {
        if (t->status_ == task_status::running) t->status_ = task_status::suspended;
        waiting = t->waiting_on();
      }
      current_task = prev;
      // An inline (nested) step ends first and is the culprit: report it, not its outer step.
      --depth_;
      if (took > slow_step && !reported_) {
        report_slow_step(*trace, waiting, took);
        reported_ = true;
      }
      if (depth_ == 0) reported_ = false;
    }
  };

  static inline thread_local int depth_ = 0;
  static inline thread_local bool reported_ = false;

  executor inner_;
  std::shared_ptr<task_trace> trace_;
  std::chrono::nanoseconds slow_step_;
};

/// The executor of a task that carries a context (corio/context.hpp) on an io_context, outside
/// debug mode: it attributes each step to its task (current_task) and nothing else. Small enough
/// (an io_context executor and the trace: 24 bytes) for any_io_executor to hold it in place, so that
/// copies and Asio's prefer/require conversions allocate nothing.
template <typename Inner>
class context_executor {
public:
  context_executor(Inner inner, std::shared_ptr<task_trace> trace) noexcept
      : inner_(std::move(inner)), trace_(std::move(trace)) {}

  [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

  asio::execution_context& query(asio::execution::context_t) const noexcept {
    return asio::query(inner_, asio::execution::context);
  }
  asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
    return asio::query(inner_, asio::execution::blocking);
  }

  template <typename Property>
  auto require(Property p) const -> context_executor<std::decay_t<decltype(asio::require(std::declval<const Inner&>(), p))>>
    requires asio::can_require_v<const Inner&, Property>
  {
    return {asio::require(inner_, p), trace_};
  }
  template <typename Property>
  auto prefer(Property p) const -> context_executor<std::decay_t<decltype(asio::prefer(std::declval<const Inner&>(), p))>>
    requires asio::can_prefer_v<const Inner&, Property>
  {
    return {asio::prefer(inner_, p), trace_};
  }

  template <typename F>
  void execute(F&& f) const {
    inner_.execute(step<std::decay_t<F>>{std::forward<F>(f), trace_});
  }

  friend bool operator==(const context_executor& a, const context_executor& b) noexcept {
    return a.inner_ == b.inner_ && a.trace_ == b.trace_;
  }
  friend bool operator!=(const context_executor& a, const context_executor& b) noexcept { return !(a == b); }

private:
  template <typename F>
  struct step {
    F f;
    std::shared_ptr<task_trace> trace;
    void operator()() {
      task_base* const prev = current_task;
      current_task = trace->task.load(std::memory_order_relaxed);
      f();
      current_task = prev;
    }
  };

  Inner inner_;
  std::shared_ptr<task_trace> trace_;
};

using io_context_executor = context_executor<asio::io_context::executor_type>;
static_assert(sizeof(io_context_executor) <= sizeof(std::shared_ptr<void>) + sizeof(void*),
              "corio: context_executor fits any_io_executor's small buffer");

/// `ex` wrapped for a task with a context: the compact executor on an io_context, else the traced
/// one, untimed.
inline executor context_wrapped(const executor& ex, std::shared_ptr<task_trace> trace) {
  if (const auto* io = ex.target<asio::io_context::executor_type>()) return io_context_executor(*io, std::move(trace));
  return traced_executor(ex, std::move(trace), traced_executor::untimed);
}

using io_context_executor_tracked = context_executor<std::decay_t<decltype(asio::prefer(
    std::declval<const asio::io_context::executor_type&>(), asio::execution::outstanding_work.tracked))>>;

/// True if `ex` is a debug-mode task's or a context task's wrapper (one type check).
inline bool is_wrapped(const executor& ex) noexcept {
  const std::type_info& t = ex.target_type();
  // The common case first, by address: an unequal type_info comparison costs a strcmp.
  if (&t == &typeid(asio::io_context::executor_type)) return false;
  return t == typeid(traced_executor) || t == typeid(io_context_executor) || t == typeid(io_context_executor_tracked);
}

/// The executor a debug-mode task or a task with a context runs on, without its wrapper (`ex`
/// itself otherwise).
inline executor untraced(const executor& ex) noexcept {
  if (!is_wrapped(ex)) return ex;
  if (const auto* traced = ex.target<traced_executor>()) return traced->inner();
  if (const auto* c = ex.target<io_context_executor>()) return c->inner();
  if (const auto* c = ex.target<io_context_executor_tracked>()) {
    return asio::prefer(c->inner(), asio::execution::outstanding_work.untracked);
  }
  return ex;
}

/// True if the calling thread is running `ex`'s io_context (or strand) now. False when unknown.
inline bool running_in_this_thread(const executor& ex) noexcept {
  using io_executor = asio::io_context::executor_type;
  using io_executor_tracked = decltype(asio::prefer(std::declval<const io_executor&>(),
                                                    asio::execution::outstanding_work.tracked));
  if (const auto* io = ex.target<io_executor>()) return io->running_in_this_thread();
  if (const auto* io = ex.target<io_executor_tracked>()) return io->running_in_this_thread();
  if (const auto* s = ex.target<asio::strand<io_executor>>()) return s->running_in_this_thread();
  if (const auto* s = ex.target<asio::strand<executor>>()) return s->running_in_this_thread();
  return false;
}

/// True if the calling thread is running a handler of `ex`'s io_context now, whatever wraps it
/// (a strand, a test's scheduler). False when unknown.
inline bool running_in_context_thread(const executor& ex) noexcept {
  if (running_in_this_thread(ex)) return true;
  if (!running_a_context()) return false;
  return &asio::query(initiating_executor(), asio::execution::context) == &asio::query(ex, asio::execution::context);
}

}  // namespace corio::detail
