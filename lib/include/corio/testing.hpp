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
// Cancellation: not applicable (blocking call).  Exceptions: as listed.
// Thread safety: blocks the calling thread; the virtual clock is per thread.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <stdexcept>

namespace corio::testing {

struct options {
  bool virtual_time = true;
  /// Debug mode on the test's context (corio/debug.hpp).
  bool debug = false;
  /// How long (real time) to wait for outside events before calling it a deadlock.
  std::chrono::milliseconds deadlock_grace{5000};
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

#define CORIO_TEST_CASE_WITH(name, opts)                                       \
  static ::corio::awaitable<void> name##_coro();                               \
  BOOST_AUTO_TEST_CASE(name) { ::corio::testing::run_test(&name##_coro, opts); } \
  static ::corio::awaitable<void> name##_coro()

#define CORIO_TEST_CASE(name) CORIO_TEST_CASE_WITH(name, ::corio::testing::options{})
