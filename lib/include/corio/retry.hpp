// corio/retry.hpp — retry with exponential backoff and jitter, to ride out transient failures.
//
//   corio::retry_policy p;
//   p.max_attempts = 5;
//   p.delay_hint = [](const std::exception_ptr& e) { return retry_after_of(e); };  // e.g. HTTP 429
//   auto body = co_await corio::retry(p, [&](int attempt) { return fetch(url); });
//
// Calls `fn()` (or `fn(attempt)`, attempt counting from 1) until it returns a value, at most
// `max_attempts` times. Between attempts it sleeps (on corio::clock) for
// min(max_delay, initial_delay · multiplier^(attempt-1)), reduced by up to `jitter` (a fraction,
// 0..1, chosen at random) so that many clients do not retry in lock-step — unless `delay_hint`
// returns a delay for that error (a server's Retry-After), which is used as is (capped by
// max_delay). `retryable` decides which errors are worth another attempt (default: all but
// cancellation and std::logic_error). `on_retry` is told about each retry before its sleep.
//
// Cancellation: never retried; cancellation during an attempt or a backoff sleep ends retry at
// once with operation_aborted.
// Exceptions: the last attempt's error, unchanged, when attempts run out or the error is not
// retryable; std::invalid_argument for max_attempts < 1.
// Thread safety: each call is independent; the policy's callbacks run on the caller's executor.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/sleep.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <stdexcept>
#include <type_traits>

namespace corio {

struct retry_policy {
  int max_attempts = 3;
  duration initial_delay = std::chrono::milliseconds(100);
  double multiplier = 2.0;
  duration max_delay = std::chrono::seconds(30);
  double jitter = 0.2;
  std::function<bool(const std::exception_ptr&)> retryable;
  std::function<std::optional<duration>(const std::exception_ptr&)> delay_hint;
  std::function<void(int attempt, const std::exception_ptr& error, duration delay)> on_retry;

  /// The backoff before attempt `attempt + 1` (without jitter or hint).
  [[nodiscard]] duration backoff(int attempt) const {
    const double base = std::chrono::duration<double>(initial_delay).count() * std::pow(multiplier, attempt - 1);
    const double capped = std::min(base, std::chrono::duration<double>(max_delay).count());
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(capped));
  }
};

template <typename F>
[[nodiscard]] auto retry(retry_policy policy, F fn);

// Implementation

namespace detail {

inline bool default_retryable(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::logic_error&) {
    return false;
  } catch (...) {
    return true;
  }
}

inline double jitter_fraction() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

template <typename F>
auto call_attempt(F& fn, int attempt) {
  if constexpr (std::is_invocable_v<F&, int>) return std::invoke(fn, attempt);
  else return std::invoke(fn);
}

template <typename F>
using retry_result = typename decltype(call_attempt(std::declval<F&>(), 1))::value_type;

}  // namespace detail

template <typename F>
auto retry(retry_policy policy, F fn) {
  return [](retry_policy p, F f) -> awaitable<detail::retry_result<F>> {
    if (p.max_attempts < 1) throw std::invalid_argument("corio::retry: max_attempts must be at least 1");
    for (int attempt = 1;; ++attempt) {
      std::exception_ptr error;
      try {
        co_return co_await detail::call_attempt(f, attempt);
      } catch (...) {
        error = std::current_exception();
      }
      if (is_cancellation(error) || attempt >= p.max_attempts) std::rethrow_exception(error);
      if (!(p.retryable ? p.retryable(error) : detail::default_retryable(error))) std::rethrow_exception(error);
      duration delay{};
      if (auto hint = p.delay_hint ? p.delay_hint(error) : std::nullopt) {
        delay = std::clamp(*hint, duration::zero(), p.max_delay);
      } else {
        delay = p.backoff(attempt);
        if (p.jitter > 0) {
          const double cut = std::clamp(p.jitter, 0.0, 1.0) * detail::jitter_fraction();
          delay = std::chrono::duration_cast<duration>(delay * (1.0 - cut));
        }
      }
      if (p.on_retry) p.on_retry(attempt, error, delay);
      co_await sleep(delay);
    }
  }(std::move(policy), std::move(fn));
}

}  // namespace corio
