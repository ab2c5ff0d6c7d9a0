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
#include <type_traits>
#include <vector>

namespace corio {

namespace asio = boost::asio;

/// The executor Corio's coroutines run on (Asio's default for awaitable<T>).
using executor = asio::any_io_executor;

/// A coroutine: Corio adds the toolkit, not a new coroutine type.
template <typename T = void>
using awaitable = asio::awaitable<T, executor>;

/// Durations everywhere in Corio are steady-clock durations.
using duration = std::chrono::steady_clock::duration;

namespace detail {

/// True for an asio::awaitable whose executor type is not corio::executor: Corio's combinators
/// refuse such a coroutine with a static_assert naming the fix (see corio/interop.hpp).
template <typename A>
struct is_foreign_awaitable : std::false_type {};
template <typename T, typename Executor>
struct is_foreign_awaitable<asio::awaitable<T, Executor>> : std::bool_constant<!std::is_same_v<Executor, executor>> {};
template <typename T, typename Executor, typename Alloc>
struct is_foreign_awaitable<std::vector<asio::awaitable<T, Executor>, Alloc>> : is_foreign_awaitable<asio::awaitable<T, Executor>> {};
template <typename A>
constexpr bool foreign_awaitable_or_factory() {
  using D = std::remove_cvref_t<A>;
  if constexpr (is_foreign_awaitable<D>::value) return true;
  else if constexpr (std::is_invocable_v<D&>) return is_foreign_awaitable<std::remove_cvref_t<std::invoke_result_t<D&>>>::value;
  else return false;
}
/// Some argument is such a coroutine, or a callable returning one.
template <typename... A>
concept any_foreign_awaitable = (foreign_awaitable_or_factory<A>() || ...);
template <typename...>
inline constexpr bool always_false = false;

}  // namespace detail

/// The second half of the message of those static_asserts.
#define CORIO_DETAIL_FOREIGN_AWAITABLE_FIX                                                                  \
  " takes corio::awaitable<T> (asio::awaitable<T, asio::any_io_executor>); this coroutine has another " \
  "executor type: declare it as corio::awaitable<T>, or pass asio::co_spawn(its_executor, coroutine, "  \
  "asio::deferred) through corio::to_awaitable (corio/interop.hpp)"

}  // namespace corio
