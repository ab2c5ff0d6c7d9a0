// test-labels: schedules
#include <corio/sleep.hpp>

#include <corio/cancellation.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include <boost/asio/io_context.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> ticker(std::string name, int n, std::vector<std::string>& log) {
  for (int i = 0; i < n; ++i) {
    log.push_back(name + std::to_string(i));
    co_await corio::yield();
  }
}

corio::awaitable<int> ready(int v) { co_return v; }

corio::awaitable<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return co_await nested(depth - 1) + 1;
}

struct wake {
  corio::clock::time_point at;
  int index;
};

corio::awaitable<void> sleeper(corio::clock::time_point until, int index, std::vector<wake>& log) {
  co_await corio::sleep_until(until);
  log.push_back({corio::clock::now(), index});
}

// Sets `*flag` when the coroutine frame holding it is destroyed.
struct on_destroy {
  std::shared_ptr<bool> flag;
  ~on_destroy() { *flag = true; }
};

corio::awaitable<void> long_sleeper(std::shared_ptr<bool> destroyed, std::shared_ptr<bool> woke) {
  const on_destroy guard{std::move(destroyed)};
  co_await corio::sleep(std::chrono::hours(1));
  *woke = true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sleep_and_yield)  // not "sleep": that names ::sleep

CORIO_TEST_CASE(sleep_waits_exactly_its_duration_in_virtual_time) {
  const auto t0 = corio::clock::now();
  co_await corio::sleep(250ms);
  BOOST_TEST((corio::clock::now() - t0 == 250ms));
  co_await corio::sleep_until(t0 + 1s);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
}

// (Posting order itself is what these check: once, under seed 0.)
CORIO_TEST_CASE_WITH(yield_interleaves_ready_coroutines, corio::testing::options{.randomize = false}) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> log;
  auto a = corio::spawn(ex, ticker("a", 3, log));
  auto b = corio::spawn(ex, ticker("b", 3, log));
  co_await a.wait();
  co_await b.wait();
  BOOST_TEST(log == (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(a_chain_of_a_hundred_thousand_immediately_ready_awaits_does_not_overflow_the_stack) {
  int sum = 0;
  for (int i = 0; i < 100'000; ++i) sum += co_await ready(1);
  BOOST_TEST(sum == 100'000);
  BOOST_TEST(co_await nested(100'000) == 100'000);
}

CORIO_TEST_CASE_WITH(many_sleepers_wake_at_their_own_instants_and_equal_ones_in_the_order_they_slept,
                     corio::testing::options{.randomize = false}) {
  // Sleeps share one timer per context: 300 deadlines armed in scrambled order, many equal.
  const auto t0 = corio::clock::now();
  std::vector<wake> log;
  std::vector<corio::clock::time_point> due(300);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < 300; ++i) {
      due[static_cast<std::size_t>(i)] = t0 + std::chrono::milliseconds((i * 7919) % 37);
      g.spawn(sleeper(due[static_cast<std::size_t>(i)], i, log));
    }
    co_return;
  });
  BOOST_TEST_REQUIRE(log.size() == 300u);
  for (const wake& w : log) BOOST_TEST((w.at == due[static_cast<std::size_t>(w.index)]));
  // Earliest first; equal deadlines in spawn order (each task slept in the order it was spawned).
  for (std::size_t k = 1; k < log.size(); ++k) {
    const auto& a = log[k - 1];
    const auto& b = log[k];
    BOOST_TEST((a.at < b.at || (a.at == b.at && a.index < b.index)), "wake " << k);
  }
}

CORIO_TEST_CASE(a_cancelled_sleep_ends_at_once_and_the_others_still_wake_on_time) {
  auto ex = co_await asio::this_coro::executor;
  const auto t0 = corio::clock::now();
  std::vector<wake> log;
  auto first = corio::spawn(ex, sleeper(t0 + 10ms, 0, log));   // the earliest: the timer is armed for it
  auto second = corio::spawn(ex, sleeper(t0 + 30ms, 1, log));
  co_await corio::sleep(5ms);
  first.cancel();
  bool cancelled = false;
  try {
    co_await first.wait();
  } catch (...) {
    cancelled = corio::is_cancellation(std::current_exception());
  }
  BOOST_TEST(cancelled);
  BOOST_TEST((corio::clock::now() - t0 == 5ms));
  co_await second.wait();
  BOOST_TEST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0].index == 1);
  BOOST_TEST((log[0].at == t0 + 30ms));
}

CORIO_TEST_CASE(a_sleep_until_a_past_instant_returns_without_moving_the_clock) {
  const auto t0 = corio::clock::now();
  co_await corio::sleep_until(t0 - 1s);
  co_await corio::sleep(-5ms);
  BOOST_TEST((corio::clock::now() == t0));
}

BOOST_AUTO_TEST_CASE(a_context_destroyed_while_tasks_sleep_frees_their_frames) {
  // Real time: the sleeps wait in the context's deadline queue, not as Asio timer operations, so
  // the queue itself must drop them at shutdown (as Asio drops pending operations).
  auto destroyed = std::make_shared<bool>(false);
  auto woke = std::make_shared<bool>(false);
  {
    asio::io_context ctx;
    corio::spawn(ctx, long_sleeper(destroyed, woke));
    ctx.poll();  // starts the task: it is now asleep
    BOOST_TEST(!*destroyed);
  }
  BOOST_TEST(*destroyed);
  BOOST_TEST(!*woke);
}

// A cancellation requested while a coroutine is queued to resume from yield() or sleep(0)
// surfaces there, not at some later suspension point.

namespace {

struct resumed_log {
  bool suspended = false;
  bool resumed = false;
};

corio::awaitable<void> yields_once(resumed_log& log) {
  log.suspended = true;
  co_await corio::yield();
  log.resumed = true;
}

corio::awaitable<void> sleeps_zero_once(resumed_log& log) {
  log.suspended = true;
  co_await corio::sleep(0s);
  log.resumed = true;
}

}  // namespace

// (One interleaving — the cancellation arrives while t's resumption is queued — which posting
// order produces: these run under seed 0 only.)
CORIO_TEST_CASE_WITH(a_cancellation_while_suspended_in_yield_surfaces_at_the_yield,
                     corio::testing::options{.randomize = false}) {
  auto ex = co_await boost::asio::this_coro::executor;
  resumed_log log;
  auto t = corio::spawn(ex, yields_once(log));
  // t runs up to its yield; its resumption is queued after ours.
  while (!log.suspended) co_await corio::yield();
  BOOST_TEST(log.suspended);
  BOOST_TEST(!log.resumed);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(t.cancelled());
  BOOST_TEST(!log.resumed);
}

CORIO_TEST_CASE_WITH(a_cancellation_while_suspended_in_sleep_zero_surfaces_at_the_sleep,
                     corio::testing::options{.randomize = false}) {
  auto ex = co_await boost::asio::this_coro::executor;
  resumed_log log;
  auto t = corio::spawn(ex, sleeps_zero_once(log));
  while (!log.suspended) co_await corio::yield();
  BOOST_TEST(log.suspended);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(t.cancelled());
  BOOST_TEST(!log.resumed);
}

CORIO_TEST_CASE(yield_without_a_cancellation_resumes_normally) {
  auto ex = co_await boost::asio::this_coro::executor;
  resumed_log log;
  auto t = corio::spawn(ex, yields_once(log));
  co_await t.wait();
  BOOST_TEST(log.resumed);
}

BOOST_AUTO_TEST_SUITE_END()
