// serve/config.hpp — corio-serve's settings and its command line.
//
// Every limit has a safe default and a flag (see usage()). What each limit does when it trips:
//   header bytes / fields       431 and close        (also caps one field at 64 KiB: Beast's own limit)
//   body bytes                  413 and close        (before reading it when Content-Length says so)
//   header timeout              close, no response   (from a request's first byte to its full head)
//   idle timeout                close                (keep-alive: waiting for the next request)
//   body timeout                close                (reading a request body)
//   write timeout               close                (a client that does not read its response)
//   request timeout             504                  (a handler that suspends for too long)
//   max connections             excess connections wait in the listen backlog (per shard: the
//                               limit is split evenly), they are not refused
//   drain timeout               graceful shutdown: in-flight requests get this long, then cancelled
#pragma once

#include <corio/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace serve {

using namespace std::chrono_literals;

struct limits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t header_fields = 100;
  std::size_t body_bytes = 1024 * 1024;
  std::size_t chunk_extension_bytes = 1024;  // per request, all chunks together
  corio::duration header_timeout = 10s;
  corio::duration idle_timeout = 60s;
  corio::duration body_timeout = 30s;       // the whole body, however it trickles in
  corio::duration body_read_timeout = 10s;  // the longest wait for more of it (nginx's client_body_timeout)
  corio::duration write_timeout = 30s;
  corio::duration request_timeout = 30s;
  std::size_t max_connections = 10000;
  corio::duration drain_timeout = 10s;
};

/// How several shards share the listening port (--acceptor).
enum class acceptor_mode : std::uint8_t {
  reuseport,  // one SO_REUSEPORT listener per shard; the kernel spreads connections
  single,     // one listener on shard 0 hands accepted sockets to the shards round-robin
};

/// combined: nginx's (and Apache's) "combined" format; text: the same fields as json, in a line.
enum class log_format : std::uint8_t { combined, text, json };

struct config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  acceptor_mode acceptor = acceptor_mode::reuseport;
  std::string static_dir;  // served at / when set (the dashboard then lives at /dashboard/ only)
  std::string www_dir;     // the dashboard's files; empty: the installed copy, else the source tree's
  std::string log_level = "info";
  std::string access_log = "-";  // a file, "-" (stdout) or "off"
  log_format access_log_format = log_format::combined;
  bool debug = false;  // Corio's debug mode (slow-step warnings, richer /debug/tasks)
  /// /debug/tasks: off (404) unless enabled; enabled, loopback peers only, or with a token,
  /// every client that sends "Authorization: Bearer TOKEN" (loopback peers too: behind a reverse
  /// proxy on the same host every client is a loopback peer).
  bool debug_tasks = false;
  std::string debug_token;  // non-empty: enables /debug/tasks with this token
  /// The chat room's presence batching: joins and leaves are announced at most once per interval
  /// (zero: each at once).
  std::chrono::milliseconds chat_presence_interval{100};
  /// The largest n /api/cpu accepts (it sieves n bytes on the thread pool: at 10^8 about a second
  /// of a core and 100 MB); its default n is 5,000,000 or this, whichever is smaller.
  std::uint64_t cpu_max_n = 100'000'000;
  /// The largest n /api/fanout accepts (n concurrent tasks for one request, a coroutine frame and
  /// a timer each); at most 10,000. Its default n is 10 or this, whichever is smaller.
  std::uint64_t fanout_max_n = 10'000;
  /// redis://[[USER]:PASSWORD@]HOST[:PORT]: chat rooms shared by every corio-serve that uses this
  /// Redis (serve/chat_relay.hpp); empty: this instance's members only.
  std::string redis_url;
  limits lim;
};

struct show_help {};
struct show_version {};

/// The parsed command line, help (-h), the version (-V), or a usage error (one sentence).
using parse_result = std::variant<config, show_help, std::string, show_version>;
[[nodiscard]] parse_result parse_command_line(const std::vector<std::string>& args);

/// The --help text.
[[nodiscard]] std::string usage();

/// "10s", "250ms", "2m", "1h", "1.5s"; a bare number is seconds. Throws std::invalid_argument.
[[nodiscard]] corio::duration parse_duration(const std::string& s);
/// "8192", "16k", "1m", "2g" (KiB, MiB, GiB). Throws std::invalid_argument.
[[nodiscard]] std::size_t parse_size(const std::string& s);

/// Where the dashboard's files are: config.www_dir; else the installed copy
/// (BINDIR/../share/corio-serve/www, found from the running binary) if it exists; else the copy in
/// the source tree the binary was built from.
[[nodiscard]] std::string www_dir(const config& cfg);

}  // namespace serve
