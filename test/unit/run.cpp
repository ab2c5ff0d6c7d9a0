#include <corio/run.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>

#include "support/capture_log.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <stdexcept>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct custom_error : std::runtime_error {
  custom_error() : std::runtime_error("custom") {}
  int code = 42;
};

corio::awaitable<int> answer() {
  co_await corio::sleep(1ms);
  co_return 42;
}

corio::awaitable<int> throws_custom() {
  co_await corio::sleep(1ms);
  throw custom_error();
}

corio::awaitable<void> sleeper(bool& cancelled) {
  try {
    co_await corio::sleep(1h);
  } catch (const boost::system::system_error&) {
    cancelled = true;
    throw;
  }
}

corio::awaitable<void> leaves_a_task_behind(bool& cancelled) {
  corio::spawn(co_await asio::this_coro::executor, sleeper(cancelled), "orphan");
  co_await corio::sleep(1ms);
}

corio::awaitable<void> raise_sigusr1_then_wait() {
  std::raise(SIGUSR1);
  co_await corio::sleep(50ms);  // the signal is delivered through the loop meanwhile
}

corio::awaitable<void> raise_sigint_then_sleep(bool& cancelled) {
  std::raise(SIGINT);
  co_await sleeper(cancelled);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run)

BOOST_AUTO_TEST_CASE(run_returns_main_value) { BOOST_TEST(corio::run(answer()) == 42); }

BOOST_AUTO_TEST_CASE(run_rethrows_main_exception_type_unchanged) {
  try {
    corio::run(throws_custom());
    BOOST_FAIL("expected custom_error");
  } catch (const custom_error& e) {
    BOOST_TEST(e.code == 42);
  }
}

BOOST_AUTO_TEST_CASE(tasks_left_running_by_main_are_cancelled_and_awaited) {
  bool cancelled = false;
  corio::run(leaves_a_task_behind(cancelled));
  BOOST_TEST(cancelled);
}

BOOST_AUTO_TEST_CASE(sigint_cancels_main) {
  bool cancelled = false;
  try {
    corio::run(raise_sigint_then_sleep(cancelled));
    BOOST_FAIL("expected cancellation");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == asio::error::operation_aborted);
  }
  BOOST_TEST(cancelled);
}

BOOST_AUTO_TEST_CASE(sigusr1_logs_the_task_dump) {
  corio::test::capture_log captured;
  corio::run(raise_sigusr1_then_wait());
  const auto lines = captured.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].find("warning task dump (SIGUSR1):") == 0u);
  BOOST_TEST(lines[0].find("task #") != std::string::npos);
  BOOST_TEST(lines[0].find("'main' running") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
