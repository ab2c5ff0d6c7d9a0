// test-labels: schedules
#include <corio/generator.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct page {
  int number;
  bool last;
};

corio::awaitable<page> fetch_page(int n) {
  co_await corio::sleep(10ms);  // "network"
  co_return page{n, n == 3};
}

corio::generator<page> pages(std::vector<std::string>& log) {
  for (int n = 1;; ++n) {
    log.push_back("fetch " + std::to_string(n));
    page p = co_await fetch_page(n);
    co_yield p;
    if (p.last) break;
  }
  log.push_back("done");
}

corio::generator<int> failing_after_one() {
  co_yield 1;
  co_await corio::sleep(1ms);
  throw std::runtime_error("page 2 broke");
}

corio::generator<int> slow_with_cleanup(bool& cleaned, bool& saw_cancel) {
  struct cleanup {
    bool& flag;
    ~cleanup() { flag = true; }
  } c{cleaned};
  co_yield 0;
  try {
    co_await corio::sleep(1h);
  } catch (const boost::system::system_error&) {
    saw_cancel = true;
    throw;
  }
  co_yield 1;
}

corio::awaitable<void> consume_one_more(corio::generator<int>& g) { (void)co_await g.next(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(generator)

CORIO_TEST_CASE(values_arrive_in_order_with_awaits_in_between_and_the_body_starts_lazily) {
  std::vector<std::string> log;
  auto gen = pages(log);
  co_await corio::sleep(1s);
  BOOST_TEST(log.empty());  // nothing ran before the first next()
  const auto t0 = corio::clock::now();
  std::vector<int> got;
  while (auto p = co_await gen.next()) got.push_back(p->number);
  BOOST_TEST(got == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST((corio::clock::now() - t0 == 30ms));
  BOOST_TEST(log == (std::vector<std::string>{"fetch 1", "fetch 2", "fetch 3", "done"}),
             boost::test_tools::per_element());
  BOOST_TEST(!(co_await gen.next()).has_value());  // stays finished
}

CORIO_TEST_CASE(an_error_in_the_body_is_rethrown_by_next_and_ends_the_generator) {
  auto gen = failing_after_one();
  BOOST_TEST(*(co_await gen.next()) == 1);
  BOOST_CHECK_THROW(co_await gen.next(), std::runtime_error);
  BOOST_TEST(!(co_await gen.next()).has_value());
}

CORIO_TEST_CASE(cancelling_the_consumer_cancels_the_producer_cleanly) {
  auto ex = co_await asio::this_coro::executor;
  bool cleaned = false, saw_cancel = false;
  auto gen = slow_with_cleanup(cleaned, saw_cancel);
  BOOST_TEST(*(co_await gen.next()) == 0);
  auto consumer = corio::spawn(ex, consume_one_more(gen));
  co_await corio::sleep(5ms);
  consumer.cancel();
  BOOST_CHECK_THROW(co_await consumer.wait(), boost::system::system_error);
  BOOST_TEST(saw_cancel);
  BOOST_TEST(cleaned);
}

CORIO_TEST_CASE(dropping_the_generator_while_it_awaits_cancels_and_destroys_the_body) {
  auto ex = co_await asio::this_coro::executor;
  bool cleaned = false, saw_cancel = false;
  auto consumer_task = [&]() -> corio::awaitable<void> {
    auto gen = slow_with_cleanup(cleaned, saw_cancel);
    (void)co_await gen.next();
    auto pending = corio::spawn(co_await asio::this_coro::executor, consume_one_more(gen));
    co_await corio::sleep(1ms);
    pending.cancel();
    try {
      co_await pending.wait();
    } catch (const boost::system::system_error&) {
    }
  };
  co_await corio::spawn(ex, consumer_task());
  co_await corio::sleep(1ms);
  BOOST_TEST(saw_cancel);
  BOOST_TEST(cleaned);
}

CORIO_TEST_CASE(dropping_the_generator_between_values_destroys_the_body_at_once) {
  bool cleaned = false, saw_cancel = false;
  {
    auto gen = slow_with_cleanup(cleaned, saw_cancel);
    BOOST_TEST(*(co_await gen.next()) == 0);
  }
  BOOST_TEST(cleaned);
  BOOST_TEST(!saw_cancel);
}

BOOST_AUTO_TEST_SUITE_END()
