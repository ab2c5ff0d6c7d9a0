// corio/detail/registry.hpp — per-execution-context list of live tasks (for run's shutdown, the
// debug dump and the test runner's leftover check). Internal.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/execution_context.hpp>

#include <cstdint>
#include <functional>
#include <mutex>

namespace corio::detail {

struct task_base;

class task_registry final : public asio::execution_context::service {
public:
  using key_type = task_registry;
  static inline asio::execution_context::id id;

  explicit task_registry(asio::execution_context& ctx) : service(ctx) {}

  void add(task_base& t) noexcept;
  void remove(task_base& t) noexcept;
  [[nodiscard]] std::size_t size() const;
  /// Calls `f` for every live task, oldest first, under the registry's lock.
  void for_each(const std::function<void(task_base&)>& f) const;

  static task_registry& of(const executor& ex);

private:
  void shutdown() override {}

public:
  ~task_registry() override;

private:

  mutable std::mutex mutex_;
  task_base* head_ = nullptr;
  task_base* tail_ = nullptr;
  std::size_t size_ = 0;
};

std::uint64_t next_task_id() noexcept;

}  // namespace corio::detail
