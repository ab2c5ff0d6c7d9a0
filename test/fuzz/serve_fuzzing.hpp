// What the corio-serve fuzz targets share: one app with the real endpoints and one test loop
// (virtual time) for every input, and a way to run one connection of that app per input.
//
//   fuzzing::serve_one_connection([&](fuzzing::peer& p) -> corio::awaitable<void> {
//     co_await p.write(input);
//     p.close_sending();
//     check(co_await p.read_all());
//   });
//
// Per input a shard of the app runs (no listener), adopts one end of a connected socket pair as
// an accepted connection, and shuts down gracefully once `talk` returns. Nothing is logged. A
// shard that fails, a task left behind or a deadlock throws out of serve_one_connection (the
// fuzzer reports it as a crash).
#pragma once

#include <corio/config.hpp>

#include <boost/asio/local/stream_protocol.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace fuzzing {

/// The client's end of the connection.
class peer {
public:
  peer(const corio::executor& ex, int fd);

  /// Writes everything; a failure (the server closed early) is ignored.
  [[nodiscard]] corio::awaitable<void> write(std::string_view bytes);
  /// Half-closes: the server reads the end of the stream.
  void close_sending() noexcept;
  /// What arrives up to and including `delimiter`, or until the server closes or `limit` (virtual
  /// time) passes. Bytes after the delimiter are kept for the next read.
  [[nodiscard]] corio::awaitable<std::string> read_until(std::string_view delimiter,
                                                         corio::duration limit = std::chrono::seconds(60));
  /// What arrives until the server closes, or `limit` (virtual time) passes.
  [[nodiscard]] corio::awaitable<std::string> read_all(corio::duration limit = std::chrono::seconds(60));

private:
  boost::asio::local::stream_protocol::socket socket_;
  std::string pending_;
};

void serve_one_connection(const std::function<corio::awaitable<void>(peer&)>& talk);

}  // namespace fuzzing
