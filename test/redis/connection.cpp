// Connecting: URLs, AUTH and SELECT, refused connections, waiting for the connection, losing it
// (the server killed with calls in flight) and reconnecting.
#include "redis/redis_server.hpp"

#include <corio/redis/client.hpp>
#include <corio/redis/url.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/this_coro.hpp>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::expect_redis_error;
using corio::test::ms_since;
using corio::test::redis_server;

namespace {

redis::errc url_error(const std::string& url) {
  try {
    (void)redis::parse_url(url);
  } catch (const redis::error& e) {
    BOOST_TEST(e.message().find("s3cret") == std::string::npos);  // never the password
    return e.kind();
  }
  return redis::errc{};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connection)

BOOST_AUTO_TEST_CASE(error_replies_about_credentials_or_permissions_are_auth_errors) {
  BOOST_TEST(redis::reply_error("NOAUTH Authentication required.").kind() == redis::errc::auth);
  BOOST_TEST(redis::reply_error("WRONGPASS invalid username-password pair").kind() == redis::errc::auth);
  BOOST_TEST(redis::reply_error("NOPERM this user has no permissions to run the 'get' command").kind() ==
             redis::errc::auth);
  BOOST_TEST(redis::reply_error("ERR unknown command").kind() == redis::errc::server);
  BOOST_TEST(redis::reply_error("ERR unknown command").server_code() == "ERR");
}

BOOST_AUTO_TEST_CASE(urls_give_host_port_credentials_and_database) {
  auto a = redis::parse_url("redis://localhost");
  BOOST_TEST(a.host == "localhost");
  BOOST_TEST(a.port == 6379);
  BOOST_TEST(a.password.empty());
  BOOST_TEST(a.db == 0);
  a = redis::parse_url("redis://:s3cret@10.0.0.5:6380/2");
  BOOST_TEST(a.host == "10.0.0.5");
  BOOST_TEST(a.port == 6380);
  BOOST_TEST(a.user.empty());
  BOOST_TEST(a.password == "s3cret");
  BOOST_TEST(a.db == 2);
  a = redis::parse_url("redis://crawler:p%40ss%3Aw@[::1]:7000/");
  BOOST_TEST(a.host == "::1");
  BOOST_TEST(a.user == "crawler");
  BOOST_TEST(a.password == "p@ss:w");
  BOOST_TEST(a.to_string() == "[::1]:7000");
  for (const char* bad : {"", "http://h", "rediss://h", "redis://", "redis://h:0", "redis://h:65536",
                          "redis://h:x", "redis://h:", "redis://h/x", "redis://h/1?x=1", "redis://h#f",
                          "redis://user@h", "redis://user:@h", "redis://:s3cret@", "redis://[::1", "redis://h b",
                          "redis://:s3cret%zz@h", "redis://:s3cret%4@h"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(url_error(bad) == redis::errc::bad_url); }
  }
}

BOOST_AUTO_TEST_CASE(a_client_with_a_bad_url_is_not_made) {
  try {
    redis::client c("redis://h:99999");
    BOOST_ERROR("no error");
  } catch (const redis::error& e) {
    BOOST_TEST(e.kind() == redis::errc::bad_url);
  }
}

CORIO_REDIS_TEST(auth_and_select_come_from_the_url) {
  redis_server server({"--requirepass", "s3cret"});
  const std::string port = std::to_string(server.port());
  redis::client db3("redis://:s3cret@127.0.0.1:" + port + "/3");
  co_await db3.call("SET", "where", "db3");
  BOOST_TEST((co_await db3.call("CLIENT", "INFO")).as_string().find(" db=3 ") != std::string::npos);
  redis::client db0("redis://default:s3cret@127.0.0.1:" + port);  // ACL form: user "default"
  BOOST_TEST((co_await db0.call("GET", "where")).is_null());
  co_await db0.call("SELECT", 3);
  BOOST_TEST((co_await db0.call("GET", "where")).as_string() == "db3");

  redis::client wrong("redis://:nope@127.0.0.1:" + port);
  auto e = co_await expect_redis_error(wrong.call("PING"));
  BOOST_TEST(e.kind() == redis::errc::auth);
  BOOST_TEST(e.server_code() == "WRONGPASS");
  BOOST_TEST(wrong.stats().connects == 0u);
  e = co_await expect_redis_error(wrong.wait_connected(5s));  // not retried
  BOOST_TEST(e.kind() == redis::errc::auth);

  redis::client none(server.url());
  e = co_await expect_redis_error(none.call("GET", "where"));
  BOOST_TEST(e.kind() == redis::errc::auth);
  BOOST_TEST(e.server_code() == "NOAUTH");

  redis::client bad_db("redis://:s3cret@127.0.0.1:" + port + "/100");
  e = co_await expect_redis_error(bad_db.call("PING"));
  BOOST_TEST(e.kind() == redis::errc::server);
  BOOST_TEST(e.server_code() == "ERR");
  BOOST_TEST(e.message().ends_with("(SELECT 100 on connecting)"));
}

CORIO_REDIS_TEST(a_refused_connection_is_a_connect_error_after_the_attempts) {
  redis::options o;
  o.url = "redis://127.0.0.1:" + std::to_string(corio::test::unused_port());
  o.reconnect = redis::reconnect_attempts(2);
  redis::client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_redis_error(c.call("PING"));
  BOOST_TEST(e.kind() == redis::errc::connect);
  BOOST_TEST(e.message().find("Connection refused") != std::string::npos);
  BOOST_TEST(ms_since(t0) >= 70);  // one backoff of 100 ms less at most 20% jitter
  BOOST_TEST(!c.connected());
  e = co_await expect_redis_error(c.wait_connected(300ms));
  BOOST_TEST(e.kind() == redis::errc::timeout);
  BOOST_TEST(e.message().find("not connected within 300 ms") != std::string::npos);
}

CORIO_REDIS_TEST(calls_in_flight_when_the_server_dies_fail_and_the_next_call_reconnects) {
  redis_server server;
  redis::client c(server.url());
  co_await c.call("SET", "k", "v");
  server.freeze();
  const auto ex = co_await boost::asio::this_coro::executor;
  auto in_flight = corio::spawn(ex, [&c]() -> corio::awaitable<redis::errc> {
    auto e = co_await expect_redis_error(c.call("INCR", "n"));
    co_return e.kind();
  }, "in flight");
  co_await corio::testing::wait_all_tasks_blocked();
  server.kill();
  BOOST_TEST((co_await in_flight.wait()) == redis::errc::connection);
  BOOST_TEST(!c.connected());
  BOOST_TEST(c.stats().failed == 1u);
  // Down: the next call tries (with backoff) and fails to connect.
  auto e = co_await expect_redis_error(c.call("GET", "k"));
  BOOST_TEST(e.kind() == redis::errc::connect);
  // Up again on the same port (empty: nothing was saved): the next call reconnects.
  server.start();
  BOOST_TEST((co_await c.call("GET", "k")).is_null());
  BOOST_TEST(c.connected());
  BOOST_TEST(c.stats().connects == 2u);
}

CORIO_REDIS_TEST(wait_connected_returns_once_the_server_is_back) {
  redis_server server;
  redis::client c(server.url());
  co_await c.wait_connected(10s);
  BOOST_TEST(c.connected());
  server.kill();
  co_await expect_redis_error(c.call("PING"));
  const auto ex = co_await boost::asio::this_coro::executor;
  auto waiter = corio::spawn(ex, [&c]() -> corio::awaitable<void> { co_await c.wait_connected(20s); }, "wait");
  co_await corio::testing::wait_all_tasks_blocked();  // it is retrying
  server.start();
  co_await waiter.wait();
  BOOST_TEST(c.connected());
  BOOST_TEST((co_await c.call("PING")).as_string() == "PONG");
}

CORIO_REDIS_TEST(close_fails_the_calls_in_flight_and_the_next_call_reconnects) {
  redis_server server;
  redis::client c(server.url());
  co_await c.wait_connected(10s);
  server.freeze();
  const auto ex = co_await boost::asio::this_coro::executor;
  auto in_flight = corio::spawn(ex, [&c]() -> corio::awaitable<redis::errc> {
    auto e = co_await expect_redis_error(c.call("PING"));
    co_return e.kind();
  }, "in flight");
  co_await corio::testing::wait_all_tasks_blocked();
  c.close();
  BOOST_TEST((co_await in_flight.wait()) == redis::errc::connection);
  server.thaw();
  BOOST_TEST((co_await c.call("PING")).as_string() == "PONG");
  BOOST_TEST(c.stats().connects == 2u);
}

CORIO_REDIS_TEST(a_client_destroyed_with_a_call_in_flight_fails_it) {
  redis_server server;
  auto c = std::make_unique<redis::client>(server.url());
  co_await c->wait_connected(10s);
  server.freeze();
  const auto ex = co_await boost::asio::this_coro::executor;
  auto in_flight = corio::spawn(ex, [&c]() -> corio::awaitable<redis::errc> {
    auto e = co_await expect_redis_error(c->call("PING"));
    co_return e.kind();
  }, "in flight");
  co_await corio::testing::wait_all_tasks_blocked();
  c.reset();
  BOOST_TEST((co_await in_flight.wait()) == redis::errc::connection);
  server.thaw();
}

CORIO_REDIS_TEST(a_client_destroyed_while_connecting_fails_the_waiting_calls_with_a_connection_error) {
  redis_server server;
  server.freeze();  // the TCP connection is accepted by the kernel; SELECT is never answered
  auto c = std::make_unique<redis::client>(server.url("/1"));
  const auto ex = co_await boost::asio::this_coro::executor;
  auto waiting = corio::spawn(ex, [&c]() -> corio::awaitable<redis::errc> {
    auto e = co_await expect_redis_error(c->call("PING"));
    co_return e.kind();
  }, "waiting");
  co_await corio::testing::wait_all_tasks_blocked();
  c.reset();
  BOOST_TEST((co_await waiting.wait()) == redis::errc::connection);
  server.thaw();
}

BOOST_AUTO_TEST_SUITE_END()
