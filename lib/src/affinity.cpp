#include <corio/detail/affinity.hpp>

#include <corio/detail/asio_adapter.hpp>
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

std::atomic<std::uint64_t> thread_serials{0};
std::uint64_t this_thread_serial() noexcept {
  thread_local const std::uint64_t serial = thread_serials.fetch_add(1, std::memory_order_relaxed) + 1;
  return serial;
}

std::uint64_t current_task_id() noexcept { return current_task ? current_task->id_ : 0; }

}  // namespace

void count_debug_context(bool on) noexcept { affinity_checkers.fetch_add(on ? 1 : -1, std::memory_order_relaxed); }

void affinity::enter(const char* what) noexcept {
  const void* me = &thread_marker;
  const void* expected = nullptr;
  if (owner_.compare_exchange_strong(expected, me, std::memory_order_acquire)) {
    owner_task_.store(current_task_id(), std::memory_order_relaxed);
    depth_ = 1;
    check_turn(what);
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
  // (No turn check here: this incident has been reported; the next use starts afresh.)
  last_thread_ = 0;
}

void affinity::check_turn(const char* what) noexcept {
  const std::uint64_t me = this_thread_serial();
  if (!running_a_context()) return;  // e.g. set-up before the context runs, ordered by thread start
  const void* strand = running_strand();
  const bool unordered = last_thread_ && last_thread_ != me && !(strand && strand == last_strand_);
  if (unordered && !turn_reported_) {
    turn_reported_ = true;
    try {
      logger()->error(
          "corio: {} at {} used from two threads without a common strand: this thread (task {}) after another "
          "thread (task {}). It is executor-affine: use it from one executor or strand only (a context run by "
          "several threads needs a strand, e.g. asio::make_strand(io)), or use corio::concurrent_queue across "
          "threads",
          what, static_cast<const void*>(this), current_task_id(), last_task_);
    } catch (...) {
      // Logging failed (allocation): nothing else to do.
    }
  }
  last_thread_ = me;
  last_strand_ = strand;
  last_task_ = current_task_id();
}

void affinity::leave() noexcept {
  if (--depth_ == 0) owner_.store(nullptr, std::memory_order_release);
}

}  // namespace corio::detail
