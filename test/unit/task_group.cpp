// test-labels: schedules
#include <corio/task_group.hpp>

#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct first_error : std::runtime_error {
  first_error() : std::runtime_error("first") {}
};
struct second_error : std::runtime_error {
  second_error() : std::runtime_error("second") {}
};

corio::awaitable<void> sleep_then_record(corio::duration d, std::vector<std::string>& log, std::string what) {
  co_await corio::sleep(d);
  log.push_back(std::move(what));
}

template <typename E>
corio::awaitable<void> throw_after(corio::duration d) {
  co_await corio::sleep(d);
  throw E();
}

/// Sleeps `d`; records whether it was cancelled and (via RAII) that it ended.
corio::awaitable<void> sleeper(corio::duration d, bool& cancelled, bool& ended) {
  struct on_exit {
    bool& flag;
    ~on_exit() { flag = true; }
  } guard{ended};
  try {
    co_await corio::sleep(d);
  } catch (const boost::system::system_error& e) {
    cancelled = e.code() == asio::error::operation_aborted;
    throw;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_group)

CORIO_TEST_CASE(scope_ends_only_when_every_child_has_ended_even_if_the_body_returned_first) {
  std::vector<std::string> log;
  const auto t0 = corio::clock::now();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(sleep_then_record(30ms, log, "slow child"));
    g.spawn(sleep_then_record(10ms, log, "fast child"));
    log.push_back("body returns");
    co_return;
  };
  co_await corio::task_group::run(body);
  log.push_back("group ended");
  BOOST_TEST(log == (std::vector<std::string>{"body returns", "fast child", "slow child", "group ended"}),
             boost::test_tools::per_element());
  BOOST_TEST((corio::clock::now() - t0 == 30ms));
}

CORIO_TEST_CASE(first_failure_cancels_siblings_and_body_and_is_the_only_error) {
  bool sib_cancelled = false, sib_ended = false, body_cancelled = false, body_ended = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(throw_after<first_error>(10ms));
    g.spawn(sleeper(1h, sib_cancelled, sib_ended));
    co_await sleeper(1h, body_cancelled, body_ended);
  };
  const auto t0 = corio::clock::now();
  try {
    co_await corio::task_group::run(body);
    BOOST_FAIL("expected exception_group");
  } catch (const corio::exception_group& eg) {
    BOOST_TEST(eg.size() == 1u);
    BOOST_TEST(eg.contains<first_error>());
    BOOST_TEST(!eg.contains<boost::system::system_error>());
  }
  BOOST_TEST(sib_cancelled);
  BOOST_TEST(sib_ended);
  BOOST_TEST(body_cancelled);
  BOOST_TEST(body_ended);
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
}

CORIO_TEST_CASE(two_children_failing_at_once_are_both_in_the_group) {
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(throw_after<first_error>(10ms));
    g.spawn(throw_after<second_error>(10ms));
    co_return;
  };
  try {
    co_await corio::task_group::run(body);
    BOOST_FAIL("expected exception_group");
  } catch (const corio::exception_group& eg) {
    BOOST_TEST(eg.size() == 2u);
    BOOST_TEST(eg.contains<first_error>());
    BOOST_TEST(eg.contains<second_error>());
    auto [firsts, rest] = eg.split<first_error>();
    BOOST_REQUIRE(firsts.has_value());
    BOOST_REQUIRE(rest.has_value());
    BOOST_TEST(firsts->size() == 1u);
    BOOST_TEST(rest->contains<second_error>());
    BOOST_CHECK_THROW(corio::rethrow_first<second_error>(eg), second_error);
    // In the order they ended: both were ready at the same moment, so either order is right.
    const std::string what = eg.what();
    BOOST_TEST((what == "2 errors: [1] first; [2] second" || what == "2 errors: [1] second; [2] first"));
  }
}

CORIO_TEST_CASE(cancelling_the_coroutine_running_a_group_cancels_every_child_and_propagates_as_cancellation) {
  auto ex = co_await asio::this_coro::executor;
  bool a_cancelled = false, a_ended = false, b_cancelled = false, b_ended = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(sleeper(1h, a_cancelled, a_ended));
    g.spawn(sleeper(2h, b_cancelled, b_ended));
    co_await corio::sleep(3h);
  };
  auto outer = corio::spawn(ex, corio::task_group::run(body));
  co_await corio::sleep(5ms);
  outer.cancel();
  try {
    co_await outer.wait();
    BOOST_FAIL("expected cancellation");
  } catch (const corio::exception_group&) {
    BOOST_FAIL("cancellation must not surface as an exception_group");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == asio::error::operation_aborted);
  }
  BOOST_TEST(a_cancelled);
  BOOST_TEST(b_cancelled);
  BOOST_TEST(a_ended);
  BOOST_TEST(b_ended);
  BOOST_TEST(outer.cancelled());
}

CORIO_TEST_CASE(a_group_run_by_a_coroutine_cancelled_already_never_starts_its_body) {
  auto ex = co_await asio::this_coro::executor;
  bool body_ran = false;
  auto parent = [&]() -> corio::awaitable<void> {
    try {
      co_await corio::sleep(1h);
    } catch (const boost::system::system_error&) {
      // Cancelled here, and still cancelled (level-triggered) when the group starts below.
    }
    co_await corio::task_group::run([&](corio::task_group&) -> corio::awaitable<void> {
      body_ran = true;
      co_await corio::sleep(1h);
    });
  };
  const auto t0 = corio::clock::now();
  auto t = corio::spawn(ex, parent);
  co_await corio::sleep(5ms);
  t.cancel();
  bool threw = false;
  try {
    co_await t.wait();
  } catch (const boost::system::system_error& e) {
    threw = e.code() == asio::error::operation_aborted;
  }
  BOOST_TEST(threw);
  BOOST_TEST(!body_ran);
  BOOST_TEST((corio::clock::now() - t0 == 5ms));
}

CORIO_TEST_CASE(a_child_that_catches_cancellation_and_keeps_running_delays_the_end) {
  std::vector<std::string> log;
  auto stubborn = [&]() -> corio::awaitable<void> {
    try {
      co_await corio::sleep(1h);
    } catch (const boost::system::system_error&) {
      log.push_back("caught");
    }
    // Level-triggered: only a reset (or shield) lets it wait again.
    co_await asio::this_coro::reset_cancellation_state();
    co_await corio::sleep(50ms);
    log.push_back("cleanup done");
  };
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(stubborn());
    g.spawn(throw_after<first_error>(10ms));
    co_return;
  };
  const auto t0 = corio::clock::now();
  BOOST_CHECK_THROW(co_await corio::task_group::run(body), corio::exception_group);
  BOOST_TEST((corio::clock::now() - t0 == 60ms));
  BOOST_TEST(log == (std::vector<std::string>{"caught", "cleanup done"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(supervisor_children_fail_independently_and_all_errors_are_reported) {
  std::vector<std::string> log;
  auto body = [&](corio::supervisor& s) -> corio::awaitable<void> {
    s.spawn(throw_after<first_error>(10ms));
    s.spawn(sleep_then_record(20ms, log, "survivor finished"));
    s.spawn(throw_after<second_error>(30ms));
    co_await corio::sleep(40ms);
    log.push_back("body finished");
  };
  try {
    co_await corio::supervisor::run(body);
    BOOST_FAIL("expected exception_group");
  } catch (const corio::exception_group& eg) {
    BOOST_TEST(eg.size() == 2u);
    BOOST_TEST(eg.contains<first_error>());
    BOOST_TEST(eg.contains<second_error>());
  }
  BOOST_TEST(log == (std::vector<std::string>{"survivor finished", "body finished"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(cancel_from_inside_ends_the_scope_quietly) {
  bool cancelled = false, ended = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(sleeper(1h, cancelled, ended));
    co_await corio::sleep(10ms);
    g.cancel();
    co_await corio::sleep(1h);  // fails: the scope is cancelled
    BOOST_FAIL("unreachable");
  };
  const auto t0 = corio::clock::now();
  co_await corio::task_group::run(body);
  BOOST_TEST(cancelled);
  BOOST_TEST(ended);
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
}

CORIO_TEST_CASE(spawning_into_a_group_that_is_shutting_down_is_a_clear_error) {
  std::string message;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.cancel();
    try {
      g.spawn(corio::sleep(1ms));
    } catch (const std::logic_error& e) {
      message = e.what();
    }
    co_return;
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(message == "corio::task_group is shutting down: cannot spawn into it");
}

CORIO_TEST_CASE(start_resumes_the_caller_once_the_child_reports_started) {
  std::vector<std::string> log;
  auto server = [&](corio::start_handle<int> started) -> corio::awaitable<void> {
    co_await corio::sleep(10ms);  // "binding"
    log.push_back("listening");
    started.started(8080);
    co_await corio::sleep(20ms);
    log.push_back("served");
  };
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    const int port = co_await g.start<int>(server);
    log.push_back("caller got port " + std::to_string(port));
    BOOST_TEST((corio::clock::now() - corio::clock::now() == 0s));
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(log == (std::vector<std::string>{"listening", "caller got port 8080", "served"}),
             boost::test_tools::per_element());
}

CORIO_TEST_CASE(an_error_before_started_goes_to_the_start_caller_not_the_group) {
  auto failing = [](corio::start_handle<> h) -> corio::awaitable<void> {
    co_await corio::sleep(10ms);
    throw first_error();
    h.started();
  };
  bool caught = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    try {
      co_await g.start(failing);
    } catch (const first_error&) {
      caught = true;
    }
  };
  co_await corio::task_group::run(body);  // does not throw: the caller handled it
  BOOST_TEST(caught);
}

CORIO_TEST_CASE(returning_without_calling_started_is_a_logic_error_for_the_caller) {
  auto lazy = [](corio::start_handle<>) -> corio::awaitable<void> { co_return; };
  bool caught = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    try {
      co_await g.start(lazy);
    } catch (const std::logic_error&) {
      caught = true;
    }
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(caught);
}

// (A stress test: once, in posting order.)
CORIO_TEST_CASE_WITH(a_hundred_thousand_children_are_spawned_and_joined, corio::testing::options{.randomize = false}) {
  std::size_t done = 0;
  auto child = [](std::size_t& counter) -> corio::awaitable<void> {
    ++counter;
    co_return;
  };
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < 100'000; ++i) g.spawn(child(done));
    co_return;
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(done == 100'000u);
}

BOOST_AUTO_TEST_SUITE_END()
