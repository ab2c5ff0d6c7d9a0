// scrape/robots.hpp — robots.txt (RFC 9309): which paths a crawler may fetch.
//
// parse() keeps the group for the most specific matching user agent (the product token of our
// User-Agent, compared case-insensitively), else the "*" group. allowed() applies the longest
// matching Allow/Disallow rule (Allow wins a tie); '*' matches any characters, a trailing '$'
// anchors the end. /robots.txt itself is always allowed. Only the first max_size bytes (500 KiB,
// RFC 9309 §2.5) are parsed, up to the last whole line in them; a UTF-8 byte order mark is
// skipped. The group's Crawl-delay (seconds, fractions allowed) is kept, at most
// max_crawl_delay. The fetch policy is the scraper's (scraper.hpp): RFC 9309 §2.3.1 — 4xx allows
// everything; 5xx, and a robots.txt that cannot be fetched, disallow everything.
//
// Cancellation: not applicable.  Exceptions: std::bad_alloc only.
// Thread safety: a value type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace scrape {

class robots_rules {
public:
  /// Everything allowed.
  robots_rules() = default;
  static constexpr std::size_t max_size = 500 * 1024;
  static constexpr double max_crawl_delay = 60;

  /// Nothing allowed (but /robots.txt); `why` says why, for the rows of the URLs refused.
  [[nodiscard]] static robots_rules disallow_all(std::string why = {}) {
    robots_rules r;
    r.default_allow_ = false;
    r.why_ = std::move(why);
    return r;
  }

  [[nodiscard]] static robots_rules parse(std::string_view robots_txt, std::string_view user_agent);

  /// `path` is the path and query of a URL ("/a/b?x=1").
  [[nodiscard]] bool allowed(std::string_view path) const;
  /// Seconds between two requests to the origin; 0 if the group sets none.
  [[nodiscard]] double crawl_delay() const noexcept { return crawl_delay_; }
  /// Why everything is disallowed (disallow_all); empty for rules parsed from a file.
  [[nodiscard]] const std::string& why_disallowed() const noexcept { return why_; }

private:
  struct rule {
    std::string pattern;
    bool allow;
  };
  std::vector<rule> rules_;
  bool default_allow_ = true;
  double crawl_delay_ = 0;
  std::string why_;
};

}  // namespace scrape
