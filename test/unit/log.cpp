#include <corio/log.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include "support/capture_log.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> fails() {
  co_await corio::sleep(1ms);
  throw std::runtime_error("disk on fire");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logging)  // not "log": that names ::log

BOOST_AUTO_TEST_CASE(a_failed_task_nobody_awaited_is_reported_once_with_its_name) {
  corio::test::capture_log captured;
  corio::testing::run_test([]() -> corio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto t = corio::spawn(ex, fails(), "flaky-job");
    co_await corio::sleep(10ms);
    BOOST_TEST(t.done());
  });  // the handle is gone now
  const auto lines = captured.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].find("error") == 0u);
  BOOST_TEST(lines[0].find("'flaky-job' failed and nobody retrieved its error: disk on fire") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_awaited_failure_is_not_reported) {
  corio::test::capture_log captured;
  corio::testing::run_test([]() -> corio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto t = corio::spawn(ex, fails(), "awaited");
    BOOST_CHECK_THROW(co_await t.wait(), std::runtime_error);
  });
  BOOST_TEST(captured.lines().empty());
}

BOOST_AUTO_TEST_SUITE_END()
