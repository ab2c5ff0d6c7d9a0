// corio/detail/registry.hpp — per-execution-context list of live tasks (for run's shutdown, the
// debug dump and the test runner's leftover check). Internal.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace corio::detail {

struct task_base;

class task_registry final : public asio::execution_context::service {
public:
  using key_type = task_registry;
  static inline asio::execution_context::id id;
  /// Bumped when a registry dies (see context_service.hpp).
  static inline std::atomic<std::uint64_t> generation{1};

  explicit task_registry(asio::execution_context& ctx);

  void add(task_base& t) noexcept;
  void remove(task_base& t) noexcept;
  [[nodiscard]] std::size_t size() const;
  /// Calls `f` for every live task, oldest first, under the registry's lock.
  void for_each(const std::function<void(task_base&)>& f) const;

  static task_registry& of(const executor& ex);
  /// Every live registry (one per execution context that has run a task).
  static void for_each_registry(const std::function<void(task_registry&)>& f);

  // Debug mode (corio/debug.hpp), per context.
  [[nodiscard]] bool debug() const noexcept { return debug_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::chrono::nanoseconds slow_step() const noexcept {
    return std::chrono::nanoseconds(slow_step_ns_.load(std::memory_order_relaxed));
  }
  void set_debug(bool on, std::chrono::nanoseconds slow_step) noexcept {
    slow_step_ns_.store(slow_step.count(), std::memory_order_relaxed);
    debug_.store(on, std::memory_order_relaxed);
  }

  // Attribution (corio/context.hpp, attribute_tasks): every task spawned from now on runs its steps
  // through an attributing executor, so current_task() knows it.
  [[nodiscard]] bool attributes() const noexcept { return attribute_.load(std::memory_order_relaxed); }
  void set_attribute(bool on) noexcept { attribute_.store(on, std::memory_order_relaxed); }

private:
  void shutdown() override {}

public:
  ~task_registry() override;

private:

  mutable std::mutex mutex_;
  task_base* head_ = nullptr;
  task_base* tail_ = nullptr;
  std::size_t size_ = 0;
  std::atomic<bool> debug_{false};
  std::atomic<bool> attribute_{false};
  std::atomic<std::int64_t> slow_step_ns_{100'000'000};
};

/// A task's or a group's id: unique in the process, increasing within a thread.
std::uint64_t next_task_id() noexcept;
/// steady_clock::now() to within a timer tick (a few ms), cheaper to read: a task's creation time
/// is only shown as its age in the task dump.
std::chrono::steady_clock::time_point coarse_now() noexcept;

}  // namespace corio::detail
