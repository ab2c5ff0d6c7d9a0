#include "test_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace corio::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use = asio::as_tuple(asio::use_awaitable);

std::string compress(const std::string& in, int window_bits) {
  z_stream s{};
  if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&s, static_cast<uLong>(in.size())), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

/// gzip of `mib` MiB of zeros without compressing them all: one MiB compressed after a full flush
/// (so it refers to nothing before it) is repeated, then the final block and the gzip trailer.
std::string gzip_of_zeros(std::size_t mib) {
  const std::string zeros(std::size_t{1} << 20, '\0');
  z_stream s{};
  if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  auto run = [&](const std::string& in, int flush) {
    std::string out(deflateBound(&s, static_cast<uLong>(in.size())) + 64, '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<uInt>(in.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, flush);
    out.resize(out.size() - s.avail_out);
    return out;
  };
  const std::string block = run(zeros, Z_FULL_FLUSH);
  const std::string last = run({}, Z_FINISH);
  deflateEnd(&s);
  std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  for (std::size_t i = 0; i < mib; ++i) gz += block;
  gz += last;
  const uLong one = crc32(0, reinterpret_cast<const Bytef*>(zeros.data()), static_cast<uInt>(zeros.size()));
  uLong crc = one;
  for (std::size_t i = 1; i < mib; ++i) crc = crc32_combine(crc, one, static_cast<z_off_t>(zeros.size()));
  const auto size = static_cast<std::uint32_t>(mib << 20);
  for (int i = 0; i < 4; ++i) gz += static_cast<char>((crc >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) gz += static_cast<char>((size >> (8 * i)) & 0xff);
  return gz;
}

std::string brotli(const std::string& in) {
  std::string out(BrotliEncoderMaxCompressedSize(in.size()) + 64, '\0');
  std::size_t n = out.size();
  if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
                             reinterpret_cast<const std::uint8_t*>(in.data()), &n, reinterpret_cast<std::uint8_t*>(out.data()))) {
    throw std::runtime_error("BrotliEncoderCompress");
  }
  out.resize(n);
  return out;
}

std::string zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error("ZSTD_compress");
  out.resize(n);
  return out;
}

std::string reason_of(unsigned code) {
  switch (code) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string reply(unsigned code, std::string_view body, std::string_view extra = {},
                  std::string_view type = "text/plain") {
  std::string r = "HTTP/1.1 " + std::to_string(code) + " " + reason_of(code) + "\r\n";
  r += "Content-Type: " + std::string(type) + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += extra;
  r += "\r\n";
  r += body;
  return r;
}

}  // namespace

struct http_test_server::impl {
  explicit impl(options o) : opts(std::move(o)), acceptor(ctx) {
    if (opts.tls) {
      tls_ctx.emplace(asio::ssl::context::tls_server);
      tls_ctx->use_certificate_chain(asio::buffer(opts.tls->cert_pem));
      tls_ctx->use_private_key(asio::buffer(opts.tls->key_pem), asio::ssl::context::pem);
    }
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    asio::co_spawn(ctx, accept_loop(), asio::detached);
    thread = std::thread([this] { ctx.run(); });
  }

  ~impl() {
    ctx.stop();
    thread.join();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(use);
      if (ec) co_return;
      {
        std::lock_guard lk(mu);
        ++accepted;
        ++open;
        max_open = std::max(max_open, open);
      }
      if (tls_ctx) {
        asio::co_spawn(ctx, tls_session(std::move(sock)), asio::detached);
      } else {
        asio::co_spawn(ctx, session(tcp::socket(std::move(sock))), asio::detached);
      }
    }
  }

  void closed() {
    std::lock_guard lk(mu);
    --open;
  }

  asio::awaitable<void> tls_session(tcp::socket sock) {
    asio::ssl::stream<tcp::socket> s(std::move(sock), *tls_ctx);
    auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, use);
    if (ec) {
      closed();
      co_return;
    }
    co_await session(std::move(s));
  }

  template <typename Stream>
  asio::awaitable<void> session(Stream stream) {
    beast::flat_buffer buf;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      auto [ec, n] = co_await http::async_read(stream, buf, parser, use);
      if (ec) break;
      auto req = parser.release();
      {
        std::lock_guard lk(mu);
        max_busy = std::max(max_busy, ++busy);
      }
      const bool keep = co_await handle(stream, req);
      {
        std::lock_guard lk(mu);
        --busy;
      }
      if (!keep || !req.keep_alive()) break;
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_send, ignored);
    closed();
  }

  template <typename Stream>
  asio::awaitable<bool> send(Stream& s, std::string_view data) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), use);
    co_return !ec;
  }

  asio::awaitable<void> pause(std::chrono::steady_clock::duration d) {
    asio::steady_timer t(ctx, d);
    co_await t.async_wait(use);
  }

  std::size_t count_key(const std::string& key) {
    std::lock_guard lk(mu);
    return ++per_key[key];
  }

  template <typename Stream>
  void reset(Stream& s) {
    boost::system::error_code ignored;
    auto& sock = beast::get_lowest_layer(s);
    sock.set_option(asio::socket_base::linger(true, 0), ignored);
    sock.close(ignored);
  }

  std::string site_page(std::size_t i) const {
    const auto page = [](std::size_t k) { return k == 0 ? std::string("/site/") : "/site/p" + std::to_string(k) + ".html"; };
    std::string links;
    auto link = [&](const std::string& href) { links += "<li><a href=\"" + href + "\">" + href + "</a></li>\n"; };
    for (std::size_t k : {2 * i + 1, 2 * i + 2}) {
      if (k < opts.site_pages) link(k % 2 ? page(k) : "p" + std::to_string(k) + ".html");  // absolute and relative paths
    }
    link("/site/");
    link("#top");
    if (i + 1 < opts.site_pages) link("http://127.0.0.1:" + std::to_string(port) + page(i + 1) + "#again");
    if (i == 0) {
      link("/site/private/secret.html");
      link("http://example.invalid/external");
      link("mailto:someone@example.com");
      link("javascript:void(0)");
      link("/status/404");
    }
    return "<!DOCTYPE html>\n<html><head><title>Page " + std::to_string(i) +
           "</title></head>\n<body><h1 id=\"top\">Page " + std::to_string(i) + "</h1>\n<ul>\n" + links +
           "</ul></body></html>\n";
  }

  struct bomb_set {
    std::string br, zstd, gzip_in_br;
  };
  /// 16 MiB of zeros brotli'd and zstd'd (a few KiB each), and the gzip bomb inside br.
  const bomb_set& bombs() {
    std::call_once(bombs_once, [this] {
      const std::string zeros(std::size_t{16} << 20, '\0');
      bomb_bodies.br = brotli(zeros);
      bomb_bodies.zstd = zstd(zeros);
      bomb_bodies.gzip_in_br = brotli(bomb());
    });
    return bomb_bodies;
  }

  const std::string& bomb() {
    std::call_once(bomb_once, [this] { bomb_body = gzip_of_zeros(16); });  // ~2 ms
    return bomb_body;
  }

  template <typename Stream>
  asio::awaitable<bool> handle(Stream& s, const http::request<http::string_body>& req) {
    const std::string target(req.target());
    auto parsed = boost::urls::parse_origin_form(target);
    const std::string path = parsed ? std::string(parsed->path()) : target;
    std::map<std::string, std::string> q;
    if (parsed) {
      for (auto p : parsed->params()) q[p.key] = p.value;
    }
    auto qnum = [&](const std::string& k, std::size_t def) {
      return q.count(k) ? static_cast<std::size_t>(std::stoull(q[k])) : def;
    };
    {
      std::lock_guard lk(mu);
      ++hit_count[path];
      all_targets.push_back(target);
      if (req.find(http::field::authorization) != req.end()) ++authorized;
    }

    if (req.method() == http::verb::connect) {  // a tunnel opened, then silence
      co_await send(s, "HTTP/1.1 200 Connection established\r\n\r\n");
      co_await pause(24h);
      co_return false;
    }
    if (req.method() == http::verb::head && path == "/head-with-body") {  // a body HEAD must not have
      co_return co_await send(s, reply(200, "ok\n"));
    }
    if (req.method() == http::verb::head) {  // the head of /ok, without its body
      const std::string r = reply(200, "ok\n");
      co_return co_await send(s, r.substr(0, r.find("\r\n\r\n") + 4));
    }
    if (path == "/ok") co_return co_await send(s, reply(200, "ok\n"));
    if (path.rfind("/bytes/", 0) == 0) {  // N bytes, the same for the same seed, up to 16 MiB
      const auto n = std::min<std::size_t>(std::stoul(path.substr(7)), std::size_t{16} << 20);
      std::uint32_t x = 2463534242u ^ static_cast<std::uint32_t>(std::stoul(q.count("seed") ? q["seed"] : "0"));
      std::string body(n, '\0');
      for (auto& c : body) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>('a' + x % 26);
      }
      co_return co_await send(s, reply(200, body));
    }
    if (path.rfind("/status/", 0) == 0) {
      const unsigned code = static_cast<unsigned>(std::stoul(path.substr(8)));
      co_return co_await send(s, reply(code, "status " + std::to_string(code) + "\n"));
    }
    if (path == "/slow") {
      co_await pause(std::chrono::milliseconds(qnum("ms", 200)));
      co_return co_await send(s, reply(200, "slow ok\n"));
    }
    if (path == "/stall") {
      co_await pause(24h);
      co_return false;
    }
    if (path == "/stall-body") {
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      co_await pause(24h);
      co_return false;
    }
    if (path == "/endless") {
      if (!co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) co_return false;
      const std::string chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
      for (;;) {
        if (!co_await send(s, chunk)) co_return false;
        co_await pause(2ms);
      }
    }
    if (path.rfind("/redirect/", 0) == 0) {
      const int n = std::stoi(path.substr(10));
      if (n <= 0) co_return co_await send(s, reply(200, "redirected\n"));
      co_return co_await send(s, reply(302, "", "Location: " + std::to_string(n - 1) + "\r\n"));
    }
    if (path == "/goto") {
      const unsigned code = static_cast<unsigned>(qnum("code", 302));
      co_return co_await send(s, reply(code, "", "Location: " + q["to"] + "\r\n"));
    }
    if (path == "/loop/a") co_return co_await send(s, reply(302, "", "Location: b\r\n"));
    if (path == "/loop/b") co_return co_await send(s, reply(302, "", "Location: /loop/a\r\n"));
    if (path == "/retry-after" || path == "/flaky") {
      const bool ra = path == "/retry-after";
      const std::size_t n = count_key(path + "?" + q["key"]);
      if (n <= qnum("fails", 1)) {
        const unsigned code = static_cast<unsigned>(qnum("code", ra ? 429 : 500));
        const std::string extra = ra ? "Retry-After: " + q["after"] + "\r\n" : "";
        co_return co_await send(s, reply(code, "try again\n", extra));
      }
      co_return co_await send(s, reply(200, "ok\n"));
    }
    if (path == "/reset") {
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + std::string(1000, 'r'));
      reset(s);
      co_return false;
    }
    if (path == "/close-early") {
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      co_return false;
    }
    if (path == "/truncated-chunked") {
      co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      co_return false;
    }
    if (path == "/no-length") {
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the end\n");
      co_return false;
    }
    if (path == "/gzip") co_return co_await send(s, reply(200, compress(gzip_text(), 16 + MAX_WBITS), "Content-Encoding: gzip\r\n"));
    if (path == "/deflate") co_return co_await send(s, reply(200, compress(gzip_text(), MAX_WBITS), "Content-Encoding: deflate\r\n"));
    if (path == "/deflate-raw") co_return co_await send(s, reply(200, compress(gzip_text(), -MAX_WBITS), "Content-Encoding: deflate\r\n"));
    if (path == "/bad-gzip") co_return co_await send(s, reply(200, "this is not gzip at all", "Content-Encoding: gzip\r\n"));
    if (path == "/unsupported-encoding") co_return co_await send(s, reply(200, "xxxx", "Content-Encoding: compress\r\n"));
    if (path == "/br") co_return co_await send(s, reply(200, brotli(gzip_text()), "Content-Encoding: br\r\n"));
    if (path == "/zstd") co_return co_await send(s, reply(200, zstd(gzip_text()), "Content-Encoding: zstd\r\n"));
    if (path == "/gzip-br") {  // gzip applied first, then br
      co_return co_await send(s, reply(200, brotli(compress(gzip_text(), 16 + MAX_WBITS)), "Content-Encoding: gzip, br\r\n"));
    }
    if (path == "/stacked-fields") {  // the same as two fields
      co_return co_await send(s, reply(200, zstd(compress(gzip_text(), MAX_WBITS)), "Content-Encoding: deflate\r\nContent-Encoding: zstd\r\n"));
    }
    if (path == "/four-codings") {
      co_return co_await send(s, reply(200, "xxxx", "Content-Encoding: gzip, gzip, gzip, gzip\r\n"));
    }
    if (path == "/bad-br") co_return co_await send(s, reply(200, "this is not brotli", "Content-Encoding: br\r\n"));
    if (path == "/br-bomb") co_return co_await send(s, reply(200, bombs().br, "Content-Encoding: br\r\n"));
    if (path == "/zstd-bomb") co_return co_await send(s, reply(200, bombs().zstd, "Content-Encoding: zstd\r\n"));
    if (path == "/gzip-in-br-bomb") co_return co_await send(s, reply(200, bombs().gzip_in_br, "Content-Encoding: gzip, br\r\n"));
    if (path == "/gzip-bomb") co_return co_await send(s, reply(200, bomb(), "Content-Encoding: gzip\r\n"));
    if (path == "/huge") {
      const std::uint64_t total = std::uint64_t{1} << 30;
      if (!co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n")) co_return false;
      const std::string block(64 * 1024, '\0');
      for (std::uint64_t sent = 0; sent < total; sent += block.size()) {
        if (!co_await send(s, block)) co_return false;
      }
      co_return true;
    }
    if (path == "/big-header") {
      co_return co_await send(s, reply(200, "ok\n", "X-Big: " + std::string(qnum("size", 70000), 'h') + "\r\n"));
    }
    if (path == "/big-trailer") {
      co_return co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Big\r\n\r\n2\r\nok\r\n0\r\nX-Big: " +
                                     std::string(qnum("size", 70000), 't') + "\r\n\r\n");
    }
    if (path == "/interim") {
      co_return co_await send(s, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + reply(200, "ok\n"));
    }
    if (path == "/upgrade") {  // switched to another protocol, which then says nothing
      co_await send(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      co_await pause(24h);
      co_return false;
    }
    if (path == "/http10") {  // HTTP/1.0 without keep-alive, and the server keeps the socket open
      co_await send(s, "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
      co_await pause(24h);
      co_return false;
    }
    if (path == "/no-reason") co_return co_await send(s, "HTTP/1.1 200\r\nContent-Length: 3\r\n\r\nok\n");
    if (path == "/garbage") {
      co_await send(s, "this is not an HTTP response\r\n\r\n");
      co_return false;
    }
    if (path == "/headers") {
      std::string body;
      for (const auto& f : req) body += std::string(f.name_string()) + ": " + std::string(f.value()) + "\n";
      co_return co_await send(s, reply(200, body));
    }
    if (path == "/proxied") {  // did a proxy forward this request (it adds Via)?
      const auto via = req.find(http::field::via);
      if (via == req.end()) co_return co_await send(s, reply(400, "no Via header\n"));
      co_return co_await send(s, reply(200, "via " + std::string(via->value()) + "\n"));
    }
    if (path == "/cookie/set") {  // Set-Cookie: name=value[; attrs], then 302 to `to` (or 200)
      std::string extra = "Set-Cookie: " + q["name"] + "=" + q["value"] + (q["attrs"].empty() ? "" : "; " + q["attrs"]) + "\r\n";
      if (q["to"].empty()) co_return co_await send(s, reply(200, "set\n", extra));
      co_return co_await send(s, reply(302, "", extra + "Location: " + q["to"] + "\r\n"));
    }
    if (path == "/cookie/check") {  // 200 if the request's Cookie holds name=value, else 403
      const auto c = req.find(http::field::cookie);
      const std::string have = c == req.end() ? std::string() : std::string(c->value());
      const std::string want = q["name"] + "=" + q["value"];
      bool found = false;
      for (std::size_t i = 0; i <= have.size();) {
        auto e = have.find("; ", i);
        if (e == std::string::npos) e = have.size();
        found = found || have.substr(i, e - i) == want;
        i = e + 2;
      }
      co_return co_await send(s, reply(found ? 200 : 403, "cookie: " + have + "\n"));
    }
    if (path == "/expect-header") {  // 200 if the request has the field(s) asked for, else 400 saying why
      const std::size_t want = qnum("count", 1);
      std::size_t n = 0;
      bool value_seen = false;
      for (const auto& f : req) {
        if (boost::beast::iequals(f.name_string(), q["name"])) {
          ++n;
          value_seen = value_seen || f.value() == q["value"];
        }
      }
      if (n == want && value_seen) co_return co_await send(s, reply(200, "ok\n"));
      co_return co_await send(s, reply(400, std::to_string(n) + " field(s) called " + q["name"] +
                                                (value_seen ? "" : ", none with the value expected") + "\n"));
    }
    if (path == "/echo") co_return co_await send(s, reply(200, std::string(req.method_string()) + " " + req.body()));
    if (path == "/ok-close-silently") {  // keep-alive implied, then closed: a stale pooled connection
      co_await send(s, reply(200, "ok\n"));
      co_return false;
    }
    if (path == "/close") {
      co_await send(s, reply(200, "bye\n", "Connection: close\r\n"));
      co_return false;
    }
    if (path == "/robots.txt" && opts.robots_fault == "stall") {
      co_await pause(24h);
      co_return false;
    }
    if (path == "/robots.txt" && opts.robots_fault == "reset") {
      reset(s);
      co_return false;
    }
    if (path == "/robots.txt") co_return co_await send(s, reply(opts.robots_status, opts.robots_txt));
    if (path == "/site/" || path == "/site/index.html") co_return co_await send(s, reply(200, site_page(0), {}, "text/html; charset=utf-8"));  // gcc12-ok: {} is a string_view
    if (path.rfind("/site/p", 0) == 0) {
      const std::size_t i = std::stoul(path.substr(7));
      if (i > 0 && i < opts.site_pages) co_return co_await send(s, reply(200, site_page(i), {}, "text/html"));  // gcc12-ok: {} is a string_view
    }
    if (path == "/latin1") {  // a title in ISO-8859-1, declared in the header only
      co_return co_await send(s, reply(200, "<title>Caf\xE9</title><a href=\"/ok\">ok</a>", {}, "text/html; charset=ISO-8859-1"));  // gcc12-ok: {} is a string_view
    }
    if (path == "/site/private/secret.html") co_return co_await send(s, reply(200, "<title>secret</title>", {}, "text/html"));  // gcc12-ok: {} is a string_view
    co_return co_await send(s, reply(404, "not found\n"));
  }

  options opts;
  std::uint16_t port = 0;
  std::optional<asio::ssl::context> tls_ctx;
  mutable std::mutex mu;
  std::size_t accepted = 0, open = 0, max_open = 0, authorized = 0, busy = 0, max_busy = 0;
  std::map<std::string, std::size_t> hit_count;
  std::map<std::string, std::size_t> per_key;
  std::vector<std::string> all_targets;
  std::once_flag bomb_once;
  std::string bomb_body;
  std::once_flag bombs_once;
  bomb_set bomb_bodies;
  std::thread thread;
  // Last: destroyed first (after the thread has been joined), while the state above still exists
  // for the coroutine frames it destroys.
  asio::io_context ctx;
  tcp::acceptor acceptor;
};

http_test_server::http_test_server() : http_test_server(options{}) {}
http_test_server::http_test_server(options o) : impl_(std::make_unique<impl>(std::move(o))) {}
http_test_server::~http_test_server() = default;

std::uint16_t http_test_server::port() const { return impl_->port; }

std::string http_test_server::url(std::string_view path) const {
  return std::string(impl_->opts.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) +
         std::string(path);
}

std::size_t http_test_server::connections() const {
  std::lock_guard lk(impl_->mu);
  return impl_->accepted;
}

std::size_t http_test_server::max_open_connections() const {
  std::lock_guard lk(impl_->mu);
  return impl_->max_open;
}

std::size_t http_test_server::max_concurrent_requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->max_busy;
}

std::size_t http_test_server::hits(std::string_view path) const {
  std::lock_guard lk(impl_->mu);
  auto it = impl_->hit_count.find(std::string(path));
  return it == impl_->hit_count.end() ? 0 : it->second;
}

std::size_t http_test_server::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->all_targets.size();
}

std::size_t http_test_server::requests_with_authorization() const {
  std::lock_guard lk(impl_->mu);
  return impl_->authorized;
}

std::vector<std::string> http_test_server::targets() const {
  std::lock_guard lk(impl_->mu);
  return impl_->all_targets;
}

std::string http_test_server::gzip_text() {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += "line " + std::to_string(i) + ": the quick brown fox\n";
  return s;
}

std::vector<std::string> http_test_server::site_paths() const {
  std::vector<std::string> out{"/site/"};
  for (std::size_t i = 1; i < impl_->opts.site_pages; ++i) out.push_back("/site/p" + std::to_string(i) + ".html");
  return out;
}

}  // namespace corio::test
