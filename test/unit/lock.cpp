// test-labels: schedules
#include <corio/lock.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// Waits `delay`, takes the lock, records `id` and the time, holds it for `hold`.
corio::awaitable<void> take(corio::lock& l, int id, corio::duration delay, corio::duration hold,
                            std::vector<int>& order, std::vector<corio::clock::time_point>& at) {
  co_await corio::sleep(delay);
  auto g = co_await l.acquire();
  order.push_back(id);
  at.push_back(corio::clock::now());
  co_await corio::sleep(hold);
}

corio::awaitable<void> acquire_and_record(corio::lock& l, bool& got) {
  auto g = co_await l.acquire();
  got = true;
  co_await corio::sleep(1s);  // a cancellation delivered meanwhile surfaces here
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lock)

CORIO_TEST_CASE(waiters_get_the_lock_in_fifo_order) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  const auto t0 = corio::clock::now();
  auto g = co_await l.acquire();
  BOOST_TEST(l.locked());
  // Arrive in the order 3, 1, 2; served in arrival order.
  auto a = corio::spawn(ex, take(l, 1, 2ms, 10ms, order, at));
  auto b = corio::spawn(ex, take(l, 2, 3ms, 10ms, order, at));
  auto c = corio::spawn(ex, take(l, 3, 1ms, 10ms, order, at));
  co_await corio::sleep(5ms);
  g.unlock();
  co_await a.wait();
  co_await b.wait();
  co_await c.wait();
  BOOST_TEST(order == (std::vector<int>{3, 1, 2}), boost::test_tools::per_element());
  BOOST_REQUIRE(at.size() == 3u);
  BOOST_TEST((at[0] - t0 == 5ms));
  BOOST_TEST((at[1] - t0 == 15ms));
  BOOST_TEST((at[2] - t0 == 25ms));
  BOOST_TEST(!l.locked());
}

CORIO_TEST_CASE(try_acquire_never_suspends_and_never_overtakes_a_waiter) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  auto g = l.try_acquire();
  BOOST_REQUIRE(g.has_value());
  BOOST_TEST(g->owns_lock());
  BOOST_TEST(!l.try_acquire().has_value());
  bool got = false;
  auto w = corio::spawn(ex, acquire_and_record(l, got));
  co_await corio::sleep(1ms);
  g.reset();  // handed to the waiter, which has not resumed yet
  BOOST_TEST(l.locked());
  BOOST_TEST(!l.try_acquire().has_value());
  BOOST_TEST(!got);
  co_await w.wait();
  BOOST_TEST(got);
  BOOST_TEST(!l.locked());
}

CORIO_TEST_CASE(cancelled_acquire_takes_no_lock_and_the_next_waiter_gets_it) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  auto g = co_await l.acquire();
  bool first = false, second = false;
  auto a = corio::spawn(ex, acquire_and_record(l, first));
  auto b = corio::spawn(ex, acquire_and_record(l, second));
  co_await corio::sleep(1ms);
  a.cancel();
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_TEST(a.cancelled());
  BOOST_TEST(!first);
  const auto t0 = corio::clock::now();
  g.unlock();
  co_await b.wait();
  BOOST_TEST(second);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
  BOOST_TEST(!l.locked());
}

CORIO_TEST_CASE(lock_handed_to_a_waiter_cancelled_at_the_same_moment_is_not_lost) {
  auto ex = co_await asio::this_coro::executor;
  corio::lock l;
  auto g = co_await l.acquire();
  bool first = false, second = false;
  auto a = corio::spawn(ex, acquire_and_record(l, first));
  co_await corio::testing::wait_all_tasks_blocked();  // a waits first, then b
  auto b = corio::spawn(ex, acquire_and_record(l, second));
  co_await corio::testing::wait_all_tasks_blocked();
  g.unlock();  // hands the lock to a, whose completion is queued ...
  a.cancel();  // ... when its cancellation arrives
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_TEST(first);  // a got the lock, then met its cancellation at the next suspension point
  co_await b.wait();
  BOOST_TEST(second);  // and its release passed the lock on
  BOOST_TEST(!l.locked());
}

CORIO_TEST_CASE(unlock_releases_early_and_a_second_unlock_is_an_error) {
  corio::lock l;
  auto g = co_await l.acquire();
  g.unlock();
  BOOST_TEST(!l.locked());
  BOOST_TEST(!g.owns_lock());
  BOOST_CHECK_THROW(g.unlock(), std::logic_error);
  co_return;
}

CORIO_TEST_CASE(a_moved_guard_keeps_the_lock_until_it_goes_away) {
  corio::lock l;
  std::optional<corio::lock::guard> outer;
  {
    auto g = co_await l.acquire();
    outer.emplace(std::move(g));
    BOOST_TEST(!g.owns_lock());
  }
  BOOST_TEST(l.locked());
  corio::lock::guard other;
  other = std::move(*outer);
  BOOST_TEST(l.locked());
  other = corio::lock::guard();
  BOOST_TEST(!l.locked());
  co_return;
}

BOOST_AUTO_TEST_CASE(async_acquire_completes_a_plain_callback_on_its_executor) {
  asio::io_context ctx;
  corio::lock l;
  auto first = l.try_acquire();
  std::vector<int> got;
  std::optional<corio::lock::guard> held;
  l.async_acquire(asio::bind_executor(ctx, [&](boost::system::error_code ec, corio::lock::guard g) {
    BOOST_TEST(!ec);
    got.push_back(1);
    held.emplace(std::move(g));
  }));
  first.reset();
  BOOST_TEST(got.empty());  // never inline from the release
  ctx.run();
  BOOST_TEST(got.size() == 1u);
  BOOST_TEST(l.locked());
  held.reset();
  BOOST_TEST(!l.locked());
}

BOOST_AUTO_TEST_SUITE_END()
