// corio/detail/timeout_run.hpp — the definitions behind corio/timeout.hpp's functions: the one
// coroutine that runs a deadline scope (deadline_run) and the completion-token form's adapter.
// Internal; included at the end of corio/timeout.hpp, which declares what is defined here.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace corio {
namespace detail {

struct timeout_access {
  static timeout_scope_base& base(timeout_scope& s) noexcept { return s; }
};

template <bool Throw, typename F>
awaitable<deadline_result<Throw, F>> deadline_run(clock::time_point tp, F fn) {
  using T = timeout_fn_result<F>;
  timeout_scope s(co_await asio::this_coro::executor, tp);
  // A caller cancelled already: the work never starts (as with a task cancelled before its start).
  // Checked here, the wait below cannot throw at its own suspension point (Asio checks only before
  // suspending), which matters: the work points into this frame until it has ended.
  const auto cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none) throw_cancelled();
  timeout_scope_base::result_slot<T> out;
  auto body = invoke_timeout_fn(fn, s);
  auto init = [&s, &body, &out](auto handler) {
    timeout_access::base(s).start<T>(std::move(handler), std::move(body), &out);
  };
  note_waiting("timeout");
  co_await asio::async_initiate<const asio::deferred_t&, void()>(init, asio::deferred);
  if (timeout_access::base(s).outer_cancelled()) throw_cancelled();
  if (out.error) {
    if (!(s.expired() && is_cancellation(out.error))) std::rethrow_exception(out.error);
    if constexpr (Throw) {
      throw timeout_error();
    } else {
      co_return std::nullopt;
    }
  }
  if constexpr (!Throw) {
    co_return std::move(out.value);
  } else if constexpr (!std::is_void_v<T>) {
    co_return std::move(*out.value);
  }
}

template <typename Signature>
struct timed_signature {
  static constexpr bool starts_with_error_code = false;
};
template <typename R, typename... Args>
struct timed_signature<R(boost::system::error_code, Args...)> {
  static constexpr bool starts_with_error_code = true;
  using tuple = std::tuple<boost::system::error_code, std::decay_t<Args>...>;
};

/// Runs `op` under a deadline; its completion arguments as a tuple, with asio::error::timed_out
/// (and default values) when the deadline cancelled it.
template <typename Signature, typename Op>
awaitable<typename timed_signature<Signature>::tuple> timed_tuple(Op op, duration d) {
  using tuple = typename timed_signature<Signature>::tuple;
  bool expired = false;
  auto body = [&op, &expired](timeout_scope& s) -> awaitable<tuple> {
    tuple r = co_await std::move(op)(asio::as_tuple(asio::use_awaitable_t<executor>{}));
    expired = s.expired();
    co_return r;
  };
  std::optional<tuple> r = co_await move_on_after(d, body);
  if (!r || (expired && std::get<0>(*r) == asio::error::operation_aborted)) {
    tuple timed_out{};
    std::get<0>(timed_out) = asio::error::timed_out;
    co_return timed_out;
  }
  co_return std::move(*r);
}

}  // namespace detail

template <detail::async_operation Op, typename CompletionToken>
auto async_wait_for(Op op, duration d, CompletionToken&& token) {
  using signature = asio::completion_signature_of_t<Op>;
  using traits = detail::timed_signature<signature>;
  static_assert(traits::starts_with_error_code,
                "corio::async_wait_for: the operation's completion signature must start with "
                "boost::system::error_code (for other operations use corio::wait_for in a coroutine)");
  return asio::async_initiate<CompletionToken, signature>(
      [d](auto handler, Op o) {
        const executor ex(detail::handler_executor(handler));
        auto slot = asio::get_associated_cancellation_slot(handler);
        asio::co_spawn(ex, detail::timed_tuple<signature>(std::move(o), d),
                       asio::bind_cancellation_slot(
                           slot, [h = std::move(handler)](std::exception_ptr e, typename traits::tuple t) mutable {
                             if (e) {
                               try {
                                 std::rethrow_exception(e);
                               } catch (const boost::system::system_error& se) {
                                 std::get<0>(t) = se.code();
                               }
                             }
                             std::apply(std::move(h), std::move(t));
                           }));
      },
      token, std::move(op));
}

}  // namespace corio
