// corio/gather.hpp — asyncio.gather: run awaitables concurrently, results in argument order.
//
//   auto [a, b] = co_await corio::gather(fetch(x), fetch(y));          // std::tuple
//   std::vector<int> v = co_await corio::gather(std::move(aws), 10);   // at most 10 at a time
//   auto rs = co_await corio::gather_settled(std::move(aws));          // std::vector<result<T>>
//
// `gather` returns the values in argument order whatever order they finish in (void → monostate).
// The first failure cancels the others, waits for them to end, and is rethrown — unlike asyncio,
// which leaves the others running (Corio never leaves work behind; see README). Errors of other
// children that fail at about the same time are not rethrown: use task_group to see all of them.
// `gather_settled` (asyncio's return_exceptions=True) never throws for its children: each element
// holds a value or an exception. The ranged forms accept a concurrency limit (0 = no limit): at most
// `limit` awaitables run at once, started in order.
//
// Cancellation: cancelling the caller cancels every child, waits for all of them, and throws
// operation_aborted (gather_settled too: a cancelled caller gets the cancellation, not results).
// Exceptions: gather rethrows the first child error; gather_settled only cancellation.
// Thread safety: executor-affine; children run on the caller's executor.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/scope.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <optional>
#include <tuple>
#include <vector>

namespace corio {

template <typename... T>
[[nodiscard]] awaitable<std::tuple<detail::value_or_monostate<T>...>> gather(awaitable<T>... aws);

template <typename T>
[[nodiscard]] awaitable<std::vector<detail::value_or_monostate<T>>> gather(std::vector<awaitable<T>> aws,
                                                                           std::size_t limit = 0);

template <typename... T>
[[nodiscard]] awaitable<std::tuple<result<T>...>> gather_settled(awaitable<T>... aws);

template <typename T>
[[nodiscard]] awaitable<std::vector<result<T>>> gather_settled(std::vector<awaitable<T>> aws,
                                                               std::size_t limit = 0);

/// A coroutine of another executor type is refused with the fix, instead of template errors.
template <typename... A>
  requires detail::any_foreign_awaitable<A...>
awaitable<void> gather(A&&...) {
  static_assert(detail::always_false<A...>, "corio::gather" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}
template <typename... A>
  requires detail::any_foreign_awaitable<A...>
awaitable<void> gather_settled(A&&...) {
  static_assert(detail::always_false<A...>, "corio::gather_settled" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return {};
}

// Implementation

namespace detail {

template <typename T>
result<T> settle(const task<T>& t) {
  try {
    return result<T>(value_of(t));
  } catch (...) {
    return result<T>(std::current_exception());
  }
}

/// After join: the caller's cancellation wins, then the first child error.
inline void rethrow_scope_outcome(scope& sc, bool report_errors) {
  if (sc.cancelled_from_outside()) throw_cancelled();
  if (report_errors && !sc.errors().empty()) std::rethrow_exception(sc.errors().front());
}

/// The vector forms without a limit: one child per awaitable, spawned without a handle. Each
/// child's value goes straight into its slot (task_state::out_) and its error into `errors` as it
/// ends, so its state is freed then rather than kept until the join.
template <typename T>
struct gather_slots {
  std::vector<std::optional<value_or_monostate<T>>> values;
  std::vector<std::exception_ptr> errors;  // gather_settled: per child; gather: unused

  gather_slots(std::size_t n, bool settled) : values(n), errors(settled ? n : 0) {}

  /// Spawns every child. If one cannot be spawned (out of memory), those already running are
  /// cancelled and the error is returned: the caller must still join them (they write here).
  std::exception_ptr spawn_all(scope& sc, std::vector<awaitable<T>>& aws) noexcept {
    sc.set_exit_hook(&on_exit, this);
    try {
      for (std::size_t i = 0; i < aws.size(); ++i) sc.spawn(std::move(aws[i]), {}, &values[i]);
      // The moved-from handles go now, before any child has run: freed later, after the
      // children's own blocks, this large block would make glibc consolidate all of those.
      std::vector<awaitable<T>>().swap(aws);
    } catch (...) {
      sc.cancel();
      return std::current_exception();
    }
    return nullptr;
  }

  static void on_exit(void* ctx, task_base& t) noexcept {
    auto& self = *static_cast<gather_slots*>(ctx);
    auto& st = static_cast<task_state<T>&>(t);
    const auto i = static_cast<std::size_t>(st.out_ - self.values.data());
    if (!t.error_) {
      if constexpr (std::is_void_v<T>) self.values[i].emplace();
    } else if (!self.errors.empty()) {
      t.error_retrieved_ = true;
      self.errors[i] = t.error_;
    }
  }
};

/// Runs `aws` with at most `limit` at a time: `limit` worker children take the next index in turn,
/// so each awaitable runs inside a worker without a task of its own.
template <typename T, typename Sink>
awaitable<void> limited_worker(std::vector<awaitable<T>>& aws, std::size_t& next, Sink sink) {
  while (next < aws.size()) {
    const std::size_t i = next++;
    co_await sink(i, std::move(aws[i]));
  }
}

}  // namespace detail

template <typename... T>
awaitable<std::tuple<detail::value_or_monostate<T>...>> gather(awaitable<T>... aws) {
  detail::scope sc(co_await asio::this_coro::executor, detail::scope::on_error::cancel_all, "gather");
  std::tuple<task<T>...> tasks{sc.spawn(std::move(aws), "gather")...};
  co_await sc.join();
  detail::rethrow_scope_outcome(sc, true);
  co_return std::apply([](const auto&... t) { return std::make_tuple(detail::value_of(t)...); }, tasks);
}

template <typename... T>
awaitable<std::tuple<result<T>...>> gather_settled(awaitable<T>... aws) {
  detail::scope sc(co_await asio::this_coro::executor, detail::scope::on_error::keep_going,
                   "gather_settled");
  std::tuple<task<T>...> tasks{sc.spawn(std::move(aws), "gather_settled")...};
  co_await sc.join();
  detail::rethrow_scope_outcome(sc, false);
  co_return std::apply([](const auto&... t) { return std::make_tuple(detail::settle(t)...); }, tasks);
}

template <typename T>
awaitable<std::vector<detail::value_or_monostate<T>>> gather(std::vector<awaitable<T>> aws,
                                                              std::size_t limit) {
  using V = detail::value_or_monostate<T>;
  detail::scope sc(co_await asio::this_coro::executor, detail::scope::on_error::cancel_all, "gather");
  detail::gather_slots<T> gs(aws.size(), false);
  auto& slots = gs.values;
  // Reserved up front: one large allocation after 100,000 small frees costs glibc a consolidation.
  std::vector<V> out;
  out.reserve(aws.size());
  if (limit == 0 || limit >= aws.size()) {
    const std::exception_ptr not_spawned = gs.spawn_all(sc, aws);
    co_await sc.join();
    if (not_spawned) std::rethrow_exception(not_spawned);
    detail::rethrow_scope_outcome(sc, true);
  } else {
    std::size_t next = 0;
    auto sink = [&slots](std::size_t i, awaitable<T> a) -> awaitable<void> {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(a);
        slots[i].emplace();
      } else {
        slots[i].emplace(co_await std::move(a));
      }
    };
    for (std::size_t w = 0; w < limit; ++w) sc.spawn(detail::limited_worker<T>(aws, next, sink), "gather");
    co_await sc.join();
    detail::rethrow_scope_outcome(sc, true);
  }
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

template <typename T>
awaitable<std::vector<result<T>>> gather_settled(std::vector<awaitable<T>> aws, std::size_t limit) {
  detail::scope sc(co_await asio::this_coro::executor, detail::scope::on_error::keep_going,
                   "gather_settled");
  std::vector<std::optional<result<T>>> slots;
  std::vector<result<T>> out;  // reserved up front, as in gather
  out.reserve(aws.size());
  if (limit == 0 || limit >= aws.size()) {
    detail::gather_slots<T> gs(aws.size(), true);
    const std::exception_ptr not_spawned = gs.spawn_all(sc, aws);
    co_await sc.join();
    if (not_spawned) std::rethrow_exception(not_spawned);
    detail::rethrow_scope_outcome(sc, false);
    for (std::size_t i = 0; i < gs.values.size(); ++i) {
      if (gs.errors[i]) out.emplace_back(gs.errors[i]);
      else out.emplace_back(std::move(*gs.values[i]));
    }
    co_return out;
  } else {
    slots.resize(aws.size());
    std::size_t next = 0;
    auto sink = [&slots](std::size_t i, awaitable<T> a) -> awaitable<void> {
      try {
        if constexpr (std::is_void_v<T>) {
          co_await std::move(a);
          slots[i].emplace(std::monostate{});
        } else {
          slots[i].emplace(co_await std::move(a));
        }
      } catch (...) {
        slots[i].emplace(std::current_exception());
      }
    };
    for (std::size_t w = 0; w < limit; ++w) {
      sc.spawn(detail::limited_worker<T>(aws, next, sink), "gather_settled");
    }
    co_await sc.join();
    detail::rethrow_scope_outcome(sc, false);
  }
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

}  // namespace corio
