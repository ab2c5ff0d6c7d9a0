#include "scrape/links.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

BOOST_AUTO_TEST_SUITE(scrape_links)

BOOST_AUTO_TEST_CASE(links_are_resolved_normalised_deduplicated_and_in_document_order) {
  const auto p = scrape::extract_page(R"html(<html><head><title>  My
      Page </title></head><body>
      <a href="b.html">b</a> <a href="/c?x=1#frag">c</a> <a href="b.html#top">b again</a>
      <a href="HTTP://Other.Test:80/">other</a> <area href="../d.html">
      <a href="mailto:x@y.z">mail</a> <a href="javascript:void(0)">js</a> <a>no href</a>
      <a href="e.html" rel="external nofollow">skipped</a>
    </body></html>)html", "http://h.test/dir/a.html");
  BOOST_TEST(p.title == "My Page");
  BOOST_TEST(p.links == (std::vector<std::string>{"http://h.test/dir/b.html", "http://h.test/c?x=1",
                                                  "http://other.test/", "http://h.test/d.html"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(base_href_applies_to_every_link) {
  const auto p = scrape::extract_page(R"(<a href="x.html">x</a><base href="http://cdn.test/root/"><a href="y">y</a>)",
                                      "http://h.test/a/b.html");
  BOOST_TEST(p.links == (std::vector<std::string>{"http://cdn.test/root/x.html", "http://cdn.test/root/y"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(broken_markup_is_read_like_a_browser_reads_it) {
  const auto p = scrape::extract_page("<title>T<a href='/x'>unclosed <p><a href=/y>y", "http://h.test/");
  BOOST_TEST(p.title == "T<a href='/x'>unclosed <p><a href=/y>y");  // title is raw text up to </title>
  const auto q = scrape::extract_page("<div><a href='/x'>unclosed <p><a href=/y>y", "http://h.test/");
  BOOST_TEST(q.links == (std::vector<std::string>{"http://h.test/x", "http://h.test/y"}), boost::test_tools::per_element());
  BOOST_TEST(q.title.empty());
}

BOOST_AUTO_TEST_CASE(a_hostile_deeply_nested_page_is_read_only_down_to_a_sane_depth) {
  // 100,000 nested elements would take gumbo hours; the links before the deep part still count.
  std::string html = "<title>deep</title><ul><li><a href='/before'>b</a><li>x</ul>";
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "<a href='/deep'>deep</a>";
  const auto t0 = std::chrono::steady_clock::now();
  const auto p = scrape::extract_page(html, "http://h.test/");
  BOOST_TEST(p.links == (std::vector<std::string>{"http://h.test/before"}), boost::test_tools::per_element());
  BOOST_TEST(p.title == "deep");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(ordinary_nesting_and_unclosed_list_items_are_read_in_full) {
  std::string html = "<!-- <div><div> --><script>if (a < b) { x = '<div>'; }</script><ul>";
  for (int i = 0; i < 3000; ++i) html += "<li><p>item<br><img src=x>";
  for (int i = 0; i < 100; ++i) html += "<div><span>";
  html += "<a href='/end'>end</a>";
  const auto p = scrape::extract_page(html, "http://h.test/");
  BOOST_TEST(p.links == (std::vector<std::string>{"http://h.test/end"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(only_html_media_types_are_parsed) {
  BOOST_TEST(scrape::is_html("text/html"));
  BOOST_TEST(scrape::is_html("application/xhtml+xml"));
  BOOST_TEST(!scrape::is_html("text/plain"));
  BOOST_TEST(!scrape::is_html(""));
}

BOOST_AUTO_TEST_CASE(the_content_type_charset_decides_the_title_encoding) {
  // "café" in Latin-1, and "€" in windows-1252 (0x80), which ISO-8859-1 labels mean in browsers.
  const auto p = scrape::extract_page("<title>caf\xE9 \x80</title>", "http://h.test/", "ISO-8859-1");
  BOOST_TEST(p.title == "caf\xC3\xA9 \xE2\x82\xAC");
  BOOST_TEST(scrape::charset_of("text/html; charset=\"ISO-8859-1\"") == "ISO-8859-1");
  BOOST_TEST(scrape::charset_of("text/html;CHARSET=koi8-r ; x=y") == "koi8-r");
  BOOST_TEST(scrape::charset_of("text/html").empty());
}

BOOST_AUTO_TEST_CASE(without_a_header_charset_a_meta_in_the_first_bytes_decides) {
  // "При" in windows-1251.
  const auto a = scrape::extract_page("<html><head><meta charset=\"windows-1251\"><title>\xCF\xF0\xE8</title>",
                                      "http://h.test/");
  BOOST_TEST(a.title == "\xD0\x9F\xD1\x80\xD0\xB8");
  // "ą" in ISO-8859-2, declared the HTML 4 way.
  const auto b = scrape::extract_page(
      "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-2\"><title>\xB1</title>", "http://h.test/");
  BOOST_TEST(b.title == "\xC4\x85");
  // The header wins over the meta.
  const auto c = scrape::extract_page("<meta charset=\"windows-1251\"><title>caf\xC3\xA9</title>", "http://h.test/", "utf-8");
  BOOST_TEST(c.title == "caf\xC3\xA9");
  // A meta after the first 1024 bytes is not looked for.
  const auto d = scrape::extract_page(std::string(1100, ' ') + "<meta charset=\"windows-1251\"><title>ok</title>",
                                      "http://h.test/");
  BOOST_TEST(d.title == "ok");
}

BOOST_AUTO_TEST_CASE(an_unknown_charset_is_read_as_utf8_and_invalid_bytes_are_replaced) {
  const auto p = scrape::extract_page("<title>caf\xC3\xA9 \xFF</title>", "http://h.test/", "x-no-such-charset");
  BOOST_TEST(p.title.find("caf\xC3\xA9") == 0u);
  // 0x81 starts a two-byte Shift_JIS character; '<' cannot end one: invalid.
  const auto q = scrape::extract_page("<title>a\x81</title>", "http://h.test/", "shift_jis");
  BOOST_TEST(q.title.find("a") == 0u);
  for (const auto& t : {p.title, q.title}) {  // valid UTF-8 (no byte above 0x7F outside a sequence)
    for (std::size_t i = 0; i < t.size(); ++i) {
      const auto c = static_cast<unsigned char>(t[i]);
      BOOST_TEST((c < 0x80 || c >= 0xC2 || (c & 0xC0) == 0x80), t);
    }
  }
  BOOST_TEST(q.title == "a\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_SUITE_END()
