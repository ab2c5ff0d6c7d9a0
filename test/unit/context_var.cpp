// test-labels: threads schedules
#include <corio/context_var.hpp>

#include <corio/gather.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>
#include <corio/thread.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// The variables are built by the suite's fixture, before the first test's main task is spawned:
// only tasks spawned once a context_var exists are tracked (and constructing one at namespace
// scope here would turn tracking on for every other suite of this binary).
struct vars {
  corio::context_var<std::string> request{"request", "-"};
  corio::context_var<int> depth{"depth", 0};
  corio::context_var<std::string> user{"user"};
};
vars& v() {
  static vars instance;
  return instance;
}
struct make_vars {
  make_vars() { (void)v(); }
};

corio::awaitable<std::string> request_after(corio::duration d) {
  co_await corio::sleep(d);
  co_return v().request.get();
}

corio::awaitable<std::string> set_then_read(std::string value, corio::duration d) {
  auto t = v().request.set(std::move(value));
  co_await corio::sleep(d);
  co_return v().request.get();
}

corio::awaitable<int> spawn_chain(int left) {
  const int mine = v().depth.get() + 1;
  auto t = v().depth.set(mine);
  if (left == 0) co_return v().depth.get();
  auto ex = co_await asio::this_coro::executor;
  const int deepest = co_await corio::spawn(ex, spawn_chain(left - 1), "chain").wait();
  // The children's set() left this task's value alone.
  BOOST_TEST(v().depth.get() == mine);
  co_return deepest;
}

std::string read_request() { return v().request.get(); }

std::string set_on_thread() {
  auto t = v().request.set("thread");
  return v().request.get();
}

}  // namespace

BOOST_TEST_DECORATOR(*boost::unit_test::fixture<make_vars>())
BOOST_AUTO_TEST_SUITE(context_var)

CORIO_TEST_CASE(get_returns_the_default_until_set_and_reset_restores_it) {
  BOOST_TEST(v().request.get() == "-");
  auto t1 = v().request.set("a");
  BOOST_TEST(v().request.get() == "a");
  auto t2 = v().request.set("b");
  BOOST_TEST(v().request.get() == "b");
  v().request.reset(std::move(t2));
  BOOST_TEST(v().request.get() == "a");
  v().request.reset(std::move(t1));
  BOOST_TEST(v().request.get() == "-");
  co_return;
}

CORIO_TEST_CASE(a_token_is_used_once_and_only_with_its_variable) {
  auto t = v().request.set("a");
  auto other = v().user.set("u");
  BOOST_CHECK_THROW(v().request.reset(std::move(other)), std::logic_error);
  v().request.reset(std::move(t));
  BOOST_CHECK_THROW(v().request.reset(std::move(t)), std::logic_error);  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(v().request.get() == "-");
  BOOST_TEST(v().user.get() == "u");
  co_return;
}

CORIO_TEST_CASE(a_scoped_setter_resets_at_the_end_of_its_scope) {
  {
    corio::context_var<std::string>::scoped s(v().request, "scoped");
    BOOST_TEST(v().request.get() == "scoped");
  }
  BOOST_TEST(v().request.get() == "-");
  co_return;
}

CORIO_TEST_CASE(a_child_inherits_the_value_its_parent_had_at_the_spawn) {
  auto ex = co_await asio::this_coro::executor;
  auto t = v().request.set("parent");
  auto child = corio::spawn(ex, request_after(10ms), "child");
  // Set after the spawn: the child keeps the copy taken at the spawn.
  auto later = v().request.set("parent-later");
  const std::string seen = co_await child.wait();
  BOOST_TEST(seen == "parent");
  BOOST_TEST(v().request.get() == "parent-later");
}

CORIO_TEST_CASE(a_childs_set_reaches_neither_its_parent_nor_its_sibling) {
  auto ex = co_await asio::this_coro::executor;
  auto t = v().request.set("parent");
  auto setter = corio::spawn(ex, set_then_read("child", 10ms), "setter");
  auto sibling = corio::spawn(ex, request_after(20ms), "sibling");
  const std::string set_seen = co_await setter.wait();
  const std::string sibling_seen = co_await sibling.wait();
  BOOST_TEST(set_seen == "child");
  BOOST_TEST(sibling_seen == "parent");
  BOOST_TEST(v().request.get() == "parent");
}

CORIO_TEST_CASE(a_plain_co_await_shares_the_tasks_context) {
  const std::string seen = co_await set_then_read("sub", 1ms);
  BOOST_TEST(seen == "sub");
  // The sub-coroutine's token died without a reset: its set() stays, as in Python.
  BOOST_TEST(v().request.get() == "sub");
}

CORIO_TEST_CASE(task_group_and_gather_children_inherit_and_stay_isolated) {
  auto t = v().request.set("outer");
  std::vector<std::string> seen(2);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn([&]() -> corio::awaitable<void> { seen[0] = co_await set_then_read("g0", 5ms); });
    g.spawn([&]() -> corio::awaitable<void> { seen[1] = co_await request_after(10ms); });
    co_return;
  });
  BOOST_TEST(seen[0] == "g0");
  BOOST_TEST(seen[1] == "outer");
  auto [a, b] = co_await corio::gather(set_then_read("x", 5ms), request_after(10ms));
  BOOST_TEST(a == "x");
  BOOST_TEST(b == "outer");
  BOOST_TEST(v().request.get() == "outer");
}

CORIO_TEST_CASE(a_deep_spawn_chain_sees_each_ancestors_value) {
  auto ex = co_await asio::this_coro::executor;
  const int deepest = co_await corio::spawn(ex, spawn_chain(50), "chain").wait();
  BOOST_TEST(deepest == 51);
  BOOST_TEST(v().depth.get() == 0);
}

CORIO_TEST_CASE(to_thread_does_not_carry_the_context_unless_bound) {
  auto t = v().request.set("task");
  const std::string plain = co_await corio::to_thread(read_request);
  BOOST_TEST(plain == "-");
  auto bound = corio::bind_context(read_request);
  const std::string carried = co_await corio::to_thread(bound);
  BOOST_TEST(carried == "task");
  // A set() on the thread changes only the copy.
  auto bound_set = corio::bind_context(set_on_thread);
  const std::string on_thread = co_await corio::to_thread(bound_set);
  BOOST_TEST(on_thread == "thread");
  BOOST_TEST(v().request.get() == "task");
}

CORIO_TEST_CASE(current_task_names_the_running_task) {
  auto ex = co_await asio::this_coro::executor;
  auto probe = []() -> corio::awaitable<std::optional<corio::task_info>> {
    co_await corio::sleep(1ms);
    co_return corio::current_task();
  };
  auto t = corio::spawn(ex, probe, "probe");
  const std::optional<corio::task_info> info = co_await t.wait();
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->name == "probe");
  BOOST_TEST(info->id != 0u);
  const std::optional<corio::task_info> me = corio::current_task();
  BOOST_TEST_REQUIRE(me.has_value());
  BOOST_TEST(me->id != info->id);
  auto off_task = [] { return corio::current_task(); };
  const std::optional<corio::task_info> on_thread = co_await corio::to_thread(off_task);
  BOOST_TEST(!on_thread.has_value());
}

BOOST_AUTO_TEST_CASE(outside_any_task_get_gives_the_default_and_set_throws) {
  BOOST_TEST(!corio::current_task().has_value());
  BOOST_TEST(v().request.get() == "-");
  BOOST_CHECK_THROW((void)v().request.set("x"), std::logic_error);
  const std::string in_copy = corio::copy_context().run([] {
    auto t = v().request.set("copy");
    return v().request.get();
  });
  BOOST_TEST(in_copy == "copy");
  BOOST_TEST(v().request.get() == "-");
}

BOOST_AUTO_TEST_SUITE_END()
