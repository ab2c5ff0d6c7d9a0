// corio::http's client at the edges of the protocol that corio-scrape meets on the open web:
// responses after which a connection cannot be reused, lenient parsing, credentials in URLs,
// international host names, stacked and newer content codings.
#include <corio/http/client.hpp>
#include <corio/http/url.hpp>

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace http = corio::http;
using corio::test::expect_http_error;
using corio::test::http_test_server;

namespace {

/// A read timeout long enough for a loaded machine, short enough that a request stuck on a
/// connection reused by mistake fails the test in seconds rather than hanging it.
http::client_options edge_options() {
  http::client_options o;
  o.connect_timeout = 5s;
  o.read_timeout = 5s;
  o.total_timeout = 20s;
  o.connections_per_host = 1;  // the next request would get the previous one's connection
  return o;
}

[[maybe_unused]] bool has_line(const std::string& body, const std::string& line) { return body.find(line + "\n") != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(http_protocol_edges)

CORIO_HTTP_TEST(a_101_is_the_final_response_and_its_connection_is_not_pooled) {
  http_test_server srv;
  http::client c(edge_options());
  auto r = co_await c.get(srv.url("/upgrade"));
  BOOST_TEST(r.status == 101u);
  BOOST_TEST(r.body.empty());
  auto next = co_await c.get(srv.url("/ok"));  // (pooled, it would wait for its read timeout)
  BOOST_TEST(next.status == 200u);
  BOOST_TEST(!next.reused_connection);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(a_connect_answered_2xx_returns_at_once_and_its_tunnel_is_not_pooled) {
  http_test_server srv;
  http::client c(edge_options());
  http::request req;
  req.method = "CONNECT";
  req.url = srv.url("/tunnel");
  auto r = co_await c.send(req);  // (read as a body until close, it would time out)
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.empty());
  auto next = co_await c.get(srv.url("/ok"));
  BOOST_TEST(next.status == 200u);
  BOOST_TEST(!next.reused_connection);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(no_response_with_unknown_framing_returns_its_connection_to_the_pool) {
  // Every member of the class: after each, the next request to the origin must open a new
  // connection and succeed (a reused one would hang, read garbage or find it closed).
  const std::vector<std::string> paths = {"/upgrade", "/close", "/no-length", "/http10", "/ok-close-silently"};
  for (const auto& path : paths) {
    http_test_server srv;
    http::client c(edge_options());
    auto first = co_await c.get(srv.url(path));
    BOOST_TEST(first.status >= 101u, path);
    auto next = co_await c.get(srv.url("/ok"));
    BOOST_TEST(next.status == 200u, path);
    BOOST_TEST(next.body == "ok\n", path);
    BOOST_TEST(!next.reused_connection, path);
    BOOST_TEST(c.stats().stale_retries == 0u, path);  // never pooled, so never found stale
  }
}

CORIO_HTTP_TEST(a_head_answered_with_a_body_does_not_leave_the_body_for_the_next_request) {
  http_test_server srv;
  http::client c(edge_options());
  auto h = co_await c.head(srv.url("/head-with-body"));
  BOOST_TEST(h.status == 200u);
  BOOST_TEST(h.body.empty());
  auto next = co_await c.get(srv.url("/ok"));
  BOOST_TEST(next.status == 200u);
  BOOST_TEST(next.body == "ok\n");
  BOOST_TEST(!next.reused_connection);
}

CORIO_HTTP_TEST(a_kept_alive_response_is_still_reused) {
  // The other side of the class: a complete, kept-alive response does go back to the pool.
  http_test_server srv;
  http::client c(edge_options());
  BOOST_TEST((co_await c.get(srv.url("/ok"))).status == 200u);
  BOOST_TEST((co_await c.head(srv.url("/ok"))).status == 200u);
  auto r = co_await c.get(srv.url("/interim"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.reused_connection);
  BOOST_TEST(srv.connections() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
