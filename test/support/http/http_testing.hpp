// test/support/http/http_testing.hpp — helpers for tests that talk to real (loopback) servers:
// they run in real time (a virtual clock would jump past timeouts while the kernel delivers
// bytes), with bounds that are generous where time matters.
#pragma once

#include <corio/http/error.hpp>
#include <corio/testing.hpp>

#include "support/real_time.hpp"

#include <boost/test/unit_test.hpp>

#include <utility>

namespace corio::test {

/// Awaits `aw`, which must fail with corio::http::error; returns that error.
template <typename T>
corio::awaitable<corio::http::error> expect_http_error(corio::awaitable<T> aw) {
  return expect_error<corio::http::error>(std::move(aw), "corio::http::error");
}

}  // namespace corio::test

#define CORIO_HTTP_TEST(name) CORIO_TEST_CASE_WITH(name, ::corio::test::real_time())
