// Timeouts: a call's own timeout (its reply is discarded when it comes, the pipeline stays in
// step) and the stall watchdog (a server that stopped answering: the connection is closed).
#include "redis/redis_server.hpp"

#include <corio/redis/client.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/this_coro.hpp>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::expect_redis_error;
using corio::test::ms_since;
using corio::test::redis_server;

BOOST_AUTO_TEST_SUITE(timeouts)

CORIO_REDIS_TEST(a_call_times_out_on_a_busy_server_and_its_late_reply_is_discarded) {
  redis_server server;
  redis::client c(server.url());
  co_await c.call("SET", "a", "A");
  co_await c.call("SET", "b", "B");
  // DEBUG SLEEP blocks the whole server for 1 s; the GET pipelined behind it on the same
  // connection is answered only after it.
  const auto ex = co_await boost::asio::this_coro::executor;
  auto sleeper = corio::spawn(ex, [&c]() -> corio::awaitable<void> {
    redis::call_options none;
    none.timeout = corio::duration::zero();
    redis::command sleep("DEBUG", "SLEEP", "1");
    co_await c.exec(sleep, none);
  }, "debug sleep");
  co_await corio::testing::wait_all_tasks_blocked();
  redis::call_options quick;
  quick.timeout = 100ms;
  const auto t0 = std::chrono::steady_clock::now();
  redis::command get_a("GET", "a");
  auto e = co_await expect_redis_error(c.exec(get_a, quick));
  BOOST_TEST(e.kind() == redis::errc::timeout);
  BOOST_TEST(e.message() == "no reply to GET within 100 ms");
  BOOST_TEST(ms_since(t0) >= 100);
  BOOST_TEST(c.connected());  // a call's timeout leaves the connection alone
  // The next call waits behind the late reply, which is read and dropped.
  BOOST_TEST((co_await c.call("GET", "b")).as_string() == "B");
  BOOST_TEST(c.stats().discarded == 1u);
  co_await sleeper.wait();
}

CORIO_REDIS_TEST(a_frozen_server_is_a_stall_the_connection_is_closed_and_then_reopened) {
  redis_server server;
  redis::options o;
  o.url = server.url();
  o.stall_timeout = 300ms;
  o.timeout = corio::duration::zero();
  redis::client c(o);
  co_await c.call("SET", "k", "v");
  server.freeze();
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_redis_error(c.call("GET", "k"));
  BOOST_TEST(e.kind() == redis::errc::timeout);
  BOOST_TEST(e.message().find("stall_timeout") != std::string::npos);
  BOOST_TEST(ms_since(t0) >= 300);
  BOOST_TEST(!c.connected());
  server.thaw();
  BOOST_TEST((co_await c.call("GET", "k")).as_string() == "v");
  BOOST_TEST(c.stats().connects == 2u);
}

CORIO_REDIS_TEST(an_idle_connection_does_not_stall) {
  redis_server server;
  redis::options o;
  o.url = server.url();
  o.stall_timeout = 50ms;
  redis::client c(o);
  co_await c.call("PING");
  co_await corio::sleep(200ms);  // nothing in flight: no stall
  BOOST_TEST(c.connected());
  BOOST_TEST((co_await c.call("PING")).as_string() == "PONG");
  BOOST_TEST(c.stats().connects == 1u);
}

CORIO_REDIS_TEST(a_call_that_cannot_connect_in_time_says_so) {
  redis_server server;
  server.freeze();  // accepts (the kernel does) but never answers AUTH/SELECT... nor anything
  redis::options o;
  o.url = server.url("/1");  // SELECT 1 on connect
  o.connect_timeout = 200ms;
  o.reconnect = redis::reconnect_attempts(1);
  redis::client c(o);
  redis::call_options quick;
  quick.timeout = 100ms;
  redis::command ping("PING");
  auto e = co_await expect_redis_error(c.exec(ping, quick));
  BOOST_TEST(e.kind() == redis::errc::timeout);
  BOOST_TEST(e.message().find("not connected within 100 ms") != std::string::npos);
  // The attempt itself gives up at connect_timeout.
  e = co_await expect_redis_error(c.wait_connected(150ms));
  BOOST_TEST(e.kind() == redis::errc::timeout);
  server.thaw();
  co_await c.wait_connected(10s);
  BOOST_TEST((co_await c.call("CLIENT", "INFO")).as_string().find(" db=1 ") != std::string::npos);
}

CORIO_REDIS_TEST(an_enclosing_timeout_cancels_the_call_and_the_pipeline_stays_in_step) {
  redis_server server;
  redis::client c(server.url());
  co_await c.call("SET", "a", "A");
  server.freeze();
  auto r = co_await corio::move_on_after(100ms, [&]() { return c.call("GET", "a"); });
  BOOST_TEST(!r.has_value());
  server.thaw();
  co_await c.call("SET", "a", "A2");
  BOOST_TEST((co_await c.call("GET", "a")).as_string() == "A2");
  BOOST_TEST(c.stats().discarded == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
