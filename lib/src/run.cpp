#include <corio/debug.hpp>
#include <corio/detail/registry.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/log.hpp>
#include <corio/run.hpp>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace corio::detail {

namespace {
void cancel_all(task_registry& reg) {
  // Collect first: cancelling must not happen under the registry's lock.
  std::vector<task_base*> live;
  reg.for_each([&](task_base& t) { live.push_back(&t); });
  for (auto* t : live) t->request_cancel();
}
}  // namespace

void run_main_loop(asio::io_context& ctx, task_base& main, const run_options& opts) {
  asio::signal_set signals(ctx);
  int received = 0;
  std::function<void()> arm = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGUSR1) {
        logger()->warn("task dump (SIGUSR1):\n{}", dump_tasks());
        arm();
      } else if (++received == 1) {
        logger()->info("signal {}: cancelling main (send it again to abort)", sig);
        main.request_cancel();
        arm();
      } else {
        std::signal(sig, SIG_DFL);
        std::raise(sig);
      }
    });
  };
  if (opts.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.add(SIGUSR1);
    arm();
  }
  while (!main.done()) {
    if (ctx.run_one() == 0) break;
  }
  boost::system::error_code ignored;
  signals.cancel(ignored);
  signals.clear(ignored);
  // Like asyncio.run: whatever main left running is cancelled and awaited.
  cancel_all(task_registry::of(ctx.get_executor()));
  ctx.restart();
  ctx.run();
}

void apply_debug_options(asio::io_context& ctx, const run_options& opts) {
  bool on = opts.debug;
  if (const char* env = std::getenv("CORIO_DEBUG"); env && *env && std::string_view(env) != "0") on = true;
  auto slow = opts.slow_step;
  if (const char* env = std::getenv("CORIO_DEBUG_SLOW_MS"); env && *env) {
    char* end = nullptr;
    const long ms = std::strtol(env, &end, 10);
    if (end && *end == '\0' && ms > 0) {
      slow = std::chrono::milliseconds(ms);
    } else {
      logger()->warn("CORIO_DEBUG_SLOW_MS='{}' is not a positive number of milliseconds; using {} ms", env,
                     slow.count());
    }
  }
  if (on) enable_debug(ctx, true, slow);
}

}  // namespace corio::detail
