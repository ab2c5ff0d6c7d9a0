// corio/run.hpp — asyncio.run: run a main coroutine on an io_context Corio owns.
//
//   int main() { return corio::run(amain()); }
//
// Creates an io_context, runs `main` as the task "main" until it ends, then cancels every task
// still alive on that context (like asyncio.run) and waits for them, and finally returns main's
// value or rethrows its exception, type unchanged.
// SIGINT/SIGTERM (opts.handle_signals): the first signal cancels main (it sees operation_aborted
// at its suspension points and can clean up); a second one restores the default action and
// re-raises the signal, which ends the process. SIGUSR1 logs the task dump (corio/debug.hpp).
//
// Cancellation: not applicable (blocking call).  Exceptions: main's exception; a cancelled main
// surfaces as boost::system::system_error(operation_aborted).
// With opts.threads = N > 1 the program runs on N shards (one io_context and thread each); when
// main ends, the tasks left on every shard are cancelled and drained before run returns.
// Thread safety: blocks the calling thread; each call owns its own contexts (no global state).
#pragma once

#include <corio/config.hpp>
#include <corio/task.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace corio {

struct run_options {
  /// Shards: N io_contexts, one thread each; main runs on shard 0 (the calling thread).
  /// Reach the others with corio::shards(). Corio's primitives are executor-affine: use
  /// corio::concurrent_queue<T> (or asio::post) to cross shards.
  unsigned threads = 1;
  /// Debug mode (corio/debug.hpp); also enabled by the environment variable CORIO_DEBUG=1.
  bool debug = false;
  /// Debug mode's slow-step threshold; CORIO_DEBUG_SLOW_MS overrides it.
  std::chrono::milliseconds slow_step{100};
  /// corio::current_task() known in every task (corio/context.hpp, attribute_tasks): costs each
  /// task its direct io_context paths. Debug mode implies it.
  bool attribute_tasks = false;
  /// SIGINT/SIGTERM cancel main; SIGUSR1 logs dump_tasks() (at "warn").
  bool handle_signals = true;
};

template <typename T>
T run(awaitable<T> main, run_options opts = {});

/// The executors of the shards of the corio::run active on this thread (shard 0 first); empty
/// outside corio::run. Safe from any shard's thread.
[[nodiscard]] const std::vector<executor>& shards() noexcept;

/// The index of the shard running on this thread (0 outside corio::run).
[[nodiscard]] std::size_t this_shard() noexcept;

// Implementation

namespace detail {
/// Runs `ctx` until `main` has ended, handling signals; then cancels and drains the rest.
void run_main_loop(asio::io_context& ctx, task_base& main, const run_options& opts);

/// Shards 1..N-1 (threads and contexts) around a run on shard 0 (lib/src/run.cpp).
class shard_pool {
public:
  shard_pool(asio::io_context& shard0, const run_options& opts);
  ~shard_pool();  // cancels and drains the other shards' tasks, joins their threads
  shard_pool(const shard_pool&) = delete;
  shard_pool& operator=(const shard_pool&) = delete;
  void stop() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};
/// Turns debug mode (and attribution, corio/context.hpp) on for `ctx` if opts or the environment ask
/// for it.
void apply_debug_options(asio::io_context& ctx, const run_options& opts);
}  // namespace detail

template <typename T>
T run(awaitable<T> main, run_options opts) {
  asio::io_context ctx(1);
  detail::apply_debug_options(ctx, opts);
  detail::shard_pool others(ctx, opts);
  auto t = spawn(ctx, std::move(main), "main");
  detail::run_main_loop(ctx, detail::task_access::state(t), opts);
  others.stop();
  return t.get();
}

}  // namespace corio
