#include "scrape/report.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(scrape_report)

BOOST_AUTO_TEST_CASE(a_row_has_every_key_in_order_with_nulls_where_nothing_applies) {
  scrape::row r;
  r.url = "http://h.test/";
  r.attempts = 0;
  r.error_kind = "bad_url";
  r.error = "bad_url: nope";
  BOOST_TEST(scrape::to_json_line(r, false) ==
             R"({"url":"http://h.test/","final_url":null,"status":null,"content_type":null,"bytes":0,)"
             R"("elapsed_ms":0.0,"attempts":0,"error_kind":"bad_url","error":"bad_url: nope",)"
             R"("redirects":[],"http_version":null,"remote_ip":null,"wire_bytes":0,"content_encoding":null,"timestamp":null,"queue_ms":0.0,"ttfb_ms":null})");
  r.status = 200;
  r.final_url = "http://h.test/x";
  r.content_type = "text/html";
  r.bytes = 12;
  r.elapsed_ms = 12.345;
  r.attempts = 1;
  r.error_kind.clear();
  r.error.clear();
  r.depth = 2;
  r.title = "T \"quoted\"";
  r.links = 3;
  BOOST_TEST(scrape::to_json_line(r, true) ==
             R"({"url":"http://h.test/","final_url":"http://h.test/x","status":200,"content_type":"text/html",)"
             R"("bytes":12,"elapsed_ms":12.3,"attempts":1,"error_kind":null,"error":null,)"
             R"("redirects":[],"http_version":null,"remote_ip":null,"wire_bytes":0,"content_encoding":null,"timestamp":null,"queue_ms":0.0,"ttfb_ms":null,"depth":2,)"
             R"("title":"T \"quoted\"","links":3})");
}

BOOST_AUTO_TEST_CASE(robots_wait_ms_comes_after_error_and_only_when_set) {
  scrape::row r;
  r.url = "http://h.test/";
  r.robots_wait_ms = 301.25;
  BOOST_TEST(scrape::to_json_line(r, false) ==
             R"({"url":"http://h.test/","final_url":null,"status":null,"content_type":null,"bytes":0,)"
             R"("elapsed_ms":0.0,"attempts":0,"error_kind":null,"error":null,)"
             R"("redirects":[],"http_version":null,"remote_ip":null,"wire_bytes":0,"content_encoding":null,"timestamp":null,"queue_ms":0.0,"ttfb_ms":null,"robots_wait_ms":301.2})");
}

BOOST_AUTO_TEST_CASE(the_fetch_details_come_after_error_and_bodies_only_when_saved) {
  scrape::row r;
  r.url = "http://h.test/";
  r.status = 200;
  r.redirects = {"http://h.test/a", "http://h.test/b \"q\""};
  r.http_version = "1.0";
  r.remote_ip = "::1";
  r.wire_bytes = 7;
  r.bytes = 30;
  r.content_encoding = "gzip";
  r.timestamp = "2026-01-31T23:59:59.123Z";
  r.queue_ms = 1500.04;
  r.ttfb_ms = 2.25;
  const std::string common =
      R"({"url":"http://h.test/","final_url":null,"status":200,"content_type":null,"bytes":30,)"
      R"("elapsed_ms":0.0,"attempts":0,"error_kind":null,"error":null,"redirects":["http://h.test/a",)"
      R"("http://h.test/b \"q\""],"http_version":"1.0","remote_ip":"::1","wire_bytes":7,"content_encoding":"gzip",)"
      R"("timestamp":"2026-01-31T23:59:59.123Z","queue_ms":1500.0,"ttfb_ms":2.2)";
  BOOST_TEST(scrape::to_json_line(r, false) == common + "}");
  r.body_path = "";
  BOOST_TEST(scrape::to_json_line(r, false) == common + R"(,"body_path":null,"sha256":null})");
  r.body_path = "bodies/ab/abcd";
  r.sha256 = "abcd";
  BOOST_TEST(scrape::to_json_line(r, false) == common + R"(,"body_path":"bodies/ab/abcd","sha256":"abcd"})");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_title_still_gives_valid_json) {
  scrape::row r;
  r.url = "http://h.test/\xff";
  r.title = std::string("caf\xc3\xa9 \xc3(") + "\xed\xa0\x80";
  const auto v = json::parse(scrape::to_json_line(r, true)).as_object();
  BOOST_TEST(v.at("title").as_string() == "caf\xc3\xa9 \xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  BOOST_TEST(v.at("url").as_string() == "http://h.test/\xef\xbf\xbd");
}

BOOST_AUTO_TEST_CASE(summary_counts_statuses_errors_retries_and_nearest_rank_percentiles) {
  scrape::summary s;
  for (int i = 1; i <= 100; ++i) {
    scrape::row r;
    r.status = i <= 90 ? 200u : 404u;
    if (i > 90) r.error_kind = "http_status";
    r.elapsed_ms = i;
    r.attempts = i == 1 ? 3 : 1;
    r.bytes = 10;
    s.add(r);
  }
  scrape::row failed;
  failed.error_kind = "robots";  // no request: no latency
  s.add(failed);
  s.add_not_attempted("http://h.test/later");
  s.set_elapsed(2.0);
  BOOST_TEST(s.rows() == 101u);
  BOOST_TEST(s.errors() == 11u);
  BOOST_TEST(s.retries() == 2u);
  BOOST_TEST(s.by_status().at(200) == 90u);
  BOOST_TEST(s.by_error().at("robots") == 1u);
  BOOST_TEST(s.percentile(50) == 50.0);
  BOOST_TEST(s.percentile(99) == 99.0);
  BOOST_TEST(s.percentile(100) == 100.0);
  const std::string text = s.format();
  BOOST_TEST(text.find("101 URLs in 2.00 s (50.5/s)") != std::string::npos, text);
  BOOST_TEST(text.find("status: 200×90 404×10") != std::string::npos, text);
  BOOST_TEST(text.find("errors: http_status×10 robots×1") != std::string::npos, text);
  BOOST_TEST(text.find("p50 50.0 ms, p95 95.0 ms, p99 99.0 ms") != std::string::npos, text);
  BOOST_TEST(text.find("not attempted: 1\n    http://h.test/later\n") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(progress_line_shows_bar_counts_rate_errors_and_eta) {
  BOOST_TEST(scrape::progress_line(50, 100, 10.0, 2, 10) == "[=====>    ] 50/100  10.0/s  errors 2  ETA 5s");
  BOOST_TEST(scrape::progress_line(100, 100, 10.0, 0, 10) == "[==========] 100/100  10.0/s  errors 0  ETA 0s");
  BOOST_TEST(scrape::progress_line(0, 7200, 1.0, 0, 4) == "[>   ] 0/7200  1.0/s  errors 0  ETA 2h0m");
  BOOST_TEST(scrape::progress_line(0, 5, 0.0, 0, 4) == "[>   ] 0/5  0.0/s  errors 0  ETA --");
}

BOOST_AUTO_TEST_SUITE_END()
