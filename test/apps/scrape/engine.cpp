#include "scrape/scraper.hpp"

#include "scrape_testing.hpp"

#include <corio/sleep.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

using namespace std::chrono_literals;
using corio::test::http_test_server;
using corio::test::ms_since;
using namespace scrape_test;

namespace {

std::uint16_t closed_port() {
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::acceptor a(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// Polls (real time, bounded) until `done()`; then calls `then()`.
template <typename Pred, typename Then>
corio::awaitable<void> when(Pred done, Then then) {
  for (int i = 0; i < 4000 && !done(); ++i) co_await corio::sleep(5ms);
  then();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scrape_engine)

CORIO_HTTP_TEST(every_url_gets_exactly_one_line_whatever_happens_to_it) {
  http_test_server srv;
  auto o = quick_options();
  o.read_timeout = 1;  // for /stall; generous for the others, also on a loaded machine
  std::ostringstream out;
  scrape::scraper s(o, out);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  const std::vector<std::string> urls = {srv.url("/ok"),    srv.url("/status/404"), srv.url("/redirect/2"),
                                         srv.url("/reset"), srv.url("/stall"),      srv.url("/gzip-bomb"),
                                         "not a url",       refused,                srv.url("/ok")};
  auto sum = co_await s.run(urls);
  const auto rows = lines(out.str());
  BOOST_TEST(rows.size() == urls.size());  // the duplicate /ok too: list mode fetches what it is given
  BOOST_TEST(sum.rows() == urls.size());
  BOOST_TEST(sum.not_attempted().empty());
  auto m = by_url(out.str());
  BOOST_TEST(num(m[srv.url("/ok")], "status") == 200);
  BOOST_TEST(str(m[srv.url("/ok")], "error") == "null");
  BOOST_TEST(num(m[srv.url("/ok")], "bytes") == 3);
  BOOST_TEST(str(m[srv.url("/status/404")], "error_kind") == "http_status");
  BOOST_TEST(str(m[srv.url("/status/404")], "error") == "http_status: HTTP 404 Not Found");
  BOOST_TEST(str(m[srv.url("/redirect/2")], "final_url") == srv.url("/redirect/0"));
  BOOST_TEST(str(m[srv.url("/reset")], "error_kind") == "connection");
  BOOST_TEST(str(m[srv.url("/stall")], "error") == "timeout: no data for 1000 ms (read timeout)");
  BOOST_TEST(str(m[srv.url("/gzip-bomb")], "error_kind") == "too_large");
  BOOST_TEST(str(m["not a url"], "error_kind") == "bad_url");
  BOOST_TEST(num(m["not a url"], "attempts") == 0);
  BOOST_TEST(str(m[refused], "error_kind") == "connect");
  BOOST_TEST(sum.by_error().at("connect") == 1u);
  BOOST_TEST(sum.by_status().at(200) == 3u);
}

CORIO_HTTP_TEST(urls_of_one_origin_spelled_differently_are_reported_exactly_as_given) {
  // The origin's queue keeps each spelling of "scheme://authority" once (at most four; more are
  // queued whole): every row must still carry its URL as given.
  http_test_server srv;
  const std::string authority = srv.url("").substr(std::string("http://").size());
  std::vector<std::string> urls;
  int k = 0;
  for (const char* scheme : {"http", "HTTP", "Http", "hTTP", "HtTp", "httP", "HTTp", "hTtP"}) {
    urls.push_back(std::string(scheme) + "://" + authority + "/ok?i=" + std::to_string(k++));
  }
  urls.push_back("http://" + authority + "?i=q");  // no path: the rest is the query
  urls.push_back("http://" + authority);           // nothing after the authority
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  auto sum = co_await s.run(urls);
  BOOST_TEST(sum.rows() == urls.size());
  auto m = by_url(out.str());
  BOOST_TEST(m.size() == urls.size());
  for (std::size_t i = 0; i < 8; ++i) BOOST_TEST(num(m[urls[i]], "status") == 200, urls[i]);
  BOOST_TEST(m.count(urls[8]) == 1u);
  BOOST_TEST(m.count(urls[9]) == 1u);
}

CORIO_HTTP_TEST(seeds_added_before_run_are_fetched_with_its_own_and_adding_later_is_refused) {
  http_test_server srv;
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  s.add(srv.url("/ok?a"));
  s.add("not a url");
  BOOST_TEST(s.added() == 2u);
  BOOST_TEST(lines(out.str()).size() == 1u);  // the bad URL's row is written at once
  std::vector<std::string> more{srv.url("/ok?b")};
  auto sum = co_await s.run(std::move(more));
  BOOST_TEST(sum.rows() == 3u);
  auto m = by_url(out.str());
  BOOST_TEST(num(m[srv.url("/ok?a")], "status") == 200);
  BOOST_TEST(num(m[srv.url("/ok?b")], "status") == 200);
  BOOST_TEST(str(m["not a url"], "error_kind") == "bad_url");
  BOOST_CHECK_THROW(s.add(srv.url("/ok?c")), std::logic_error);
}

CORIO_HTTP_TEST(retries_show_in_attempts_and_in_the_summary) {
  http_test_server srv;
  auto o = quick_options();
  o.retries = 2;
  std::ostringstream out;
  scrape::scraper s(o, out);
  auto sum = co_await s.run(url_list(srv.url("/flaky?key=e1&fails=1"), srv.url("/retry-after?key=e2&fails=2&after=0")));
  auto m = by_url(out.str());
  BOOST_TEST(num(m[srv.url("/flaky?key=e1&fails=1")], "attempts") == 2);
  BOOST_TEST(num(m[srv.url("/flaky?key=e1&fails=1")], "status") == 200);
  BOOST_TEST(num(m[srv.url("/retry-after?key=e2&fails=2&after=0")], "attempts") == 3);
  BOOST_TEST(sum.retries() == 3u);
  BOOST_TEST(sum.errors() == 0u);
}

CORIO_HTTP_TEST(per_host_bounds_the_connections_to_one_origin) {
  http_test_server srv;
  auto o = quick_options();
  o.concurrency = 10;
  o.per_host = 2;
  std::ostringstream out;
  scrape::scraper s(o, out);
  std::vector<std::string> urls(20, srv.url("/slow?ms=20"));
  auto sum = co_await s.run(urls);
  BOOST_TEST(sum.by_status().at(200) == 20u);
  BOOST_TEST(srv.max_open_connections() <= 2u);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(concurrency_bounds_the_requests_in_flight_overall) {
  http_test_server srv;
  auto o = quick_options();
  o.concurrency = 3;
  o.per_host = 100;
  std::ostringstream out;
  scrape::scraper s(o, out);
  std::vector<std::string> urls(15, srv.url("/slow?ms=20"));
  auto sum = co_await s.run(urls);
  BOOST_TEST(sum.rows() == 15u);
  BOOST_TEST(srv.max_open_connections() <= 3u);
}

CORIO_HTTP_TEST(one_slow_origin_does_not_hold_back_the_others) {
  http_test_server slow, fast;
  auto o = quick_options();
  o.concurrency = 4;
  o.per_host = 2;
  std::ostringstream out;
  scrape::scraper s(o, out);
  std::vector<std::string> urls(4, slow.url("/slow?ms=1500"));
  for (int i = 0; i < 10; ++i) urls.push_back(fast.url("/ok"));
  const auto t0 = std::chrono::steady_clock::now();
  co_await s.run(urls);
  const auto rows = lines(out.str());
  BOOST_TEST(rows.size() == 14u);
  // The ten fast ones are written before the slow ones finish (round-robin, per-host slots).
  for (std::size_t i = 0; i < 10; ++i) BOOST_TEST(str(rows.at(i), "url") == fast.url("/ok"));
  BOOST_TEST(ms_since(t0) >= 3000);  // the slow origin: 4 at 2 per host, 1.5 s each
}

CORIO_HTTP_TEST(rate_spaces_requests_to_an_origin) {
  http_test_server srv;
  auto o = quick_options();
  o.rate = 20;  // one per 50 ms
  std::ostringstream out;
  scrape::scraper s(o, out);
  const auto t0 = std::chrono::steady_clock::now();
  co_await s.run(std::vector<std::string>(5, srv.url("/ok")));
  BOOST_TEST(ms_since(t0) >= 200);
}

CORIO_HTTP_TEST(an_interrupt_stops_scheduling_lets_requests_in_flight_finish_and_lists_the_rest) {
  http_test_server srv;
  auto o = quick_options();
  o.concurrency = 2;
  o.grace = 20;  // far longer than a request: everything in flight finishes
  std::ostringstream out;
  scrape::scraper s(o, out);
  std::vector<std::string> urls;
  for (int i = 0; i < 20; ++i) urls.push_back(srv.url("/slow?ms=100&i=" + std::to_string(i)));
  scrape::summary sum;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(when([&] { return !out.str().empty(); }, [&] { s.interrupt(); }));
    sum = co_await s.run(urls);
  };
  co_await corio::task_group::run(body);
  const auto rows = lines(out.str());
  BOOST_TEST(sum.interrupted());
  BOOST_TEST(rows.size() >= 1u);
  BOOST_TEST(rows.size() < 20u);
  BOOST_TEST(rows.size() + sum.not_attempted().size() == 20u);  // nothing lost
  for (const auto& r : rows) BOOST_TEST(num(r, "status") == 200);
  // Not attempted: exactly the ones without a row, in input order.
  std::size_t k = 0;
  for (const auto& u : urls) {
    if (!by_url(out.str()).count(u)) BOOST_TEST(sum.not_attempted().at(k++) == u);
  }
  BOOST_TEST(srv.requests() == rows.size());
}

CORIO_HTTP_TEST(a_second_interrupt_cancels_requests_in_flight_and_each_gets_a_row) {
  http_test_server srv;
  auto o = quick_options();
  o.concurrency = 2;
  std::ostringstream out;
  scrape::scraper s(o, out);
  const std::vector<std::string> urls(5, srv.url("/stall"));
  scrape::summary sum;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(when([&] { return srv.requests() >= 2; }, [&] {
      s.interrupt();
      s.interrupt();
    }));
    sum = co_await s.run(urls);
  };
  co_await corio::task_group::run(body);
  const auto rows = lines(out.str());
  BOOST_TEST(rows.size() == 2u);
  for (const auto& r : rows) {
    BOOST_TEST(str(r, "error_kind") == "interrupted");
    BOOST_TEST(str(r, "error") == "interrupted: cancelled by a second interrupt");
  }
  BOOST_TEST(sum.not_attempted().size() == 3u);
  BOOST_TEST(sum.by_error().at("interrupted") == 2u);
}

CORIO_HTTP_TEST(after_the_grace_period_requests_in_flight_are_cancelled) {
  http_test_server srv;
  auto o = quick_options();
  o.grace = 0.2;
  std::ostringstream out;
  scrape::scraper s(o, out);
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(when([&] { return srv.requests() >= 1; }, [&] { s.interrupt(); }));
    (void)co_await s.run(url_list(srv.url("/stall")));
  };
  const auto t0 = std::chrono::steady_clock::now();
  co_await corio::task_group::run(body);
  auto m = by_url(out.str());
  BOOST_TEST(str(m[srv.url("/stall")], "error_kind") == "interrupted");
  BOOST_TEST(str(m[srv.url("/stall")], "error") == "interrupted: cancelled after the grace period");
  BOOST_TEST(ms_since(t0) >= 200);
  BOOST_TEST(ms_since(t0) < 10000);
}

CORIO_HTTP_TEST(waiting_for_the_rate_counts_as_queue_ms_not_as_the_fetch) {
  http_test_server srv;
  auto o = quick_options();
  o.rate = 4;  // one per 250 ms: the three start together, the third waits 500 ms at least
  std::ostringstream out;
  scrape::scraper s(o, out);
  const auto sum = co_await s.run(std::vector<std::string>(3, srv.url("/ok")));
  double most_queued = 0;
  for (const auto& r : lines(out.str())) {
    most_queued = std::max(most_queued, r.at("queue_ms").to_number<double>());
    BOOST_TEST(r.at("ttfb_ms").to_number<double>() <= r.at("elapsed_ms").to_number<double>());
  }
  BOOST_TEST(most_queued >= 490);  // (a lower bound: the token bucket guarantees it)
  // The summary's latency is the fetch's: it never includes the wait (elapsed_ms + queue_ms does).
  double most_elapsed = 0;
  for (const auto& r : lines(out.str())) most_elapsed = std::max(most_elapsed, r.at("elapsed_ms").to_number<double>());
  BOOST_TEST(std::abs(sum.percentile(100) - most_elapsed) <= 0.051);  // (rows print one decimal)
}

CORIO_HTTP_TEST(a_row_tells_the_redirect_chain_version_peer_encoding_sizes_and_when) {
  http_test_server srv;
  auto o = quick_options();
  std::ostringstream out;
  scrape::scraper s(o, out);
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  co_await s.run(url_list(srv.url("/redirect/2"), srv.url("/gzip"), srv.url("/http10"), srv.url("/ok"), refused));
  auto m = by_url(out.str());
  const auto& chain = m[srv.url("/redirect/2")].at("redirects").as_array();
  BOOST_TEST_REQUIRE(chain.size() == 2u);
  BOOST_TEST(chain[0].as_string() == srv.url("/redirect/2"));
  BOOST_TEST(chain[1].as_string() == srv.url("/redirect/1"));
  BOOST_TEST(m[srv.url("/ok")].at("redirects").as_array().empty());
  BOOST_TEST(str(m[srv.url("/gzip")], "content_encoding") == "gzip");
  BOOST_TEST(num(m[srv.url("/gzip")], "wire_bytes") > 0);
  BOOST_TEST(num(m[srv.url("/gzip")], "wire_bytes") < num(m[srv.url("/gzip")], "bytes"));
  BOOST_TEST(num(m[srv.url("/ok")], "wire_bytes") == num(m[srv.url("/ok")], "bytes"));
  BOOST_TEST(str(m[srv.url("/ok")], "content_encoding") == "null");
  BOOST_TEST(str(m[srv.url("/http10")], "http_version") == "1.0");
  BOOST_TEST(str(m[srv.url("/ok")], "http_version") == "1.1");
  BOOST_TEST(str(m[srv.url("/ok")], "remote_ip") == "127.0.0.1");
  BOOST_TEST(str(m[refused], "http_version") == "null");
  BOOST_TEST(m[refused].at("ttfb_ms").is_null());
  BOOST_TEST(!m[srv.url("/ok")].at("ttfb_ms").is_null());
  for (auto& [url, row] : m) {
    const std::string ts = str(row, "timestamp");
    BOOST_TEST_CONTEXT(url << ": " << ts) {
      BOOST_TEST(ts.size() == 24u);
      BOOST_TEST((ts[4] == '-' && ts[7] == '-' && ts[10] == 'T' && ts[13] == ':' && ts[16] == ':' && ts[19] == '.' &&
                  ts[23] == 'Z'));
      BOOST_TEST(ts.substr(0, 2) == "20");
    }
  }
}

CORIO_HTTP_TEST(a_101_row_is_final_and_the_next_url_of_its_origin_gets_a_fresh_connection) {
  http_test_server srv;
  auto o = quick_options();
  o.concurrency = 1;
  o.per_host = 1;
  o.read_timeout = 5;  // a URL sent on the switched connection would wait this long, then fail
  std::ostringstream out;
  scrape::scraper s(o, out);
  auto sum = co_await s.run(url_list(srv.url("/upgrade"), srv.url("/ok")));
  auto m = by_url(out.str());
  BOOST_TEST(num(m[srv.url("/upgrade")], "status") == 101);
  BOOST_TEST(str(m[srv.url("/upgrade")], "error") == "null");
  BOOST_TEST(num(m[srv.url("/ok")], "status") == 200);
  BOOST_TEST(str(m[srv.url("/ok")], "error") == "null");
  BOOST_TEST(srv.connections() == 2u);
  BOOST_TEST(sum.errors() == 0u);
}

CORIO_HTTP_TEST(a_url_without_a_scheme_is_fetched_over_http_and_its_row_shows_the_url_fetched) {
  http_test_server srv;
  const std::string bare = "127.0.0.1:" + std::to_string(srv.port()) + "/ok";
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  auto sum = co_await s.run(url_list(bare, "mailto:someone@example.com", "javascript:void(0)"));
  auto m = by_url(out.str());
  BOOST_TEST(num(m["http://" + bare], "status") == 200);
  BOOST_TEST(str(m["mailto:someone@example.com"], "error_kind") == "bad_url");
  BOOST_TEST(str(m["javascript:void(0)"], "error_kind") == "bad_url");
  BOOST_TEST(sum.rows() == 3u);
}

CORIO_HTTP_TEST(a_password_in_a_url_is_sent_but_never_written_to_a_row) {
  http_test_server srv;
  const std::string port = std::to_string(srv.port());
  const std::string with_password = "http://user:s3cret@127.0.0.1:" + port + "/headers";
  const std::string bad = "http://user:s3cret@127.0.0.1:99999/";
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  auto sum = co_await s.run(url_list(with_password, bad));
  BOOST_TEST(out.str().find("s3cret") == std::string::npos, out.str());
  auto m = by_url(out.str());
  const auto& row = m["http://user:***@127.0.0.1:" + port + "/headers"];
  BOOST_TEST(num(row, "status") == 200);
  BOOST_TEST(str(row, "final_url") == srv.url("/headers"));
  BOOST_TEST(num(row, "bytes") > 0);
  BOOST_TEST(str(m["http://user:***@127.0.0.1:99999/"], "error_kind") == "bad_url");
  BOOST_TEST(sum.rows() == 2u);
}

CORIO_HTTP_TEST(crawling_from_a_url_with_credentials_sends_them_to_its_origin_only) {
  http_test_server srv;
  auto o = quick_options();
  o.depth = 1;
  o.same_host = true;
  std::ostringstream out;
  scrape::scraper s(o, out);
  auto sum = co_await s.run(url_list("http://user:pass@127.0.0.1:" + std::to_string(srv.port()) + "/site/"));
  BOOST_TEST(out.str().find("pass") == std::string::npos, out.str());
  BOOST_TEST(sum.rows() > 1u);
  BOOST_TEST(srv.hits("/site/p1.html") == 1u);
  BOOST_TEST(srv.requests_with_authorization() == srv.requests());
}

CORIO_HTTP_TEST(resuming_skips_a_url_with_a_password_whose_row_shows_it_redacted) {
  http_test_server srv;
  const std::string port = std::to_string(srv.port());
  scrape::previous_run prev;
  prev.done.insert("http://user:***@127.0.0.1:" + port + "/ok");
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  s.resume(std::move(prev));
  auto sum = co_await s.run(url_list("http://user:pw@127.0.0.1:" + port + "/ok"));
  BOOST_TEST(sum.skipped() == 1u);
  BOOST_TEST(srv.requests() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
