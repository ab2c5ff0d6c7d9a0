// corio::http's client at the edges of the protocol that corio-scrape meets on the open web:
// responses after which a connection cannot be reused, lenient parsing, credentials in URLs,
// international host names, stacked and newer content codings.
#include <corio/http/client.hpp>
#include <corio/http/url.hpp>

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
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
  const std::vector<std::string> paths = {"/upgrade", "/close", "/no-length", "/http10"};
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

CORIO_HTTP_TEST(a_status_line_without_a_reason_phrase_is_accepted) {
  http_test_server srv;
  http::client c(edge_options());
  auto r = co_await c.get(srv.url("/no-reason"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.reason.empty());
  BOOST_TEST(r.body == "ok\n");
  BOOST_TEST((co_await c.get(srv.url("/ok"))).reused_connection);  // framed as usual
}

CORIO_HTTP_TEST(a_location_with_spaces_and_raw_utf8_or_latin1_bytes_is_encoded_and_followed) {
  http_test_server srv;
  http::client c(edge_options());
  // The server decodes `to`: its Location is "/ok?q=a b" + "é" in UTF-8 + "é" in Latin-1, raw.
  auto r = co_await c.get(srv.url("/goto?to=/ok%3Fq%3Da%20b%C3%A9%E9"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.redirects == 1);
  BOOST_TEST(r.url == srv.url("/ok?q=a%20b%C3%A9%E9"));
  BOOST_TEST(srv.targets().back() == "/ok?q=a%20b%C3%A9%E9");
}

BOOST_AUTO_TEST_CASE(urls_are_repaired_as_browsers_do_and_idn_hosts_become_punycode) {
  BOOST_TEST(http::parse_url("http://b\xC3\xBC" "cher.example/").encoded_host() == "xn--bcher-kva.example");
  BOOST_TEST(http::parse_url("http://b%C3%BC" "cher.example:8080/").encoded_host() == "xn--bcher-kva.example");
  BOOST_TEST(http::normalize_url("http://B\xC3\x9C" "CHER.example/a b") == "http://xn--bcher-kva.example/a%20b");
  BOOST_TEST(http::join_url("http://h/a/", "b c/\xC3\xA9?q=\xE9 x#f#g").value_or("") ==
             "http://h/a/b%20c/%C3%A9?q=%E9%20x");
  BOOST_TEST(http::join_url("http://h/", "//b\xC3\xBC" "cher.example/x").value_or("") ==
             "http://xn--bcher-kva.example/x");
  BOOST_TEST(http::join_url("http://h/", "/50%").value_or("") == "http://h/50%25");
  // Not valid IDNA (not even UTF-8): a bad URL with a clear message, never a crash.
  try {
    (void)http::parse_url("http://a\xFF.example/");
    BOOST_FAIL("expected bad_url");
  } catch (const http::error& e) {
    BOOST_TEST((e.kind() == http::errc::bad_url));
    BOOST_TEST(std::string(e.what()).find("invalid international host name") != std::string::npos, e.what());
  }
  BOOST_TEST(!http::join_url("http://h/", "http://a\xFF.example/").has_value());
  // A percent-encoded '/' in a host must not turn into another host and a path.
  BOOST_TEST(!http::join_url("http://h/", "http://evil.test%2Fgood.test/").has_value());
  BOOST_CHECK_THROW((void)http::parse_url("http://a%2Fb.test/"), http::error);
  BOOST_TEST(!http::repair_url("http://example.com/a%20b?c=d#e").has_value());  // nothing to repair
}

CORIO_HTTP_TEST(an_idn_host_is_resolved_and_sent_in_its_ascii_form) {
  http_test_server srv;
  auto o = edge_options();
  std::vector<std::string> asked;
  o.resolver = [&](std::string host, std::uint16_t port) -> corio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> {
    asked.push_back(host);
    co_return std::vector<boost::asio::ip::tcp::endpoint>{{boost::asio::ip::make_address("127.0.0.1"), port}};
  };
  http::client c(o);
  const std::string port = std::to_string(srv.port());
  auto r = co_await c.get("http://B\xC3\xBC" "cher.example:" + port + "/headers");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(has_line(r.body, "Host: xn--bcher-kva.example:" + port), r.body);
  BOOST_REQUIRE(asked.size() == 1u);
  BOOST_TEST(asked[0] == "xn--bcher-kva.example");
}

CORIO_HTTP_TEST(credentials_in_the_url_become_basic_authorization_and_stay_out_of_urls) {
  http_test_server srv;
  http::client c(edge_options());
  const std::string port = std::to_string(srv.port());
  // Percent-encoded in the URL, decoded in the header: "us@er:p:ss".
  auto r = co_await c.get("http://us%40er:p%3Ass@127.0.0.1:" + port + "/headers");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(has_line(r.body, "Authorization: " + http::basic_authorization("us@er", "p:ss")), r.body);
  BOOST_TEST(http::basic_authorization("us@er", "p:ss") == "Basic dXNAZXI6cDpzcw==");
  BOOST_TEST(has_line(r.body, "Host: 127.0.0.1:" + port), r.body);
  BOOST_TEST(r.url == srv.url("/headers"));  // no user info in the response's URL
  BOOST_TEST(srv.targets().back() == "/headers");
}

CORIO_HTTP_TEST(credentials_follow_a_redirect_within_the_origin_but_not_to_another) {
  http_test_server srv;
  http::client c(edge_options());
  const std::string auth = "http://user:pass@127.0.0.1:" + std::to_string(srv.port());
  auto same = co_await c.get(auth + "/goto?to=/headers");
  BOOST_TEST(has_line(same.body, "Authorization: Basic dXNlcjpwYXNz"), same.body);
  // localhost is another origin than 127.0.0.1 (the same server): the credentials stay behind.
  auto other = co_await c.get(auth + "/goto?to=http://localhost:" + std::to_string(srv.port()) + "/headers");
  BOOST_TEST(other.status == 200u);
  BOOST_TEST(other.body.find("Authorization") == std::string::npos, other.body);
}

BOOST_AUTO_TEST_CASE(a_password_in_a_url_is_shown_as_stars) {
  BOOST_TEST(http::redact_userinfo("http://user:secret@h.test:8080/p?q=a@b") == "http://user:***@h.test:8080/p?q=a@b");
  BOOST_TEST(http::redact_userinfo("http://user@h.test/") == "http://user@h.test/");
  BOOST_TEST(http::redact_userinfo("http://h.test/a:b@c") == "http://h.test/a:b@c");
  BOOST_TEST(http::redact_userinfo("not a url") == "not a url");
}

CORIO_HTTP_TEST(br_and_zstd_bodies_are_decoded_and_advertised) {
  http_test_server srv;
  http::client c(edge_options());
  for (const char* p : {"/br", "/zstd"}) {
    auto r = co_await c.get(srv.url(p));
    BOOST_TEST(r.body == http_test_server::gzip_text(), p);
    BOOST_TEST(r.wire_bytes < r.body.size() / 4, p);
  }
  auto h = co_await c.get(srv.url("/headers"));
  BOOST_TEST(has_line(h.body, "Accept-Encoding: gzip, deflate, br, zstd"), h.body);
}

CORIO_HTTP_TEST(stacked_codings_are_undone_last_to_first_in_one_field_or_several) {
  http_test_server srv;
  http::client c(edge_options());
  for (const char* p : {"/gzip-br", "/stacked-fields"}) {
    auto r = co_await c.get(srv.url(p));
    BOOST_TEST(r.status == 200u, p);
    BOOST_TEST(r.body == http_test_server::gzip_text(), p);
  }
  auto e = co_await expect_http_error(c.get(srv.url("/four-codings")));
  BOOST_TEST((e.kind() == http::errc::protocol));
  BOOST_TEST(e.message() == "unsupported Content-Encoding (4 codings stacked (at most 3 are decoded))");
  auto u = co_await expect_http_error(c.get(srv.url("/unsupported-encoding")));
  BOOST_TEST(u.message() == "unsupported Content-Encoding ('compress' (gzip, deflate, br and zstd are accepted))");
}

CORIO_HTTP_TEST(a_br_or_zstd_bomb_stops_at_the_decoded_size_limit_also_inside_a_stack) {
  http_test_server srv;
  auto o = edge_options();
  o.max_body_bytes = 1 << 20;  // a few KiB on the wire would expand to 16 MiB
  http::client c(o);
  for (const char* p : {"/br-bomb", "/zstd-bomb", "/gzip-in-br-bomb"}) {
    auto e = co_await expect_http_error(c.get(srv.url(p)));
    BOOST_TEST((e.kind() == http::errc::too_large), p);
    BOOST_TEST(e.message() == "the decoded body exceeds the limit of 1048576 bytes", p);
  }
}

CORIO_HTTP_TEST(corrupt_br_is_a_protocol_error_naming_the_coding) {
  http_test_server srv;
  http::client c(edge_options());
  auto e = co_await expect_http_error(c.get(srv.url("/bad-br")));
  BOOST_TEST((e.kind() == http::errc::protocol));
  BOOST_TEST(e.message().find("the body cannot be decoded (invalid br data") == 0u, e.message());
}

namespace {

/// Records what a body sink is given.
struct recording_sink final : http::body_sink {
  std::vector<unsigned> begun;
  std::string data;  // since the last begin
  std::size_t pieces = 0;
  void begin(unsigned status, const http::fields&) override {
    begun.push_back(status);
    data.clear();
  }
  void write(std::string_view d) noexcept override {
    data.append(d);
    ++pieces;
  }
};

}  // namespace

CORIO_HTTP_TEST(a_sink_takes_each_responses_body_decoded_and_the_limit_still_holds) {
  http_test_server srv;
  http::client c(edge_options());
  recording_sink sink;
  http::request r;
  r.url = srv.url("/redirect/1");
  r.sink = &sink;
  auto resp = co_await c.send(r);
  BOOST_TEST(resp.status == 200u);
  BOOST_TEST(resp.body.empty());
  BOOST_TEST(resp.body_bytes == 11u);
  BOOST_TEST(sink.begun == (std::vector<unsigned>{302, 200}));  // the redirect's header, then the page's
  BOOST_TEST(sink.data == "redirected\n");
  r.url = srv.url("/gzip-br");
  resp = co_await c.send(r);
  BOOST_TEST(sink.data == http_test_server::gzip_text());
  BOOST_TEST(resp.body_bytes == http_test_server::gzip_text().size());
  BOOST_TEST(resp.wire_bytes < resp.body_bytes);
  r.url = srv.url("/gzip-bomb");
  r.max_body_bytes = 1 << 20;
  const auto e = co_await expect_http_error(c.send(r));
  BOOST_TEST((e.kind() == http::errc::too_large));
  BOOST_TEST(sink.data.size() <= std::size_t{1} << 20);
}

CORIO_HTTP_TEST(a_trace_tells_the_chain_the_peer_and_the_first_byte_also_when_the_request_fails) {
  http_test_server srv;
  http::client c(edge_options());
  http::request_trace trace;
  http::request r;
  r.url = srv.url("/redirect/2");
  r.trace = &trace;
  const auto before = corio::clock::now();
  auto resp = co_await c.send(r);
  BOOST_TEST(resp.url == srv.url("/redirect/0"));
  BOOST_TEST(trace.redirects == (std::vector<std::string>{srv.url("/redirect/2"), srv.url("/redirect/1")}));
  BOOST_TEST(trace.remote_address == "127.0.0.1");
  BOOST_TEST_REQUIRE(trace.first_byte.has_value());
  BOOST_TEST((*trace.first_byte >= before && *trace.first_byte <= corio::clock::now()));
  http::request_trace failed;
  r.url = srv.url("/reset");
  r.trace = &failed;
  (void)co_await expect_http_error(c.send(r));
  BOOST_TEST(failed.remote_address == "127.0.0.1");  // known although no response came
  BOOST_TEST(failed.redirects.empty());
}

CORIO_HTTP_TEST(a_request_larger_than_the_socket_takes_at_once_is_written_whole) {
  // The client writes what the socket takes without waiting, then the rest asynchronously: a
  // body of ~1 MB is more than a fresh loopback socket's send buffer (16 KiB to start with).
  http_test_server srv;
  http::client c(edge_options());
  std::string body(1'000'000, 'x');
  for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  for (int round = 0; round < 3; ++round) {  // (a fresh connection, then a reused one)
    auto resp = co_await c.post(srv.url("/echo"), body, "text/plain");
    BOOST_TEST(resp.status == 200u);
    BOOST_TEST((resp.body == "POST " + body));
  }
  BOOST_TEST(c.stats().connections_opened == 1u);
}

CORIO_HTTP_TEST(a_status_the_policy_refuses_to_retry_is_returned_as_the_response) {
  http_test_server srv;
  auto o = edge_options();
  o.retry = http::retries(2);
  o.retry.retryable = [](const std::exception_ptr& e) {  // statuses: never; the rest: never
    try {
      std::rethrow_exception(e);
    } catch (const http::error& he) {
      return he.kind() != http::errc::http_status && he.kind() != http::errc::protocol;
    } catch (...) {
      return false;
    }
  };
  http::client c(o);
  auto resp = co_await c.get(srv.url("/retry-after?key=refused&fails=1&after=3600"));
  BOOST_TEST(resp.status == 429u);  // not an exception: the server's answer, whole
  BOOST_TEST(resp.body == "try again\n");
  BOOST_TEST(resp.attempts == 1);
  BOOST_TEST(resp.retry_after().value_or(corio::duration::zero()) == std::chrono::seconds(3600));
  BOOST_TEST(srv.hits("/retry-after") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
