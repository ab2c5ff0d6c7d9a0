// test-labels: schedules
#include <corio/call_later.hpp>

#include <corio/exception_group.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {
struct reminder_failed : std::runtime_error {
  reminder_failed() : std::runtime_error("the reminder failed") {}
};
}  // namespace

BOOST_AUTO_TEST_SUITE(call_later)

CORIO_TEST_CASE(the_callback_runs_after_exactly_its_delay_and_the_group_waits_for_it) {
  const auto t0 = corio::clock::now();
  corio::duration ran_at{-1};
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    corio::call_later(g, 5s, [&] { ran_at = corio::clock::now() - t0; });
    co_return;  // the body ends at once; the group ends once the callback has run
  };
  co_await corio::task_group::run(body);
  BOOST_TEST((ran_at == 5s));
  BOOST_TEST((corio::clock::now() - t0 == 5s));
}

CORIO_TEST_CASE(callbacks_run_in_the_order_of_their_times) {
  std::vector<std::string> order;
  const auto t0 = corio::clock::now();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    corio::call_later(g, 3s, [&] { order.push_back("3s"); });
    corio::call_at(g, t0 + 1s, [&] { order.push_back("at 1s"); });
    corio::call_later(g, 2s, [&] { order.push_back("2s"); });
    co_return;
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(order == (std::vector<std::string>{"at 1s", "2s", "3s"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(cancelled_before_its_time_the_callback_never_runs_and_the_group_does_not_wait) {
  bool ran = false;
  const auto t0 = corio::clock::now();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto reminder = corio::call_later(g, 1h, [&] { ran = true; });
    co_await corio::sleep(10ms);
    reminder.cancel();
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(!ran);
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
}

CORIO_TEST_CASE(an_awaitable_callback_is_awaited_and_its_task_gives_the_end) {
  const auto t0 = corio::clock::now();
  corio::duration finished_at{-1};
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto later = corio::call_later(g, 1s, [&]() -> corio::awaitable<void> {
      co_await corio::sleep(2s);
      finished_at = corio::clock::now() - t0;
    });
    co_await later.wait();
    BOOST_TEST((corio::clock::now() - t0 == 3s));
  };
  co_await corio::task_group::run(body);
  BOOST_TEST((finished_at == 3s));
}

CORIO_TEST_CASE(a_failing_callback_fails_its_task_group_and_cancels_the_rest) {
  bool other_ran = false;
  const auto t0 = corio::clock::now();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    corio::call_later(g, 1s, []() -> void { throw reminder_failed(); });
    corio::call_later(g, 1h, [&] { other_ran = true; });
    co_await corio::sleep(2h);
  };
  try {
    co_await corio::task_group::run(body);
    BOOST_FAIL("expected exception_group");
  } catch (const corio::exception_group& eg) {
    BOOST_TEST(eg.size() == 1u);
    BOOST_TEST(eg.contains<reminder_failed>());
  }
  BOOST_TEST(!other_ran);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
}

CORIO_TEST_CASE(in_a_supervisor_a_failing_callback_leaves_the_others_running) {
  bool other_ran = false;
  auto body = [&](corio::supervisor& g) -> corio::awaitable<void> {
    corio::call_later(g, 1s, []() -> void { throw reminder_failed(); });
    corio::call_later(g, 2s, [&] { other_ran = true; });
    co_return;
  };
  try {
    co_await corio::supervisor::run(body);
    BOOST_FAIL("expected exception_group");
  } catch (const corio::exception_group& eg) {
    BOOST_TEST(eg.size() == 1u);
    BOOST_TEST(eg.contains<reminder_failed>());
  }
  BOOST_TEST(other_ran);
}

CORIO_TEST_CASE(cancelling_the_group_cancels_a_pending_callback) {
  bool ran = false;
  const auto t0 = corio::clock::now();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    corio::call_later(g, 1h, [&] { ran = true; });
    co_await corio::sleep(1s);
    g.cancel();
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(!ran);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
}

CORIO_TEST_CASE(a_time_already_past_runs_the_callback_without_waiting) {
  int runs = 0;
  const auto t0 = corio::clock::now();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    co_await corio::sleep(1s);
    corio::call_at(g, t0, [&] { ++runs; });
    corio::call_later(g, -5s, [&] { ++runs; });
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(runs == 2);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
}

BOOST_AUTO_TEST_SUITE_END()
