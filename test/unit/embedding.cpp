// test-labels: threads
// Corio's primitives inside a callback-style Asio program: four threads run one io_context, each
// primitive's state is touched only on a strand (its documented rule), and the completion handlers
// are plain lambdas — no associated executor. Every handler must run on a thread that runs the
// io_context (never on Asio's system executor), and a waiting operation must keep run() from
// returning, as Asio's own operations do.
#include <corio/barrier.hpp>
#include <corio/broadcast.hpp>
#include <corio/capacity_limiter.hpp>
#include <corio/concurrent_queue.hpp>
#include <corio/condition.hpp>
#include <corio/event.hpp>
#include <corio/lock.hpp>
#include <corio/queue.hpp>
#include <corio/semaphore.hpp>
#include <corio/sleep.hpp>
#include <corio/timeout.hpp>

#include <corio/debug.hpp>

#include "support/capture_log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// Boost.Test is not thread-safe: handlers only count; the test thread checks after run().
struct callback_program {
  asio::io_context io{4};
  asio::strand<asio::io_context::executor_type> strand = asio::make_strand(io);
  std::atomic<int> handlers{0};
  std::atomic<int> off_context{0};
  std::atomic<int> errors{0};

  /// Called first thing in every handler.
  void ran(const error_code& ec = {}) {
    ++handlers;
    if (!io.get_executor().running_in_this_thread()) ++off_context;
    if (ec) ++errors;
  }
  /// Runs `f` on the strand (where the primitives live).
  void on_strand(std::function<void()> f) { asio::post(strand, std::move(f)); }

  /// Starts `start` on the strand and runs the io_context on four threads until it runs out of
  /// work — which it must not do while an operation still waits.
  void run(std::function<void()> start) {
    on_strand(std::move(start));
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([this] { io.run(); });
    for (auto& t : threads) t.join();
  }

  void check(int expected_handlers) const {
    BOOST_TEST(handlers.load() == expected_handlers);
    BOOST_TEST(off_context.load() == 0);
    BOOST_TEST(errors.load() == 0);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(embedding)

BOOST_AUTO_TEST_CASE(semaphore_handlers_run_on_the_context_free_or_after_waiting) {
  callback_program p;
  corio::semaphore sem(1);
  std::vector<std::shared_ptr<corio::semaphore::guard>> held;
  p.run([&] {
    for (int i = 0; i < 3; ++i) {
      sem.async_acquire([&](error_code ec, corio::semaphore::guard g) {
        p.ran(ec);
        // Keep the permit a moment, then give it back on the strand.
        auto kept = std::make_shared<corio::semaphore::guard>(std::move(g));
        p.on_strand([kept]() mutable { kept.reset(); });
      });
    }
  });
  p.check(3);
  BOOST_TEST(sem.value() == 1u);
}

BOOST_AUTO_TEST_CASE(lock_and_condition_handlers_run_on_the_context) {
  callback_program p;
  corio::lock mtx;
  corio::condition cond(mtx);
  bool ready = false;
  std::optional<corio::lock::guard> waiter_guard;
  p.run([&] {
    mtx.async_acquire([&](error_code ec, corio::lock::guard g) {
      p.ran(ec);
      p.on_strand([&, g = std::make_shared<corio::lock::guard>(std::move(g))]() mutable {
        waiter_guard.emplace(std::move(*g));
        cond.async_wait(*waiter_guard, [&](error_code wait_ec) {
          p.ran(wait_ec);
          p.on_strand([&] {
            if (!ready) ++p.errors;
            waiter_guard.reset();
          });
        });
        // The notifier takes the lock once the waiter released it inside async_wait.
        mtx.async_acquire([&](error_code ec2, corio::lock::guard g2) {
          p.ran(ec2);
          p.on_strand([&, g2 = std::make_shared<corio::lock::guard>(std::move(g2))]() mutable {
            ready = true;
            cond.notify();
            g2.reset();
          });
        });
      });
    });
  });
  p.check(3);
  BOOST_TEST(!mtx.locked());
}

BOOST_AUTO_TEST_CASE(event_barrier_and_capacity_limiter_handlers_run_on_the_context) {
  callback_program p;
  corio::event ev;
  corio::barrier bar(2);
  corio::capacity_limiter limiter(1);
  p.run([&] {
    ev.async_wait([&](error_code ec) { p.ran(ec); });
    for (int i = 0; i < 2; ++i) {
      bar.async_arrive_and_wait([&](error_code ec, std::size_t) { p.ran(ec); });
    }
    limiter.async_acquire([&](error_code ec, corio::capacity_limiter::guard g) {
      p.ran(ec);
      p.on_strand([g = std::make_shared<corio::capacity_limiter::guard>(std::move(g))]() mutable { g.reset(); });
    });
    p.on_strand([&] { ev.set(); });
  });
  p.check(4);
}

BOOST_AUTO_TEST_CASE(queue_and_broadcast_handlers_run_on_the_context_and_waiting_keeps_run_going) {
  callback_program p;
  corio::queue<int> q(1);
  corio::broadcast<int> chan(4);
  auto rx = std::make_shared<corio::broadcast<int>::receiver>(chan.subscribe());
  std::atomic<int> sum{0};
  p.run([&] {
    // Getters first: they wait, and only their own pending operations keep run() going.
    for (int i = 0; i < 3; ++i) {
      q.async_get([&](error_code ec, int v) {
        p.ran(ec);
        sum += v;
      });
    }
    rx->async_recv([&](error_code ec, int v) {
      p.ran(ec);
      sum += v;
    });
    // The puts come later, from a handler posted to the strand.
    p.on_strand([&] {
      for (int i = 1; i <= 3; ++i) q.async_put(i, [&](error_code ec) { p.ran(ec); });
      chan.send(10);
    });
  });
  p.check(7);
  BOOST_TEST(sum.load() == 16);
}

BOOST_AUTO_TEST_CASE(queue_join_and_next_handlers_run_on_the_context) {
  callback_program p;
  corio::queue<int> q;
  p.run([&] {
    q.async_join([&](error_code ec) { p.ran(ec); });  // nothing unfinished: completes at once
    q.try_put(5);
    q.async_next([&](error_code ec, std::optional<int> v) {
      p.ran(ec);
      if (v != 5) ++p.errors;
      p.on_strand([&] {
        q.async_join([&](error_code ec2) { p.ran(ec2); });
        q.task_done();
      });
    });
  });
  p.check(3);
}

BOOST_AUTO_TEST_CASE(concurrent_queue_getter_on_the_context_is_woken_from_a_plain_thread) {
  callback_program p;
  corio::concurrent_queue<int> q;
  std::atomic<int> got{0};
  std::promise<void> waiting;
  std::thread producer([&] {
    waiting.get_future().wait();
    q.try_put(42);
  });
  p.run([&] {
    q.async_get([&](error_code ec, int v) {
      p.ran(ec);
      got = v;
    });
    waiting.set_value();
  });
  producer.join();
  p.check(1);
  BOOST_TEST(got.load() == 42);
}

BOOST_AUTO_TEST_CASE(a_handler_started_on_a_thread_pool_runs_on_that_pool) {
  asio::thread_pool pool(2);
  corio::event ev;
  std::promise<bool> on_pool;
  asio::post(pool, [&] {
    ev.async_wait([&](error_code) { on_pool.set_value(pool.get_executor().running_in_this_thread()); });
    ev.set();
  });
  BOOST_TEST(on_pool.get_future().get());
  pool.join();
}

BOOST_AUTO_TEST_CASE(a_handler_started_outside_any_context_still_completes) {
  // No io_context or thread_pool on this thread and no executor bound: Asio's system executor.
  corio::event ev;
  ev.set();
  std::promise<std::thread::id> ran_on;
  ev.async_wait([&](error_code) { ran_on.set_value(std::this_thread::get_id()); });
  auto f = ran_on.get_future();
  BOOST_TEST((f.wait_for(std::chrono::seconds(30)) == std::future_status::ready));
}

namespace {

// An item whose first move blocks until `release` is set: it keeps the queue's try_put (which moves
// the item in) inside the queue while another thread arrives.
struct slow_item {
  std::atomic<bool>* moving = nullptr;
  std::function<void()>* while_moving = nullptr;
  slow_item() = default;
  slow_item(std::atomic<bool>* m, std::function<void()>* w) : moving(m), while_moving(w) {}
  slow_item(slow_item&& other) noexcept : moving(other.moving), while_moving(std::exchange(other.while_moving, nullptr)) {
    if (while_moving) {
      moving->store(true);
      (*while_moving)();
    }
  }
  slow_item& operator=(slow_item&&) = default;
};

bool contains(const std::vector<std::string>& lines, const std::string& what) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; });
}

}  // namespace

// The README's asyncio recipes: run_coroutine_threadsafe is co_spawn with use_future from another
// thread; add_done_callback is co_spawn with a callback (value or exception).
BOOST_AUTO_TEST_CASE(a_coroutine_submitted_from_another_thread_gives_a_future_and_a_callback) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  auto answer = [](int x) -> corio::awaitable<int> {
    co_await corio::sleep(std::chrono::milliseconds(1));
    co_return x * 2;
  };
  auto fails = []() -> corio::awaitable<int> {
    co_await corio::wait_for(corio::sleep(std::chrono::hours(1)), std::chrono::milliseconds(1));
    co_return 0;
  };
  std::future<int> f = asio::co_spawn(io, answer(21), asio::use_future);
  std::future<int> g = asio::co_spawn(io, fails(), asio::use_future);
  std::promise<std::string> done;
  asio::co_spawn(io, answer(5), [&](std::exception_ptr e, int v) {
    done.set_value(e ? "error" : std::to_string(v) + (io.get_executor().running_in_this_thread() ? " on io" : " elsewhere"));
  });
  const int value = f.get();
  bool timed_out = false;
  try {
    (void)g.get();
  } catch (const corio::timeout_error&) {
    timed_out = true;
  }
  const std::string callback = done.get_future().get();
  guard.reset();
  runner.join();
  BOOST_TEST(value == 42);
  BOOST_TEST(timed_out);
  BOOST_TEST(callback == "10 on io");
}

BOOST_AUTO_TEST_CASE(debug_mode_reports_two_threads_inside_one_queue_and_serializes_them) {
  corio::test::capture_log log;
  asio::io_context debug_ctx;
  corio::enable_debug(debug_ctx);
  corio::queue<slow_item> q;
  std::atomic<bool> moving{false};
  std::atomic<bool> second_done{false};
  std::size_t size_seen = 0;
  // While thread A is inside try_put (moving the item in), thread B asks for the size; A waits
  // until B's overlap has been reported (30 s at most), then finishes.
  std::function<void()> while_moving = [&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!contains(log.lines(), "two threads at once") && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
  };
  std::thread a([&] { q.try_put(slow_item(&moving, &while_moving)); });
  std::thread b([&] {
    while (!moving.load()) std::this_thread::yield();
    size_seen = q.size();  // reported, then waits for A to leave
    second_done = true;
  });
  a.join();
  b.join();
  corio::enable_debug(debug_ctx, false);
  const auto lines = log.lines();
  BOOST_TEST(contains(lines, "corio::queue"));
  BOOST_TEST(contains(lines, "two threads at once"));
  BOOST_TEST(second_done.load());
  BOOST_TEST(size_seen == 1u);  // B went on only after A's put was complete
}

BOOST_AUTO_TEST_CASE(debug_mode_reports_a_guard_released_on_another_thread_without_overlap) {
  // The guard is taken in a handler of one context and released in a handler of another, run by
  // another thread: the uses never overlap (the post orders them), but nothing in Corio's contract
  // does, so debug mode reports it.
  corio::test::capture_log log;
  asio::io_context first;
  asio::io_context second;
  corio::enable_debug(first);
  corio::semaphore sem(1);
  std::promise<void> released;
  asio::post(first, [&] {
    auto g = sem.try_acquire();
    BOOST_REQUIRE(g);
    asio::post(second, [&, g = std::move(*g)]() mutable {
      g.release();
      released.set_value();
    });
  });
  std::thread a([&] { first.run(); });
  a.join();
  std::thread b([&] { second.run(); });
  b.join();
  released.get_future().get();
  corio::enable_debug(first, false);
  const auto lines = log.lines();
  BOOST_TEST(contains(lines, "corio::semaphore"));
  BOOST_TEST(contains(lines, "without a common strand"));
}

BOOST_AUTO_TEST_CASE(debug_mode_accepts_uses_in_turn_on_one_strand_from_two_threads) {
  // A strand's handlers run on whichever thread runs the context: uses inside one strand are
  // ordered by it, from any thread. Two runs on two threads make the hop certain.
  corio::test::capture_log log;
  asio::io_context io;
  corio::enable_debug(io);
  auto strand = asio::make_strand(io);
  corio::lock l;
  // (std::thread::id values, like thread-local addresses, are reused once a thread is joined.)
  static std::atomic<int> serials{0};
  std::vector<int> threads;
  const auto use = [&] {
    auto g = l.try_acquire();
    BOOST_REQUIRE(g);
    thread_local const int serial = ++serials;
    threads.push_back(serial);
  };
  asio::post(strand, use);
  std::thread a([&] { io.run(); });
  a.join();
  io.restart();
  asio::post(strand, use);
  std::thread b([&] { io.run(); });
  b.join();
  corio::enable_debug(io, false);
  BOOST_TEST_REQUIRE(threads.size() == 2u);
  BOOST_TEST((threads[0] != threads[1]));
  BOOST_TEST(!contains(log.lines(), "corio::lock"));
}

BOOST_AUTO_TEST_SUITE_END()
