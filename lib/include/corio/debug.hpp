// corio/debug.hpp — asyncio's debug mode, made better: slow-step warnings and a live task dump.
//
// Debug mode is per execution context: `corio::run(main, {.debug = true})`, the environment
// variable CORIO_DEBUG=1 (read by corio::run), or `enable_debug(ctx)` for a context you own. With
// it on, every task spawned afterwards on that context runs through a tracing executor that times
// each step of its coroutine (one resumption up to its next suspension); a step that keeps its
// thread busy longer than the threshold (default 100 ms; CORIO_DEBUG_SLOW_MS overrides it in
// corio::run) logs one warning through the "corio" logger naming the task and what it last waited
// on. It also tracks suspended/running precisely and what each task waits on. Off by default, at
// no cost on the hot paths (perf/ shows it).
//
// While any context is in debug mode (or CORIO_DEBUG=1 is set), executor-affine objects (lock,
// semaphore, capacity_limiter, event, condition, barrier, queue, broadcast) check that no two
// threads use one at the same time — a guard released from another thread while the owning
// strand acquires, say. Such an overlap logs an error naming the object and both tasks, and the
// second thread then waits for the first to leave, so the race it reports does not happen. Uses
// that take turns are checked as well: one made on another thread than the previous one, both from
// handlers of running contexts, and not inside one strand (a guard taken on one context's thread
// and released on another's) logs an error once per object.
//
// dump_tasks() lists live tasks as a readable tree (groups under their owner where known, with
// their children), dump_tasks_json() as JSON:
//   {"tasks": [{"id", "name", "state", "age_ms", "group": {"id", "kind", "owner"} | null,
//               "waiting_on": string | null}]}
// `owner` is the id of the task that runs the group (0 if unknown: known in debug mode); `age_ms`
// is exact to within a timer tick (the creation time is read from the coarse clock).
// corio::run prints the dump to the logger on SIGUSR1 (with opts.handle_signals).
//
// live_tasks() counts the tasks of every context (or of `ctx`'s) that have not ended yet, without
// building a dump: cheap enough for a metrics endpoint (one short lock per context). A task counts
// from its spawn until its coroutine ends (done, failed or cancelled), in or out of debug mode. The
// count is a snapshot: tasks may start or end on other threads right after it is read.
//
// Cancellation: not applicable.  Exceptions: only std::bad_alloc.
// Thread safety: all functions are safe from any thread, also while the contexts run.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/execution_context.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace corio {

/// Turns debug mode on (or off) for tasks spawned from now on in `ctx`.
void enable_debug(asio::execution_context& ctx, bool on = true,
                  std::chrono::milliseconds slow_step = std::chrono::milliseconds(100));

/// Live tasks of every context (or of `ctx`'s), as text.
[[nodiscard]] std::string dump_tasks();
[[nodiscard]] std::string dump_tasks(asio::execution_context& ctx);

/// The same, as JSON (format above).
[[nodiscard]] std::string dump_tasks_json();
[[nodiscard]] std::string dump_tasks_json(asio::execution_context& ctx);

/// The number of live tasks of every context (or of `ctx`'s; 0 if it never ran a task).
[[nodiscard]] std::size_t live_tasks();
[[nodiscard]] std::size_t live_tasks(asio::execution_context& ctx);

}  // namespace corio
