// corio/detail/context_values.hpp — the values behind corio::context: an immutable list of
// (variable, value) pairs shared by every task that inherited it; setting a variable replaces the
// list (copy on write), so a copy taken earlier never changes. Internal; corio/context.hpp is the
// interface.
#pragma once

#include <memory>
#include <utility>
#include <vector>

namespace corio::detail {

struct task_base;

struct context_values {
  struct entry {
    const void* key;                    // the context_var's address
    std::shared_ptr<const void> value;  // a T
  };
  std::vector<entry> entries;

  [[nodiscard]] const std::shared_ptr<const void>* find(const void* key) const noexcept {
    for (const auto& e : entries) {
      if (e.key == key) return &e.value;
    }
    return nullptr;
  }
};

using context_ptr = std::shared_ptr<const context_values>;

/// `from` with `key` set to `value` (or removed, for a null value): a new list.
[[nodiscard]] inline context_ptr context_with(const context_ptr& from, const void* key,
                                              std::shared_ptr<const void> value) {
  auto next = std::make_shared<context_values>();
  if (from) {
    next->entries.reserve(from->entries.size() + 1);
    for (const auto& e : from->entries) {
      if (e.key != key) next->entries.push_back(e);
    }
  }
  if (value) next->entries.push_back({key, std::move(value)});
  return next;
}

/// The context that context::run() lends to the calling thread for the duration of a call (it
/// takes precedence over the running task's own).
inline thread_local context_ptr* borrowed_context = nullptr;

}  // namespace corio::detail
