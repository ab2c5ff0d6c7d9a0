// test-labels: schedules
#include <corio/interop.hpp>

#include <corio/event.hpp>
#include <corio/race.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using corio::test::value_after;
using corio::test::fail_after;

using io_executor = asio::io_context::executor_type;


// A coroutine of another executor type, as an existing Asio codebase writes them.
asio::awaitable<int, io_executor> typed_coroutine() {
  const int a = co_await corio::as_operation(value_after(5ms, 40));
  co_await corio::as_operation(corio::sleep(1ms));
  co_return a + 2;
}

asio::awaitable<std::string, io_executor> typed_coroutine_catching() {
  try {
    co_await corio::as_operation(fail_after(1ms));
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "no error";
}

// The io_context's own executor (the test's executor wraps it: corio/testing.hpp).
io_executor io_of(const corio::executor& ex) {
  return static_cast<asio::io_context&>(asio::query(ex, asio::execution::context)).get_executor();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(interop)

CORIO_TEST_CASE(a_coroutine_of_another_executor_type_awaits_corio_coroutines_through_as_operation) {
  const auto io = io_of(co_await asio::this_coro::executor);
  const int v = co_await asio::co_spawn(io, typed_coroutine(), asio::use_awaitable_t<corio::executor>{});
  BOOST_TEST(v == 42);
  const std::string what =
      co_await asio::co_spawn(io, typed_coroutine_catching(), asio::use_awaitable_t<corio::executor>{});
  BOOST_TEST(what == "failed");
}

CORIO_TEST_CASE(as_operation_completes_a_plain_callback_on_the_context) {
  corio::event done;
  int got = 0;
  bool on_context = false;
  const auto io = io_of(co_await asio::this_coro::executor);
  corio::as_operation(value_after(3ms, 7), [&](std::exception_ptr e, int v) {
    on_context = io.running_in_this_thread();
    got = e ? -1 : v;
    done.set();
  });
  co_await done.wait();
  BOOST_TEST(got == 7);
  BOOST_TEST(on_context);
}

CORIO_TEST_CASE(as_operation_forwards_the_cancellation_of_its_handler) {
  corio::event done;
  std::exception_ptr error;
  asio::cancellation_signal signal;
  corio::as_operation(value_after(1h, 1), asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, int) {
                        error = e;
                        done.set();
                      }));
  co_await corio::sleep(1ms);
  signal.emit(asio::cancellation_type::terminal);
  co_await done.wait();
  BOOST_REQUIRE(error);
  BOOST_TEST(corio::is_cancellation(error));
}

CORIO_TEST_CASE(wait_for_takes_a_deferred_asio_operation_and_cancels_it_at_the_deadline) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer never(ex, std::chrono::hours(1));  // real time: only the deadline can end it
  const auto t0 = corio::clock::now();
  BOOST_CHECK_THROW(co_await corio::wait_for(never.async_wait(asio::deferred), 20ms), corio::timeout_error);
  BOOST_TEST((corio::clock::now() - t0 == 20ms));
  asio::steady_timer now(ex, std::chrono::seconds(0));
  co_await corio::wait_for(now.async_wait(asio::deferred), 1s);  // in time: returns normally
}

CORIO_TEST_CASE(with_timeout_and_race_take_deferred_asio_operations) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer never(ex, std::chrono::hours(1));
  auto body = [&] { return never.async_wait(asio::deferred); };
  auto r = co_await corio::move_on_after(5ms, body);
  BOOST_TEST(!r.has_value());
  auto winner = co_await corio::race(never.async_wait(asio::deferred), value_after(2ms, 9));
  BOOST_TEST(winner.index() == 1u);
  BOOST_TEST(std::get<1>(winner) == 9);
}

CORIO_TEST_CASE(async_wait_for_reports_timed_out_to_a_callback_after_cancelling_the_operation) {
  auto ex = co_await asio::this_coro::executor;
  const auto io = io_of(ex);
  asio::steady_timer never(ex, std::chrono::hours(1));
  corio::event done;
  boost::system::error_code got;
  bool on_context = false;
  corio::async_wait_for(never.async_wait(asio::deferred), 30ms, [&](boost::system::error_code ec) {
    got = ec;
    on_context = io.running_in_this_thread();
    done.set();
  });
  const auto t0 = corio::clock::now();
  co_await done.wait();
  BOOST_TEST((got == asio::error::timed_out));
  BOOST_TEST(on_context);
  BOOST_TEST((corio::clock::now() - t0 == 30ms));
}

CORIO_TEST_CASE(async_wait_for_passes_the_operation_result_through_when_in_time) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer soon(ex, std::chrono::seconds(0));
  corio::event done;
  boost::system::error_code got = asio::error::fault;
  corio::async_wait_for(soon.async_wait(asio::deferred), 1s, [&](boost::system::error_code ec) {
    got = ec;
    done.set();
  });
  co_await done.wait();
  BOOST_TEST(!got);
}

CORIO_TEST_CASE(async_wait_for_is_cancelled_through_its_handler_slot) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer never(ex, std::chrono::hours(1));
  asio::cancellation_signal signal;
  corio::event done;
  boost::system::error_code got;
  corio::async_wait_for(never.async_wait(asio::deferred), 1h,
                        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec) {
                          got = ec;
                          done.set();
                        }));
  co_await corio::sleep(1ms);
  signal.emit(asio::cancellation_type::terminal);
  co_await done.wait();
  BOOST_TEST((got == asio::error::operation_aborted));
}

CORIO_TEST_CASE(spawn_keeps_a_capturing_callable_alive_for_the_tasks_life) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::string> seen;
  std::vector<corio::task<void>> tasks;
  for (int i = 0; i < 3; ++i) {
    std::string label = "task-" + std::to_string(i) + std::string(40, '.');  // heap-allocated
    tasks.push_back(corio::spawn(ex, [&seen, label, i]() -> corio::awaitable<void> {
      co_await corio::sleep(std::chrono::milliseconds(i + 1));
      seen.push_back(label.substr(0, 6));  // the capture, read after suspending
    }));
  }
  for (auto& t : tasks) co_await t.wait();
  BOOST_TEST(seen == (std::vector<std::string>{"task-0", "task-1", "task-2"}), boost::test_tools::per_element());
}

CORIO_TEST_CASE(task_group_spawn_keeps_a_capturing_callable_alive_and_returns_its_value) {
  int total = 0;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    std::vector<corio::task<int>> children;
    for (int i = 1; i <= 3; ++i) {
      std::string digits(50, static_cast<char>('0' + i));
      children.push_back(g.spawn([digits, i]() -> corio::awaitable<int> {
        co_await corio::sleep(std::chrono::milliseconds(4 - i));
        co_return static_cast<int>(digits.size()) * i;
      }));
    }
    for (auto& c : children) total += co_await c.wait();
  });
  BOOST_TEST(total == 300);
}

BOOST_AUTO_TEST_SUITE_END()
