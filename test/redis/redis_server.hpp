// test/redis/redis_server.hpp — a real redis-server for one test: started on a free 127.0.0.1
// port with its own temporary directory (no persistence), killed at the end; stopped and started
// again on the same port (reconnection tests), frozen with SIGSTOP (timeout and stall tests).
// Plus what the suites share: real-time test cases and expect_redis_error.
//
// The program is $CORIO_REDIS_SERVER (set by ctest) or /usr/bin/redis-server. Start-up waits,
// polling with a generous limit, until the server answers PING on a fresh connection.
#pragma once

#include <corio/redis/client.hpp>
#include <corio/redis/error.hpp>
#include <corio/testing.hpp>

#include "support/real_time.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace corio::redis {
// (Boost.Test prints the values of failed checks.)
inline std::ostream& operator<<(std::ostream& os, errc k) { return os << to_string(k); }
inline std::ostream& operator<<(std::ostream& os, reply_type t) { return os << to_string(t); }
inline std::ostream& operator<<(std::ostream& os, const reply& r) { return os << r.to_string(); }
}  // namespace corio::redis

namespace corio::test {

class redis_server {
public:
  /// Starts a server; `extra` are more command-line options ("--requirepass", "s3cret").
  explicit redis_server(std::vector<std::string> extra = {});
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "redis://127.0.0.1:<port>" plus `tail` ("/3").
  [[nodiscard]] std::string url(const std::string& tail = "") const;

  /// SIGKILL (from any state, stopped included) and reap: connections are reset.
  void kill();
  /// Starts it again on the same port and waits until it answers PING.
  void start();
  /// SIGSTOP / SIGCONT: the server keeps its connections but stops answering.
  void freeze();
  void thaw();

  /// A command sent on a connection of its own, blocking (the fixture's own checks); returns the
  /// raw RESP reply.
  [[nodiscard]] std::string raw(const std::string& resp_command) const;

private:
  void launch();
  [[nodiscard]] bool answers_ping() const;

  std::vector<std::string> extra_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

/// A port on 127.0.0.1 that nothing listens on (bound then released).
[[nodiscard]] std::uint16_t unused_port();

/// Awaits `aw`, which must fail with corio::redis::error; returns that error.
template <typename T>
corio::awaitable<corio::redis::error> expect_redis_error(corio::awaitable<T> aw) {
  return expect_error<corio::redis::error>(std::move(aw), "corio::redis::error");
}

}  // namespace corio::test

/// A coroutine test case in real time (the server and the kernel deliver bytes in real time).
#define CORIO_REDIS_TEST(name) CORIO_TEST_CASE_WITH(name, ::corio::test::real_time())
