// test-labels: schedules
#include <corio/queue.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct got_item {
  int id;
  int value;
  corio::clock::time_point at;
};

corio::awaitable<void> get_one(corio::queue<int>& q, int id, corio::duration delay, std::vector<got_item>& log) {
  co_await corio::sleep(delay);
  int v = co_await q.get();
  log.push_back({id, v, corio::clock::now()});
}

corio::awaitable<void> put_one(corio::queue<int>& q, int v, corio::duration delay,
                               std::vector<corio::clock::time_point>& done) {
  co_await corio::sleep(delay);
  co_await q.put(v);
  done.push_back(corio::clock::now());
}

corio::awaitable<int> get_then_sleep(corio::queue<int>& q, int& got) {
  got = co_await q.get();
  co_await corio::sleep(1s);  // a cancellation delivered meanwhile surfaces here
  co_return got;
}

struct by_first {
  bool operator()(const std::pair<int, std::string>& a, const std::pair<int, std::string>& b) const {
    return a.first < b.first;
  }
};

struct by_pointee {
  bool operator()(const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) const { return *a < *b; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(queue)

CORIO_TEST_CASE(get_on_an_empty_queue_suspends_until_a_put) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  std::vector<got_item> log;
  const auto t0 = corio::clock::now();
  auto g = corio::spawn(ex, get_one(q, 1, 0ms, log));
  co_await corio::sleep(5ms);
  BOOST_TEST(log.empty());
  co_await q.put(42);
  co_await g.wait();
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].value == 42);
  BOOST_TEST((log[0].at - t0 == 5ms));
  BOOST_TEST(q.empty());
}

CORIO_TEST_CASE(put_on_a_full_queue_suspends_until_a_get_makes_room) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q(2);
  std::vector<corio::clock::time_point> done;
  const auto t0 = corio::clock::now();
  co_await q.put(1);
  co_await q.put(2);
  BOOST_TEST(q.full());
  BOOST_TEST(!q.try_put(3));
  auto p = corio::spawn(ex, put_one(q, 3, 0ms, done));
  co_await corio::sleep(5ms);
  BOOST_TEST(done.empty());
  BOOST_TEST(q.size() == 2u);
  BOOST_TEST(co_await q.get() == 1);  // makes room: the putter's item goes in at once
  BOOST_TEST(q.size() == 2u);
  co_await p.wait();
  BOOST_REQUIRE(done.size() == 1u);
  BOOST_TEST((done[0] - t0 == 5ms));
  BOOST_TEST(co_await q.get() == 2);
  BOOST_TEST(co_await q.get() == 3);
}

CORIO_TEST_CASE(getters_are_served_in_fifo_order) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  std::vector<got_item> log;
  auto a = corio::spawn(ex, get_one(q, 1, 3ms, log));
  auto b = corio::spawn(ex, get_one(q, 2, 1ms, log));
  auto c = corio::spawn(ex, get_one(q, 3, 2ms, log));
  co_await corio::sleep(5ms);
  BOOST_TEST(q.try_put(10));
  BOOST_TEST(q.try_put(20));
  BOOST_TEST(q.try_put(30));
  co_await a.wait();
  co_await b.wait();
  co_await c.wait();
  // Getters waited since 1, 2 and 3 ms (b, c, a): the items went to them in that order. (They
  // resume at the same moment, so the log's own order is the schedule's.)
  BOOST_REQUIRE(log.size() == 3u);
  const auto value_of = [&](int id) {
    for (const auto& g : log) {
      if (g.id == id) return g.value;
    }
    return -1;
  };
  BOOST_TEST(value_of(2) == 10);
  BOOST_TEST(value_of(3) == 20);
  BOOST_TEST(value_of(1) == 30);
}

CORIO_TEST_CASE(putters_blocked_on_a_full_queue_are_admitted_in_fifo_order) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q(1);
  std::vector<corio::clock::time_point> done;
  co_await q.put(0);
  auto a = corio::spawn(ex, put_one(q, 3, 3ms, done));
  auto b = corio::spawn(ex, put_one(q, 1, 1ms, done));
  auto c = corio::spawn(ex, put_one(q, 2, 2ms, done));
  co_await corio::sleep(5ms);
  std::vector<int> got;
  for (int i = 0; i < 4; ++i) got.push_back(co_await q.get());
  BOOST_TEST(got == (std::vector<int>{0, 1, 2, 3}), boost::test_tools::per_element());
  co_await a.wait();
  co_await b.wait();
  co_await c.wait();
}

CORIO_TEST_CASE(cancelled_get_loses_no_item) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  std::vector<got_item> log;
  auto a = corio::spawn(ex, get_one(q, 1, 0ms, log));
  auto b = corio::spawn(ex, get_one(q, 2, 1ms, log));
  co_await corio::sleep(2ms);
  a.cancel();
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  co_await q.put(7);
  co_await b.wait();
  BOOST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].id == 2);
  BOOST_TEST(log[0].value == 7);
}

CORIO_TEST_CASE(item_handed_to_a_getter_cancelled_at_the_same_moment_is_not_lost) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  int got = 0;
  auto a = corio::spawn(ex, get_then_sleep(q, got));
  co_await corio::sleep(1ms);
  BOOST_TEST(q.try_put(5));  // handed to a, whose completion is queued ...
  a.cancel();                // ... when its cancellation arrives
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);  // from its sleep
  BOOST_TEST(got == 5);
  BOOST_TEST(q.empty());
}

CORIO_TEST_CASE(cancelled_put_adds_nothing_and_the_next_putter_gets_the_room) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q(1);
  std::vector<corio::clock::time_point> done;
  co_await q.put(0);
  auto a = corio::spawn(ex, put_one(q, 1, 0ms, done));
  auto b = corio::spawn(ex, put_one(q, 2, 1ms, done));
  co_await corio::sleep(2ms);
  a.cancel();
  BOOST_CHECK_THROW(co_await a.wait(), boost::system::system_error);
  BOOST_TEST(co_await q.get() == 0);
  BOOST_TEST(co_await q.get() == 2);
  co_await b.wait();
  BOOST_TEST(q.empty());
  BOOST_TEST(q.unfinished_tasks() == 2u);  // 0 and 2; never 1
}

CORIO_TEST_CASE(join_returns_only_after_task_done_for_every_item) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  const auto t0 = corio::clock::now();
  co_await q.join();  // nothing put: at once
  BOOST_TEST((corio::clock::now() == t0));
  co_await q.put(1);
  co_await q.put(2);
  auto worker = [&]() -> corio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      (void)co_await q.get();
      co_await corio::sleep(10ms);
      q.task_done();
    }
  };
  auto w = corio::spawn(ex, worker());
  co_await q.join();
  BOOST_TEST((corio::clock::now() - t0 == 20ms));
  BOOST_TEST(q.unfinished_tasks() == 0u);
  co_await w.wait();
}

CORIO_TEST_CASE(an_extra_task_done_is_a_logic_error) {
  corio::queue<int> q;
  BOOST_CHECK_THROW(q.task_done(), std::logic_error);
  co_await q.put(1);
  (void)co_await q.get();
  q.task_done();
  BOOST_CHECK_THROW(q.task_done(), std::logic_error);
  BOOST_TEST(q.unfinished_tasks() == 0u);
}

CORIO_TEST_CASE(after_close_getters_drain_what_is_left_then_see_closed) {
  corio::queue<int> q;
  co_await q.put(1);
  co_await q.put(2);
  q.close();
  q.close();  // idempotent
  BOOST_TEST(q.closed());
  BOOST_TEST(co_await q.get() == 1);
  auto two = co_await q.next();
  BOOST_REQUIRE(two.has_value());
  BOOST_TEST(*two == 2);
  BOOST_CHECK_THROW(co_await q.get(), corio::queue_closed);
  BOOST_TEST(!(co_await q.next()).has_value());
  BOOST_CHECK_THROW((void)q.try_get(), corio::queue_closed);
}

CORIO_TEST_CASE(close_wakes_pending_getters_with_closed) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  auto getter = [&]() -> corio::awaitable<std::string> {
    try {
      (void)co_await q.get();
    } catch (const corio::queue_closed& e) {
      co_return e.code() == corio::channel_errc::closed ? "closed" : "wrong code";
    }
    co_return "no exception";
  };
  auto iterate = [&]() -> corio::awaitable<int> {
    int n = 0;
    while (auto v = co_await q.next()) n += *v;
    co_return n;
  };
  auto a = corio::spawn(ex, getter());
  co_await corio::testing::wait_all_tasks_blocked();  // a waits first, then b
  auto b = corio::spawn(ex, iterate());
  co_await corio::testing::wait_all_tasks_blocked();
  co_await q.put(5);  // goes to a (oldest getter)
  auto c = corio::spawn(ex, getter());
  co_await corio::sleep(1ms);
  q.close();
  BOOST_TEST(co_await a.wait() == "no exception");
  BOOST_TEST(co_await b.wait() == 0);
  BOOST_TEST(co_await c.wait() == "closed");
}

CORIO_TEST_CASE(put_after_close_fails_clearly_and_blocked_putters_are_woken_with_the_error) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q(1);
  co_await q.put(1);
  std::vector<corio::clock::time_point> done;
  auto p = corio::spawn(ex, put_one(q, 2, 0ms, done));
  co_await corio::sleep(1ms);
  q.close();
  BOOST_CHECK_THROW(co_await p.wait(), corio::queue_closed);
  BOOST_CHECK_THROW(co_await q.put(3), corio::queue_closed);
  BOOST_CHECK_THROW(q.try_put(3), corio::queue_closed);
  try {
    co_await q.put(4);
  } catch (const boost::system::system_error& e) {  // queue_closed is a system_error too
    BOOST_TEST((e.code() == corio::channel_errc::closed));
  }
  BOOST_TEST(co_await q.get() == 1);  // the blocked putter's item was not added
  BOOST_CHECK_THROW(co_await q.get(), corio::queue_closed);
}

CORIO_TEST_CASE(priority_queue_gives_the_smallest_first_and_ties_in_insertion_order) {
  corio::priority_queue<std::pair<int, std::string>, by_first> q;
  co_await q.put(std::make_pair(3, std::string("c")));
  co_await q.put(std::make_pair(1, std::string("a1")));
  co_await q.put(std::make_pair(2, std::string("b1")));
  co_await q.put(std::make_pair(1, std::string("a2")));
  co_await q.put(std::make_pair(2, std::string("b2")));
  co_await q.put(std::make_pair(1, std::string("a3")));
  std::vector<std::string> got;
  while (!q.empty()) got.push_back((co_await q.get()).second);
  BOOST_TEST(got == (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "c"}), boost::test_tools::per_element());

  corio::priority_queue<int> ints;
  for (int v : {5, 1, 4, 2, 3}) BOOST_TEST(ints.try_put(v));
  std::vector<int> order;
  while (auto v = ints.try_get()) order.push_back(*v);
  BOOST_TEST(order == (std::vector<int>{1, 2, 3, 4, 5}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(lifo_queue_gives_the_newest_first) {
  corio::lifo_queue<int> q;
  for (int v : {1, 2, 3}) co_await q.put(v);
  BOOST_TEST(co_await q.get() == 3);
  co_await q.put(4);
  BOOST_TEST(co_await q.get() == 4);
  BOOST_TEST(co_await q.get() == 2);
  BOOST_TEST(co_await q.get() == 1);
}

CORIO_TEST_CASE(move_only_items_travel_through_every_path) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<std::unique_ptr<int>> q(1);
  // Handed straight to a waiting getter.
  auto getter = [&]() -> corio::awaitable<int> { co_return *co_await q.get(); };
  auto g = corio::spawn(ex, getter());
  co_await corio::sleep(1ms);
  co_await q.put(std::make_unique<int>(1));
  BOOST_TEST(co_await g.wait() == 1);
  // Stored, and from a blocked putter.
  auto item = std::make_unique<int>(2);
  BOOST_TEST(q.try_put(std::move(item)));
  auto refused = std::make_unique<int>(99);
  BOOST_TEST(!q.try_put(std::move(refused)));
  BOOST_TEST((refused && *refused == 99));  // a refused item stays with the caller
  auto putter = [&]() -> corio::awaitable<void> { co_await q.put(std::make_unique<int>(3)); };
  auto p = corio::spawn(ex, putter());
  co_await corio::sleep(1ms);
  BOOST_TEST(*co_await q.get() == 2);
  auto three = co_await q.next();
  BOOST_REQUIRE(three.has_value());
  BOOST_TEST(**three == 3);
  co_await p.wait();
  // Priority order on move-only items.
  corio::priority_queue<std::unique_ptr<int>, by_pointee> pq;
  for (int v : {3, 1, 2}) co_await pq.put(std::make_unique<int>(v));
  BOOST_TEST(*co_await pq.get() == 1);
  BOOST_TEST(**pq.try_get() == 2);
  // Token form with a move-only value.
  std::unique_ptr<int> via_callback;
  q.async_get(asio::bind_executor(ex, [&](boost::system::error_code ec, std::unique_ptr<int> v) {
    BOOST_TEST(!ec);
    via_callback = std::move(v);
  }));
  co_await q.put(std::make_unique<int>(4));
  co_await corio::sleep(1ms);
  BOOST_REQUIRE(via_callback);
  BOOST_TEST(*via_callback == 4);
}

BOOST_AUTO_TEST_CASE(plain_callbacks_drive_a_queue) {
  asio::io_context ctx;
  corio::queue<int> q(1);
  std::vector<std::string> log;
  auto on = [&](std::string what) {
    return asio::bind_executor(ctx, [&log, what](boost::system::error_code ec) {
      log.push_back(what + (ec ? " " + ec.message() : ""));
    });
  };
  q.async_put(1, on("put 1"));
  q.async_put(2, on("put 2"));  // full: waits
  q.async_get(asio::bind_executor(ctx, [&](boost::system::error_code ec, int v) {
    log.push_back("got " + std::to_string(v) + (ec ? " error" : ""));
  }));
  BOOST_TEST(log.empty());  // nothing runs inline
  ctx.run();
  BOOST_TEST(log == (std::vector<std::string>{"put 1", "put 2", "got 1"}), boost::test_tools::per_element());
  q.close();
  q.async_put(3, on("put 3"));
  q.async_next(asio::bind_executor(ctx, [&](boost::system::error_code ec, std::optional<int> v) {
    log.push_back("next " + (v ? std::to_string(*v) : std::string("end")) + (ec ? " error" : ""));
  }));
  q.async_next(asio::bind_executor(ctx, [&](boost::system::error_code ec, std::optional<int> v) {
    log.push_back("next " + (v ? std::to_string(*v) : std::string("end")) + (ec ? " error" : ""));
  }));
  ctx.restart();
  ctx.run();
  BOOST_REQUIRE(log.size() == 6u);
  BOOST_TEST(log[3] == "put 3 " + corio::make_error_code(corio::channel_errc::closed).message());
  BOOST_TEST(log[4] == "next 2");
  BOOST_TEST(log[5] == "next end");
}

// Closing the receiving side (Trio's receive-channel close; Python 3.13 shutdown(immediate=True)).

CORIO_TEST_CASE(after_close_receiving_puts_fail_with_queue_broken_not_queue_closed) {
  corio::queue<int> q(4);
  q.close_receiving();
  BOOST_TEST(q.closed());
  BOOST_TEST(q.receiving_closed());
  BOOST_CHECK_THROW(q.try_put(1), corio::queue_broken);
  try {
    co_await q.put(2);
    BOOST_FAIL("expected queue_broken");
  } catch (const corio::queue_broken& e) {
    BOOST_TEST((e.code() == corio::channel_errc::broken));
    BOOST_TEST((e.code() != corio::channel_errc::closed));
  }
  auto [ec] = co_await q.async_put(3, asio::as_tuple(asio::deferred));
  BOOST_TEST((ec == corio::channel_errc::broken));
  BOOST_TEST(q.empty());
}

CORIO_TEST_CASE(close_receiving_wakes_a_blocked_putter_with_queue_broken_and_adds_nothing) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q(1);
  co_await q.put(0);
  bool broken = false;
  auto putter_body = [&]() -> corio::awaitable<void> {
    try {
      co_await q.put(1);
    } catch (const corio::queue_broken&) {
      broken = true;
    }
  };
  auto putter = corio::spawn(ex, putter_body());
  co_await corio::sleep(1ms);
  q.close_receiving();
  co_await putter.wait();
  BOOST_TEST(broken);
  BOOST_TEST(q.empty());  // the queued 0 was dropped, the 1 never added
}

CORIO_TEST_CASE(close_receiving_drops_queued_items_and_unblocks_join) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<std::shared_ptr<int>> q;
  auto item = std::make_shared<int>(1);
  co_await q.put(item);
  co_await q.put(item);
  BOOST_TEST(item.use_count() == 3);
  bool joined = false;
  auto joiner_body = [&]() -> corio::awaitable<void> {
    co_await q.join();
    joined = true;
  };
  auto joiner = corio::spawn(ex, joiner_body());
  co_await corio::sleep(1ms);
  BOOST_TEST(!joined);
  q.close_receiving();
  BOOST_TEST(item.use_count() == 1);  // destroyed, not kept
  BOOST_TEST(q.size() == 0u);
  BOOST_TEST(q.unfinished_tasks() == 0u);
  co_await joiner.wait();
  BOOST_TEST(joined);
}

CORIO_TEST_CASE(items_already_taken_still_count_for_join_after_close_receiving) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  co_await q.put(1);
  co_await q.put(2);
  BOOST_TEST(co_await q.get() == 1);  // taken, not yet task_done()
  q.close_receiving();                // drops 2
  BOOST_TEST(q.unfinished_tasks() == 1u);
  bool joined = false;
  auto joiner_body = [&]() -> corio::awaitable<void> {
    co_await q.join();
    joined = true;
  };
  auto joiner = corio::spawn(ex, joiner_body());
  co_await corio::sleep(1ms);
  BOOST_TEST(!joined);
  q.task_done();
  co_await joiner.wait();
  BOOST_TEST(joined);
}

CORIO_TEST_CASE(getters_report_closed_after_close_receiving_blocked_or_later) {
  auto ex = co_await asio::this_coro::executor;
  corio::queue<int> q;
  bool closed = false;
  auto getter_body = [&]() -> corio::awaitable<void> {
    try {
      (void)co_await q.get();
    } catch (const corio::queue_closed&) {
      closed = true;
    }
  };
  auto getter = corio::spawn(ex, getter_body());
  co_await corio::sleep(1ms);
  q.close_receiving();
  co_await getter.wait();
  BOOST_TEST(closed);
  BOOST_CHECK_THROW((void)q.try_get(), corio::queue_closed);
  BOOST_TEST(!(co_await q.next()).has_value());
  q.close();             // the sending side's close changes nothing now
  q.close_receiving();   // idempotent
  BOOST_CHECK_THROW(q.try_put(1), corio::queue_broken);
}

CORIO_TEST_CASE(close_then_close_receiving_turns_puts_from_closed_into_broken) {
  corio::queue<int> q;
  co_await q.put(1);
  q.close();
  BOOST_CHECK_THROW(q.try_put(2), corio::queue_closed);
  q.close_receiving();
  BOOST_CHECK_THROW(q.try_put(2), corio::queue_broken);
  BOOST_TEST(q.empty());  // the item left for draining is dropped
}

BOOST_AUTO_TEST_SUITE_END()
