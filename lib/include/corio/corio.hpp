// corio/corio.hpp — everything, grouped as in README. Each header states its own cancellation,
// exception and thread-safety behaviour.
#pragma once

// Running
#include <corio/clock.hpp>
#include <corio/run.hpp>
#include <corio/sleep.hpp>

// Tasks and structure
#include <corio/as_completed.hpp>
#include <corio/generator.hpp>
#include <corio/cancellation.hpp>
#include <corio/exception_group.hpp>
#include <corio/gather.hpp>
#include <corio/race.hpp>
#include <corio/result.hpp>
#include <corio/shield.hpp>
#include <corio/context.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/call_later.hpp>

// Time
#include <corio/deadline.hpp>
#include <corio/timeout.hpp>

// Synchronization
#include <corio/barrier.hpp>
#include <corio/capacity_limiter.hpp>
#include <corio/condition.hpp>
#include <corio/event.hpp>
#include <corio/lock.hpp>
#include <corio/semaphore.hpp>

// Queues and channels
#include <corio/broadcast.hpp>
#include <corio/channel_error.hpp>
#include <corio/concurrent_queue.hpp>
#include <corio/queue.hpp>

// Threads
#include <corio/thread.hpp>

// Networking
#include <corio/process.hpp>
#include <corio/stream.hpp>
#include <corio/stream_error.hpp>

// Patterns
#include <corio/rate_limiter.hpp>
#include <corio/retry.hpp>
#include <corio/with.hpp>

// Logging and debugging
#include <corio/debug.hpp>
#include <corio/log.hpp>
