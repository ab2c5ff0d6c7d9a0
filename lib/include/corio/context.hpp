// corio/context.hpp — task-local values (Python's contextvars) and the current task.
//
//   inline corio::context_var<std::string> request_id{"request_id"};
//
//   g.spawn(handle(conn), "conn", corio::context::current().with(request_id, "r-17"));
//   ...                                    // inside handle() and every task it spawns:
//   request_id.get();                      // std::optional<std::string>("r-17")
//   request_id.set("r-18");                // this task (and tasks it spawns from now on) only
//
// A context is an immutable set of (context_var, value) pairs. A task carries one when it is
// spawned with one (spawn(..., ctx), task_group::spawn(..., ctx)) or when the code spawning it
// runs in one: a child inherits its spawner's context as it is at the spawn (copied, like
// asyncio.create_task), so a later set() in the parent is not seen by the child, a set() in the
// child is not seen by its parent or its siblings. Group bodies, gather/race children and the
// bodies of timeouts run in the context of the task that started them.
//
// Only tasks that carry a context pay for it: their steps run through an attributing executor
// (on an io_context a 24-byte one that any_io_executor holds in place), which costs Asio its direct
// io_context paths: measured in Release with callgrind, a context on every corio-serve connection
// adds ~1,900 instructions per keep-alive /plaintext request (about 2 % of its cost). Tasks without
// one, and spawn() itself, cost what they did: keep contexts to the tasks whose code reads them.
// Hence the rule: context_var::set() needs a task that carries a context (spawn it with
// `corio::context()`, the empty one, if it has nothing to inherit) or is attributed (below);
// elsewhere it throws std::logic_error. get() works everywhere (empty outside a context).
//
// Threads: the context does not cross to another thread by itself — code passed to
// corio::to_thread / run_in sees no context unless asked: `to_thread(corio::context::current()
// .bind(f))` runs f with a copy of the caller's context (sets inside f change only that copy).
// `ctx.run(f)` does the same synchronously on the calling thread.
//
// current_task() names the task whose step is running on the calling thread: known for a task
// that carries a context, and for every task of an execution context that attributes its tasks —
// `attribute_tasks(ctx)`, `corio::run(main, {.attribute_tasks = true})`, or debug mode
// (corio/debug.hpp); std::nullopt elsewhere (outside any task, or in a plain task). Asio resumes a
// coroutine without telling anyone which one, so knowing it means running each step through an
// attributing executor; for every task that costs ~1.7× the time of a spawn+join and ~1.3× that
// of a yield (perf/results/2026-12-03-current-task.md), which is why it is asked for, not the
// default.
//
// Limitation: a coroutine resumed inline (asio::dispatch from a step of a task with a context,
// not through its own executor) runs in that task's context for the length of that step.
//
// Cancellation: not applicable (nothing here suspends).
// Exceptions: set() outside a context throws std::logic_error; std::bad_alloc.
// Thread safety: a context_var may be used from any thread (it is an identity, no state); the
// values are per task and per thread. A corio::context object is an immutable value: copies may be
// used on any thread.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/context_values.hpp>
#include <corio/detail/task_state.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace corio {

template <typename T>
class context_var;

/// An immutable snapshot of context values (see the header comment). The default one is empty.
class context {
public:
  context() = default;

  /// The calling code's context: the one context::run() lends, else the running task's (empty
  /// outside any context).
  [[nodiscard]] static context current() {
    context c;
    if (detail::borrowed_context) c.values_ = *detail::borrowed_context;
    else if (detail::current_task) c.values_ = detail::current_task->context_;
    return c;
  }

  /// A copy with `var` set to `value`.
  template <typename T, typename U>
  [[nodiscard]] context with(const context_var<T>& var, U&& value) const {
    context c;
    c.values_ = detail::context_with(values_, &var, std::make_shared<const T>(std::forward<U>(value)));
    return c;
  }

  /// The value of `var` in this context, if set (its default otherwise, if it has one).
  template <typename T>
  [[nodiscard]] std::optional<T> get(const context_var<T>& var) const {
    return var.lookup(values_.get());
  }

  [[nodiscard]] bool empty() const noexcept { return !values_ || values_->entries.empty(); }

  /// Calls `f()` on the calling thread with a copy of this context as the current one; set()
  /// inside changes that copy only. Returns what f returns.
  template <typename F>
  decltype(auto) run(F&& f) const {
    detail::context_ptr lent = values_ ? values_ : std::make_shared<const detail::context_values>();
    detail::context_ptr* const prev = detail::borrowed_context;
    detail::borrowed_context = &lent;
    struct restore {
      detail::context_ptr* prev;
      ~restore() { detail::borrowed_context = prev; }
    } r{prev};
    return std::forward<F>(f)();
  }

  /// `f` wrapped so that calling it (on any thread) runs it with a copy of this context, as run().
  template <typename F>
  [[nodiscard]] auto bind(F f) const {
    return [ctx = *this, f = std::move(f)](auto&&... args) mutable -> decltype(auto) {
      return ctx.run([&]() -> decltype(auto) { return f(std::forward<decltype(args)>(args)...); });
    };
  }

  /// (For spawn: the values, never null.)
  [[nodiscard]] detail::context_ptr values() const {
    return values_ ? values_ : std::make_shared<const detail::context_values>();
  }

private:
  detail::context_ptr values_;
};

/// A task-local variable: an identity (its address) with a name and an optional default. Declare
/// it once, at namespace scope or as a static member; it is neither copyable nor movable.
template <typename T>
class context_var {
public:
  explicit context_var(std::string name) : name_(std::move(name)) {}
  context_var(std::string name, T default_value) : name_(std::move(name)), default_(std::move(default_value)) {}
  context_var(const context_var&) = delete;
  context_var& operator=(const context_var&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// The value in the current context; the default if unset there (or outside any context);
  /// std::nullopt if there is neither.
  [[nodiscard]] std::optional<T> get() const { return lookup(current_values()); }

  /// The value in the current context, else `fallback`.
  [[nodiscard]] T get_or(T fallback) const {
    auto v = get();
    return v ? std::move(*v) : std::move(fallback);
  }

  /// True if the current context sets this variable (a default does not count).
  [[nodiscard]] bool is_set() const {
    const auto* values = current_values();
    return values && values->find(this) != nullptr;
  }

  /// Sets the variable in the current task's context (or in the context that context::run lends):
  /// seen from now on by this task and by the tasks it spawns afterwards. Throws std::logic_error
  /// where there is no context (see the header comment).
  void set(T value) const { assign(std::make_shared<const T>(std::move(value))); }

  /// Unsets the variable in the current context (get() gives the default again).
  void reset() const { assign(nullptr); }

private:
  friend class context;

  static const detail::context_values* current_values() noexcept {
    if (detail::borrowed_context) return detail::borrowed_context->get();
    if (detail::current_task) return detail::current_task->context_.get();
    return nullptr;
  }

  std::optional<T> lookup(const detail::context_values* values) const {
    if (values) {
      if (const auto* v = values->find(this)) return *static_cast<const T*>(v->get());
    }
    return default_;
  }

  void assign(std::shared_ptr<const void> value) const {
    detail::context_ptr* slot = detail::borrowed_context;
    if (!slot && detail::current_task && (detail::current_task->context_ || detail::current_task->trace_)) {
      slot = &detail::current_task->context_;
    }
    if (!slot) {
      throw std::logic_error("corio::context_var '" + name_ +
                             "': set() outside a context: spawn the task with a corio::context (corio::context() "
                             "if it has nothing to inherit), or call it inside corio::context::run");
    }
    *slot = detail::context_with(*slot, this, std::move(value));
  }

  std::string name_;
  std::optional<T> default_;
};

/// The task running on the calling thread: its id (as task::id()) and name.
struct task_info {
  std::uint64_t id = 0;
  std::string name;
};

/// The task whose step runs on the calling thread, where known (see the header comment).
[[nodiscard]] inline std::optional<task_info> current_task() {
  const detail::task_base* t = detail::current_task;
  if (!t) return std::nullopt;
  return task_info{t->id_, t->name()};
}

/// Makes current_task() known in every task spawned on `ctx` from now on (`on` false: in those
/// that carry a context, or all of them in debug mode). Safe from any thread.
inline void attribute_tasks(asio::execution_context& ctx, bool on = true) {
  asio::use_service<detail::task_registry>(ctx).set_attribute(on);
}

}  // namespace corio
