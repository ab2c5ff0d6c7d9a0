// serve/router.hpp — method + path routing with path parameters.
//
//   r.add(http::verb::get, "/api/items/{id}", [](request_context& c) { return text(ok, c.param("id")); });
//   r.add(http::verb::get, "/static/{*path}", serve_file);      // {*name}: the rest of the path
//
// Handlers and what they see: serve/handler.hpp.
// Patterns match the raw (still percent-encoded) path, segment by segment; routes are tried in the
// order they were added, except that catch-alls ({*name}) come after every other route. HEAD falls
// back to the GET route. A path that some route matches with
// another method gives 405 with Allow; no match gives 404.
//
// Cancellation: not applicable.  Exceptions: std::invalid_argument for a malformed pattern.
// Thread safety: add() before serving; find() is const and safe from every shard at once.
#pragma once

#include <serve/handler.hpp>

#include <corio/config.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace serve {

class router {
public:
  struct route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" and "{*name}" are parameters
    handler h;
    std::size_t index = 0;  // order of addition (the per-route counters' index)
  };

  struct match {
    const route* found = nullptr;  // null: see status
    std::vector<std::pair<std::string_view, std::string_view>> params;
    http::status status = http::status::not_found;  // not_found or method_not_allowed
    std::string allow;                              // for 405
  };

  void add(http::verb method, std::string pattern, handler h);

  [[nodiscard]] match find(http::verb method, std::string_view path) const;

  /// "METHOD /pattern" of every route, by index.
  [[nodiscard]] std::vector<std::string> names() const;

private:
  static bool match_segments(const route& r, std::string_view path,
                             std::vector<std::pair<std::string_view, std::string_view>>& params);
  std::vector<route> routes_;
};

/// Percent-decodes `s` ('+' as a space if `plus_is_space`); empty optional if malformed.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace serve
