// test-labels: schedules
#include <corio/condition.hpp>

#include <corio/lock.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <deque>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct record {
  int id;
  corio::clock::time_point at;
  bool held;  // the guard held the lock when wait() returned (or threw)
  bool cancelled;
};

corio::awaitable<void> wait_once(corio::condition& cv, int id, std::vector<record>& log) {
  auto g = co_await cv.get_lock().acquire();
  try {
    co_await cv.wait(g);
  } catch (const boost::system::system_error&) {
    log.push_back({id, corio::clock::now(), g.owns_lock() && cv.get_lock().locked(), true});
    throw;
  }
  log.push_back({id, corio::clock::now(), g.owns_lock() && cv.get_lock().locked(), false});
  co_await corio::sleep(1ms);  // holds the lock a while; a pending cancellation surfaces here
}

}  // namespace

BOOST_AUTO_TEST_SUITE(condition)

CORIO_TEST_CASE(notify_wakes_the_oldest_waiters_each_holding_the_lock) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  corio::condition cv(l);
  std::vector<record> log;
  const auto t0 = corio::clock::now();
  // They start waiting in this order (a, b, c), whatever the schedule.
  auto a = corio::spawn(ex, wait_once(cv, 1, log));
  co_await corio::testing::wait_all_tasks_blocked();
  auto b = corio::spawn(ex, wait_once(cv, 2, log));
  co_await corio::testing::wait_all_tasks_blocked();
  auto c = corio::spawn(ex, wait_once(cv, 3, log));
  co_await corio::sleep(5ms);
  BOOST_TEST(cv.waiting() == 3u);
  BOOST_TEST(!l.locked());  // every waiter released the lock
  {
    auto g = co_await l.acquire();
    cv.notify();
  }
  co_await a.wait();
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].id == 1);
  {
    auto g = co_await l.acquire();
    cv.notify_all();
    co_await corio::sleep(2ms);  // the woken ones wait for the lock
    BOOST_TEST(log.size() == 1u);
  }
  co_await b.wait();
  co_await c.wait();
  BOOST_REQUIRE(log.size() == 3u);
  BOOST_TEST(log[1].id == 2);
  BOOST_TEST(log[2].id == 3);
  BOOST_TEST((log[0].at - t0 == 5ms));
  BOOST_TEST((log[1].at - t0 == 8ms));  // 6ms + 2ms holding the lock
  BOOST_TEST((log[2].at - t0 == 9ms));  // after b held it for 1ms
  for (const auto& r : log) BOOST_TEST(r.held);
  BOOST_TEST(!l.locked());
}

CORIO_TEST_CASE(wait_reacquires_the_lock_before_returning_also_when_cancelled) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  corio::condition cv(l);
  std::vector<record> log;
  const auto t0 = corio::clock::now();
  auto a = corio::spawn(ex, wait_once(cv, 1, log));
  co_await corio::sleep(1ms);
  {
    auto g = co_await l.acquire();
    a.cancel();
    co_await corio::sleep(10ms);
    BOOST_TEST(log.empty());  // a cannot leave wait() while we hold the lock
  }
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].cancelled);
  BOOST_TEST(log[0].held);
  BOOST_TEST((log[0].at - t0 == 11ms));
  BOOST_TEST(!l.locked());  // a's guard released it while the exception propagated
  BOOST_TEST(cv.waiting() == 0u);
}

CORIO_TEST_CASE(cancelled_waiter_leaves_the_notification_to_the_next) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  corio::condition cv(l);
  std::vector<record> log;
  auto a = corio::spawn(ex, wait_once(cv, 1, log));
  auto b = corio::spawn(ex, wait_once(cv, 2, log));
  co_await corio::sleep(1ms);
  a.cancel();
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  {
    auto g = co_await l.acquire();
    cv.notify();
  }
  co_await b.wait();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[1].id == 2);
  BOOST_TEST(!log[1].cancelled);
}

CORIO_TEST_CASE(waiter_cancelled_after_notify_returns_normally_so_the_notification_is_not_lost) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  corio::condition cv(l);
  std::vector<record> log;
  auto a = corio::spawn(ex, wait_once(cv, 1, log));
  co_await corio::sleep(1ms);
  {
    auto g = co_await l.acquire();
    cv.notify();
    a.cancel();  // a is already re-acquiring the lock
  }
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);  // from its next sleep
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(!log[0].cancelled);
  BOOST_TEST(log[0].held);
  BOOST_TEST(!l.locked());
}

CORIO_TEST_CASE(wait_with_a_predicate_rechecks_after_every_wakeup) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  corio::condition cv(l);
  std::deque<int> items;
  std::vector<int> got;
  auto consumer = [&]() -> corio::awaitable<void> {
    for (int n = 0; n < 3; ++n) {
      auto g = co_await l.acquire();
      co_await cv.wait(g, [&] { return !items.empty(); });
      BOOST_TEST(g.owns_lock());
      got.push_back(items.front());
      items.pop_front();
    }
  };
  auto t = corio::spawn(ex, consumer());
  for (int i = 1; i <= 3; ++i) {
    co_await corio::sleep(1ms);
    auto g = co_await l.acquire();
    cv.notify();  // a spurious wake-up: nothing to take yet
    co_await corio::sleep(1ms);
    items.push_back(i);
    cv.notify();
  }
  co_await t.wait();
  BOOST_TEST(got == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(misuse_is_a_logic_error) {
  corio::lock l, other;
  corio::condition cv(l);
  BOOST_CHECK_THROW(cv.notify(), std::logic_error);  // the lock is not held
  auto g = co_await other.acquire();
  BOOST_CHECK_THROW((void)cv.wait(g), std::logic_error);  // another lock's guard
  corio::lock::guard empty;
  BOOST_CHECK_THROW((void)cv.wait(empty), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
