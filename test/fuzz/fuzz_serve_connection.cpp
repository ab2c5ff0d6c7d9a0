// Fuzz target 1: bytes → corio-serve's connection handler (request parsing, every limit,
// keep-alive and pipelining, routing into the real endpoints). Each input starts a fresh server
// on 127.0.0.1 in virtual time (its timeouts cost no real time), sends the input on one
// connection, half-closes, and reads what comes back until the server closes (at most 60 s of
// virtual time: streaming endpoints never end on their own); then shuts the server down.
//
// Checked, besides "no crash, no sanitizer report, no hang": whatever the server sent is a
// sequence of well-formed HTTP/1.1 responses (Beast's parser accepts each), and the server shuts
// down cleanly afterwards.
#include <serve/app.hpp>
#include <serve/endpoints.hpp>
#include <serve/server.hpp>

#include <corio/task.hpp>
#include <corio/testing.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto as_tuple = asio::as_tuple(asio::deferred);

/// Everything the server sends on one connection, until it closes (or 60 s of virtual time).
corio::awaitable<std::string> exchange(tcp::endpoint ep, std::string_view input) {
  tcp::socket sock(co_await asio::this_coro::executor);
  co_await sock.async_connect(ep, asio::deferred);
  std::string received;
  auto talk = [&]() -> corio::awaitable<void> {
    auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(input.data(), input.size()), as_tuple);
    (void)wn;
    boost::system::error_code ignored;
    if (!wec) sock.shutdown(tcp::socket::shutdown_send, ignored);
    char buf[16384];
    for (;;) {
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple);
      if (ec) co_return;
      received.append(buf, n);
    }
  };
  try {
    co_await corio::wait_for(talk(), 60s);
  } catch (const corio::timeout_error&) {
  }
  co_return received;
}

/// Aborts unless `bytes` is a sequence of HTTP/1.1 responses (the last one may be open: a stream
/// that ran out of time). Answers to HEAD have no body despite their Content-Length, so after one
/// the boundaries are unknown: inputs with a HEAD request are checked up to the first error only.
void check_responses(std::string_view bytes, bool has_head) {
  while (!bytes.empty()) {
    http::response_parser<http::string_body> p;
    p.eager(true);
    p.body_limit(64 << 20);
    beast::error_code ec;
    const auto used = p.put(asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::need_more) return;  // a stream still open (SSE) or a body in flight
    if (ec && has_head) return;
    if (ec) {
      std::fprintf(stderr, "server sent something that is not an HTTP response: %s\n", ec.message().c_str());
      std::abort();
    }
    if (!p.is_done()) return;
    if (p.get().result_int() == 101) return;  // switched protocols (WebSocket): frames follow
    bytes.remove_prefix(used);
  }
}

corio::awaitable<void> one_input(std::string_view input) {
  serve::config cfg;
  cfg.port = 0;
  cfg.access_log = "off";
  auto log = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  serve::app a(cfg, log);
  serve::register_endpoints(a);
  const auto ex = co_await asio::this_coro::executor;
  serve::server srv(a, {ex});
  const auto ep = srv.listen();
  auto running = corio::spawn(ex, srv.run(), "server");
  const auto received = co_await exchange(ep, input);
  srv.shutdown();
  co_await running.wait();
  check_responses(received, input.find("HEAD") != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  corio::testing::options opts;
  opts.deadlock_grace = std::chrono::milliseconds(2000);
  corio::testing::run_test([input] { return one_input(input); }, opts);
  return 0;
}
