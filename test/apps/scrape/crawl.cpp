#include "scrape/scraper.hpp"

#include "scrape_testing.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using corio::test::http_test_server;
using namespace scrape_test;

BOOST_AUTO_TEST_SUITE(scrape_crawl)

CORIO_HTTP_TEST(crawl_fetches_every_reachable_page_exactly_once) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 100;
  o.same_host = true;
  o.concurrency = 8;
  std::ostringstream out;
  scrape::scraper s(o, out);
  auto sum = co_await s.run(url_list(srv.url("/site/")));
  const auto rows = lines(out.str());
  std::set<std::string> fetched;
  for (const auto& r : rows) BOOST_TEST(fetched.insert(str(r, "url")).second, "twice: " << str(r, "url"));
  for (const auto& p : srv.site_paths()) {
    BOOST_TEST(fetched.count(srv.url(p)) == 1u, p);
    BOOST_TEST(srv.hits(p) == 1u, p);
  }
  // Plus the broken link and the private page (robots.txt not honoured here); nothing else.
  BOOST_TEST(fetched.count(srv.url("/status/404")) == 1u);
  BOOST_TEST(fetched.count(srv.url("/site/private/secret.html")) == 1u);
  BOOST_TEST(rows.size() == srv.site_paths().size() + 2);
  BOOST_TEST(srv.hits("/robots.txt") == 0u);
  auto m = by_url(out.str());
  BOOST_TEST(str(m[srv.url("/site/")], "title") == "Page 0");
  BOOST_TEST(num(m[srv.url("/site/")], "depth") == 0);
  BOOST_TEST(num(m[srv.url("/site/")], "links") == 6);  // p1, p2, itself, private, external, 404 (unique, http only)
  BOOST_TEST(num(m[srv.url("/site/p1.html")], "depth") == 1);
  BOOST_TEST(str(m[srv.url("/status/404")], "title") == "null");
  BOOST_TEST(sum.not_attempted().empty());
}

CORIO_HTTP_TEST(robots_txt_is_fetched_once_and_disallowed_pages_get_a_row_but_no_request) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 100;
  o.same_host = true;
  o.robots = true;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/site/")));
  auto m = by_url(out.str());
  BOOST_TEST(srv.hits("/robots.txt") == 1u);
  BOOST_TEST(srv.hits("/site/private/secret.html") == 0u);
  BOOST_TEST(str(m[srv.url("/site/private/secret.html")], "error_kind") == "robots");
  BOOST_TEST(num(m[srv.url("/site/private/secret.html")], "attempts") == 0);
  BOOST_TEST(srv.hits("/site/p1.html") == 1u);
}

CORIO_HTTP_TEST(a_robots_txt_failing_with_5xx_disallows_the_origin_and_a_404_allows_it) {
  http_test_server::options so;
  so.robots_status = 503;
  http_test_server down(so);
  so.robots_status = 404;
  http_test_server missing(so);
  auto o = quick_options();
  o.robots = true;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(down.url("/ok"), down.url("/site/"), missing.url("/ok")));
  auto m = by_url(out.str());
  BOOST_TEST(str(m[down.url("/ok")], "error_kind") == "robots");
  BOOST_TEST(str(m[down.url("/site/")], "error_kind") == "robots");
  BOOST_TEST(down.requests() == 1u);  // robots.txt only
  BOOST_TEST(num(m[missing.url("/ok")], "status") == 200);
}

CORIO_HTTP_TEST(depth_limits_how_far_links_are_followed) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 1;
  o.same_host = true;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/site/")));
  std::set<std::string> fetched;
  for (const auto& r : lines(out.str())) {
    fetched.insert(str(r, "url"));
    BOOST_TEST(num(r, "depth") <= 1);
  }
  BOOST_TEST(fetched == (std::set<std::string>{srv.url("/site/"), srv.url("/site/p1.html"), srv.url("/site/p2.html"),
                                               srv.url("/site/private/secret.html"), srv.url("/status/404")}),
             boost::test_tools::per_element());
}

CORIO_HTTP_TEST(max_urls_stops_discovery) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 100;
  o.same_host = true;
  o.max_urls = 10;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/site/")));
  BOOST_TEST(lines(out.str()).size() == 10u);
}

CORIO_HTTP_TEST(without_same_host_links_to_other_hosts_are_followed_too) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 1;
  o.connect_timeout = 5;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/site/")));
  auto m = by_url(out.str());
  BOOST_REQUIRE(m.count("http://example.invalid/external"));
  const auto kind = str(m["http://example.invalid/external"], "error_kind");
  BOOST_TEST((kind == "dns" || kind == "timeout"), kind);  // .invalid never resolves (RFC 6761)
}

BOOST_AUTO_TEST_SUITE_END()
