#include <serve/handler.hpp>

#include <corio/testing.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

namespace {

/// A stream that records what is written (the handler API without a connection).
class recording_stream final : public serve::stream {
public:
  boost::asio::ip::tcp::socket& socket() noexcept override { return socket_; }
  const serve::limits& lim() const noexcept override { return lim_; }
  corio::awaitable<std::optional<std::string>> read_body() override { co_return std::nullopt; }
  corio::awaitable<void> write(std::string_view bytes) override {
    written.append(bytes);
    co_return;
  }
  corio::awaitable<void> send(serve::response, bool) override { throw std::logic_error("not used"); }
  void deadline_after(corio::duration) override {}
  void no_deadline() noexcept override {}
  void on_shutdown(std::function<void()>) override {}
  bool shutting_down() const noexcept override { return false; }
  void keep_alive(bool on) noexcept override { kept = on; }
  void set_status(unsigned s) noexcept override { status = s; }
  bool response_started() const noexcept override { return !written.empty(); }

  std::string written;
  unsigned status = 0;
  bool kept = true;

private:
  boost::asio::io_context ctx_;
  boost::asio::ip::tcp::socket socket_{ctx_};
  serve::limits lim_;
};

/// The body after the head (the head's Date varies).
std::string body_of(const std::string& written) { return written.substr(written.find("\r\n\r\n") + 4); }

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_handler)

BOOST_AUTO_TEST_CASE(a_chunk_is_framed_and_empty_data_is_no_chunk) {
  BOOST_TEST(serve::chunk("hello") == "5\r\nhello\r\n");
  BOOST_TEST(serve::chunk(std::string(300, 'x')).substr(0, 5) == "12c\r\n");
  BOOST_TEST(serve::chunk("").empty());  // "0\r\n\r\n" would end the body
}

BOOST_AUTO_TEST_CASE(an_event_has_a_data_line_per_line_of_its_data) {
  BOOST_TEST(serve::event_text("x") == "data: x\n\n");
  BOOST_TEST(serve::event_text("a\nb\r\nc\rd") == "data: a\ndata: b\ndata: c\ndata: d\n\n");
  BOOST_TEST(serve::event_text("", "tick") == "event: tick\ndata: \n\n");
  BOOST_TEST(serve::event_text("end\n") == "data: end\ndata: \n\n");
  BOOST_TEST(serve::event_text("x", "bad\nname") == "event: bad name\ndata: x\n\n");  // one line
}

CORIO_TEST_CASE(chunked_output_frames_every_piece_and_never_ends_the_body_early) {
  recording_stream s;
  co_await s.begin_chunked(serve::http::status::ok, "text/plain", false, "X-Extra: 1\r\n");
  co_await s.write_chunk("ab");
  co_await s.write_chunk("");  // nothing, not the last chunk
  co_await s.write_chunk("cde");
  co_await s.end_chunked();
  BOOST_TEST(s.written.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  const auto head = s.written.substr(0, s.written.find("\r\n\r\n") + 2);
  BOOST_TEST(head.find("\r\nTransfer-Encoding: chunked\r\n") != std::string::npos);
  BOOST_TEST(head.find("\r\nContent-Type: text/plain\r\n") != std::string::npos);
  BOOST_TEST(head.find("\r\nX-Extra: 1\r\n") != std::string::npos);
  BOOST_TEST(head.find("\r\nConnection: close\r\n") != std::string::npos);
  BOOST_TEST(body_of(s.written) == "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
  BOOST_TEST(s.status == 200u);
  BOOST_TEST(!s.kept);
}

CORIO_TEST_CASE(a_kept_alive_chunked_response_says_nothing_of_closing) {
  recording_stream s;
  co_await s.begin_chunked(serve::http::status::created, "application/json", true);
  BOOST_TEST(s.written.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
  BOOST_TEST(s.written.find("Connection:") == std::string::npos);
  BOOST_TEST(s.kept);
}

CORIO_TEST_CASE(server_sent_events_are_one_chunk_each) {
  recording_stream s;
  co_await s.begin_events();
  co_await s.send_event("{\"n\":1}");
  co_await s.send_event("two\nlines", "multi");
  co_await s.end_chunked();
  BOOST_TEST(s.written.find("\r\nContent-Type: text/event-stream\r\n") != std::string::npos);
  BOOST_TEST(s.written.find("\r\nCache-Control: no-cache\r\n") != std::string::npos);
  const std::string first = "data: {\"n\":1}\n\n", second = "event: multi\ndata: two\ndata: lines\n\n";
  BOOST_TEST(body_of(s.written) == serve::chunk(first) + serve::chunk(second) + "0\r\n\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
