// corio/lock.hpp — asyncio.Lock: mutual exclusion between coroutines.
//
//   corio::lock l;
//   {
//     auto g = co_await l.acquire();          // RAII: released when g goes away, or g.unlock()
//     ...
//   }
//   if (auto g = l.try_acquire()) { ... }     // std::optional<lock::guard>; never suspends
//
// Not reentrant, and the guard is the ownership (there is no owner task). Waiters are served first
// come, first served: a release hands the lock directly to the oldest waiter (it stays locked), so
// a later acquire() or try_acquire() cannot overtake anyone who waits.
// `async_acquire(token)` is the same operation for any Asio completion token (callbacks,
// asio::use_future, asio::deferred); completion signature `void(boost::system::error_code,
// lock::guard)`. The handler runs on its associated executor, never inside the releasing call
// (handler executors: see HANDLERS below).
//
// Cancellation: a waiting acquire is cancellable through its cancellation slot (terminal, partial
// and total all apply): it completes with operation_aborted (acquire() throws it as
// boost::system::system_error) and takes no lock; the lock goes to the next waiter. Once the lock
// has been handed to a waiter, a cancellation arriving before that waiter resumes no longer applies:
// it gets the guard (and meets its cancellation at its next suspension point), so the lock is
// never lost. A guard that is destroyed undelivered (its executor shut down) releases the lock.
// Exceptions: acquire() throws only the cancellation; guard::unlock() on a guard that does not hold
// the lock throws std::logic_error.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: use a lock from coroutines and handlers of one executor (a
// strand on a multi-threaded io_context); there is no internal locking. Destroying a lock that has
// waiters completes them with operation_aborted; it must outlive its guards.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/basic_guard.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace corio {

class condition;

class lock {
public:
  /// Holds the lock; move-only; releases it when destroyed.
  class guard : public detail::basic_guard<lock> {
  public:
    guard() = default;

    [[nodiscard]] bool owns_lock() const noexcept { return owner_ != nullptr; }
    /// Releases the lock now. Throws std::logic_error if this guard does not hold it.
    void unlock() { give_back_or_throw("corio::lock::guard::unlock: this guard does not hold the lock"); }

  private:
    friend class lock;
    friend class condition;
    explicit guard(lock& l) noexcept : basic_guard(l) {}
  };

  lock() = default;
  lock(const lock&) = delete;
  lock& operator=(const lock&) = delete;
  ~lock();

  [[nodiscard]] bool locked() const noexcept { return locked_; }

  /// Takes the lock if it is free (and so nobody waits); never suspends.
  [[nodiscard]] std::optional<guard> try_acquire() noexcept;

  /// Waits for the lock. Signature void(error_code, lock::guard).
  template <typename CompletionToken>
  auto async_acquire(CompletionToken&& token);

  /// `auto g = co_await l.acquire();`
  [[nodiscard]] awaitable<guard> acquire();

  // Implementation

private:
  friend class condition;

  // A node in the lock's queue: an acquire, or a condition waiter re-acquiring (condition.hpp).
  struct waiter : detail::wait_op {
    explicit waiter(lock* l) noexcept : owner(l) {}
    /// The lock is now held on this waiter's behalf; completes it.
    virtual void grant() = 0;
    lock* owner;
  };

  struct acquire_node : waiter {
    using waiter::waiter;
    void grant() override {
      g = guard(*owner);
      complete({});
    }
    guard g;
  };

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<acquire_node&>(w);
    n.owner->waiters_.erase(&n);
    n.complete(detail::aborted());
  }

  /// Grants the lock to `w` at once if it is free, else queues it (condition's re-acquire).
  void enqueue(waiter* w) {
    detail::affinity::use in_use(affinity_, "corio::lock");
    if (!locked_) {
      locked_ = true;
      w->grant();
    } else {
      waiters_.push_back(w);
    }
  }

  friend class detail::basic_guard<lock>;
  void give_back(std::tuple<>) noexcept { release(); }

  /// Hands the lock to the oldest waiter, or frees it.
  void release() noexcept {
    detail::affinity::use in_use(affinity_, "corio::lock");
    // Invariant: waiters exist only while the lock is held.
    if (waiter* w = waiters_.pop_front()) {
      w->grant();
    } else {
      locked_ = false;
    }
  }

  detail::wait_list<waiter> waiters_;
  bool locked_ = false;
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

inline lock::~lock() {
  while (waiter* w = waiters_.pop_front()) w->complete(detail::aborted());
}

inline std::optional<lock::guard> lock::try_acquire() noexcept {
  detail::affinity::use in_use(affinity_, "corio::lock");
  if (locked_) return std::nullopt;
  locked_ = true;
  return guard(*this);
}

template <typename CompletionToken>
auto lock::async_acquire(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code, guard)>(
      [this](auto handler) {
        detail::affinity::use in_use(affinity_, "corio::lock");
        detail::grant_or_enqueue<acquire_node>(std::move(handler), [this] { return try_acquire(); }, waiters_,
                                               &on_cancel, this);
      },
      token);
}

// (lock::acquire() is compiled once, in lib/src/lock.cpp.)

}  // namespace corio
