// scrape/links.hpp — what a crawler needs from an HTML page: its title and the links it makes
// (parsed with gumbo, an HTML5 parser, so broken markup is read the way browsers read it).
//
// Links are the href of <a> and <area> elements, resolved against the page URL (or its <base
// href>), normalised (corio::http::normalize_url: no fragment, lower-case host, ...), restricted
// to http(s), de-duplicated, in document order. Links marked rel="nofollow" are skipped. A page
// nested deeper than 512 elements is read only up to that point (gumbo's time explodes with depth:
// a hostile page must not stall the event loop).
// Encoding: the charset given (the Content-Type's), else a <meta charset> or <meta http-equiv
// content="...; charset=..."> in the first 1024 bytes (HTML's prescan), else UTF-8. A page in
// another encoding is converted to UTF-8 before parsing (glibc's iconv; ISO-8859-1 and US-ASCII
// read as windows-1252, as browsers do); an unknown charset is read as UTF-8. Bytes invalid in
// the encoding become U+FFFD: the title is always valid UTF-8.
//
// Cancellation: not applicable.  Exceptions: std::bad_alloc only.
// Thread safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scrape {

struct page_info {
  std::string title;               ///< whitespace collapsed; empty if none
  std::vector<std::string> links;  ///< absolute, normalised, unique
};

[[nodiscard]] page_info extract_page(std::string_view html, std::string_view page_url,
                                     std::string_view charset = {});

/// The charset parameter of a Content-Type value ("text/html; charset=ISO-8859-1" →
/// "ISO-8859-1"); empty if none.
[[nodiscard]] std::string_view charset_of(std::string_view content_type) noexcept;

/// True for media types whose bodies are parsed for links (text/html, application/xhtml+xml).
[[nodiscard]] bool is_html(std::string_view content_type) noexcept;

}  // namespace scrape
