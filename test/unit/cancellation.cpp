// test-labels: schedules
#include <corio/cancellation.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

corio::awaitable<void> read_one(tcp::socket& s, bool& aborted) {
  std::array<char, 16> buf{};
  try {
    co_await s.async_read_some(asio::buffer(buf), asio::deferred);
  } catch (const boost::system::system_error& e) {
    aborted = e.code() == asio::error::operation_aborted;
    throw;
  }
}

corio::awaitable<void> wait_on_asio_timer(bool& aborted) {
  asio::steady_timer t(co_await asio::this_coro::executor, 1h);  // a real, plain Asio timer
  try {
    co_await t.async_wait(asio::use_awaitable);
  } catch (const boost::system::system_error& e) {
    aborted = e.code() == asio::error::operation_aborted;
    throw;
  }
}

using channel = asio::experimental::channel<void(boost::system::error_code, int)>;

corio::awaitable<void> receive_one(channel& ch, bool& aborted) {
  try {
    co_await ch.async_receive(asio::deferred);
  } catch (const boost::system::system_error& e) {
    aborted = e.code() == asio::experimental::error::channel_cancelled;  // Asio's channel's own code
    throw;
  }
}

template <typename T>
corio::awaitable<void> expect_cancelled(corio::task<T> t) {
  t.cancel();
  try {
    co_await t.wait();
    BOOST_FAIL("expected cancellation");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(corio::is_cancellation(e));
    BOOST_TEST(corio::is_cancellation(std::current_exception()));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cancellation)

// These waits never complete on their own: without cancellation reaching the operation, the test
// runner would report a deadlock instead of passing.
CORIO_TEST_CASE(a_cancelled_coroutine_suspended_on_a_socket_read_is_woken_promptly) {
  auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(ex);
  co_await client.async_connect(acceptor.local_endpoint(), asio::deferred);
  tcp::socket server = co_await acceptor.async_accept(asio::deferred);
  bool aborted = false;
  auto t = corio::spawn(ex, read_one(server, aborted));
  co_await corio::testing::wait_all_tasks_blocked();
  co_await expect_cancelled(t);
  BOOST_TEST(aborted);
}

CORIO_TEST_CASE(a_cancelled_coroutine_suspended_on_an_asio_timer_is_woken_promptly) {
  auto ex = co_await asio::this_coro::executor;
  bool aborted = false;
  auto t = corio::spawn(ex, wait_on_asio_timer(aborted));
  co_await corio::testing::wait_all_tasks_blocked();
  const auto real0 = std::chrono::steady_clock::now();
  co_await expect_cancelled(t);
  BOOST_TEST(aborted);
  BOOST_TEST((std::chrono::steady_clock::now() - real0 < 1h));
}

CORIO_TEST_CASE(a_cancelled_coroutine_suspended_on_a_channel_receive_is_woken_promptly) {
  auto ex = co_await asio::this_coro::executor;
  channel ch(ex);
  bool aborted = false;
  auto t = corio::spawn(ex, receive_one(ch, aborted));
  co_await corio::testing::wait_all_tasks_blocked();
  co_await expect_cancelled(t);
  BOOST_TEST(aborted);
}

CORIO_TEST_CASE(cancellation_is_level_triggered_a_swallowed_cancel_fails_the_next_await) {
  auto ex = co_await asio::this_coro::executor;
  int failures = 0;
  auto body = [&]() -> corio::awaitable<void> {
    try {
      co_await corio::sleep(1h);
    } catch (const boost::system::system_error&) {
      ++failures;  // swallowed...
    }
    co_await corio::sleep(1ms);  // ...but the next suspension point fails again
    failures += 100;
  };
  auto t = corio::spawn(ex, body());
  co_await corio::sleep(1ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(failures == 1);
}

BOOST_AUTO_TEST_CASE(is_cancellation_tells_cancellation_apart) {
  BOOST_TEST(corio::is_cancellation(corio::cancellation_error()));
  BOOST_TEST(!corio::is_cancellation(std::make_exception_ptr(std::runtime_error("x"))));
  BOOST_TEST(!corio::is_cancellation(std::exception_ptr()));
  BOOST_TEST(!corio::is_cancellation(std::make_exception_ptr(
      boost::system::system_error(asio::error::connection_reset))));
  BOOST_CHECK_THROW(corio::throw_cancelled(), boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
