// Pipelining: many calls in flight from many coroutines, batches, error replies in the middle,
// and calls that give up (cancelled, timed out) while their command is in flight.
#include "redis/redis_server.hpp"

#include <corio/redis/client.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include <boost/asio/this_coro.hpp>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::expect_redis_error;
using corio::test::redis_server;

namespace {

/// 10 round trips, each checked against what only this worker could have been answered.
corio::awaitable<void> worker(redis::client& c, int id, int& checked) {
  const std::string key = "key:" + std::to_string(id);
  for (int i = 0; i < 10; ++i) {
    const std::string value = std::to_string(id) + "/" + std::to_string(i);
    co_await c.call("SET", key, value);
    const auto got = co_await c.call("GET", key);
    BOOST_TEST(got.as_string() == value);
    const auto n = co_await c.call("HINCRBY", "per-worker", key, 1);
    BOOST_TEST(n.as_integer() == i + 1);
    checked += 3;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline)

CORIO_REDIS_TEST(a_thousand_concurrent_calls_each_get_their_own_reply) {
  redis_server server;
  redis::client c(server.url());
  co_await c.wait_connected(10s);
  // 1,000 coroutines, one GET each of their own key, all in flight at once...
  for (int i = 0; i < 1000; ++i) {
    co_await c.call("SET", "k" + std::to_string(i), "v" + std::to_string(i));
  }
  int right = 0;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < 1000; ++i) {
      g.spawn([&c, &right, i]() -> corio::awaitable<void> {
        const auto r = co_await c.call("GET", "k" + std::to_string(i));
        if (r.as_string() == "v" + std::to_string(i)) ++right;
      });
    }
    co_return;
  });
  BOOST_TEST(right == 1000);
  BOOST_TEST(c.stats().max_pending >= 100u);  // pipelined, not one at a time
  // ...and 100 coroutines making 30 round trips each, interleaved.
  int checked = 0;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int id = 0; id < 100; ++id) g.spawn(worker(c, id, checked));
    co_return;
  });
  BOOST_TEST(checked == 3000);
  BOOST_TEST(c.stats().connects == 1u);
  BOOST_TEST(c.stats().discarded == 0u);
}

CORIO_REDIS_TEST(a_batch_returns_one_reply_per_command_with_error_replies_in_place) {
  redis_server server;
  redis::client c(server.url());
  std::vector<redis::command> batch;
  batch.emplace_back("SET", "a", "1");
  batch.emplace_back("SET", "s", "text");
  batch.emplace_back("INCR", "s");  // an error reply in the middle
  batch.emplace_back("INCR", "a");
  batch.emplace_back("GET", "missing");
  batch.emplace_back("LRANGE", "missing", 0, -1);
  const auto before = c.stats().commands;
  auto rs = co_await c.exec_batch(std::move(batch));
  BOOST_REQUIRE(rs.size() == 6u);
  BOOST_TEST(rs[0].as_string() == "OK");
  BOOST_TEST(rs[2].is_error());
  BOOST_TEST(rs[2].error_message().starts_with("ERR value is not an integer"));
  BOOST_TEST(rs[3].as_integer() == 2);
  BOOST_TEST(rs[4].is_null());
  BOOST_TEST(rs[5].is_array());
  BOOST_TEST(c.stats().commands - before == 6u);
  std::vector<redis::command> none;
  BOOST_TEST((co_await c.exec_batch(std::move(none))).empty());
}

CORIO_REDIS_TEST(batches_and_single_calls_from_many_coroutines_interleave_correctly) {
  redis_server server;
  redis::client c(server.url());
  int right = 0;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int b = 0; b < 50; ++b) {
      g.spawn([&c, &right, b]() -> corio::awaitable<void> {
        // As the crawl will: 16 URLs' commands in one round trip.
        std::vector<redis::command> batch;
        for (int i = 0; i < 16; ++i) batch.emplace_back("INCRBY", "b" + std::to_string(b), i);
        const auto rs = co_await c.exec_batch(std::move(batch));
        long long sum = 0;
        bool ok = rs.size() == 16;
        for (int i = 0; ok && i < 16; ++i) {
          sum += i;
          ok = rs[static_cast<std::size_t>(i)].as_integer() == sum;
        }
        if (ok) ++right;
      });
      g.spawn([&c, &right, b]() -> corio::awaitable<void> {
        const auto r = co_await c.call("ECHO", "single " + std::to_string(b));
        if (r.as_string() == "single " + std::to_string(b)) ++right;
      });
    }
    co_return;
  });
  BOOST_TEST(right == 100);
}

CORIO_REDIS_TEST(a_call_cancelled_in_flight_has_its_reply_discarded_and_the_next_call_gets_its_own) {
  redis_server server;
  redis::client c(server.url());
  co_await c.call("SET", "a", "A");
  co_await c.call("SET", "b", "B");
  server.freeze();  // the server holds its replies: the GET below stays in flight
  const auto ex = co_await boost::asio::this_coro::executor;
  auto first = corio::spawn(ex, [&c]() -> corio::awaitable<std::string> {
    const auto r = co_await c.call("GET", "a");
    co_return r.as_string();
  }, "get a");
  co_await corio::testing::wait_all_tasks_blocked();
  first.cancel();
  bool aborted = false;
  try {
    co_await first.wait();
  } catch (const std::exception& e) {
    aborted = corio::is_cancellation(e);
  }
  BOOST_TEST(aborted);
  BOOST_TEST(c.stats().commands == 3u);  // its GET was queued, and is sent
  server.thaw();
  const auto r = co_await c.call("GET", "b");
  BOOST_TEST(r.as_string() == "B");  // not "A": that reply was read and dropped
  BOOST_TEST(c.stats().discarded == 1u);
  BOOST_TEST(c.stats().connects == 1u);
}

CORIO_REDIS_TEST(a_batch_cancelled_in_flight_keeps_the_pipeline_in_step) {
  redis_server server;
  redis::client c(server.url());
  co_await c.wait_connected(10s);
  server.freeze();
  const auto ex = co_await boost::asio::this_coro::executor;
  auto batch_task = corio::spawn(ex, [&c]() -> corio::awaitable<void> {
    std::vector<redis::command> batch;
    for (int i = 0; i < 5; ++i) batch.emplace_back("INCR", "n");
    (void)co_await c.exec_batch(std::move(batch));
  }, "batch");
  co_await corio::testing::wait_all_tasks_blocked();
  batch_task.cancel();
  BOOST_CHECK_THROW(co_await batch_task.wait(), boost::system::system_error);
  server.thaw();
  BOOST_TEST((co_await c.call("INCR", "n")).as_integer() == 6);  // the five ran, their replies dropped
  BOOST_TEST(c.stats().discarded == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
