// test-labels: schedules
#include <corio/testing.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/experimental/channel.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> wait_forever_on_a_channel() {
  asio::experimental::channel<void(boost::system::error_code, int)> ch(co_await asio::this_coro::executor);
  co_await ch.async_receive(asio::deferred);
}

corio::awaitable<void> sleeper(corio::duration d) { co_await corio::sleep(d); }

// Eight tasks, each recording its index after one yield: the order their steps ran in.
std::vector<int> order_under(std::uint64_t seed) {
  std::vector<int> order;
  corio::testing::options opts;
  opts.schedule_seed = seed;
  corio::testing::run_test(
      [&]() -> corio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        std::vector<corio::task<void>> tasks;
        for (int i = 0; i < 8; ++i) {
          tasks.push_back(corio::spawn(ex, [&order, i]() -> corio::awaitable<void> {
            co_await corio::yield();
            order.push_back(i);
          }));
        }
        for (auto& t : tasks) co_await t.wait();
      },
      opts);
  return order;
}

// Sets an environment variable for one scope, restoring its previous value.
class scoped_env {
public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(testing)

BOOST_AUTO_TEST_CASE(seed_zero_runs_ready_handlers_in_posting_order) {
  BOOST_TEST((order_under(0) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

BOOST_AUTO_TEST_CASE(a_schedule_seed_reorders_ready_handlers_and_the_same_seed_repeats_the_order) {
  std::set<std::vector<int>> seen;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto order = order_under(seed);
    BOOST_TEST(order.size() == 8u);
    BOOST_TEST((std::set<int>(order.begin(), order.end()).size() == 8u));  // each ran once
    BOOST_TEST((order_under(seed) == order));                              // reproducible
    seen.insert(order);
  }
  BOOST_TEST(seen.size() > 10u);  // 8! orders: twenty seeds give (almost) twenty of them
  BOOST_TEST(!seen.contains(std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

BOOST_AUTO_TEST_CASE(schedule_seeds_come_from_the_environment_and_a_typo_is_an_error) {
  {
    const scoped_env one("CORIO_TEST_SEED", nullptr);
    const scoped_env many("CORIO_TEST_SEEDS", nullptr);
    BOOST_TEST((corio::testing::schedule_seeds() == std::vector<std::uint64_t>{0}));
  }
  {
    const scoped_env one("CORIO_TEST_SEED", nullptr);
    const scoped_env many("CORIO_TEST_SEEDS", "3");
    BOOST_TEST((corio::testing::schedule_seeds() == std::vector<std::uint64_t>{0, 1, 2}));
  }
  {
    const scoped_env one("CORIO_TEST_SEED", "137");
    const scoped_env many("CORIO_TEST_SEEDS", "3");
    BOOST_TEST((corio::testing::schedule_seeds() == std::vector<std::uint64_t>{137}));
  }
  {
    const scoped_env one("CORIO_TEST_SEED", "137");
    corio::testing::options fifo;
    fifo.randomize = false;  // a test of posting order runs under seed 0 only, whatever is asked
    BOOST_TEST((corio::testing::schedule_seeds(fifo) == std::vector<std::uint64_t>{0}));
  }
  {
    const scoped_env one("CORIO_TEST_SEED", "13x");
    BOOST_CHECK_THROW((void)corio::testing::schedule_seeds(), std::invalid_argument);
  }
}

// README's example of a test (the README block must equal this one: check_readme.cmake).
CORIO_TEST_CASE(wait_for_expires_at_exactly_thirty_seconds) {
  const auto t0 = corio::clock::now();
  BOOST_CHECK_THROW(co_await corio::wait_for(corio::sleep(60s), 30s), corio::timeout_error);
  BOOST_TEST((corio::clock::now() - t0 == 30s));
}

CORIO_TEST_CASE(virtual_time_jumps_to_the_next_deadline_when_nothing_else_can_run) {
  const auto real0 = std::chrono::steady_clock::now();
  const auto t0 = corio::clock::now();
  co_await corio::sleep(24h);
  BOOST_TEST((corio::clock::now() - t0 == 24h));
  BOOST_TEST((std::chrono::steady_clock::now() - real0 < 1s));
}

CORIO_TEST_CASE(advance_moves_time_and_fires_due_timers_in_order) {
  auto ex = co_await asio::this_coro::executor;
  auto a = corio::spawn(ex, sleeper(10ms));
  auto b = corio::spawn(ex, sleeper(30ms));
  co_await corio::testing::wait_all_tasks_blocked();  // let both start sleeping
  const auto t0 = corio::clock::now();
  corio::testing::advance(20ms);
  BOOST_TEST((corio::clock::now() - t0 == 20ms));
  co_await corio::testing::wait_all_tasks_blocked();
  BOOST_TEST(a.done());
  BOOST_TEST(!b.done());
  co_await b.wait();
  BOOST_TEST((corio::clock::now() - t0 == 30ms));
}

CORIO_TEST_CASE(next_wakeup_is_where_virtual_time_jumps_and_a_contexts_sleeps_share_one_wakeup) {
  auto ex = co_await asio::this_coro::executor;
  BOOST_TEST(corio::testing::pending_wakeups() == 0u);
  BOOST_TEST((corio::testing::next_wakeup() == corio::clock::time_point::max()));
  const auto t0 = corio::clock::now();
  auto a = corio::spawn(ex, sleeper(30ms));
  auto b = corio::spawn(ex, sleeper(10ms));
  co_await corio::testing::wait_all_tasks_blocked();  // let both start sleeping
  BOOST_TEST(corio::testing::pending_wakeups() == 1u);
  BOOST_TEST((corio::testing::next_wakeup() == t0 + 10ms));
  co_await b.wait();
  BOOST_TEST((corio::clock::now() == t0 + 10ms));
  BOOST_TEST(corio::testing::pending_wakeups() == 1u);
  BOOST_TEST((corio::testing::next_wakeup() == t0 + 30ms));
  co_await a.wait();
  BOOST_TEST(corio::testing::pending_wakeups() == 0u);
  BOOST_TEST((corio::testing::next_wakeup() == corio::clock::time_point::max()));
}

BOOST_AUTO_TEST_CASE(the_wakeup_queries_without_a_virtual_clock_are_a_logic_error) {
  BOOST_CHECK_THROW(static_cast<void>(corio::testing::pending_wakeups()), std::logic_error);
  BOOST_CHECK_THROW(static_cast<void>(corio::testing::next_wakeup()), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_deadlocked_test_is_reported_instead_of_hanging) {
  corio::testing::options opts;
  opts.deadlock_grace = 50ms;
  try {
    corio::testing::run_test(wait_forever_on_a_channel, opts);
    BOOST_FAIL("expected deadlock_error");
  } catch (const corio::testing::deadlock_error& e) {
    BOOST_TEST(std::string(e.what()).find("deadlock") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("'test main'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(tasks_left_running_fail_the_test_by_name) {
  try {
    corio::testing::run_test([]() -> corio::awaitable<void> {
      corio::spawn(co_await asio::this_coro::executor, sleeper(1h), "forgotten");
      co_return;
    });
    BOOST_FAIL("expected leftover_tasks_error");
  } catch (const corio::testing::leftover_tasks_error& e) {
    BOOST_TEST(std::string(e.what()).find("'forgotten'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(main_exception_escapes_unchanged) {
  BOOST_CHECK_THROW(corio::testing::run_test([]() -> corio::awaitable<void> {
                      co_await corio::sleep(1s);
                      throw std::domain_error("x");
                    }),
                    std::domain_error);
}

BOOST_AUTO_TEST_CASE(a_test_loop_runs_one_context_many_times_and_virtual_time_goes_on) {
  corio::testing::test_loop loop;
  std::optional<asio::any_io_executor> first_executor;
  corio::clock::time_point first_end{};
  loop.run([&]() -> corio::awaitable<void> {
    first_executor = co_await asio::this_coro::executor;
    co_await corio::sleep(1h);
    first_end = corio::clock::now();
  });
  loop.run([&]() -> corio::awaitable<void> {
    const auto ex = co_await asio::this_coro::executor;
    BOOST_TEST((ex == *first_executor));  // the same context and schedule queue
    const auto start = corio::clock::now();
    BOOST_TEST((start >= first_end));
    co_await corio::sleep(1h);
    BOOST_TEST((corio::clock::now() - start == 1h));
  });
}

BOOST_AUTO_TEST_CASE(a_test_loop_run_checks_what_run_test_checks) {
  corio::testing::test_loop loop;
  BOOST_CHECK_THROW(loop.run([]() -> corio::awaitable<void> {
                      co_await corio::sleep(1s);
                      throw std::domain_error("x");
                    }),
                    std::domain_error);
  corio::testing::test_loop other;
  try {
    other.run([]() -> corio::awaitable<void> {
      corio::spawn(co_await asio::this_coro::executor, sleeper(1h), "forgotten");
      co_return;
    });
    BOOST_FAIL("expected leftover_tasks_error");
  } catch (const corio::testing::leftover_tasks_error& e) {
    BOOST_TEST(std::string(e.what()).find("'forgotten'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
