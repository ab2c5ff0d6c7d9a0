// serve/http_date.hpp — HTTP dates, RFC 9110 5.6.7: written as IMF-fixdate ("Sun, 06 Nov 1994
// 08:49:37 GMT"); read in all three formats a recipient must accept (IMF-fixdate, RFC 850's
// "Sunday, 06-Nov-94 08:49:37 GMT", asctime's "Sun Nov  6 08:49:37 1994").
//
// Cancellation: not applicable.  Exceptions: none.
// Thread safety: http_date_now() caches per thread; the rest are pure functions (parse_http_date
// reads the clock for RFC 850's two-digit years).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace serve {

/// The current time, formatted; re-formatted at most once a second per thread.
[[nodiscard]] std::string_view http_date_now();
[[nodiscard]] std::string http_date(std::time_t t);
/// Parses a date in any of the three formats; empty optional if malformed. (The RFC 850 form's
/// two-digit year is read as at most 50 years ahead of now.)
[[nodiscard]] std::optional<std::time_t> parse_http_date(std::string_view s);

}  // namespace serve
