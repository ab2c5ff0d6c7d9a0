// corio/detail/task_state.hpp — the shared state behind corio::task<T>: status, result, the list of
// awaiters, and the cancellation signal bound to the task's coroutine. Internal.
//
// Invariant: every member is touched only on the task's executor (awaiting from elsewhere is
// dispatched there first), so no locks are needed on the hot path.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/context_values.hpp>
#include <corio/detail/registry.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <corio/detail/post_completion.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>

namespace corio::detail {

// `suspended` is tracked only in debug mode (corio/debug.hpp); otherwise a started task is `running`.
enum class task_status : std::uint8_t { scheduled, running, suspended, done, failed, cancelled };
[[nodiscard]] const char* to_string(task_status s) noexcept;

struct task_base;

/// What dump_tasks() shows about the group (scope) a task is a child of.
struct scope_info {
  std::uint64_t id = 0;
  std::uint64_t owner = 0;  // the task that owns the group (known in debug mode)
  const char* kind = nullptr;
};

/// Debug mode: what a task's executor needs to attribute a step to its task.
struct task_trace {
  std::atomic<task_base*> task{nullptr};
  std::uint64_t id = 0;
  std::string name;
  // What the task is suspended on, where Corio knows it (any thread may read it).
  std::atomic<const char*> waiting_on{nullptr};
};

/// The task whose step is running on this thread, for a task that runs through a traced executor:
/// every task in debug mode, and a task that carries a context (corio/context.hpp); null otherwise.
inline thread_local task_base* current_task = nullptr;

/// Debug mode: records what the current task is about to wait on (a string literal).
inline void note_waiting(const char* what) noexcept;

/// Told when a task has ended (its coroutine frame is gone). Scopes and as_completed observe
/// their children this way.
struct exit_observer {
  virtual void child_exited(task_base& t) noexcept = 0;

protected:
  ~exit_observer() = default;
};

/// Logs "task X failed and nobody awaited it" through the "corio" logger (lib/src/log.cpp).
void report_unretrieved(const task_base& t) noexcept;

struct task_base {
  explicit task_base(executor ex) : ex_(std::move(ex)) {}
  task_base(const task_base&) = delete;
  task_base& operator=(const task_base&) = delete;
  virtual ~task_base() {
    if (status_ == task_status::failed && !error_retrieved_) report_unretrieved(*this);
    if (trace_) trace_->task.store(nullptr, std::memory_order_relaxed);
  }

  [[nodiscard]] bool done() const noexcept { return status_ >= task_status::done; }
  [[nodiscard]] const std::string& name() const noexcept {
    static const std::string unnamed;
    return name_ ? *name_ : unnamed;
  }
  void set_name(std::string name) {
    if (!name.empty()) name_ = std::make_unique<std::string>(std::move(name));
  }

  /// Requests cancellation. Before the body starts it never runs; afterwards the coroutine's
  /// current and every later suspension point fail with operation_aborted.
  void request_cancel() {
    if (done() || cancel_requested_) return;
    cancel_requested_ = true;
    if (status_ != task_status::scheduled) signal_.emit(asio::cancellation_type::terminal);
  }

  /// Records how the coroutine ended and wakes awaiters and the observer.
  void finish(std::exception_ptr e) noexcept {
    if (done()) return;
    // A task: scheduled → running ⇄ suspended → done | failed | cancelled, straight from
    // scheduled when cancelled before its first step (test: cancel_before_start_never_runs_the_body).
    // A state that task_group::start uses as its one-shot promise ends from scheduled too.
    if (e && !error_) error_ = std::move(e);
    status_ = !error_ ? task_status::done
              : is_cancellation(error_) ? task_status::cancelled
                                        : task_status::failed;
    if (registry_) registry_->remove(*this);
    wake_waiters();
    if (observer_) observer_->child_exited(*this);
  }

  virtual void wake_waiters() noexcept = 0;

  executor ex_;
  asio::cancellation_signal signal_;
  std::exception_ptr error_;
  // Most tasks have no name: it is allocated only when given (name() is "" otherwise).
  std::unique_ptr<std::string> name_;
  std::uint64_t id_ = 0;
  std::chrono::steady_clock::time_point created_{};
  task_registry* registry_ = nullptr;
  exit_observer* observer_ = nullptr;
  // Links in the owning scope's list of live children.
  task_base* scope_prev_ = nullptr;
  task_base* scope_next_ = nullptr;
  // Links in the registry's list of live tasks.
  task_base* reg_prev_ = nullptr;
  task_base* reg_next_ = nullptr;
  // The group (scope) this task is a child of, if any, and the task that owns that group.
  // (Points into the scope, which outlives every child it has: read only while the task is live.)
  const scope_info* scope_ = nullptr;
  // Debug mode, or a task with a context: shared with the task's traced executor.
  std::shared_ptr<task_trace> trace_;
  // The task's context (corio/context.hpp): null for a task that carries none.
  context_ptr context_;
  // Written on the task's executor; atomic so that dump_tasks() may read it from any thread.
  // (The small members last, together: a derived state's own small member fits in the padding.)
  std::atomic<task_status> status_{task_status::scheduled};
  bool cancel_requested_ = false;
  bool error_retrieved_ = false;

  /// What the task is suspended on, where Corio knows it (debug mode only; null otherwise).
  [[nodiscard]] const char* waiting_on() const noexcept {
    return trace_ ? trace_->waiting_on.load(std::memory_order_relaxed) : nullptr;
  }
};

inline void note_waiting(const char* what) noexcept {
  if (current_task && current_task->trace_) [[unlikely]]
    current_task->trace_->waiting_on.store(what, std::memory_order_relaxed);
}

template <typename T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <typename T>
struct wait_signature {
  using type = void(std::exception_ptr, T);
};
template <>
struct wait_signature<void> {
  using type = void(std::exception_ptr);
};

template <typename T>
class task_state final : public task_base {
  // First: a small value (void's monostate) goes into task_base's tail padding.
  std::optional<value_or_monostate<T>> value_;

public:
  using signature = typename wait_signature<T>::type;
  using handler_type = asio::any_completion_handler<signature>;

  using task_base::task_base;
  ~task_state() override {
    // Awaiters still linked here belong to coroutines that were destroyed with their context.
    while (waiters_) delete unlink(waiters_);
  }

  template <typename V>
  void set_value(V&& v) {
    if (out_) out_->emplace(std::forward<V>(v));
    else value_.emplace(std::forward<V>(v));
  }

  /// gather: where the value goes instead of this state (the caller's slot, which outlives the
  /// task; no handle keeps this state alive once the task ends). Set before the task starts.
  std::optional<value_or_monostate<T>>* out_ = nullptr;

  /// Synchronous result of a finished task; rethrows its exception.
  T get() {
    if (!done()) throw std::logic_error("corio::task::get: the task has not finished");
    if (error_) {
      error_retrieved_ = true;
      std::rethrow_exception(error_);
    }
    if constexpr (!std::is_void_v<T>) return take_value();
  }

  /// Registers `h` to be completed (on its own executor) when the task ends. Runs on ex_.
  /// `remote_id` is non-zero for an awaiter on another executor, whose cancellation slot was
  /// already connected on its own executor (see remote_wait below); 0: the awaiter is on ex_.
  /// `self` is this task's own shared_ptr (kept by a cancellable awaiter's slot handler).
  void add_waiter(const std::shared_ptr<task_state>& self, handler_type h, std::uint64_t remote_id = 0) {
    if (done()) {
      complete(std::move(h), remote_id != 0);
      return;
    }
    auto* w = new waiter{std::move(h)};
    w->remote_id = remote_id;
    w->next = waiters_;
    if (waiters_) waiters_->prev = w;
    waiters_ = w;
    if (remote_id != 0) return;
    auto slot = w->handler.get_cancellation_slot();
    if (slot.is_connected()) {
      slot.template emplace<cancel_waiter>(cancel_waiter{self, w});
    }
  }

  /// A fresh (process-unique, non-zero) id for a remote awaiter (any thread).
  static std::uint64_t next_remote_id() noexcept { return next_task_id(); }

  /// The slot handler of an awaiter on another executor. Asio's cancellation slots are not
  /// thread-safe: a slot is connected, emitted and cleared only on its awaiter's executor. This
  /// handler is installed there when the wait starts; on emission it hops to the task's executor
  /// and withdraws the waiter by id (it may have been completed meanwhile: then nothing happens).
  struct remote_wait {
    std::shared_ptr<task_state> self;
    std::uint64_t id;
    void operator()(asio::cancellation_type) {
      asio::dispatch(self->ex_, [self = self, id = id] {
        for (waiter* w = self->waiters_; w; w = w->next) {
          if (w->remote_id == id) {
            self->withdraw(w);
            return;
          }
        }
      });
    }
  };

  void wake_waiters() noexcept override {
    // Oldest awaiter first: the list is pushed at the front, so walk from the back.
    waiter* last = waiters_;
    while (last && last->next) last = last->next;
    while (last) {
      waiter* prev = last->prev;
      unlink(last);
      const bool remote = last->remote_id != 0;
      if (!remote) last->handler.get_cancellation_slot().clear();
      complete(std::move(last->handler), remote);
      delete last;
      last = prev;
    }
  }

private:
  struct waiter {
    handler_type handler;
    waiter* prev = nullptr;
    waiter* next = nullptr;
    std::uint64_t remote_id = 0;
  };

  // An awaiter that is cancelled stops waiting; the task itself keeps running (cancel it with
  // task::cancel()). Emitted on the awaiter's thread, so hop to the task's executor.
  struct cancel_waiter {
    std::shared_ptr<task_state> self;
    waiter* w;
    void operator()(asio::cancellation_type) {
      asio::dispatch(self->ex_, [self = self, w = w] {
        if (self->done()) return;  // already completed normally
        w->handler.get_cancellation_slot().clear();
        self->withdraw(w);
      });
    }
  };

  /// Removes a waiting awaiter and completes it with operation_aborted. Runs on ex_.
  void withdraw(waiter* w) {
    unlink(w);
    const bool remote = w->remote_id != 0;
    auto h = std::move(w->handler);
    delete w;
    if constexpr (std::is_void_v<T>) {
      post_to(std::move(h), remote, cancellation_error());
    } else {
      post_to(std::move(h), remote, cancellation_error(), T{});
    }
  }

  waiter* unlink(waiter* w) noexcept {
    if (w->prev) w->prev->next = w->next;
    else waiters_ = w->next;
    if (w->next) w->next->prev = w->prev;
    w->prev = w->next = nullptr;
    return w;
  }

  /// Completes `h` on its own executor; a remote awaiter's slot is cleared there first.
  template <typename... Args>
  void post_to(handler_type h, bool remote, Args&&... args) {
    if (!remote) {
      post_completion(ex_, std::move(h), std::forward<Args>(args)...);
      return;
    }
    auto hex = asio::get_associated_executor(h, ex_);
    post_completion(ex_, asio::bind_executor(std::move(hex), [h = std::move(h)](auto&&... a) mutable {
                      h.get_cancellation_slot().clear();
                      std::move(h)(std::forward<decltype(a)>(a)...);
                    }),
                    std::forward<Args>(args)...);
  }

  void complete(handler_type h, bool remote) noexcept {
    try {
      if (error_) {
        error_retrieved_ = true;
        if constexpr (std::is_void_v<T>) post_to(std::move(h), remote, error_);
        else post_to(std::move(h), remote, error_, T{});
      } else if constexpr (std::is_void_v<T>) {
        post_to(std::move(h), remote, std::exception_ptr());
      } else {
        post_to(std::move(h), remote, std::exception_ptr(), take_value());
      }
    } catch (...) {
      // A value that could not be copied or moved (or a second awaiter of a move-only value).
      if constexpr (std::is_void_v<T>) post_to(std::move(h), remote, std::current_exception());
      else post_to(std::move(h), remote, std::current_exception(), T{});
    }
  }

  T take_value() {
    if constexpr (!std::is_void_v<T>) {
      if constexpr (std::is_copy_constructible_v<T>) {
        return *value_;
      } else {
        if (!value_) throw std::logic_error("corio::task: a move-only result can be taken once");
        T v = std::move(*value_);
        value_.reset();
        return v;
      }
    }
  }

  waiter* waiters_ = nullptr;
};

}  // namespace corio::detail
