// test/support/real_time.hpp — what tests against real (loopback) servers share: they run in real
// time (a virtual clock would jump past timeouts while the kernel delivers bytes), with a
// generous deadlock grace; expect_error<E> awaits what must fail with E; ms_since measures.
#pragma once

#include <corio/testing.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace corio::test {

inline corio::testing::options real_time() {
  corio::testing::options o;
  o.virtual_time = false;
  o.deadlock_grace = std::chrono::seconds(30);
  return o;
}

/// Awaits `aw`, which must fail with an `Error`; returns that error (throws if `aw` succeeds).
template <typename Error, typename T>
corio::awaitable<Error> expect_error(corio::awaitable<T> aw, const char* what) {
  std::optional<Error> e;
  try {
    co_await std::move(aw);
  } catch (const Error& caught) {
    e = caught;
  }
  if (!e) throw std::runtime_error(std::string("expected a ") + what + ", the call succeeded");
  co_return *e;
}

/// Milliseconds since `t0` (real time).
inline long long ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace corio::test
