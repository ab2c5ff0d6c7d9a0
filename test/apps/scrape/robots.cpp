#include "scrape/robots.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

BOOST_AUTO_TEST_SUITE(scrape_robots)

BOOST_AUTO_TEST_CASE(the_star_group_applies_when_no_group_names_us) {
  const auto r = scrape::robots_rules::parse("User-agent: *\nDisallow: /private/\n", "corio-scrape/0.1");
  BOOST_TEST(!r.allowed("/private/x.html"));
  BOOST_TEST(r.allowed("/public/x.html"));
  BOOST_TEST(r.allowed("/robots.txt"));
}

BOOST_AUTO_TEST_CASE(our_own_group_wins_over_the_star_group_case_insensitively) {
  const auto r = scrape::robots_rules::parse(
      "User-agent: *\nDisallow: /\n\nUser-agent: other\nUser-agent: Corio-Scrape\nDisallow: /tmp\n", "corio-scrape/0.1");
  BOOST_TEST(r.allowed("/index.html"));
  BOOST_TEST(!r.allowed("/tmp/a"));
}

BOOST_AUTO_TEST_CASE(the_longest_match_decides_and_allow_wins_a_tie) {
  const auto r = scrape::robots_rules::parse(
      "user-agent: *\ndisallow: /a\nallow: /a/b\ndisallow: /a/b/c\nallow: /x\ndisallow: /x\n", "bot");
  BOOST_TEST(!r.allowed("/a/z"));
  BOOST_TEST(r.allowed("/a/b/z"));
  BOOST_TEST(!r.allowed("/a/b/c/d"));
  BOOST_TEST(r.allowed("/x/y"));
}

BOOST_AUTO_TEST_CASE(wildcards_and_end_anchors_match_as_in_rfc_9309) {
  const auto r = scrape::robots_rules::parse("User-agent: *\nDisallow: /*.pdf$\nDisallow: /*/tmp/\n", "bot");
  BOOST_TEST(!r.allowed("/docs/a.pdf"));
  BOOST_TEST(r.allowed("/docs/a.pdf?download=1"));
  BOOST_TEST(!r.allowed("/x/tmp/y"));
  BOOST_TEST(r.allowed("/tmp/y"));
}

BOOST_AUTO_TEST_CASE(empty_disallow_comments_and_unknown_lines_are_harmless) {
  const auto r = scrape::robots_rules::parse("# hi\nSitemap: /s.xml\nUser-agent: * # all\nDisallow:\nCrawl-delay: 5\n", "bot");
  BOOST_TEST(r.allowed("/anything"));
  BOOST_TEST(scrape::robots_rules().allowed("/x"));
  BOOST_TEST(!scrape::robots_rules::disallow_all().allowed("/x"));
  BOOST_TEST(scrape::robots_rules::disallow_all().allowed("/robots.txt"));
}

BOOST_AUTO_TEST_CASE(only_the_first_500_kib_are_parsed_up_to_the_last_whole_line) {
  std::string txt = "User-agent: *\nDisallow: /early\n";
  while (txt.size() < scrape::robots_rules::max_size - 20) txt += "# padding to reach the limit\n";
  // A line across the limit: cut at the limit it would read "Disallow: /" (everything).
  txt += "Disallow: /late-and-cut-across-the-limit\n";
  BOOST_REQUIRE(txt.size() > scrape::robots_rules::max_size);
  txt += "Disallow: /beyond\n";
  const auto r = scrape::robots_rules::parse(txt, "corio-scrape/0.1");
  BOOST_TEST(!r.allowed("/early"));
  BOOST_TEST(r.allowed("/index.html"));
  BOOST_TEST(r.allowed("/late-and-cut-across-the-limit"));
  BOOST_TEST(r.allowed("/beyond"));
}

BOOST_AUTO_TEST_CASE(a_utf8_byte_order_mark_is_skipped) {
  const auto r = scrape::robots_rules::parse("\xEF\xBB\xBFUser-agent: *\nDisallow: /x\n", "corio-scrape/0.1");
  BOOST_TEST(!r.allowed("/x"));
}

BOOST_AUTO_TEST_CASE(crawl_delay_of_our_group_is_kept_and_capped) {
  const auto r = scrape::robots_rules::parse(
      "User-agent: *\nCrawl-delay: 7\n\nUser-agent: corio-scrape\nCrawl-delay: 0.25\nDisallow: /x\n", "corio-scrape/0.1");
  BOOST_TEST(r.crawl_delay() == 0.25);
  BOOST_TEST(!r.allowed("/x"));
  BOOST_TEST(scrape::robots_rules::parse("User-agent: *\nCrawl-delay: 86400\n", "bot").crawl_delay() ==
             scrape::robots_rules::max_crawl_delay);
  BOOST_TEST(scrape::robots_rules::parse("User-agent: *\nCrawl-delay: soon\n", "bot").crawl_delay() == 0.0);
  BOOST_TEST(scrape::robots_rules::parse("User-agent: *\nCrawl-delay: -3\n", "bot").crawl_delay() == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
