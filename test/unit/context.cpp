// test-labels: threads schedules
#include <corio/context.hpp>

#include <corio/gather.hpp>
#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>
#include <corio/thread.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::context_var<std::string> user{"user"};
corio::context_var<int> depth{"depth", -1};

corio::awaitable<std::optional<std::string>> user_here() { co_return user.get(); }

corio::awaitable<std::string> user_after(corio::duration d) {
  co_await corio::sleep(d);
  co_return user.get_or("none");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(context)

CORIO_TEST_CASE(outside_a_context_get_gives_the_default_and_set_is_refused) {
  BOOST_TEST(!user.get());
  BOOST_TEST(user.get_or("x") == "x");
  BOOST_TEST(*depth.get() == -1);
  BOOST_TEST(!user.is_set());
  BOOST_TEST(!corio::context::current().get(user));
  // The test's main task carries no context (and the test runs outside debug mode).
  BOOST_CHECK_THROW(user.set("a"), std::logic_error);
  auto ex = co_await asio::this_coro::executor;
  auto plain = corio::spawn(ex, [&]() -> corio::awaitable<bool> {
    try {
      depth.set(1);
    } catch (const std::logic_error& e) {
      co_return std::string(e.what()).find("depth") != std::string::npos;
    }
    co_return false;
  });
  BOOST_TEST(co_await plain.wait());
  BOOST_TEST(!corio::current_task());
}

CORIO_TEST_CASE(a_task_spawned_with_a_context_sees_it_and_its_children_inherit_it) {
  auto ex = co_await asio::this_coro::executor;
  const auto ctx = corio::context().with(user, std::string("ada")).with(depth, 0);
  BOOST_TEST(!ctx.empty());
  BOOST_TEST(*ctx.get(user) == "ada");
  auto t = corio::spawn(
      ex,
      []() -> corio::awaitable<std::vector<std::string>> {
        std::vector<std::string> seen;
        seen.push_back(user.get_or("?") + "/" + std::to_string(depth.get_or(-2)));
        auto ex2 = co_await asio::this_coro::executor;
        auto child = corio::spawn(ex2, user_here());
        seen.push_back(*co_await child.wait());
        co_await corio::sleep(5ms);  // after a suspension: still there
        seen.push_back(user.get_or("?"));
        co_return seen;
      },
      "with-context", ctx);
  const auto seen = co_await t.wait();
  BOOST_TEST(seen == (std::vector<std::string>{"ada/0", "ada", "ada"}), boost::test_tools::per_element());
  BOOST_TEST(!user.get());  // the spawner's own context is untouched (it has none)
}

CORIO_TEST_CASE(a_set_is_seen_by_later_children_only_and_never_by_the_parent_or_siblings) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(
      ex,
      []() -> corio::awaitable<std::vector<std::string>> {
        auto ex2 = co_await asio::this_coro::executor;
        user.set("first");
        auto early = corio::spawn(ex2, user_after(10ms));  // copies "first" now
        user.set("second");
        auto late = corio::spawn(ex2, user_here());
        auto sibling_setter = corio::spawn(ex2, []() -> corio::awaitable<std::string> {
          user.set("child's own");
          co_await corio::sleep(1ms);
          co_return user.get_or("?");
        });
        auto sibling = corio::spawn(ex2, user_after(5ms));
        std::vector<std::string> seen;
        seen.push_back(co_await early.wait());
        seen.push_back(*co_await late.wait());
        seen.push_back(co_await sibling_setter.wait());
        seen.push_back(co_await sibling.wait());
        seen.push_back(user.get_or("?"));  // the parent: its own last set
        user.reset();
        seen.push_back(user.get_or("unset"));
        co_return seen;
      },
      "parent", corio::context());
  const auto seen = co_await t.wait();
  BOOST_TEST(seen == (std::vector<std::string>{"first", "second", "child's own", "second", "second", "unset"}),
             boost::test_tools::per_element());
}

CORIO_TEST_CASE(groups_gather_and_timeouts_run_their_children_in_the_spawners_context) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(
      ex,
      []() -> corio::awaitable<std::vector<std::string>> {
        std::vector<std::string> seen;
        user.set("grace");
        co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
          seen.push_back(user.get_or("?"));  // the group's body
          auto c = g.spawn(user_after(1ms));
          seen.push_back(co_await c.wait());
          auto other = g.spawn(user_here(), "other", corio::context().with(user, std::string("given")));
          seen.push_back(*co_await other.wait());
        });
        auto [a, b] = co_await corio::gather(user_after(2ms), user_after(1ms));
        seen.push_back(a);
        seen.push_back(b);
        const auto me = corio::current_task();
        seen.push_back(co_await corio::wait_for(user_after(1ms), 1s));
        seen.push_back(co_await corio::with_timeout(1s, [&](corio::timeout_scope&) -> corio::awaitable<std::string> {
          // A timeout's body runs in the task itself.
          const auto here = corio::current_task();
          co_return (here && me && here->id == me->id) ? std::string("same task") : std::string("other task");
        }));
        co_return seen;
      },
      "grouping", corio::context());
  const auto seen = co_await t.wait();
  BOOST_TEST(seen == (std::vector<std::string>{"grace", "grace", "given", "grace", "grace", "grace", "same task"}),
             boost::test_tools::per_element());
}

CORIO_TEST_CASE(current_task_names_a_task_with_a_context) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(
      ex,
      []() -> corio::awaitable<std::optional<corio::task_info>> {
        co_await corio::sleep(1ms);
        co_return corio::current_task();
      },
      "named one", corio::context());
  const auto info = co_await t.wait();
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->id == t.id());
  BOOST_TEST(info->name == "named one");
}

CORIO_TEST_CASE(to_thread_sees_no_context_unless_bound_and_a_bound_set_stays_there) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(
      ex,
      []() -> corio::awaitable<std::vector<std::string>> {
        user.set("main");
        std::vector<std::string> seen;
        seen.push_back(co_await corio::to_thread([] { return user.get_or("none"); }));
        seen.push_back(co_await corio::to_thread(corio::context::current().bind([](const std::string& suffix) {
          const auto before = user.get_or("none");
          user.set("changed on the thread");
          return before + suffix + "|" + user.get_or("none");
        }), std::string("+")));
        seen.push_back(user.get_or("none"));  // the caller's value is untouched
        co_return seen;
      },
      "threads", corio::context());
  const auto seen = co_await t.wait();
  BOOST_TEST(seen == (std::vector<std::string>{"none", "main+|changed on the thread", "main"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(run_lends_a_copy_of_the_context_on_the_calling_thread) {
  const auto ctx = corio::context().with(user, std::string("lent"));
  BOOST_TEST(!user.get());
  const auto inside = ctx.run([] {
    const auto before = user.get_or("?");
    user.set("set inside");
    const auto nested = corio::context().run([] { return user.get_or("empty"); });
    return before + "," + user.get_or("?") + "," + nested;
  });
  BOOST_TEST(inside == "lent,set inside,empty");
  BOOST_TEST(*ctx.get(user) == "lent");  // a context is immutable
  BOOST_TEST(!user.get());               // restored after run
  BOOST_CHECK_THROW(ctx.run([]() -> int { throw std::runtime_error("x"); }), std::runtime_error);
  BOOST_TEST(!user.get());  // restored after a throw too
}

BOOST_AUTO_TEST_CASE(a_child_on_another_thread_inherits_a_copy) {
  // A task on one io_context spawns a child on another, run by a second thread.
  asio::io_context other;
  auto guard = asio::make_work_guard(other);
  std::thread runner([&] { other.run(); });
  std::vector<std::string> seen;
  corio::run([&]() -> corio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto t = corio::spawn(
        ex,
        [&]() -> corio::awaitable<void> {
          user.set("across");
          auto remote = corio::spawn(other.get_executor(), []() -> corio::awaitable<std::string> {
            const auto v = user.get_or("none");
            user.set("remote's own");
            co_return v;
          });
          seen.push_back(co_await remote.wait());
          seen.push_back(user.get_or("none"));
        },
        "local", corio::context());
    co_await t.wait();
  }());
  guard.reset();
  runner.join();
  BOOST_TEST(seen == (std::vector<std::string>{"across", "across"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE_WITH(in_debug_mode_every_task_may_set_and_is_named, (corio::testing::options{.debug = true})) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(
      ex,
      []() -> corio::awaitable<std::string> {
        depth.set(3);  // no context given: debug mode traces every task
        auto ex2 = co_await asio::this_coro::executor;
        auto child = corio::spawn(ex2, []() -> corio::awaitable<int> { co_return depth.get_or(-5); });
        const auto info = corio::current_task();
        const int got = co_await child.wait();
        const std::string name = info ? info->name : "?";
        co_return std::to_string(got) + " " + name;
      },
      "debugged");
  BOOST_TEST(co_await t.wait() == "3 debugged");
}

CORIO_TEST_CASE(a_plain_task_is_known_once_its_context_attributes_tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto& ctx = asio::query(ex, asio::execution::context);
  auto who = []() -> corio::awaitable<std::optional<corio::task_info>> {
    co_await corio::sleep(1ms);  // known after a suspension, not only in the first step
    co_return corio::current_task();
  };
  auto before = corio::spawn(ex, who(), "plain");
  corio::attribute_tasks(ctx);
  auto after = corio::spawn(ex, who(), "attributed");
  // Attribution is fixed at the spawn: `before` still runs unattributed.
  BOOST_TEST(!(co_await before.wait()).has_value());
  const auto known = co_await after.wait();
  BOOST_TEST_REQUIRE(known.has_value());
  BOOST_TEST(known->id == after.id());
  BOOST_TEST(known->name == "attributed");
  // A group's children: each knows itself, not its parent.
  std::vector<std::uint64_t> ids;
  std::vector<std::uint64_t> seen;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto c = g.spawn(
          [&seen]() -> corio::awaitable<void> {
            co_await corio::sleep(1ms);
            seen.push_back(corio::current_task()->id);
          },
          "child");
      ids.push_back(c.id());
    }
    co_return;
  });
  std::sort(seen.begin(), seen.end());
  BOOST_TEST(seen == ids, boost::test_tools::per_element());
  corio::attribute_tasks(ctx, false);
  auto off_again = corio::spawn(ex, who(), "plain again");
  BOOST_TEST(!(co_await off_again.wait()).has_value());
}

BOOST_AUTO_TEST_CASE(run_with_attribute_tasks_names_main_and_tasks_on_every_shard) {
  std::vector<std::string> names;
  corio::run(
      [&]() -> corio::awaitable<void> {
        names.push_back(corio::current_task() ? corio::current_task()->name : "?");
        auto remote = corio::spawn(corio::shards().at(1), []() -> corio::awaitable<std::string> {
          co_await corio::sleep(1ms);
          co_return corio::current_task() ? corio::current_task()->name : "?";
        }, "on shard 1");
        names.push_back(co_await remote.wait());
        user.set("allowed");  // an attributed task may set values too
        names.push_back(user.get_or("none"));
      }(),
      {.threads = 2, .attribute_tasks = true});
  BOOST_TEST(names == (std::vector<std::string>{"main", "on shard 1", "allowed"}), boost::test_tools::per_element());
  BOOST_TEST(!corio::current_task().has_value());  // outside any task
}

BOOST_AUTO_TEST_SUITE_END()
