// test-labels: schedules
#include <corio/event.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> wait_and_record(corio::event& e, int id, std::vector<int>& order,
                                       std::vector<corio::clock::time_point>& at) {
  co_await e.wait();
  order.push_back(id);
  at.push_back(corio::clock::now());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event)

CORIO_TEST_CASE(wait_after_set_returns_at_once) {
  corio::event e;
  BOOST_TEST(!e.is_set());
  e.set();
  BOOST_TEST(e.is_set());
  const auto t0 = corio::clock::now();
  co_await e.wait();
  co_await e.wait();
  BOOST_TEST((corio::clock::now() == t0));
}

CORIO_TEST_CASE(set_wakes_every_waiter_and_clear_makes_later_waiters_wait) {
  auto ex = co_await asio::this_coro::executor;
  corio::event e;
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  const auto t0 = corio::clock::now();
  auto a = corio::spawn(ex, wait_and_record(e, 1, order, at));
  auto b = corio::spawn(ex, wait_and_record(e, 2, order, at));
  auto c = corio::spawn(ex, wait_and_record(e, 3, order, at));
  co_await corio::sleep(5ms);
  BOOST_TEST(order.empty());
  e.set();
  co_await a.wait();
  co_await b.wait();
  co_await c.wait();
  // Every waiter woke, once; they were ready at the same moment, so in any order.
  std::sort(order.begin(), order.end());
  BOOST_TEST(order == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  for (auto tp : at) BOOST_TEST((tp - t0 == 5ms));
  e.clear();
  BOOST_TEST(!e.is_set());
  auto d = corio::spawn(ex, wait_and_record(e, 4, order, at));
  co_await corio::sleep(5ms);
  BOOST_TEST(order.size() == 3u);
  e.set();
  co_await d.wait();
  BOOST_TEST(order.size() == 4u);
  BOOST_TEST((at.back() - t0 == 10ms));
}

CORIO_TEST_CASE(waiters_released_by_set_resume_even_if_cleared_at_once) {
  auto ex = co_await asio::this_coro::executor;
  corio::event e;
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  auto a = corio::spawn(ex, wait_and_record(e, 1, order, at));
  co_await corio::sleep(1ms);
  e.set();
  e.clear();
  co_await a.wait();
  BOOST_TEST(order.size() == 1u);
}

CORIO_TEST_CASE(cancelled_wait_throws_operation_aborted_and_others_keep_waiting) {
  auto ex = co_await asio::this_coro::executor;
  corio::event e;
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  auto a = corio::spawn(ex, wait_and_record(e, 1, order, at));
  auto b = corio::spawn(ex, wait_and_record(e, 2, order, at));
  co_await corio::sleep(1ms);
  a.cancel();
  try {
    co_await a.wait();
    BOOST_FAIL("expected cancellation");
  } catch (const boost::system::system_error& err) {
    BOOST_TEST(err.code() == asio::error::operation_aborted);
  }
  BOOST_TEST(!b.done());
  e.set();
  co_await b.wait();
  BOOST_TEST(order == (std::vector<int>{2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(async_wait_completes_a_plain_callback_after_set) {
  asio::io_context ctx;
  corio::event e;
  int calls = 0;
  e.async_wait(asio::bind_executor(ctx, [&](boost::system::error_code ec) {
    BOOST_TEST(!ec);
    ++calls;
  }));
  ctx.poll();  // (run() would wait: a waiting callback keeps its context busy)
  BOOST_TEST(calls == 0);
  e.set();
  BOOST_TEST(calls == 0);  // never inline from set()
  ctx.restart();
  ctx.poll();
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
