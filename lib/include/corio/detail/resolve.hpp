// corio/detail/resolve.hpp — a host name's addresses, awaited cancellably (internal: shared by
// corio::open_tcp and corio::http's client).
//
// An IP literal is returned at once. Otherwise getaddrinfo runs on Asio's resolver thread and
// cannot be interrupted, so the lookup is a task of its own: a caller that is cancelled (or times
// out) stops waiting at once, and the lookup finishes unobserved in the background.
// Cancellation: operation_aborted at once. Exceptions: none for a failed lookup (its error code is
// in the result); operation_aborted. Thread safety: executor-affine.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace corio::detail {

struct resolved {
  boost::system::error_code ec;                          ///< the lookup's error, if it failed
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  ///< in getaddrinfo's order
};

/// The addresses of `host` (a name or an IP literal) with `port`; `task_name` names the lookup's
/// task (corio::dump_tasks).
[[nodiscard]] awaitable<resolved> resolve(std::string host, std::uint16_t port, std::string task_name);

}  // namespace corio::detail
