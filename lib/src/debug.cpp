#include <corio/debug.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/registry.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/detail/traced_executor.hpp>
#include <corio/log.hpp>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <sstream>
#include <vector>

namespace corio {

namespace {

struct entry {
  std::uint64_t id;
  std::string name;
  const char* state;
  double age_ms;
  std::uint64_t group;
  std::uint64_t owner;
  const char* kind;
  const char* waiting_on;
};

std::vector<entry> snapshot(detail::task_registry* only) {
  std::vector<entry> out;
  const auto now = std::chrono::steady_clock::now();
  auto collect = [&](detail::task_registry& reg) {
    reg.for_each([&](detail::task_base& t) {
      out.push_back({t.id_, t.name(), detail::to_string(t.status_.load(std::memory_order_relaxed)),
                     std::chrono::duration<double, std::milli>(now - t.created_).count(),
                     t.scope_ ? t.scope_->id : 0, t.scope_ ? t.scope_->owner : 0,
                     t.scope_ ? t.scope_->kind : nullptr, t.waiting_on()});
    });
  };
  if (only) collect(*only);
  else detail::task_registry::for_each_registry(collect);
  return out;
}

detail::task_registry* registry_of(asio::execution_context& ctx) {
  return &asio::use_service<detail::task_registry>(ctx);
}

std::string as_text(const std::vector<entry>& tasks) {
  // Tree: a task, then the groups it owns with their children (recursively); groups whose owner is
  // unknown (debug mode off) and tasks in no group are roots.
  std::map<std::uint64_t, std::vector<const entry*>> by_group;
  std::map<std::uint64_t, std::vector<std::uint64_t>> groups_of_owner;
  std::map<std::uint64_t, const entry*> by_id;
  std::vector<const entry*> roots;
  std::vector<std::uint64_t> orphan_groups;
  for (const auto& e : tasks) {
    by_id[e.id] = &e;
    if (!e.group) {
      roots.push_back(&e);
      continue;
    }
    auto& members = by_group[e.group];
    if (members.empty()) {
      if (e.owner) groups_of_owner[e.owner].push_back(e.group);
      else orphan_groups.push_back(e.group);
    }
    members.push_back(&e);
  }
  // A group whose owner is not live (or not listed) is shown as a root too.
  for (auto& [owner, gs] : groups_of_owner) {
    if (!by_id.count(owner)) orphan_groups.insert(orphan_groups.end(), gs.begin(), gs.end());
  }

  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  std::function<void(const entry&, int)> task_line;
  std::function<void(std::uint64_t, int)> group_lines = [&](std::uint64_t g, int depth) {
    const auto& members = by_group[g];
    out << std::string(2 * depth, ' ') << members.front()->kind << " #" << g << " (" << members.size()
        << (members.size() == 1 ? " task" : " tasks") << ")\n";
    for (const auto* m : members) task_line(*m, depth + 1);
  };
  task_line = [&](const entry& e, int depth) {
    out << std::string(2 * depth, ' ') << "task #" << e.id << " '" << e.name << "' " << e.state << ", age "
        << e.age_ms << " ms";
    if (e.waiting_on) out << ", waiting on " << e.waiting_on;
    out << "\n";
    if (auto it = groups_of_owner.find(e.id); it != groups_of_owner.end()) {
      for (auto g : it->second) group_lines(g, depth + 1);
    }
  };
  out << tasks.size() << (tasks.size() == 1 ? " live task\n" : " live tasks\n");
  for (const auto* r : roots) task_line(*r, 0);
  for (auto g : orphan_groups) group_lines(g, 0);
  return out.str();
}

std::string as_json(const std::vector<entry>& tasks) {
  boost::json::array arr;
  for (const auto& e : tasks) {
    boost::json::object o;
    o["id"] = e.id;
    o["name"] = e.name;
    o["state"] = e.state;
    o["age_ms"] = e.age_ms;
    if (e.group) {
      o["group"] = boost::json::object{{"id", e.group}, {"kind", e.kind ? e.kind : ""}, {"owner", e.owner}};
    } else {
      o["group"] = nullptr;
    }
    if (e.waiting_on) o["waiting_on"] = e.waiting_on;
    else o["waiting_on"] = nullptr;
    arr.push_back(std::move(o));
  }
  return boost::json::serialize(boost::json::object{{"tasks", std::move(arr)}});
}

}  // namespace

void enable_debug(asio::execution_context& ctx, bool on, std::chrono::milliseconds slow_step) {
  auto* reg = registry_of(ctx);
  const bool was = reg->debug();
  reg->set_debug(on, slow_step);
  // Executor-affine objects know no context: their check is on while any context is in debug mode.
  if (on != was) detail::count_debug_context(on);
}

std::string dump_tasks() { return as_text(snapshot(nullptr)); }
std::string dump_tasks(asio::execution_context& ctx) { return as_text(snapshot(registry_of(ctx))); }
std::string dump_tasks_json() { return as_json(snapshot(nullptr)); }
std::string dump_tasks_json(asio::execution_context& ctx) { return as_json(snapshot(registry_of(ctx))); }

std::size_t live_tasks() {
  std::size_t n = 0;
  detail::task_registry::for_each_registry([&](detail::task_registry& reg) { n += reg.size(); });
  return n;
}

std::size_t live_tasks(asio::execution_context& ctx) {
  // A context that never ran a task has no registry, and counting must not add one.
  if (!asio::has_service<detail::task_registry>(ctx)) return 0;
  return asio::use_service<detail::task_registry>(ctx).size();
}

namespace detail {

void report_slow_step(const task_trace& trace, const char* waiting_on, std::chrono::nanoseconds took) noexcept {
  try {
    const auto ms = std::chrono::duration<double, std::milli>(took).count();
    if (waiting_on) {
      logger()->warn("task #{} '{}' blocked its thread for {:.1f} ms in one step (then waited on {})", trace.id,
                     trace.name, ms, waiting_on);
    } else {
      logger()->warn("task #{} '{}' blocked its thread for {:.1f} ms in one step", trace.id, trace.name, ms);
    }
  } catch (...) {
  }
}

}  // namespace detail
}  // namespace corio
