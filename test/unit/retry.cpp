// test-labels: schedules
#include <corio/retry.hpp>

#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct transient : std::runtime_error {
  transient() : std::runtime_error("transient") {}
};
struct fatal : std::runtime_error {
  fatal() : std::runtime_error("fatal") {}
};

corio::retry_policy no_jitter() {
  corio::retry_policy p;
  p.max_attempts = 4;
  p.initial_delay = 100ms;
  p.multiplier = 2.0;
  p.jitter = 0;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry)

CORIO_TEST_CASE(stops_at_max_attempts_and_rethrows_the_last_error_after_exponential_backoff) {
  std::vector<corio::clock::time_point> attempts;
  const auto t0 = corio::clock::now();
  auto always_fails = [&](int attempt) -> corio::awaitable<int> {
    attempts.push_back(corio::clock::now());
    if (attempt == 4) throw fatal();  // the last error is the one rethrown
    throw transient();
  };
  auto p = no_jitter();
  p.retryable = [](const std::exception_ptr&) { return true; };
  BOOST_CHECK_THROW(co_await corio::retry(p, always_fails), fatal);
  BOOST_REQUIRE(attempts.size() == 4u);
  BOOST_TEST((attempts[1] - t0 == 100ms));
  BOOST_TEST((attempts[2] - t0 == 300ms));
  BOOST_TEST((attempts[3] - t0 == 700ms));
}

CORIO_TEST_CASE(returns_the_first_success) {
  int calls = 0;
  auto flaky = [&]() -> corio::awaitable<int> {
    if (++calls < 3) throw transient();
    co_return 42;
  };
  BOOST_TEST(co_await corio::retry(no_jitter(), flaky) == 42);
  BOOST_TEST(calls == 3);
}

CORIO_TEST_CASE(non_retryable_errors_are_not_retried) {
  int calls = 0;
  auto p = no_jitter();
  p.retryable = [](const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const fatal&) {
      return false;
    } catch (...) {
      return true;
    }
  };
  auto f = [&]() -> corio::awaitable<void> {
    ++calls;
    throw fatal();
    co_return;
  };
  BOOST_CHECK_THROW(co_await corio::retry(p, f), fatal);
  BOOST_TEST(calls == 1);
}

CORIO_TEST_CASE(a_server_provided_delay_replaces_the_backoff) {
  std::vector<corio::duration> delays;
  auto p = no_jitter();
  p.delay_hint = [](const std::exception_ptr&) -> std::optional<corio::duration> { return 7s; };
  p.on_retry = [&](int, const std::exception_ptr&, corio::duration d) { delays.push_back(d); };
  int calls = 0;
  auto f = [&]() -> corio::awaitable<int> {
    if (++calls < 3) throw transient();
    co_return 1;
  };
  const auto t0 = corio::clock::now();
  co_await corio::retry(p, f);
  BOOST_TEST((delays == std::vector<corio::duration>{7s, 7s}));
  BOOST_TEST((corio::clock::now() - t0 == 14s));
}

CORIO_TEST_CASE(jitter_only_shortens_the_delay_within_its_fraction) {
  std::vector<corio::duration> delays;
  auto p = no_jitter();
  p.max_attempts = 50;
  p.initial_delay = 1s;
  p.multiplier = 1.0;
  p.jitter = 0.5;
  p.on_retry = [&](int, const std::exception_ptr&, corio::duration d) { delays.push_back(d); };
  auto f = [&]() -> corio::awaitable<void> {
    if (delays.size() < 40) throw transient();
    co_return;
  };
  co_await corio::retry(p, f);
  for (auto d : delays) {
    BOOST_TEST((d <= 1s));
    BOOST_TEST((d >= 500ms));
  }
  BOOST_TEST((std::adjacent_find(delays.begin(), delays.end(), std::not_equal_to<>()) != delays.end()));
}

CORIO_TEST_CASE(cancellation_during_backoff_ends_it_at_once) {
  auto ex = co_await asio::this_coro::executor;
  int calls = 0;
  auto f = [&]() -> corio::awaitable<int> {
    ++calls;
    throw transient();
    co_return 0;
  };
  auto p = no_jitter();
  p.initial_delay = 1h;
  auto t = corio::spawn(ex, corio::retry(p, f));
  co_await corio::sleep(1s);
  const auto t0 = corio::clock::now();
  t.cancel();
  try {
    co_await t.wait();
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == asio::error::operation_aborted);
  }
  BOOST_TEST(calls == 1);
  BOOST_TEST((corio::clock::now() - t0 < 1ms));
}

BOOST_AUTO_TEST_CASE(max_attempts_below_one_is_rejected) {
  corio::testing::run_test([]() -> corio::awaitable<void> {
    corio::retry_policy p;
    p.max_attempts = 0;
    auto f = []() -> corio::awaitable<int> { co_return 1; };
    BOOST_CHECK_THROW(co_await corio::retry(p, f), std::invalid_argument);
  });
}

BOOST_AUTO_TEST_SUITE_END()
