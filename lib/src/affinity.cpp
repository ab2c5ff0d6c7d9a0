#include <corio/detail/affinity.hpp>

#include <corio/detail/task_state.hpp>
#include <corio/log.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <thread>

namespace corio::detail {

namespace {
bool debug_env() noexcept {
  const char* env = std::getenv("CORIO_DEBUG");
  return env && std::strcmp(env, "1") == 0;
}
}  // namespace

// Read once, at start-up.
std::atomic<int> affinity_checkers{debug_env() ? 1 : 0};

namespace {

// One per thread: its address tells the threads apart.
thread_local const char thread_marker = 0;

std::uint64_t current_task_id() noexcept { return current_task ? current_task->id_ : 0; }

}  // namespace

void count_debug_context(bool on) noexcept { affinity_checkers.fetch_add(on ? 1 : -1, std::memory_order_relaxed); }

void affinity::enter(const char* what) noexcept {
  const void* me = &thread_marker;
  const void* expected = nullptr;
  if (owner_.compare_exchange_strong(expected, me, std::memory_order_acquire)) {
    owner_task_.store(current_task_id(), std::memory_order_relaxed);
    depth_ = 1;
    return;
  }
  if (expected == me) {
    ++depth_;
    return;
  }
  try {
    logger()->error(
        "corio: {} at {} used by two threads at once: this thread (task {}) entered while another thread "
        "(task {}) was using it. It is executor-affine: use it from one executor or strand only (e.g. "
        "asio::dispatch(strand, ...)), or use corio::concurrent_queue across threads",
        what, static_cast<const void*>(this), current_task_id(), owner_task_.load(std::memory_order_relaxed));
  } catch (...) {
    // Logging failed (allocation): the wait below still prevents the race.
  }
  // Wait for the other thread to leave, so that the report is not followed by the race itself.
  for (;;) {
    expected = nullptr;
    if (owner_.compare_exchange_weak(expected, me, std::memory_order_acquire)) break;
    std::this_thread::yield();
  }
  owner_task_.store(current_task_id(), std::memory_order_relaxed);
  depth_ = 1;
}

void affinity::leave() noexcept {
  if (--depth_ == 0) owner_.store(nullptr, std::memory_order_release);
}

}  // namespace corio::detail
