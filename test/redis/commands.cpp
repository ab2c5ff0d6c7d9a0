// Commands and the reply types they come back as, against a real redis-server.
#include "redis/redis_server.hpp"

#include <corio/redis/client.hpp>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::expect_redis_error;
using corio::test::redis_server;

BOOST_AUTO_TEST_SUITE(commands)

CORIO_REDIS_TEST(strings_and_integers_round_trip_and_a_missing_key_is_nil) {
  redis_server server;
  redis::client c(server.url());
  const auto ok = co_await c.call("SET", "k", "hello");
  BOOST_TEST(ok.type() == redis::reply_type::simple_string);
  BOOST_TEST(ok.as_string() == "OK");
  const auto v = co_await c.call("GET", "k");
  BOOST_TEST(v.type() == redis::reply_type::bulk_string);
  BOOST_TEST(v.as_string() == "hello");
  const auto missing = co_await c.call("GET", "nope");
  BOOST_TEST(missing.is_null());
  BOOST_TEST(!missing.as_optional_string().has_value());
  BOOST_TEST((co_await c.call("INCR", "n")).as_integer() == 1);
  BOOST_TEST((co_await c.call("INCRBY", "n", 41)).as_integer() == 42);
  BOOST_TEST((co_await c.call("INCRBY", "n", -50)).as_integer() == -8);
  // Bytes, not text: NUL and CRLF inside a value survive.
  const std::string binary("a\0b\r\nc", 6);
  co_await c.call("SET", "bin", binary);
  BOOST_TEST((co_await c.call("GET", "bin")).as_string() == binary);
  BOOST_TEST(c.connected());
  BOOST_TEST(c.stats().connects == 1u);
}

CORIO_REDIS_TEST(hashes_lists_and_streams_give_arrays_nested_as_sent) {
  redis_server server;
  redis::client c(server.url());
  BOOST_TEST((co_await c.call("HSET", "h", "a", 1, "b", "two")).as_integer() == 2);
  const auto all = co_await c.call("HGETALL", "h");
  BOOST_REQUIRE(all.is_array());
  BOOST_TEST(all.size() == 4u);
  BOOST_TEST(all[0].as_string() == "a");
  BOOST_TEST(all[1].as_string() == "1");
  BOOST_TEST(all[3].as_string() == "two");

  BOOST_TEST((co_await c.call("RPUSH", "l", "x", "y", "z")).as_integer() == 3);
  const auto range = co_await c.call("LRANGE", "l", 0, -1);
  BOOST_TEST(range.to_string() == R"(["x", "y", "z"])");
  BOOST_TEST((co_await c.call("LRANGE", "empty", 0, -1)).as_array().empty());

  redis::command xadd("XADD", "s", "1-1", "url", "http://a/", "status", 200);
  BOOST_TEST((co_await c.exec(xadd)).as_string() == "1-1");
  redis::command xadd2("XADD", "s", "2-1", "url", "http://b/");
  co_await c.exec(xadd2);
  const auto xr = co_await c.call("XRANGE", "s", "-", "+");
  // [[id, [field, value, ...]], ...]
  BOOST_REQUIRE(xr.size() == 2u);
  BOOST_TEST(xr[0][0].as_string() == "1-1");
  BOOST_TEST(xr[0][1].to_string() == R"(["url", "http://a/", "status", "200"])");
  BOOST_TEST(xr[1][1][1].as_string() == "http://b/");
  // A nil inside an array.
  const auto mget = co_await c.call("MGET", "h", "nope", "l");
  BOOST_TEST(mget.size() == 3u);
  BOOST_TEST(mget[1].is_null());
}

CORIO_REDIS_TEST(an_error_reply_is_a_server_error_for_that_call_only) {
  redis_server server;
  redis::client c(server.url());
  co_await c.call("SET", "s", "text");
  auto e = co_await expect_redis_error(c.call("INCR", "s"));
  BOOST_TEST(e.kind() == redis::errc::server);
  BOOST_TEST(e.server_code() == "ERR");
  BOOST_TEST(std::string(e.what()).starts_with("server: ERR value is not an integer"));
  e = co_await expect_redis_error(c.call("LPUSH", "s", "x"));
  BOOST_TEST(e.server_code() == "WRONGTYPE");
  e = co_await expect_redis_error(c.call("NOSUCHCOMMAND", "x"));
  BOOST_TEST(e.kind() == redis::errc::server);
  // The connection is fine.
  BOOST_TEST((co_await c.call("GET", "s")).as_string() == "text");
  BOOST_TEST(c.stats().connects == 1u);
}

CORIO_REDIS_TEST(a_reply_accessor_of_the_wrong_type_throws_reply_type) {
  redis_server server;
  redis::client c(server.url());
  const auto n = co_await c.call("INCR", "n");
  BOOST_CHECK_THROW((void)n.as_string(), redis::error);
  try {
    (void)n.as_array();
  } catch (const redis::error& e) {
    BOOST_TEST(e.kind() == redis::errc::reply_type);
    BOOST_TEST(e.message() == "expected a reply of type array, got integer");
  }
  BOOST_CHECK_THROW((void)n[0], std::out_of_range);
}

CORIO_REDIS_TEST(an_empty_command_is_refused_without_sending) {
  redis_server server;
  redis::client c(server.url());
  redis::command empty;
  BOOST_CHECK_THROW(co_await c.exec(empty), std::invalid_argument);
  BOOST_TEST(c.stats().commands == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
