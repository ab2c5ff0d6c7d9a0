// test-labels: threads schedules
#include <corio/thread.hpp>

#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct special_error : std::runtime_error {
  special_error() : std::runtime_error("special") {}
};

int add(int a, int b) { return a + b; }

corio::awaitable<std::size_t> count_shards() {
  std::atomic<int> ran{0};
  for (const auto& ex : corio::shards()) {
    co_await corio::spawn(ex, [&ran]() -> corio::awaitable<void> {
      ++ran;
      co_return;
    }());  // prvalue task: awaited at once, so the closure outlives the coroutine
  }
  co_return static_cast<std::size_t>(ran.load());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(thread)

CORIO_TEST_CASE(to_thread_returns_the_value_computed_on_another_thread) {
  const auto caller = std::this_thread::get_id();
  std::thread::id worker;
  auto r = co_await corio::to_thread([&] {
    worker = std::this_thread::get_id();
    return 41;
  });
  BOOST_TEST(r == 41);
  BOOST_TEST((worker != caller));
  BOOST_TEST((std::this_thread::get_id() == caller));  // resumed on its own executor
  BOOST_TEST(co_await corio::to_thread(add, 2, 3) == 5);
}

CORIO_TEST_CASE(to_thread_propagates_the_exception_type_and_resumes_on_the_callers_executor) {
  const auto caller = std::this_thread::get_id();
  try {
    co_await corio::to_thread([] { throw special_error(); });
    BOOST_FAIL("expected special_error");
  } catch (const special_error&) {
    BOOST_TEST((std::this_thread::get_id() == caller));
  }
}

// Hand-shakes with pool threads use atomics, not std::promise: libstdc++'s future state is
// synchronized inside the (uninstrumented) shared library, which ThreadSanitizer cannot see.
using flag = std::shared_ptr<std::atomic<bool>>;
flag make_flag() { return std::make_shared<std::atomic<bool>>(false); }
void spin_until(const flag& f) {
  while (!f->load()) std::this_thread::yield();
}

CORIO_TEST_CASE(run_in_uses_the_given_pool) {
  asio::thread_pool pool(1);
  std::atomic<std::thread::id> pool_thread{};
  asio::post(pool, [&] { pool_thread = std::this_thread::get_id(); });
  auto id = co_await corio::run_in(pool, [] { return std::this_thread::get_id(); });
  pool.join();
  BOOST_TEST((id == pool_thread.load()));
}

CORIO_TEST_CASE(cancelling_the_awaiter_returns_at_once_while_the_function_runs_on) {
  auto ex = co_await asio::this_coro::executor;
  auto started = make_flag(), release = make_flag(), finished = make_flag();
  auto t = corio::spawn(ex, corio::to_thread([started, release, finished] {
    started->store(true);
    spin_until(release);  // cannot be interrupted
    finished->store(true);
    return 1;
  }));
  // The lambdas are named: GCC 12 destroys a capturing lambda written inside a co_await
  // expression twice (see README, "Compiler notes").
  auto wait_started = [started] { spin_until(started); };
  co_await corio::to_thread(wait_started);  // it is running on the pool now
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(!finished->load());  // the awaiter did not wait for it
  release->store(true);
  auto wait_finished = [finished] { spin_until(finished); };
  co_await corio::to_thread(wait_finished);  // it ran to the end on its thread
}

CORIO_TEST_CASE(a_function_cancelled_before_it_started_is_skipped) {
  auto ex = co_await asio::this_coro::executor;
  asio::thread_pool pool(1);
  auto release = make_flag();
  auto blocker = corio::spawn(ex, corio::run_in(pool, [release] { spin_until(release); }));  // occupies the pool
  co_await corio::testing::wait_all_tasks_blocked();  // blocker's function is on the pool first
  auto ran = make_flag();
  auto t = corio::spawn(ex, corio::run_in(pool, [ran] { ran->store(true); }));
  co_await corio::testing::wait_all_tasks_blocked();
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  release->store(true);
  co_await blocker.wait();
  pool.join();
  BOOST_TEST(!ran->load());
}

BOOST_AUTO_TEST_CASE(run_with_threads_gives_every_shard_its_own_thread) {
  corio::run_options opts;
  opts.threads = 3;
  const auto ran = corio::run(count_shards(), opts);
  BOOST_TEST(ran == 3u);
  BOOST_TEST(corio::shards().empty());  // outside run again
}

BOOST_AUTO_TEST_CASE(zero_threads_is_a_clear_error) {
  corio::run_options opts;
  opts.threads = 0;
  BOOST_CHECK_THROW(corio::run(count_shards(), opts), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
