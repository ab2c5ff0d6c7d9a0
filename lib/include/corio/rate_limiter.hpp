// corio/rate_limiter.hpp — a token bucket: at most `burst` operations at once, refilled at `rate`
// per second (the usual way to keep a client under a server's rate limit).
//
//   corio::rate_limiter limit(10.0, 5);        // 10 per second, bursts of up to 5
//   co_await limit.acquire();                  // waits its turn
//
// Guarantee: in any time window of length t, at most burst + rate·t acquisitions complete. Waiters
// are served FIFO. Implemented as GCRA (virtual scheduling): each acquire reserves the next slot in
// O(1) and sleeps until it, on corio::clock (so it runs in virtual time under corio::testing).
//
// Cancellation: a waiting acquire is cancellable and throws operation_aborted. Its reserved slot is
// not handed to later waiters (they were already scheduled behind it), so cancellations make the
// limiter admit fewer, never more, than the guarantee.
// Exceptions: std::invalid_argument for a rate ≤ 0 or a burst of 0; operation_aborted.
// Thread safety: executor-affine (one executor or strand); try_acquire() likewise.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/sleep.hpp>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace corio {

class rate_limiter {
public:
  rate_limiter(double rate_per_second, std::size_t burst = 1)
      : interval_(check(rate_per_second, burst)), burst_(burst), tat_(clock::now()) {}

  /// Waits until this caller may proceed.
  [[nodiscard]] awaitable<void> acquire() {
    const auto now = clock::now();
    const auto allowed_at = reserve(now);
    if (allowed_at > now) co_await sleep_until(allowed_at);
  }

  /// Takes a slot only if one is free right now; never suspends.
  [[nodiscard]] bool try_acquire() {
    const auto now = clock::now();
    const auto tat = std::max(tat_, now);
    if (tat - tolerance() > now) return false;
    tat_ = tat + interval_;
    return true;
  }

  [[nodiscard]] duration interval() const noexcept { return interval_; }
  [[nodiscard]] std::size_t burst() const noexcept { return burst_; }

private:
  static duration check(double rate, std::size_t burst) {
    if (!(rate > 0) || !std::isfinite(rate)) throw std::invalid_argument("corio::rate_limiter: rate must be > 0");
    if (burst == 0) throw std::invalid_argument("corio::rate_limiter: burst must be at least 1");
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(1.0 / rate));
  }
  [[nodiscard]] duration tolerance() const noexcept { return interval_ * static_cast<long>(burst_ - 1); }

  // GCRA: the theoretical arrival time `tat_` advances one interval per admission; a caller may
  // proceed once `tat - tolerance` has been reached.
  clock::time_point reserve(clock::time_point now) {
    const auto tat = std::max(tat_, now);
    tat_ = tat + interval_;
    return tat - tolerance();
  }

  duration interval_;
  std::size_t burst_;
  clock::time_point tat_;
};

}  // namespace corio
