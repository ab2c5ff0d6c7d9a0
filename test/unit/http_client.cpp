// test-labels: http
#include <corio/http/client.hpp>

#include <corio/gather.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/timeout.hpp>

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace http = corio::http;
using corio::test::expect_http_error;
using corio::test::http_test_server;
using corio::test::ms_since;

namespace {

http::client_options fast_options() {
  http::client_options o;
  o.connect_timeout = 5s;
  o.read_timeout = 10s;
  o.total_timeout = 20s;
  return o;
}

std::uint16_t closed_port() {
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::acceptor a(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();  // closed again when `a` goes away: connecting is refused
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client)

CORIO_HTTP_TEST(get_returns_status_reason_headers_and_body) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.get(srv.url("/ok"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.reason == "OK");
  BOOST_TEST(r.body == "ok\n");
  BOOST_TEST(r.content_type() == "text/plain");
  BOOST_TEST(r.headers.get("content-length").value_or("") == "3");
  BOOST_TEST(r.url == srv.url("/ok"));
  BOOST_TEST(r.attempts == 1);
  BOOST_TEST(r.redirects == 0);
}

CORIO_HTTP_TEST(an_error_status_is_a_response_until_raise_for_status) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.get(srv.url("/status/404"));
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(!r.ok());
  try {
    r.raise_for_status();
    BOOST_FAIL("expected http_status");
  } catch (const http::error& e) {
    BOOST_TEST((e.kind() == http::errc::http_status));
    BOOST_TEST(e.status() == 404u);
  }
}

CORIO_HTTP_TEST(sequential_requests_reuse_one_kept_alive_connection) {
  http_test_server srv;
  http::client c(fast_options());
  for (int i = 0; i < 10; ++i) BOOST_TEST((co_await c.get(srv.url("/ok"))).status == 200u);
  BOOST_TEST(srv.connections() == 1u);
  BOOST_TEST(c.stats().connections_opened == 1u);
  BOOST_TEST(c.stats().connections_reused == 9u);
}

CORIO_HTTP_TEST(concurrent_requests_never_open_more_than_connections_per_host) {
  http_test_server srv;
  auto o = fast_options();
  o.connections_per_host = 3;
  http::client c(o);
  std::vector<corio::awaitable<http::response>> reqs;
  for (int i = 0; i < 12; ++i) reqs.push_back(c.get(srv.url("/slow?ms=30")));
  auto rs = co_await corio::gather(std::move(reqs));
  for (const auto& r : rs) BOOST_TEST(r.status == 200u);
  BOOST_TEST(srv.max_open_connections() <= 3u);
  BOOST_TEST(srv.connections() == 3u);
}

CORIO_HTTP_TEST(a_pooled_connection_the_server_closed_is_replaced_transparently) {
  http_test_server srv;
  http::client c(fast_options());
  BOOST_TEST((co_await c.get(srv.url("/ok-close-silently"))).status == 200u);
  BOOST_TEST((co_await c.get(srv.url("/ok"))).status == 200u);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(connection_close_responses_are_not_pooled) {
  http_test_server srv;
  http::client c(fast_options());
  BOOST_TEST((co_await c.get(srv.url("/close"))).body == "bye\n");
  BOOST_TEST((co_await c.get(srv.url("/ok"))).status == 200u);
  BOOST_TEST(srv.connections() == 2u);
  BOOST_TEST(c.stats().stale_retries == 0u);
}

CORIO_HTTP_TEST(head_reads_no_body_and_keeps_the_connection_usable) {
  http_test_server srv;
  http::client c(fast_options());
  auto h = co_await c.head(srv.url("/ok"));
  BOOST_TEST(h.status == 200u);
  BOOST_TEST(h.body.empty());
  BOOST_TEST((co_await c.get(srv.url("/ok"))).body == "ok\n");
  BOOST_TEST(srv.connections() == 1u);
}

CORIO_HTTP_TEST(post_sends_its_body) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.post(srv.url("/echo"), "payload", "text/plain");
  BOOST_TEST(r.body == "POST payload");
}

CORIO_HTTP_TEST(small_large_and_small_bodies_on_one_connection_arrive_whole) {
  // A connection reads 4 KiB at a time at first and doubles while reads fill it (up to 64 KiB).
  http_test_server srv;
  http::client c(fast_options());
  std::string big(900 * 1024 + 17, '\0');  // (the test server takes request bodies up to 1 MB)
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  auto r1 = co_await c.post(srv.url("/echo"), "x", "text/plain");
  auto r2 = co_await c.post(srv.url("/echo"), big, "text/plain");
  auto r3 = co_await c.post(srv.url("/echo"), "y", "text/plain");
  BOOST_TEST(r1.body == "POST x");
  BOOST_TEST(r2.body.size() == big.size() + 5);
  BOOST_TEST((r2.body == "POST " + big));
  BOOST_TEST(r3.body == "POST y");
  BOOST_TEST(srv.connections() == 1u);
}

CORIO_HTTP_TEST(user_agent_and_accept_encoding_are_sent_and_can_be_replaced) {
  http_test_server srv;
  auto o = fast_options();
  o.user_agent = "corio-test/1";
  http::client c(o);
  auto r = co_await c.get(srv.url("/headers"));
  BOOST_TEST(r.body.find("User-Agent: corio-test/1\n") != std::string::npos);
  BOOST_TEST(r.body.find("Accept-Encoding: gzip, deflate, br, zstd\n") != std::string::npos);
  BOOST_TEST(r.body.find("Host: 127.0.0.1:" + std::to_string(srv.port()) + "\n") != std::string::npos);
  http::fields ua{{"User-Agent", "other/2"}};  // (a braced list inside co_await trips GCC 12)
  auto r2 = co_await c.get(srv.url("/headers"), ua);
  BOOST_TEST(r2.body.find("User-Agent: other/2\n") != std::string::npos);
  BOOST_TEST(r2.body.find("corio-test/1") == std::string::npos);
}

CORIO_HTTP_TEST(redirects_are_followed_and_relative_locations_resolved) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.get(srv.url("/redirect/3"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "redirected\n");
  BOOST_TEST(r.redirects == 3);
  BOOST_TEST(r.url == srv.url("/redirect/0"));
  BOOST_TEST(srv.connections() == 1u);
}

CORIO_HTTP_TEST(more_redirects_than_allowed_is_too_many_redirects) {
  http_test_server srv;
  auto o = fast_options();
  o.max_redirects = 2;
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/redirect/5")));
  BOOST_TEST((e.kind() == http::errc::too_many_redirects));
  BOOST_TEST(std::string(e.what()) == "too_many_redirects: more than 2 redirects");
  BOOST_TEST(srv.hits("/redirect/5") + srv.hits("/redirect/4") + srv.hits("/redirect/3") == 3u);
}

CORIO_HTTP_TEST(a_redirect_loop_is_reported_as_a_loop) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/loop/a")));
  BOOST_TEST((e.kind() == http::errc::too_many_redirects));
  BOOST_TEST(e.message().find("redirect loop") == 0u);
  BOOST_TEST(srv.hits("/loop/a") == 1u);
  BOOST_TEST(srv.hits("/loop/b") == 1u);
}

CORIO_HTTP_TEST(with_max_redirects_zero_the_redirect_itself_is_returned) {
  http_test_server srv;
  auto o = fast_options();
  o.max_redirects = 0;
  http::client c(o);
  auto r = co_await c.get(srv.url("/redirect/1"));
  BOOST_TEST(r.status == 302u);
  BOOST_TEST(r.headers.get("Location").value_or("") == "0");
}

CORIO_HTTP_TEST(a_303_turns_a_post_into_a_get_and_a_307_keeps_the_post) {
  http_test_server srv;
  http::client c(fast_options());
  auto r303 = co_await c.post(srv.url("/goto?code=303&to=/echo"), "payload", "text/plain");
  BOOST_TEST(r303.body == "GET ");
  auto r307 = co_await c.post(srv.url("/goto?code=307&to=/echo"), "payload", "text/plain");
  BOOST_TEST(r307.body == "POST payload");
  auto r308 = co_await c.post(srv.url("/goto?code=308&to=/echo"), "payload", "text/plain");
  BOOST_TEST(r308.body == "POST payload");
  auto r301 = co_await c.post(srv.url("/goto?code=301&to=/echo"), "payload", "text/plain");
  BOOST_TEST(r301.body == "GET ");
}

CORIO_HTTP_TEST(a_redirect_to_a_non_http_location_is_a_bad_url_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/goto?to=ftp://elsewhere.test/")));
  BOOST_TEST((e.kind() == http::errc::bad_url));
}

CORIO_HTTP_TEST(an_idle_connection_older_than_idle_expiry_is_not_reused) {
  http_test_server srv;
  auto o = fast_options();
  o.idle_expiry = 50ms;
  http::client c(o);
  co_await c.get(srv.url("/ok"));
  co_await corio::sleep(200ms);  // well past the expiry (the outcome does not depend on the margin)
  auto r = co_await c.get(srv.url("/ok"));
  BOOST_TEST(!r.reused_connection);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(a_timed_out_lookup_returns_at_once_and_finishes_in_the_background) {
  http_test_server srv;
  auto o = fast_options();
  o.connect_timeout = std::chrono::microseconds(1);
  http::client c(o);
  auto e = co_await expect_http_error(c.get("http://localhost:" + std::to_string(srv.port()) + "/ok"));
  BOOST_TEST((e.kind() == http::errc::timeout));
  // The abandoned lookup task ends by itself: Asio's resolver thread answers in order, so it has
  // ended by the time this lookup is answered (else the test runner reports a leftover task).
  http::client d(fast_options());
  BOOST_TEST((co_await d.get("http://localhost:" + std::to_string(srv.port()) + "/ok")).status == 200u);
}

CORIO_HTTP_TEST(a_429_is_retried_after_the_delay_the_server_asked_for) {
  http_test_server srv;
  auto o = fast_options();
  o.retry = http::retries(2);
  std::vector<corio::duration> delays;
  o.retry.on_retry = [&](int, const std::exception_ptr&, corio::duration d) { delays.push_back(d); };
  http::client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = co_await c.get(srv.url("/retry-after?key=a&fails=1&after=1"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.attempts == 2);
  BOOST_TEST(delays.size() == 1u);
  BOOST_TEST((delays.at(0) == 1s));
  BOOST_TEST(ms_since(t0) >= 1000);
}

CORIO_HTTP_TEST(a_503_with_an_http_date_retry_after_is_retried) {
  http_test_server srv;
  auto o = fast_options();
  o.retry = http::retries(1);
  std::vector<corio::duration> delays;
  o.retry.on_retry = [&](int, const std::exception_ptr&, corio::duration d) { delays.push_back(d); };
  http::client c(o);
  // A date in the past: retry at once.
  auto r = co_await c.get(srv.url("/retry-after?key=b&fails=1&code=503&after=Wed,%2021%20Oct%202015%2007:28:00%20GMT"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.attempts == 2);
  BOOST_TEST(delays.size() == 1u);
  BOOST_TEST((delays.at(0) == corio::duration::zero()));
}

CORIO_HTTP_TEST(a_500_is_retried_with_backoff_until_it_succeeds) {
  http_test_server srv;
  auto o = fast_options();
  o.retry = http::retries(3);
  o.retry.initial_delay = 10ms;
  http::client c(o);
  auto r = co_await c.get(srv.url("/flaky?key=c&fails=2"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.attempts == 3);
  BOOST_TEST(srv.hits("/flaky") == 3u);
}

CORIO_HTTP_TEST(when_retries_run_out_on_a_status_the_last_response_is_returned) {
  http_test_server srv;
  auto o = fast_options();
  o.retry = http::retries(1);
  o.retry.initial_delay = 10ms;
  http::client c(o);
  auto r = co_await c.get(srv.url("/flaky?key=d&fails=5"));
  BOOST_TEST(r.status == 500u);
  BOOST_TEST(r.attempts == 2);
}

CORIO_HTTP_TEST(network_errors_are_retried_and_the_last_error_carries_the_attempts) {
  http::client_options o = fast_options();
  o.retry = http::retries(2);
  o.retry.initial_delay = 10ms;
  http::client c(o);
  auto e = co_await expect_http_error(c.get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  BOOST_TEST((e.kind() == http::errc::connect));
  BOOST_TEST(e.attempts() == 3);
  BOOST_TEST(e.message().find("cannot connect to http://127.0.0.1:") == 0u);
}

CORIO_HTTP_TEST(a_server_that_never_answers_is_a_read_timeout) {
  http_test_server srv;
  auto o = fast_options();
  o.read_timeout = 200ms;
  http::client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_http_error(c.get(srv.url("/stall")));
  BOOST_TEST((e.kind() == http::errc::timeout));
  BOOST_TEST(std::string(e.what()) == "timeout: no data for 200 ms (read timeout)");
  BOOST_TEST(ms_since(t0) >= 200);
  BOOST_TEST(ms_since(t0) < 5000);
}

CORIO_HTTP_TEST(a_body_that_stalls_midway_is_a_read_timeout) {
  http_test_server srv;
  auto o = fast_options();
  o.read_timeout = 200ms;
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/stall-body")));
  BOOST_TEST((e.kind() == http::errc::timeout));
}

CORIO_HTTP_TEST(a_steady_trickle_keeps_the_read_timeout_away_but_not_the_total_timeout) {
  http_test_server srv;
  auto o = fast_options();
  o.read_timeout = 100ms;  // the server sends every 2 ms
  o.total_timeout = 400ms;
  http::client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_http_error(c.get(srv.url("/endless")));
  BOOST_TEST((e.kind() == http::errc::timeout));
  BOOST_TEST(std::string(e.what()) == "timeout: no complete response within 400 ms (total timeout)");
  BOOST_TEST(ms_since(t0) >= 400);
}

CORIO_HTTP_TEST(an_endless_body_stops_at_the_size_limit) {
  http_test_server srv;
  auto o = fast_options();
  o.max_body_bytes = 64 * 1024;
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/endless")));
  BOOST_TEST((e.kind() == http::errc::too_large));
}

CORIO_HTTP_TEST(a_content_length_over_the_limit_is_refused_before_the_body_is_read) {
  http_test_server srv;
  auto o = fast_options();
  o.max_body_bytes = 1 << 20;
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/huge")));
  BOOST_TEST((e.kind() == http::errc::too_large));
  BOOST_TEST(e.message().find("exceeds the limit of 1048576 bytes") != std::string::npos);
}

CORIO_HTTP_TEST(a_reset_mid_body_is_a_connection_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/reset")));
  BOOST_TEST((e.kind() == http::errc::connection));
  BOOST_TEST(e.url() == srv.url("/reset"));
}

CORIO_HTTP_TEST(a_close_before_content_length_is_complete_is_a_connection_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/close-early")));
  BOOST_TEST((e.kind() == http::errc::connection));
  BOOST_TEST(e.message() == "the connection closed before the response was complete");
}

CORIO_HTTP_TEST(a_truncated_chunked_body_is_a_connection_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/truncated-chunked")));
  BOOST_TEST((e.kind() == http::errc::connection));
}

CORIO_HTTP_TEST(a_body_delimited_by_close_is_read_to_the_end) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.get(srv.url("/no-length"));
  BOOST_TEST(r.body == "until the end\n");
  BOOST_TEST((co_await c.get(srv.url("/ok"))).status == 200u);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(gzip_and_deflate_bodies_are_decoded) {
  http_test_server srv;
  http::client c(fast_options());
  for (const char* p : {"/gzip", "/deflate", "/deflate-raw"}) {
    auto r = co_await c.get(srv.url(p));
    BOOST_TEST(r.body == http_test_server::gzip_text(), p);
    BOOST_TEST(r.wire_bytes < r.body.size() / 4, p);
  }
}

CORIO_HTTP_TEST(without_decompression_the_body_is_returned_as_sent) {
  http_test_server srv;
  auto o = fast_options();
  o.decompress = false;
  http::client c(o);
  auto r = co_await c.get(srv.url("/gzip"));
  BOOST_TEST(r.body.size() == r.wire_bytes);
  BOOST_TEST(r.body.substr(0, 2) == "\x1f\x8b");
}

CORIO_HTTP_TEST(corrupt_gzip_is_a_protocol_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/bad-gzip")));
  BOOST_TEST((e.kind() == http::errc::protocol));
  BOOST_TEST(e.message().find("cannot be decoded") != std::string::npos);
}

CORIO_HTTP_TEST(an_unsupported_content_encoding_is_a_protocol_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/unsupported-encoding")));
  BOOST_TEST((e.kind() == http::errc::protocol));
  BOOST_TEST(e.message() == "unsupported Content-Encoding ('compress' (gzip, deflate, br and zstd are accepted))");
}

CORIO_HTTP_TEST(a_gzip_bomb_stops_at_the_decoded_size_limit) {
  http_test_server srv;
  auto o = fast_options();
  o.max_body_bytes = 1 << 20;  // ~16 KiB on the wire would expand to 16 MiB
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/gzip-bomb")));
  BOOST_TEST((e.kind() == http::errc::too_large));
  BOOST_TEST(e.message() == "the decoded body exceeds the limit of 1048576 bytes");
}

CORIO_HTTP_TEST(a_header_field_of_64_kib_is_a_protocol_error_not_an_escaping_exception) {
  http_test_server srv;
  auto o = fast_options();
  o.max_header_bytes = 1 << 20;  // so that Beast's header limit does not stop it first
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/big-header")));
  BOOST_TEST((e.kind() == http::errc::protocol));
  BOOST_TEST(e.message().find("has a header field value of 64 KiB or more (field 'X-Big' is 70000 bytes)") != std::string::npos);
  // Under the default header limit the same response is simply too large.
  http::client d(fast_options());
  auto e2 = co_await expect_http_error(d.get(srv.url("/big-header")));
  BOOST_TEST((e2.kind() == http::errc::too_large));
}

CORIO_HTTP_TEST(a_trailer_field_of_64_kib_is_a_protocol_error_not_an_escaping_exception) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/big-trailer")));
  BOOST_TEST((e.kind() == http::errc::protocol));
  BOOST_TEST(e.message().find("has a header field value of 64 KiB or more (field 'X-Big' is 70000 bytes)") != std::string::npos);
}

CORIO_HTTP_TEST(a_trailer_larger_than_the_header_limit_is_too_large) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/big-trailer?size=200000")));
  BOOST_TEST((e.kind() == http::errc::too_large));
}

CORIO_HTTP_TEST(interim_1xx_responses_are_skipped) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.get(srv.url("/interim"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "ok\n");
}

CORIO_HTTP_TEST(a_response_that_is_not_http_is_a_protocol_error) {
  http_test_server srv;
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get(srv.url("/garbage")));
  BOOST_TEST((e.kind() == http::errc::protocol));
}

CORIO_HTTP_TEST(a_refused_connection_is_a_connect_error) {
  http::client c(fast_options());
  auto e = co_await expect_http_error(c.get("http://127.0.0.1:" + std::to_string(closed_port()) + "/x"));
  BOOST_TEST((e.kind() == http::errc::connect));
  BOOST_TEST(e.attempts() == 1);
}

CORIO_HTTP_TEST(an_unresolvable_host_is_a_dns_error) {
  auto o = fast_options();
  o.connect_timeout = 60s;
  http::client c(o);
  auto e = co_await expect_http_error(c.get("http://no-such-host.invalid/"));
  BOOST_TEST((e.kind() == http::errc::dns));
  BOOST_TEST(e.message().find("cannot resolve host 'no-such-host.invalid'") == 0u);
}

CORIO_HTTP_TEST(localhost_is_resolved) {
  http_test_server srv;
  http::client c(fast_options());
  auto r = co_await c.get("http://localhost:" + std::to_string(srv.port()) + "/ok");
  BOOST_TEST(r.status == 200u);
}

CORIO_HTTP_TEST(a_lookup_that_hangs_is_cut_off_by_the_connect_timeout) {
  auto o = fast_options();
  o.connect_timeout = 100ms;
  o.resolver = [](std::string, std::uint16_t) -> corio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> {
    co_await corio::sleep(1h);
    co_return std::vector<boost::asio::ip::tcp::endpoint>{};
  };
  http::client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_http_error(c.get("http://slow-dns.test/"));
  BOOST_TEST((e.kind() == http::errc::timeout));
  BOOST_TEST(e.message().find("(connect timeout)") != std::string::npos);
  BOOST_TEST(ms_since(t0) < 5000);
}

CORIO_HTTP_TEST(bad_urls_fail_at_once_without_a_request) {
  http::client c(fast_options());
  for (const char* u : {"ftp://example.com/", "not a url", "http:///nohost", "/relative"}) {
    auto e = co_await expect_http_error(c.get(u));
    BOOST_TEST((e.kind() == http::errc::bad_url), u);
  }
  BOOST_TEST(c.stats().requests == 0u);
}

CORIO_HTTP_TEST(a_cancelled_request_closes_its_connection_instead_of_pooling_it) {
  http_test_server srv;
  http::client c(fast_options());
  BOOST_CHECK_THROW(co_await corio::wait_for(c.get(srv.url("/stall")), 100ms), corio::timeout_error);
  // Had the stalled connection been pooled, this request would be sent on it and never answered.
  auto r = co_await c.get(srv.url("/ok"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(!r.reused_connection);
  BOOST_TEST(srv.connections() == 2u);
}

CORIO_HTTP_TEST(rate_per_host_spaces_the_requests) {
  http_test_server srv;
  auto o = fast_options();
  o.rate_per_host = 20;  // one per 50 ms
  http::client c(o);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) co_await c.get(srv.url("/ok"));
  BOOST_TEST(ms_since(t0) >= 200);  // 4 intervals after the first
}

CORIO_HTTP_TEST(rate_slots_are_not_saved_up_while_requests_wait_for_a_connection) {
  // One connection, a slow server: the second and third requests wait for the permit far longer
  // than the rate's interval. Their rate slots are taken once they hold it, so they still leave
  // 50 ms apart from the one before them, not at once when the permit comes free.
  http_test_server srv;
  auto o = fast_options();
  o.connections_per_host = 1;
  o.rate_per_host = 20;  // one per 50 ms
  std::vector<std::chrono::steady_clock::time_point> sent;
  o.pacer = [&sent](const std::string&) -> corio::awaitable<void> {  // (runs after the rate's wait)
    sent.push_back(std::chrono::steady_clock::now());
    co_return;
  };
  http::client c(o);
  co_await corio::gather(c.get(srv.url("/slow?ms=200")), c.get(srv.url("/ok")), c.get(srv.url("/ok")));
  BOOST_REQUIRE(sent.size() == 3u);
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  BOOST_TEST(ms(sent[1] - sent[0]) >= 200);  // after the slow response
  BOOST_TEST(ms(sent[2] - sent[1]) >= 45);   // its own interval, although it waited 200 ms as well
}

CORIO_HTTP_TEST(the_pacer_is_awaited_before_every_request_written_with_its_origin) {
  http_test_server srv;
  auto o = fast_options();
  std::vector<std::string> origins;
  std::size_t requests_when_paced = 0;
  o.pacer = [&](const std::string& origin) -> corio::awaitable<void> {
    origins.push_back(origin);
    requests_when_paced = srv.requests();
    co_await corio::sleep(1ms);
  };
  http::client c(o);
  auto r = co_await c.get(srv.url("/redirect/2"));  // two redirect hops: three requests
  BOOST_TEST(r.status == 200u);
  const std::string origin = "http://127.0.0.1:" + std::to_string(srv.port());
  BOOST_TEST(origins == (std::vector<std::string>{origin, origin, origin}), boost::test_tools::per_element());
  BOOST_TEST(requests_when_paced == 2u);  // the third was paced before it was written
  BOOST_TEST(srv.requests() == 3u);
}

CORIO_HTTP_TEST(a_pacer_that_throws_fails_the_request_unsent_and_one_that_waits_is_cancellable) {
  http_test_server srv;
  auto o = fast_options();
  o.pacer = [](const std::string&) -> corio::awaitable<void> {
    throw std::runtime_error("no slot");
    co_return;
  };
  http::client c(o);
  BOOST_CHECK_THROW(co_await c.get(srv.url("/ok")), std::runtime_error);
  BOOST_TEST(srv.requests() == 0u);
  auto waits = fast_options();
  waits.pacer = [](const std::string&) -> corio::awaitable<void> { co_await corio::sleep(24h); };
  http::client slow(waits);
  BOOST_CHECK_THROW(co_await corio::wait_for(slow.get(srv.url("/ok")), 50ms), corio::timeout_error);
  BOOST_TEST(srv.requests() == 0u);
}

CORIO_HTTP_TEST(a_method_that_could_inject_headers_is_refused_before_sending) {
  http_test_server srv;
  http::client c(fast_options());
  http::request r;
  r.method = "GET /x HTTP/1.1\r\nEvil: 1\r\n\r\nGET";
  r.url = srv.url("/ok");
  BOOST_CHECK_THROW(co_await c.send(r), std::invalid_argument);
  BOOST_TEST(srv.requests() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
