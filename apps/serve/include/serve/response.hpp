// serve/response.hpp — what handlers return, and helpers to build it.
//
// A response is a Beast message with a string body (most handlers), a file body (static files)
// or no body (HEAD, 304). The connection adds Server, Date, Connection and Content-Length.
//
// Cancellation: not applicable.  Exceptions: std::bad_alloc; json() as Boost.JSON.
// Thread safety: values; not shared.
#pragma once

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace serve {

namespace http = boost::beast::http;

using string_response = http::response<http::string_body>;
using file_response = http::response<http::file_body>;
using empty_response = http::response<http::empty_body>;

using response = std::variant<string_response, file_response, empty_response>;

/// A text response; `content_type` defaults to text/plain.
[[nodiscard]] string_response text(http::status status, std::string body,
                                   std::string_view content_type = "text/plain; charset=utf-8");
/// A JSON response (serialized once, here).
[[nodiscard]] string_response json(http::status status, const boost::json::value& v);
/// The error responses the server itself sends: {"error": "...", "status": N}.
[[nodiscard]] string_response error(http::status status, std::string_view message);

/// The header part of any response.
[[nodiscard]] http::response_header<>& header_of(response& r) noexcept;
/// The body's size in bytes (for HEAD, the size the GET would have sent).
[[nodiscard]] std::uint64_t body_size(response& r);

}  // namespace serve
