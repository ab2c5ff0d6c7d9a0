// corio/clock.hpp — the clock behind every Corio sleep, timeout, rate limit and retry.
//
// `corio::clock` is std::chrono::steady_clock, except on a thread where a virtual clock is active
// (corio/testing.hpp): there `now()` is virtual time, and Corio's timers wait in virtual time.
// Plain asio::steady_timer objects are not affected.
//
// Cancellation: not applicable.  Exceptions: none.
// Thread safety: now() is safe from any thread (each thread sees its own virtual clock, if any).
#pragma once

#include <corio/config.hpp>

#include <chrono>

namespace corio {

namespace detail {
class virtual_clock;
/// The virtual clock active on this thread, or null (set by corio::testing).
inline thread_local virtual_clock* current_virtual_clock = nullptr;
std::chrono::steady_clock::time_point virtual_now(const virtual_clock& c) noexcept;
}  // namespace detail

struct clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;

  [[nodiscard]] static time_point now() noexcept {
    if (const auto* v = detail::current_virtual_clock) [[unlikely]]
      return detail::virtual_now(*v);
    return std::chrono::steady_clock::now();
  }
};

}  // namespace corio
