// corio/cancellation.hpp — how cancellation surfaces, and how to recognise it.
//
// Corio is level-triggered (like Trio, and like Asio's own awaitable cancellation state): once a
// task, group or timeout scope is cancelled, every later suspension point inside it fails until the
// scope is left, unless shielded (corio/shield.hpp). A cancelled operation completes with Asio's
// own `boost::asio::error::operation_aborted`, thrown as `boost::system::system_error`, so existing
// Asio code needs no new catch clauses.
//
// Cancellation: these helpers do not suspend.  Exceptions: throw_cancelled() throws, the rest do not.
// Thread safety: all functions are safe from any thread.
#pragma once

#include <exception>

namespace corio {

/// True when `e` holds the error a cancelled operation throws: operation_aborted, or the
/// channel_cancelled of Asio's experimental channels.
[[nodiscard]] bool is_cancellation(const std::exception_ptr& e) noexcept;
[[nodiscard]] bool is_cancellation(const std::exception& e) noexcept;

/// Throws the same error a cancelled Asio operation throws.
[[noreturn]] void throw_cancelled();

/// The exception_ptr for a cancellation, without throwing.
[[nodiscard]] std::exception_ptr cancellation_error() noexcept;

}  // namespace corio
