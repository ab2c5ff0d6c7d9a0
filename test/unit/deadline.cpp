// test-labels: schedules
#include <corio/deadline.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// Virtual milliseconds since `t0`.
long long ms_since(corio::clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(corio::clock::now() - t0).count();
}

// Holds an armed watchdog (whose callback owns `token`) and sleeps for an hour.
corio::awaitable<void> guarded_sleeper(std::shared_ptr<int> token) {
  // (The executor first: GCC 12 destroys a capturing lambda twice in a full-expression with co_await.)
  const auto ex = co_await asio::this_coro::executor;
  corio::watchdog dog(ex, [token] {});
  token.reset();
  dog.reschedule_after(30min);
  co_await corio::sleep(1h);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deadline)

CORIO_TEST_CASE(expiry_runs_on_expiry_exactly_at_the_deadline_and_disarms) {
  const auto t0 = corio::clock::now();
  std::vector<long long> fired;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired.push_back(ms_since(t0)); });
  BOOST_TEST(!dog.expired());
  BOOST_TEST((dog.deadline() == corio::clock::time_point::max()));
  dog.reschedule_after(10s);
  co_await corio::sleep(1h);
  BOOST_TEST(fired == std::vector<long long>{10000}, boost::test_tools::per_element());
  BOOST_TEST(dog.expired());
  BOOST_TEST((dog.deadline() == corio::clock::time_point::max()));
}

CORIO_TEST_CASE(moving_the_deadline_later_is_a_plain_store_that_leaves_the_timer_alone) {
  const auto t0 = corio::clock::now();
  std::optional<long long> fired;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired = ms_since(t0); });
  dog.reschedule_after(10s);
  BOOST_TEST(corio::testing::pending_wakeups() == 1u);
  const auto armed = corio::testing::next_wakeup();
  for (int i = 1; i <= 1000; ++i) dog.reschedule(t0 + 10s + i * 1ms);
  // Still the one wait, still armed for the first deadline: no timer was touched.
  BOOST_TEST(corio::testing::pending_wakeups() == 1u);
  BOOST_TEST((corio::testing::next_wakeup() == armed));
  co_await corio::sleep(1h);
  BOOST_TEST((fired == 11000));
}

CORIO_TEST_CASE(a_request_loop_that_keeps_rescheduling_wakes_the_timer_once_per_period_not_per_request) {
  const auto t0 = corio::clock::now();
  bool fired = false;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired = true; });
  std::vector<corio::clock::time_point> armed_instants;
  for (int request = 0; request < 3000; ++request) {
    dog.reschedule_after(1s);
    co_await corio::sleep(1ms);  // one "request"
    BOOST_TEST_REQUIRE(corio::testing::pending_wakeups() == 1u);  // the sleep is over: this wake-up is the watchdog's
    const auto a = corio::testing::next_wakeup();
    if (armed_instants.empty() || armed_instants.back() != a) armed_instants.push_back(a);
  }
  BOOST_TEST(!fired);
  // 3 s of requests with a 1 s timeout: the timer was (re-)armed about 3 times, not 3000.
  BOOST_TEST(armed_instants.size() <= 5u);
  dog.disarm();
  co_await corio::sleep(2s);
  BOOST_TEST(!fired);
  BOOST_TEST((corio::clock::now() - t0 > 3s));
}

CORIO_TEST_CASE(moving_the_deadline_earlier_rearms_and_expires_on_time) {
  const auto t0 = corio::clock::now();
  std::optional<long long> fired;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired = ms_since(t0); });
  dog.reschedule_after(1h);
  co_await corio::sleep(1s);
  dog.reschedule(t0 + 3s);
  co_await corio::sleep(1h);
  BOOST_TEST((fired == 3000));
}

CORIO_TEST_CASE(a_deadline_already_passed_expires_at_the_next_scheduling_point_not_inside_reschedule) {
  int fired = 0;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { ++fired; });
  dog.reschedule(corio::clock::now() - 1s);
  BOOST_TEST(fired == 0);
  co_await corio::testing::wait_all_tasks_blocked();
  BOOST_TEST(fired == 1);
}

CORIO_TEST_CASE(disarm_prevents_expiry_and_a_later_reschedule_arms_again) {
  const auto t0 = corio::clock::now();
  std::vector<long long> fired;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired.push_back(ms_since(t0)); });
  dog.reschedule_after(5s);
  co_await corio::sleep(1s);
  dog.disarm();
  co_await corio::sleep(10s);
  BOOST_TEST(fired.empty());
  BOOST_TEST(!dog.expired());
  dog.reschedule_after(2s);
  co_await corio::sleep(10s);
  BOOST_TEST(fired == std::vector<long long>{13000}, boost::test_tools::per_element());
}

CORIO_TEST_CASE(expires_again_after_being_rescheduled_following_an_expiry) {
  const auto t0 = corio::clock::now();
  std::vector<long long> fired;
  corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired.push_back(ms_since(t0)); });
  dog.reschedule_after(1s);
  co_await corio::sleep(2s);
  BOOST_TEST(dog.expired());
  dog.reschedule_after(1s);
  BOOST_TEST(!dog.expired());
  co_await corio::sleep(2s);
  BOOST_TEST(fired == (std::vector<long long>{1000, 3000}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(destroying_an_armed_watchdog_silences_it) {
  int fired = 0;
  {
    corio::watchdog dog(co_await asio::this_coro::executor, [&] { ++fired; });
    dog.reschedule_after(1s);
  }
  co_await corio::sleep(5s);
  BOOST_TEST(fired == 0);
  BOOST_TEST(corio::testing::pending_wakeups() == 0u);
}

CORIO_TEST_CASE(on_expiry_may_destroy_its_own_watchdog) {
  int fired = 0;
  std::unique_ptr<corio::watchdog> dog;
  dog = std::make_unique<corio::watchdog>(co_await asio::this_coro::executor, [&] {
    ++fired;
    dog.reset();
  });
  dog->reschedule_after(1s);
  co_await corio::sleep(5s);
  BOOST_TEST(fired == 1);
  BOOST_TEST(!dog);
}

CORIO_TEST_CASE(with_watchdog_cancels_work_that_stops_feeding_it_and_throws_timeout_error) {
  const auto t0 = corio::clock::now();
  int steps = 0;
  bool cleanup_ran = false;
  auto work = [&](corio::watchdog& dog) -> corio::awaitable<void> {
    struct on_exit {
      bool& flag;
      ~on_exit() { flag = true; }
    } guard{cleanup_ran};
    for (auto d : {1s, 2s, 3s, 10s}) {  // the fourth step takes longer than the 5 s allowance
      co_await corio::sleep(d);
      ++steps;
      dog.reschedule_after(5s);
    }
  };
  BOOST_CHECK_THROW(co_await corio::with_watchdog(5s, work), corio::timeout_error);
  BOOST_TEST(steps == 3);
  BOOST_TEST(cleanup_ran);
  BOOST_TEST((corio::clock::now() - t0 == 11s));  // 6 s of steps, then 5 s without one
}

CORIO_TEST_CASE(with_watchdog_returns_the_value_of_work_that_finishes_in_time) {
  auto work = [](corio::watchdog& dog) -> corio::awaitable<int> {
    co_await corio::sleep(4s);
    dog.reschedule_after(5s);
    co_await corio::sleep(4s);
    co_return 42;
  };
  BOOST_TEST(co_await corio::with_watchdog(5s, work) == 42);
  auto no_arg = []() -> corio::awaitable<void> { co_await corio::sleep(1s); };
  co_await corio::with_watchdog(5s, no_arg);
}

CORIO_TEST_CASE(with_watchdog_passes_the_works_own_error_through) {
  auto work = []() -> corio::awaitable<void> {
    co_await corio::sleep(1s);
    throw std::runtime_error("boom");
  };
  BOOST_CHECK_THROW(co_await corio::with_watchdog(5s, work), std::runtime_error);
}

CORIO_TEST_CASE(cancelling_the_caller_of_with_watchdog_is_a_cancellation_not_a_timeout) {
  auto work = []() -> corio::awaitable<void> { co_await corio::sleep(1h); };
  auto body = [&]() -> corio::awaitable<void> { co_await corio::with_watchdog(10s, work); };
  auto t = corio::spawn(co_await asio::this_coro::executor, body(), "caller");
  co_await corio::sleep(1s);
  t.cancel();
  try {
    co_await t.wait();
    BOOST_FAIL("expected a cancellation");
  } catch (const std::exception& e) {
    BOOST_TEST(corio::is_cancellation(e));
  }
}

BOOST_AUTO_TEST_CASE(a_context_destroyed_with_an_armed_watchdog_frees_its_state) {
  // The watchdog's entry in the context's deadline queue holds its state while queued; shutting
  // the context down must let go of it (the callback, and what it owns, is freed).
  auto token = std::make_shared<int>(0);
  {
    boost::asio::io_context ctx;
    corio::spawn(ctx, guarded_sleeper(token));
    ctx.poll();
    BOOST_TEST(token.use_count() == 2);  // here and in the armed watchdog's callback
  }
  BOOST_TEST(token.use_count() == 1);
}

BOOST_AUTO_TEST_CASE(expires_in_real_time_too) {
  corio::testing::run_test(
      []() -> corio::awaitable<void> {
        const auto t0 = std::chrono::steady_clock::now();
        bool fired = false;
        corio::watchdog dog(co_await asio::this_coro::executor, [&] { fired = true; });
        dog.reschedule_after(20ms);
        dog.reschedule_after(40ms);  // later: the timer wakes at 20 ms and sleeps on
        while (!fired) co_await corio::sleep(5ms);
        const auto took = std::chrono::steady_clock::now() - t0;
        BOOST_TEST((took >= 40ms));
        BOOST_TEST((took < 5s));
      },
      corio::testing::options{.virtual_time = false});
}

BOOST_AUTO_TEST_SUITE_END()
