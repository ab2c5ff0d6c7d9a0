// test/support/http/http_testing.hpp — helpers for tests that talk to real (loopback) servers:
// they run in real time (a virtual clock would jump past timeouts while the kernel delivers
// bytes), with bounds that are generous where time matters.
#pragma once

#include <corio/http/error.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>

namespace corio::test {

inline corio::testing::options real_time() {
  corio::testing::options o;
  o.virtual_time = false;
  o.deadlock_grace = std::chrono::seconds(30);
  return o;
}

/// Awaits `aw`, which must fail with corio::http::error; returns that error.
template <typename T>
corio::awaitable<corio::http::error> expect_http_error(corio::awaitable<T> aw) {
  std::optional<corio::http::error> e;
  try {
    co_await std::move(aw);
  } catch (const corio::http::error& he) {
    e = he;
  }
  if (!e) throw std::runtime_error("expected a corio::http::error, the request succeeded");
  co_return *e;
}

/// Milliseconds since `t0` (real time).
inline long long ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace corio::test

#define CORIO_HTTP_TEST(name) CORIO_TEST_CASE_WITH(name, ::corio::test::real_time())
