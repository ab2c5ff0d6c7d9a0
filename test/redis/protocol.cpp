// RESP parsing: the parser on its own (incremental input, limits, malformed bytes), and the client
// against a fault server — a TCP listener in the test that answers garbage — which must end the
// calls in flight with errc::protocol and close the connection, never crash or hang.
#include "redis/redis_server.hpp"

#include <corio/redis/client.hpp>
#include <corio/redis/resp.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace redis = corio::redis;
using tcp = asio::ip::tcp;
using corio::test::expect_redis_error;

namespace {

/// Parses `bytes` whole; throws on a protocol error; checks nothing is left over.
std::vector<redis::reply> parse_all(std::string_view bytes, redis::parser_limits limits = {}) {
  redis::resp_parser p(limits);
  std::vector<redis::reply> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::optional<redis::reply> r;
    const std::size_t used = p.parse(bytes.substr(pos), r);
    pos += used;
    if (!r) break;
    out.push_back(std::move(*r));
  }
  BOOST_TEST(pos == bytes.size());
  BOOST_TEST(p.idle());
  return out;
}

/// The same bytes given one at a time (a partial line is given again with one byte more).
std::vector<redis::reply> parse_bytewise(std::string_view bytes) {
  redis::resp_parser p;
  std::vector<redis::reply> out;
  std::string pending;
  for (const char c : bytes) {
    pending += c;
    for (;;) {
      std::optional<redis::reply> r;
      const std::size_t used = p.parse(pending, r);
      pending.erase(0, used);
      if (!r) break;
      out.push_back(std::move(*r));
    }
  }
  BOOST_TEST(pending.empty());
  return out;
}

redis::errc parse_error(std::string_view bytes, redis::parser_limits limits = {}) {
  try {
    (void)parse_all(bytes, limits);
  } catch (const redis::error& e) {
    return e.kind();
  }
  return redis::errc{};
}

constexpr auto as_tuple = asio::as_tuple(asio::deferred);

/// A fault server: for each connection, reads something, then sends the next of `answers` (the
/// last one for every later connection) and keeps the connection open until the client closes it.
class fault_server {
public:
  fault_server(const corio::executor& ex, std::vector<std::string> answers)
      : acceptor_(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), answers_(std::move(answers)) {}

  [[nodiscard]] std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  [[nodiscard]] int connections() const noexcept { return connections_; }

  corio::awaitable<void> serve(corio::task_group& g) {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(as_tuple);
      if (ec) co_return;
      const std::string& answer = answers_[std::min<std::size_t>(static_cast<std::size_t>(connections_), answers_.size() - 1)];
      ++connections_;
      g.spawn(answer_one(std::move(sock), answer));
    }
  }

private:
  static corio::awaitable<void> answer_one(tcp::socket sock, std::string answer) {
    char buf[4096];
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple);
    (void)n;
    if (ec) co_return;
    auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(answer), as_tuple);
    (void)wn;
    if (wec) co_return;
    for (;;) {
      auto [rec, rn] = co_await sock.async_read_some(asio::buffer(buf), as_tuple);
      (void)rn;
      if (rec) co_return;
    }
  }

  tcp::acceptor acceptor_;
  std::vector<std::string> answers_;
  int connections_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol)

BOOST_AUTO_TEST_CASE(every_resp2_type_parses_whole_or_byte_by_byte) {
  const std::string bytes =
      "+OK\r\n-ERR bad thing\r\n:-42\r\n:9223372036854775807\r\n:-9223372036854775808\r\n$5\r\nhe\r\no\r\n"
      "$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n*1\r\n*0\r\n+after\r\n";
  const auto whole = parse_all(bytes);
  BOOST_REQUIRE(whole.size() == 12u);
  BOOST_TEST(whole[0] == redis::reply::simple_string("OK"));
  BOOST_TEST(whole[1] == redis::reply::error("ERR bad thing"));
  BOOST_TEST(whole[2].as_integer() == -42);
  BOOST_TEST(whole[3].as_integer() == INT64_MAX);
  BOOST_TEST(whole[4].as_integer() == INT64_MIN);
  BOOST_TEST(whole[5].as_string() == "he\r\no");
  BOOST_TEST(whole[6] == redis::reply::bulk_string(""));
  BOOST_TEST(whole[7].is_null());
  BOOST_TEST(whole[8].is_null());
  BOOST_TEST(whole[9] == redis::reply::array({}));
  BOOST_TEST(whole[9].is_array());
  BOOST_TEST(whole[10].to_string() == R"([1, ["a", (nil)], [[]]])");
  BOOST_TEST(whole[11].as_string() == "after");
  BOOST_TEST((parse_bytewise(bytes) == whole));
}

BOOST_AUTO_TEST_CASE(malformed_or_oversized_replies_are_protocol_errors) {
  for (const char* bad : {"?\r\n", "x\r\n", "\r\n", "+OK\rX", ":\r\n", ":-\r\n", ":12a\r\n", ":+1\r\n",
                          ":9223372036854775808\r\n", ":-9223372036854775809\r\n", ":99999999999999999999\r\n",
                          "$-2\r\n", "*-2\r\n", "$3\r\nabcXY", "$x\r\n", "%1\r\n", "_\r\n", ",1.5\r\n", "#t\r\n",
                          ">2\r\n", "~1\r\n", "=5\r\ntxt:x\r\n", "(1\r\n", "!3\r\nerr\r\n", "|1\r\n"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(parse_error(bad) == redis::errc::protocol); }
  }
  // A bulk string of 2^62 bytes: refused at its header, nothing allocated.
  BOOST_TEST(parse_error("$4611686018427387904\r\n") == redis::errc::protocol);
  BOOST_TEST(parse_error("*4611686018427387904\r\n") == redis::errc::protocol);
  redis::parser_limits small;
  small.max_bulk_bytes = 4;
  small.max_elements = 3;
  small.max_depth = 2;
  small.max_line_bytes = 8;
  BOOST_TEST(parse_all("$4\r\nabcd\r\n*3\r\n:1\r\n:2\r\n:3\r\n*1\r\n*1\r\n:1\r\n", small).size() == 3u);
  BOOST_TEST(parse_error("$5\r\nabcde\r\n", small) == redis::errc::protocol);
  BOOST_TEST(parse_error("*4\r\n", small) == redis::errc::protocol);
  BOOST_TEST(parse_error("*2\r\n*2\r\n:1\r\n", small) == redis::errc::protocol);  // 4 elements in one reply
  BOOST_TEST(parse_error("*1\r\n*1\r\n*1\r\n:1\r\n", small) == redis::errc::protocol);
  BOOST_TEST(parse_error("+123456789", small) == redis::errc::protocol);  // a line over the limit, unended
  BOOST_TEST(parse_error("+123456789\r\n", small) == redis::errc::protocol);
  // Incomplete is not an error.
  redis::resp_parser p;
  std::optional<redis::reply> r;
  BOOST_TEST(p.parse("*2\r\n:1\r\n$3\r\nab", r) == 14u);  // the bulk payload is consumed as it comes
  BOOST_TEST(!r.has_value());
  BOOST_TEST(!p.idle());
}

CORIO_REDIS_TEST(garbage_from_the_server_fails_the_calls_in_flight_and_closes_the_connection) {
  const auto ex = co_await asio::this_coro::executor;
  const std::vector<std::string> garbage = {
      "HTTP/1.1 200 OK\r\n\r\n",                    // not RESP
      "$4611686018427387904\r\n",                   // a bulk string of 2^62 bytes
      "*-5\r\n",                                    // a bad length
      "%1\r\n+a\r\n+b\r\n",                          // RESP3
      "+PONG\r\n+unsolicited\r\n",                   // a reply nobody asked for
      std::string(100 * 1024, 'x'),                  // a line that never ends
      "+PONG\r\n",                                  // then a sane server
  };
  fault_server fs(ex, garbage);
  redis::options o;
  o.url = fs.url();
  o.reconnect = redis::reconnect_attempts(1);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    auto server = g.spawn(fs.serve(g), "fault server");
    redis::client c(o);
    for (std::size_t i = 0; i + 1 < garbage.size(); ++i) {
      BOOST_TEST_CONTEXT("answer " << i) {
        const std::size_t before = c.stats().connects;
        if (i == 4) {
          // The first PING is answered; the unsolicited reply after it breaks the connection.
          BOOST_TEST((co_await c.call("PING")).as_string() == "PONG");
          co_await corio::testing::wait_all_tasks_blocked();
          BOOST_TEST(!c.connected());
          continue;
        }
        auto e = co_await expect_redis_error(c.call("PING"));
        BOOST_TEST(e.kind() == redis::errc::protocol);
        BOOST_TEST(!c.connected());
        BOOST_TEST(c.stats().connects == before + 1);
      }
    }
    BOOST_TEST((co_await c.call("PING")).as_string() == "PONG");
    BOOST_TEST(fs.connections() == static_cast<int>(garbage.size()));
    g.cancel();
  });
}

CORIO_REDIS_TEST(a_server_that_closes_at_once_is_a_connect_error_and_mid_pipeline_a_connection_error) {
  const auto ex = co_await asio::this_coro::executor;
  // Accepts and closes: the connection is lost before any reply.
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  redis::options o;
  o.url = "redis://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  o.reconnect = redis::reconnect_attempts(1);
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn([&]() -> corio::awaitable<void> {
      for (;;) {
        auto [ec, sock] = co_await acceptor.async_accept(as_tuple);
        if (ec) co_return;
        char buf[64];
        auto [rec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple);
        (void)rec;
        (void)n;
        sock.close();
      }
    });
    redis::client c(o);
    auto e = co_await expect_redis_error(c.call("PING"));
    BOOST_TEST(e.kind() == redis::errc::connection);
    BOOST_TEST(e.message() == "connection lost: closed by the server");
    // With a SELECT to make on connecting, the same loss is a failed connection attempt.
    redis::options o2 = o;
    o2.url += "/2";
    redis::client c2(o2);
    e = co_await expect_redis_error(c2.call("PING"));
    BOOST_TEST(e.kind() == redis::errc::connect);
    g.cancel();
  });
}

BOOST_AUTO_TEST_SUITE_END()
