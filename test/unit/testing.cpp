#include <corio/testing.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>

#include <boost/asio/experimental/channel.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> wait_forever_on_a_channel() {
  asio::experimental::channel<void(boost::system::error_code, int)> ch(co_await asio::this_coro::executor);
  co_await ch.async_receive(asio::deferred);
}

corio::awaitable<void> sleeper(corio::duration d) { co_await corio::sleep(d); }

}  // namespace

BOOST_AUTO_TEST_SUITE(testing)

CORIO_TEST_CASE(virtual_time_jumps_to_the_next_deadline_when_nothing_else_can_run) {
  const auto real0 = std::chrono::steady_clock::now();
  const auto t0 = corio::clock::now();
  co_await corio::sleep(24h);
  BOOST_TEST((corio::clock::now() - t0 == 24h));
  BOOST_TEST((std::chrono::steady_clock::now() - real0 < 1s));
}

CORIO_TEST_CASE(advance_moves_time_and_fires_due_timers_in_order) {
  auto ex = co_await asio::this_coro::executor;
  auto a = corio::spawn(ex, sleeper(10ms));
  auto b = corio::spawn(ex, sleeper(30ms));
  co_await corio::yield();  // let both start sleeping
  co_await corio::yield();
  const auto t0 = corio::clock::now();
  corio::testing::advance(20ms);
  BOOST_TEST((corio::clock::now() - t0 == 20ms));
  co_await corio::yield();
  co_await corio::yield();
  BOOST_TEST(a.done());
  BOOST_TEST(!b.done());
  co_await b.wait();
  BOOST_TEST((corio::clock::now() - t0 == 30ms));
}

CORIO_TEST_CASE(next_wakeup_is_where_virtual_time_jumps_and_a_contexts_sleeps_share_one_wakeup) {
  auto ex = co_await asio::this_coro::executor;
  BOOST_TEST(corio::testing::pending_wakeups() == 0u);
  BOOST_TEST((corio::testing::next_wakeup() == corio::clock::time_point::max()));
  const auto t0 = corio::clock::now();
  auto a = corio::spawn(ex, sleeper(30ms));
  auto b = corio::spawn(ex, sleeper(10ms));
  co_await corio::yield();  // let both start sleeping
  co_await corio::yield();
  BOOST_TEST(corio::testing::pending_wakeups() == 1u);
  BOOST_TEST((corio::testing::next_wakeup() == t0 + 10ms));
  co_await b.wait();
  BOOST_TEST((corio::clock::now() == t0 + 10ms));
  BOOST_TEST(corio::testing::pending_wakeups() == 1u);
  BOOST_TEST((corio::testing::next_wakeup() == t0 + 30ms));
  co_await a.wait();
  BOOST_TEST(corio::testing::pending_wakeups() == 0u);
  BOOST_TEST((corio::testing::next_wakeup() == corio::clock::time_point::max()));
}

BOOST_AUTO_TEST_CASE(the_wakeup_queries_without_a_virtual_clock_are_a_logic_error) {
  BOOST_CHECK_THROW(static_cast<void>(corio::testing::pending_wakeups()), std::logic_error);
  BOOST_CHECK_THROW(static_cast<void>(corio::testing::next_wakeup()), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_deadlocked_test_is_reported_instead_of_hanging) {
  corio::testing::options opts;
  opts.deadlock_grace = 50ms;
  try {
    corio::testing::run_test(wait_forever_on_a_channel, opts);
    BOOST_FAIL("expected deadlock_error");
  } catch (const corio::testing::deadlock_error& e) {
    BOOST_TEST(std::string(e.what()).find("deadlock") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("'test main'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(tasks_left_running_fail_the_test_by_name) {
  try {
    corio::testing::run_test([]() -> corio::awaitable<void> {
      corio::spawn(co_await asio::this_coro::executor, sleeper(1h), "forgotten");
      co_return;
    });
    BOOST_FAIL("expected leftover_tasks_error");
  } catch (const corio::testing::leftover_tasks_error& e) {
    BOOST_TEST(std::string(e.what()).find("'forgotten'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(main_exception_escapes_unchanged) {
  BOOST_CHECK_THROW(corio::testing::run_test([]() -> corio::awaitable<void> {
                      co_await corio::sleep(1s);
                      throw std::domain_error("x");
                    }),
                    std::domain_error);
}

BOOST_AUTO_TEST_SUITE_END()
