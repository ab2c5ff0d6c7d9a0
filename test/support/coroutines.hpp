// Small coroutines the unit suites share: a value or a failure after a delay (virtual time under
// corio::testing, so the delays cost nothing).
#pragma once

#include <corio/config.hpp>
#include <corio/sleep.hpp>

#include <stdexcept>
#include <string>

namespace corio::test {

/// Returns `v` after sleeping `d`.
template <typename T>
corio::awaitable<T> value_after(corio::duration d, T v) {
  co_await corio::sleep(d);
  co_return v;
}

/// Throws std::runtime_error(`what`) after sleeping `d`; declared to return a T.
template <typename T = int>
corio::awaitable<T> fail_after(corio::duration d, std::string what = "failed") {
  co_await corio::sleep(d);
  throw std::runtime_error(what);
}

}  // namespace corio::test
