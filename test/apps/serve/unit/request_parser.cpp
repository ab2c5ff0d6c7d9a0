#include <serve/request_parser.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

namespace http = boost::beast::http;

namespace {

struct outcome {
  unsigned status = 0;  // 0: parsed completely; otherwise the rejection
  std::size_t consumed = 0;
  serve::request req;
  bool done = false;
};

/// Feeds `input` in pieces of `step` bytes (0: all at once), as a connection would.
outcome parse(std::string_view input, serve::limits lim = {}, std::size_t step = 0) {
  serve::request_parser p(lim);
  p.eager(true);
  outcome out;
  std::string buffered;
  std::size_t next = 0;
  for (;;) {
    while (!buffered.empty() && !p.is_done() && !p.failed()) {
      const auto n = p.feed(buffered);
      out.consumed += n;
      buffered.erase(0, n);
      if (n == 0) break;
    }
    if (p.is_done() || p.failed()) break;
    if (next >= input.size()) {
      p.feed_eof();
      break;
    }
    const std::size_t n = step == 0 ? input.size() - next : std::min(step, input.size() - next);
    buffered.append(input.substr(next, n));
    next += n;
  }
  out.status = p.failed() ? static_cast<unsigned>(p.failure_status()) : 0;
  out.done = p.is_done();
  out.req = std::move(p.get());
  return out;
}

unsigned status_of(std::string_view input, serve::limits lim = {}) { return parse(input, lim).status; }

/// The status of `input` fed whole and fed one byte at a time (they must agree).
unsigned status_both_ways(std::string_view input, serve::limits lim = {}) {
  const auto whole = parse(input, lim).status;
  const auto bytewise = parse(input, lim, 1).status;
  BOOST_TEST(whole == bytewise);
  return whole;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_request_parser)

BOOST_AUTO_TEST_CASE(a_simple_get_parses_with_its_headers) {
  const auto r = parse("GET /a/b?x=1 HTTP/1.1\r\nHost: example\r\nX-Thing: yes\r\n\r\n");
  BOOST_TEST(r.status == 0u);
  BOOST_TEST(r.done);
  BOOST_TEST(r.req.method() == http::verb::get);
  BOOST_TEST(r.req.target() == "/a/b?x=1");
  BOOST_TEST(r.req.version() == 11u);
  BOOST_TEST(r.req["X-Thing"] == "yes");
}

BOOST_AUTO_TEST_CASE(a_pipelined_second_request_is_left_unconsumed) {
  const std::string first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  serve::limits lim;
  serve::request_parser p(lim);
  const auto n = p.feed(first + second);
  BOOST_TEST(p.is_done());
  BOOST_TEST(n == first.size());
  BOOST_TEST(p.get().target() == "/1");
}

BOOST_AUTO_TEST_CASE(a_chunked_body_is_assembled_and_its_trailers_are_discarded) {
  const auto r = status_both_ways(
      "POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  BOOST_TEST(r == 0u);
  const auto whole = parse(
      "POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  BOOST_TEST(whole.req.body() == "hello world");
  BOOST_TEST(whole.req.count("X-Trailer") == 0u);
}

BOOST_AUTO_TEST_CASE(a_content_length_body_is_read_exactly) {
  const auto r = parse("POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET");
  BOOST_TEST(r.status == 0u);
  BOOST_TEST(r.req.body() == "hello");
}

BOOST_AUTO_TEST_CASE(transfer_encoding_together_with_content_length_is_400_in_either_order) {
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") ==
             400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") ==
             400u);
  // Beast alone accepts this one: the coding is not chunked, so it frames by Content-Length.
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc") ==
             400u);
}

BOOST_AUTO_TEST_CASE(a_transfer_encoding_whose_last_coding_is_not_chunked_is_400) {
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n") ==
             400u);
}

BOOST_AUTO_TEST_CASE(chunked_applied_twice_is_400_and_an_unknown_coding_before_it_is_501) {
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") == 501u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n0\r\n\r\n") == 400u);
}

BOOST_AUTO_TEST_CASE(an_empty_transfer_encoding_is_400_in_any_order_and_with_any_other_framing) {
  for (std::string_view bad : {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n",
                               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \t \r\n\r\n",
                               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nContent-Length: 3\r\n\r\nabc",
                               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: \r\n\r\nabc",
                               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: \r\n\r\n0\r\n\r\n",
                               "GET / HTTP/1.0\r\nTransfer-Encoding:\r\n\r\n"}) {
    BOOST_TEST_CONTEXT("input: " << bad) { BOOST_TEST(status_both_ways(bad) == 400u); }
  }
}

BOOST_AUTO_TEST_CASE(a_space_or_a_control_character_in_the_request_target_is_400) {
  for (std::string_view bad : {"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a HTTP/1.1 HTTP/1.1\r\nHost: h\r\n\r\n",
                               "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
                               "GET / a HTTP/1.1\r\nHost: h\r\n\r\n"}) {
    BOOST_TEST_CONTEXT("input: " << bad) { BOOST_TEST(status_both_ways(bad) == 400u); }
  }
  BOOST_TEST(status_both_ways("GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n") == 0u);
}

BOOST_AUTO_TEST_CASE(a_chunked_body_in_http_1_0_is_400) {
  BOOST_TEST(status_both_ways("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400u);
}

BOOST_AUTO_TEST_CASE(http_1_1_needs_exactly_one_valid_host_and_http_1_0_none) {
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") == 0u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.0\r\n\r\n") == 0u);
}

BOOST_AUTO_TEST_CASE(a_repeated_or_listed_content_length_is_400_even_when_the_values_agree) {
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx") == 400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx") == 400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\nx") == 400u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\nx") == 400u);
}

BOOST_AUTO_TEST_CASE(obs_fold_continuation_lines_are_400_wherever_the_read_boundaries_fall) {
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n") == 400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\n\r\n") == 400u);
  // An empty first line, so Beast hands the continuation over as if it were the whole value.
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n") ==
             400u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\n Host: h\r\n\r\n") == 400u);
  // Spaces and tabs after the head (in the body) are not folds.
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n\n \n\t") == 0u);
}

BOOST_AUTO_TEST_CASE(a_head_beyond_the_limit_or_with_too_many_fields_is_431) {
  serve::limits lim;
  lim.header_bytes = 1024;
  BOOST_TEST(status_both_ways("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n", lim) == 431u);
  lim = {};
  lim.header_fields = 5;
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 6; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  BOOST_TEST(status_both_ways(many + "\r\n", lim) == 431u);
}

BOOST_AUTO_TEST_CASE(a_field_over_64_kib_is_431_instead_of_an_exception_once_limits_are_raised) {
  serve::limits lim;
  lim.header_bytes = 1024 * 1024;
  // Boost 1.81's http::fields throws std::length_error for this; we must answer instead.
  BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n", lim) == 431u);
}

BOOST_AUTO_TEST_CASE(an_oversized_trailer_field_never_throws_and_is_discarded) {
  serve::limits lim;
  lim.header_bytes = 1024 * 1024;
  const auto r = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Big: " +
                           std::string(70000, 'b') + "\r\n\r\n",
                       lim);
  BOOST_TEST(r.status == 0u);
  BOOST_TEST(r.done);
  BOOST_TEST(r.req.body() == "a");
  BOOST_TEST(r.req.count("X-Big") == 0u);
}

BOOST_AUTO_TEST_CASE(a_body_beyond_the_limit_is_413_whether_declared_or_chunked) {
  serve::limits lim;
  lim.body_bytes = 10;
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", lim) == 413u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\naaaaaa\r\n6\r\nbbbbbb\r\n0\r\n\r\n",
                              lim) == 413u);
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", lim) == 0u);
}

BOOST_AUTO_TEST_CASE(chunk_extensions_beyond_the_limit_are_400) {
  serve::limits lim;
  lim.chunk_extension_bytes = 64;
  std::string body;
  for (int i = 0; i < 10; ++i) body += "1;name=" + std::string(10, 'v') + "\r\nx\r\n";
  BOOST_TEST(status_both_ways("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n", lim) ==
             400u);
}

BOOST_AUTO_TEST_CASE(malformed_request_lines_and_fields_are_400_and_unknown_versions_505) {
  for (std::string_view bad : {"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", "GET\r\n\r\n", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
                               "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "GET foo HTTP/1.1\r\nHost: h\r\n\r\n",
                               "GET * HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n",
                               "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n", "GET / HTTP/1.1\nHost: h\n\n",
                               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    BOOST_TEST_CONTEXT("input: " << bad) { BOOST_TEST(status_both_ways(bad) == 400u); }
  }
  BOOST_TEST(status_both_ways("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505u);
  BOOST_TEST(status_both_ways("GET / HTTP/1.2\r\nHost: h\r\n\r\n") == 505u);
  BOOST_TEST(status_both_ways("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == 0u);
  BOOST_TEST(status_both_ways("GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n") == 0u);
}

BOOST_AUTO_TEST_CASE(a_connection_ending_inside_a_request_is_400) {
  BOOST_TEST(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc").status == 400u);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_noticed) {
  serve::limits lim;
  serve::request_parser p(lim);
  p.feed("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  BOOST_TEST(p.is_header_done());
  BOOST_TEST(p.expects_continue());
}

BOOST_AUTO_TEST_CASE(in_streaming_mode_the_body_arrives_in_pieces_not_in_the_request) {
  serve::limits lim;
  serve::request_parser p(lim);
  std::string in = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  in.erase(0, p.feed(in));
  BOOST_TEST(p.is_header_done());
  p.stream_body(true);
  p.eager(true);
  in += "3\r\nabc\r\n";
  in.erase(0, p.feed(in));
  BOOST_TEST(p.take_body_piece() == "abc");
  in += "2\r\nde\r\n0\r\n\r\n";
  in.erase(0, p.feed(in));
  BOOST_TEST(p.take_body_piece() == "de");
  BOOST_TEST(p.is_done());
  BOOST_TEST(p.get().body().empty());
}

BOOST_AUTO_TEST_SUITE_END()
