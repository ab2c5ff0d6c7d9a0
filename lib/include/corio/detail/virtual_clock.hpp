// corio/detail/virtual_clock.hpp — virtual time for tests (see corio/testing.hpp). Internal.
//
// Timers register here instead of with the kernel; the test loop advances time to the earliest
// deadline whenever nothing else can run (Trio's MockClock with autojump).
#pragma once

#include <corio/clock.hpp>

#include <cstdint>
#include <map>

namespace corio::detail {

class timer;

class virtual_clock {
public:
  using time_point = clock::time_point;

  virtual_clock() = default;
  virtual_clock(const virtual_clock&) = delete;
  virtual_clock& operator=(const virtual_clock&) = delete;
  ~virtual_clock();

  [[nodiscard]] time_point now() const noexcept { return now_; }
  /// Moves time forward by `d`, firing (posting) every timer that falls due.
  void advance(clock::duration d);
  /// Jumps to the earliest pending deadline and fires what is due; false if nothing is pending.
  bool jump_to_next();
  [[nodiscard]] std::size_t pending() const noexcept { return timers_.size(); }
  /// The earliest pending deadline (meaningful only when pending() > 0).
  [[nodiscard]] time_point next_deadline() const noexcept { return timers_.begin()->first; }

  using queue = std::multimap<time_point, timer*>;
  queue::iterator schedule(time_point at, timer* t) { return timers_.emplace(at, t); }
  void remove(queue::iterator it) { timers_.erase(it); }

private:
  void fire_due();

  // Starts a day after the steady clock's epoch so that `now() - d` stays meaningful.
  time_point now_ = time_point(std::chrono::hours(24));
  queue timers_;
};

/// Makes `c` the current thread's virtual clock for this object's lifetime.
class virtual_clock_guard {
public:
  explicit virtual_clock_guard(virtual_clock& c) noexcept : prev_(current_virtual_clock) {
    current_virtual_clock = &c;
  }
  ~virtual_clock_guard() { current_virtual_clock = prev_; }
  virtual_clock_guard(const virtual_clock_guard&) = delete;
  virtual_clock_guard& operator=(const virtual_clock_guard&) = delete;

private:
  virtual_clock* prev_;
};

}  // namespace corio::detail
