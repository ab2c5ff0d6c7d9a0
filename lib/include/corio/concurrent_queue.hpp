// corio/concurrent_queue.hpp — a FIFO queue that any thread and any executor may use: the way to
// cross shards (`corio::run` with several threads) or to feed coroutines from plain threads.
//
//   corio::concurrent_queue<job> q(64);
//   std::thread producer([&] { for (...) q.async_put(make_job(), asio::use_future).get(); q.close(); });
//   // on any io_context:
//   while (auto j = co_await q.next()) handle(*j);
//
// The same operations and semantics as corio::queue<T> (corio/queue.hpp): FIFO-fair getters and
// putters, backpressure at `capacity` (0 = unbounded), task_done()/join(), close() with Python 3.13
// / Trio semantics (gets drain, then report closed; puts after close throw queue_closed), and the
// completion-token forms (async_put, async_get, async_next, async_join). `try_put`/`try_get` never
// wait and need no executor: plain threads may call them. Each waiter is resumed by a post to its
// own handler's associated executor — a coroutine on io_context A is resumed on A even when a
// thread or a coroutine on io_context B woke it — and a waiter keeps that executor's work count
// up while it waits, so its io_context::run() does not return under it. From a plain thread, wait
// with asio::use_future (its handler runs on Asio's system executor).
//
// Cancellation: as corio::queue: waiting operations are cancellable through their cancellation
// slot (terminal, partial, total), complete with operation_aborted, and lose no item; a cancellation
// that races with a hand-off on another thread is decided under the queue's mutex: either the
// waiter is cancelled and the item goes to the next getter, or the waiter receives the item.
// Cancellation signals must be emitted on the waiter's own executor (as Asio requires).
// Exceptions: queue_closed; std::logic_error from an extra task_done(); the cancellation.
// Thread safety: every member function may be called from any thread concurrently (one mutex,
// held briefly; handlers are never invoked under it). Destruction must not race with other calls.
#pragma once

#include <corio/queue.hpp>

namespace corio {

/// A thread-safe corio::queue<T>: first in, first out.
template <typename T>
using concurrent_queue = basic_queue<T, detail::fifo_container<T>, detail::thread_safe>;

}  // namespace corio
