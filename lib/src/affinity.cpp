#include <corio/detail/affinity.hpp>

#include <corio/detail/task_state.hpp>
#include <corio/log.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <thread>

namespace corio::detail {
namespace {

// CORIO_DEBUG=1 in the environment: -1 not read yet, 0 no, 1 yes.
std::atomic<int> env_state{-1};
// Execution contexts with debug mode on (enable_debug).
std::atomic<int> debug_contexts{0};

// One per thread: its address tells the threads apart.
thread_local const char thread_marker = 0;

std::uint64_t current_task_id() noexcept { return current_task ? current_task->id_ : 0; }

}  // namespace

bool affinity_checks() noexcept {
  if (debug_contexts.load(std::memory_order_relaxed) > 0) return true;
  int e = env_state.load(std::memory_order_relaxed);
  if (e < 0) [[unlikely]] {
    const char* env = std::getenv("CORIO_DEBUG");
    e = env && std::strcmp(env, "1") == 0 ? 1 : 0;
    env_state.store(e, std::memory_order_relaxed);
  }
  return e == 1;
}

void count_debug_context(bool on) noexcept { debug_contexts.fetch_add(on ? 1 : -1, std::memory_order_relaxed); }

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
