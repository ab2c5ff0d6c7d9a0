// corio/detail/deadline_queue.hpp — the deadlines of every timeout scope of one execution context
// behind a single timer. Internal.
//
// A timeout that ends before its deadline (the common case) costs a heap insert and erase under
// an uncontended mutex — no timer operation, no system call. The timer is armed for the earliest
// deadline only when that moves earlier than the instant it is armed for; on waking it fires what
// is due and re-arms for the next. When the queue empties, a posted check disarms the timer (so
// a pending wait never keeps io_context::run() from returning); a timeout started before that
// check runs finds the timer still armed and costs nothing.
//
// Entries with equal deadlines fire in the order they were added (sleeps rely on it).
//
// Firing: the waking thread pops every due entry (state `firing`) and calls their `fire` functions
// without the lock, then `resume` for those whose fire asked for it. An entry's owner must not be
// destroyed while it is `firing`: it ends that state with fired() (the timeout scope does so on
// its own executor, and defers its completion until then).
// Thread safety: every member may be called from any thread.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/timer.hpp>

#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace corio::detail {

class deadline_queue final : public asio::execution_context::service {
public:
  using key_type = deadline_queue;
  static inline asio::execution_context::id id;
  /// Bumped when a queue dies (see context_service.hpp).
  static inline std::atomic<std::uint64_t> generation{1};

  enum class state : std::uint8_t { idle, queued, firing };

  struct entry {
    clock::time_point deadline{};
    // Called on the timer's thread, without the lock. Returning true asks for `resume` once every
    // entry due at this wake-up has fired (the entry must then stay alive, untouched elsewhere):
    // an owner on the timer's own thread completes there, but only after all of them have fired,
    // as timers due together complete together.
    bool (*fire)(entry&) = nullptr;
    void (*resume)(entry&) = nullptr;
    // Called (without the lock) for an entry still queued when the context shuts down: its owner
    // drops the handler it keeps (nullptr: the owner is torn down by other means).
    void (*abandon)(entry&) noexcept = nullptr;
    std::size_t index = 0;           // position in the heap while queued
    state st = state::idle;          // guarded by the queue's mutex
    entry* next_fired = nullptr;
  };

  explicit deadline_queue(asio::execution_context& ctx);
  ~deadline_queue() override;

  /// The queue of `ex`'s execution context.
  static deadline_queue& of(const executor& ex);

  /// Queues `e` (idle) for `e.deadline`.
  void add(entry& e, const executor& ex);
  /// Takes `e` out if it is queued; returns the state it was in (firing: its owner must wait for
  /// fired()). With `disarm_when_empty` false (teardown) no idle check is posted.
  state remove(entry& e, bool disarm_when_empty = true) noexcept;
  /// Moves a queued entry's deadline; no effect on an entry that is not queued.
  void update(entry& e, clock::time_point tp);
  /// Ends the `firing` state of an entry (the owner may then be destroyed).
  void fired(entry& e) noexcept;

private:
  void shutdown() override;

  // A heap element keeps its entry's key: sifting compares without touching the entries, which
  // live scattered in their owners' frames (a cache miss each, with 100,000 sleepers).
  struct node {
    clock::time_point deadline;
    std::uint64_t seq;
    entry* e;
  };
  static bool earlier(const node& a, const node& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  void place(std::size_t i, const node& n) noexcept {
    heap_[i] = n;
    n.e->index = i;
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void erase_at(std::size_t i) noexcept;
  void arm_locked(clock::time_point tp);
  void on_wake(std::uint64_t generation);
  void check_idle();

  std::mutex mutex_;
  std::vector<node> heap_;
  std::optional<executor> ex_;  // the context's own executor, for the timer and the idle check
  std::optional<timer> timer_;
  clock::time_point armed_ = clock::time_point::max();  // max: no wait pending
  std::uint64_t generation_ = 0;
  std::uint64_t next_seq_ = 0;
  bool check_posted_ = false;
  bool shut_down_ = false;
};

}  // namespace corio::detail
