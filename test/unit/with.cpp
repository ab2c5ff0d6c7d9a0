// test-labels: schedules
#include <corio/with.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct connection {
  std::vector<std::string>& log;
  bool fail_close = false;
  corio::awaitable<void> aclose() {
    co_await corio::sleep(10ms);  // cleanup that must itself await
    log.push_back("closed");
    if (fail_close) throw std::runtime_error("close failed");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(with)

CORIO_TEST_CASE(cleanup_runs_after_success_and_the_value_is_returned) {
  std::vector<std::string> log;
  connection c{log};
  auto v = co_await corio::with(c, [&](connection&) -> corio::awaitable<int> {
    log.push_back("used");
    co_return 5;
  });
  BOOST_TEST(v == 5);
  BOOST_TEST(log == (std::vector<std::string>{"used", "closed"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(cleanup_runs_after_an_error_which_is_rethrown) {
  std::vector<std::string> log;
  connection c{log};
  auto body = [](connection&) -> corio::awaitable<void> {
    throw std::out_of_range("x");
    co_return;
  };
  BOOST_CHECK_THROW(co_await corio::with(c, body), std::out_of_range);
  BOOST_TEST(log == (std::vector<std::string>{"closed"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(cleanup_runs_shielded_after_cancellation_which_is_rethrown) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> log;
  connection c{log};
  auto body = [](connection&) -> corio::awaitable<void> { co_await corio::sleep(1h); };
  auto user = [&]() -> corio::awaitable<void> { co_await corio::with(c, body); };
  auto t = corio::spawn(ex, user());
  co_await corio::sleep(1ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(t.cancelled());
  BOOST_TEST(log == (std::vector<std::string>{"closed"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(a_failing_cleanup_after_a_failing_body_reports_both) {
  std::vector<std::string> log;
  connection c{log, true};
  auto body = [](connection&) -> corio::awaitable<void> {
    throw std::out_of_range("body");
    co_return;
  };
  try {
    co_await corio::with(c, body);
    BOOST_FAIL("expected exception_group");
  } catch (const corio::exception_group& eg) {
    BOOST_TEST(eg.size() == 2u);
    BOOST_TEST(std::string(eg.what()) == "2 errors: [1] body; [2] close failed");
  }
}

CORIO_TEST_CASE(finally_awaits_its_cleanup_in_full_after_the_caller_is_cancelled) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> log;
  connection c{log};
  auto cleanup = [&] { return c.aclose(); };  // sleeps 10 ms, then logs "closed"
  auto user = [&]() -> corio::awaitable<void> {
    try {
      co_await corio::finally(corio::sleep(1h), cleanup);
    } catch (const boost::system::system_error&) {
      log.push_back("cancelled");
      throw;
    }
  };
  auto t = corio::spawn(ex, user());
  co_await corio::sleep(1ms);
  const auto t0 = corio::clock::now();
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(t.cancelled());
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
  BOOST_TEST(log == (std::vector<std::string>{"closed", "cancelled"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(finally_returns_the_body_value_after_the_cleanup) {
  std::vector<std::string> log;
  connection c{log};
  auto cleanup = [&] { return c.aclose(); };
  auto body = [&]() -> corio::awaitable<int> {
    log.push_back("body");
    co_return 3;
  };
  BOOST_TEST(co_await corio::finally(body(), cleanup) == 3);
  BOOST_TEST(log == (std::vector<std::string>{"body", "closed"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(finally_reports_a_failing_cleanup_alone_when_the_body_succeeded) {
  std::vector<std::string> log;
  connection c{log, true};
  auto cleanup = [&] { return c.aclose(); };
  BOOST_CHECK_THROW(co_await corio::finally(corio::sleep(1ms), cleanup), std::runtime_error);
  BOOST_TEST(log == (std::vector<std::string>{"closed"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(after_finally_the_caller_stays_cancelled_at_its_next_suspension_point) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> log;
  connection c{log};
  auto cleanup = [&] { return c.aclose(); };
  auto user = [&]() -> corio::awaitable<void> {
    try {
      co_await corio::finally(corio::sleep(1h), cleanup);
    } catch (const boost::system::system_error&) {
      log.push_back("caught");
    }
    co_await corio::sleep(1ms);  // level-triggered: fails too
    log.push_back("not reached");
  };
  auto t = corio::spawn(ex, user());
  co_await corio::sleep(1ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(log == (std::vector<std::string>{"closed", "caught"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
