// corio/config.hpp — common aliases. Corio's coroutines are plain boost::asio::awaitable<T>.
//
// Cancellation, exceptions: not applicable (type aliases only).  Thread safety: not applicable.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace corio {

namespace asio = boost::asio;

/// The executor Corio's coroutines run on (Asio's default for awaitable<T>).
using executor = asio::any_io_executor;

/// A coroutine: Corio adds the toolkit, not a new coroutine type.
template <typename T = void>
using awaitable = asio::awaitable<T, executor>;

/// Durations everywhere in Corio are steady-clock durations.
using duration = std::chrono::steady_clock::duration;

}  // namespace corio
