// corio/config.hpp — common aliases. Corio's coroutines are plain boost::asio::awaitable<T>.
//
// Cancellation, exceptions: not applicable (type aliases only).  Thread safety: not applicable.
#pragma once

// Asio is compiled once, inside libcorio, with or without its deprecated interfaces
// (CORIO_ASIO_NO_DEPRECATED, set by Corio's CMake target); every translation unit must agree.
#if defined(CORIO_ASIO_NO_DEPRECATED) && !CORIO_ASIO_NO_DEPRECATED && defined(BOOST_ASIO_NO_DEPRECATED)
#error "BOOST_ASIO_NO_DEPRECATED is defined here, but libcorio's Asio was built with Asio's deprecated interfaces: every translation unit must agree. Configure Corio with -DCORIO_ASIO_NO_DEPRECATED=ON (it then defines BOOST_ASIO_NO_DEPRECATED for every target linking corio::corio), or do not define it."
#endif
#if defined(CORIO_ASIO_NO_DEPRECATED) && CORIO_ASIO_NO_DEPRECATED && !defined(BOOST_ASIO_NO_DEPRECATED)
#error "libcorio's Asio was built with BOOST_ASIO_NO_DEPRECATED, which is not defined here: every translation unit must agree (link corio::corio, which defines it)."
#endif

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
