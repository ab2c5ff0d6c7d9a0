// corio/run.hpp — asyncio.run: run a main coroutine on an io_context Corio owns.
//
//   int main() { return corio::run(amain()); }
//
// Creates an io_context, runs `main` as the task "main" until it ends, then cancels every task
// still alive on that context (like asyncio.run) and waits for them, and finally returns main's
// value or rethrows its exception, type unchanged.
// SIGINT/SIGTERM (opts.handle_signals): the first signal cancels main (it sees operation_aborted
// at its suspension points and can clean up); a second one restores the default action and
// re-raises the signal, which ends the process.
//
// Cancellation: not applicable (blocking call).  Exceptions: main's exception; a cancelled main
// surfaces as boost::system::system_error(operation_aborted).
// Thread safety: blocks the calling thread; each call owns its own context (no global state).
#pragma once

#include <corio/config.hpp>
#include <corio/task.hpp>

#include <boost/asio/io_context.hpp>

#include <functional>

namespace corio {

struct run_options {
  /// Debug mode (also enabled by the environment variable CORIO_DEBUG=1).
  bool debug = false;
  /// Install SIGINT/SIGTERM handlers that cancel main.
  bool handle_signals = true;
};

template <typename T>
T run(awaitable<T> main, run_options opts = {});

// Implementation

namespace detail {
/// Runs `ctx` until `main` has ended, handling signals; then cancels and drains the rest.
void run_main_loop(asio::io_context& ctx, task_base& main, const run_options& opts);
}  // namespace detail

template <typename T>
T run(awaitable<T> main, run_options opts) {
  asio::io_context ctx(1);
  auto t = spawn(ctx, std::move(main), "main");
  detail::run_main_loop(ctx, detail::task_access::state(t), opts);
  return t.get();
}

}  // namespace corio
