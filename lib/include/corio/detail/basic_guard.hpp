// corio/detail/basic_guard.hpp — what lock, semaphore and capacity_limiter share: the move-only
// guard that gives back what it holds when it goes away, the initiation that grants at once or
// queues the waiter, and the completion that hands a queued waiter its guard. Internal.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/deferred.hpp>

#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace corio::detail {

/// Holds one unit of `Owner` (the lock, a permit, a token) and gives it back through
/// `Owner::give_back(Data)` when destroyed or reset. `Data` travels with the unit (the borrower
/// of a capacity_limiter token); empty for the others. Owners befriend this class.
template <typename Owner, typename Data = std::tuple<>>
class basic_guard {
public:
  /// An empty guard (holds nothing).
  basic_guard() = default;
  basic_guard(basic_guard&& other) noexcept
      : owner_(std::exchange(other.owner_, nullptr)), data_(std::move(other.data_)) {}
  basic_guard& operator=(basic_guard&& other) noexcept {
    if (this != &other) {
      reset();
      owner_ = std::exchange(other.owner_, nullptr);
      data_ = std::move(other.data_);
    }
    return *this;
  }
  ~basic_guard() { reset(); }

  explicit operator bool() const noexcept { return owner_ != nullptr; }

protected:
  explicit basic_guard(Owner& owner, Data data = {}) noexcept : owner_(&owner), data_(std::move(data)) {}

  /// Gives the unit back now; `what` is the std::logic_error message for an empty guard.
  void give_back_or_throw(const char* what) {
    if (!owner_) throw std::logic_error(what);
    reset();
  }
  void reset() noexcept {
    if (Owner* o = std::exchange(owner_, nullptr)) o->give_back(data_);
  }

  Owner* owner_ = nullptr;
  [[no_unique_address]] Data data_{};
};

/// A waiter queued in an owner's wait_list, with the guard it is granted.
template <typename Owner, typename Guard>
struct guard_waiter : wait_op {
  explicit guard_waiter(Owner* o) noexcept : owner(o) {}
  Owner* owner;
  Guard g;
};

/// The completion arguments of an acquire: (error, the granted guard or an empty one).
template <typename Node>
struct guard_completion {
  static auto args(Node& n, error_code ec) { return std::tuple(ec, std::move(n.g)); }
};

/// The initiation of async_acquire: `take()` returns an engaged std::optional<Guard> when a unit
/// is free (the handler completes with it, posted, never inside the call); otherwise a `Node`
/// built from `args...` is queued in `waiters` and armed with `on_cancel`.
template <typename Node, typename Handler, typename Take, typename List, typename... Args>
void grant_or_enqueue(Handler&& handler, Take&& take, List& waiters, void (*on_cancel)(wait_op&), Args&&... args) {
  if (auto g = take()) {
    post_now(std::forward<Handler>(handler), error_code(), std::move(*g));
    return;
  }
  auto* op = make_op<Node, guard_completion<Node>>(std::forward<Handler>(handler), std::forward<Args>(args)...);
  waiters.push_back(op);
  op->arm(on_cancel);
}

/// `co_await owner.acquire()`: takes a free unit without suspending (asyncio does the same: no
/// scheduler round trip on the uncontended path), else waits. try_acquire() never overtakes a
/// waiter, so FIFO order holds. Instantiated once per owner, in lib/src.
template <typename Owner>
awaitable<typename Owner::guard> acquire_now_or_wait(Owner& owner) {
  if (auto g = owner.try_acquire()) co_return std::move(*g);
  co_return co_await owner.async_acquire(asio::deferred);
}

}  // namespace corio::detail
