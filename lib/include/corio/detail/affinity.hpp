// corio/detail/affinity.hpp — debug mode's check that an executor-affine object (a lock, a
// semaphore, a queue...) is not used by two threads at once. Internal.
//
// Each such object holds an `affinity`; each of its operations opens an `affinity::use` for its
// duration. With checks off (the default) a use costs one relaxed load of a global flag. With
// debug mode on (CORIO_DEBUG=1 in the environment, corio::run's {.debug = true}, or
// enable_debug), a use marks the object as in use by the calling thread; a second thread that
// enters meanwhile logs an error naming the object and both threads' tasks, then waits for the
// first thread to leave before it goes on, so the report is not followed by the data race it
// reports. Nested uses on one thread (an operation calling another) are fine. Uses that take
// turns are checked too, among uses made from handlers of an io_context or thread_pool: a use on
// another thread than the previous one, unless both ran inside the same strand, logs an error
// once per object (the uses were not ordered by Corio's contract; a program that orders them by
// other means, e.g. running its io_context on another thread after joining the first, sees that
// report in debug mode only).
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace corio::detail {

/// Contexts with debug mode on, plus one if CORIO_DEBUG=1 was set at start-up (lib/src/affinity.cpp).
extern std::atomic<int> affinity_checkers;

/// True while debug mode's affinity checks are on: one relaxed load, inline (every queue put and
/// get, every acquire and release asks).
[[nodiscard]] inline bool affinity_checks() noexcept { return affinity_checkers.load(std::memory_order_relaxed) > 0; }
/// enable_debug: one more (on) or one fewer (off) context with debug mode on.
void count_debug_context(bool on) noexcept;

class affinity {
public:
  affinity() = default;
  affinity(const affinity&) = delete;
  affinity& operator=(const affinity&) = delete;

  class use {
  public:
    use(affinity& a, const char* what, bool applies = true) noexcept
        : a_(applies && affinity_checks() ? &a : nullptr) {
      if (a_) a_->enter(what);
    }
    ~use() {
      if (a_) a_->leave();
    }
    use(const use&) = delete;
    use& operator=(const use&) = delete;

  private:
    affinity* a_;
  };

private:
  void enter(const char* what) noexcept;
  void leave() noexcept;
  void check_turn(const char* what) noexcept;

  std::atomic<const void*> owner_{nullptr};  // the using thread's marker
  std::atomic<std::uint64_t> owner_task_{0};  // its task id (debug mode), 0 if none
  unsigned depth_ = 0;                        // nested uses by the owner (only it touches this)
  // The previous use from a context's handler: its thread, its strand (null if none), its task.
  // Written and read by the owner only (the owner_ exchange orders them).
  std::uint64_t last_thread_ = 0;  // a serial number per thread (addresses are reused after a join)
  const void* last_strand_ = nullptr;
  std::uint64_t last_task_ = 0;
  bool turn_reported_ = false;
};

}  // namespace corio::detail
