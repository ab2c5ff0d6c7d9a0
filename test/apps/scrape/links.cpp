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

BOOST_AUTO_TEST_SUITE_END()
