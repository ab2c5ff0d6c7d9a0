// Internal: host name resolution through Asio's resolver, awaited cancellably.
#pragma once

#include <corio/config.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace corio::http::detail {

/// The endpoints of `host`:`port`. IP literals need no lookup. Otherwise getaddrinfo runs on
/// Asio's resolver thread in a task of its own, and this coroutine only awaits that task: when
/// it is cancelled (a timeout) it returns at once, and the lookup ends unobserved in the
/// background (getaddrinfo cannot be interrupted). Throws corio::http::error (errc::dns).
[[nodiscard]] awaitable<std::vector<boost::asio::ip::tcp::endpoint>> resolve(std::string host, std::uint16_t port,
                                                                            std::string url);

}  // namespace corio::http::detail
