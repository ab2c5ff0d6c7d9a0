// test-labels: schedules
#include <corio/broadcast.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using bus = corio::broadcast<int>;

corio::awaitable<std::vector<int>> collect(bus::receiver rx, corio::duration per_item) {
  std::vector<int> got;
  while (auto v = co_await rx.next()) {
    got.push_back(*v);
    co_await corio::sleep(per_item);
  }
  co_return got;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(broadcast)

CORIO_TEST_CASE(every_receiver_sees_every_item_in_order) {
  auto ex = co_await asio::this_coro::executor;
  bus b(8);
  auto x = corio::spawn(ex, collect(b.subscribe(), 1ms));
  auto y = corio::spawn(ex, collect(b.subscribe(), 3ms));
  BOOST_TEST(b.receiver_count() == 2u);
  for (int i = 1; i <= 5; ++i) {
    BOOST_TEST(b.send(i) == 2u);
    co_await corio::sleep(1ms);
  }
  b.close();
  const std::vector<int> want{1, 2, 3, 4, 5};
  BOOST_TEST(co_await x.wait() == want, boost::test_tools::per_element());
  BOOST_TEST(co_await y.wait() == want, boost::test_tools::per_element());
}

CORIO_TEST_CASE(a_lagging_receiver_learns_how_many_it_missed_and_never_stalls_the_sender) {
  auto ex = co_await asio::this_coro::executor;
  bus b(3);
  auto slow = b.subscribe();
  auto fast = corio::spawn(ex, collect(b.subscribe(), 0ms));
  const auto t0 = corio::clock::now();
  for (int i = 1; i <= 5; ++i) {
    b.send(i);  // never waits, although `slow` reads nothing
    co_await corio::testing::wait_all_tasks_blocked();  // `fast` keeps up
  }
  BOOST_TEST((corio::clock::now() == t0));
  BOOST_TEST(slow.available() == 3u);
  try {
    (void)co_await slow.recv();
    BOOST_FAIL("expected lagged");
  } catch (const corio::lagged& e) {
    BOOST_TEST(e.missed() == 2u);
    BOOST_TEST((e.code() == corio::channel_errc::lagged));
  }
  BOOST_TEST(slow.missed() == 2u);
  // It continues with the oldest item still retained.
  BOOST_TEST(co_await slow.recv() == 3);
  BOOST_TEST(co_await slow.recv() == 4);
  BOOST_TEST(co_await slow.recv() == 5);
  b.close();
  // (Result first: GCC 12 cannot keep an initializer list alive across a co_await.)
  const auto all = co_await fast.wait();
  BOOST_TEST(all == (std::vector<int>{1, 2, 3, 4, 5}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(after_close_receivers_drain_then_see_closed) {
  bus b(4);
  auto rx = b.subscribe();
  b.send(1);
  b.send(2);
  b.close();
  b.close();  // idempotent
  BOOST_CHECK_THROW(b.send(3), corio::queue_closed);
  BOOST_TEST(co_await rx.recv() == 1);
  auto two = rx.try_recv();
  BOOST_REQUIRE(two.has_value());
  BOOST_TEST(*two == 2);
  BOOST_CHECK_THROW(co_await rx.recv(), corio::queue_closed);
  BOOST_TEST(!(co_await rx.next()).has_value());
  BOOST_CHECK_THROW((void)rx.try_recv(), corio::queue_closed);
}

CORIO_TEST_CASE(close_wakes_a_waiting_receiver_with_closed) {
  auto ex = co_await asio::this_coro::executor;
  bus b(4);
  auto x = corio::spawn(ex, collect(b.subscribe(), 0ms));
  auto rx = b.subscribe();
  auto waiter = [&]() -> corio::awaitable<std::string> {
    try {
      (void)co_await rx.recv();
    } catch (const corio::queue_closed&) {
      co_return "closed";
    }
    co_return "no exception";
  };
  auto w = corio::spawn(ex, waiter());
  co_await corio::sleep(1ms);
  b.close();
  BOOST_TEST(co_await w.wait() == "closed");
  BOOST_TEST((co_await x.wait()).empty());
}

CORIO_TEST_CASE(cancelled_recv_skips_nothing) {
  auto ex = co_await asio::this_coro::executor;
  bus b(4);
  auto rx = b.subscribe();
  auto waiter = [&]() -> corio::awaitable<int> { co_return co_await rx.recv(); };
  auto w = corio::spawn(ex, waiter());
  co_await corio::sleep(1ms);
  w.cancel();
  BOOST_CHECK_THROW(co_await w.wait(), boost::system::system_error);
  b.send(1);
  BOOST_TEST(co_await rx.recv() == 1);
}

CORIO_TEST_CASE(item_handed_to_a_receiver_cancelled_at_the_same_moment_is_delivered) {
  auto ex = co_await asio::this_coro::executor;
  bus b(4);
  auto rx = b.subscribe();
  int got = 0;
  auto waiter = [&]() -> corio::awaitable<void> {
    got = co_await rx.recv();
    co_await corio::sleep(1s);
  };
  auto w = corio::spawn(ex, waiter());
  co_await corio::sleep(1ms);
  b.send(7);
  w.cancel();
  BOOST_CHECK_THROW(co_await w.wait(), boost::system::system_error);
  BOOST_TEST(got == 7);
  BOOST_TEST(rx.available() == 0u);
}

CORIO_TEST_CASE(a_receiver_sees_only_items_sent_after_it_subscribed) {
  bus b(4);
  b.send(1);
  auto rx = b.subscribe();
  BOOST_TEST(!rx.try_recv().has_value());
  b.send(2);
  BOOST_TEST(co_await rx.recv() == 2);
}

CORIO_TEST_CASE(receivers_outliving_the_channel_see_closed_and_may_move) {
  std::optional<bus> b(std::in_place, 2);
  auto rx = b->subscribe();
  bus::receiver moved(std::move(rx));
  b->send(1);
  BOOST_TEST(co_await moved.recv() == 1);
  {
    auto gone = b->subscribe();
  }
  BOOST_TEST(b->receiver_count() == 1u);
  b.reset();
  BOOST_CHECK_THROW(co_await moved.recv(), corio::queue_closed);
  bus::receiver empty;
  BOOST_TEST(!(co_await empty.next()).has_value());
}

CORIO_TEST_CASE(one_recv_may_wait_at_a_time_per_receiver) {
  auto ex = co_await asio::this_coro::executor;
  bus b(2);
  auto rx = b.subscribe();
  auto waiter = [&]() -> corio::awaitable<int> { co_return co_await rx.recv(); };
  auto w = corio::spawn(ex, waiter());
  co_await corio::sleep(1ms);
  BOOST_CHECK_THROW(co_await rx.recv(), std::logic_error);
  b.send(3);
  BOOST_TEST(co_await w.wait() == 3);
}

BOOST_AUTO_TEST_CASE(async_recv_reports_lag_as_an_error_code_with_the_count_in_missed) {
  asio::io_context ctx;
  bus b(2);
  auto rx = b.subscribe();
  for (int i = 1; i <= 4; ++i) b.send(i);
  std::vector<std::string> log;
  auto record = asio::bind_executor(ctx, [&](boost::system::error_code ec, int v) {
    log.push_back(ec ? ec == corio::channel_errc::lagged ? "lagged " + std::to_string(rx.missed()) : ec.message()
                     : std::to_string(v));
  });
  rx.async_recv(record);
  rx.async_recv(record);
  rx.async_recv(record);
  BOOST_TEST(log.empty());  // never inline
  ctx.run();
  BOOST_TEST(log == (std::vector<std::string>{"lagged 2", "3", "4"}), boost::test_tools::per_element());
  rx.async_recv(record);
  b.send(5);
  b.close();
  rx.async_recv(record);
  ctx.restart();
  ctx.run();
  BOOST_REQUIRE(log.size() == 5u);
  BOOST_TEST(log[3] == "5");
  BOOST_TEST(log[4] == corio::make_error_code(corio::channel_errc::closed).message());
}

BOOST_AUTO_TEST_CASE(zero_capacity_is_rejected) {
  BOOST_CHECK_THROW(bus(0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
