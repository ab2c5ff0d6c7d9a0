#include <corio/debug.hpp>
#include <corio/detail/registry.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/detail/virtual_clock.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>

#include <boost/asio/io_context.hpp>

#include <optional>
#include <sstream>
#include <vector>

namespace corio::testing {

namespace {

std::string live_tasks(const detail::task_registry& reg) {
  std::ostringstream out;
  reg.for_each([&](detail::task_base& t) {
    out << "\n  task #" << t.id_ << " '" << t.name() << "' " << detail::to_string(t.status_);
  });
  return out.str();
}

/// Runs whatever is ready, jumping virtual time when nothing is; returns false when stuck.
bool step(asio::io_context& ctx, detail::virtual_clock* vc, std::chrono::milliseconds grace) {
  ctx.restart();
  if (ctx.poll() > 0) return true;
  if (vc && vc->jump_to_next()) return true;
  ctx.restart();
  return ctx.run_one_for(grace) > 0;
}

}  // namespace

void run_test(const std::function<awaitable<void>()>& fn, options opts) {
  // Declared before the context: timers inside coroutine frames unregister from it when the
  // context destroys those frames.
  detail::virtual_clock vc;
  std::optional<detail::virtual_clock_guard> guard;
  if (opts.virtual_time) guard.emplace(vc);
  detail::virtual_clock* vcp = opts.virtual_time ? &vc : nullptr;

  asio::io_context ctx(1);
  if (opts.debug) enable_debug(ctx);
  auto& reg = detail::task_registry::of(ctx.get_executor());
  auto main = spawn(ctx, fn(), "test main");
  auto& main_state = detail::task_access::state(main);
  while (!main_state.done()) {
    if (!step(ctx, vcp, opts.deadlock_grace)) {
      throw deadlock_error("corio::testing: deadlock: nothing can run, no timer is pending and no "
                           "event arrived; live tasks:" + live_tasks(reg));
    }
  }
  // Let work that is already ready finish, without advancing time.
  for (ctx.restart(); ctx.poll() > 0; ctx.restart()) {
  }
  if (reg.size() > 0) {
    std::string what = "corio::testing: the test left tasks running:" + live_tasks(reg);
    std::vector<detail::task_base*> left;
    reg.for_each([&](detail::task_base& t) { left.push_back(&t); });
    for (auto* t : left) t->request_cancel();
    for (int i = 0; i < 1000 && reg.size() > 0 && step(ctx, vcp, opts.deadlock_grace); ++i) {
    }
    main.get();  // main's own failure is the more useful report
    throw leftover_tasks_error(what);
  }
  main.get();
}

void advance(duration d) {
  if (!detail::current_virtual_clock) throw std::logic_error("corio::testing::advance: no virtual clock is active");
  detail::current_virtual_clock->advance(d);
}

std::size_t pending_wakeups() {
  const auto* vc = detail::current_virtual_clock;
  if (!vc) throw std::logic_error("corio::testing::pending_wakeups: no virtual clock is active");
  return vc->pending();
}

clock::time_point next_wakeup() {
  const auto* vc = detail::current_virtual_clock;
  if (!vc) throw std::logic_error("corio::testing::next_wakeup: no virtual clock is active");
  return vc->pending() > 0 ? vc->next_deadline() : clock::time_point::max();
}

}  // namespace corio::testing
