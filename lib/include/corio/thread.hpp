// corio/thread.hpp — run blocking or CPU-heavy functions off the event loop (asyncio.to_thread,
// loop.run_in_executor).
//
//   auto digest = co_await corio::to_thread(sha256_file, path);          // shared thread pool
//   auto rows   = co_await corio::run_in(db_pool, query, sql);           // your pool or executor
//
// `f(args...)` runs on a thread of the pool (to_thread: a shared asio::thread_pool with
// max(4, hardware threads) threads, created on first use); its value or exception comes back to
// the awaiting coroutine, which resumes on its own executor. Arguments are moved into the call.
//
// Cancellation: cancelling the awaiter returns at once with operation_aborted. A function that is
// already running cannot be interrupted (like asyncio): it runs to the end on its thread and its
// result is discarded. One that has not started yet is skipped.
// Exceptions: whatever `f` throws, type unchanged; operation_aborted when cancelled.
// Thread safety: safe from any coroutine; `f` must be safe to run on another thread.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/post_completion.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <variant>

namespace corio {

/// The pool behind to_thread.
[[nodiscard]] asio::thread_pool& default_thread_pool();

template <typename PoolOrExecutor, typename F, typename... Args>
[[nodiscard]] awaitable<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> run_in(PoolOrExecutor& where, F f,
                                                                                             Args... args);

template <typename F, typename... Args>
[[nodiscard]] awaitable<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> to_thread(F f, Args... args) {
  return run_in(default_thread_pool(), std::move(f), std::move(args)...);
}

// Implementation

namespace detail {

template <typename R>
struct thread_call {
  using V = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  std::optional<V> value;
  std::exception_ptr error;
  // Whoever flips it first (the pool thread finishing, or the awaiter's cancellation) completes.
  std::atomic<bool> completed{false};
  std::atomic<bool> abandoned{false};
  asio::any_completion_handler<void(boost::system::error_code)> handler;
  executor caller;

  // Held by the pool thread while it posts the completion to the caller's context. Posting from
  // another thread touches that context (it signals its scheduler) until post() returns; the
  // completion waits for the mutex, so the caller — and then its io_context's owner — cannot run
  // ahead and destroy the context while post() is still inside it (TSan found this race).
  std::mutex posting;

  static void complete(const std::shared_ptr<thread_call>& self, boost::system::error_code ec) {
    std::lock_guard lock(self->posting);
    auto h = std::move(self->handler);
    // Runs on the caller's executor: the slot belongs to that thread.
    post_completion(self->caller, [self, h = std::move(h), ec]() mutable {
      { std::lock_guard wait_for_poster(self->posting); }
      h.get_cancellation_slot().clear();
      std::move(h)(ec);
    });
  }
};

template <typename R, typename Executor, typename Fn, typename Token>
auto async_thread_call(const Executor& pool_ex, std::shared_ptr<thread_call<R>> state, Fn call, const executor& caller,
                       Token&& token) {
  return asio::async_initiate<Token, void(boost::system::error_code)>(
      [pool_ex, caller](auto handler, std::shared_ptr<thread_call<R>> st, Fn fn) {
        st->caller = caller;
        store_handler(st->handler, std::move(handler));
        auto slot = st->handler.get_cancellation_slot();
        if (slot.is_connected()) {
          slot.assign([st](asio::cancellation_type) {
            st->abandoned.store(true, std::memory_order_relaxed);
            if (!st->completed.exchange(true)) thread_call<R>::complete(st, asio::error::operation_aborted);
          });
        }
        asio::post(pool_ex, [st, fn = std::move(fn)]() mutable {
          if (!st->abandoned.load(std::memory_order_relaxed)) {
            try {
              if constexpr (std::is_void_v<R>) {
                fn();
                st->value.emplace();
              } else {
                st->value.emplace(fn());
              }
            } catch (...) {
              st->error = std::current_exception();
            }
          }
          if (!st->completed.exchange(true)) thread_call<R>::complete(st, {});
        });
      },
      token, std::move(state), std::move(call));
}

template <typename T>
auto pool_executor(T& where) {
  if constexpr (std::is_convertible_v<T&, asio::execution_context&>) return where.get_executor();
  else return where;
}

}  // namespace detail

template <typename PoolOrExecutor, typename F, typename... Args>
awaitable<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> run_in(PoolOrExecutor& where, F f,
                                                                              Args... args) {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  auto st = std::make_shared<detail::thread_call<R>>();
  auto call = [f = std::move(f), ... args = std::move(args)]() mutable -> R {
    return std::invoke(std::move(f), std::move(args)...);
  };
  co_await detail::async_thread_call<R>(detail::pool_executor(where), st, std::move(call),
                                        co_await asio::this_coro::executor, asio::deferred);
  if (st->error) std::rethrow_exception(st->error);
  if constexpr (!std::is_void_v<R>) co_return std::move(*st->value);
}

}  // namespace corio
