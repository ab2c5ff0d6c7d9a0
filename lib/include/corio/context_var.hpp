// corio/context_var.hpp — task-local context (Python's contextvars) and the running task's identity.
//
//   inline corio::context_var<std::string> request_id{"request_id", "-"};   // namespace scope
//   auto token = request_id.set("c1-r7");   // this task, and the tasks it spawns from now on
//   log("{} ...", request_id.get());        // "c1-r7" here and in those children; "-" elsewhere
//   request_id.reset(std::move(token));     // back to what it was before set()
//
// Every task has a context: a map from context_var to value. A task spawned (spawn, task_group,
// gather, race, …) starts with a copy of its spawner's context taken at the spawn, as asyncio's
// create_task does: set() in the child never changes the parent's or a sibling's value, nor does a
// later set() in the parent reach a child already spawned. A plain `co_await sub()` runs in the same
// task and shares its context. to_thread does not carry the context: wrap the function with
// `corio::bind_context(f)` (Python's `copy_context().run`) to run it with a copy taken at the wrap.
// The copy is cheap: a task shares its spawner's map until one of them sets a variable; a spawn in a
// program where no variable was ever set copies nothing.
//
// Where the running task is known: Corio tracks it while a task runs once any context_var has been
// constructed in the process (declare them at namespace scope, as Python advises: they exist before
// main, so every task is tracked), or in debug mode (corio/debug.hpp). Tracking sends each step of
// a task through a wrapping executor, as debug mode does without its timing: spawning and resuming
// cost more than untracked tasks (perf/micro.cpp's spawn benchmark shows how much). Tasks spawned
// before the first context_var existed are untracked: there, get() returns the default, set()
// throws, current_task() returns std::nullopt.
//
// current_task() returns the running task's id and name (as dump_tasks shows them), or
// std::nullopt outside any task (a plain thread, a to_thread function, a coroutine started with
// asio::co_spawn, or an untracked task).
//
// Cancellation: not applicable (nothing here suspends).
// Exceptions: set() and reset() throw std::logic_error outside any task or bind_context call;
// reset() throws std::logic_error for a token of another variable or one already used. get() throws
// only std::bad_alloc (from copying the value).
// Thread safety: a task's context belongs to the task (its executor's thread); a context copied by
// bind_context may be used on any thread (values are shared immutable: T must be safe to read
// concurrently). Constructing a context_var is safe from any thread.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/task_state.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace corio {

/// The running task, as dump_tasks() shows it.
struct task_info {
  std::uint64_t id = 0;
  std::string name;  // "" for an unnamed task
};

/// The task running now on this thread, or std::nullopt (see the header comment).
[[nodiscard]] std::optional<task_info> current_task();

template <typename T>
class context_var {
public:
  /// What set() returns: reset() with it restores the value the variable had before that set().
  /// Move-only; usable once.
  class token {
  public:
    token(token&& other) noexcept
        : var_(std::exchange(other.var_, 0)), previous_(std::move(other.previous_)) {}
    token& operator=(token&&) = delete;

  private:
    friend class context_var;
    token(std::uint64_t var, std::shared_ptr<const void> previous) : var_(var), previous_(std::move(previous)) {}
    std::uint64_t var_;
    std::shared_ptr<const void> previous_;  // null: the variable was unset
  };

  explicit context_var(std::string name, T default_value = T{});
  context_var(const context_var&) = delete;
  context_var& operator=(const context_var&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// The value in the running task's context (or bind_context call's); the default if unset.
  [[nodiscard]] T get() const;
  /// Sets the value in the running task's context (or bind_context call's).
  [[nodiscard("reset() needs the token")]] token set(T value);
  /// Restores the value the variable had before the set() that returned `t`.
  void reset(token t);

  /// set() now, reset() at the end of the scope.
  class scoped {
  public:
    scoped(context_var& v, T value) : v_(v), t_(v.set(std::move(value))) {}
    scoped(const scoped&) = delete;
    scoped& operator=(const scoped&) = delete;
    ~scoped() {
      try {
        v_.reset(std::move(t_));
      } catch (...) {  // destroyed outside the task (its frame destroyed with its context)
      }
    }

  private:
    context_var& v_;
    token t_;
  };

private:
  std::string name_;
  T default_;
  std::uint64_t id_;
};

/// A snapshot of the running task's context (copy_context() in Python).
class context {
public:
  /// Runs `f(args...)` on the calling thread in a copy of this snapshot: get() sees its values,
  /// set() changes only that copy, which is dropped when `f` returns.
  template <typename F, typename... Args>
  decltype(auto) run(F&& f, Args&&... args) const;

private:
  friend context copy_context();
  detail::context_ptr map_;
};

/// The running task's context now (an empty one outside any task).
[[nodiscard]] context copy_context();

/// `f` wrapped to run in a copy of the context taken now: `auto job = corio::bind_context(f);
/// co_await corio::to_thread(job, args...);` carries the task's context to the thread.
template <typename F>
[[nodiscard]] auto bind_context(F f);

// Implementation

namespace detail {

/// The context the code running now sees: bind_context's, else the current task's, else null.
[[nodiscard]] inline context_ptr* current_context() noexcept {
  if (context_override) return context_override;
  return current_task ? &current_task->context_ : nullptr;
}

/// A new variable's id; turns task tracking on (lib/src/context_var.cpp).
std::uint64_t register_context_var() noexcept;
/// The value of `var` in `ctx` (null if unset).
[[nodiscard]] std::shared_ptr<const void> context_lookup(const context_ptr& ctx, std::uint64_t var) noexcept;
/// Replaces `ctx` by a copy where `var` is `value` (null: unset); returns the previous value.
std::shared_ptr<const void> context_assign(context_ptr& ctx, std::uint64_t var, std::shared_ptr<const void> value);
/// The running context, or std::logic_error naming `what` and the variable.
[[nodiscard]] context_ptr& running_context(const char* what, const std::string& var);

template <typename F>
struct context_bound {
  context ctx;
  F f;
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    return ctx.run(f, std::forward<Args>(args)...);
  }
};

}  // namespace detail

template <typename T>
context_var<T>::context_var(std::string name, T default_value)
    : name_(std::move(name)), default_(std::move(default_value)), id_(detail::register_context_var()) {}

template <typename T>
T context_var<T>::get() const {
  const detail::context_ptr* ctx = detail::current_context();
  if (!ctx || !*ctx) return default_;
  auto v = detail::context_lookup(*ctx, id_);
  return v ? *static_cast<const T*>(v.get()) : default_;
}

template <typename T>
typename context_var<T>::token context_var<T>::set(T value) {
  detail::context_ptr& ctx = detail::running_context("set", name_);
  auto previous = detail::context_assign(ctx, id_, std::make_shared<const T>(std::move(value)));
  return token(id_, std::move(previous));
}

template <typename T>
void context_var<T>::reset(token t) {
  if (t.var_ == 0) throw std::logic_error("corio::context_var::reset: the token of '" + name_ + "' was already used");
  if (t.var_ != id_) throw std::logic_error("corio::context_var::reset: the token is another variable's, not '" + name_ + "'s");
  detail::context_ptr& ctx = detail::running_context("reset", name_);
  detail::context_assign(ctx, id_, std::move(t.previous_));
}

template <typename F, typename... Args>
decltype(auto) context::run(F&& f, Args&&... args) const {
  detail::context_ptr copy = map_;
  struct restore {
    detail::context_ptr* prev;
    ~restore() { detail::context_override = prev; }
  } guard{std::exchange(detail::context_override, &copy)};
  return std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
}

template <typename F>
auto bind_context(F f) {
  return detail::context_bound<F>{copy_context(), std::move(f)};
}

}  // namespace corio
