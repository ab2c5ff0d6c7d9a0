// corio::http through an HTTP proxy: the proxy URL syntax, the no_proxy rule, and requests through
// a real tinyproxy (started here with its own config on a free loopback port): plain HTTP in
// absolute-form, HTTPS through a CONNECT tunnel, a refused tunnel, proxy credentials, redirects
// between proxied and direct origins, and the connect timeout during CONNECT.
// A missing tinyproxy fails these tests with a message saying so (scripts/deps.sh installs it).
#include <corio/http/client.hpp>
#include <corio/http/proxy.hpp>
#include <corio/http/url.hpp>

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace std::chrono_literals;
namespace http = corio::http;
using corio::test::expect_http_error;
using corio::test::http_test_server;

namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot pick a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

std::string find_tinyproxy() {
  if (const char* p = std::getenv("TINYPROXY"); p && *p) return p;
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/bin:/usr/sbin:/usr/local/bin:/usr/local/sbin";
  std::istringstream dirs(path);
  for (std::string d; std::getline(dirs, d, ':');) {
    if (!d.empty() && ::access((d + "/tinyproxy").c_str(), X_OK) == 0) return d + "/tinyproxy";
  }
  throw std::runtime_error("tinyproxy is not installed (scripts/deps.sh installs it; TINYPROXY=path overrides)");
}

/// A tinyproxy on 127.0.0.1 (foreground, -d), its config, log and nothing else in a temporary
/// directory; `config` adds lines (ConnectPort, BasicAuth, ...). Stopped by the destructor.
class tinyproxy {
public:
  explicit tinyproxy(const std::string& config) {
    const std::string exe = find_tinyproxy();
    char tmpl[] = "/tmp/corio-tinyproxy-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    // The port is free when picked; should another process take it meanwhile, tinyproxy exits
    // and another is tried.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      {
        std::ofstream f(dir_ / "tinyproxy.conf");
        f << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\nMaxClients 50\n"
          << "LogLevel Connect\nViaProxyName \"corio-test-proxy\"\n"
          << config;
      }
      const std::string conf = (dir_ / "tinyproxy.conf").string();
      const std::string log = (dir_ / "tinyproxy.log").string();
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      posix_spawn_file_actions_adddup2(&fa, 1, 2);
      posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
      std::vector<std::string> args = {exe, "-d", "-c", conf};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      const int rc = ::posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&fa);
      if (rc != 0) throw std::runtime_error("cannot start " + exe);
      // Wait until it listens (or exits), for at most 10 s.
      for (int i = 0; i < 500; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        if (accepts(port_)) return;
        std::this_thread::sleep_for(20ms);
      }
      stop();
    }
    throw std::runtime_error("tinyproxy did not start; its log:\n" + log());
  }
  ~tinyproxy() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  tinyproxy(const tinyproxy&) = delete;
  tinyproxy& operator=(const tinyproxy&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// "http://[userinfo@]127.0.0.1:<port>"
  [[nodiscard]] std::string url(const std::string& userinfo = {}) const {
    return "http://" + (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(port_);
  }
  [[nodiscard]] std::string log() const {
    std::ifstream f(dir_ / "tinyproxy.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

private:
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

http::client_options proxy_options(const std::string& proxy) {
  http::client_options o;
  o.connect_timeout = 10s;
  o.read_timeout = 10s;
  o.total_timeout = 30s;
  o.proxy = proxy;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_proxy)

// --- the proxy URL --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_proxy_url_gives_host_port_and_basic_credentials) {
  const auto p = http::parse_proxy("http://alice:s%40cret@Proxy.Test:3128/");
  BOOST_TEST(p.host == "proxy.test");
  BOOST_TEST(p.port == 3128);
  BOOST_TEST(p.authorization == http::basic_authorization("alice", "s@cret"));
  BOOST_TEST(p.to_string() == "http://proxy.test:3128");
  const auto v6 = http::parse_proxy("http://[::1]:8080");
  BOOST_TEST(v6.host == "::1");
  BOOST_TEST(v6.to_string() == "http://[::1]:8080");
  BOOST_TEST(v6.authorization.empty());
}

BOOST_AUTO_TEST_CASE(without_scheme_http_is_assumed_and_without_port_1080_as_curl) {
  const auto p = http::parse_proxy("proxy.test:3128");
  BOOST_TEST(p.host == "proxy.test");
  BOOST_TEST(p.port == 3128);
  BOOST_TEST(http::parse_proxy("http://proxy.test").port == 1080);
  BOOST_TEST(http::parse_proxy(" proxy.test ").port == 1080);
}

BOOST_AUTO_TEST_CASE(an_invalid_proxy_url_is_a_bad_url_error_that_hides_the_password) {
  for (const char* bad : {"", "https://proxy.test:443", "socks5://proxy.test:1080", "http://proxy.test:3128/path",
                          "http://proxy.test:3128/?q", "http://proxy.test:99999", "http://proxy.test:0", "http://:3128",
                          "http://pro xy:3128", "http://a:topsecret@proxy.test/x"}) {
    try {
      (void)http::parse_proxy(bad);
      BOOST_ERROR("accepted '" << bad << "'");
    } catch (const http::error& e) {
      BOOST_TEST((e.kind() == http::errc::bad_url), bad);
      BOOST_TEST(std::string(e.what()).find("topsecret") == std::string::npos, e.what());
      BOOST_TEST(e.url().find("topsecret") == std::string::npos, e.url());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_client_with_an_invalid_proxy_is_refused_at_construction) {
  BOOST_CHECK_THROW(http::client(proxy_options("ftp://p.test:21")), http::error);
  auto o = proxy_options("");
  o.https_proxy = "http://p.test:notaport";
  BOOST_CHECK_THROW(http::client{o}, http::error);
}

// --- no_proxy ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(no_proxy_names_match_themselves_and_the_names_under_them) {
  BOOST_TEST(http::bypasses_proxy("example.com", "example.com"));
  BOOST_TEST(http::bypasses_proxy("example.com", "a.example.com"));
  BOOST_TEST(http::bypasses_proxy("example.com", "b.a.EXAMPLE.com"));
  BOOST_TEST(http::bypasses_proxy(".example.com", "example.com"));
  BOOST_TEST(http::bypasses_proxy(".example.com", "a.example.com"));
  BOOST_TEST(http::bypasses_proxy("Example.COM.", "example.com."));
  BOOST_TEST(!http::bypasses_proxy("example.com", "badexample.com"));
  BOOST_TEST(!http::bypasses_proxy("example.com", "example.com.evil.test"));
  BOOST_TEST(!http::bypasses_proxy("a.example.com", "example.com"));
  BOOST_TEST(!http::bypasses_proxy("", "example.com"));
}

BOOST_AUTO_TEST_CASE(no_proxy_is_a_list_with_ports_ignored_and_a_star_for_all) {
  const std::string list = " other.test,, example.com:8080 ,intranet\t10.1.2.3";
  BOOST_TEST(http::bypasses_proxy(list, "example.com"));
  BOOST_TEST(http::bypasses_proxy(list, "www.intranet"));
  BOOST_TEST(http::bypasses_proxy(list, "other.test"));
  BOOST_TEST(http::bypasses_proxy(list, "10.1.2.3"));
  BOOST_TEST(!http::bypasses_proxy(list, "example.org"));
  BOOST_TEST(http::bypasses_proxy("*", "anything.test"));
  BOOST_TEST(http::bypasses_proxy("*", "::1"));
  BOOST_TEST(http::bypasses_proxy("a.test,*", "b.test"));
  BOOST_TEST(!http::bypasses_proxy("*.example.com", "a.example.com"));  // no wildcards but "*" alone
}

BOOST_AUTO_TEST_CASE(no_proxy_ip_literals_match_exactly_and_ranges_by_prefix) {
  BOOST_TEST(http::bypasses_proxy("127.0.0.1", "127.0.0.1"));
  BOOST_TEST(!http::bypasses_proxy("127.0.0.1", "127.0.0.10"));
  BOOST_TEST(!http::bypasses_proxy("0.0.1", "127.0.0.1"));  // not a suffix match for addresses
  BOOST_TEST(http::bypasses_proxy("::1", "[::1]"));
  BOOST_TEST(http::bypasses_proxy("[::1]:8080", "::1"));
  BOOST_TEST(http::bypasses_proxy("0:0::1", "::1"));
  BOOST_TEST(http::bypasses_proxy("10.0.0.0/8", "10.200.3.4"));
  BOOST_TEST(!http::bypasses_proxy("10.0.0.0/8", "11.0.0.1"));
  BOOST_TEST(http::bypasses_proxy("192.168.1.0/24", "192.168.1.77"));
  BOOST_TEST(!http::bypasses_proxy("192.168.1.0/24", "192.168.2.1"));
  BOOST_TEST(http::bypasses_proxy("fd00::/8", "[fd12::1]"));
  BOOST_TEST(!http::bypasses_proxy("fd00::/8", "fe80::1"));
  BOOST_TEST(!http::bypasses_proxy("10.0.0.0/8", "ten.example"));
  BOOST_TEST(!http::bypasses_proxy("10.0.0.0/99", "10.0.0.1"));
}

// --- through a real proxy ------------------------------------------------------------------

CORIO_HTTP_TEST(plain_http_goes_to_the_proxy_in_absolute_form) {
  http_test_server srv;
  tinyproxy proxy("");
  http::client c(proxy_options(proxy.url()));
  auto r = co_await c.get(srv.url("/headers"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("Via: 1.1 corio-test-proxy") != std::string::npos, r.body);
  BOOST_TEST(proxy.log().find("GET " + srv.url("/headers") + " HTTP/1.1") != std::string::npos, proxy.log());
  auto via = co_await c.get(srv.url("/proxied"));
  BOOST_TEST(via.status == 200u, via.body);
}

CORIO_HTTP_TEST(https_goes_through_a_connect_tunnel_verified_for_the_origin) {
  http_test_server::options so;
  so.tls = corio::test::make_self_signed();
  http_test_server srv(so);
  const auto dir = std::filesystem::temp_directory_path() / ("corio-proxy-ca-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  corio::test::write_file((dir / "ca.pem").string(), so.tls->cert_pem);
  tinyproxy proxy("ConnectPort " + std::to_string(srv.port()) + "\n");
  auto o = proxy_options(proxy.url());
  o.ca_file = (dir / "ca.pem").string();  // verified: the certificate is the origin's, for 127.0.0.1
  http::client c(o);
  auto r = co_await c.get(srv.url("/proxied"));
  std::filesystem::remove_all(dir);
  // Inside the tunnel the proxy sees nothing of the request (so it adds no Via).
  BOOST_TEST(r.status == 400u, r.body);
  BOOST_TEST(proxy.log().find("CONNECT 127.0.0.1:" + std::to_string(srv.port()) + " HTTP/1.1") != std::string::npos,
             proxy.log());
  BOOST_TEST(srv.connections() == 1u);
  auto again = co_await c.get(srv.url("/ok"));  // the tunnel is pooled for its origin
  BOOST_TEST(again.status == 200u);
  BOOST_TEST(again.reused_connection);
}

CORIO_HTTP_TEST(a_refused_connect_is_a_proxy_error_naming_the_status) {
  http_test_server::options so;
  so.tls = corio::test::make_self_signed();
  http_test_server srv(so);
  tinyproxy proxy("ConnectPort 443\n");  // not the test server's port: refused with 403
  auto o = proxy_options(proxy.url("user:hidden-pass"));
  o.verify_tls = false;
  o.retry = http::retries(2);  // a refusal is not retried
  http::client c(o);
  auto e = co_await expect_http_error(c.get(srv.url("/ok")));
  BOOST_TEST((e.kind() == http::errc::proxy), e.what());
  BOOST_TEST(e.status() == 403u);
  BOOST_TEST(e.attempts() == 1);
  BOOST_TEST(std::string(e.what()).find("refused the tunnel to 127.0.0.1:" + std::to_string(srv.port()) +
                                        ": HTTP 403") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("hidden-pass") == std::string::npos, e.what());
  BOOST_TEST(http::to_string(e.kind()) == "proxy");
  BOOST_TEST(srv.connections() == 0u);
  // The refused connection was not pooled: the next request asks the proxy again.
  auto e2 = co_await expect_http_error(c.get(srv.url("/ok")));
  BOOST_TEST((e2.kind() == http::errc::proxy));
  BOOST_TEST(c.stats().connections_reused == 0u);
}

CORIO_HTTP_TEST(proxy_credentials_are_sent_as_proxy_authorization) {
  http_test_server tls_srv([] {
    http_test_server::options so;
    so.tls = corio::test::make_self_signed();
    return so;
  }());
  http_test_server srv;
  tinyproxy proxy("BasicAuth alice s3cret\nConnectPort " + std::to_string(tls_srv.port()) + "\n");
  {  // without credentials: the proxy's 407 (a response for http://, an error for a tunnel)
    http::client c(proxy_options(proxy.url()));
    auto r = co_await c.get(srv.url("/ok"));
    BOOST_TEST(r.status == 407u);
    auto o = proxy_options(proxy.url());
    o.verify_tls = false;
    http::client t(o);
    auto e = co_await expect_http_error(t.get(tls_srv.url("/ok")));
    BOOST_TEST((e.kind() == http::errc::proxy));
    // (tinyproxy 1.11 answers a CONNECT without valid credentials with 401, not 407.)
    BOOST_TEST((e.status() == 407u || e.status() == 401u), e.what());
    BOOST_TEST(std::string(e.what()).find("wants credentials") != std::string::npos, e.what());
  }
  {  // wrong ones
    auto o = proxy_options(proxy.url("alice:wrong"));
    o.verify_tls = false;
    http::client t(o);
    auto e = co_await expect_http_error(t.get(tls_srv.url("/ok")));
    BOOST_TEST((e.status() == 407u || e.status() == 401u), e.what());
    BOOST_TEST(std::string(e.what()).find("refused the credentials") != std::string::npos, e.what());
  }
  {  // right ones, for both kinds; the origin never sees them
    auto o = proxy_options(proxy.url("alice:s3cret"));
    o.verify_tls = false;
    http::client c(o);
    auto r = co_await c.get(srv.url("/headers"));
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body.find("Proxy-Authorization") == std::string::npos, r.body);
    BOOST_TEST(srv.requests_with_authorization() == 0u);
    auto t = co_await c.get(tls_srv.url("/headers"));
    BOOST_TEST(t.status == 200u);
    BOOST_TEST(t.body.find("Proxy-Authorization") == std::string::npos, t.body);
  }
}

CORIO_HTTP_TEST(no_proxy_hosts_go_direct_also_after_a_redirect) {
  http_test_server srv;
  tinyproxy proxy("");
  auto o = proxy_options(proxy.url());
  o.connections_per_host = 1;
  o.no_proxy = "localhost";
  // Every name is the loopback server here (with a proxy, the resolver resolves the proxy's host).
  o.resolver = [](std::string, std::uint16_t port) -> corio::awaitable<std::vector<boost::asio::ip::tcp::endpoint>> {
    co_return std::vector<boost::asio::ip::tcp::endpoint>{{boost::asio::ip::make_address("127.0.0.1"), port}};
  };
  http::client c(o);
  const std::string port = std::to_string(srv.port());
  auto direct = co_await c.get("http://localhost:" + port + "/proxied");
  BOOST_TEST(direct.status == 400u, direct.body);  // no Via: not through the proxy
  auto proxied = co_await c.get("http://127.0.0.1:" + port + "/proxied");
  BOOST_TEST(proxied.status == 200u, proxied.body);
  // A redirect to a no_proxy origin leaves the proxy, and one back takes it again.
  auto out = co_await c.get("http://127.0.0.1:" + port + "/goto?to=http://localhost:" + port + "/proxied");
  BOOST_TEST(out.status == 400u, out.body);
  BOOST_TEST(out.redirects == 1);
  auto back = co_await c.get("http://localhost:" + port + "/goto?to=http://127.0.0.1:" + port + "/proxied");
  BOOST_TEST(back.status == 200u, back.body);
}

CORIO_HTTP_TEST(connect_timeout_covers_the_connect_exchange) {
  // A "proxy" that accepts connections (the kernel's backlog) and never answers.
  boost::asio::io_context other;
  boost::asio::ip::tcp::acceptor silent(other, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto o = proxy_options("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  o.connect_timeout = 300ms;
  o.read_timeout = 20s;
  o.verify_tls = false;
  http::client c(o);
  auto e = co_await expect_http_error(c.get("https://origin.test/"));
  BOOST_TEST((e.kind() == http::errc::timeout), e.what());
  BOOST_TEST(std::string(e.what()).find("through the proxy http://127.0.0.1:") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("connect timeout") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_SUITE_END()
