// corio/interop.hpp — Corio's coroutines and the rest of Asio, both ways.
//
//   co_await corio::as_operation(fetch(url));            // in an awaitable<T, io_context::executor_type>
//   corio::as_operation(fetch(url), callback);           // from callback code: void(exception_ptr, T)
//   auto n = co_await corio::to_awaitable(sock.async_read_some(buf, asio::deferred));
//
// Corio's coroutines are `asio::awaitable<T, asio::any_io_executor>` (corio::awaitable<T>). Asio
// cannot co_await one inside a coroutine with another executor type (`awaitable<T,
// io_context::executor_type>`, strand-typed ones): it reports "no matching function for call to
// await_transform". `as_operation(aw)` makes `aw` an Asio asynchronous operation (signature
// `void(std::exception_ptr, T)`, `void(std::exception_ptr)` for T = void) that any coroutine type
// and any completion token can consume (with asio::deferred, the default, the value travels in a
// detail::boxed<T> that co_await unwraps: pass callbacks as the token itself, not to the deferred
// operation): it runs `aw` as a coroutine thread of its own on the
// handler's executor (for a handler without one: the io_context or thread_pool the starting thread
// runs). `to_awaitable(op)` turns an Asio asynchronous operation (a deferred operation) into a
// corio::awaitable of its result, so that Corio's combinators (wait_for, with_timeout, race, spawn,
// gather) take it; an error_code in its completion is thrown as boost::system::system_error, as
// co_await does.
//
// Cancellation: as_operation forwards the handler's cancellation slot to `aw` (terminal, partial,
// total); to_awaitable's operation gets the awaiting coroutine's cancellation, as with co_await.
// Exceptions: as_operation delivers `aw`'s exception as the exception_ptr; to_awaitable throws what
// co_await of the operation throws.
// Thread safety: each call is independent.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace corio {

namespace detail {

template <typename T, typename CompletionToken>
struct operation_signature {
  using type = void(std::exception_ptr, T);
};
template <typename CompletionToken>
struct operation_signature<void, CompletionToken> {
  using type = void(std::exception_ptr);
};
// Through asio::deferred the value travels boxed (Asio 1.26 cannot co_await the plain signature
// there; see detail/asio_adapter.hpp): co_await still yields T.
template <typename T>
  requires(!std::is_void_v<T>)
struct operation_signature<T, asio::deferred_t> {
  using type = void(std::exception_ptr, boxed<T>);
};

template <typename T, typename CompletionToken>
struct operation_completion {
  template <typename Handler>
  static auto wrap(Handler h) {
    return h;
  }
};
template <typename T>
  requires(!std::is_void_v<T>)
struct operation_completion<T, asio::deferred_t> {
  template <typename Handler>
  static auto wrap(Handler h) {
    // co_spawn completes (exception_ptr, T); the deferred handler takes (exception_ptr, boxed<T>).
    // The wrapper keeps the handler's executor and cancellation slot.
    auto ex = asio::get_associated_executor(h);
    auto slot = asio::get_associated_cancellation_slot(h);
    return asio::bind_cancellation_slot(
        slot, asio::bind_executor(ex, [h = std::move(h)](std::exception_ptr e, T v) mutable {
          std::move(h)(std::move(e), boxed<T>{std::move(v)});
        }));
  }
};

/// The awaitable that co_await of an operation with completion signature Sig produces.
template <typename Sig>
using awaitable_for_signature = typename asio::async_result<asio::use_awaitable_t<executor>, Sig>::return_type;

/// An Asio asynchronous operation that is not a corio::awaitable (a deferred operation, ...).
template <typename Op>
concept async_operation = asio::is_async_operation<Op>::value;

}  // namespace detail

/// `aw` as an Asio asynchronous operation; see the header comment.
template <typename T, typename CompletionToken = asio::deferred_t>
auto as_operation(awaitable<T> aw, CompletionToken&& token = {}) {
  using token_type = std::decay_t<CompletionToken>;
  return asio::async_initiate<CompletionToken, typename detail::operation_signature<T, token_type>::type>(
      [](auto handler, awaitable<T> a) {
        const executor ex(detail::handler_executor(handler));
        asio::co_spawn(ex, std::move(a), detail::operation_completion<T, token_type>::wrap(std::move(handler)));
      },
      token, std::move(aw));
}

/// An Asio asynchronous operation (e.g. `sock.async_read_some(buf, asio::deferred)`) as a
/// corio::awaitable of its result.
template <detail::async_operation Op>
auto to_awaitable(Op op) -> detail::awaitable_for_signature<asio::completion_signature_of_t<Op>> {
  co_return co_await std::move(op);
}

namespace detail {

/// `x` itself if it is a corio::awaitable, to_awaitable(x) if it is an asynchronous operation.
template <typename T>
awaitable<T> as_awaitable(awaitable<T> aw) {
  return aw;
}
template <async_operation Op>
auto as_awaitable(Op op) {
  return to_awaitable(std::move(op));
}

}  // namespace detail

}  // namespace corio
