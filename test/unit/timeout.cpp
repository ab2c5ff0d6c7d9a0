// test-labels: schedules
#include <corio/timeout.hpp>

#include <corio/task.hpp>
#include <corio/sleep.hpp>
#include <corio/testing.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "support/coroutines.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

using corio::test::value_after;

corio::awaitable<int> with_cleanup(corio::duration d, std::vector<std::string>& log) {
  struct cleanup {
    std::vector<std::string>& log;
    ~cleanup() { log.push_back("cleanup"); }
  } c{log};
  co_await corio::sleep(d);
  co_return 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timeout)

CORIO_TEST_CASE(wait_for_returns_the_value_when_in_time) {
  const auto t0 = corio::clock::now();
  BOOST_TEST(co_await corio::wait_for(value_after(10ms, 4), 1s) == 4);
  BOOST_TEST((corio::clock::now() - t0 == 10ms));
}

CORIO_TEST_CASE(wait_for_cancels_the_operation_and_waits_for_it_before_throwing) {
  std::vector<std::string> log;
  const auto t0 = corio::clock::now();
  try {
    co_await corio::wait_for(with_cleanup(1h, log), 30s);
    BOOST_FAIL("expected timeout_error");
  } catch (const corio::timeout_error&) {
    log.push_back("timeout_error");
  }
  BOOST_TEST(log == (std::vector<std::string>{"cleanup", "timeout_error"}), boost::test_tools::per_element());
  BOOST_TEST((corio::clock::now() - t0 == 30s));
}

CORIO_TEST_CASE(when_the_inner_scope_expires_only_the_inner_reports_a_timeout) {
  bool inner_timed_out = false;
  auto outer_body = [&]() -> corio::awaitable<int> {
    try {
      co_await corio::with_timeout(10ms, [] { return corio::sleep(1h); });
    } catch (const corio::timeout_error&) {
      inner_timed_out = true;
    }
    co_return 5;  // the outer scope is unaffected
  };
  BOOST_TEST(co_await corio::with_timeout(1s, outer_body) == 5);
  BOOST_TEST(inner_timed_out);
}

CORIO_TEST_CASE(when_the_outer_scope_expires_while_the_inner_is_pending_the_outer_reports_it) {
  bool inner_saw_timeout = false, inner_saw_cancellation = false;
  auto outer_body = [&]() -> corio::awaitable<void> {
    try {
      co_await corio::with_timeout(1h, [] { return corio::sleep(2h); });
    } catch (const corio::timeout_error&) {
      inner_saw_timeout = true;
      throw;
    } catch (const boost::system::system_error&) {
      inner_saw_cancellation = true;
      throw;
    }
  };
  const auto t0 = corio::clock::now();
  BOOST_CHECK_THROW(co_await corio::with_timeout(20ms, outer_body), corio::timeout_error);
  BOOST_TEST(!inner_saw_timeout);
  BOOST_TEST(inner_saw_cancellation);
  BOOST_TEST((corio::clock::now() - t0 == 20ms));
}

CORIO_TEST_CASE(rescheduling_from_inside_extends_the_deadline) {
  const auto t0 = corio::clock::now();
  auto body = [](corio::timeout_scope& s) -> corio::awaitable<int> {
    co_await corio::sleep(80ms);
    s.reschedule(corio::clock::now() + 100ms);  // was due at 100 ms, now at 180 ms
    co_await corio::sleep(90ms);
    co_return 9;
  };
  BOOST_TEST(co_await corio::with_timeout(100ms, body) == 9);
  BOOST_TEST((corio::clock::now() - t0 == 170ms));
}

CORIO_TEST_CASE(rescheduling_earlier_expires_sooner) {
  const auto t0 = corio::clock::now();
  auto body = [](corio::timeout_scope& s) -> corio::awaitable<void> {
    s.reschedule_after(5ms);
    co_await corio::sleep(1h);
  };
  BOOST_CHECK_THROW(co_await corio::with_timeout(1s, body), corio::timeout_error);
  BOOST_TEST((corio::clock::now() - t0 == 5ms));
}

CORIO_TEST_CASE(move_on_after_returns_empty_on_expiry_and_the_value_otherwise) {
  auto slow = [] { return value_after(1h, 1); };
  auto fast = [] { return value_after(1ms, 2); };
  auto r1 = co_await corio::move_on_after(10ms, slow);
  BOOST_TEST(!r1.has_value());
  auto r2 = co_await corio::move_on_after(10ms, fast);
  BOOST_REQUIRE(r2.has_value());
  BOOST_TEST(*r2 == 2);
}

CORIO_TEST_CASE(errors_of_the_work_pass_through_unchanged) {
  auto failing = []() -> corio::awaitable<void> {
    co_await corio::sleep(1ms);
    throw std::invalid_argument("bad");
  };
  BOOST_CHECK_THROW(co_await corio::with_timeout(1s, failing), std::invalid_argument);
}

CORIO_TEST_CASE(cancelling_the_caller_is_a_cancellation_not_a_timeout) {
  auto ex = co_await asio::this_coro::executor;
  auto t = corio::spawn(ex, corio::wait_for(value_after(1h, 1), 2h));
  co_await corio::sleep(1ms);
  t.cancel();
  try {
    co_await t.wait();
    BOOST_FAIL("expected cancellation");
  } catch (const corio::timeout_error&) {
    BOOST_FAIL("not a timeout");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(e.code() == asio::error::operation_aborted);
  }
}

CORIO_TEST_CASE(a_thirty_second_timeout_on_a_sixty_second_sleep_fires_at_exactly_thirty_virtual_seconds) {
  const auto real0 = std::chrono::steady_clock::now();
  const auto t0 = corio::clock::now();
  BOOST_CHECK_THROW(co_await corio::wait_for(corio::sleep(60s), 30s), corio::timeout_error);
  BOOST_TEST((corio::clock::now() - t0 == 30s));
  BOOST_TEST((std::chrono::steady_clock::now() - real0 < 100ms));
}

// The deadlines of concurrent scopes share one timer per context (detail::deadline_queue): each
// must still fire at its own instant, in order, whatever order they were armed and moved in.
CORIO_TEST_CASE(many_concurrent_scopes_each_expire_at_their_own_deadline) {
  auto ex = co_await asio::this_coro::executor;
  const auto t0 = corio::clock::now();
  constexpr int n = 200;
  std::vector<corio::duration> fired_at(n, corio::duration::zero());
  std::vector<corio::task<void>> tasks;
  for (int i = 0; i < n; ++i) {
    // Deadlines 1..200 ms armed in a scrambled order; every third one is moved once from inside.
    const auto d = std::chrono::milliseconds((i * 37) % n + 1);
    auto body = [&fired_at, i, d, t0](corio::timeout_scope& s) -> corio::awaitable<void> {
      if (i % 3 == 0) s.reschedule(t0 + d + 500ms);  // later: fires 500 ms after its first deadline
      if (i % 3 == 1) s.reschedule(t0 + d / 2);      // earlier
      try {
        co_await corio::sleep(1h);
      } catch (...) {
        fired_at[static_cast<std::size_t>(i)] = corio::clock::now() - t0;
        throw;
      }
    };
    tasks.push_back(corio::spawn(ex, [](corio::duration dd, decltype(body) b) -> corio::awaitable<void> {
      BOOST_CHECK_THROW(co_await corio::with_timeout(dd, b), corio::timeout_error);
    }(d, body)));
  }
  for (auto& t : tasks) co_await t.wait();
  for (int i = 0; i < n; ++i) {
    const auto d = std::chrono::milliseconds((i * 37) % n + 1);
    const corio::duration expected = i % 3 == 0 ? d + 500ms : i % 3 == 1 ? d / 2 : d;
    BOOST_TEST((fired_at[static_cast<std::size_t>(i)] == expected),
               "scope " << i << ": fired at " << fired_at[static_cast<std::size_t>(i)].count() << " ns, expected "
                        << expected.count());
  }
}

// (A named coroutine, not a lambda: the lambda object would be gone before the coroutine ran.)
corio::awaitable<void> three_quick_ops_under_long_timeouts(int& sum) {
  for (int i = 0; i < 3; ++i) sum += co_await corio::wait_for(value_after(1ms, i), 1h);
}

// A scope that ends early leaves nothing behind: the shared timer is disarmed once no deadline is
// pending, so the context runs out of work at once instead of waiting for the hour-long deadline.
// (Real time: had the timer stayed armed, run_for() would return only after its 10 s, unstopped.)
BOOST_AUTO_TEST_CASE(an_early_finish_leaves_no_timer_that_keeps_the_context_busy) {
  asio::io_context ctx;
  int sum = 0;
  asio::co_spawn(ctx, three_quick_ops_under_long_timeouts(sum), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ctx.run_for(10s);
  BOOST_TEST(sum == 3);
  BOOST_TEST(ctx.stopped());
}

CORIO_TEST_CASE(work_that_never_suspends_returns_its_value_even_past_its_deadline) {
  auto instant = []() -> corio::awaitable<int> { co_return 7; };
  BOOST_TEST(co_await corio::wait_for(instant(), 1s) == 7);
  // A deadline already in the past: the work still runs up to its first suspension point, and a
  // result it reaches without suspending wins.
  BOOST_TEST(co_await corio::with_deadline(corio::clock::now() - 1s, instant) == 7);
  auto r = co_await corio::move_on_at(corio::clock::now() - 1s, [] { return value_after(1ms, 1); });
  BOOST_TEST(!r.has_value());
}

corio::awaitable<void> set_flag(bool& flag) {
  flag = true;
  co_return;
}

corio::awaitable<void> scope_after_cancellation(bool& started) {
  co_await asio::this_coro::throw_if_cancelled(false);
  co_await corio::sleep(1h);  // cancelled here; not thrown
  co_await corio::wait_for(set_flag(started), 1s);
}

CORIO_TEST_CASE(a_caller_cancelled_before_the_scope_never_starts_the_work) {
  auto ex = co_await asio::this_coro::executor;
  bool started = false;
  auto t = corio::spawn(ex, scope_after_cancellation(started));
  co_await corio::sleep(1ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(!started);
}

namespace {
struct no_default {
  explicit no_default(int x) : v(x) {}
  int v;
};
}  // namespace

CORIO_TEST_CASE(results_without_a_default_constructor_are_returned) {
  auto make = []() -> corio::awaitable<no_default> {
    co_await corio::sleep(1ms);
    co_return no_default(3);
  };
  auto r = co_await corio::with_timeout(1s, make);
  BOOST_TEST(r.v == 3);
  auto slow = []() -> corio::awaitable<no_default> {
    co_await corio::sleep(1h);
    co_return no_default(4);
  };
  auto m = co_await corio::move_on_after(1s, slow);
  BOOST_TEST(!m.has_value());
}

// A deadline that has passed already: the work starts, runs to its first suspension point, and
// is cancelled there — even when that suspension point is only a yield or a sleep(0).

namespace {

struct checkpoint_log {
  bool started = false;
  bool passed_checkpoint = false;
};

corio::awaitable<int> yield_once(checkpoint_log& log) {
  log.started = true;
  co_await corio::yield();
  log.passed_checkpoint = true;
  co_return 1;
}

corio::awaitable<int> sleep_zero_once(checkpoint_log& log) {
  log.started = true;
  co_await corio::sleep(0s);
  log.passed_checkpoint = true;
  co_return 1;
}

corio::awaitable<int> never_suspends(checkpoint_log& log) {
  log.started = true;
  log.passed_checkpoint = true;
  co_return 7;
}

}  // namespace

CORIO_TEST_CASE(with_timeout_zero_around_a_body_that_only_yields_times_out_at_the_yield) {
  checkpoint_log log;
  auto body = [&] { return yield_once(log); };
  BOOST_CHECK_THROW(co_await corio::with_timeout(0s, body), corio::timeout_error);
  BOOST_TEST(log.started);
  BOOST_TEST(!log.passed_checkpoint);
}

CORIO_TEST_CASE(with_timeout_in_the_past_around_a_body_that_sleeps_zero_times_out_at_the_sleep) {
  checkpoint_log log;
  auto body = [&] { return sleep_zero_once(log); };
  BOOST_CHECK_THROW(co_await corio::with_timeout(-1s, body), corio::timeout_error);
  BOOST_TEST(log.started);
  BOOST_TEST(!log.passed_checkpoint);
}

CORIO_TEST_CASE(wait_for_zero_and_negative_run_the_work_to_its_first_checkpoint_then_time_out) {
  for (corio::duration d : {corio::duration(0s), corio::duration(-5s)}) {
    checkpoint_log log;
    const auto t0 = corio::clock::now();
    BOOST_CHECK_THROW(co_await corio::wait_for(yield_once(log), d), corio::timeout_error);
    BOOST_TEST(log.started);
    BOOST_TEST(!log.passed_checkpoint);
    BOOST_TEST((corio::clock::now() == t0));
  }
}

CORIO_TEST_CASE(wait_for_zero_returns_the_value_of_work_that_never_suspends) {
  checkpoint_log log;
  BOOST_TEST(co_await corio::wait_for(never_suspends(log), 0s) == 7);
  BOOST_TEST(co_await corio::wait_for(never_suspends(log), -1s) == 7);
}

CORIO_TEST_CASE(move_on_after_zero_gives_nothing_for_work_that_suspends) {
  checkpoint_log log;
  auto body = [&] { return yield_once(log); };
  auto r = co_await corio::move_on_after(0s, body);
  BOOST_TEST(!r.has_value());
  BOOST_TEST(log.started);
  BOOST_TEST(!log.passed_checkpoint);
}

CORIO_TEST_CASE(a_scope_due_at_start_that_is_rescheduled_before_suspending_gets_the_new_deadline) {
  checkpoint_log log;
  auto body = [&](corio::timeout_scope& s) -> corio::awaitable<int> {
    s.reschedule_after(1h);  // before the first suspension point: in time
    co_return co_await yield_once(log);
  };
  BOOST_TEST(co_await corio::with_timeout(0s, body) == 1);
  BOOST_TEST(log.passed_checkpoint);
  checkpoint_log late;
  auto too_late = [&](corio::timeout_scope& s) -> corio::awaitable<int> {
    s.reschedule(corio::clock::now() - 1s);  // still in the past
    co_return co_await yield_once(late);
  };
  BOOST_CHECK_THROW(co_await corio::with_timeout(0s, too_late), corio::timeout_error);
  BOOST_TEST(!late.passed_checkpoint);
}

BOOST_AUTO_TEST_SUITE_END()
