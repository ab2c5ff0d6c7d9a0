// serve/endpoints.hpp — corio-serve's routes. Each demo endpoint shows one Corio idea:
//   GET  /plaintext, /json            TechEmpower-style, for benchmarks (sync handlers)
//   GET  /api/sleep?ms=               corio::sleep: thousands of concurrent waits cost nothing
//   GET  /api/fanout?n=&ms=           corio::gather of n sub-operations (i-th sleeps ms*(i+1)/n):
//                                     elapsed ≈ the longest, not the sum; reports both
//   GET  /api/timeout?ms=&limit=      corio::wait_for: 504 when the work takes longer than limit
//   GET  /api/cpu?n=                  corio::to_thread: counts primes below n on the thread pool
//                                     while the event loop keeps serving
//   POST /api/echo                    streams the body back as it arrives (chunked); the body
//                                     limit applies (413)
//   GET  /api/stats                   requests, connections, live tasks, latency percentiles
//   GET  /api/events                  the same once a second as server-sent events (dashboard)
//   GET  /ws/chat?name=               WebSocket chat room (serve/chat.hpp)
//   GET  /debug/tasks[?format=text]   corio::dump_tasks_json() / dump_tasks(); loopback clients only
//   GET  /dashboard/...               the dashboard (also at / unless --static is given)
//   GET  /...                         with --static DIR: the files in DIR
// Query parameters out of range give 400. Handlers with a file of their own are declared in
// serve/endpoints/ (events.hpp); the others live in endpoints.cpp. Registering an endpoint is one
// line in register_endpoints.
//
// Cancellation: async handlers are cancelled by the request timeout (504) or the drain deadline.
// Exceptions: register_endpoints throws std::runtime_error if --static is not a directory.
// Thread safety: call before serving.
#pragma once

#include <serve/app.hpp>
#include <serve/handler.hpp>
#include <serve/response.hpp>
#include <serve/stats.hpp>

#include <boost/json/object.hpp>

#include <optional>

namespace serve {

void register_endpoints(app& a);

/// Why `c` may not see the task dump (/debug/tasks, and the task tree in /api/events), or nothing
/// if it may: 404 unless enabled (--debug-tasks, --debug-token), 401 without the token when there
/// is one, 403 for a client that is not on loopback when there is none.
[[nodiscard]] std::optional<response> task_dump_refusal(const request_context& c);

/// /api/stats's object for a snapshot of the app's counters (live tasks and chat figures added).
[[nodiscard]] boost::json::object stats_json(app& a, const stats::snapshot& snap);

}  // namespace serve
