// corio/task.hpp — spawn a coroutine as a task (asyncio.create_task) and await its result.
//
// `spawn(ex, aw, name)` starts `aw` on `ex` right away (it is scheduled at once and runs as soon as
// the executor gets to it) and returns a `task<T>` handle. `co_await t.wait()` (rather than
// `co_await t`; see wait() for why) gives the value or rethrows;
// several coroutines may await the same task and each gets the value (copied; a move-only value can
// be taken once) or the exception. Tasks from `spawn` are unstructured: nothing waits for them. Use
// task_group (corio/task_group.hpp) when the lifetime of children should be bounded by a scope.
// A task that fails and whose error nobody retrieved is reported through the "corio" logger when
// its last handle goes away — never lost silently.
//
// `task<T>` is also an Asio asynchronous operation with signature `void(std::exception_ptr, T)`
// (`void(std::exception_ptr)` for T = void): `t(asio::use_future)` or `t(callback)` work too.
// T must be default-constructible when awaited (as with Asio's co_spawn); wrap it in std::optional
// otherwise.
//
// Cancellation: `t.cancel()` requests cancellation: a task that has not started never runs its
// body; a running one sees operation_aborted at its current and every later suspension point
// (level-triggered). Cancelling a coroutine that awaits `t` stops only that wait (it throws
// operation_aborted); the task keeps running.
// Context: the task inherits the spawner's context (corio/context.hpp), or runs in the one given.
// Exceptions: awaiting rethrows the task's exception (the same exception object for every awaiter).
// Thread safety: the handle is a value type (copies share one task). `cancel()` and awaiting are
// safe from any thread; they are carried out on the task's executor (cancelling an awaiter on
// another executor withdraws it there, and it resumes on its own executor). `done()`,
// `cancelled()` and `get()` read state owned by that executor: call them there.
#pragma once

#include <corio/config.hpp>
#include <corio/context.hpp>
#include <corio/detail/spawn.hpp>
#include <corio/detail/task_state.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

namespace corio {

template <typename T = void>
class task {
public:
  using value_type = T;

  /// An empty handle; valid() is false.
  task() = default;

  [[nodiscard]] bool valid() const noexcept { return st_ != nullptr; }
  [[nodiscard]] bool done() const noexcept { return st_->done(); }
  /// True if the task ended with a cancellation.
  [[nodiscard]] bool cancelled() const noexcept {
    return st_->status_ == detail::task_status::cancelled;
  }
  [[nodiscard]] const std::string& name() const noexcept { return st_->name(); }
  /// Process-unique id (also shown by dump_tasks()).
  [[nodiscard]] std::uint64_t id() const noexcept { return st_->id_; }
  [[nodiscard]] const executor& get_executor() const noexcept { return st_->ex_; }

  /// Requests cancellation; returns at once (see Cancellation above). Idempotent.
  void cancel() const {
    asio::dispatch(st_->ex_, [st = st_] { st->request_cancel(); });
  }

  /// The result of a finished task, without suspending; rethrows its exception.
  /// Throws std::logic_error if it has not finished.
  T get() const { return st_->get(); }

  /// Waits for the task (Asio async operation; see the header comment).
  template <typename CompletionToken>
  auto async_wait(CompletionToken&& token) const {
    return asio::async_initiate<CompletionToken, typename detail::task_state<T>::signature>(
        [](auto handler, std::shared_ptr<detail::task_state<T>> st) {
          using state = detail::task_state<T>;
          // A cancellable awaiter on another executor (thread) connects its cancellation slot here,
          // on its own thread: Asio's slots are not thread-safe (see task_state::remote_wait).
          const bool remote = asio::get_associated_cancellation_slot(handler).is_connected() &&
                              asio::get_associated_executor(handler, st->ex_) != st->ex_;
          // (any_completion_handler connects a cancellation state of its own to the handler's
          // slot: from here on, its slot is the one to use.)
          typename state::handler_type h(std::move(handler));
          std::uint64_t remote_id = 0;
          if (remote) {
            remote_id = st->next_remote_id();
            h.get_cancellation_slot().template emplace<typename state::remote_wait>(
                typename state::remote_wait{st, remote_id});
          }
          asio::dispatch(st->ex_, [st, remote_id, h = std::move(h)]() mutable {
            st->add_waiter(st, std::move(h), remote_id);
          });
        },
        token, st_);
  }

  /// `co_await t.wait()`: the value, or the task's exception rethrown. (Asio 1.26 cannot
  /// `co_await` an lvalue operation, so plain `co_await t` works only on rvalues:
  /// `co_await std::move(t)`, `co_await spawn(...)`.)
  /// (use_awaitable, not deferred: Asio 1.26's deferred path cannot complete
  /// void(std::exception_ptr, T).)
  [[nodiscard]] awaitable<T> wait() const {
    detail::note_waiting("task");
    return async_wait(asio::use_awaitable_t<executor>{});
  }

  /// `t(token)` is async_wait(token); makes an rvalue task directly co_await-able.
  template <typename CompletionToken>
    requires asio::completion_token_for<CompletionToken, typename detail::task_state<T>::signature>
  auto operator()(CompletionToken&& token) const {
    return async_wait(std::forward<CompletionToken>(token));
  }

private:
  friend struct detail::task_access;

  explicit task(std::shared_ptr<detail::task_state<T>> st) : st_(std::move(st)) {}

  std::shared_ptr<detail::task_state<T>> st_;
};

/// Starts `aw` on `ex` and returns its handle. `name` shows in logs and dump_tasks().
template <typename T>
task<T> spawn(const executor& ex, awaitable<T> aw, std::string name = {}) {
  return detail::spawn_in<T>(ex, std::move(aw), std::move(name), nullptr);
}

/// Like spawn(), but eager (asyncio 3.12's eager tasks): called from a handler of `ex`'s own
/// context, the body starts inside this call and runs up to its first suspension — or to its end,
/// so that the returned task may be done already — before spawn_eager returns. From anywhere else
/// it is scheduled as spawn() does. Saves a scheduler round trip for a task that often finishes
/// without suspending (a cache hit); the caller's step is longer by the child's first step.
/// Cancellation and exceptions as spawn(): an exception in the first step is the task's (kept for
/// its awaiters, never thrown by spawn_eager); cancel() after it returns reaches the next
/// suspension point. Thread safety: as spawn().
template <typename T>
task<T> spawn_eager(const executor& ex, awaitable<T> aw, std::string name = {}) {
  return detail::spawn_in<T>(ex, std::move(aw), std::move(name), nullptr, nullptr, nullptr, true);
}

/// spawn_eager of a callable returning a coroutine, kept alive until the task ends.
template <detail::coroutine_factory F>
task<detail::factory_result_t<F>> spawn_eager(const executor& ex, F f, std::string name = {}) {
  return spawn_eager(ex, detail::call_and_await(std::move(f)), std::move(name));
}

/// Starts `aw` on `ex` in the context `ctx` (corio/context.hpp) instead of the spawner's.
template <typename T>
task<T> spawn(const executor& ex, awaitable<T> aw, std::string name, const context& ctx) {
  const detail::context_ptr values = ctx.values();
  return detail::spawn_in<T>(ex, std::move(aw), std::move(name), nullptr, nullptr, &values);
}

/// Starts `f()` on `ex`, keeping the callable `f` (and what it captures) alive until the task
/// ends: `spawn(ex, [&, i]() -> corio::awaitable<void> { ... })`. (Calling the lambda at the spawn
/// — `spawn(ex, [&, i]() -> ... { ... }())` — hands over a coroutine whose lambda, and captures,
/// are destroyed as soon as spawn returns.)
template <detail::coroutine_factory F>
task<detail::factory_result_t<F>> spawn(const executor& ex, F f, std::string name = {}) {
  return spawn(ex, detail::call_and_await(std::move(f)), std::move(name));
}

/// Starts `f()` on `ex` in the context `ctx`, keeping `f` alive until the task ends.
template <detail::coroutine_factory F>
task<detail::factory_result_t<F>> spawn(const executor& ex, F f, std::string name, const context& ctx) {
  return spawn(ex, detail::call_and_await(std::move(f)), std::move(name), ctx);
}

/// Corio's tasks run corio::awaitable<T>; a coroutine of another executor type is refused here
/// with the fix, instead of a page of template errors.
template <typename T, typename OtherExecutor>
  requires(!std::is_same_v<OtherExecutor, executor>)
task<T> spawn(const executor&, asio::awaitable<T, OtherExecutor>, std::string = {}) {
  static_assert(std::is_same_v<OtherExecutor, executor>,
                "corio::spawn runs corio::awaitable<T> (asio::awaitable<T, asio::any_io_executor>); this "
                "coroutine has another executor type: declare it as corio::awaitable<T>, or start it with "
                "asio::co_spawn (and await Corio's coroutines inside it through corio::as_operation)");
  return {};
}

template <typename F>
  requires detail::any_foreign_awaitable<F> && std::is_invocable_v<F&>
task<void> spawn(const executor&, F, std::string = {}) {
  static_assert(detail::always_false<F>, "corio::spawn" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}

/// Same, on an execution context (e.g. an io_context).
template <typename T, typename ExecutionContext>
  requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
task<T> spawn(ExecutionContext& ctx, awaitable<T> aw, std::string name = {}) {
  return spawn(executor(ctx.get_executor()), std::move(aw), std::move(name));
}
template <detail::coroutine_factory F, typename ExecutionContext>
  requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
task<detail::factory_result_t<F>> spawn(ExecutionContext& ctx, F f, std::string name = {}) {
  return spawn(executor(ctx.get_executor()), detail::call_and_await(std::move(f)), std::move(name));
}

}  // namespace corio
