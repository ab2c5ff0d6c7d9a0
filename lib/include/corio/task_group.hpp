// corio/task_group.hpp — structured concurrency: asyncio.TaskGroup / Trio nursery, and Kotlin's
// supervisorScope.
//
//   co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
//     g.spawn(fetch(a));                          // a coroutine...
//     g.spawn([&, i]() -> corio::awaitable<void> { co_await work(i); });   // ...or a callable
//     auto port = co_await g.start<int>(serve);   // resumes once serve() calls started(port)
//     ...
//   });
//
// The body and its children form one scope, which ends only when every child has ended — even if
// the body returned first. task_group: the first failure (body or child) cancels the body and all
// siblings; when everything has ended, `run` throws corio::exception_group holding every error that
// was not a cancellation, in the order they happened. supervisor: children fail independently
// (nothing is cancelled); the errors are thrown together at the end the same way.
// `g.cancel()` ends the scope quietly: everything is cancelled and `run` returns normally (unless
// some child failed). Spawning into a group that is shutting down (cancelled or failed) or finished
// throws std::logic_error. The group object lives in `run`'s frame: do not keep references to it.
//
// `g.start<T>(fn)` spawns `fn(corio::start_handle<T>)` as a child and resumes the caller once the
// child calls `handle.started(value)` (Trio's nursery.start): errors before that go to the caller,
// not to the group; returning without calling started() is a std::logic_error for the caller.
//
// Cancellation: cancelling the coroutine that awaits `run` cancels the body and every child, waits
// for them all, then throws operation_aborted (or exception_group if some child failed for another
// reason). A child that catches its cancellation and keeps going (shielded) delays the end.
// Exceptions: exception_group as above; std::logic_error for misuse.
// Thread safety: executor-affine. Use a group from coroutines on the executor that runs `run`
// (children inherit it); on a multi-threaded io_context, run it on a strand.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/scope.hpp>
#include <corio/exception_group.hpp>
#include <corio/task.hpp>

#include <functional>
#include <string>
#include <type_traits>

namespace corio {

/// Given to the function started by task_group::start; call started(value) once it is ready.
template <typename T = void>
class start_handle {
public:
  /// Resumes the start() caller with `value`. Throws std::logic_error if called twice.
  template <typename U = T>
    requires(!std::is_void_v<U>)
  void started(U value) {
    check();
    p_->set_value(std::move(value));
    p_->finish(nullptr);
  }
  void started()
    requires std::is_void_v<T>
  {
    check();
    p_->finish(nullptr);
  }

  explicit start_handle(std::shared_ptr<detail::task_state<T>> p) : p_(std::move(p)) {}

private:
  void check() const {
    if (p_->done()) throw std::logic_error("corio::start_handle: started() called twice");
  }
  std::shared_ptr<detail::task_state<T>> p_;
};

namespace detail {

template <detail::scope::on_error Mode>
class basic_group {
public:
  /// Runs `fn(group)` (which returns awaitable<void>) as the body of a new group; see above.
  template <typename F>
  [[nodiscard]] static awaitable<void> run(F fn);

  /// Starts a child in this group. See the header comment for the failure policy.
  template <typename T>
  task<T> spawn(awaitable<T> aw, std::string name = {}) {
    return scope_.spawn(std::move(aw), std::move(name));
  }
  /// Starts a child eagerly: its first step runs inside this call (see corio::spawn_eager).
  template <typename T>
  task<T> spawn_eager(awaitable<T> aw, std::string name = {}) {
    return scope_.spawn(std::move(aw), std::move(name), nullptr, nullptr, true);
  }
  /// spawn_eager of a callable returning a coroutine, kept alive until the child ends.
  template <detail::coroutine_factory F>
  task<detail::factory_result_t<F>> spawn_eager(F f, std::string name = {}) {
    return spawn_eager(detail::call_and_await(std::move(f)), std::move(name));
  }
  /// Starts a child in the context `ctx` (corio/context.hpp) instead of the spawner's.
  template <typename T>
  task<T> spawn(awaitable<T> aw, std::string name, const context& ctx) {
    const detail::context_ptr values = ctx.values();
    return scope_.spawn(std::move(aw), std::move(name), nullptr, &values);
  }
  /// Starts `f()` as a child, keeping the callable `f` (and its captures) alive until the child
  /// ends: `g.spawn([&, i]() -> corio::awaitable<void> { ... })` — not `g.spawn([&, i]() -> ... {
  /// ... }())`, whose lambda is destroyed as soon as spawn returns.
  template <detail::coroutine_factory F>
  task<detail::factory_result_t<F>> spawn(F f, std::string name = {}) {
    return scope_.spawn(detail::call_and_await(std::move(f)), std::move(name));
  }
  /// Starts `f()` as a child in the context `ctx`, keeping `f` alive until the child ends.
  template <detail::coroutine_factory F>
  task<detail::factory_result_t<F>> spawn(F f, std::string name, const context& ctx) {
    return spawn(detail::call_and_await(std::move(f)), std::move(name), ctx);
  }
  /// A coroutine of another executor type is refused with the fix, instead of template errors.
  template <typename A>
    requires detail::any_foreign_awaitable<A>
  void spawn(A&&, std::string = {}) {
    static_assert(detail::always_false<A>, "corio::task_group::spawn" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  }

  /// Spawns `fn(start_handle<T>)` and waits until it calls started(); see the header comment.
  template <typename T = void, typename F>
  [[nodiscard]] awaitable<T> start(F fn, std::string name = {});

  /// Cancels the body and every child; the group then ends without an error of its own.
  void cancel() noexcept { scope_.cancel(); }

  [[nodiscard]] const executor& get_executor() const noexcept { return scope_.get_executor(); }

private:
  explicit basic_group(executor ex)
      : scope_(std::move(ex), Mode,
               Mode == detail::scope::on_error::cancel_all ? "task_group" : "supervisor") {}

  detail::scope scope_;
};

template <typename T, typename F>
awaitable<void> start_body(std::shared_ptr<task_state<T>> p, F fn) {
  try {
    co_await std::invoke(fn, start_handle<T>(p));
  } catch (...) {
    if (!p->done()) {
      p->finish(std::current_exception());  // goes to the start() caller, not the group
      co_return;
    }
    throw;
  }
  if (!p->done()) {
    p->finish(std::make_exception_ptr(
        std::logic_error("corio::task_group::start: the task returned without calling started()")));
  }
}

template <detail::scope::on_error Mode>
template <typename F>
awaitable<void> basic_group<Mode>::run(F fn) {
  basic_group g(co_await asio::this_coro::executor);
  g.scope_.spawn(std::invoke(fn, g), "body");
  co_await g.scope_.join();
  if (!g.scope_.errors().empty()) throw exception_group(std::move(g.scope_.errors()));
  if (g.scope_.cancelled_from_outside()) throw_cancelled();
}

template <detail::scope::on_error Mode>
template <typename T, typename F>
awaitable<T> basic_group<Mode>::start(F fn, std::string name) {
  auto p = std::make_shared<task_state<T>>(scope_.get_executor());
  auto child = scope_.spawn(start_body<T>(p, std::move(fn)), std::move(name));
  try {
    co_return co_await task_access::make(p).wait();
  } catch (...) {
    // The caller was cancelled (or the child failed) before started(): the child must not outlive
    // its starter's interest in it.
    child.cancel();
    throw;
  }
}

}  // namespace detail

/// asyncio.TaskGroup: the first failure cancels the rest.
using task_group = detail::basic_group<detail::scope::on_error::cancel_all>;
/// Kotlin's supervisorScope: children fail independently; errors reported together at the end.
using supervisor = detail::basic_group<detail::scope::on_error::keep_going>;

}  // namespace corio
