// corio/capacity_limiter.hpp — Trio's CapacityLimiter: a semaphore whose size can change and which
// knows who borrowed its tokens.
//
//   corio::capacity_limiter limiter(10);
//   auto g = co_await limiter.acquire();                        // an anonymous borrower
//   auto h = co_await limiter.acquire_on_behalf_of(&conn);      // borrower = any object's address
//   limiter.set_total_tokens(20);                               // growing wakes waiters at once
//
// Each token is borrowed by a borrower: an object address given to acquire_on_behalf_of(), or
// nobody in particular for acquire() (Trio uses the current task; Corio has no ambient task
// identity). One borrower may hold at most one token: acquiring again for a borrower that holds (or
// waits for) one is a std::logic_error, as in Trio. Shrinking total_tokens below borrowed_tokens()
// takes nothing back; new borrowers wait until enough tokens have come back. Waiters are served
// first come, first served. Async forms: `async_acquire(token)`,
// `async_acquire_on_behalf_of(borrower, token)`; signature
// `void(boost::system::error_code, capacity_limiter::guard)`; the handler runs on its associated
// executor, never inside the releasing call (handler executors: see HANDLERS below).
//
// Cancellation: a waiting acquire is cancellable through its cancellation slot (terminal, partial,
// total): it completes with operation_aborted (thrown as boost::system::system_error) and borrows
// nothing; the token goes to the next waiter. A token handed to a waiter whose cancellation arrives
// before it resumes is not lost: the waiter receives the guard (a guard destroyed undelivered gives
// the token back).
// Exceptions: std::invalid_argument for total_tokens == 0 or a null borrower; std::logic_error
// for a borrower that already holds or waits; the cancellation.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: one executor (or strand). Destroying a limiter with waiters
// completes them with operation_aborted; it must outlive its guards.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/basic_guard.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_set>
#include <utility>

namespace corio {

class capacity_limiter {
public:
  /// Holds one borrowed token; move-only; gives it back when destroyed.
  class guard : public detail::basic_guard<capacity_limiter, const void*> {
  public:
    guard() = default;

    [[nodiscard]] bool owns_token() const noexcept { return owner_ != nullptr; }
    /// The borrower given to acquire_on_behalf_of(), or nullptr for acquire().
    [[nodiscard]] const void* borrower() const noexcept { return data_; }
    /// Gives the token back now. Throws std::logic_error if this guard holds none.
    void release() { give_back_or_throw("corio::capacity_limiter::guard::release: this guard holds no token"); }

  private:
    friend class capacity_limiter;
    guard(capacity_limiter& l, const void* b) noexcept : basic_guard(l, b) {}
  };

  explicit capacity_limiter(std::size_t total_tokens);
  capacity_limiter(const capacity_limiter&) = delete;
  capacity_limiter& operator=(const capacity_limiter&) = delete;
  ~capacity_limiter();

  [[nodiscard]] std::size_t total_tokens() const noexcept { return total_; }
  /// Changes the size; growing hands the new tokens to waiters at once. Throws for 0.
  void set_total_tokens(std::size_t n);
  [[nodiscard]] std::size_t borrowed_tokens() const noexcept { return borrowed_; }
  [[nodiscard]] std::size_t available_tokens() const noexcept { return borrowed_ < total_ ? total_ - borrowed_ : 0; }
  /// Coroutines waiting for a token.
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }
  /// True if `borrower` holds a token.
  [[nodiscard]] bool holds(const void* borrower) const { return borrowers_.contains(borrower); }

  /// Borrows a token if one is free (and nobody waits); never suspends.
  [[nodiscard]] std::optional<guard> try_acquire() { return try_borrow(nullptr); }
  [[nodiscard]] std::optional<guard> try_acquire_on_behalf_of(const void* borrower);

  /// Waits for a token. Signature void(error_code, capacity_limiter::guard).
  template <typename CompletionToken>
  auto async_acquire(CompletionToken&& token) {
    return initiate(nullptr, std::forward<CompletionToken>(token));
  }
  template <typename CompletionToken>
  auto async_acquire_on_behalf_of(const void* borrower, CompletionToken&& token);

  /// `auto g = co_await limiter.acquire();`
  [[nodiscard]] auto acquire();
  [[nodiscard]] auto acquire_on_behalf_of(const void* borrower);

  // Implementation

private:
  struct node : detail::guard_waiter<capacity_limiter, guard> {
    node(capacity_limiter* l, const void* b) noexcept : guard_waiter(l), borrower(b) {}
    const void* borrower;
  };

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<node&>(w);
    n.owner->waiters_.erase(&n);
    n.complete(detail::aborted());
  }

  void check_borrower(const void* borrower) const;
  std::optional<guard> try_borrow(const void* borrower);
  guard borrow(const void* borrower) {
    ++borrowed_;
    if (borrower) borrowers_.insert(borrower);
    return guard(*this, borrower);
  }
  friend class detail::basic_guard<capacity_limiter, const void*>;
  void give_back(const void* borrower) noexcept {
    detail::affinity::use in_use(affinity_, "corio::capacity_limiter");
    if (borrower) borrowers_.erase(borrower);
    --borrowed_;
    serve_waiters();
  }
  // Invariant afterwards: waiters exist only while borrowed_ >= total_.
  void serve_waiters() noexcept {
    while (borrowed_ < total_ && !waiters_.empty()) {
      node* n = waiters_.pop_front();
      try {
        n->g = borrow(n->borrower);
        n->complete({});
      } catch (...) {  // out of memory recording the borrower: this waiter fails, not the releaser
        n->complete(boost::system::errc::make_error_code(boost::system::errc::not_enough_memory));
      }
    }
  }

  template <typename CompletionToken>
  auto initiate(const void* borrower, CompletionToken&& token);

  detail::wait_list<node> waiters_;
  std::unordered_set<const void*> borrowers_;
  std::size_t total_;
  std::size_t borrowed_ = 0;
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

inline capacity_limiter::capacity_limiter(std::size_t total_tokens) : total_(total_tokens) {
  if (total_tokens == 0) throw std::invalid_argument("corio::capacity_limiter: total_tokens must be at least 1");
}

inline capacity_limiter::~capacity_limiter() {
  while (node* n = waiters_.pop_front()) n->complete(detail::aborted());
}

inline void capacity_limiter::set_total_tokens(std::size_t n) {
  detail::affinity::use in_use(affinity_, "corio::capacity_limiter");
  if (n == 0) throw std::invalid_argument("corio::capacity_limiter: total_tokens must be at least 1");
  total_ = n;
  serve_waiters();
}

inline void capacity_limiter::check_borrower(const void* borrower) const {
  if (!borrower) throw std::invalid_argument("corio::capacity_limiter: the borrower must not be null");
  if (borrowers_.contains(borrower) || waiters_.find_if([&](const node& n) { return n.borrower == borrower; })) {
    throw std::logic_error("corio::capacity_limiter: this borrower already holds a token (or waits for one)");
  }
}

inline std::optional<capacity_limiter::guard> capacity_limiter::try_acquire_on_behalf_of(const void* borrower) {
  check_borrower(borrower);
  return try_borrow(borrower);
}

inline std::optional<capacity_limiter::guard> capacity_limiter::try_borrow(const void* borrower) {
  detail::affinity::use in_use(affinity_, "corio::capacity_limiter");
  if (borrowed_ >= total_ || !waiters_.empty()) return std::nullopt;
  return borrow(borrower);
}

template <typename CompletionToken>
auto capacity_limiter::async_acquire_on_behalf_of(const void* borrower, CompletionToken&& token) {
  // Checked here, not in the initiation: with asio::deferred the initiation runs after the
  // coroutine has suspended, where an exception could not reach it.
  check_borrower(borrower);
  return initiate(borrower, std::forward<CompletionToken>(token));
}

template <typename CompletionToken>
auto capacity_limiter::initiate(const void* borrower, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code, guard)>(
      [this](auto handler, const void* b) {
        detail::affinity::use in_use(affinity_, "corio::capacity_limiter");
        detail::grant_or_enqueue<node>(std::move(handler), [this, b] { return try_borrow(b); }, waiters_, &on_cancel,
                                       this, b);
      },
      token, borrower);
}

inline auto capacity_limiter::acquire() { return async_acquire(asio::deferred); }
inline auto capacity_limiter::acquire_on_behalf_of(const void* borrower) {
  return async_acquire_on_behalf_of(borrower, asio::deferred);
}

}  // namespace corio
