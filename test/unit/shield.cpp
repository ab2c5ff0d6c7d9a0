// test-labels: schedules
#include <corio/shield.hpp>

#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<int> work(corio::duration d, bool& finished) {
  co_await corio::sleep(d);
  finished = true;
  co_return 7;
}

corio::awaitable<void> shielded_then_more(bool& finished, int& got, bool& next_await_failed) {
  got = co_await corio::shield(work(50ms, finished));
  try {
    co_await corio::sleep(1ms);
  } catch (const boost::system::system_error&) {
    next_await_failed = true;
    throw;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shield)

CORIO_TEST_CASE(cancelling_the_outer_waiter_does_not_cancel_the_shielded_work) {
  auto ex = co_await asio::this_coro::executor;
  bool finished = false, next_failed = false;
  int got = 0;
  auto t = corio::spawn(ex, shielded_then_more(finished, got, next_failed));
  co_await corio::sleep(10ms);
  const auto t0 = corio::clock::now();
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(finished);      // ran to completion
  BOOST_TEST(got == 7);      // and its value was delivered
  BOOST_TEST(next_failed);   // the cancellation was not lost: the next await failed
  BOOST_TEST((corio::clock::now() - t0 == 40ms));
}

CORIO_TEST_CASE(shield_passes_through_value_and_errors) {
  bool finished = false;
  BOOST_TEST(co_await corio::shield(work(1ms, finished)) == 7);
  auto failing = []() -> corio::awaitable<void> {
    co_await corio::sleep(1ms);
    throw std::out_of_range("x");
  };
  BOOST_CHECK_THROW(co_await corio::shield(failing()), std::out_of_range);
}

BOOST_AUTO_TEST_SUITE_END()
