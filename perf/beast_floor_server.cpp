// The floor for corio-serve's numbers: a minimal hand-written Beast HTTP/1.1 server with the same
// two TechEmpower endpoints (/plaintext, /json) and the same response headers, and nothing else —
// no limits, no timeouts, no task tracking, no stats. Plain Asio coroutines, one io_context per
// thread, one SO_REUSEPORT listener per thread (corio-serve's default layout).
//
//   beast-floor-server [--port N] [--threads N]      prints "listening on 127.0.0.1:PORT"
//
// perf/serve_compare.sh runs wrk against it, corio-serve and an aiohttp server in one go.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string_view date_now() {
  thread_local std::time_t at = -1;
  thread_local char buf[64];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    at = now;
  }
  return {buf, len};
}

asio::awaitable<void> session(tcp::socket sock) {
  beast::flat_buffer buf;
  try {
    for (;;) {
      http::request<http::string_body> req;
      co_await http::async_read(sock, buf, req, asio::use_awaitable);
      http::response<http::string_body> res(http::status::ok, req.version());
      res.set(http::field::server, "beast-floor");
      res.set(http::field::date, date_now());
      if (req.target() == "/plaintext") {
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = "Hello, World!";
      } else if (req.target() == "/json") {
        res.set(http::field::content_type, "application/json");
        res.body() = R"({"message":"Hello, World!"})";
      } else {
        res.result(http::status::not_found);
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(sock, res, asio::use_awaitable);
      if (!res.keep_alive()) break;
    }
  } catch (const std::exception&) {
    // the client went away
  }
  boost::system::error_code ec;
  sock.shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> listen(tcp::acceptor acc) {
  for (;;) {
    tcp::socket sock = co_await acc.async_accept(asio::use_awaitable);
    sock.set_option(tcp::no_delay(true));
    asio::co_spawn(acc.get_executor(), session(std::move(sock)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 8081;
  unsigned threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--threads") == 0) threads = static_cast<unsigned>(std::stoi(argv[i + 1]));
  }
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  for (unsigned t = 0; t < threads; ++t) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    tcp::acceptor acc(*contexts.back());
    acc.open(ep.protocol());
    acc.set_option(tcp::acceptor::reuse_address(true));
    acc.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acc.bind(ep);
    acc.listen(asio::socket_base::max_listen_connections);
    ep = acc.local_endpoint();
    asio::co_spawn(*contexts.back(), listen(std::move(acc)), asio::detached);
  }
  std::cout << "listening on " << ep << std::endl;
  asio::signal_set stop(*contexts.front(), SIGINT, SIGTERM);
  stop.async_wait([&](auto, int) {
    for (auto& c : contexts) c->stop();
  });
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&, t] { contexts[t]->run(); });
  contexts.front()->run();
  for (auto& th : pool) th.join();
}
