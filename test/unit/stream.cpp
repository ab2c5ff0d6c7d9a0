// test-labels: schedules
// Real sockets on 127.0.0.1 and ::1. Tests without a timer run in virtual time under randomized
// schedules; so do those whose only timers are the ones under test while every real connect they
// start either completes or hangs for ever (a "blackhole": a listener whose accept queue is full
// drops further SYNs, so a connect to it neither succeeds nor fails). The others run in real time.
#include <corio/stream.hpp>

#include <corio/cancellation.hpp>
#include <corio/clock.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/testing.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include "support/capture_log.hpp"
#include "support/real_time.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <typeinfo>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using corio::tcp;

namespace {

const auto v4 = asio::ip::address_v4::loopback();
const auto v6 = asio::ip::address_v6::loopback();

/// A connected pair of streams over loopback.
struct pair {
  corio::tcp_stream client;
  corio::tcp_stream server;
};

corio::awaitable<pair> connected_pair(asio::ip::address addr = v4) {
  const auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, tcp::endpoint(addr, 0));
  tcp::socket c(ex);
  co_await c.async_connect(acceptor.local_endpoint(), asio::deferred);
  tcp::socket s = co_await acceptor.async_accept(asio::deferred);
  co_return pair{corio::tcp_stream(std::move(c)), corio::tcp_stream(std::move(s))};
}

/// A listener whose accept queue (backlog 0) is already full: connects to it hang, never refused.
struct blackhole {
  tcp::acceptor acceptor;
  tcp::socket filler;
  [[nodiscard]] tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }
};

corio::awaitable<std::unique_ptr<blackhole>> make_blackhole(asio::ip::address addr) {
  const auto ex = co_await asio::this_coro::executor;
  auto b = std::make_unique<blackhole>(blackhole{tcp::acceptor(ex), tcp::socket(ex)});
  b->acceptor.open(addr.is_v6() ? tcp::v6() : tcp::v4());
  b->acceptor.bind(tcp::endpoint(addr, 0));
  b->acceptor.listen(0);
  co_await b->filler.async_connect(b->endpoint(), asio::deferred);
  co_return b;
}

/// A port on `addr` where nothing listens (any more).
corio::awaitable<std::uint16_t> closed_port(asio::ip::address addr) {
  tcp::acceptor a(co_await asio::this_coro::executor, tcp::endpoint(addr, 0));
  co_return a.local_endpoint().port();
}

template <typename Error>
corio::awaitable<Error> expect(corio::awaitable<std::string> aw) {
  co_return co_await corio::test::expect_error<Error>(std::move(aw), typeid(Error).name());
}

/// A line echo handler.
corio::awaitable<void> echo_lines(corio::tcp_stream s) {
  for (;;) {
    std::string line;
    try {
      line = co_await s.read_line(1024);
    } catch (const corio::incomplete_read_error&) {
      co_return;
    }
    co_await s.write(line);
  }
}

/// One schedule: each run asks the system's resolver (and maybe a DNS server).
corio::testing::options one_real_time_run() {
  auto o = corio::test::real_time();
  o.randomize = false;
  return o;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(stream)

// Buffered reads

CORIO_TEST_CASE(read_line_returns_one_line_at_a_time_keeping_what_follows_buffered) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("one\ntwo\nthr");
  co_await s.write("ee\n");
  BOOST_TEST(co_await c.read_line(100) == "one\n");
  BOOST_TEST(co_await c.read_line(100) == "two\n");
  BOOST_TEST(co_await c.read_line(100) == "three\n");
  BOOST_TEST(c.buffered() == 0u);
}

CORIO_TEST_CASE(read_until_finds_a_delimiter_split_across_two_writes) {
  auto [c, s] = co_await connected_pair(v6);
  auto reader = corio::spawn(co_await asio::this_coro::executor, c.read_until("\r\n", 100));
  co_await s.write("GET /\r");
  co_await corio::testing::wait_all_tasks_blocked();
  co_await s.write("\nHost: x\r\n");
  BOOST_TEST(co_await reader.wait() == "GET /\r\n");
  BOOST_TEST(co_await c.read_until("\r\n", 100) == "Host: x\r\n");
}

CORIO_TEST_CASE(a_line_of_exactly_max_bytes_is_read_one_byte_more_overruns_and_consumes_nothing) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("12345\n123456\n");
  BOOST_TEST(co_await c.read_line(6) == "12345\n");
  const auto e = co_await expect<corio::limit_overrun_error>(c.read_line(6));
  BOOST_TEST(e.max() == 6u);
  BOOST_TEST(contains(e.what(), "limit of 6 bytes"));
  BOOST_TEST(co_await c.read_line(7) == "123456\n");  // still buffered
}

CORIO_TEST_CASE(read_until_without_a_delimiter_stops_at_the_limit_instead_of_buffering_everything) {
  auto [c, s] = co_await connected_pair();
  const std::string flood(1 << 20, 'x');  // 1 MiB, no newline
  auto writer = corio::spawn(co_await asio::this_coro::executor, s.write(flood));
  const auto e = co_await expect<corio::limit_overrun_error>(c.read_line(1000));
  BOOST_TEST(e.buffered() >= 1000u);
  BOOST_TEST(c.buffered() < 1000u + 4096u);  // the limit plus at most one read
  BOOST_TEST(co_await c.read_exactly(1000) == std::string(1000, 'x'));
  c.close();
  s.close();
  try {
    co_await writer.wait();
  } catch (const boost::system::system_error&) {  // the reader went away: expected
  }
}

CORIO_TEST_CASE(read_line_at_end_of_stream_throws_incomplete_read_with_the_partial_line) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("abc");
  s.shutdown_write();
  const auto e = co_await expect<corio::incomplete_read_error>(c.read_line(100));
  BOOST_TEST(e.partial() == "abc");
  BOOST_TEST(e.expected() == 0u);
  BOOST_TEST(co_await c.read_some() == "");  // consumed; end of stream again
}

CORIO_TEST_CASE(read_line_at_a_clean_end_of_stream_throws_incomplete_read_with_nothing_partial) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("last\n");
  s.close();
  BOOST_TEST(co_await c.read_line(100) == "last\n");
  const auto e = co_await expect<corio::incomplete_read_error>(c.read_line(100));
  BOOST_TEST(e.partial().empty());
}

CORIO_TEST_CASE(read_until_an_empty_delimiter_is_an_invalid_argument) {
  auto [c, s] = co_await connected_pair();
  co_await expect<std::invalid_argument>(c.read_until("", 100));
}

CORIO_TEST_CASE(read_exactly_gathers_partial_writes_and_keeps_the_excess) {
  auto [c, s] = co_await connected_pair();
  auto reader = corio::spawn(co_await asio::this_coro::executor, c.read_exactly(6));
  for (const char* piece : {"ab", "cd", "efgh"}) {
    co_await s.write(piece);
    co_await corio::testing::wait_all_tasks_blocked();
  }
  BOOST_TEST(co_await reader.wait() == "abcdef");
  BOOST_TEST(co_await c.read_exactly(2) == "gh");
}

CORIO_TEST_CASE(read_exactly_at_end_of_stream_throws_incomplete_read_carrying_what_came) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("1234");
  s.close();
  const auto e = co_await expect<corio::incomplete_read_error>(c.read_exactly(10));
  BOOST_TEST(e.partial() == "1234");
  BOOST_TEST(e.expected() == 10u);
  BOOST_TEST(contains(e.what(), "after 4 bytes of 10 expected"));
}

CORIO_TEST_CASE(read_some_returns_buffered_bytes_first_at_most_max_then_empty_at_end_of_stream) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("hello\nworld");
  s.shutdown_write();
  BOOST_TEST(co_await c.read_line(100) == "hello\n");
  BOOST_TEST(co_await c.read_some(3) == "wor");
  BOOST_TEST(co_await c.read_some() == "ld");
  BOOST_TEST(co_await c.read_some() == "");
}

CORIO_TEST_CASE(shutdown_write_is_end_of_stream_for_the_peer_which_can_still_answer) {
  auto [c, s] = co_await connected_pair(v6);
  co_await c.write("ping");
  c.shutdown_write();
  std::string got;
  for (std::string part; !(part = co_await s.read_some()).empty();) got += part;
  BOOST_TEST(got == "ping");
  co_await s.write("pong");
  s.close();
  BOOST_TEST(co_await c.read_exactly(4) == "pong");
  BOOST_TEST(co_await c.read_some() == "");
}

// Cancellation

CORIO_TEST_CASE(a_cancelled_read_is_woken_and_loses_no_data) {
  auto [c, s] = co_await connected_pair();
  co_await s.write("par");
  auto reader = corio::spawn(co_await asio::this_coro::executor, c.read_line(100));
  co_await corio::testing::wait_all_tasks_blocked();
  reader.cancel();
  try {
    co_await reader.wait();
    BOOST_FAIL("the read should have been cancelled");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(corio::is_cancellation(e));
  }
  co_await s.write("tial\n");
  BOOST_TEST(co_await c.read_line(100) == "partial\n");
}

CORIO_TEST_CASE(a_cancelled_connect_is_woken) {
  auto hole = co_await make_blackhole(v4);
  std::vector<tcp::endpoint> eps{hole->endpoint()};
  auto t = corio::spawn(co_await asio::this_coro::executor, [&]() -> corio::awaitable<void> {
    co_await corio::open_tcp(eps);
  });
  co_await corio::testing::wait_all_tasks_blocked();
  t.cancel();
  try {
    co_await t.wait();
    BOOST_FAIL("the connect should have been cancelled");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(corio::is_cancellation(e));
  }
}

// open_tcp errors

CORIO_TEST_CASE_WITH(a_refused_port_throws_connection_refused_naming_host_and_port, corio::test::real_time()) {
  const auto port = co_await closed_port(v4);
  try {
    co_await corio::open_tcp("127.0.0.1", port);
    BOOST_FAIL("connect should have failed");
  } catch (const corio::connection_refused_error& e) {
    BOOST_TEST(contains(e.what(), "127.0.0.1:" + std::to_string(port)), e.what());
    BOOST_TEST(e.port() == port);
    BOOST_TEST((e.code() == asio::error::connection_refused));
  }
}

CORIO_TEST_CASE_WITH(a_host_under_the_invalid_tld_throws_resolve_error_naming_it, one_real_time_run()) {
  try {
    co_await corio::open_tcp("no-such-host.invalid", 80);
    BOOST_FAIL("resolution should have failed");
  } catch (const corio::resolve_error& e) {
    BOOST_TEST(contains(e.what(), "no-such-host.invalid:80"), e.what());
    BOOST_TEST(e.host() == "no-such-host.invalid");
  }
}

CORIO_TEST_CASE(an_unanswered_connect_throws_connect_timeout_at_the_timeout) {
  auto hole = co_await make_blackhole(v4);
  corio::connect_options o;
  o.timeout = 3s;
  const auto t0 = corio::clock::now();
  try {
    co_await corio::open_tcp("127.0.0.1", hole->endpoint().port(), o);
    BOOST_FAIL("connect should have timed out");
  } catch (const corio::connect_timeout_error& e) {
    BOOST_TEST(contains(e.what(), "127.0.0.1:" + std::to_string(hole->endpoint().port()) + " timed out after 3000 ms"),
               e.what());
  }
  BOOST_TEST((corio::clock::now() - t0 == 3s));  // virtual time
}

// Happy Eyeballs

BOOST_AUTO_TEST_CASE(addresses_are_interleaved_by_family_starting_with_the_first) {
  const tcp::endpoint a6(asio::ip::make_address("2001:db8::1"), 1), b6(asio::ip::make_address("2001:db8::2"), 1),
      c6(asio::ip::make_address("2001:db8::3"), 1), a4(asio::ip::make_address("192.0.2.1"), 1),
      b4(asio::ip::make_address("192.0.2.2"), 1);
  using v = std::vector<tcp::endpoint>;
  BOOST_TEST((corio::happy_eyeballs_order(v{a6, b6, c6, a4, b4}) == v{a6, a4, b6, b4, c6}));
  BOOST_TEST((corio::happy_eyeballs_order(v{a4, b4, a6}) == v{a4, a6, b4}));
  BOOST_TEST((corio::happy_eyeballs_order(v{a4, b4}) == v{a4, b4}));
  BOOST_TEST(corio::happy_eyeballs_order(v{}).empty());
}

// ::1 hangs; 127.0.0.1 answers: the second attempt starts after exactly the delay and wins, and
// the hanging attempt is cancelled (else the test would never end).
CORIO_TEST_CASE(a_hanging_first_address_starts_the_next_attempt_after_the_delay) {
  auto hole = co_await make_blackhole(v6);
  tcp::acceptor good(co_await asio::this_coro::executor, tcp::endpoint(v4, 0));
  std::vector<tcp::endpoint> eps{hole->endpoint(), good.local_endpoint()};
  corio::connect_options o;
  o.happy_eyeballs_delay = 100ms;
  const auto t0 = corio::clock::now();
  auto s = co_await corio::open_tcp(eps, o);
  BOOST_TEST((corio::clock::now() - t0 == 100ms));  // virtual time
  BOOST_TEST((s.remote_endpoint() == good.local_endpoint()));
}

CORIO_TEST_CASE(with_two_hanging_addresses_the_third_starts_after_two_default_delays) {
  auto hole6 = co_await make_blackhole(v6);
  auto hole4 = co_await make_blackhole(v4);
  tcp::acceptor good(co_await asio::this_coro::executor, tcp::endpoint(v6, 0));
  std::vector<tcp::endpoint> eps{hole6->endpoint(), hole4->endpoint(), good.local_endpoint()};
  const auto t0 = corio::clock::now();
  auto s = co_await corio::open_tcp(eps);
  BOOST_TEST((corio::clock::now() - t0 == 500ms));  // twice the default delay, 250 ms
  BOOST_TEST((s.remote_endpoint() == good.local_endpoint()));
}

// ::1 refuses: the next attempt starts at once, not after the (long) delay.
CORIO_TEST_CASE_WITH(a_refused_first_address_starts_the_next_attempt_at_once, corio::test::real_time()) {
  const auto refused = co_await closed_port(v6);
  tcp::acceptor good(co_await asio::this_coro::executor, tcp::endpoint(v4, 0));
  std::vector<tcp::endpoint> eps{tcp::endpoint(v6, refused), good.local_endpoint()};
  corio::connect_options o;
  o.happy_eyeballs_delay = 60s;
  const auto t0 = std::chrono::steady_clock::now();
  auto s = co_await corio::open_tcp(eps, o);
  BOOST_TEST(corio::test::ms_since(t0) < 20000);  // far below the delay
  BOOST_TEST((s.remote_endpoint() == good.local_endpoint()));
}

CORIO_TEST_CASE_WITH(every_address_refusing_throws_connection_refused_listing_them, corio::test::real_time()) {
  const auto port6 = co_await closed_port(v6);
  const auto port4 = co_await closed_port(v4);
  std::vector<tcp::endpoint> eps{tcp::endpoint(v6, port6), tcp::endpoint(v4, port4)};
  try {
    co_await corio::open_tcp(eps);
    BOOST_FAIL("connect should have failed");
  } catch (const corio::connection_refused_error& e) {
    BOOST_TEST(contains(e.what(), "[::1]:" + std::to_string(eps[0].port())), e.what());
    BOOST_TEST(contains(e.what(), "127.0.0.1:" + std::to_string(eps[1].port())), e.what());
  }
}

// localhost resolves to 127.0.0.1, maybe ::1 too (refused here, so the next attempt starts at once).
CORIO_TEST_CASE_WITH(open_tcp_resolves_localhost_and_connects, one_real_time_run()) {
  tcp::acceptor good(co_await asio::this_coro::executor, tcp::endpoint(v4, 0));
  auto s = co_await corio::open_tcp("localhost", good.local_endpoint().port());
  BOOST_TEST((s.remote_endpoint() == good.local_endpoint()));
}

CORIO_TEST_CASE(open_tcp_connects_to_an_ipv6_literal) {
  tcp::acceptor good(co_await asio::this_coro::executor, tcp::endpoint(v6, 0));
  auto s = co_await corio::open_tcp("::1", good.local_endpoint().port());
  BOOST_TEST((s.remote_endpoint() == good.local_endpoint()));
}

// serve_tcp

CORIO_TEST_CASE(serve_tcp_tells_its_port_through_start_and_serves_each_connection) {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    const tcp::endpoint ep = co_await g.start<tcp::endpoint>([](corio::start_handle<tcp::endpoint> started) {
      return corio::serve_tcp(tcp::endpoint(v4, 0), echo_lines, {}, std::move(started));
    });
    BOOST_TEST(ep.port() != 0);
    auto a = co_await corio::open_tcp("127.0.0.1", ep.port());
    auto b = co_await corio::open_tcp("127.0.0.1", ep.port());
    co_await a.write("from a\n");
    co_await b.write("from b\n");
    BOOST_TEST(co_await b.read_line(100) == "from b\n");
    BOOST_TEST(co_await a.read_line(100) == "from a\n");
    g.cancel();
  });
}

CORIO_TEST_CASE(serve_tcp_on_a_port_in_use_fails_the_start_caller_not_the_group) {
  tcp::acceptor taken(co_await asio::this_coro::executor, tcp::endpoint(v4, 0));
  const tcp::endpoint ep = taken.local_endpoint();
  corio::serve_options o;
  o.reuse_address = false;
  bool failed = false;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    try {
      co_await g.start<tcp::endpoint>([&](corio::start_handle<tcp::endpoint> started) {
        return corio::serve_tcp(ep, echo_lines, o, std::move(started));
      });
    } catch (const boost::system::system_error& e) {
      failed = e.code() == asio::error::address_in_use;
    }
  });
  BOOST_TEST(failed);
}

CORIO_TEST_CASE(max_connections_holds_the_next_connection_until_one_ends) {
  std::vector<std::string> events;
  int running = 0, peak = 0;
  auto handler = [&](corio::tcp_stream s) -> corio::awaitable<void> {
    peak = std::max(peak, ++running);
    const auto line = co_await s.read_line(100);
    events.push_back("start " + line.substr(0, 1));
    co_await s.write(line);
    co_await s.read_some();  // until the client closes
    events.push_back("end " + line.substr(0, 1));
    --running;
  };
  corio::serve_options o;
  o.max_connections = 1;
  corio::tcp_listener l(co_await asio::this_coro::executor, tcp::endpoint(v4, 0), o);
  auto server = corio::spawn(co_await asio::this_coro::executor, l.serve(handler));
  auto a = co_await corio::open_tcp("127.0.0.1", l.local_endpoint().port());
  auto b = co_await corio::open_tcp("127.0.0.1", l.local_endpoint().port());  // the backlog takes it
  co_await b.write("b\n");
  co_await a.write("a\n");
  BOOST_TEST(co_await a.read_line(100) == "a\n");
  a.close();
  BOOST_TEST(co_await b.read_line(100) == "b\n");  // served once a's handler ended
  b.close();
  while (events.size() < 4) co_await corio::testing::wait_all_tasks_blocked();
  BOOST_TEST((events == std::vector<std::string>{"start a", "end a", "start b", "end b"}));
  BOOST_TEST(peak == 1);
  server.cancel();
  BOOST_CHECK_THROW(co_await server.wait(), boost::system::system_error);
}

CORIO_TEST_CASE(cancelling_serve_tcp_cancels_its_handlers_and_returns_after_they_ended) {
  int cleaned_up = 0;
  int started = 0;
  struct cleanup {
    int& n;
    ~cleanup() { ++n; }
  };
  auto handler = [&](corio::tcp_stream s) -> corio::awaitable<void> {
    cleanup c{cleaned_up};
    ++started;
    co_await s.read_line(100);  // the clients send nothing
  };
  corio::tcp_listener l(co_await asio::this_coro::executor, tcp::endpoint(v6, 0));
  const auto port = l.local_endpoint().port();
  auto server = corio::spawn(co_await asio::this_coro::executor, l.serve(handler));
  auto a = co_await corio::open_tcp("::1", port);
  auto b = co_await corio::open_tcp("::1", port);
  while (started < 2) co_await corio::testing::wait_all_tasks_blocked();
  server.cancel();
  try {
    co_await server.wait();
    BOOST_FAIL("serve should end with the cancellation");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST(corio::is_cancellation(e));
  }
  BOOST_TEST(cleaned_up == 2);  // both handlers had ended when serve returned
  BOOST_TEST(co_await a.read_some() == "");  // their streams were closed
  BOOST_TEST(co_await b.read_some() == "");
}

CORIO_TEST_CASE(a_failing_handler_ends_only_its_connection_and_is_logged) {
  corio::test::capture_log log;
  auto handler = [](corio::tcp_stream s) -> corio::awaitable<void> {
    for (;;) {
      const auto line = co_await s.read_line(100);
      if (line == "boom\n") throw std::runtime_error("handler exploded");
      co_await s.write(line);
    }
  };
  corio::tcp_listener l(co_await asio::this_coro::executor, tcp::endpoint(v4, 0));
  auto server = corio::spawn(co_await asio::this_coro::executor, l.serve(handler));
  auto a = co_await corio::open_tcp("127.0.0.1", l.local_endpoint().port());
  auto b = co_await corio::open_tcp("127.0.0.1", l.local_endpoint().port());
  co_await a.write("boom\n");
  BOOST_TEST(co_await a.read_some() == "");  // a's connection closed
  co_await b.write("still here\n");
  BOOST_TEST(co_await b.read_line(100) == "still here\n");
  bool logged = false;
  for (const auto& line : log.lines()) logged = logged || contains(line, "handler exploded");
  BOOST_TEST(logged);
  BOOST_TEST(!server.done());
  server.cancel();
  BOOST_CHECK_THROW(co_await server.wait(), boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
