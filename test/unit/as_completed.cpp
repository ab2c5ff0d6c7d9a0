// test-labels: schedules
#include <corio/as_completed.hpp>

#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <chrono>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using corio::test::value_after;
using corio::test::fail_after;


}  // namespace

BOOST_AUTO_TEST_SUITE(as_completed)

CORIO_TEST_CASE(results_arrive_in_completion_order) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<corio::awaitable<int>> aws;
  aws.push_back(value_after(30ms, 3));
  aws.push_back(value_after(10ms, 1));
  aws.push_back(value_after(20ms, 2));
  auto seq = corio::as_completed(ex, std::move(aws));
  std::vector<int> got;
  std::vector<corio::duration> at;
  const auto t0 = corio::clock::now();
  while (auto v = co_await seq.next()) {
    got.push_back(*v);
    at.push_back(corio::clock::now() - t0);
  }
  BOOST_TEST(got == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST((at == std::vector<corio::duration>{10ms, 20ms, 30ms}));
}

CORIO_TEST_CASE(a_failed_child_is_rethrown_by_the_next_that_reaches_it_and_the_rest_continue) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<corio::awaitable<int>> aws;
  aws.push_back(fail_after(10ms));
  aws.push_back(value_after(20ms, 2));
  auto seq = corio::as_completed(ex, std::move(aws));
  BOOST_CHECK_THROW(co_await seq.next(), std::runtime_error);
  auto v = co_await seq.next();
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(*v == 2);
  BOOST_TEST(!(co_await seq.next()).has_value());
}

CORIO_TEST_CASE(destroying_the_sequence_cancels_the_unfinished) {
  auto ex = co_await asio::this_coro::executor;
  {
    std::vector<corio::awaitable<int>> aws;
    aws.push_back(value_after(1ms, 1));
    aws.push_back(value_after(1h, 2));
    auto seq = corio::as_completed(ex, std::move(aws));
    BOOST_TEST(*(co_await seq.next()) == 1);
    BOOST_TEST(seq.remaining() == 1u);
  }
  // The cancelled child ends promptly (run_test would report a leftover task otherwise).
  const auto t0 = corio::clock::now();
  co_await corio::sleep(1ms);
  BOOST_TEST((corio::clock::now() - t0 == 1ms));
}

BOOST_AUTO_TEST_SUITE_END()
