// corio/semaphore.hpp — asyncio.Semaphore and asyncio.BoundedSemaphore: at most N holders.
//
//   corio::semaphore sem(4);
//   auto g = co_await sem.acquire();          // RAII guard: the permit returns when g goes away
//   if (auto g = sem.try_acquire()) { ... }   // std::optional<semaphore::guard>; never suspends
//
// Waiters are served first come, first served: a released permit is handed directly to the oldest
// waiter (value() stays 0), so neither a later acquire() nor try_acquire() can overtake a waiter.
// `release()` adds a permit without a guard (asyncio's release(): a semaphore may be used as a
// counter of events). `bounded_semaphore(n)` refuses to grow past n: its release() throws
// std::logic_error when no permit is out except those that guards hold (each guard gives its own
// permit back). `async_acquire(token)`: any Asio completion token; signature
// `void(boost::system::error_code, semaphore::guard)`; the handler runs on its associated
// executor, never inside the releasing call (handler executors: see HANDLERS below).
//
// Cancellation: a waiting acquire is cancellable through its cancellation slot (terminal, partial,
// total): it completes with operation_aborted (acquire() throws it as boost::system::system_error)
// and consumes no permit; the permit goes to the next waiter. A permit handed to a waiter whose
// cancellation arrives before it resumes is not lost: the waiter receives the guard (and meets the
// cancellation at its next suspension point); a guard destroyed undelivered returns its permit.
// Exceptions: acquire() throws only the cancellation; bounded_semaphore::release() and
// guard::release() on an empty guard throw std::logic_error.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: use from coroutines and handlers of one executor (or strand); no
// internal locking. Destroying a semaphore with waiters completes them with operation_aborted; it
// must outlive its guards.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/basic_guard.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace corio {

class semaphore {
public:
  /// Holds one permit; move-only; gives it back when destroyed.
  class guard : public detail::basic_guard<semaphore> {
  public:
    guard() = default;

    [[nodiscard]] bool owns_permit() const noexcept { return owner_ != nullptr; }
    /// Gives the permit back now. Throws std::logic_error if this guard holds none.
    void release() { give_back_or_throw("corio::semaphore::guard::release: this guard holds no permit"); }

  private:
    friend class semaphore;
    explicit guard(semaphore& s) noexcept : basic_guard(s) { ++s.guarded_; }
  };

  /// A semaphore with `value` permits (asyncio's default is 1).
  explicit semaphore(std::size_t value = 1) noexcept : value_(value) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;
  ~semaphore();

  /// Free permits.
  [[nodiscard]] std::size_t value() const noexcept { return value_; }
  /// True if acquire() would suspend.
  [[nodiscard]] bool locked() const noexcept { return value_ == 0; }
  /// Coroutines waiting in acquire().
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }

  /// Takes a permit if one is free; never suspends.
  [[nodiscard]] std::optional<guard> try_acquire() noexcept;

  /// Waits for a permit. Signature void(error_code, semaphore::guard).
  template <typename CompletionToken>
  auto async_acquire(CompletionToken&& token);

  /// `auto g = co_await sem.acquire();`
  [[nodiscard]] awaitable<guard> acquire();

  /// Adds a permit (handing it to the oldest waiter, if any). See bounded_semaphore.
  void release();

  // Implementation

protected:
  semaphore(std::size_t value, std::size_t bound) noexcept : value_(value), bound_(bound) {}

private:
  using node = detail::guard_waiter<semaphore, guard>;

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<node&>(w);
    n.owner->waiters_.erase(&n);
    n.complete(detail::aborted());
  }

  friend class detail::basic_guard<semaphore>;
  void give_back(std::tuple<>) noexcept {
    --guarded_;
    give_back();
  }

  /// One permit comes back: to the oldest waiter, else to the pool.
  void give_back() noexcept {
    detail::affinity::use in_use(affinity_, "corio::semaphore");
    // Invariant: waiters exist only while value_ == 0.
    if (node* n = waiters_.pop_front()) {
      n->g = guard(*this);
      n->complete({});
    } else {
      ++value_;
    }
  }

  detail::wait_list<node> waiters_;
  std::size_t value_;
  std::size_t bound_ = std::numeric_limits<std::size_t>::max();
  std::size_t guarded_ = 0;  // permits held by guards (delivered or on their way)
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

/// asyncio.BoundedSemaphore: release() beyond the initial value is an error.
class bounded_semaphore : public semaphore {
public:
  explicit bounded_semaphore(std::size_t value = 1) noexcept : semaphore(value, value) {}
};

inline semaphore::~semaphore() {
  while (node* n = waiters_.pop_front()) n->complete(detail::aborted());
}

inline std::optional<semaphore::guard> semaphore::try_acquire() noexcept {
  detail::affinity::use in_use(affinity_, "corio::semaphore");
  if (value_ == 0) return std::nullopt;
  --value_;
  return guard(*this);
}

inline void semaphore::release() {
  detail::affinity::use in_use(affinity_, "corio::semaphore");
  // Permits out without a guard = bound - value - guarded; releasing needs one of those.
  if (bound_ != std::numeric_limits<std::size_t>::max() && value_ + guarded_ >= bound_) {
    throw std::logic_error("corio::bounded_semaphore::release: released more often than acquired (the "
                           "value would exceed its initial " + std::to_string(bound_) + ")");
  }
  give_back();
}

template <typename CompletionToken>
auto semaphore::async_acquire(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code, guard)>(
      [this](auto handler) {
        detail::affinity::use in_use(affinity_, "corio::semaphore");
        detail::grant_or_enqueue<node>(std::move(handler), [this] { return try_acquire(); }, waiters_, &on_cancel,
                                       this);
      },
      token);
}

// (semaphore::acquire() is compiled once, in lib/src/semaphore.cpp.)

}  // namespace corio
