// scrape/robots.hpp — robots.txt (RFC 9309): which paths a crawler may fetch.
//
// parse() keeps the group for the most specific matching user agent (the product token of our
// User-Agent, compared case-insensitively), else the "*" group. allowed() applies the longest
// matching Allow/Disallow rule (Allow wins a tie); '*' matches any characters, a trailing '$'
// anchors the end. /robots.txt itself is always allowed. The fetch policy is the scraper's
// (scraper.hpp): RFC 9309 §2.3.1 — 4xx allows everything, 5xx disallows everything.
//
// Cancellation: not applicable.  Exceptions: std::bad_alloc only.
// Thread safety: a value type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scrape {

class robots_rules {
public:
  /// Everything allowed.
  robots_rules() = default;
  /// Nothing allowed (but /robots.txt).
  [[nodiscard]] static robots_rules disallow_all() {
    robots_rules r;
    r.default_allow_ = false;
    return r;
  }

  [[nodiscard]] static robots_rules parse(std::string_view robots_txt, std::string_view user_agent);

  /// `path` is the path and query of a URL ("/a/b?x=1").
  [[nodiscard]] bool allowed(std::string_view path) const;

private:
  struct rule {
    std::string pattern;
    bool allow;
  };
  std::vector<rule> rules_;
  bool default_allow_ = true;
};

}  // namespace scrape
