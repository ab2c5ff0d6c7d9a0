#include <corio/http/response.hpp>

#include <corio/http/error.hpp>
#include <corio/http/request.hpp>

#include <boost/test/unit_test.hpp>

namespace http = corio::http;

BOOST_AUTO_TEST_SUITE(http_response)

BOOST_AUTO_TEST_CASE(content_type_is_the_lower_case_media_type_without_parameters) {
  http::response r;
  BOOST_TEST(r.content_type().empty());
  r.headers.add("Content-Type", " Text/HTML ; charset=UTF-8");
  BOOST_TEST(r.content_type() == "text/html");
}

BOOST_AUTO_TEST_CASE(raise_for_status_throws_only_from_400_on) {
  http::response r;
  r.url = "http://h.test/x";
  for (unsigned s : {200u, 204u, 301u, 399u}) {
    r.status = s;
    BOOST_CHECK_NO_THROW(r.raise_for_status());
  }
  r.status = 503;
  r.reason = "Service Unavailable";
  try {
    r.raise_for_status();
    BOOST_FAIL("expected http_status");
  } catch (const http::error& e) {
    BOOST_TEST((e.kind() == http::errc::http_status));
    BOOST_TEST(std::string(e.what()) == "http_status: HTTP 503 Service Unavailable");
    BOOST_TEST(e.url() == "http://h.test/x");
  }
}

BOOST_AUTO_TEST_CASE(only_safe_and_idempotent_methods_count_as_idempotent) {
  BOOST_TEST(http::is_idempotent("GET"));
  BOOST_TEST(http::is_idempotent("head"));
  BOOST_TEST(http::is_idempotent("PUT"));
  BOOST_TEST(!http::is_idempotent("POST"));
  BOOST_TEST(!http::is_idempotent("PATCH"));
}

BOOST_AUTO_TEST_SUITE_END()
