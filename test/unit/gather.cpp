// test-labels: schedules
#include <corio/gather.hpp>

#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using corio::test::value_after;
using corio::test::fail_after;


corio::awaitable<void> record_cancellation(corio::duration d, bool& cancelled, bool& ended) {
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

/// Counts how many run at once.
corio::awaitable<int> tracked(int v, int& running, int& peak) {
  ++running;
  peak = std::max(peak, running);
  co_await corio::sleep(10ms);
  --running;
  co_return v;
}

corio::awaitable<std::unique_ptr<int>> boxed_after(corio::duration d, int v) {
  co_await corio::sleep(d);
  co_return std::make_unique<int>(v);
}

corio::awaitable<void> nothing_after(corio::duration d) { co_await corio::sleep(d); }


}  // namespace

BOOST_AUTO_TEST_SUITE(gather)

CORIO_TEST_CASE(results_come_in_argument_order_whatever_the_finishing_order) {
  const auto t0 = corio::clock::now();
  auto [a, b, c] = co_await corio::gather(value_after(30ms, 1), value_after(10ms, 2), value_after(20ms, 3));
  BOOST_TEST(a == 1);
  BOOST_TEST(b == 2);
  BOOST_TEST(c == 3);
  BOOST_TEST((corio::clock::now() - t0 == 30ms));  // concurrent: the longest, not the sum
}

CORIO_TEST_CASE(void_awaitables_give_monostate) {
  auto [a, b] = co_await corio::gather(corio::sleep(1ms), value_after(2ms, 5));
  static_assert(std::is_same_v<decltype(a), std::monostate>);
  BOOST_TEST(b == 5);
}

CORIO_TEST_CASE(first_error_cancels_the_rest_and_is_rethrown) {
  bool cancelled = false, ended = false;
  const auto t0 = corio::clock::now();
  try {
    co_await corio::gather(record_cancellation(1h, cancelled, ended), fail_after(10ms, "boom"),
                           fail_after(20ms, "later"));
    BOOST_FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()) == "boom");
  }
  BOOST_TEST(cancelled);
  BOOST_TEST(ended);  // it has finished (RAII ran) before gather returned
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
}

CORIO_TEST_CASE(ranged_gather_returns_a_vector_in_order) {
  std::vector<corio::awaitable<int>> aws;
  for (int i = 0; i < 5; ++i) aws.push_back(value_after(std::chrono::milliseconds(50 - 10 * i), i));
  auto v = co_await corio::gather(std::move(aws));
  BOOST_TEST(v == (std::vector<int>{0, 1, 2, 3, 4}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(concurrency_limit_bounds_how_many_run_at_once) {
  int running = 0, peak = 0;
  std::vector<corio::awaitable<int>> aws;
  for (int i = 0; i < 10; ++i) aws.push_back(tracked(i, running, peak));
  const auto t0 = corio::clock::now();
  auto v = co_await corio::gather(std::move(aws), 3);
  BOOST_TEST(peak == 3);
  BOOST_TEST(v == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), boost::test_tools::per_element());
  BOOST_TEST((corio::clock::now() - t0 == 40ms));  // ceil(10 / 3) rounds of 10 ms
}

CORIO_TEST_CASE(empty_range_completes_at_once) {
  auto v = co_await corio::gather(std::vector<corio::awaitable<int>>{});
  BOOST_TEST(v.empty());
  auto s = co_await corio::gather_settled(std::vector<corio::awaitable<int>>{});
  BOOST_TEST(s.empty());
}

CORIO_TEST_CASE(gather_settled_returns_every_value_and_every_exception_in_order) {
  auto [a, b, c] = co_await corio::gather_settled(value_after(20ms, 1), fail_after(10ms, "x"), value_after(5ms, 3));
  BOOST_TEST(a.has_value());
  BOOST_TEST(a.value() == 1);
  BOOST_TEST(!b.has_value());
  BOOST_CHECK_THROW(b.value(), std::runtime_error);
  BOOST_TEST(c.value() == 3);

  std::vector<corio::awaitable<int>> aws;
  aws.push_back(fail_after(1ms, "first"));
  aws.push_back(value_after(2ms, 2));
  aws.push_back(fail_after(3ms, "third"));
  auto rs = co_await corio::gather_settled(std::move(aws), 2);
  BOOST_REQUIRE(rs.size() == 3u);
  BOOST_TEST(!rs[0].has_value());
  BOOST_TEST(rs[1].value() == 2);
  BOOST_TEST(!rs[2].has_value());
  try {
    rs[2].value();
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()) == "third");
  }
}

CORIO_TEST_CASE(ranged_gather_settled_without_a_limit_keeps_each_value_and_exception_in_its_place) {
  std::vector<corio::awaitable<int>> aws;
  aws.push_back(value_after(30ms, 1));
  aws.push_back(fail_after(10ms, "second"));
  aws.push_back(value_after(5ms, 3));
  aws.push_back(fail_after(20ms, "fourth"));
  auto rs = co_await corio::gather_settled(std::move(aws));
  BOOST_REQUIRE(rs.size() == 4u);
  BOOST_TEST(rs[0].value() == 1);
  BOOST_TEST(rs[2].value() == 3);
  for (std::size_t i : {1u, 3u}) {
    BOOST_REQUIRE(!rs[i].has_value());
    try {
      rs[i].value();
    } catch (const std::runtime_error& e) {
      BOOST_TEST(std::string(e.what()) == (i == 1 ? "second" : "fourth"));
    }
  }

  std::vector<corio::awaitable<void>> voids;
  voids.push_back(fail_after<void>(2ms, "void failed"));
  voids.push_back(nothing_after(1ms));
  auto vs = co_await corio::gather_settled(std::move(voids));
  BOOST_REQUIRE(vs.size() == 2u);
  BOOST_TEST(!vs[0].has_value());
  BOOST_TEST(vs[1].has_value());
}

CORIO_TEST_CASE(ranged_gather_moves_move_only_values_into_place) {
  std::vector<corio::awaitable<std::unique_ptr<int>>> aws;
  for (int i = 0; i < 4; ++i) aws.push_back(boxed_after(std::chrono::milliseconds(40 - 10 * i), i));
  auto v = co_await corio::gather(std::move(aws));
  BOOST_REQUIRE(v.size() == 4u);
  for (int i = 0; i < 4; ++i) {
    BOOST_REQUIRE(v[static_cast<std::size_t>(i)] != nullptr);
    BOOST_TEST(*v[static_cast<std::size_t>(i)] == i);
  }
}

CORIO_TEST_CASE(ranged_gather_rethrows_the_first_error_after_cancelling_the_rest) {
  bool cancelled = false, ended = false;
  std::vector<corio::awaitable<void>> aws;
  aws.push_back(record_cancellation(1h, cancelled, ended));
  aws.push_back(fail_after<void>(5ms, "void failed"));
  aws.push_back(nothing_after(1ms));
  const auto t0 = corio::clock::now();
  BOOST_CHECK_THROW(co_await corio::gather(std::move(aws)), std::runtime_error);
  BOOST_TEST(cancelled);
  BOOST_TEST(ended);
  BOOST_TEST((corio::clock::now() - t0 == 5ms));
}

CORIO_TEST_CASE(cancelling_the_caller_cancels_every_child_and_throws_cancellation) {
  auto ex = co_await asio::this_coro::executor;
  bool c1 = false, e1 = false, c2 = false, e2 = false;
  auto t = corio::spawn(ex, corio::gather(record_cancellation(1h, c1, e1), record_cancellation(2h, c2, e2)));
  co_await corio::sleep(1ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(t.cancelled());
  BOOST_TEST((c1 && e1 && c2 && e2));
}

BOOST_AUTO_TEST_SUITE_END()
