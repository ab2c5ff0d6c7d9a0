// test-labels: threads schedules
#include <corio/debug.hpp>

#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include "support/capture_log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> hog() {
  co_await corio::sleep(1ms);
  std::this_thread::sleep_for(300ms);  // blocks its thread: the bug debug mode reports
  co_await corio::sleep(1ms);
}

corio::awaitable<void> spawn_hog_and_wait() {
  co_await corio::spawn(co_await asio::this_coro::executor, hog(), "hog");
}

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& what) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.find(what) != std::string::npos;
  return n;
}

corio::awaitable<void> return_at_once() { co_return; }

corio::testing::options debug_on() {
  corio::testing::options o;
  o.debug = true;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(debug)

BOOST_AUTO_TEST_CASE(a_step_blocking_for_300_ms_triggers_exactly_one_warning_naming_the_task) {
  corio::test::capture_log captured;
  corio::testing::run_test(spawn_hog_and_wait, debug_on());
  const auto lines = captured.lines();
  BOOST_TEST(count_containing(lines, "blocked its thread") == 1u);
  BOOST_TEST(count_containing(lines, "'hog' blocked its thread for 3") == 1u);
  BOOST_TEST(count_containing(lines, "(then waited on sleep)") == 1u);
  BOOST_TEST(lines.size() == 1u);
}

BOOST_AUTO_TEST_CASE(with_debug_off_nothing_is_logged) {
  corio::test::capture_log captured;
  corio::testing::run_test(spawn_hog_and_wait);
  BOOST_TEST(captured.lines().empty());
}

CORIO_TEST_CASE_WITH(the_dump_lists_a_group_with_its_three_suspended_children, debug_on()) {
  auto& ctx = asio::query(co_await asio::this_coro::executor, asio::execution::context);
  std::string dump;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(corio::sleep(1h), "child a");
    g.spawn(corio::sleep(1h), "child b");
    g.spawn(corio::sleep(1h), "child c");
    co_await corio::sleep(1ms);
    dump = corio::dump_tasks(ctx);
    g.cancel();
  };
  co_await corio::task_group::run(body);
  BOOST_TEST_MESSAGE(dump);
  // test main → its task_group → body + three children, each indented one level deeper
  BOOST_TEST(dump.find("5 live tasks\ntask #") == 0u);
  BOOST_TEST(dump.find("'test main' suspended") != std::string::npos);
  BOOST_TEST(dump.find("waiting on task_group\n  task_group #") != std::string::npos);
  BOOST_TEST(dump.find("(4 tasks)\n    task #") != std::string::npos);
  for (const char* child : {"child a", "child b", "child c"}) {
    BOOST_TEST(dump.find(std::string("    task #")) != std::string::npos);
    BOOST_TEST(dump.find(std::string("'") + child + "' suspended, age ") != std::string::npos);
  }
  BOOST_TEST(dump.find("waiting on sleep") != std::string::npos);
}

CORIO_TEST_CASE_WITH(the_json_dump_parses_and_has_the_documented_fields, debug_on()) {
  auto& ctx = asio::query(co_await asio::this_coro::executor, asio::execution::context);
  auto t = corio::spawn(co_await asio::this_coro::executor, corio::sleep(1h), "sleeper");
  co_await corio::sleep(1ms);
  const auto doc = boost::json::parse(corio::dump_tasks_json(ctx));
  const auto& tasks = doc.at("tasks").as_array();
  BOOST_REQUIRE(tasks.size() == 2u);  // test main + sleeper
  bool found = false;
  for (const auto& v : tasks) {
    const auto& o = v.as_object();
    BOOST_TEST(o.at("id").is_number());
    BOOST_TEST(o.at("age_ms").is_number());
    BOOST_TEST((o.at("group").is_null() || o.at("group").is_object()));
    BOOST_TEST(o.contains("waiting_on"));
    if (o.at("name").as_string() == "sleeper") {
      found = true;
      BOOST_TEST(o.at("state").as_string() == "suspended");
      BOOST_TEST(o.at("waiting_on").as_string() == "sleep");
    }
  }
  BOOST_TEST(found);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
}

CORIO_TEST_CASE(live_tasks_counts_tasks_until_they_end) {
  const auto ex = co_await asio::this_coro::executor;
  auto& ctx = asio::query(ex, asio::execution::context);
  BOOST_TEST(corio::live_tasks(ctx) == 1u);  // test main
  const auto everywhere = corio::live_tasks();
  auto succeeds = corio::spawn(ex, corio::sleep(1s), "ends at 1 s");
  auto fails = corio::spawn(ex, corio::test::fail_after<void>(2s, "failed on purpose"), "fails at 2 s");
  auto cancelled = corio::spawn(ex, corio::sleep(1h), "cancelled at 3 s");
  // Counted from the spawn on, before they first run.
  BOOST_TEST(corio::live_tasks(ctx) == 4u);
  BOOST_TEST(corio::live_tasks() == everywhere + 3);
  co_await corio::sleep(1500ms);
  BOOST_TEST(corio::live_tasks(ctx) == 3u);
  co_await corio::sleep(1s);
  BOOST_TEST(corio::live_tasks(ctx) == 2u);
  cancelled.cancel();
  BOOST_CHECK_THROW(co_await cancelled.wait(), boost::system::system_error);
  BOOST_TEST(corio::live_tasks(ctx) == 1u);
  BOOST_TEST(corio::live_tasks() == everywhere);
  co_await succeeds.wait();
  BOOST_CHECK_THROW(co_await fails.wait(), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(live_tasks_of_a_context_counts_only_that_contexts_tasks) {
  asio::io_context a;
  asio::io_context b;
  BOOST_TEST(corio::live_tasks(a) == 0u);  // never ran a task
  auto t = corio::spawn(a, return_at_once(), "in a");
  BOOST_TEST(corio::live_tasks(a) == 1u);
  BOOST_TEST(corio::live_tasks(b) == 0u);
  a.run();
  BOOST_TEST(corio::live_tasks(a) == 0u);
  t.get();
}

BOOST_AUTO_TEST_CASE(the_dump_may_be_taken_from_another_thread_while_groups_spawn_children) {
  // A listed task is complete (its group included) before another thread can see it in a dump.
  asio::io_context ctx;
  std::atomic<bool> done{false};
  corio::spawn(
      ctx.get_executor(),
      [&]() -> corio::awaitable<void> {
        for (int round = 0; round < 200; ++round) {
          co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
            for (int i = 0; i < 20; ++i) g.spawn(corio::sleep(std::chrono::microseconds(i)), "child");
            co_return;
          });
        }
        done = true;
      },
      "spawner");
  std::thread runner([&] { ctx.run(); });
  std::size_t dumps = 0;
  do {
    const auto j = boost::json::parse(corio::dump_tasks_json(ctx));
    BOOST_TEST_REQUIRE(j.as_object().contains("tasks"));
    ++dumps;
  } while (!done);
  runner.join();
  BOOST_TEST(dumps > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
