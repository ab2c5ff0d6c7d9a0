// test-labels: threads schedules
#include <corio/context.hpp>
#include <corio/exception_group.hpp>
#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::context_var<std::string> tag{"tag"};

corio::awaitable<int> steps(std::vector<std::string>& log, bool suspend) {
  log.push_back("first step");
  if (suspend) {
    co_await corio::sleep(1ms);
    log.push_back("after the suspension");
  }
  co_return 7;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(eager)

CORIO_TEST_CASE(spawn_eager_runs_the_first_step_before_returning) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> log;
  auto done_at_once = corio::spawn_eager(ex, steps(log, false));
  BOOST_TEST(log == std::vector<std::string>{"first step"}, boost::test_tools::per_element());
  BOOST_TEST(done_at_once.done());
  BOOST_TEST(done_at_once.get() == 7);

  log.clear();
  auto suspended = corio::spawn_eager(ex, steps(log, true));
  BOOST_TEST(log == std::vector<std::string>{"first step"}, boost::test_tools::per_element());
  BOOST_TEST(!suspended.done());
  BOOST_TEST(co_await suspended.wait() == 7);
  BOOST_TEST(log.size() == 2u);

  // A lazy spawn has not started when spawn returns.
  log.clear();
  auto lazy = corio::spawn(ex, steps(log, false));
  BOOST_TEST(log.empty());
  BOOST_TEST(co_await lazy.wait() == 7);
  BOOST_TEST(log.size() == 1u);
}

CORIO_TEST_CASE(an_eager_child_that_ends_at_once_is_joined_and_its_failure_cancels_the_group) {
  std::vector<std::string> log;
  int values = 0;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto t = g.spawn_eager(steps(log, false));
      BOOST_TEST(t.done());
      values += t.get();
    }
    auto later = g.spawn_eager(steps(log, true));
    BOOST_TEST(!later.done());
    co_return;
  });
  BOOST_TEST(values == 21);
  BOOST_TEST(log.size() == 5u);  // 4 first steps and the suspended child's second

  bool sibling_cancelled = false;
  try {
    co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
      g.spawn_eager([&]() -> corio::awaitable<void> {  // started: asleep when its sibling fails
        try {
          co_await corio::sleep(1h);
        } catch (...) {
          sibling_cancelled = true;
          throw;
        }
      });
      // Fails in its first step, inside spawn_eager: the call itself does not throw.
      g.spawn_eager([]() -> corio::awaitable<void> {
        throw std::runtime_error("at once");
        co_return;
      }());
      co_await corio::sleep(1h);  // cancelled by the failure
    });
    BOOST_FAIL("expected the group to fail");
  } catch (const corio::exception_group& e) {
    BOOST_TEST(e.size() == 1u);
  }
  BOOST_TEST(sibling_cancelled);
}

CORIO_TEST_CASE(an_eager_child_runs_its_first_step_in_its_own_context) {
  auto ex = co_await asio::this_coro::executor;
  auto parent = corio::spawn(
      ex,
      []() -> corio::awaitable<std::string> {
        auto ex2 = co_await asio::this_coro::executor;
        const auto me = corio::current_task();
        std::string seen;
        auto child = corio::spawn_eager(ex2, [&]() -> corio::awaitable<void> {
          const auto here = corio::current_task();
          seen = tag.get_or("?") + (here && me && here->id != me->id ? " (own task)" : " (parent's task)");
          tag.set("child's");
          co_return;
        });
        co_await child.wait();
        seen += " / " + tag.get_or("?");  // the parent's value is untouched
        co_return seen;
      },
      "parent", corio::context().with(tag, std::string("inherited")));
  BOOST_TEST(co_await parent.wait() == "inherited (own task) / inherited");
}

CORIO_TEST_CASE(an_eager_child_spawned_inside_context_run_changes_only_its_own_copy) {
  auto ex = co_await asio::this_coro::executor;
  std::string in_child;
  const std::string after = corio::context().with(tag, std::string("lent")).run([&] {
    auto child = corio::spawn_eager(ex, [&]() -> corio::awaitable<void> {
      in_child = tag.get_or("?");  // inherited from the context run lends
      tag.set("child's");
      co_return;
    });
    return tag.get_or("?");  // run's copy: untouched by the child's set
  });
  BOOST_TEST(in_child == "lent");
  BOOST_TEST(after == "lent");
}

BOOST_AUTO_TEST_CASE(spawn_eager_from_another_thread_is_scheduled) {
  asio::io_context ctx;
  std::vector<std::string> log;
  auto t = corio::spawn_eager(ctx.get_executor(), steps(log, false));  // not inside ctx's run()
  BOOST_TEST(log.empty());
  std::thread runner([&] { ctx.run(); });
  runner.join();
  BOOST_TEST(log.size() == 1u);
  BOOST_TEST(t.done());
}

BOOST_AUTO_TEST_SUITE_END()
