// corio/as_completed.hpp — results in completion order (asyncio.as_completed).
//
//   auto seq = corio::as_completed(ex, std::move(aws));
//   while (auto v = co_await seq.next()) use(*v);       // std::optional<T>; empty when all are done
//
// The awaitables start at once, as tasks on `ex`. next() yields each result as it arrives; if the
// next one to finish failed, next() rethrows its error (the others keep running, as in asyncio).
// Destroying the sequence cancels whatever has not finished (they end on their own; nothing waits
// for them, as with spawn()) — for a fully structured variant, run the consumer in a task_group.
//
// Cancellation: a cancelled next() throws operation_aborted and consumes nothing: the result stays
// for the next call.  Exceptions: a child's error, rethrown by the next() that reaches it.
// Thread safety: executor-affine: call next() from coroutines on `ex`.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/post_completion.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/task.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/deferred.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace corio {

template <typename T>
class completion_sequence {
public:
  completion_sequence(completion_sequence&&) noexcept = default;
  completion_sequence& operator=(completion_sequence&&) noexcept = default;
  ~completion_sequence() {
    if (!impl_) return;
    for (auto& t : impl_->tasks) {
      auto& st = detail::task_access::state(t);
      st.observer_ = nullptr;
      st.error_retrieved_ = true;  // abandoned on purpose: not an "unretrieved failure"
      if (!st.done()) t.cancel();
    }
  }

  /// The number of results not yet returned by next().
  [[nodiscard]] std::size_t remaining() const noexcept { return impl_->tasks.size() - impl_->consumed; }

  /// The next result in completion order; empty once every result was returned.
  [[nodiscard]] awaitable<std::optional<detail::value_or_monostate<T>>> next() {
    if (impl_->consumed == impl_->tasks.size()) co_return std::nullopt;
    if (impl_->ready.empty()) co_await impl_->async_wait_ready(asio::deferred);
    auto* st = static_cast<detail::task_state<T>*>(impl_->ready.front());
    impl_->ready.pop_front();
    ++impl_->consumed;
    if constexpr (std::is_void_v<T>) {
      st->get();
      co_return std::monostate{};
    } else {
      co_return st->get();
    }
  }

  completion_sequence(const executor& ex, std::vector<awaitable<T>> aws) : impl_(std::make_unique<impl>()) {
    impl_->tasks.reserve(aws.size());
    for (auto& a : aws) impl_->tasks.push_back(detail::spawn_in<T>(ex, std::move(a), "as_completed", impl_.get()));
  }

private:
  struct impl final : detail::exit_observer {
    std::vector<task<T>> tasks;
    std::deque<detail::task_base*> ready;
    std::size_t consumed = 0;
    asio::any_completion_handler<void(boost::system::error_code)> waiter;

    void child_exited(detail::task_base& t) noexcept override {
      ready.push_back(&t);
      if (waiter) {
        auto h = std::move(waiter);
        h.get_cancellation_slot().clear();
        detail::post_completion(t.ex_, std::move(h), boost::system::error_code{});
      }
    }

    template <typename Token>
    auto async_wait_ready(Token&& token) {
      return asio::async_initiate<Token, void(boost::system::error_code)>(
          [this](auto handler) {
            detail::store_handler(waiter, std::move(handler));
            // The slot to use is the stored handler's: any_completion_handler interposes its own.
            auto slot = waiter.get_cancellation_slot();
            if (slot.is_connected()) {
              slot.assign([this](asio::cancellation_type) {
                if (!waiter) return;
                auto h = std::move(waiter);
                h.get_cancellation_slot().clear();
                detail::post_completion(tasks.front().get_executor(), std::move(h),
                                        boost::system::error_code(asio::error::operation_aborted));
              });
            }
          },
          token);
    }
  };
  std::unique_ptr<impl> impl_;
};

/// Starts every awaitable on `ex` and returns their results in completion order.
template <typename T>
[[nodiscard]] completion_sequence<T> as_completed(const executor& ex, std::vector<awaitable<T>> aws) {
  return completion_sequence<T>(ex, std::move(aws));
}

/// A coroutine of another executor type is refused with the fix, instead of template errors.
template <typename A>
  requires detail::any_foreign_awaitable<A>
int as_completed(const executor&, A&&) {
  static_assert(detail::always_false<A>, "corio::as_completed" CORIO_DETAIL_FOREIGN_AWAITABLE_FIX);
  return 0;
}

}  // namespace corio
