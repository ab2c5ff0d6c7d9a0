// test-labels: schedules
#include <corio/barrier.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct arrival {
  int id;
  std::size_t index;
  corio::clock::time_point at;
};

corio::awaitable<void> arrive(corio::barrier& b, int id, corio::duration delay, std::vector<arrival>& log) {
  co_await corio::sleep(delay);
  const std::size_t i = co_await b.arrive_and_wait();
  log.push_back({id, i, corio::clock::now()});
}

corio::awaitable<void> rounds(corio::barrier& b, int id, int n, corio::duration step,
                              std::vector<std::vector<int>>& seen) {
  for (int r = 0; r < n; ++r) {
    co_await corio::sleep(step);
    co_await b.arrive_and_wait();
    seen[static_cast<std::size_t>(r)].push_back(id);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(barrier)

CORIO_TEST_CASE(releases_all_parties_together_at_the_last_arrival) {
  auto ex = co_await asio::this_coro::executor;
  corio::barrier b(3);
  std::vector<arrival> log;
  const auto t0 = corio::clock::now();
  auto x = corio::spawn(ex, arrive(b, 1, 3ms, log));
  auto y = corio::spawn(ex, arrive(b, 2, 1ms, log));
  auto z = corio::spawn(ex, arrive(b, 3, 7ms, log));
  co_await corio::sleep(5ms);
  BOOST_TEST(b.waiting() == 2u);
  BOOST_TEST(log.empty());
  co_await x.wait();
  co_await y.wait();
  co_await z.wait();
  BOOST_REQUIRE(log.size() == 3u);
  for (const auto& a : log) BOOST_TEST((a.at - t0 == 7ms));
  std::sort(log.begin(), log.end(), [](const arrival& l, const arrival& r) { return l.id < r.id; });
  BOOST_TEST(log[1].index == 0u);  // arrival order: 2, 1, 3
  BOOST_TEST(log[0].index == 1u);
  BOOST_TEST(log[2].index == 2u);
  BOOST_TEST(b.generation() == 1u);
}

CORIO_TEST_CASE(is_reusable_round_after_round) {
  auto ex = co_await asio::this_coro::executor;
  corio::barrier b(2);
  std::vector<std::vector<int>> seen(3);
  auto fast = corio::spawn(ex, rounds(b, 1, 3, 1ms, seen));
  auto slow = corio::spawn(ex, rounds(b, 2, 3, 4ms, seen));
  const auto t0 = corio::clock::now();
  co_await fast.wait();
  co_await slow.wait();
  BOOST_TEST((corio::clock::now() - t0 == 12ms));  // each round waits for the slow one
  BOOST_TEST(b.generation() == 3u);
  for (auto& r : seen) {
    std::sort(r.begin(), r.end());
    BOOST_TEST(r == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  }
}

CORIO_TEST_CASE(cancelled_waiter_unarrives_and_the_round_waits_for_another) {
  auto ex = co_await asio::this_coro::executor;
  corio::barrier b(2);
  std::vector<arrival> log;
  const auto t0 = corio::clock::now();
  auto a = corio::spawn(ex, arrive(b, 1, 0ms, log));
  co_await corio::sleep(1ms);
  a.cancel();
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_TEST(b.waiting() == 0u);
  auto x = corio::spawn(ex, arrive(b, 2, 1ms, log));
  auto y = corio::spawn(ex, arrive(b, 3, 5ms, log));
  co_await corio::sleep(3ms);
  BOOST_TEST(log.empty());  // one arrival is not a round of two
  co_await x.wait();
  co_await y.wait();
  BOOST_REQUIRE(log.size() == 2u);
  for (const auto& r : log) BOOST_TEST((r.at - t0 == 6ms));
}

CORIO_TEST_CASE(a_barrier_of_one_never_waits) {
  corio::barrier b(1);
  const auto t0 = corio::clock::now();
  BOOST_TEST(co_await b.arrive_and_wait() == 0u);
  BOOST_TEST(co_await b.arrive_and_wait() == 0u);
  BOOST_TEST((corio::clock::now() == t0));
  BOOST_TEST(b.generation() == 2u);
}

BOOST_AUTO_TEST_CASE(zero_parties_is_rejected) {
  BOOST_CHECK_THROW(corio::barrier(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(plain_callbacks_are_released_together) {
  asio::io_context ctx;
  corio::barrier b(3);
  std::vector<std::size_t> got;
  for (int i = 0; i < 3; ++i) {
    b.async_arrive_and_wait(asio::bind_executor(ctx, [&](boost::system::error_code ec, std::size_t idx) {
      BOOST_TEST(!ec);
      got.push_back(idx);
    }));
  }
  BOOST_TEST(got.empty());
  ctx.run();
  std::sort(got.begin(), got.end());
  BOOST_TEST(got == (std::vector<std::size_t>{0, 1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
