// test-labels: threads
// Timeout scopes on a multi-threaded io_context: the deadlines of all strands share the context's
// one timer, which may wake on any thread; each expiry must reach its scope on the scope's own
// strand, and a scope whose work ends while its deadline is being fired elsewhere must still
// return exactly once (run under ThreadSanitizer).
#include <corio/cancellation.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

corio::awaitable<void> rounds_on_a_strand(int s, int rounds, std::atomic<int>& completed, std::atomic<int>& timed_out,
                                          std::atomic<int>& finished) {
  for (int i = 0; i < rounds; ++i) {
    // Deadlines of 0–2 ms against work of 0–2 ms: many finish right at their deadline, so
    // expiry and completion race across the two threads.
    const auto deadline = std::chrono::microseconds(((s * 7 + i * 13) % 5) * 500);
    const auto work = std::chrono::microseconds(((s * 11 + i * 3) % 5) * 500);
    try {
      co_await corio::wait_for(corio::sleep(work), deadline);
      completed.fetch_add(1);
    } catch (const corio::timeout_error&) {
      timed_out.fetch_add(1);
    }
  }
  finished.fetch_add(1);
}

// Sleeps cancelled right around their deadline: the cancellation (on the strand) races with the
// deadline being fired (on whichever thread the shared timer wakes).
corio::awaitable<void> cancel_sleeps_on_a_strand(int s, int rounds, std::atomic<int>& woke, std::atomic<int>& cancelled,
                                                 std::atomic<int>& finished) {
  auto ex = co_await asio::this_coro::executor;
  for (int i = 0; i < rounds; ++i) {
    // Every pairing of nap and cancellation delay (0, 0.4, 0.8, 1.2 ms) occurs on every strand.
    const auto nap = std::chrono::microseconds((i % 4) * 400);
    const auto cancel_after = std::chrono::microseconds(((i / 4 + s) % 4) * 400);
    auto t = corio::spawn(ex, corio::sleep(nap));
    co_await corio::sleep(cancel_after);
    t.cancel();
    try {
      co_await t.wait();
      woke.fetch_add(1);
    } catch (...) {
      if (corio::is_cancellation(std::current_exception())) cancelled.fetch_add(1);
    }
  }
  finished.fetch_add(1);
}

constexpr int strands = 8, rounds = 150;

/// Runs `make(s)` for each of the strands on a 2-thread io_context until all end; returns how many
/// of them ended with an exception.
template <typename Make>
int run_on_strands(Make make) {
  asio::io_context ctx(2);
  std::atomic<int> failed{0};
  for (int s = 0; s < strands; ++s) {
    asio::co_spawn(asio::make_strand(ctx), make(s), [&](std::exception_ptr e) {
      if (e) failed.fetch_add(1);
    });
  }
  std::thread other([&] { ctx.run(); });
  ctx.run();
  other.join();
  return failed.load();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timeout_threads)

BOOST_AUTO_TEST_CASE(sleeps_on_strands_cancelled_around_their_deadline_end_exactly_once) {
  std::atomic<int> finished{0}, woke{0}, cancelled{0};
  const int failed = run_on_strands([&](int s) { return cancel_sleeps_on_a_strand(s, rounds, woke, cancelled, finished); });
  BOOST_TEST(failed == 0);
  BOOST_TEST(finished.load() == strands);
  BOOST_TEST(woke.load() + cancelled.load() == strands * rounds);
  BOOST_TEST(woke.load() > 0);       // a nap of 0 never waits
  BOOST_TEST(cancelled.load() > 0);  // a nap of 1.2 ms cancelled at 0 always is
}

BOOST_AUTO_TEST_CASE(scopes_on_strands_of_a_two_thread_context_expire_or_finish_exactly_once) {
  std::atomic<int> finished{0}, timed_out{0}, completed{0};
  const int failed = run_on_strands([&](int s) { return rounds_on_a_strand(s, rounds, completed, timed_out, finished); });
  BOOST_TEST(failed == 0);
  BOOST_TEST(finished.load() == strands);
  BOOST_TEST(completed.load() + timed_out.load() == strands * rounds);
  BOOST_TEST(timed_out.load() > 0);  // deadline 0 with work > 0 always expires
  BOOST_TEST(completed.load() > 0);  // work 0 never suspends: always completes
}

BOOST_AUTO_TEST_SUITE_END()
