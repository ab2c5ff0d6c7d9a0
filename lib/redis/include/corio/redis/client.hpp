// corio/redis/client.hpp — a Redis client on one pipelined TCP connection: commands from any
// number of coroutines are in flight at once and their replies are matched in order.
//
//   corio::redis::client c("redis://:s3cret@127.0.0.1:6379/2");   // AUTH, SELECT 2 on connect
//   co_await c.call("SET", "k", "v");
//   std::optional<std::string> v = (co_await c.call("GET", "k")).as_optional_string();
//   corio::redis::command incr("INCRBY", "n", 5);
//   long long n = (co_await c.exec(incr)).as_integer();
//   std::vector<corio::redis::command> batch = ...;     // one write, one reply per command
//   std::vector<corio::redis::reply> rs = co_await c.exec_batch(std::move(batch));
//   auto r = co_await c.eval(script, keys, args);          // EVALSHA, SCRIPT LOAD on NOSCRIPT
//
// What it is: RESP2 over one TCP connection (Redis 6/7 and compatible servers), with pipelining
// (every call appends its command to the connection's output; one writer sends what has
// accumulated in one write, one reader parses replies and hands each to the oldest call still
// waiting for one), a batch API (N commands in one write, N replies), EVALSHA with script
// loading, AUTH and SELECT from the URL (url.hpp) on every connection, reconnection, and timeouts.
// What it is NOT: no Redis Cluster (no MOVED/ASK redirection), no Sentinel, no SUBSCRIBE or
// MONITOR on this connection (a reply nobody asked for is a protocol error; PUBLISH is a plain
// command, and corio::redis::subscriber in subscriber.hpp receives on a connection of its own), no RESP3 (HELLO 3, push messages), no
// TLS, no connection pool (one connection per client: make more clients for more connections),
// no client-side transactions API (MULTI/EXEC/WATCH can be sent as a batch — one connection keeps
// them together — but WATCH across calls of other coroutines is not isolated).
//
// Replies: exec/call return the reply (reply.hpp); an error reply (-ERR, -WRONGTYPE, -NOSCRIPT)
// is thrown as corio::redis::error with errc::server and the server's message (errc::auth for
// NOAUTH, WRONGPASS and NOPERM) — it ends that call only; the pipeline and other calls go on.
// exec_batch returns every reply, error replies included, as values.
// Sizes: replies are parsed with resp_parser (resp.hpp) under options::limits; bytes that are not
// RESP2 or that break a limit are errc::protocol for every call in flight, and the connection is
// closed (the next call reconnects).
//
// Connection and reconnection: the first call connects (resolve, TCP connect, AUTH and SELECT
// within connect_timeout, retried with backoff as options::reconnect says: by default 3 attempts,
// 100 ms then 200 ms apart). Calls made meanwhile wait for that same attempt. When the connection
// is lost (closed or reset by the server, a write error, a protocol error, a stall), every call in
// flight fails — errc::connection (errc::protocol, errc::timeout for a stall) — and the next call
// connects again. Nothing is resent by the client: a command in flight when the connection broke
// may or may not have run, and only the caller knows whether it is safe to send again (GET, SET
// of a fixed value, an idempotent script: yes; INCR, RPUSH, XADD *: not without a way to
// deduplicate). wait_connected(d) connects (or waits for the connection) for at most `d`,
// retrying with backoff meanwhile. close() closes the connection (calls in flight fail with
// errc::connection); the next call reconnects.
// Timeouts: every call has one (options::timeout, or call_options::timeout for that call; zero:
// none) covering the whole call: waiting for the connection, the command's round trip, and for
// eval the SCRIPT LOAD and second EVALSHA. A call that times out throws errc::timeout; its
// command stays in the pipeline and its reply, when it comes, is read and discarded, so that
// later calls still get their own replies. A server that stops answering altogether is detected
// by options::stall_timeout: commands are in flight and no byte has arrived for that long; the
// connection is then closed, the calls in flight fail with errc::timeout, and the next call
// reconnects. Blocking commands (BLPOP, XREAD BLOCK, WAIT) need a call timeout and a
// stall_timeout longer than their own, or zero.
//
// Cancellation: every call is cancellable (task cancel, an enclosing timeout, a group's failure):
// it throws operation_aborted at once. If the command was already queued for sending, it is still
// sent, and its reply is read and discarded (like a timed-out call), so the pipeline stays in
// step. A cancelled wait for the connection leaves the connection attempt going for the others.
// Exceptions: corio::redis::error for every expected failure (error.hpp: bad_url from the
// constructor, connect, auth, timeout, connection, protocol, server); operation_aborted for
// cancellation; std::invalid_argument for an empty command.
// Thread safety: executor-affine, like corio::http::client: use one client from coroutines of one
// executor (or strand); its connection's reader and writer are tasks on the executor of the call
// that connected. The client may be destroyed with calls in flight (they fail with
// errc::connection, or are cancelled and awaited by then); destroy it before its io_context.
// (GCC 12: build commands, key and argument vectors as named variables, not as braced temporaries
// inside a co_await expression; CONTRIBUTING.md, "GCC 12 coroutine pitfalls".)
#pragma once

#include <corio/config.hpp>
#include <corio/redis/command.hpp>
#include <corio/redis/error.hpp>
#include <corio/redis/reply.hpp>
#include <corio/redis/resp.hpp>
#include <corio/redis/script.hpp>
#include <corio/redis/url.hpp>
#include <corio/retry.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corio::redis {

/// A policy of `n` connection attempts with the default backoff (100 ms, doubling, at most 2 s).
[[nodiscard]] corio::retry_policy reconnect_attempts(int n);

struct options {
  /// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (url.hpp).
  std::string url = "redis://127.0.0.1:6379";
  /// One connection attempt: resolving, TCP connect, AUTH and SELECT.
  duration connect_timeout = std::chrono::seconds(5);
  /// Each call's default timeout (zero: none).
  duration timeout = std::chrono::seconds(10);
  /// Commands in flight and no byte from the server for this long: the connection is closed
  /// (zero: never).
  duration stall_timeout = std::chrono::seconds(30);
  /// The attempts of one connection (retryable: connection failures only, never AUTH or SELECT
  /// refused).
  corio::retry_policy reconnect = reconnect_attempts(3);
  /// Reply size limits (resp.hpp).
  parser_limits limits;
};

/// Per call.
struct call_options {
  /// Replaces options::timeout for this call (zero: none).
  std::optional<duration> timeout;
};

/// Counters, for tests and summaries.
struct client_stats {
  std::uint64_t connects = 0;    ///< connections established (AUTH and SELECT done)
  std::uint64_t commands = 0;    ///< commands queued for sending
  std::uint64_t replies = 0;     ///< replies read
  std::uint64_t discarded = 0;   ///< replies read for calls that had timed out or been cancelled
  std::uint64_t failed = 0;      ///< commands that failed with the connection (lost, protocol, stall)
  std::uint64_t max_pending = 0; ///< most calls (or batches) in flight at once on one connection
};

class client {
public:
  /// Parses options::url; throws error(errc::bad_url). Does not connect.
  explicit client(options opts = {});
  explicit client(std::string url);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `cmd` and returns its reply; an error reply is thrown (errc::server, errc::auth).
  [[nodiscard]] awaitable<reply> exec(command cmd, call_options o = {});

  /// exec(command(args...)): `co_await c.call("HSET", "h", "f", 1)`.
  template <command_arg... A>
    requires(sizeof...(A) > 0)
  [[nodiscard]] awaitable<reply> call(const A&... args) {
    return exec(command(args...));
  }

  /// Sends every command in one write; returns one reply per command, in order, error replies
  /// included (not thrown). Failures of the connection, the timeout and cancellation apply to the
  /// batch as a whole.
  [[nodiscard]] awaitable<std::vector<reply>> exec_batch(std::vector<command> cmds, call_options o = {});

  /// EVALSHA; on NOSCRIPT, SCRIPT LOAD then EVALSHA once more. An error reply (the script's own
  /// error included) is thrown.
  [[nodiscard]] awaitable<reply> eval(script s, std::vector<std::string> keys, std::vector<std::string> args,
                                      call_options o = {});
  /// SCRIPT LOAD (for batches of evalsha_command).
  [[nodiscard]] awaitable<void> load(script s, call_options o = {});

  /// Returns once connected, connecting if needed and retrying with options::reconnect's backoff
  /// until `timeout`; then throws error(errc::timeout) naming the last failure. errc::auth and
  /// a refused SELECT are thrown at once.
  [[nodiscard]] awaitable<void> wait_connected(duration timeout);

  /// True while a connection is established.
  [[nodiscard]] bool connected() const noexcept;
  /// Closes the connection, if any: calls in flight fail with errc::connection. The next call
  /// reconnects. (A connection attempt under way goes on.)
  void close() noexcept;

  [[nodiscard]] const options& get_options() const noexcept;
  [[nodiscard]] const server_address& address() const noexcept;
  [[nodiscard]] client_stats stats() const noexcept;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace corio::redis
