// corio/detail/spawn.hpp — how spawn() starts a task: the task's bottom frame (task_entry), the
// work it keeps on its context, and spawn_in(), which the scopes (task_group, gather, race, …) use
// to start children that report their end to them. Internal; corio/task.hpp is the interface.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/detail/traced_executor.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <cassert>
#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace corio {

template <typename T>
class task;

namespace detail {

/// A callable returning a corio::awaitable (a coroutine function or lambda).
template <typename F>
concept coroutine_factory = std::invocable<F&> && requires {
  typename std::invoke_result_t<F&>::value_type;
  requires std::is_same_v<std::invoke_result_t<F&>, awaitable<typename std::invoke_result_t<F&>::value_type>>;
};

template <typename F>
using factory_result_t = typename std::invoke_result_t<F&>::value_type;

/// Owns `f` for as long as the coroutine it returns runs (as co_spawn does with a function).
template <typename F>
awaitable<factory_result_t<F>> call_and_await(F f) {
  co_return co_await std::invoke(f);
}


/// Outstanding work on an executor's context for as long as it lives, like co_spawn's work guard:
/// for an io_context a counter increment (no type-erased tracked executor in every task's frame).
class context_work {
public:
  explicit context_work(const executor& ex) {
    std::optional<executor> unwrapped;
    if (is_wrapped(ex)) [[unlikely]] unwrapped.emplace(untraced(ex));
    const executor& plain = unwrapped ? *unwrapped : ex;
    using io_executor = asio::io_context::executor_type;
    if (const auto* io = plain.target<io_executor>()) {
      io_ = &io->context();
      io->on_work_started();
    } else {
      other_ = std::make_unique<executor>(asio::prefer(plain, asio::execution::outstanding_work.tracked));
    }
  }
  ~context_work() {
    if (io_) io_->get_executor().on_work_finished();
  }
  context_work(const context_work&) = delete;
  context_work& operator=(const context_work&) = delete;

private:
  asio::io_context* io_ = nullptr;
  std::unique_ptr<executor> other_;
};

template <typename T>
void discard(awaitable<T> aw) noexcept {
  (void)aw;
}

/// The bottom frame of a task's Asio coroutine thread: one frame instead of co_spawn's entry
/// point plus a body coroutine, no cancellation proxy (the thread's cancellation state hangs
/// directly off the task's signal, which is only emitted on the task's executor) and one work
/// guard instead of two. (Built on Asio 1.26's awaitable_thread, which co_spawn itself uses.)
template <typename T>
asio::awaitable<coroutine_thread_entry, executor> task_entry(std::shared_ptr<task_state<T>> st,
                                                                                 awaitable<T> aw) {
  // Keeps the context running while the task waits on something that is not an Asio operation
  // (an event, a queue, another task), as co_spawn does.
  const context_work work(st->ex_);
  // Like asyncio.create_task, spawning schedules the body: spawn_in() launches this frame from a
  // posted function, never inside spawn() itself.
  std::exception_ptr e;
  if (st->cancel_requested_) {
    // cancel() before the first step: the body never runs (its unstarted frame goes first).
    discard(std::move(aw));
    e = cancellation_error();
  } else {
    assert(st->status_ == task_status::scheduled && "corio: a task's body starts once");
    st->status_ = task_status::running;
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(aw);
      } else {
        st->set_value(co_await std::move(aw));
      }
    } catch (...) {
      e = std::current_exception();
    }
  }
  st->finish(std::move(e));
}

struct task_access {
  template <typename T>
  static task<T> make(std::shared_ptr<task_state<T>> st) {
    return task<T>(std::move(st));
  }
  template <typename T>
  static task_state<T>& state(const task<T>& t) {
    return *t.st_;
  }
};

/// Spawns `aw` as a task whose end is also reported to `observer` (a scope).
/// `out`, if given, receives the value instead of the task's state (task_state::out_).
/// The child inherits the context of the code that spawns it (the one context::run() lends, else
/// the running task's), unless `context` (non-null) gives one.
/// With `eager` (asyncio 3.12's eager tasks), a child spawned from a handler of its own executor's
/// context runs its first step inside spawn_in, up to its first suspension (or its end); `adopt`,
/// if given, is called with the new task before any of its steps runs (a scope links it there).
template <typename T>
task<T> spawn_in(const executor& ex, awaitable<T> aw, std::string name, exit_observer* observer,
                 std::optional<value_or_monostate<T>>* out = nullptr, const context_ptr* context = nullptr,
                 bool eager = false, void (*adopt)(void*, task_base&) = nullptr, void* adopt_ctx = nullptr) {
  // A child spawned from inside a traced (debug-mode) task gets its own trace, not its parent's.
  // (A copy only when `ex` is a wrapper: spawning from a plain executor copies nothing here.)
  std::optional<executor> unwrapped;
  if (is_wrapped(ex)) [[unlikely]] unwrapped.emplace(untraced(ex));
  const executor& inner = unwrapped ? *unwrapped : ex;
  auto& registry = task_registry::of(inner);
  auto st = std::make_shared<task_state<T>>(inner);
  st->set_name(std::move(name));
  st->id_ = next_task_id();
  st->created_ = coarse_now();
  st->observer_ = observer;
  st->out_ = out;
  st->registry_ = &registry;
  if (context) [[unlikely]] {
    st->context_ = *context;
  } else if (borrowed_context) [[unlikely]] {
    st->context_ = *borrowed_context;
  } else if (current_task && current_task->context_) [[unlikely]] {
    st->context_ = current_task->context_;
  }
  const bool debug = registry.debug();
  if (debug || st->context_ || registry.attributes()) [[unlikely]] {
    st->trace_ = std::make_shared<task_trace>();
    st->trace_->task.store(st.get(), std::memory_order_relaxed);
    st->trace_->id = st->id_;
    if (debug) st->trace_->name = st->name();
    st->ex_ = debug ? executor(traced_executor(inner, st->trace_, registry.slow_step()))
                    : context_wrapped(inner, st->trace_);
  }
  coroutine_thread<executor> thread(task_entry<T>(st, std::move(aw)), st->ex_, st->signal_.slot(),
                                                  asio::cancellation_state(st->signal_.slot()));
  if (adopt) adopt(adopt_ctx, *st);
  // Listed last, once complete: the task dump reads a listed task's fields (its scope, set by
  // `adopt`) from any thread under the registry's lock.
  registry.add(*st);
  if (eager && running_in_context_thread(inner)) {
    // The first step runs here, attributed to the new task as its executor would (and not in a
    // context that context::run lends the spawner: the child has its own copy).
    task_base* const prev = current_task;
    context_ptr* const prev_borrowed = borrowed_context;
    current_task = st->trace_ ? st.get() : nullptr;
    borrowed_context = nullptr;
    thread.launch();
    current_task = prev;
    borrowed_context = prev_borrowed;
    return task_access::make(std::move(st));
  }
  auto launch = [thread = std::move(thread)]() mutable { thread.launch(); };
  // Posted straight to the io_context when that is the executor: one operation block, where the
  // type-erased executor wraps the function in a second one. (`task_ex` lives as long as
  // `launch` does: the entry frame that `launch` owns holds the task's state.)
  const executor* task_ex = &st->ex_;
  const auto* io = task_ex->template target<asio::io_context::executor_type>();
  auto post_launch = [task_ex, io](auto&& fn) {
    if (io) asio::post(*io, std::forward<decltype(fn)>(fn));
    else asio::post(*task_ex, std::forward<decltype(fn)>(fn));
  };
  if (running_in_this_thread(inner)) {
    post_launch(std::move(launch));
  } else {
    // From another thread (or before run()): two hops — posted to the task's executor, which
    // posts the launch — so a cancel() dispatched right after spawn() arrives before the body's
    // first step (test: cancel_before_start_never_runs_the_body).
    post_launch([post_launch, launch = std::move(launch)]() mutable { post_launch(std::move(launch)); });
  }
  return task_access::make(std::move(st));
}

}  // namespace detail
}  // namespace corio
