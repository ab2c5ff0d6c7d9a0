#include "scrape/scraper.hpp"

#include "scrape_testing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <vector>

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

CORIO_HTTP_TEST(max_memory_bounds_the_pages_held_in_flight_and_the_summary_reports_the_frontier) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 100;
  o.same_host = true;
  o.concurrency = 32;
  o.max_bytes = std::size_t{1} << 20;
  o.max_memory = std::size_t{2} << 20;  // two pages of --max-bytes at once
  std::ostringstream out;
  scrape::scraper s(o, out);
  auto sum = co_await s.run(url_list(srv.url("/site/")));
  BOOST_TEST(lines(out.str()).size() == srv.site_paths().size() + 2);  // every page still fetched
  BOOST_TEST(sum.peak_in_flight() == 2u);  // never more than two at once, and two when there is work
  // (The server may see one more per slot: its handler ends after the client has the response.)
  BOOST_TEST(srv.max_concurrent_requests() <= 4u);
  BOOST_TEST_REQUIRE(sum.frontier().has_value());
  BOOST_TEST(*sum.frontier() == srv.site_paths().size() + 2);
  BOOST_TEST(sum.peak_queued() > 0u);
  BOOST_TEST(sum.format().find("frontier: " + std::to_string(*sum.frontier()) + " URLs known") != std::string::npos);
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

CORIO_HTTP_TEST(an_unreachable_robots_txt_disallows_the_origin_like_a_5xx) {
  http_test_server::options so;
  so.robots_fault = "stall";
  http_test_server stalled(so);
  so.robots_fault = "reset";
  http_test_server reset(so);
  auto o = quick_options();
  o.robots = true;
  o.read_timeout = 1;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(stalled.url("/ok"), reset.url("/ok")));
  auto m = by_url(out.str());
  for (const auto* srv : {&stalled, &reset}) {
    const auto& row = m[srv->url("/ok")];
    BOOST_TEST(str(row, "error_kind") == "robots");
    BOOST_TEST(str(row, "error").find("robots: robots.txt could not be fetched (") == 0u, str(row, "error"));
    BOOST_TEST(str(row, "error").find("everything is disallowed") != std::string::npos, str(row, "error"));
    BOOST_TEST(srv->hits("/ok") == 0u);
  }
  BOOST_TEST(str(m[stalled.url("/ok")], "error").find("(timeout: ") != std::string::npos);
  BOOST_TEST(str(m[reset.url("/ok")], "error").find("(connection: ") != std::string::npos);
}

CORIO_HTTP_TEST(a_robots_txt_over_500_kib_is_cut_there_not_refused_whatever_max_bytes_says) {
  http_test_server::options so;
  so.robots_txt = "User-agent: *\nDisallow: /site/private/\n";
  while (so.robots_txt.size() < 600 * 1024) so.robots_txt += "# a long comment line to pad the file out\n";
  so.robots_txt += "Disallow: /ok\n";  // beyond 500 KiB: not read
  http_test_server srv(so);
  auto o = quick_options();
  o.robots = true;
  o.max_bytes = 1000;  // the pages' limit, not robots.txt's
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/ok"), srv.url("/site/private/secret.html")));
  auto m = by_url(out.str());
  BOOST_TEST(num(m[srv.url("/ok")], "status") == 200);
  BOOST_TEST(str(m[srv.url("/site/private/secret.html")], "error") == "robots: disallowed by robots.txt");
  BOOST_TEST(srv.hits("/site/private/secret.html") == 0u);
}

CORIO_HTTP_TEST(crawl_delay_spaces_the_requests_to_an_origin_and_rows_show_the_wait) {
  http_test_server::options so;
  so.robots_txt = "User-agent: *\nCrawl-delay: 0.3\n";
  http_test_server srv(so);
  auto o = quick_options();
  o.robots = true;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/ok?a"), srv.url("/ok?b"), srv.url("/ok?c")));
  std::vector<double> waits;
  for (const auto& row : lines(out.str())) {
    BOOST_TEST(num(row, "status") == 200);
    waits.push_back(row.at("robots_wait_ms").to_number<double>());
  }
  BOOST_REQUIRE(waits.size() == 3u);
  std::sort(waits.begin(), waits.end());
  // Each request starts 300 ms after the one before; all three waited from before the first.
  BOOST_TEST(waits[1] >= 299.0);
  BOOST_TEST(waits[2] >= 599.0);
}

CORIO_HTTP_TEST(without_robots_rows_have_no_robots_wait) {
  http_test_server srv;
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  co_await s.run(url_list(srv.url("/ok")));
  BOOST_TEST(!lines(out.str()).at(0).contains("robots_wait_ms"));
}

CORIO_HTTP_TEST(a_title_in_the_charset_of_the_content_type_is_written_in_utf8) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 1;
  std::ostringstream out;
  scrape::scraper s(o, out);
  co_await s.run(url_list(srv.url("/latin1")));
  auto m = by_url(out.str());
  BOOST_TEST(str(m[srv.url("/latin1")], "title") == "Caf\xC3\xA9");
  BOOST_TEST(num(m[srv.url("/latin1")], "links") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
