#include <corio/detail/registry.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/log.hpp>
#include <corio/run.hpp>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
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
      if (++received == 1) {
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

}  // namespace corio::detail
