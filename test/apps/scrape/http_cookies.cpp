// corio::http::cookie_jar: each of RFC 6265's storage and sending rules (a test each, on a clock
// the test moves), the limits that bound the jar, and the client with a jar against the test
// server: cookies set by redirects, not sent without a jar, never to another origin unless the
// Domain attribute says so.
#include <corio/http/client.hpp>
#include <corio/http/cookies.hpp>
#include <corio/http/url.hpp>

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace http = corio::http;
using corio::test::http_test_server;
using time_point = http::cookie::time_point;

namespace {

/// A jar on a clock that stands still until moved: 2030-01-01 00:00:00 UTC.
struct fixture {
  std::shared_ptr<time_point> t = std::make_shared<time_point>(std::chrono::sys_days{std::chrono::year{2030} /
                                                                                       1 / 1});
  http::cookie_jar jar{http::cookie_jar::limits{}, [t = t] { return *t; }};
  void advance(std::chrono::seconds s) { *t += s; }
  bool set(const char* url, const std::string& sc) { return jar.set_cookie(std::string_view(url), sc); }
  std::string get(const char* url) { return jar.cookie_header(std::string_view(url)); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_cookies)

BOOST_AUTO_TEST_CASE(a_cookie_is_stored_and_sent_back_to_its_host) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "sid=abc"));
  BOOST_TEST(f.set("http://h.test/", " theme = dark ; "));
  BOOST_TEST(f.get("http://h.test/") == "sid=abc; theme=dark");
  BOOST_TEST(f.get("http://other.test/").empty());
  BOOST_TEST(f.jar.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_malformed_set_cookie_is_ignored) {
  fixture f;
  BOOST_TEST(!f.set("http://h.test/", "no-equals-sign"));
  BOOST_TEST(!f.set("http://h.test/", "=value-without-name"));
  BOOST_TEST(!f.set("http://h.test/", std::string("a=b\x01") + "c"));
  BOOST_TEST(!f.set("http://h.test/", ""));
  BOOST_TEST(f.set("http://h.test/", "empty="));  // an empty value is a value
  BOOST_TEST(f.get("http://h.test/") == "empty=");
}

BOOST_AUTO_TEST_CASE(without_domain_a_cookie_is_host_only) {
  fixture f;
  BOOST_TEST(f.set("http://a.h.test/", "k=1"));
  BOOST_TEST(f.get("http://a.h.test/") == "k=1");
  BOOST_TEST(f.get("http://A.H.TEST/") == "k=1");
  BOOST_TEST(f.get("http://b.a.h.test/").empty());
  BOOST_TEST(f.get("http://h.test/").empty());
  BOOST_TEST(f.get("http://x.h.test/").empty());
}

BOOST_AUTO_TEST_CASE(a_domain_cookie_is_sent_to_the_domain_and_the_names_under_it) {
  fixture f;
  BOOST_TEST(f.set("http://a.h.test/", "k=1; Domain=h.test"));
  BOOST_TEST(f.set("http://a.h.test/", "m=2; Domain=.H.Test"));
  for (const char* to : {"http://h.test/", "http://a.h.test/", "http://x.h.test/", "http://deep.x.h.test/"}) {
    BOOST_TEST(f.get(to) == "k=1; m=2", to);
  }
  BOOST_TEST(f.get("http://otherh.test/").empty());
  BOOST_TEST(f.get("http://h.test.evil/").empty());
}

BOOST_AUTO_TEST_CASE(a_domain_that_does_not_domain_match_the_host_is_refused) {
  fixture f;
  BOOST_TEST(!f.set("http://a.h.test/", "k=1; Domain=other.test"));
  BOOST_TEST(!f.set("http://a.h.test/", "k=1; Domain=b.a.h.test"));  // a child of the host
  BOOST_TEST(!f.set("http://a.h.test/", "k=1; Domain=x.h.test"));    // a sibling
  BOOST_TEST(!f.set("http://a.h.test/", "k=1; Domain=h.tes"));
  BOOST_TEST(!f.set("http://ah.test/", "k=1; Domain=h.test"));       // a suffix, not a parent
  BOOST_TEST(f.jar.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_public_suffix_domain_is_refused_unless_it_is_the_host) {
  fixture f;
  BOOST_TEST(!f.set("http://a.example.com/", "k=1; Domain=com"));
  BOOST_TEST(!f.set("http://a.example.com/", "k=1; Domain=.com"));
  BOOST_TEST(f.get("http://b.other.com/").empty());
  // The host itself being a single label: a host-only cookie.
  BOOST_TEST(f.set("http://localhost/", "k=2; Domain=localhost"));
  BOOST_TEST(f.get("http://localhost/") == "k=2");
  BOOST_TEST(f.get("http://a.localhost/").empty());
}

BOOST_AUTO_TEST_CASE(an_ip_host_gets_no_cookies_for_other_addresses) {
  fixture f;
  BOOST_TEST(!f.set("http://127.0.0.1/", "k=1; Domain=0.0.1"));
  BOOST_TEST(f.set("http://127.0.0.1/", "k=2; Domain=127.0.0.1"));  // identical: allowed
  BOOST_TEST(f.get("http://127.0.0.1/") == "k=2");
  BOOST_TEST(f.get("http://127.0.0.2/").empty());
}

BOOST_AUTO_TEST_CASE(without_path_the_default_path_is_the_request_directory) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/docs/a/page.html?q=1", "d=1"));
  BOOST_TEST(f.set("http://h.test/top", "t=1"));
  BOOST_TEST(f.set("http://h.test/bad/x", "b=1; Path=relative"));  // not starting with '/': the default
  BOOST_TEST(f.get("http://h.test/docs/a/other") == "d=1; t=1");
  BOOST_TEST(f.get("http://h.test/docs/a") == "d=1; t=1");
  BOOST_TEST(f.get("http://h.test/docs/b") == "t=1");
  BOOST_TEST(f.get("http://h.test/docs") == "t=1");
  BOOST_TEST(f.get("http://h.test/bad/y") == "b=1; t=1");
  BOOST_TEST(f.get("http://h.test/") == "t=1");
}

BOOST_AUTO_TEST_CASE(a_path_matches_itself_and_what_is_under_it) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "p=1; Path=/docs"));
  BOOST_TEST(f.set("http://h.test/", "q=1; Path=/docs/"));
  BOOST_TEST(f.get("http://h.test/docs") == "p=1");
  BOOST_TEST(f.get("http://h.test/docs/") == "q=1; p=1");
  BOOST_TEST(f.get("http://h.test/docs/a/b") == "q=1; p=1");
  BOOST_TEST(f.get("http://h.test/docsx").empty());
  BOOST_TEST(f.get("http://h.test/doc").empty());
  BOOST_TEST(f.get("http://h.test/").empty());
}

BOOST_AUTO_TEST_CASE(longer_paths_are_sent_first_then_older_cookies) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "a=1; Path=/"));
  f.advance(1s);
  BOOST_TEST(f.set("http://h.test/", "b=2; Path=/x/y"));
  BOOST_TEST(f.set("http://h.test/", "c=3; Path=/x"));
  BOOST_TEST(f.set("http://h.test/", "d=4; Path=/"));
  BOOST_TEST(f.get("http://h.test/x/y/z") == "b=2; c=3; a=1; d=4");
  f.advance(1s);
  BOOST_TEST(f.set("http://h.test/", "a=changed; Path=/"));  // a replacement keeps its creation time
  BOOST_TEST(f.get("http://h.test/x/y/z") == "b=2; c=3; a=changed; d=4");
}

BOOST_AUTO_TEST_CASE(secure_cookies_go_over_https_only_and_are_set_over_https_only) {
  fixture f;
  BOOST_TEST(f.set("https://h.test/", "s=1; Secure"));
  BOOST_TEST(f.set("https://h.test/", "p=2"));
  BOOST_TEST(f.get("https://h.test/") == "s=1; p=2");
  BOOST_TEST(f.get("http://h.test/") == "p=2");
  BOOST_TEST(!f.set("http://h.test/", "t=3; secure"));
  BOOST_TEST(f.get("https://h.test/") == "s=1; p=2");
}

BOOST_AUTO_TEST_CASE(max_age_sets_the_lifetime_and_wins_over_expires) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "m=1; Max-Age=60"));
  BOOST_TEST(f.set("http://h.test/", "n=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=30"));
  BOOST_TEST(f.set("http://h.test/", "o=1; Max-Age=90; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
  BOOST_TEST(f.get("http://h.test/") == "m=1; n=1; o=1");
  f.advance(30s);
  BOOST_TEST(f.get("http://h.test/") == "m=1; o=1");
  f.advance(30s);
  BOOST_TEST(f.get("http://h.test/") == "o=1");
  f.advance(30s);
  BOOST_TEST(f.get("http://h.test/").empty());
  BOOST_TEST(f.jar.size() == 0u);
}

BOOST_AUTO_TEST_CASE(expires_is_an_http_date_in_any_of_its_spellings) {
  fixture f;  // now: 2030-01-01 00:00:00
  BOOST_TEST(f.set("http://h.test/", "a=1; Expires=Tue, 01 Jan 2030 00:01:00 GMT"));
  BOOST_TEST(f.set("http://h.test/", "b=1; expires=Tuesday, 01-Jan-30 00:02:00 GMT"));
  BOOST_TEST(f.set("http://h.test/", "c=1; EXPIRES=Tue Jan  1 00:03:00 2030"));
  BOOST_TEST(f.set("http://h.test/", "d=1; Expires=not a date"));  // ignored: a session cookie
  BOOST_TEST(f.set("http://h.test/", "e=1; Expires=Tue, 31 Feb 2030 00:00:00 GMT"));  // no such day: ignored
  BOOST_TEST(f.get("http://h.test/") == "a=1; b=1; c=1; d=1; e=1");
  f.advance(90s);
  BOOST_TEST(f.get("http://h.test/") == "b=1; c=1; d=1; e=1");
  f.advance(60s);
  BOOST_TEST(f.get("http://h.test/") == "c=1; d=1; e=1");
  f.advance(60s);
  BOOST_TEST(f.get("http://h.test/") == "d=1; e=1");
  for (const auto& c : f.jar.cookies()) BOOST_TEST(!c.persistent, c.name);
}

BOOST_AUTO_TEST_CASE(an_expired_cookie_deletes_the_one_it_replaces) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "a=1; Path=/"));
  BOOST_TEST(f.set("http://h.test/", "b=1; Path=/"));
  BOOST_TEST(f.set("http://h.test/", "c=1; Path=/"));
  BOOST_TEST(f.set("http://h.test/", "a=; Path=/; Max-Age=0"));
  BOOST_TEST(f.set("http://h.test/", "b=x; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
  BOOST_TEST(f.set("http://h.test/", "c=x; Path=/other; Max-Age=-1"));  // another path: c stays
  BOOST_TEST(f.get("http://h.test/") == "c=1");
  BOOST_TEST(f.jar.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_same_name_domain_and_path_replace_a_cookie_others_coexist) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "k=1; Path=/"));
  BOOST_TEST(f.set("http://h.test/", "k=2; Path=/"));
  BOOST_TEST(f.set("http://h.test/", "k=3; Path=/sub"));
  BOOST_TEST(f.get("http://h.test/sub") == "k=3; k=2");
  BOOST_TEST(f.jar.size() == 2u);
}

BOOST_AUTO_TEST_CASE(httponly_is_recorded_and_samesite_ignored) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "k=1; HttpOnly; SameSite=Strict; Unknown=x"));
  const auto all = f.jar.cookies();
  BOOST_TEST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].http_only);
  BOOST_TEST(!all[0].secure);
  BOOST_TEST(all[0].host_only);
  BOOST_TEST(f.get("http://h.test/") == "k=1");
}

BOOST_AUTO_TEST_CASE(a_cookie_over_4096_bytes_or_with_an_attribute_over_1024_is_ignored) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "k=" + std::string(4095, 'v')));  // 4096 bytes: stored
  BOOST_TEST(!f.set("http://h.test/", "big=" + std::string(4094, 'v')));
  BOOST_TEST(!f.set("http://h.test/", "p=1; Path=/" + std::string(1100, 'p')));
  BOOST_TEST(f.jar.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_domain_holds_a_bounded_number_of_cookies_least_recently_used_go_first) {
  fixture f;
  for (int i = 0; i < 50; ++i) {
    BOOST_TEST(f.set("http://h.test/", "c" + std::to_string(i) + "=1"));
    f.advance(1s);
  }
  BOOST_TEST(f.get("http://h.test/").size() > 0u);  // every cookie used now...
  f.advance(1s);
  BOOST_TEST(f.set("http://h.test/", "c0=1"));  // ...c0 again, so c1 is now the least recently used
  f.advance(1s);
  for (int i = 50; i < 60; ++i) BOOST_TEST(f.set("http://h.test/", "c" + std::to_string(i) + "=1"));
  BOOST_TEST(f.jar.size() == 50u);
  const std::string h = f.get("http://h.test/");
  BOOST_TEST(h.find("c0=1") != std::string::npos);
  BOOST_TEST(h.find("c59=1") != std::string::npos);
  BOOST_TEST((" " + h).find(" c1=1") == std::string::npos, h);
}

BOOST_AUTO_TEST_CASE(the_whole_jar_is_bounded_across_domains) {
  auto now = std::make_shared<time_point>(std::chrono::sys_days{std::chrono::year{2030} / 1 / 1});
  http::cookie_jar jar(http::cookie_jar::limits{4096, 50, 100}, [now] { return *now; });
  for (int i = 0; i < 1000; ++i) {
    const std::string url = "http://h" + std::to_string(i) + ".test/";
    BOOST_TEST(jar.set_cookie(std::string_view(url), "k=" + std::to_string(i)));
    *now += 1s;
  }
  BOOST_TEST(jar.size() == 100u);
  BOOST_TEST(jar.cookie_header(std::string_view("http://h999.test/")) == "k=999");
  BOOST_TEST(jar.cookie_header(std::string_view("http://h0.test/")).empty());
}

BOOST_AUTO_TEST_CASE(lifetimes_are_capped_at_400_days) {
  fixture f;
  BOOST_TEST(f.set("http://h.test/", "k=1; Max-Age=99999999999999999999999"));
  BOOST_TEST(f.set("http://h.test/", "e=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT"));
  f.advance(std::chrono::hours(24 * 399));
  BOOST_TEST(f.get("http://h.test/") == "k=1; e=1");
  f.advance(std::chrono::hours(48));
  BOOST_TEST(f.get("http://h.test/").empty());
}

BOOST_AUTO_TEST_CASE(the_jar_is_written_in_the_netscape_format) {
  fixture f;
  BOOST_TEST(f.set("https://a.h.test/p/x", "s=1; Domain=h.test; Path=/p; Secure; Max-Age=60"));
  BOOST_TEST(f.set("http://a.h.test/", "h=2; HttpOnly"));
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(f.t->time_since_epoch()).count() + 60;
  BOOST_TEST(f.jar.to_netscape() == "# Netscape HTTP Cookie File\n# Written by corio::http::cookie_jar.\n\n"
                                    ".h.test\tTRUE\t/p\tTRUE\t" + std::to_string(epoch) + "\ts\t1\n"
                                    "#HttpOnly_a.h.test\tFALSE\t/\tFALSE\t0\th\t2\n");
}

// --- the client with a jar -------------------------------------------------------------------

namespace {

http::client_options jar_options(std::shared_ptr<http::cookie_jar> jar) {
  http::client_options o;
  o.connect_timeout = 5s;
  o.read_timeout = 5s;
  o.total_timeout = 20s;
  o.cookies = std::move(jar);
  // Every name is the loopback test server.
  o.resolver = [](std::string, std::uint16_t port) -> corio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> {
    co_return std::vector<boost::asio::ip::tcp::endpoint>{{boost::asio::ip::make_address("127.0.0.1"), port}};
  };
  return o;
}

}  // namespace

CORIO_HTTP_TEST(a_cookie_set_by_a_redirect_goes_with_the_next_request) {
  http_test_server srv;
  auto jar = std::make_shared<http::cookie_jar>();
  http::client c(jar_options(jar));
  // (No Path attribute: the cookie's path is /cookie, the directory of /cookie/set.)
  auto r = co_await c.get(srv.url("/cookie/set?name=sid&value=42&to=/cookie/check%3Fname%3Dsid%26value%3D42"));
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(r.redirects == 1);
  auto elsewhere = co_await c.get(srv.url("/headers"));
  BOOST_TEST(elsewhere.body.find("Cookie") == std::string::npos, elsewhere.body);
  (void)co_await c.get(srv.url("/cookie/set?name=all&value=1&attrs=Path%3D/"));
  BOOST_TEST(jar->size() == 2u);
  auto again = co_await c.get(srv.url("/cookie/check?name=sid&value=42"));
  BOOST_TEST(again.status == 200u);
  // The caller's own Cookie field is kept, the jar's cookies after it.
  http::request req;
  req.url = srv.url("/headers");
  req.headers.set("Cookie", "mine=1");
  auto h = co_await c.send(req);
  BOOST_TEST(h.body.find("Cookie: mine=1; all=1\n") != std::string::npos, h.body);
}

CORIO_HTTP_TEST(without_a_jar_no_cookie_is_kept_or_sent) {
  http_test_server srv;
  http::client c(jar_options(nullptr));
  auto r = co_await c.get(srv.url("/cookie/set?name=sid&value=42&to=/cookie/check%3Fname%3Dsid%26value%3D42"));
  BOOST_TEST(r.status == 403u, r.body);
  auto h = co_await c.get(srv.url("/headers"));
  BOOST_TEST(h.body.find("Cookie") == std::string::npos, h.body);
}

CORIO_HTTP_TEST(cookies_cross_origins_only_as_their_domain_allows) {
  http_test_server srv;
  auto jar = std::make_shared<http::cookie_jar>();
  http::client c(jar_options(jar));
  const std::string port = std::to_string(srv.port());
  auto at = [&](const std::string& host, const std::string& path) { return "http://" + host + ":" + port + path; };
  (void)co_await c.get(at("a.site.test", "/cookie/set?name=host&value=1&attrs=Path%3D/"));
  (void)co_await c.get(at("a.site.test", "/cookie/set?name=dom&value=2&attrs=Domain%3Dsite.test%3B%20Path%3D/"));
  // Host-only: a.site.test only. Domain: site.test and below. Another site: nothing.
  auto same = co_await c.get(at("a.site.test", "/headers"));
  BOOST_TEST(same.body.find("Cookie: host=1; dom=2\n") != std::string::npos, same.body);
  auto sibling = co_await c.get(at("b.site.test", "/headers"));
  BOOST_TEST(sibling.body.find("Cookie: dom=2\n") != std::string::npos, sibling.body);
  auto other = co_await c.get(at("other.test", "/headers"));
  BOOST_TEST(other.body.find("Cookie") == std::string::npos, other.body);
  // A redirect to another origin carries only what that origin may have.
  auto hop = co_await c.get(at("a.site.test", "/goto?to=" + at("other.test", "/headers")));
  BOOST_TEST(hop.body.find("Cookie") == std::string::npos, hop.body);
  auto hop2 = co_await c.get(at("other.test", "/goto?to=" + at("b.site.test", "/headers")));
  BOOST_TEST(hop2.body.find("Cookie: dom=2\n") != std::string::npos, hop2.body);
  // The port is not part of a cookie's identity (RFC 6265 §8.5), the scheme is for Secure only.
  auto secure = co_await c.get(at("a.site.test", "/cookie/set?name=sec&value=3&attrs=Secure%3B%20Path%3D/"));
  BOOST_TEST(secure.status == 200u);
  auto plain = co_await c.get(at("a.site.test", "/headers"));
  BOOST_TEST(plain.body.find("sec=") == std::string::npos, plain.body);  // refused over http
}

BOOST_AUTO_TEST_SUITE_END()
