// test-labels: http
#include <corio/http/client.hpp>

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

using namespace std::chrono_literals;
namespace http = corio::http;
using corio::test::expect_http_error;
using corio::test::http_test_server;

namespace {

http_test_server::options tls_server(const corio::test::tls_identity& id) {
  http_test_server::options o;
  o.tls = id;
  return o;
}

/// The certificate as a PEM file, removed again at the end of the test.
struct ca_file {
  explicit ca_file(const std::string& pem)
      : path((std::filesystem::temp_directory_path() /
              ("corio-test-ca-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".pem"))
                 .string()) {
    corio::test::write_file(path, pem);
  }
  ~ca_file() { std::remove(path.c_str()); }
  std::string path;
  static inline int counter = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client_tls)

CORIO_HTTP_TEST(an_untrusted_self_signed_certificate_fails_verification_clearly) {
  const auto id = corio::test::make_self_signed();
  http_test_server srv(tls_server(id));
  http::client c;
  auto e = co_await expect_http_error(c.get(srv.url("/ok")));
  BOOST_TEST((e.kind() == http::errc::tls));
  BOOST_TEST(e.message().find("certificate verification failed: self-signed certificate") != std::string::npos,
             e.message());
  BOOST_TEST(srv.requests() == 0u);
}

CORIO_HTTP_TEST(with_verification_off_a_self_signed_certificate_is_accepted) {
  const auto id = corio::test::make_self_signed();
  http_test_server srv(tls_server(id));
  http::client_options o;
  o.verify_tls = false;
  http::client c(o);
  auto r = co_await c.get(srv.url("/ok"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "ok\n");
}

CORIO_HTTP_TEST(a_certificate_trusted_through_ca_file_verifies_for_ip_and_host_name) {
  const auto id = corio::test::make_self_signed();
  http_test_server srv(tls_server(id));
  ca_file ca(id.cert_pem);
  http::client_options o;
  o.ca_file = ca.path;
  http::client c(o);
  BOOST_TEST((co_await c.get(srv.url("/ok"))).status == 200u);
  BOOST_TEST((co_await c.get("https://localhost:" + std::to_string(srv.port()) + "/ok")).status == 200u);
}

CORIO_HTTP_TEST(a_trusted_certificate_for_another_name_fails_verification) {
  const auto id = corio::test::make_self_signed();
  http_test_server srv(tls_server(id));
  ca_file ca(id.cert_pem);
  http::client_options o;
  o.ca_file = ca.path;
  // The name resolves to 127.0.0.1, but the certificate names only localhost and 127.0.0.1.
  o.resolver = [](std::string, std::uint16_t port) -> corio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> {
    co_return std::vector<boost::asio::ip::tcp::endpoint>{{boost::asio::ip::make_address("127.0.0.1"), port}};
  };
  http::client c(o);
  auto e = co_await expect_http_error(c.get("https://wrong-name.test:" + std::to_string(srv.port()) + "/ok"));
  BOOST_TEST((e.kind() == http::errc::tls));
  BOOST_TEST(e.message().find("certificate verification failed") != std::string::npos, e.message());
}

CORIO_HTTP_TEST(tls_connections_are_kept_alive_and_reused) {
  const auto id = corio::test::make_self_signed();
  http_test_server srv(tls_server(id));
  http::client_options o;
  o.verify_tls = false;
  http::client c(o);
  for (int i = 0; i < 5; ++i) BOOST_TEST((co_await c.get(srv.url("/gzip"))).body == http_test_server::gzip_text());
  BOOST_TEST(srv.connections() == 1u);
}

CORIO_HTTP_TEST(plain_http_to_a_tls_port_is_an_error_not_a_hang) {
  const auto id = corio::test::make_self_signed();
  http_test_server srv(tls_server(id));
  http::client_options o;
  o.read_timeout = 5s;
  http::client c(o);
  auto e = co_await expect_http_error(c.get("http://127.0.0.1:" + std::to_string(srv.port()) + "/ok"));
  BOOST_TEST((e.kind() == http::errc::protocol || e.kind() == http::errc::connection), e.what());
}

BOOST_AUTO_TEST_SUITE_END()
