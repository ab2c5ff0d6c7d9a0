// corio/barrier.hpp — asyncio.Barrier (without abort): n coroutines meet, then all go on together.
//
//   corio::barrier b(3);
//   std::size_t i = co_await b.arrive_and_wait();   // resumes once 3 have arrived; i in 0..2
//
// The n-th arrival releases every waiter of that round at once; the barrier is then empty and
// ready for the next round (reusable: one generation after another). Each arrival of a round gets a
// distinct index, 0 to n-1, in arrival order (n-1 for the arrival that completed the round), so one
// of them can take a leader's role. `async_arrive_and_wait(token)`: any Asio completion token;
// signature `void(boost::system::error_code, std::size_t)`; the handler runs on its associated
// executor, never inside the releasing arrival (handler executors: see HANDLERS below).
//
// Cancellation: a waiter cancelled (terminal, partial or total) before its round is complete
// un-arrives — the round then needs one more arrival — and completes with operation_aborted
// (thrown as boost::system::system_error). Once its round is complete, a cancellation arriving
// before the waiter resumes no longer applies.
// Exceptions: the constructor throws std::invalid_argument for n == 0; otherwise only the
// cancellation.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: one executor (or strand). Destroying a barrier with waiters
// completes them with operation_aborted.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <tuple>

namespace corio {

class barrier {
public:
  explicit barrier(std::size_t parties);
  barrier(const barrier&) = delete;
  barrier& operator=(const barrier&) = delete;
  ~barrier();

  /// Arrivals needed to release a round.
  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  /// Coroutines waiting in the current round.
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }
  /// Completed rounds.
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

  /// Arrives and waits for the round to complete. Signature void(error_code, std::size_t index).
  template <typename CompletionToken>
  auto async_arrive_and_wait(CompletionToken&& token);

  /// `std::size_t index = co_await b.arrive_and_wait();`
  [[nodiscard]] auto arrive_and_wait();

  // Implementation

private:
  struct node : detail::wait_op {
    explicit node(barrier* b) noexcept : owner(b) {}
    barrier* owner;
    std::size_t index = 0;
  };

  struct completion {
    static std::tuple<detail::error_code, std::size_t> args(node& n, detail::error_code ec) {
      return {ec, n.index};
    }
  };

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<node&>(w);
    n.owner->waiters_.erase(&n);  // un-arrives: the round counts the list
    n.complete(detail::aborted());
  }

  /// Releases the waiting n-1 (indices by arrival order); the caller is index n-1.
  void trip() {
    ++generation_;
    std::size_t i = 0;
    while (node* n = waiters_.pop_front()) {
      n->index = i++;
      n->complete({});
    }
  }

  detail::wait_list<node> waiters_;
  std::size_t parties_;
  std::uint64_t generation_ = 0;
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

inline barrier::barrier(std::size_t parties) : parties_(parties) {
  if (parties == 0) throw std::invalid_argument("corio::barrier: the number of parties must be at least 1");
}

inline barrier::~barrier() {
  while (node* n = waiters_.pop_front()) n->complete(detail::aborted());
}

template <typename CompletionToken>
auto barrier::async_arrive_and_wait(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code, std::size_t)>(
      [this](auto handler) {
        detail::affinity::use in_use(affinity_, "corio::barrier");
        if (waiters_.size() + 1 == parties_) {
          trip();
          detail::post_now(std::move(handler), detail::error_code(), parties_ - 1);
          return;
        }
        auto* op = detail::make_op<node, completion>(std::move(handler), this);
        waiters_.push_back(op);
        op->arm(&on_cancel);
      },
      token);
}

inline auto barrier::arrive_and_wait() { return async_arrive_and_wait(asio::deferred); }

}  // namespace corio
