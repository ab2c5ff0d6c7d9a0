// serve/endpoints/events.hpp — GET /api/events: /api/stats once a second as server-sent events,
// with the last second's requests/s and p50/p99 latency (the dashboard's feed), and per route
// that has served anything: its last second's rps and p50/p99, its totals and errors. For a client
// that may see /debug/tasks (task_dump_refusal), also the live tasks: "task_tree" (the first 500 of
// dump_tasks_json()'s "tasks", oldest first) and "task_count".
//
// A stream handler (serve/handler.hpp): each event is one `data:` line of JSON. It ends at a
// graceful shutdown (the last chunk is sent) or when the client goes away.
// Cancellation: at the drain deadline, like every stream handler. Exceptions: I/O errors end it.
// Thread safety: runs on its connection's shard; reads the app's counters (safe from any shard).
#pragma once

#include <serve/handler.hpp>

namespace serve {

/// The handler.
[[nodiscard]] corio::awaitable<void> api_events(request_context& c, stream& s);

}  // namespace serve
