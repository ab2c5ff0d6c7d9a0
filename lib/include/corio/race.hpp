// corio/race.hpp — the first of several awaitables to finish wins; the rest are cancelled.
//
//   std::variant<int, std::string> r = co_await corio::race(by_cache(k), by_network(k));
//
// asyncio's wait(FIRST_COMPLETED) followed by cancelling the rest, done safely: every loser has
// been cancelled *and has ended* (its RAII cleanup has run) before race returns. The result is a
// std::variant whose index says who won (void → std::monostate; equal types are told apart by
// index). Finishing by throwing counts as finishing: if the first to end failed, race rethrows its
// error. A loser that fails while being cancelled (with something other than the cancellation) is
// not lost: race rethrows that error instead of returning.
//
// Cancellation: cancelling the caller cancels every contender, waits for them, and throws
// operation_aborted (unless one had already won, whose value is returned; the caller's next
// suspension point then fails).
// Exceptions: the winner's error, or a loser's non-cancellation error.
// Contenders may also be Asio asynchronous operations (a deferred operation such as
// `sock.async_read_some(buf, asio::deferred)`), each raced as corio::to_awaitable makes it.
// Thread safety: executor-affine; contenders run on the caller's executor.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/scope.hpp>
#include <corio/interop.hpp>
#include <corio/task.hpp>

#include <tuple>
#include <utility>
#include <variant>

namespace corio {

template <typename... T>
  requires(sizeof...(T) > 0)
[[nodiscard]] awaitable<std::variant<detail::value_or_monostate<T>...>> race(awaitable<T>... aws);

/// The same with contenders that are Asio asynchronous operations (deferred operations) as well
/// as awaitables: `race(sock.async_read_some(buf, asio::deferred), corio::sleep(1s))`.
template <typename... A>
  requires(sizeof...(A) > 0 && (detail::async_operation<A> || ...))
[[nodiscard]] auto race(A... contenders) {
  return race(detail::as_awaitable(std::move(contenders))...);
}

/// A coroutine of another executor type is refused with the fix, instead of template errors.
template <typename... A>
  requires detail::any_foreign_awaitable<A...>
awaitable<void> race(A&&...) {
  static_assert(detail::always_false<A...>, "corio::race" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}

// Implementation

namespace detail {

struct race_state {
  scope* sc;
  task_base* winner = nullptr;
  static void on_exit(void* self, task_base& t) noexcept {
    auto* rs = static_cast<race_state*>(self);
    if (rs->winner) return;
    rs->winner = &t;
    rs->sc->cancel();
  }
};

template <typename Variant, std::size_t I, typename Tasks>
bool take_if_winner(const Tasks& tasks, const task_base* winner, std::optional<Variant>& out) {
  const auto& t = std::get<I>(tasks);
  if (&task_access::state(t) != winner) return false;
  out.emplace(std::in_place_index<I>, value_of(t));
  return true;
}

}  // namespace detail

template <typename... T>
  requires(sizeof...(T) > 0)
awaitable<std::variant<detail::value_or_monostate<T>...>> race(awaitable<T>... aws) {
  using variant = std::variant<detail::value_or_monostate<T>...>;
  detail::scope sc(co_await asio::this_coro::executor, detail::scope::on_error::keep_going, "race");
  detail::race_state rs{&sc};
  sc.set_exit_hook(&detail::race_state::on_exit, &rs);
  std::tuple<task<T>...> tasks{sc.spawn(std::move(aws), "race")...};
  co_await sc.join();
  // The winner's own error comes first in errors() (it ended first).
  if (!sc.errors().empty()) std::rethrow_exception(sc.errors().front());
  std::optional<variant> out;
  if (rs.winner && !rs.winner->error_) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (detail::take_if_winner<variant, I>(tasks, rs.winner, out) || ...);
    }(std::index_sequence_for<T...>{});
  }
  if (!out) throw_cancelled();  // the caller was cancelled before anyone won
  co_return std::move(*out);
}

}  // namespace corio
