#include <corio/sleep.hpp>

#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> ticker(std::string name, int n, std::vector<std::string>& log) {
  for (int i = 0; i < n; ++i) {
    log.push_back(name + std::to_string(i));
    co_await corio::yield();
  }
}

corio::awaitable<int> ready(int v) { co_return v; }

corio::awaitable<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return co_await nested(depth - 1) + 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sleep_and_yield)  // not "sleep": that names ::sleep

CORIO_TEST_CASE(sleep_waits_exactly_its_duration_in_virtual_time) {
  const auto t0 = corio::clock::now();
  co_await corio::sleep(250ms);
  BOOST_TEST((corio::clock::now() - t0 == 250ms));
  co_await corio::sleep_until(t0 + 1s);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
}

CORIO_TEST_CASE(yield_interleaves_ready_coroutines) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> log;
  auto a = corio::spawn(ex, ticker("a", 3, log));
  auto b = corio::spawn(ex, ticker("b", 3, log));
  co_await a.wait();
  co_await b.wait();
  BOOST_TEST(log == (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(a_chain_of_a_hundred_thousand_immediately_ready_awaits_does_not_overflow_the_stack) {
  int sum = 0;
  for (int i = 0; i < 100'000; ++i) sum += co_await ready(1);
  BOOST_TEST(sum == 100'000);
  BOOST_TEST(co_await nested(100'000) == 100'000);
}

BOOST_AUTO_TEST_SUITE_END()
