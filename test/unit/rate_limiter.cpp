// test-labels: schedules
#include <corio/rate_limiter.hpp>

#include <corio/gather.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> admitted(corio::rate_limiter& rl, std::vector<corio::clock::time_point>& at) {
  co_await rl.acquire();
  at.push_back(corio::clock::now());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

CORIO_TEST_CASE(no_window_admits_more_than_burst_plus_rate_times_its_length) {
  const double rate = 10.0;  // per second
  const std::size_t burst = 5;
  corio::rate_limiter rl(rate, burst);
  std::vector<corio::clock::time_point> at;
  std::vector<corio::awaitable<void>> callers;
  for (int i = 0; i < 60; ++i) callers.push_back(admitted(rl, at));
  const auto t0 = corio::clock::now();
  co_await corio::gather(std::move(callers));
  BOOST_REQUIRE(at.size() == 60u);
  // The first `burst` go at once, then one every 100 ms.
  BOOST_TEST(std::count(at.begin(), at.end(), t0) == 5);
  BOOST_TEST((at.back() - t0 == 5500ms));
  // Every window [at[i], at[i] + t] holds at most burst + rate * t admissions.
  for (std::size_t i = 0; i < at.size(); ++i) {
    for (auto window : {0ms, 50ms, 100ms, 250ms, 1000ms, 3000ms}) {
      const auto n = std::count_if(at.begin(), at.end(), [&](auto t) { return t >= at[i] && t <= at[i] + window; });
      const double bound = burst + rate * std::chrono::duration<double>(window).count();
      BOOST_TEST(n <= bound, "window " << window.count() << " ms from admission " << i << ": " << n << " > " << bound);
    }
  }
}

CORIO_TEST_CASE(try_acquire_never_suspends_and_refills_over_time) {
  corio::rate_limiter rl(2.0, 2);
  BOOST_TEST(rl.try_acquire());
  BOOST_TEST(rl.try_acquire());
  BOOST_TEST(!rl.try_acquire());
  co_await corio::sleep(500ms);
  BOOST_TEST(rl.try_acquire());
  BOOST_TEST(!rl.try_acquire());
}

CORIO_TEST_CASE(waiting_is_cancellable) {
  auto ex = co_await asio::this_coro::executor;
  corio::rate_limiter rl(1.0, 1);
  co_await rl.acquire();
  auto t = corio::spawn(ex, rl.acquire());
  co_await corio::sleep(10ms);
  const auto t0 = corio::clock::now();
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST((corio::clock::now() - t0 < 1ms));
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_rejected) {
  BOOST_CHECK_THROW(corio::rate_limiter(0.0, 1), std::invalid_argument);
  BOOST_CHECK_THROW(corio::rate_limiter(-1.0, 1), std::invalid_argument);
  BOOST_CHECK_THROW(corio::rate_limiter(1.0, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
