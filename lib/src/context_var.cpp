#include <corio/context_var.hpp>

#include <algorithm>
#include <atomic>

namespace corio {

std::optional<task_info> current_task() {
  const detail::task_base* t = detail::current_task;
  if (!t) return std::nullopt;
  return task_info{t->id_, t->name()};
}

context copy_context() {
  context c;
  if (const detail::context_ptr* ctx = detail::current_context()) c.map_ = *ctx;
  return c;
}

namespace detail {

std::uint64_t register_context_var() noexcept {
  static std::atomic<std::uint64_t> next{1};
  task_tracking_on.store(true, std::memory_order_relaxed);
  return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {
auto find(const std::vector<context_map::entry>& entries, std::uint64_t var) {
  return std::lower_bound(entries.begin(), entries.end(), var,
                          [](const context_map::entry& e, std::uint64_t v) { return e.var < v; });
}
}  // namespace

std::shared_ptr<const void> context_lookup(const context_ptr& ctx, std::uint64_t var) noexcept {
  if (!ctx) return nullptr;
  const auto it = find(ctx->entries, var);
  return it != ctx->entries.end() && it->var == var ? it->value : nullptr;
}

std::shared_ptr<const void> context_assign(context_ptr& ctx, std::uint64_t var, std::shared_ptr<const void> value) {
  // Unsetting the only variable set (a request's reset, say) needs no copy.
  if (!value && ctx && ctx->entries.size() == 1 && ctx->entries.front().var == var) {
    auto previous = ctx->entries.front().value;
    ctx.reset();
    return previous;
  }
  // Copy on write: the map may be shared with the spawner and siblings.
  auto copy = ctx ? std::make_shared<context_map>(*ctx) : std::make_shared<context_map>();
  auto& entries = copy->entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), var,
                             [](const context_map::entry& e, std::uint64_t v) { return e.var < v; });
  std::shared_ptr<const void> previous;
  if (it != entries.end() && it->var == var) {
    previous = std::move(it->value);
    if (value) it->value = std::move(value);
    else entries.erase(it);
  } else if (value) {
    entries.insert(it, context_map::entry{var, std::move(value)});
  }
  if (entries.empty()) ctx.reset();
  else ctx = std::move(copy);
  return previous;
}

context_ptr& running_context(const char* what, const std::string& var) {
  context_ptr* ctx = current_context();
  if (!ctx) {
    throw std::logic_error(std::string("corio::context_var::") + what + "('" + var +
                           "'): no task is running on this thread (or it was spawned before the first "
                           "context_var existed); set a variable inside a task or a bind_context call");
  }
  return *ctx;
}

}  // namespace detail
}  // namespace corio
