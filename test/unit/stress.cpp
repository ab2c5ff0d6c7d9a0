// Stress (reliability issue): 1,000,000 tasks spawned and cancelled, 10,000 at a time in 100
// task groups — half parked on an event, half on a one-hour sleep; even groups are cancelled with
// g.cancel(), odd ones by a failing child. Every task must start, be cancelled, and have its frame
// destroyed; run_test's own check finds no task left; LeakSanitizer (in the ASan run) finds no
// leak; and in the normal build resident memory does not grow from group to group.
#include <corio/event.hpp>
#include <corio/exception_group.hpp>
#include <corio/sleep.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;  // shadow memory and ASan's quarantine make RSS meaningless
#else
constexpr bool sanitized = false;
#endif

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

struct counters {
  long started = 0;
  long live = 0;  // frames not yet destroyed
  long cancelled = 0;
};

corio::awaitable<void> parked(counters& c, corio::event& ev, bool on_event) {
  struct frame_guard {
    counters& c;
    ~frame_guard() { --c.live; }
  } guard{c};
  ++c.live;
  ++c.started;
  try {
    if (on_event) {
      co_await ev.wait();
    } else {
      co_await corio::sleep(1h);
    }
  } catch (const boost::system::system_error&) {
    ++c.cancelled;
    throw;
  }
  BOOST_FAIL("a parked task was woken instead of cancelled");
}

struct child_failed : std::runtime_error {
  child_failed() : std::runtime_error("child failed") {}
};

corio::awaitable<void> fail_now() {
  throw child_failed();
  co_return;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stress)

CORIO_TEST_CASE(a_million_tasks_spawned_and_cancelled_in_groups_leave_nothing_behind) {
  constexpr long groups = 100;
  constexpr long per_group = 10'000;
  counters c;
  corio::event never;  // nobody sets it
  malloc_trim(0);
  const std::size_t rss_start = rss_bytes();
  std::size_t rss_peak = rss_start, rss_after_first = 0;

  for (long gi = 0; gi < groups; ++gi) {
    const bool by_failure = gi % 2 == 1;
    auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
      for (long i = 0; i < per_group; ++i) g.spawn(parked(c, never, i % 2 == 0));
      while (c.started < (gi + 1) * per_group) co_await corio::yield();  // all of them parked
      rss_peak = std::max(rss_peak, rss_bytes());
      if (by_failure) {
        g.spawn(fail_now());
      } else {
        g.cancel();
      }
    };
    try {
      co_await corio::task_group::run(body);
      BOOST_TEST(!by_failure);
    } catch (const corio::exception_group& e) {
      BOOST_TEST(by_failure);
      BOOST_TEST(e.size() == 1u);  // the failure only: cancellations are not errors
      BOOST_TEST(e.contains<child_failed>());
    }
    BOOST_REQUIRE_EQUAL(c.live, 0);
    BOOST_REQUIRE_EQUAL(c.cancelled, (gi + 1) * per_group);
    if (gi == 0) rss_after_first = rss_bytes();
  }
  BOOST_TEST(c.started == groups * per_group);

  const std::size_t rss_end = rss_bytes();
  malloc_trim(0);
  const std::size_t rss_trimmed = rss_bytes();
  BOOST_TEST_MESSAGE("1,000,000 tasks: RSS at start " << rss_start / 1024 << " KiB, peak " << rss_peak / 1024
                     << " KiB (10,000 parked), after the first group " << rss_after_first / 1024
                     << " KiB, at the end " << rss_end / 1024 << " KiB, after malloc_trim " << rss_trimmed / 1024
                     << " KiB");
  if (!sanitized) {
    // No growth from the first group to the hundredth (memory is reused, not accumulated) ...
    BOOST_TEST(rss_end <= rss_after_first + (4u << 20));
    // ... and, given back, memory returns to within 4 MiB of the start.
    BOOST_TEST(rss_trimmed <= rss_start + (4u << 20));
  }
}

BOOST_AUTO_TEST_SUITE_END()
