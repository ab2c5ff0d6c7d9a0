// test-labels: threads
#include <corio/concurrent_queue.hpp>

#include <corio/task.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <numeric>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Boost.Test is not thread-safe: coroutines on other threads only record; the test thread checks.
struct consumer_log {
  std::vector<int> items;
  bool always_on_own_context = true;
};

corio::awaitable<void> consume(corio::concurrent_queue<int>& q, asio::io_context& own, consumer_log& log) {
  while (auto v = co_await q.next()) {
    if (!own.get_executor().running_in_this_thread()) log.always_on_own_context = false;
    log.items.push_back(*v);
    q.task_done();
  }
}

/// Starts a wait, then (posted) cancels it: the cancellation races with producers' hand-offs.
class racer {
public:
  racer(corio::concurrent_queue<int>& q, asio::io_context& ctx, int rounds) : q_(q), ctx_(ctx), left_(rounds) {}
  void start() {
    q_.async_next(asio::bind_cancellation_slot(
        sig_.slot(), asio::bind_executor(ctx_, [this](boost::system::error_code ec, std::optional<int> v) {
          done(ec, std::move(v));
        })));
    asio::post(ctx_, [this] { sig_.emit(asio::cancellation_type::terminal); });
  }
  std::vector<int> got;
  int cancelled = 0;
  int odd = 0;  // completions that are neither an item nor a cancellation

private:
  void done(boost::system::error_code ec, std::optional<int> v) {
    if (!ec && v) got.push_back(*v);
    else if (ec == asio::error::operation_aborted && !v) ++cancelled;
    else ++odd;
    if (--left_ > 0) start();
  }
  corio::concurrent_queue<int>& q_;
  asio::io_context& ctx_;
  asio::cancellation_signal sig_;
  int left_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(concurrent_queue)

BOOST_AUTO_TEST_CASE(four_producer_threads_and_four_consumers_on_two_io_contexts_deliver_every_item_once) {
  constexpr int producers = 4;
  constexpr int per_producer = 1000;
  corio::concurrent_queue<int> q(16);
  asio::io_context ctx_a(1), ctx_b(1);
  std::vector<consumer_log> logs(4);
  std::vector<corio::task<void>> consumers;
  consumers.push_back(corio::spawn(ctx_a, consume(q, ctx_a, logs[0])));
  consumers.push_back(corio::spawn(ctx_a, consume(q, ctx_a, logs[1])));
  consumers.push_back(corio::spawn(ctx_b, consume(q, ctx_b, logs[2])));
  consumers.push_back(corio::spawn(ctx_b, consume(q, ctx_b, logs[3])));
  std::thread run_a([&] { ctx_a.run(); });
  std::thread run_b([&] { ctx_b.run(); });

  std::atomic<int> blocking_puts{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        const int item = p * per_producer + i;
        if (!q.try_put(item)) {
          // Full: wait for room from a plain thread (backpressure through a future).
          q.async_put(item, asio::use_future).get();
          blocking_puts.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  q.async_join(asio::use_future).get();  // every item taken and task_done()
  BOOST_TEST(q.unfinished_tasks() == 0u);
  q.close();
  run_a.join();
  run_b.join();

  std::vector<int> all;
  for (const auto& log : logs) {
    BOOST_TEST(log.always_on_own_context);
    // One consumer sees each producer's items in the order they were put (FIFO).
    std::vector<int> last(producers, -1);
    bool in_order = true;
    for (int v : log.items) {
      int& l = last[static_cast<std::size_t>(v / per_producer)];
      in_order = in_order && v > l;
      l = v;
    }
    BOOST_TEST(in_order);
    all.insert(all.end(), log.items.begin(), log.items.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int> want(producers * per_producer);
  std::iota(want.begin(), want.end(), 0);
  BOOST_TEST(all == want);  // every item exactly once
  for (auto& c : consumers) BOOST_TEST(c.done());
  BOOST_TEST_MESSAGE("puts that had to wait: " << blocking_puts.load());
}

BOOST_AUTO_TEST_CASE(a_waiter_is_resumed_on_its_own_executor_when_another_context_wakes_it) {
  corio::concurrent_queue<int> q;
  asio::io_context ctx_a(1), ctx_b(1);
  consumer_log log;
  auto c = corio::spawn(ctx_a, consume(q, ctx_a, log));
  auto producer = [&]() -> corio::awaitable<void> {
    for (int i = 0; i < 100; ++i) co_await q.put(i);
    q.close();
  };
  std::thread run_a([&] { ctx_a.run(); });
  auto p = corio::spawn(ctx_b, producer());
  std::thread run_b([&] { ctx_b.run(); });
  run_a.join();
  run_b.join();
  BOOST_TEST(log.always_on_own_context);
  BOOST_TEST(log.items.size() == 100u);
  BOOST_TEST(std::is_sorted(log.items.begin(), log.items.end()));
  BOOST_TEST(c.done());
  BOOST_TEST(p.done());
}

BOOST_AUTO_TEST_CASE(cancellations_racing_with_hand_offs_lose_no_item) {
  constexpr int items = 2000;
  corio::concurrent_queue<int> q;
  asio::io_context ctx(1);
  racer r(q, ctx, 3000);
  r.start();
  std::thread run([&] { ctx.run(); });
  std::thread producer([&] {
    for (int i = 0; i < items; ++i) {
      q.try_put(i);
      std::this_thread::yield();
    }
  });
  producer.join();
  run.join();
  std::vector<int> all = r.got;
  while (auto v = q.try_get()) all.push_back(*v);
  q.close();
  BOOST_CHECK_THROW((void)q.try_get(), corio::queue_closed);
  std::sort(all.begin(), all.end());
  std::vector<int> want(items);
  std::iota(want.begin(), want.end(), 0);
  BOOST_TEST(all == want);  // each item either delivered or still queued, once
  BOOST_TEST(r.odd == 0);
  BOOST_TEST(static_cast<int>(r.got.size()) + r.cancelled == 3000);
  BOOST_TEST_MESSAGE("delivered " << r.got.size() << ", cancelled " << r.cancelled);
}

BOOST_AUTO_TEST_CASE(plain_threads_use_try_put_try_get_and_futures_without_any_io_context) {
  corio::concurrent_queue<std::unique_ptr<int>> q(1);
  // A get through a future waits for a put from another plain thread.
  std::future<std::unique_ptr<int>> f = q.async_get(asio::use_future);
  BOOST_TEST((f.wait_for(0s) == std::future_status::timeout));  // nothing put yet
  std::thread producer([&] {
    q.try_put(std::make_unique<int>(1));
    q.async_put(std::make_unique<int>(2), asio::use_future).get();
    q.async_put(std::make_unique<int>(3), asio::use_future).get();  // waits: capacity 1
    q.close();
  });
  BOOST_TEST(*f.get() == 1);
  std::vector<int> got;
  for (;;) {
    try {
      if (auto v = q.try_get()) got.push_back(**v);
      else std::this_thread::yield();
    } catch (const corio::queue_closed&) {
      break;
    }
  }
  producer.join();
  BOOST_TEST(got == (std::vector<int>{2, 3}), boost::test_tools::per_element());
  BOOST_CHECK_THROW(q.try_put(std::make_unique<int>(4)), corio::queue_closed);
  // A plain callback (run on the system executor) reports the error code. (Carried as a value:
  // an exception crossing threads inside a std::future trips TSan on libstdc++'s uninstrumented
  // exception_ptr refcount.)
  std::promise<boost::system::error_code> closed;
  q.async_get([&](boost::system::error_code ec, std::unique_ptr<int>) { closed.set_value(ec); });
  BOOST_TEST((closed.get_future().get() == corio::channel_errc::closed));
}

BOOST_AUTO_TEST_SUITE_END()
