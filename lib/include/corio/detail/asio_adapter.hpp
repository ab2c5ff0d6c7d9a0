// corio/detail/asio_adapter.hpp — every use Corio makes of Asio's internals, in one place, so that
// an Asio upgrade touches this file (and lib/src/asio_adapter.cpp) only. Internal.
//
// Supported: Boost 1.81 (Asio 1.26), checked here at compile time and by CMake at configure time.
//   - coroutine_thread / coroutine_thread_entry: Asio's awaitable_thread, which co_spawn itself is
//     built on; tasks and deadline scopes launch their coroutine thread directly with it.
//   - initiating_executor(): the executor of the io_context or thread_pool the calling thread is
//     running now (read from Asio's per-thread call stack).
//   - running_a_context() / running_strand(): whether the calling thread is inside an io_context's
//     or thread_pool's run, and which strand (if any) it is running a handler of now.
//   - is_coroutine_handler: whether a completion handler resumes an Asio coroutine (whose thread
//     of execution keeps its context busy already).
//   - boxed<T>: Asio 1.26 cannot co_await an operation whose signature is
//     void(std::exception_ptr, T) through asio::deferred (its handler tests `*result`, a struct,
//     and does not compile). An operation that completes with void(std::exception_ptr, boxed<T>)
//     is co_awaited through the handler defined here instead, and yields T.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/version.hpp>

#include <exception>
#include <type_traits>
#include <utility>

#if BOOST_VERSION / 100 != 1081
#error "Corio supports Boost 1.81 only (Asio 1.26): corio/detail/asio_adapter.hpp builds on its internals"
#endif

namespace corio::detail {

/// An Asio coroutine thread and its entry-point frame type (Asio 1.26: asio::detail).
template <typename Executor>
using coroutine_thread = asio::detail::awaitable_thread<Executor>;
using coroutine_thread_entry = asio::detail::awaitable_thread_entry_point;

}  // namespace corio::detail

// Declared here rather than included (<boost/asio/use_awaitable.hpp>, <boost/asio/as_tuple.hpp>):
// every primitive's header includes this one, and only the names are needed.
namespace boost::asio::detail {
template <typename, typename...>
class awaitable_handler;
template <typename>
class as_tuple_handler;
}  // namespace boost::asio::detail

namespace corio::detail {

/// True for the handlers through which Asio resumes a coroutine (co_await of an operation with
/// asio::deferred or asio::use_awaitable, also through as_tuple).
template <typename Handler>
struct is_coroutine_handler : std::false_type {};
template <typename Signature, typename Executor>
struct is_coroutine_handler<asio::detail::awaitable_async_op_handler<Signature, Executor>> : std::true_type {};
template <typename Executor, typename... Args>
struct is_coroutine_handler<asio::detail::awaitable_handler<Executor, Args...>> : std::true_type {};
template <typename Handler>
struct is_coroutine_handler<asio::detail::as_tuple_handler<Handler>> : is_coroutine_handler<Handler> {};

/// True for a handler that is an Asio coroutine thread (a coroutine's handler for co_await of an
/// operation): its thread's cancellation state records every cancellation it received.
template <typename Handler>
inline constexpr bool has_cancellation_state = false;
template <typename Signature, typename Executor>
inline constexpr bool has_cancellation_state<asio::detail::awaitable_async_op_handler<Signature, Executor>> = true;

/// The executor of the innermost io_context or thread_pool that the calling thread is running
/// (inside run(), poll() or a thread_pool's worker); Asio's system executor when it runs none.
/// Used as the fallback executor of a completion handler that has none of its own.
[[nodiscard]] executor initiating_executor() noexcept;

/// True while the calling thread runs an io_context's or thread_pool's handlers.
[[nodiscard]] bool running_a_context() noexcept;

/// The identity of a strand whose handler the calling thread is running, or null: the innermost
/// asio::strand if there is one, else the innermost io_context::strand.
[[nodiscard]] const void* running_strand() noexcept;

/// A value carried in place of T through asio::deferred (see the header comment).
template <typename T>
struct boxed {
  T value;
};

}  // namespace corio::detail

namespace boost::asio::detail {

template <typename R, typename T, typename Executor>
class awaitable_async_op_handler<R(std::exception_ptr, corio::detail::boxed<T>), Executor>
    : public awaitable_thread<Executor> {
public:
  struct result_type {
    std::exception_ptr* ex_;
    corio::detail::boxed<T>* value_;
  };

  awaitable_async_op_handler(awaitable_thread<Executor>* h, result_type& result)
      : awaitable_thread<Executor>(std::move(*h)), result_(result) {}

  void operator()(std::exception_ptr ex, corio::detail::boxed<T> value) {
    result_.ex_ = &ex;
    result_.value_ = &value;
    this->entry_point()->top_of_stack_->attach_thread(this);
    this->entry_point()->top_of_stack_->clear_cancellation_slot();
    this->pump();
  }

  static T resume(result_type& result) {
    if (*result.ex_) std::rethrow_exception(std::exchange(*result.ex_, nullptr));
    return std::move(result.value_->value);
  }

private:
  result_type& result_;
};

}  // namespace boost::asio::detail
