// corio/condition.hpp — asyncio.Condition: wait for a state change under a corio::lock.
//
//   corio::lock l;
//   corio::condition cv(l);
//   auto g = co_await l.acquire();
//   co_await cv.wait(g, [&] { return !items.empty(); });   // re-checks after every wake-up
//   ... // here g holds the lock again
//   cv.notify();           // (with the lock held) wakes the oldest waiter; notify_all() wakes all
//
// `wait(g)` releases the lock that `g` holds, waits for a notify, and re-acquires the lock before
// it returns — in every case, also when it fails: whatever wait() completes with, `g` holds the lock
// again. A notified waiter queues for the lock behind the coroutines already waiting for it
// (first come, first served). Waiters are notified oldest first. `g` must stay where it is (not be
// moved) until the wait completes. `async_wait(g, token)`: any Asio completion token; signature
// `void(boost::system::error_code)`; the handler runs on its associated executor, once the lock
// is held again (handler executors: see HANDLERS below).
//
// Cancellation: a waiter cancelled (terminal, partial or total) before it is notified stops
// waiting, re-acquires the lock, then completes with operation_aborted (wait() throws it as
// boost::system::system_error) — the notification it did not consume goes to the next waiter.
// A waiter cancelled after it was notified (while re-acquiring the lock) completes normally: the
// notification is not lost, and the coroutine meets its cancellation at its next suspension point.
// Exceptions: std::logic_error if `g` does not hold this condition's lock (wait) or the lock is not
// held (notify, as asyncio); the cancellation; whatever the predicate throws.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine, like the lock: one executor (or strand). The lock must outlive
// the condition; destroying a condition with waiters makes them re-acquire the lock and complete
// with operation_aborted.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/wait_op.hpp>
#include <corio/lock.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace corio {

class condition {
public:
  explicit condition(corio::lock& l) noexcept : lock_(&l) {}
  condition(const condition&) = delete;
  condition& operator=(const condition&) = delete;
  ~condition();

  [[nodiscard]] corio::lock& get_lock() const noexcept { return *lock_; }
  /// Coroutines waiting to be notified (not counting notified ones re-acquiring the lock).
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }

  /// Releases the lock held by `g`, waits for a notification, re-acquires. Signature void(error_code).
  template <typename CompletionToken>
  auto async_wait(lock::guard& g, CompletionToken&& token);

  /// `co_await cv.wait(g);`
  [[nodiscard]] auto wait(lock::guard& g);

  /// Waits until `pred()` is true (checked first, and after every wake-up, with the lock held).
  template <typename Predicate>
  [[nodiscard]] awaitable<void> wait(lock::guard& g, Predicate pred);

  /// Wakes up to `n` waiters, oldest first. The lock must be held.
  void notify(std::size_t n = 1);
  /// Wakes every waiter. The lock must be held.
  void notify_all() { notify(std::numeric_limits<std::size_t>::max()); }

  // Implementation

private:
  enum phase : std::uint8_t { waiting_for_notify = 0, reacquiring = 1 };

  // Waits in the condition's list, then in the lock's (phase reacquiring).
  struct node : lock::waiter {
    node(condition* c, lock::guard* guard) noexcept : lock::waiter(c->lock_), cv(c), g(guard) {}
    void grant() override {
      g->owner_ = owner;
      complete(result);
    }
    condition* cv;
    lock::guard* g;
    detail::error_code result;
  };

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<node&>(w);
    if (n.phase_ != waiting_for_notify) return;  // notified: the wait succeeds (see above)
    n.cv->waiters_.erase(&n);
    n.result = detail::aborted();
    n.cv->reacquire(n);
  }

  void reacquire(node& n) {
    n.phase_ = reacquiring;
    lock_->enqueue(&n);
  }

  corio::lock* lock_;
  detail::wait_list<node> waiters_;
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

inline condition::~condition() {
  while (node* n = waiters_.pop_front()) {
    n->result = detail::aborted();
    reacquire(*n);
  }
}

inline void condition::notify(std::size_t n) {
  detail::affinity::use in_use(affinity_, "corio::condition");
  if (!lock_->locked()) throw std::logic_error("corio::condition::notify: the lock must be held");
  for (; n > 0 && !waiters_.empty(); --n) reacquire(*waiters_.pop_front());
}

template <typename CompletionToken>
auto condition::async_wait(lock::guard& g, CompletionToken&& token) {
  // Checked here, not in the initiation: with asio::deferred the initiation runs after the
  // coroutine has suspended, where an exception could not reach it.
  if (g.owner_ != lock_) {  // (an empty guard holds no lock: null)
    throw std::logic_error("corio::condition::wait: the guard must hold the condition's lock");
  }
  return asio::async_initiate<CompletionToken, void(detail::error_code)>(
      [this, gp = &g](auto handler) {
        detail::affinity::use in_use(affinity_, "corio::condition");
        auto* op = detail::make_op<node, detail::complete_ec>(std::move(handler), this, gp);
        waiters_.push_back(op);
        op->arm(&on_cancel);
        gp->owner_ = nullptr;  // the lock goes back now; grant() hands it to the guard again
        lock_->release();
      },
      token);
}

inline auto condition::wait(lock::guard& g) { return async_wait(g, asio::deferred); }

template <typename Predicate>
awaitable<void> condition::wait(lock::guard& g, Predicate pred) {
  while (!pred()) co_await wait(g);
}

}  // namespace corio
