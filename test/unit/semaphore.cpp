// test-labels: threads schedules
#include <corio/semaphore.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> take(corio::semaphore& s, int id, corio::duration delay, corio::duration hold,
                            std::vector<int>& order, std::vector<corio::clock::time_point>& at) {
  co_await corio::sleep(delay);
  auto g = co_await s.acquire();
  order.push_back(id);
  at.push_back(corio::clock::now());
  co_await corio::sleep(hold);
}

corio::awaitable<void> acquire_and_record(corio::semaphore& s, bool& got) {
  auto g = co_await s.acquire();
  got = true;
  co_await corio::sleep(1s);  // a cancellation delivered meanwhile surfaces here
}

}  // namespace

BOOST_AUTO_TEST_SUITE(semaphore)

CORIO_TEST_CASE(waiters_get_permits_in_fifo_order) {
  auto ex = co_await asio::this_coro::executor;
  corio::semaphore s(2);
  std::vector<int> order;
  std::vector<corio::clock::time_point> at;
  const auto t0 = corio::clock::now();
  auto g1 = co_await s.acquire();
  auto g2 = co_await s.acquire();
  BOOST_TEST(s.value() == 0u);
  BOOST_TEST(s.locked());
  auto a = corio::spawn(ex, take(s, 1, 3ms, 10ms, order, at));
  auto b = corio::spawn(ex, take(s, 2, 1ms, 10ms, order, at));
  auto c = corio::spawn(ex, take(s, 3, 2ms, 10ms, order, at));
  co_await corio::sleep(5ms);
  BOOST_TEST(s.waiting() == 3u);
  g1.release();  // to b (arrived first)
  co_await corio::sleep(1ms);
  g2.release();  // to c
  co_await a.wait();
  co_await b.wait();
  co_await c.wait();
  BOOST_TEST(order == (std::vector<int>{2, 3, 1}), boost::test_tools::per_element());
  BOOST_REQUIRE(at.size() == 3u);
  BOOST_TEST((at[0] - t0 == 5ms));
  BOOST_TEST((at[1] - t0 == 6ms));
  BOOST_TEST((at[2] - t0 == 15ms));  // when b gave its permit back
  BOOST_TEST(s.value() == 2u);
}

CORIO_TEST_CASE(cancelled_acquire_consumes_no_permit) {
  auto ex = co_await asio::this_coro::executor;
  corio::semaphore s(1);
  auto g = co_await s.acquire();
  bool first = false, second = false;
  auto a = corio::spawn(ex, acquire_and_record(s, first));
  auto b = corio::spawn(ex, acquire_and_record(s, second));
  co_await corio::sleep(1ms);
  a.cancel();
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_TEST(!first);
  BOOST_TEST(s.waiting() == 1u);
  BOOST_TEST(s.value() == 0u);
  const auto t0 = corio::clock::now();
  g.release();
  co_await b.wait();
  BOOST_TEST(second);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
  BOOST_TEST(s.value() == 1u);
}

CORIO_TEST_CASE(permit_released_to_a_waiter_cancelled_at_the_same_moment_is_not_lost) {
  auto ex = co_await asio::this_coro::executor;
  corio::semaphore s(1);
  auto g = co_await s.acquire();
  bool first = false, second = false;
  auto a = corio::spawn(ex, acquire_and_record(s, first));
  co_await corio::testing::wait_all_tasks_blocked();  // a waits first, then b
  auto b = corio::spawn(ex, acquire_and_record(s, second));
  co_await corio::testing::wait_all_tasks_blocked();
  g.release();  // handed to a, whose completion is queued ...
  a.cancel();   // ... when its cancellation arrives
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_TEST(first);  // a received the permit, then met its cancellation at the next suspension
  co_await b.wait();
  BOOST_TEST(second);  // a's guard passed the permit on
  BOOST_TEST(s.value() == 1u);
}

CORIO_TEST_CASE(try_acquire_takes_free_permits_and_never_overtakes_a_waiter) {
  auto ex = co_await asio::this_coro::executor;
  corio::semaphore s(1);
  auto g = s.try_acquire();
  BOOST_REQUIRE(g.has_value());
  BOOST_TEST(!s.try_acquire().has_value());
  bool got = false;
  auto w = corio::spawn(ex, acquire_and_record(s, got));
  co_await corio::sleep(1ms);
  g.reset();  // handed to the waiter before it resumes
  BOOST_TEST(s.value() == 0u);
  BOOST_TEST(!s.try_acquire().has_value());
  co_await w.wait();
  BOOST_TEST(got);
}

CORIO_TEST_CASE(release_without_a_guard_adds_a_permit) {
  auto ex = co_await asio::this_coro::executor;
  corio::semaphore s(0);
  bool got = false;
  auto w = corio::spawn(ex, acquire_and_record(s, got));
  co_await corio::sleep(1ms);
  s.release();  // wakes the waiter
  s.release();  // and adds a free permit
  BOOST_TEST(s.value() == 1u);
  co_await w.wait();
  BOOST_TEST(got);
  BOOST_TEST(s.value() == 2u);
}

CORIO_TEST_CASE(bounded_semaphore_refuses_to_release_above_its_initial_value) {
  corio::bounded_semaphore s(2);
  BOOST_CHECK_THROW(s.release(), std::logic_error);
  auto g = co_await s.acquire();
  // The only permit out is held by a guard: releasing it by hand would let the guard overshoot.
  BOOST_CHECK_THROW(s.release(), std::logic_error);
  BOOST_TEST(s.value() == 1u);
  g.release();
  BOOST_TEST(s.value() == 2u);
  BOOST_CHECK_THROW(g.release(), std::logic_error);
}

CORIO_TEST_CASE(a_guard_returns_its_permit_when_it_goes_away) {
  corio::semaphore s(1);
  {
    auto g = co_await s.acquire();
    BOOST_TEST(g.owns_permit());
    BOOST_TEST(s.value() == 0u);
    corio::semaphore::guard moved(std::move(g));
    BOOST_TEST(!g.owns_permit());
    BOOST_TEST(s.value() == 0u);
  }
  BOOST_TEST(s.value() == 1u);
}

BOOST_AUTO_TEST_CASE(plain_callbacks_are_served_in_order_on_their_executor) {
  asio::io_context ctx;
  corio::semaphore s(1);
  std::vector<int> order;
  std::vector<corio::semaphore::guard> held;
  auto first = s.try_acquire();
  for (int i = 1; i <= 3; ++i) {
    s.async_acquire(asio::bind_executor(ctx, [&, i](boost::system::error_code ec, corio::semaphore::guard g) {
      BOOST_TEST(!ec);
      order.push_back(i);
      held.push_back(std::move(g));
    }));
  }
  BOOST_TEST(s.waiting() == 3u);
  first.reset();
  BOOST_TEST(order.empty());  // never inline from the release
  ctx.poll();  // (run() would wait: a waiting callback keeps its context busy)
  BOOST_TEST(order == (std::vector<int>{1}), boost::test_tools::per_element());
  held.clear();
  ctx.restart();
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  held.clear();
  ctx.restart();
  ctx.poll();
  BOOST_TEST(order == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  held.clear();
  BOOST_TEST(s.value() == 1u);
}

BOOST_AUTO_TEST_CASE(use_future_from_a_non_asio_thread_waits_for_a_permit) {
  asio::io_context ctx;
  auto work = asio::make_work_guard(ctx);
  std::thread runner([&] { ctx.run(); });
  corio::semaphore s(0);
  // The semaphore belongs to ctx's thread: hop there, start the wait, complete into a future.
  std::future<corio::semaphore::guard> f =
      asio::post(ctx, asio::deferred([&] { return s.async_acquire(asio::deferred); }))(asio::use_future);
  // Asked on the semaphore's thread: the wait is queued (and so the future not ready).
  BOOST_TEST(asio::post(ctx, asio::use_future([&] { return s.waiting(); })).get() == 1u);
  BOOST_TEST((f.wait_for(0s) == std::future_status::timeout));
  asio::post(ctx, [&] { s.release(); });
  corio::semaphore::guard g = f.get();
  BOOST_TEST(g.owns_permit());
  // Give the permit back on the semaphore's thread.
  asio::post(ctx, [g = std::move(g)]() mutable { g.release(); });
  BOOST_TEST(asio::post(ctx, asio::use_future([&] { return s.value(); })).get() == 1u);
  work.reset();
  runner.join();
}

BOOST_AUTO_TEST_SUITE_END()
