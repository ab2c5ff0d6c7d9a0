// serve/http_date.hpp — IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 9110 5.6.7.
//
// Cancellation: not applicable.  Exceptions: none.
// Thread safety: http_date_now() caches per thread; the rest are pure functions.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace serve {

/// The current time, formatted; re-formatted at most once a second per thread.
[[nodiscard]] std::string_view http_date_now();
[[nodiscard]] std::string http_date(std::time_t t);
/// Parses an IMF-fixdate; empty optional if malformed.
[[nodiscard]] std::optional<std::time_t> parse_http_date(std::string_view s);

}  // namespace serve
