// Fuzz target 2: bytes from a fake peer → corio::http::client's response handling (status line,
// header fields, Content-Length / chunked / until-close bodies, trailers, gzip and deflate,
// redirects, keep-alive). A fake server on 127.0.0.1 answers every connection with the input,
// then closes; the client GETs a URL whose host every lookup resolves to that server (so
// redirects anywhere come back to it). Runs in virtual time: timeouts cost no real time. One
// corio::testing::test_loop and one listening socket serve every input; the client is made per
// input (nothing pooled is carried from one input to the next).
//
// Checked, besides "no crash, no sanitizer report, no hang": the client either returns a response
// or throws corio::http::error — any other exception escapes and is reported as a crash — and a
// response it returns respects the body limit.
#include <corio/http/client.hpp>
#include <corio/http/error.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include "fuzz_loop.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto as_tuple = asio::as_tuple(asio::deferred);
constexpr std::size_t max_body = 256 * 1024;

/// Reads the request head (bounded), sends `reply`, closes its side and waits for the client's.
corio::awaitable<void> answer(tcp::socket sock, std::string_view reply) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple);
    if (ec) co_return;
    head.append(buf, n);
  }
  auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(reply.data(), reply.size()), as_tuple);
  (void)wn;
  boost::system::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_send, ignored);
  if (wec) co_return;
  for (;;) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple);
    if (ec) co_return;
  }
}

corio::awaitable<void> serve(corio::task_group& g, tcp::acceptor& acc, std::string_view reply) {
  for (;;) {
    auto [ec, sock] = co_await acc.async_accept(as_tuple);
    if (ec) co_return;
    g.spawn(answer(std::move(sock), reply), "answer");
  }
}

corio::awaitable<void> fetch(const tcp::endpoint& ep) {
  corio::http::client_options o;
  o.connect_timeout = 2s;
  o.read_timeout = 2s;
  o.total_timeout = 10s;
  o.max_body_bytes = max_body;
  o.max_redirects = 3;
  o.resolver = [ep](std::string, std::uint16_t) -> corio::awaitable<std::vector<tcp::endpoint>> {
    co_return std::vector<tcp::endpoint>{ep};
  };
  corio::http::client c(o);
  try {
    const auto r = co_await c.get("http://fuzz.test/page");
    if (r.body.size() > max_body) {
      std::fprintf(stderr, "body of %zu bytes beyond the limit\n", r.body.size());
      std::abort();
    }
  } catch (const corio::http::error&) {
  }
}

/// What every input reuses, built once and never destroyed (the listener holds the loop's
/// executor). The listener is made inside the first run, on the loop's executor. (A listener per
/// input used a new port each time; the connections it closed first keep their port in TIME_WAIT
/// for a minute, and at ~800 inputs/s binding port 0 ran out of ports: "Address already in use".)
struct world {
  corio::testing::test_loop loop{corio::fuzz::loop_options()};
  std::optional<tcp::acceptor> listener;
};

world& the_world() {
  static world* const w = new world;
  return *w;
}

corio::awaitable<void> one_input(std::optional<tcp::acceptor>& listener, std::string_view reply) {
  if (!listener) {
    listener.emplace(co_await asio::this_coro::executor, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  }
  tcp::acceptor& acc = *listener;
  const auto ep = acc.local_endpoint();
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve(g, acc, reply), "peer");
    co_await fetch(ep);
    g.cancel();  // ends the accept (the listener stays open for the next input)
  };
  co_await corio::task_group::run(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view reply(reinterpret_cast<const char*>(data), size);
  world& w = the_world();
  w.loop.run([&w, reply] { return one_input(w.listener, reply); });
  return 0;
}
