// corio/testing.hpp — deterministic, fast tests of coroutine code.
//
//   corio::testing::run_test([]() -> corio::awaitable<void> {
//     auto t0 = corio::clock::now();
//     BOOST_CHECK_THROW(co_await corio::wait_for(corio::sleep(60s), 30s), corio::timeout_error);
//     BOOST_CHECK(corio::clock::now() - t0 == 30s);        // exact, and in microseconds of real time
//   });
//
// run_test runs `fn()` as the main task of a fresh io_context. With virtual time (the default) a
// virtual clock is active on the thread: corio::clock::now(), sleep, every timeout, rate limiter
// and retry wait in virtual time, and whenever nothing is runnable the clock jumps to the next
// deadline (Trio's MockClock with autojump). It fails the test by throwing:
//  - the main coroutine's own exception, unchanged;
//  - deadlock_error when nothing is runnable, no virtual timer is pending and no real event
//    arrives within options.deadlock_grace (real time) — listing the live tasks;
//  - leftover_tasks_error when main ends while tasks it spawned are still alive (they are then
//    cancelled and drained before the error is thrown).
// CORIO_TEST_CASE(name) declares a Boost.Test case whose body is a coroutine run this way.
//
// Randomized schedules (Trio shuffles its run queue the same way): the test's main task runs on an
// executor of its own that queues every handler posted through it (tasks' steps, wake-ups of every
// Corio primitive, completions of Asio operations started from the test's coroutines); each turn
// of the io_context runs one queued handler: the oldest (posting order, as Asio's io_context) with
// options.schedule_seed 0, else one picked by a random generator seeded with it. A handler
// dispatched (not posted) from inside the context still runs inline, as Asio's own executors do. The same seed gives the same order, so a
// failure under one seed reproduces exactly (for tests that use virtual time, no real I/O and no
// other threads: handlers posted from a thread pool join the queue when they arrive).
// CORIO_TEST_CASE runs its test once per seed of schedule_seeds(): seed 0 (posting order) alone
// by default; seeds 0..N-1 with CORIO_TEST_SEEDS=N in the environment; only seed S with
// CORIO_TEST_SEED=S. A failure names its seed ("schedule seed S"); an exception that escapes a
// run (a deadlock, say) ends the loop.
//
// Cancellation: not applicable (blocking call).  Exceptions: as listed.
// Thread safety: blocks the calling thread; the virtual clock is per thread.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

namespace corio::testing {

struct options {
  bool virtual_time = true;
  /// Debug mode on the test's context (corio/debug.hpp).
  bool debug = false;
  /// How long (real time) to wait for outside events before calling it a deadlock.
  std::chrono::milliseconds deadlock_grace{5000};
  /// 0: handlers run in the order they were posted (Asio's). Otherwise the seed of a random order
  /// of the handlers ready at the same moment (see the header comment).
  std::uint64_t schedule_seed = 0;
  /// false: CORIO_TEST_CASE runs the test under seed 0 only (a test of posting order itself, or a
  /// stress test too large to repeat).
  bool randomize = true;
};

class deadlock_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class leftover_tasks_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

void run_test(const std::function<awaitable<void>()>& fn, options opts = {});

/// run_test's loop kept from one run to the next: one io_context with its services, one virtual
/// clock and one schedule queue for many runs. For callers that run thousands of short coroutines
/// (a fuzz target runs one per input), where a fresh io_context per run — an epoll instance, an
/// eventfd, Corio's services — costs more than the run itself. run_test(fn, opts) is
/// test_loop(opts).run(fn).
/// Each run() checks and throws what run_test does; after a run() that threw, destroy the loop.
/// Virtual time goes on from run to run (it never goes back: the context's timers were set on it).
/// With a schedule_seed other than 0 the order of one run depends on the runs before it.
/// Objects that outlive a run and hold the loop's executor must be destroyed before the loop.
/// Thread safety: one thread at a time runs a loop (as with run_test, the virtual clock is that
/// thread's while run() runs).
class test_loop {
public:
  explicit test_loop(options opts = {});
  ~test_loop();
  test_loop(const test_loop&) = delete;
  test_loop& operator=(const test_loop&) = delete;

  void run(const std::function<awaitable<void>()>& fn);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The schedule seeds CORIO_TEST_CASE runs a test with `opts` under: {0} if !opts.randomize, else
/// {CORIO_TEST_SEED} if set, else 0..CORIO_TEST_SEEDS-1 if set, else {0}. Throws
/// std::invalid_argument for a value that is not a number (a typo must not turn the randomized
/// run off silently).
[[nodiscard]] std::vector<std::uint64_t> schedule_seeds(const options& opts = {});

/// Inside run_test: returns once every other handler posted through the test's executor has run
/// and none is ready any more — every other task is blocked (on a timer, an event, a queue, I/O)
/// — without advancing virtual time (Trio's wait_all_tasks_blocked). The way to let spawned tasks
/// reach their suspension point under any schedule, where "two yields" only works in posting
/// order. Throws std::logic_error outside run_test; never returns while another task keeps
/// yielding.
[[nodiscard]] awaitable<void> wait_all_tasks_blocked();

/// Inside run_test with virtual time: moves the clock forward by `d`, firing due timers.
/// Throws std::logic_error without an active virtual clock.
void advance(duration d);

/// Inside run_test with virtual time: the wake-ups scheduled on the virtual clock, and the earliest
/// of them — the instant time jumps to when nothing can run (clock::time_point::max() if none).
/// The sleeps, timeouts and watchdogs of one context share one wake-up, set for their earliest
/// deadline or earlier (a deadline that moves later leaves it where it is), and dropped soon after
/// nothing on the context waits any more. For tests of what code leaves armed.
/// Throw std::logic_error without an active virtual clock.
[[nodiscard]] std::size_t pending_wakeups();
[[nodiscard]] clock::time_point next_wakeup();

}  // namespace corio::testing

// (Expanded in a Boost.Test translation unit. A failing check names its seed through the test
// context; an exception escaping a run names its seed and ends the loop.)
#define CORIO_TEST_CASE_WITH(name, opts)                                                                   \
  static ::corio::awaitable<void> name##_coro();                                                           \
  BOOST_AUTO_TEST_CASE(name) {                                                                             \
    const ::corio::testing::options corio_base_opts_ = (opts);                                             \
    for (const std::uint64_t corio_seed_ : ::corio::testing::schedule_seeds(corio_base_opts_)) {           \
      ::corio::testing::options corio_opts_ = corio_base_opts_;                                            \
      corio_opts_.schedule_seed = corio_seed_;                                                             \
      BOOST_TEST_CONTEXT("schedule seed " << corio_seed_ << " (CORIO_TEST_SEED=" << corio_seed_ << ")") { \
        try {                                                                                              \
          ::corio::testing::run_test(&name##_coro, corio_opts_);                                           \
        } catch (...) {                                                                                    \
          BOOST_ERROR("failed under schedule seed " << corio_seed_ << " (CORIO_TEST_SEED=" << corio_seed_   \
                                                    << " reruns it)");                                     \
          throw;                                                                                           \
        }                                                                                                  \
      }                                                                                                    \
    }                                                                                                      \
  }                                                                                                        \
  static ::corio::awaitable<void> name##_coro()

#define CORIO_TEST_CASE(name) CORIO_TEST_CASE_WITH(name, ::corio::testing::options{})
