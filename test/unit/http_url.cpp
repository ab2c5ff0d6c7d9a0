#include <corio/http/url.hpp>

#include <corio/http/error.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

namespace http = corio::http;

BOOST_AUTO_TEST_SUITE(http_url)

BOOST_AUTO_TEST_CASE(normal_form_lowercases_drops_default_port_fragment_and_dot_segments) {
  BOOST_TEST(http::normalize_url("HTTP://Example.COM:80/a/./b/../c?q=1#frag") == "http://example.com/a/c?q=1");
  BOOST_TEST(http::normalize_url("https://example.com:443") == "https://example.com/");
  BOOST_TEST(http::normalize_url("https://example.com:8443/x") == "https://example.com:8443/x");
  BOOST_TEST(http::normalize_url("http://user:pw@example.com/%7euser") == "http://example.com/~user");
}

BOOST_AUTO_TEST_CASE(join_resolves_relative_references_like_a_browser) {
  const std::string base = "http://h.test/a/b/page.html?x=1";
  BOOST_TEST(http::join_url(base, "other.html").value_or("") == "http://h.test/a/b/other.html");
  BOOST_TEST(http::join_url(base, "../up.html").value_or("") == "http://h.test/a/up.html");
  BOOST_TEST(http::join_url(base, "/root").value_or("") == "http://h.test/root");
  BOOST_TEST(http::join_url(base, "?y=2").value_or("") == "http://h.test/a/b/page.html?y=2");
  BOOST_TEST(http::join_url(base, "#frag").value_or("") == "http://h.test/a/b/page.html?x=1");
  BOOST_TEST(http::join_url(base, "//other.test/p").value_or("") == "http://other.test/p");
  BOOST_TEST(http::join_url(base, "HTTPS://Other.Test:443/").value_or("") == "https://other.test/");
}

BOOST_AUTO_TEST_CASE(join_rejects_non_http_targets_and_garbage) {
  const std::string base = "http://h.test/";
  BOOST_TEST(!http::join_url(base, "mailto:a@b.c").has_value());
  BOOST_TEST(!http::join_url(base, "javascript:void(0)").has_value());
  BOOST_TEST(!http::join_url(base, "http://[bad").has_value());
  BOOST_TEST(!http::join_url("not a base", "x").has_value());
  BOOST_TEST(!http::join_url(base, "//h.test:99999/").has_value());
}

BOOST_AUTO_TEST_CASE(parse_accepts_only_absolute_http_urls_with_a_host) {
  BOOST_TEST(http::parse_url("http://127.0.0.1:8080/x").port_number() == 8080u);
  BOOST_TEST(http::effective_port(http::parse_url("https://h.test/")) == 443u);
  BOOST_TEST(http::effective_port(http::parse_url("http://h.test/")) == 80u);
  BOOST_TEST(http::parse_url("http://127.0.0.1:65535/x").port_number() == 65535u);
  // Boost.URL 1.81 alone would take :99999 as port 34463 (it wraps), and ":R45391/ok" or ":80.a/b" as
  // a port ("" or "80") followed by a path not starting with '/' (found by fuzzing).
  for (const char* bad : {"ftp://h.test/", "h.test/x", "http://", "", "http://h.test:0/", "http://h.test:65536/",
                          "http://127.0.0.1:99999/ok", "http://127.0.0.1:R45391/ok", "http://h.test:0080000/",
                          "http://h.test:80.a/../b"}) {
    try {
      (void)http::parse_url(bad);
      BOOST_FAIL("accepted " << bad);
    } catch (const http::error& e) {
      BOOST_TEST((e.kind() == http::errc::bad_url));
      BOOST_TEST(e.url() == bad);
    }
  }
}

// The normal form has one reading: whatever join_url returns, normalize_url accepts and keeps as it
// is, and what parse_url accepts has a host that is a plain name. The members of the class: an '@'
// in the userinfo (only the last one ends it), a host whose decoding is not a name, a repaired
// reference that would otherwise put half of its userinfo into the host (found by fuzzing).
BOOST_AUTO_TEST_CASE(a_joined_url_is_a_normal_form_with_one_reading_of_its_authority) {
  const std::string base = "http://h.test/dir/page.html";
  BOOST_TEST(http::join_url(base, "//oT@hd><bre@f=").value_or("") == "http://f=/");
  BOOST_TEST(http::join_url(base, "//a@b c@other.test/p").value_or("") == "http://other.test/p");
  for (const char* ref : {"//oT@hd><bre@f=", "//a@b@c/", "//u:p@x%2Fy/", "//%FF%FE/", "//h%25t/", "//x%3E%3Cy/",
                          "http://a b@c d/", "//\xC3\xA9" "x@h/", "//%C3%A9.test/", "//[v1.x]/p", "//h.test:8%30/",
                          "http://%41%42/x", "//a%40b/", "//@/", "//@@/", "//:@h/"}) {
    const auto joined = http::join_url(base, ref);
    if (!joined) continue;
    BOOST_TEST_CONTEXT(ref << " -> " << *joined) {
      std::string again;
      BOOST_CHECK_NO_THROW(again = http::normalize_url(*joined));
      BOOST_TEST(again == *joined);
      BOOST_TEST(http::parse_url(*joined).encoded_host().find('%') == std::string_view::npos);
    }
  }
  for (const char* bad : {"http://x%2Fy/", "http://%FF/", "http://h%25t/", "http://x%3E%3Cy/"}) {
    BOOST_CHECK_THROW((void)http::parse_url(bad), http::error);
  }
  BOOST_TEST(http::normalize_url("http://a@b@h.test/") == "http://h.test/");
}

BOOST_AUTO_TEST_SUITE_END()
