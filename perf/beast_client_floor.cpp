// The floor for corio-scrape's numbers: a minimal hand-written Beast HTTP/1.1 client pool — C
// plain Asio coroutines, each with one keep-alive connection, taking the next URL from a shared
// list, GET, read the whole response, write one JSON line (url, status, bytes). Nothing else: no
// timeouts, no retries, no redirects, no decompression, no per-host limits, no error kinds beyond
// "failed". All URLs must share one http:// origin (as in perf/scrape_compare.sh).
//
//   beast-client-floor URLS_FILE OUT_JSONL CONCURRENCY
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct shared_state {
  std::vector<std::string> urls;
  std::size_t next = 0;
  std::FILE* out = nullptr;
  std::size_t failed = 0;
};

asio::awaitable<void> worker(shared_state& s, tcp::endpoint ep, std::string host) {
  tcp::socket sock(co_await asio::this_coro::executor);
  beast::flat_buffer buf;
  bool connected = false;
  while (s.next < s.urls.size()) {
    const std::string& url = s.urls[s.next++];
    try {
      if (!connected) {
        sock = tcp::socket(co_await asio::this_coro::executor);
        co_await sock.async_connect(ep, asio::use_awaitable);
        sock.set_option(tcp::no_delay(true));
        buf.clear();
        connected = true;
      }
      const auto u = boost::urls::parse_uri(url).value();
      http::request<http::empty_body> req{http::verb::get, std::string_view(u.encoded_target()), 11};
      req.set(http::field::host, host);
      req.set(http::field::user_agent, "beast-client-floor");
      co_await http::async_write(sock, req, asio::use_awaitable);
      http::response<http::string_body> res;
      co_await http::async_read(sock, buf, res, asio::use_awaitable);
      std::fprintf(s.out, "{\"url\": \"%s\", \"status\": %u, \"bytes\": %zu}\n", url.c_str(), res.result_int(),
                   res.body().size());
      if (!res.keep_alive()) {
        sock.close();
        connected = false;
      }
    } catch (const std::exception& e) {
      ++s.failed;
      std::fprintf(s.out, "{\"url\": \"%s\", \"status\": null, \"error\": \"failed\"}\n", url.c_str());
      boost::system::error_code ignored;
      sock.close(ignored);
      connected = false;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: beast-client-floor URLS_FILE OUT_JSONL CONCURRENCY\n";
    return 2;
  }
  int concurrency = 0;
  const std::string_view c_arg(argv[3]);
  if (std::from_chars(c_arg.data(), c_arg.data() + c_arg.size(), concurrency).ptr != c_arg.data() + c_arg.size() ||
      concurrency < 1 || concurrency > 100000) {
    std::cerr << "beast-client-floor: CONCURRENCY must be a whole number from 1 to 100000, got '" << c_arg << "'\n";
    return 2;
  }
  shared_state s;
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "beast-client-floor: cannot read " << argv[1] << "\n";
    return 1;
  }
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) s.urls.push_back(line);
  }
  if (s.urls.empty()) {
    std::cerr << "beast-client-floor: no URLs in " << argv[1] << "\n";
    return 1;
  }
  const auto origin = boost::urls::parse_uri(s.urls.front());
  if (!origin || origin->scheme() != "http") {
    std::cerr << "beast-client-floor: the first URL is not an http:// URL\n";
    return 1;
  }
  s.out = std::fopen(argv[2], "w");
  if (!s.out) {
    std::cerr << "beast-client-floor: cannot write " << argv[2] << "\n";
    return 1;
  }
  asio::io_context ctx(1);
  tcp::resolver resolver(ctx);
  const std::string host(origin->host());
  const std::string port = origin->has_port() ? std::string(origin->port()) : "80";
  boost::system::error_code ec;
  const auto resolved = resolver.resolve(host, port, ec);
  if (ec || resolved.empty()) {
    std::cerr << "beast-client-floor: cannot resolve " << host << ":" << port << ": " << ec.message() << "\n";
    return 1;
  }
  const tcp::endpoint ep = *resolved.begin();
  for (int i = 0; i < concurrency; ++i) asio::co_spawn(ctx, worker(s, ep, host + ":" + port), asio::detached);
  ctx.run();
  std::fclose(s.out);
  std::cerr << "beast-client-floor: " << s.urls.size() << " URLs, " << s.failed << " failed\n";
  return s.failed == 0 ? 0 : 1;
}
