// Pub/sub (subscriber.hpp) against a real redis-server: messages of the subscribed channels only,
// in order; the subscription kept through a restart, a frozen server and a message over the size
// limits; AUTH refused ends run(); cancellation unsubscribes (closes the connection).
#include "redis/redis_server.hpp"

#include <corio/cancellation.hpp>
#include <corio/event.hpp>
#include <corio/redis/client.hpp>
#include <corio/redis/subscriber.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::expect_redis_error;
using corio::test::redis_server;

namespace {

/// A subscriber running as a task, with what it received and reported.
struct listening {
  redis::subscriber sub;
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<std::string> states;  // "up", or "down: <why>"
  corio::event changed;             // set on every message or state; reset by the test
  corio::task<void> task;

  listening(const std::string& url, std::vector<std::string> channels, redis::subscriber_options o = {})
      : sub(url, std::move(channels), o) {}

  void start(const corio::executor& ex) {
    task = corio::spawn(ex, sub.run(
                                [this](const std::string& channel, std::string payload) {
                                  messages.emplace_back(channel, std::move(payload));
                                  changed.set();
                                },
                                [this](bool up, const std::string& why) {
                                  states.push_back(up ? "up" : "down: " + why);
                                  changed.set();
                                }),
                        "subscriber");
  }
  /// Waits until `pred` holds (re-checked after each message or state change); a minute at most
  /// (then timeout_error fails the test instead of hanging it).
  template <typename P>
  corio::awaitable<void> until(P pred) {
    auto wait = [&]() -> corio::awaitable<void> {
      while (!pred()) {
        co_await changed.wait();
        changed.clear();
      }
    };
    co_await corio::wait_for(wait(), std::chrono::minutes(1));
  }
  corio::awaitable<void> until_up(std::size_t times) {
    return until([this, times] {
      std::size_t ups = 0;
      for (const auto& s : states) ups += s == "up";
      return ups >= times;
    });
  }
};

std::int64_t subscribers_of(redis_server& server, const std::string& channel) {
  // "*2\r\n$<n>\r\n<channel>\r\n:<count>\r\n"
  const std::string r = server.raw("*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$" + std::to_string(channel.size()) +
                                   "\r\n" + channel + "\r\n");
  const auto colon = r.rfind(':');
  return std::stoll(r.substr(colon + 1));
}

/// Cancels `t` and tells whether it ended by that cancellation.
corio::awaitable<bool> cancelled(corio::task<void>& t) {
  t.cancel();
  try {
    co_await t.wait();
  } catch (const std::exception& e) {
    co_return corio::is_cancellation(e);
  }
  co_return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pubsub)

CORIO_REDIS_TEST(messages_of_the_subscribed_channels_arrive_in_order) {
  redis_server server;
  listening l(server.url(), {"news", "chat"});
  l.start(co_await boost::asio::this_coro::executor);
  co_await l.until_up(1);
  BOOST_TEST(subscribers_of(server, "news") == 1);
  redis::client pub(server.url());
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    co_await pub.call("PUBLISH", i % 2 ? "chat" : "news", n);
    co_await pub.call("PUBLISH", "elsewhere", n);  // not subscribed: never delivered
  }
  const std::string big(200000, 'x');  // a payload of several reads
  co_await pub.call("PUBLISH", "news", big);
  co_await l.until([&] { return l.messages.size() == 101; });
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST(l.messages[i].first == (i % 2 ? "chat" : "news"));
    BOOST_TEST(l.messages[i].second == std::to_string(i));
  }
  BOOST_TEST(l.messages[100].second == big);
  BOOST_TEST(l.states == std::vector<std::string>{"up"}, boost::test_tools::per_element());
  BOOST_TEST(co_await cancelled(l.task));
}

CORIO_REDIS_TEST(a_restarted_server_is_subscribed_to_again) {
  redis_server server;
  listening l(server.url(), {"chat"});
  l.start(co_await boost::asio::this_coro::executor);
  co_await l.until_up(1);
  server.kill();
  co_await l.until([&] { return l.states.size() >= 2; });
  BOOST_TEST(l.states[1].find("down: ") == 0u);
  server.start();  // attempts fail until it is back; then subscribed again
  co_await l.until_up(2);
  BOOST_TEST(l.states.back() == "up");
  BOOST_TEST(l.sub.connects() >= 2u);
  redis::client pub(server.url());
  co_await pub.call("PUBLISH", "chat", "after");
  co_await l.until([&] { return !l.messages.empty(); });
  BOOST_TEST(l.messages.front().second == "after");
  BOOST_TEST(co_await cancelled(l.task));
}

CORIO_REDIS_TEST(a_frozen_server_is_pinged_then_left_and_a_message_over_the_limits_is_a_reconnection) {
  redis_server server;
  redis::subscriber_options o;
  o.ping_interval = 100ms;
  o.stall_timeout = 2s;
  o.limits.max_bulk_bytes = 1024;
  listening l(server.url(), {"chat"}, o);
  l.start(co_await boost::asio::this_coro::executor);
  co_await l.until_up(1);
  // Quiet but alive: PINGs are answered, the subscription stays.
  co_await corio::sleep(1s);
  BOOST_TEST(l.states.size() == 1u);
  server.freeze();
  co_await l.until([&] { return l.states.size() >= 2; });
  BOOST_TEST(l.states[1].find("no byte from") != std::string::npos, l.states[1]);
  server.thaw();
  co_await l.until_up(2);
  redis::client pub(server.url());
  const std::string big(2000, 'x');
  co_await pub.call("PUBLISH", "chat", big);
  co_await l.until([&] { return l.states.size() >= 4; });  // down (protocol), then up again
  BOOST_TEST(l.states[3].find("protocol") != std::string::npos, l.states[3]);
  co_await l.until_up(3);
  co_await pub.call("PUBLISH", "chat", "small");
  co_await l.until([&] { return !l.messages.empty(); });
  BOOST_TEST(l.messages.size() == 1u);
  BOOST_TEST(l.messages.front().second == "small");
  BOOST_TEST(co_await cancelled(l.task));
}

CORIO_REDIS_TEST(a_refused_password_ends_run_and_the_right_one_subscribes) {
  redis_server server({"--requirepass", "s3cret"});
  redis::subscriber wrong(server.url().replace(0, 8, "redis://:nope@"), {"chat"});
  auto e = co_await expect_redis_error(wrong.run([](const std::string&, std::string) {}));
  BOOST_TEST(e.kind() == redis::errc::auth);
  redis::subscriber none(server.url(), {"chat"});  // no password: SUBSCRIBE gets -NOAUTH
  auto e2 = co_await expect_redis_error(none.run([](const std::string&, std::string) {}));
  BOOST_TEST(e2.kind() == redis::errc::auth);
  listening l(server.url().replace(0, 8, "redis://:s3cret@"), {"chat"});
  l.start(co_await boost::asio::this_coro::executor);
  co_await l.until_up(1);
  BOOST_TEST(co_await cancelled(l.task));
}

CORIO_REDIS_TEST(what_a_handler_throws_ends_run_and_is_not_taken_for_a_lost_connection) {
  redis_server server;
  redis::subscriber sub(server.url(), {"chat"});
  bool up = false;
  int downs = 0;
  const auto ex = co_await boost::asio::this_coro::executor;
  auto t = corio::spawn(ex, sub.run([](const std::string&, std::string payload) {
                                      if (payload == "bad") throw std::runtime_error("the handler refused it");
                                    },
                                    [&](bool ok, const std::string&) { ok ? void(up = true) : void(++downs); }),
                        "subscriber");
  redis::client pub(server.url());
  while (!up) co_await corio::sleep(10ms);
  co_await pub.call("PUBLISH", "chat", "bad");
  std::string what;
  try {
    co_await corio::wait_for(t.wait(), 20s);  // (taken for a lost connection, it would never end)
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
  BOOST_TEST(what == "the handler refused it");
  BOOST_TEST(downs == 0);
  BOOST_TEST(sub.connects() == 1u);
}

CORIO_REDIS_TEST(replies_cut_anywhere_between_reads_are_put_together) {
  // A server in the test that confirms the subscription and sends two messages one byte per write,
  // each write a read of its own for the subscriber: every line and CRLF is cut somewhere.
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  const auto ex = co_await asio::this_coro::executor;
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string url = "redis://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  const std::string bytes =
      "*3\r\n$9\r\nsubscribe\r\n$4\r\nchat\r\n:1\r\n"
      "*3\r\n$7\r\nmessage\r\n$4\r\nchat\r\n$5\r\nhello\r\n"
      "*3\r\n$7\r\nmessage\r\n$4\r\nchat\r\n$12\r\nsecond\r\nline\r\n";
  auto server = corio::spawn(ex, [&]() -> corio::awaitable<void> {
    auto sock = co_await acceptor.async_accept(asio::deferred);
    sock.set_option(tcp::no_delay(true));
    char buf[256];
    const auto into = asio::buffer(buf);  // (named: GCC 12 and temporaries inside co_await)
    (void)co_await sock.async_read_some(into, asio::deferred);  // SUBSCRIBE chat
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const auto one = asio::buffer(bytes.data() + i, 1);
      co_await asio::async_write(sock, one, asio::deferred);
      co_await corio::sleep(1ms);
    }
    (void)co_await sock.async_read_some(into, asio::deferred);  // until it closes
  }, "dribbling server");
  listening l(url, {"chat"});
  l.start(ex);
  co_await l.until([&] { return l.messages.size() == 2; });
  BOOST_TEST(l.messages[0].second == "hello");
  BOOST_TEST(l.messages[1].second == "second\r\nline");
  BOOST_TEST(l.states == std::vector<std::string>{"up"}, boost::test_tools::per_element());
  BOOST_TEST(co_await cancelled(l.task));
  server.cancel();
  try {
    co_await server.wait();
  } catch (const std::exception&) {
  }
}

BOOST_AUTO_TEST_CASE(bad_urls_and_no_channels_are_refused_at_construction) {
  BOOST_CHECK_THROW(redis::subscriber("http://127.0.0.1", {"chat"}), redis::error);
  BOOST_CHECK_THROW(redis::subscriber("redis://127.0.0.1", {}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
