#include <corio/context.hpp>
#include <corio/debug.hpp>
#include <corio/detail/registry.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/log.hpp>
#include <corio/run.hpp>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <stdexcept>
#include <thread>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
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

namespace {
thread_local const std::vector<executor>* current_shards = nullptr;
thread_local std::size_t current_shard_index = 0;
const std::vector<executor> no_shards;
}  // namespace

struct shard_pool::impl {
  std::vector<executor> executors;
  std::vector<std::unique_ptr<asio::io_context>> contexts;  // shards 1..N-1
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  const std::vector<executor>* saved_shards = nullptr;
  std::size_t saved_index = 0;
  bool stopped = false;
};

shard_pool::shard_pool(asio::io_context& shard0, const run_options& opts) : impl_(std::make_unique<impl>()) {
  if (opts.threads == 0) throw std::invalid_argument("corio::run: threads must be at least 1");
  impl_->executors.push_back(shard0.get_executor());
  for (unsigned i = 1; i < opts.threads; ++i) {
    impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
    apply_debug_options(*impl_->contexts.back(), opts);
    impl_->executors.push_back(impl_->contexts.back()->get_executor());
    impl_->guards.push_back(asio::make_work_guard(*impl_->contexts.back()));
  }
  impl_->saved_shards = current_shards;
  impl_->saved_index = current_shard_index;
  current_shards = &impl_->executors;
  current_shard_index = 0;
  for (std::size_t i = 0; i < impl_->contexts.size(); ++i) {
    impl_->threads.emplace_back([this, i] {
      current_shards = &impl_->executors;
      current_shard_index = i + 1;
      impl_->contexts[i]->run();
    });
  }
}

void shard_pool::stop() noexcept {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Each shard cancels its own tasks on its own thread, then runs out of work and returns.
  for (std::size_t i = 0; i < impl_->contexts.size(); ++i) {
    asio::post(*impl_->contexts[i], [&ctx = *impl_->contexts[i]] { cancel_all(task_registry::of(ctx.get_executor())); });
    impl_->guards[i].reset();
  }
  for (auto& t : impl_->threads) t.join();
  current_shards = impl_->saved_shards;
  current_shard_index = impl_->saved_index;
}

shard_pool::~shard_pool() { stop(); }

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
  if (opts.attribute_tasks) attribute_tasks(ctx);
}

}  // namespace corio::detail

namespace corio {

const std::vector<executor>& shards() noexcept {
  return detail::current_shards ? *detail::current_shards : detail::no_shards;
}

std::size_t this_shard() noexcept { return detail::current_shard_index; }

}  // namespace corio
