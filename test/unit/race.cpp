// test-labels: schedules
#include <corio/race.hpp>

#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using corio::test::value_after;
using corio::test::fail_after;

corio::awaitable<int> loser(corio::duration d, bool& cleaned_up) {
  struct cleanup {
    bool& flag;
    ~cleanup() { flag = true; }
  } c{cleaned_up};
  co_await corio::sleep(d);
  co_return -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(race)

CORIO_TEST_CASE(the_winner_value_is_returned_and_every_loser_has_ended_before_return) {
  bool a_clean = false, b_clean = false;
  const auto t0 = corio::clock::now();
  auto r = co_await corio::race(loser(1h, a_clean), value_after(10ms, std::string("fast")), loser(2h, b_clean));
  BOOST_TEST(r.index() == 1u);
  BOOST_TEST(std::get<1>(r) == "fast");
  BOOST_TEST(a_clean);
  BOOST_TEST(b_clean);
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
}

CORIO_TEST_CASE(equal_types_are_told_apart_by_index) {
  auto r = co_await corio::race(value_after(20ms, 1), value_after(10ms, 2));
  BOOST_TEST(r.index() == 1u);
  BOOST_TEST(std::get<1>(r) == 2);
}

CORIO_TEST_CASE(a_first_finisher_that_failed_makes_race_rethrow) {
  bool clean = false;
  BOOST_CHECK_THROW(co_await corio::race(fail_after(5ms), loser(1h, clean)), std::runtime_error);
  BOOST_TEST(clean);
}

CORIO_TEST_CASE(cancelling_the_caller_cancels_every_contender) {
  auto ex = co_await asio::this_coro::executor;
  bool a = false, b = false;
  auto t = corio::spawn(ex, corio::race(loser(1h, a), loser(2h, b)));
  co_await corio::sleep(1ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(a);
  BOOST_TEST(b);
}

BOOST_AUTO_TEST_SUITE_END()
