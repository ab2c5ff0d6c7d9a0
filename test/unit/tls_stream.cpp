// test-labels: net
// corio::open_tls / tls_stream against a TLS server run by the test on 127.0.0.1 with a
// certificate made on the spot (CN=localhost, SAN DNS:localhost and IP:127.0.0.1).
#include <corio/tls.hpp>

#include <corio/sleep.hpp>
#include <corio/stream_error.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include "support/real_time.hpp"
#include "tls_identity.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

namespace asio = boost::asio;
using corio::tcp;

namespace {

/// The certificate as a PEM file, removed again at the end of the test.
struct pem_file {
  explicit pem_file(const std::string& pem)
      : path((std::filesystem::temp_directory_path() /
              ("corio-tls-stream-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".pem"))
                 .string()) {
    corio::test::write_file(path, pem);
  }
  ~pem_file() { std::remove(path.c_str()); }
  std::string path;
  static inline int counter = 0;
};

enum class ending { close_notify, abrupt };

/// Serves one TLS connection: echoes each line as "echo: LINE", sends a 100-byte line on "long",
/// ends on "bye" (with close_notify or, for `abrupt`, by closing the socket).
corio::awaitable<void> serve_one(tcp::acceptor& acc, asio::ssl::context& ctx, ending how) {
  auto sock = co_await acc.async_accept(asio::deferred);
  asio::ssl::stream<tcp::socket> s(std::move(sock), ctx);
  auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::deferred));
  if (hec) co_return;  // the client refused the certificate
  std::string in;
  for (;;) {
    auto buffer = asio::dynamic_buffer(in);
    auto [ec, n] = co_await asio::async_read_until(s, buffer, '\n', asio::as_tuple(asio::deferred));
    if (ec) co_return;
    std::string line = in.substr(0, n - 1);
    in.erase(0, n);
    if (line == "bye") break;
    const std::string out = line == "long" ? std::string(100, 'x') + "\n" : "echo: " + line + "\n";
    const auto bytes = asio::buffer(out);
    co_await asio::async_write(s, bytes, asio::deferred);
  }
  if (how == ending::close_notify) {
    (void)co_await s.async_shutdown(asio::as_tuple(asio::deferred));
  }
  boost::system::error_code ignored;
  s.lowest_layer().close(ignored);
}

struct tls_server {
  corio::test::tls_identity id = corio::test::make_self_signed();
  asio::ssl::context ctx{asio::ssl::context::tls_server};
  tcp::acceptor acc;
  pem_file ca{id.cert_pem};

  explicit tls_server(const corio::executor& ex) : acc(ex, {asio::ip::address_v4::loopback(), 0}) {
    ctx.use_certificate_chain(asio::buffer(id.cert_pem));
    ctx.use_private_key(asio::buffer(id.key_pem), asio::ssl::context::pem);
  }
  [[nodiscard]] std::uint16_t port() const { return acc.local_endpoint().port(); }
};

corio::tls_options trusting(const tls_server& srv) {
  corio::tls_options o;
  o.ca_file = srv.ca.path;
  return o;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_stream)

CORIO_TEST_CASE_WITH(a_verified_connection_reads_and_writes_lines, corio::test::real_time()) {
  tls_server srv(co_await asio::this_coro::executor);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve_one(srv.acc, srv.ctx, ending::close_notify));
    // By address: the certificate's IP SAN is checked.
    const auto opts = trusting(srv);
    auto s = co_await corio::open_tls("127.0.0.1", srv.port(), opts);
    co_await s.write("hello\nworld\n");
    BOOST_TEST(co_await s.read_line(100) == "echo: hello\n");
    BOOST_TEST(co_await s.read_until(": ", 100) == "echo: ");
    BOOST_TEST(co_await s.read_exactly(6) == "world\n");
    co_await s.write("bye\n");
    BOOST_TEST((co_await s.read_some()).empty());  // the server's close_notify: a clean end
    BOOST_TEST(!s.truncated());
    co_await s.shutdown();
  });
  // By name: SNI and the DNS SAN.
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve_one(srv.acc, srv.ctx, ending::abrupt));
    auto o = trusting(srv);
    o.server_name = "localhost";
    auto s = co_await corio::open_tls("127.0.0.1", srv.port(), o);
    co_await s.write("bye\n");
    BOOST_TEST((co_await s.read_some()).empty());  // closed without close_notify: an end all the same...
    BOOST_TEST(s.truncated());                      // ...that says so
    s.close();
  });
}

CORIO_TEST_CASE_WITH(verification_is_on_by_default_and_checks_the_name, corio::test::real_time()) {
  tls_server srv(co_await asio::this_coro::executor);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve_one(srv.acc, srv.ctx, ending::abrupt));
    // The system's CAs do not know a certificate made a moment ago.
    auto connecting = corio::open_tls("127.0.0.1", srv.port());
    const auto e = co_await corio::test::expect_error<corio::tls_error>(std::move(connecting), "tls_error");
    BOOST_TEST(contains(e.what(), "certificate verify failed"), e.what());
    BOOST_TEST(contains(e.what(), "127.0.0.1:" + std::to_string(srv.port())), e.what());
    BOOST_TEST(e.port() == srv.port());
  });
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve_one(srv.acc, srv.ctx, ending::abrupt));
    auto o = trusting(srv);
    o.server_name = "other.example";  // a trusted certificate, for another name
    auto connecting = corio::open_tls("127.0.0.1", srv.port(), o);
    const auto e = co_await corio::test::expect_error<corio::tls_error>(std::move(connecting), "tls_error");
    BOOST_TEST(contains(e.what(), "certificate verify failed"), e.what());
  });
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve_one(srv.acc, srv.ctx, ending::close_notify));
    corio::tls_options o;
    o.verify = false;  // explicitly off: anything goes
    auto s = co_await corio::open_tls("127.0.0.1", srv.port(), o);
    co_await s.write("x\nbye\n");
    BOOST_TEST(co_await s.read_line(100) == "echo: x\n");
    co_await s.shutdown();
  });
}

CORIO_TEST_CASE_WITH(a_line_over_the_limit_fails_and_stays_buffered, corio::test::real_time()) {
  tls_server srv(co_await asio::this_coro::executor);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(serve_one(srv.acc, srv.ctx, ending::close_notify));
    const auto opts = trusting(srv);
    auto s = co_await corio::open_tls("127.0.0.1", srv.port(), opts);
    co_await s.write("long\n");
    auto reading = s.read_line(50);
    (void)co_await corio::test::expect_error<corio::limit_overrun_error>(std::move(reading), "limit_overrun_error");
    BOOST_TEST(co_await s.read_exactly(101) == std::string(100, 'x') + "\n");  // nothing was lost
    co_await s.write("bye\n");
    auto last = s.read_line(50);
    const auto end =
        co_await corio::test::expect_error<corio::incomplete_read_error>(std::move(last), "incomplete_read_error");
    BOOST_TEST(end.partial().empty());
    co_await s.shutdown();
  });
}

CORIO_TEST_CASE_WITH(refused_and_silent_servers_give_typed_errors, corio::test::real_time()) {
  auto ex = co_await asio::this_coro::executor;
  std::uint16_t closed_port = 0;
  {
    tcp::acceptor probe(ex, {asio::ip::address_v4::loopback(), 0});
    closed_port = probe.local_endpoint().port();
  }
  auto refused = corio::open_tls("127.0.0.1", closed_port);
  (void)co_await corio::test::expect_error<corio::connection_refused_error>(std::move(refused),
                                                                            "connection_refused_error");
  // A server that accepts and never answers the handshake.
  tcp::acceptor silent(ex, {asio::ip::address_v4::loopback(), 0});
  corio::tls_options o;
  o.handshake_timeout = std::chrono::milliseconds(200);
  auto waiting = corio::open_tls("127.0.0.1", silent.local_endpoint().port(), o);
  const auto e = co_await corio::test::expect_error<corio::connect_timeout_error>(std::move(waiting),
                                                                                 "connect_timeout_error");
  BOOST_TEST(contains(e.what(), "handshake"), e.what());
}

BOOST_AUTO_TEST_SUITE_END()
