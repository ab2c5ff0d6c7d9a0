// test-labels: threads
#include <corio/thread.hpp>

#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
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

CORIO_TEST_CASE(run_in_uses_the_given_pool) {
  asio::thread_pool pool(1);
  std::promise<std::thread::id> pool_thread;
  asio::post(pool, [&] { pool_thread.set_value(std::this_thread::get_id()); });
  const auto expected = pool_thread.get_future().get();
  auto id = co_await corio::run_in(pool, [] { return std::this_thread::get_id(); });
  BOOST_TEST((id == expected));
  pool.join();
}

CORIO_TEST_CASE(cancelling_the_awaiter_returns_at_once_while_the_function_runs_on) {
  auto ex = co_await asio::this_coro::executor;
  // Owned by the function too: it may still be inside set_value() when this coroutine ends.
  auto started = std::make_shared<std::promise<void>>();
  auto finished = std::make_shared<std::promise<void>>();
  std::promise<void> release;
  auto started_f = started->get_future().share();
  auto release_f = release.get_future().share();
  auto finished_f = finished->get_future().share();
  auto t = corio::spawn(ex, corio::to_thread([started, release_f, finished] {
    started->set_value();
    release_f.wait();  // cannot be interrupted
    finished->set_value();
    return 1;
  }));
  co_await corio::to_thread([started_f] { started_f.wait(); });  // it is running on the pool now
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST((finished_f.wait_for(0s) == std::future_status::timeout));  // the awaiter did not wait for it
  release.set_value();
  co_await corio::to_thread([finished_f] { finished_f.wait(); });  // it ran to the end on its thread
}

CORIO_TEST_CASE(a_function_cancelled_before_it_started_is_skipped) {
  auto ex = co_await asio::this_coro::executor;
  asio::thread_pool pool(1);
  std::promise<void> release;
  auto release_f = release.get_future().share();
  auto blocker = corio::spawn(ex, corio::run_in(pool, [release_f] { release_f.wait(); }));  // occupies the pool
  std::atomic<bool> ran{false};
  auto t = corio::spawn(ex, corio::run_in(pool, [&ran] { ran = true; }));
  co_await corio::yield();
  co_await corio::yield();
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  release.set_value();
  co_await blocker.wait();
  pool.join();
  BOOST_TEST(!ran.load());
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
