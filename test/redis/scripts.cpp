// EVALSHA with script loading: NOSCRIPT → SCRIPT LOAD → EVALSHA once more.
#include "redis/redis_server.hpp"

#include <corio/redis/client.hpp>
#include <corio/redis/script.hpp>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::expect_redis_error;
using corio::test::redis_server;

BOOST_AUTO_TEST_SUITE(scripts)

BOOST_AUTO_TEST_CASE(a_script_carries_the_sha1_redis_computes) {
  const redis::script s("return 1");
  BOOST_TEST(s.sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");  // SHA1("return 1")
  const redis::script copy = s;
  BOOST_TEST(&copy.source() == &s.source());  // shared, not copied
  const std::vector<std::string> keys{"k1"}, args{"a", "b"};
  BOOST_TEST(redis::evalsha_command(s, keys, args).size() == 6u);
}

CORIO_REDIS_TEST(eval_loads_the_script_on_noscript_and_retries_once) {
  redis_server server;
  redis::client c(server.url());
  const redis::script lease(R"(
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
    return 0)");
  std::vector<std::string> keys{"lease:http://a/"};
  std::vector<std::string> args{"worker-1", "30000"};
  auto r = co_await c.eval(lease, keys, args);
  BOOST_TEST(r.as_integer() == 1);
  BOOST_TEST(c.stats().commands == 3u);  // EVALSHA (NOSCRIPT), SCRIPT LOAD, EVALSHA
  std::vector<std::string> args2{"worker-2", "30000"};
  r = co_await c.eval(lease, keys, args2);
  BOOST_TEST(r.as_integer() == 0);
  BOOST_TEST(c.stats().commands == 4u);  // loaded: EVALSHA only
  BOOST_TEST((co_await c.call("GET", "lease:http://a/")).as_string() == "worker-1");

  // The server forgets it (SCRIPT FLUSH, a restart): loaded again.
  co_await c.call("SCRIPT", "FLUSH");
  co_await c.call("DEL", "lease:http://a/");
  r = co_await c.eval(lease, keys, args2);
  BOOST_TEST(r.as_integer() == 1);
  BOOST_TEST(c.stats().commands == 5u + 2u + 3u);  // (GET, SCRIPT FLUSH, DEL)
}

CORIO_REDIS_TEST(a_script_returns_nested_tables_and_its_errors_are_server_errors) {
  redis_server server;
  redis::client c(server.url());
  const redis::script nested("return {1, 'two', {3, false}, redis.status_reply('OK')}");
  const std::vector<std::string> none;
  const auto r = co_await c.eval(nested, none, none);
  BOOST_TEST(r.to_string() == R"([1, "two", [3, (nil)], OK])");
  const redis::script failing("return redis.error_reply('LEASE taken by someone else')");
  auto e = co_await expect_redis_error(c.eval(failing, none, none));
  BOOST_TEST(e.kind() == redis::errc::server);
  BOOST_TEST(e.server_code() == "LEASE");
  const redis::script broken("this is not lua");
  e = co_await expect_redis_error(c.eval(broken, none, none));  // SCRIPT LOAD refuses it
  BOOST_TEST(e.kind() == redis::errc::server);
  BOOST_TEST(e.message().find("Error compiling script") != std::string::npos);
  BOOST_TEST((co_await c.call("PING")).as_string() == "PONG");
}

CORIO_REDIS_TEST(a_loaded_script_runs_in_batches) {
  redis_server server;
  redis::client c(server.url());
  const redis::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  std::vector<redis::command> batch;
  const std::vector<std::string> keys{"n"}, one{"1"};
  batch.push_back(redis::evalsha_command(add, keys, one));
  auto rs = co_await c.exec_batch(batch);
  BOOST_TEST(redis::is_noscript(rs[0]));
  co_await c.load(add);
  rs = co_await c.exec_batch(std::vector<redis::command>(16, redis::evalsha_command(add, keys, one)));
  BOOST_TEST(rs.size() == 16u);
  BOOST_TEST(rs[15].as_integer() == 16);
}

BOOST_AUTO_TEST_SUITE_END()
