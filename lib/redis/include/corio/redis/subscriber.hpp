// corio/redis/subscriber.hpp — Redis pub/sub: the messages of some channels, on a connection of
// its own, kept up through reconnections.
//
//   corio::redis::subscriber sub("redis://127.0.0.1:6379", {"chat"});
//   co_await sub.run([](const std::string& channel, std::string payload) { ... },
//                    [](bool subscribed, const std::string& why) { ... });   // optional
//
// run() connects (resolving, TCP, AUTH with the URL's credentials; the URL's database does not
// matter to pub/sub), subscribes to every channel and, once Redis confirmed them all, reports
// on_state(true, ""). Then it calls on_message for each message until it is cancelled. It sends a
// PING after `ping_interval` without a byte from Redis; no byte for `stall_timeout` counts as a
// lost connection. A lost connection (refused, closed, reset, stalled, bytes that are not RESP2 or
// break `limits`, an error reply) is reported as on_state(false, reason) and retried for as long
// as run() runs, `reconnect_delay` apart at first, doubling up to `max_reconnect_delay`; once
// subscribed again, on_state(true, "") — messages published in between are not received (pub/sub
// delivers at most once: Redis keeps nothing for a subscriber that is not connected).
//
// Cancellation: run() closes the connection and throws operation_aborted.
// Exceptions: the constructor throws error(errc::bad_url) for a bad URL and std::invalid_argument
// for no channel; run() throws error(errc::auth) when AUTH is refused (retrying cannot help), and
// whatever on_message or on_state throw. Every other failure is a reconnection.
// Thread safety: executor-affine: run() on one executor, once at a time; the handlers run there.
#pragma once

#include <corio/config.hpp>
#include <corio/redis/resp.hpp>
#include <corio/redis/url.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace corio::redis {

struct subscriber_options {
  /// One connection attempt: resolving, TCP connect and AUTH.
  duration connect_timeout = std::chrono::seconds(5);
  /// Silence after which a PING is sent.
  duration ping_interval = std::chrono::seconds(10);
  /// Silence after which the connection counts as lost (longer than ping_interval).
  duration stall_timeout = std::chrono::seconds(30);
  duration reconnect_delay = std::chrono::milliseconds(100);
  duration max_reconnect_delay = std::chrono::seconds(5);
  /// Message size limits (resp.hpp).
  parser_limits limits;
};

class subscriber {
public:
  using message_handler = std::function<void(const std::string& channel, std::string payload)>;
  /// `subscribed`: true once every channel is confirmed, false when the connection is lost
  /// (`why` says how) or an attempt fails.
  using state_handler = std::function<void(bool subscribed, const std::string& why)>;

  subscriber(const std::string& url, std::vector<std::string> channels, subscriber_options opts = {});

  [[nodiscard]] awaitable<void> run(message_handler on_message, state_handler on_state = {});

  [[nodiscard]] const server_address& address() const noexcept { return addr_; }
  /// Connections made (each followed by a full subscription or a failure), since construction.
  [[nodiscard]] std::uint64_t connects() const noexcept { return connects_; }

private:
  awaitable<void> session(const message_handler& on_message, const state_handler& on_state, duration& delay);

  server_address addr_;
  std::vector<std::string> channels_;
  subscriber_options opts_;
  std::uint64_t connects_ = 0;
};

}  // namespace corio::redis
