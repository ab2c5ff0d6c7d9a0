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
// Query parameters out of range give 400.
//
// Cancellation: async handlers are cancelled by the request timeout (504) or the drain deadline.
// Exceptions: register_endpoints throws std::runtime_error if --static is not a directory.
// Thread safety: call before serving.
#pragma once

#include <serve/app.hpp>

namespace serve {

void register_endpoints(app& a);

}  // namespace serve
