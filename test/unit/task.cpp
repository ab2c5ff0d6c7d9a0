// test-labels: threads schedules
#include <corio/task.hpp>

#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using corio::test::fail_after;
using corio::test::value_after;

corio::awaitable<int> await_task(corio::task<int> t) { co_return co_await t.wait(); }

corio::awaitable<std::string> error_of(corio::task<int> t) {
  try {
    co_await t.wait();
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "no exception";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task)

CORIO_TEST_CASE(awaiting_a_task_gives_its_value) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(ex, value_after(10ms, 42), "answer");
  BOOST_TEST(t.name() == "answer");
  BOOST_TEST(!t.done());
  BOOST_TEST(co_await t.wait() == 42);
  BOOST_TEST(t.done());
  BOOST_TEST(!t.cancelled());
}

CORIO_TEST_CASE(two_awaiters_get_the_same_value) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(ex, value_after(10ms, 7));
  auto a = corio::spawn(ex, await_task(t));
  auto b = corio::spawn(ex, await_task(t));
  BOOST_TEST(co_await a.wait() == 7);
  BOOST_TEST(co_await b.wait() == 7);
}

CORIO_TEST_CASE(two_awaiters_both_see_the_exception) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(ex, fail_after(10ms, "boom"));
  auto a = corio::spawn(ex, error_of(t));
  auto b = corio::spawn(ex, error_of(t));
  BOOST_TEST(co_await a.wait() == "boom");
  BOOST_TEST(co_await b.wait() == "boom");
}

BOOST_AUTO_TEST_CASE(cancel_before_start_never_runs_the_body) {
  asio::io_context ctx;
  bool ran = false;
  auto body = [&]() -> corio::awaitable<void> {
    ran = true;
    co_return;
  };
  auto t = corio::spawn(ctx, body());
  t.cancel();
  ctx.run();
  BOOST_TEST(!ran);
  BOOST_TEST(t.done());
  BOOST_TEST(t.cancelled());
  BOOST_CHECK_THROW(t.get(), boost::system::system_error);
}

CORIO_TEST_CASE(cancel_wakes_a_sleeping_task_with_operation_aborted) {
  auto ex = co_await asio::this_coro::executor;
  bool cleaned = false;
  auto body = [&]() -> corio::awaitable<void> {
    struct cleanup {
      bool& flag;
      ~cleanup() { flag = true; }
    } c{cleaned};
    co_await corio::sleep(1h);
  };
  auto t = corio::spawn(ex, body());
  co_await corio::sleep(1ms);
  const auto t0 = corio::clock::now();
  t.cancel();
  try {
    co_await t.wait();
    BOOST_FAIL("expected cancellation");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == asio::error::operation_aborted);
  }
  BOOST_TEST(cleaned);
  BOOST_TEST(t.cancelled());
  BOOST_TEST((corio::clock::now() - t0 < 1s));
}

CORIO_TEST_CASE(cancelling_an_awaiter_leaves_the_task_running) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(ex, value_after(10s, 5));
  auto w = corio::spawn(ex, await_task(t));
  co_await corio::sleep(1s);
  w.cancel();
  BOOST_CHECK_THROW(co_await w.wait(), boost::system::system_error);
  BOOST_TEST(!t.done());
  BOOST_TEST(co_await t.wait() == 5);
}

BOOST_AUTO_TEST_CASE(a_task_can_be_awaited_with_use_future_from_another_thread) {
  asio::io_context ctx;
  auto t = corio::spawn(ctx, []() -> corio::awaitable<int> { co_return 9; }());
  auto fut = t(asio::use_future);
  std::thread runner([&] { ctx.run(); });
  BOOST_TEST(fut.get() == 9);
  runner.join();
}

CORIO_TEST_CASE(move_only_results_are_moved_to_the_awaiter) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(ex, []() -> corio::awaitable<std::unique_ptr<int>> {
    co_return std::make_unique<int>(3);
  }());
  auto p = co_await t.wait();
  BOOST_TEST(*p == 3);
  BOOST_CHECK_THROW(co_await t.wait(), std::logic_error);
}

// corio-serve's shard 0 awaits the other shards' tasks, and SIGTERM cancels that wait: the waiter's
// cancellation slot lives on another thread than the task (found by ThreadSanitizer on
// corio-serve --threads 2). Waits are withdrawn by cancellation, completed normally, or both race;
// every outcome is either the value or operation_aborted, and TSan sees no race.
BOOST_AUTO_TEST_CASE(awaiters_on_another_shard_can_be_cancelled_and_completed_without_races) {
  struct outcome {
    int values = 0;
    int cancelled = 0;
    bool parked_survived = false;
  };
  auto main = []() -> corio::awaitable<outcome> {
    outcome o;
    const auto here = co_await asio::this_coro::executor;
    const auto there = corio::shards().at(1);
    // A task that would run for an hour on shard 1: cancelling its awaiter leaves it running.
    auto parked = corio::spawn(there, value_after(1h, 1));
    auto w = corio::spawn(here, await_task(parked));
    co_await corio::yield();
    w.cancel();
    try {
      co_await w.wait();
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) ++o.cancelled;
    }
    // Tasks that finish at once on shard 1, their awaiters cancelled after 0..3 yields: the
    // cancellation and the completion race across the threads.
    for (int i = 0; i < 400; ++i) {
      auto t = corio::spawn(there, []() -> corio::awaitable<int> { co_return 7; }());
      auto waiter = corio::spawn(here, await_task(t));
      for (int k = 0; k < i % 4; ++k) co_await corio::yield();
      waiter.cancel();
      try {
        if (co_await waiter.wait() == 7) ++o.values;
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) ++o.cancelled;
      }
    }
    parked.cancel();
    try {
      co_await parked.wait();
    } catch (const boost::system::system_error& e) {
      o.parked_survived = e.code() == asio::error::operation_aborted;  // it was still running
    }
    co_return o;
  };
  const auto o = corio::run(main(), {.threads = 2});
  BOOST_TEST(o.values + o.cancelled == 401);
  BOOST_TEST(o.cancelled >= 1);  // the parked task's awaiter
  BOOST_TEST(o.parked_survived);
}

BOOST_AUTO_TEST_SUITE_END()
