#include <corio/http/error.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <string>

namespace http = corio::http;

BOOST_AUTO_TEST_SUITE(http_error)

BOOST_AUTO_TEST_CASE(what_is_the_kind_then_the_message) {
  http::error e(http::errc::timeout, "no data for 10 ms (read timeout)", "http://h.test/");
  BOOST_TEST(std::string(e.what()) == "timeout: no data for 10 ms (read timeout)");
  BOOST_TEST(e.message() == "no data for 10 ms (read timeout)");
  BOOST_TEST(e.url() == "http://h.test/");
  BOOST_TEST(e.attempts() == 1);
}

BOOST_AUTO_TEST_CASE(every_kind_has_a_distinct_name) {
  std::set<std::string_view> names;
  for (int k = static_cast<int>(http::errc::bad_url); k <= static_cast<int>(http::errc::proxy); ++k) {
    names.insert(http::to_string(static_cast<http::errc>(k)));
  }
  BOOST_TEST(names.size() == 11u);
  BOOST_TEST(!names.count("unknown"));
  BOOST_TEST(http::to_string(http::errc::too_many_redirects) == "too_many_redirects");
}

BOOST_AUTO_TEST_CASE(status_retry_after_and_attempts_are_carried) {
  auto e = http::error(http::errc::http_status, "HTTP 429").with_status(429, std::chrono::seconds(3));
  e.with_attempts(4);
  BOOST_TEST(e.status() == 429u);
  BOOST_TEST((e.retry_after() == std::chrono::seconds(3)));
  BOOST_TEST(e.attempts() == 4);
}

BOOST_AUTO_TEST_SUITE_END()
