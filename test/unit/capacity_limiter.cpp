// test-labels: schedules
#include <corio/capacity_limiter.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> borrow_for(corio::capacity_limiter& l, const void* who, int id, corio::duration hold,
                                  std::vector<int>& order, std::vector<corio::clock::time_point>& at) {
  // (Not `who ? co_await a : co_await b`: GCC 12 destroys such a temporary twice.)
  corio::capacity_limiter::guard g;
  if (who) g = co_await l.acquire_on_behalf_of(who);
  else g = co_await l.acquire();
  order.push_back(id);
  at.push_back(corio::clock::now());
  co_await corio::sleep(hold);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(capacity_limiter)

CORIO_TEST_CASE(tokens_and_borrowers_are_accounted) {
  corio::capacity_limiter l(3);
  int conn1 = 0, conn2 = 0;
  BOOST_TEST(l.total_tokens() == 3u);
  BOOST_TEST(l.available_tokens() == 3u);
  auto a = co_await l.acquire();
  auto b = co_await l.acquire_on_behalf_of(&conn1);
  auto c = l.try_acquire_on_behalf_of(&conn2);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(l.borrowed_tokens() == 3u);
  BOOST_TEST(l.available_tokens() == 0u);
  BOOST_TEST(l.holds(&conn1));
  BOOST_TEST(b.borrower() == &conn1);
  BOOST_TEST(a.borrower() == nullptr);
  BOOST_TEST(!l.try_acquire().has_value());
  b.release();
  BOOST_TEST(!l.holds(&conn1));
  BOOST_TEST(l.borrowed_tokens() == 2u);
  c.reset();
  BOOST_TEST(l.available_tokens() == 2u);
}

CORIO_TEST_CASE(the_same_borrower_holding_twice_is_a_logic_error) {
  auto ex = co_await asio::this_coro::executor;
  corio::capacity_limiter l(1);
  int conn = 0, other = 0;
  auto g = co_await l.acquire_on_behalf_of(&conn);
  BOOST_CHECK_THROW((void)l.acquire_on_behalf_of(&conn), std::logic_error);
  BOOST_CHECK_THROW((void)l.try_acquire_on_behalf_of(&conn), std::logic_error);
  BOOST_CHECK_THROW((void)l.acquire_on_behalf_of(nullptr), std::invalid_argument);
  // Waiting counts too.
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  auto w = corio::spawn(ex, borrow_for(l, &other, 1, 1ms, order, at));
  co_await corio::sleep(1ms);
  BOOST_CHECK_THROW((void)l.acquire_on_behalf_of(&other), std::logic_error);
  g.release();
  co_await w.wait();
  BOOST_TEST(order.size() == 1u);
}

CORIO_TEST_CASE(waiters_are_served_in_fifo_order) {
  auto ex = co_await asio::this_coro::executor;
  corio::capacity_limiter l(1);
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  auto g = co_await l.acquire();
  int b1 = 0, b2 = 0, b3 = 0;
  auto x = corio::spawn(ex, borrow_for(l, &b1, 1, 2ms, order, at));
  co_await corio::sleep(1ms);
  auto y = corio::spawn(ex, borrow_for(l, &b2, 2, 2ms, order, at));
  co_await corio::sleep(1ms);
  auto z = corio::spawn(ex, borrow_for(l, &b3, 3, 2ms, order, at));
  co_await corio::sleep(1ms);
  g.release();
  co_await x.wait();
  co_await y.wait();
  co_await z.wait();
  BOOST_TEST(order == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(growing_total_tokens_wakes_waiters_at_once) {
  auto ex = co_await asio::this_coro::executor;
  corio::capacity_limiter l(1);
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  const auto t0 = corio::clock::now();
  auto g = co_await l.acquire();
  auto x = corio::spawn(ex, borrow_for(l, nullptr, 1, 10ms, order, at));
  auto y = corio::spawn(ex, borrow_for(l, nullptr, 2, 10ms, order, at));
  co_await corio::sleep(5ms);
  BOOST_TEST(l.waiting() == 2u);
  l.set_total_tokens(3);
  BOOST_TEST(l.borrowed_tokens() == 3u);
  co_await x.wait();
  co_await y.wait();
  BOOST_REQUIRE(at.size() == 2u);
  BOOST_TEST((at[0] - t0 == 5ms));
  BOOST_TEST((at[1] - t0 == 5ms));
  BOOST_CHECK_THROW(l.set_total_tokens(0), std::invalid_argument);
}

CORIO_TEST_CASE(shrinking_total_tokens_takes_nothing_back_but_holds_new_borrowers) {
  auto ex = co_await asio::this_coro::executor;
  corio::capacity_limiter l(2);
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  auto a = co_await l.acquire();
  auto b = co_await l.acquire();
  l.set_total_tokens(1);
  BOOST_TEST(l.borrowed_tokens() == 2u);
  BOOST_TEST(l.available_tokens() == 0u);
  const auto t0 = corio::clock::now();
  auto w = corio::spawn(ex, borrow_for(l, nullptr, 1, 1ms, order, at));
  co_await corio::sleep(1ms);
  a.release();  // 1 borrowed of 1: still full
  co_await corio::sleep(1ms);
  BOOST_TEST(order.empty());
  b.release();
  co_await w.wait();
  BOOST_REQUIRE(at.size() == 1u);
  BOOST_TEST((at[0] - t0 == 2ms));
}

CORIO_TEST_CASE(cancelled_acquire_borrows_nothing) {
  auto ex = co_await asio::this_coro::executor;
  corio::capacity_limiter l(1);
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  int who = 0;
  auto g = co_await l.acquire();
  auto w = corio::spawn(ex, borrow_for(l, &who, 1, 1ms, order, at));
  auto v = corio::spawn(ex, borrow_for(l, nullptr, 2, 1ms, order, at));
  co_await corio::sleep(1ms);
  w.cancel();
  BOOST_CHECK_THROW(co_await w.wait(), boost::system::system_error);
  BOOST_TEST(!l.holds(&who));
  BOOST_TEST(l.waiting() == 1u);
  g.release();
  co_await v.wait();
  BOOST_TEST(order == (std::vector<int>{2}), boost::test_tools::per_element());
  BOOST_TEST(l.borrowed_tokens() == 0u);
  // The cancelled borrower may try again.
  auto again = co_await l.acquire_on_behalf_of(&who);
  BOOST_TEST(l.holds(&who));
}

BOOST_AUTO_TEST_SUITE_END()
