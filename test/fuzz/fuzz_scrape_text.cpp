// Fuzz target 3: the scraper's text inputs — URL parsing and normalisation, link extraction from
// HTML (gumbo) and robots.txt parsing. The input is split at the first NUL byte: the part before
// it is a URL (the page's URL and a reference to join), the rest is the document, read both as
// HTML and as robots.txt.
//
// Checked, besides "no crash, no sanitizer report": every extracted link is itself a normal form
// (normalising it again changes nothing), and robots decisions are deterministic.
#include <scrape/links.hpp>
#include <scrape/robots.hpp>

#include <corio/http/error.hpp>
#include <corio/http/url.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view url = input.substr(0, nul == std::string_view::npos ? input.size() : nul);
  const std::string_view doc = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);

  // URL: parse + normalise (throws corio::http::error for what is not an absolute http(s) URL).
  std::string base = "http://example.com/dir/page.html";
  try {
    const auto normal = corio::http::normalize_url(url);
    require(corio::http::normalize_url(normal) == normal, "normalize_url is idempotent");
    base = normal;
  } catch (const corio::http::error&) {
  }
  if (const auto joined = corio::http::join_url(base, url)) {
    try {
      const auto normal = corio::http::normalize_url(*joined);
      require(corio::http::normalize_url(normal) == normal, "normalize_url(join_url) is idempotent");
    } catch (const corio::http::error&) {
    }
  }

  // HTML: links come out absolute and normalised.
  const auto page = scrape::extract_page(doc, base);
  for (const auto& link : page.links) {
    require(corio::http::normalize_url(link) == link, "extracted links are normal forms");
  }

  // robots.txt: parse for our agent; decisions about the URL's path are stable.
  const auto rules = scrape::robots_rules::parse(doc, "corio-scrape/0.1");
  const std::string_view path = url.empty() || url.front() != '/' ? std::string_view{"/"} : url;
  require(rules.allowed(path) == rules.allowed(path), "robots decisions are deterministic");
  require(rules.allowed("/robots.txt"), "/robots.txt is always allowed");
  return 0;
}
