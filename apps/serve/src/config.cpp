#include <serve/config.hpp>

#include <corio/redis/error.hpp>
#include <corio/redis/url.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>

namespace serve {

namespace {

double parse_number(const std::string& s, std::size_t& used) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data() || !std::isfinite(v) || v < 0) {
    throw std::invalid_argument("not a non-negative number: '" + s + "'");
  }
  used = static_cast<std::size_t>(p - s.data());
  return v;
}

unsigned long parse_count(const std::string& s, unsigned long max) {
  unsigned long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max) {
    throw std::invalid_argument("expected a whole number up to " + std::to_string(max) + ", got '" + s + "'");
  }
  return v;
}

}  // namespace

corio::duration parse_duration(const std::string& s) {
  std::size_t used = 0;
  const double v = parse_number(s, used);
  const std::string unit = s.substr(used);
  double seconds = 0;
  if (unit.empty() || unit == "s") seconds = v;
  else if (unit == "ms") seconds = v / 1000;
  else if (unit == "m") seconds = v * 60;
  else if (unit == "h") seconds = v * 3600;
  else throw std::invalid_argument("unknown time unit in '" + s + "' (use ms, s, m or h)");
  if (seconds > 365.0 * 24 * 3600) throw std::invalid_argument("duration too long: '" + s + "'");
  return std::chrono::duration_cast<corio::duration>(std::chrono::duration<double>(seconds));
}

std::size_t parse_size(const std::string& s) {
  std::size_t used = 0;
  const double v = parse_number(s, used);
  const std::string unit = s.substr(used);
  double bytes = 0;
  if (unit.empty()) bytes = v;
  else if (unit == "k" || unit == "K") bytes = v * 1024;
  else if (unit == "m" || unit == "M") bytes = v * 1024 * 1024;
  else if (unit == "g" || unit == "G") bytes = v * 1024 * 1024 * 1024;
  else throw std::invalid_argument("unknown size unit in '" + s + "' (use k, m or g)");
  if (bytes < 1 || bytes > 64.0 * 1024 * 1024 * 1024) throw std::invalid_argument("size out of range: '" + s + "'");
  return static_cast<std::size_t>(bytes);
}

std::string usage() {
  return R"(usage: corio-serve [options]

A demo HTTP/1.1 + WebSocket server on Corio: every connection and request is a task.

  --host ADDR               address to listen on (default 127.0.0.1)
  --port N                  port; 0 lets the OS pick (printed as "listening on HOST:PORT"); default 8080
  --threads N               shards: N event loops, one thread each (default 1)
  --acceptor MODE           with --threads > 1: reuseport (one SO_REUSEPORT listener per shard,
                            default) or single (one listener handing connections out)
  --static DIR              serve the files in DIR at / (the dashboard stays at /dashboard/)
  --www DIR                 the dashboard's files (default: PREFIX/share/corio-serve/www when
                            installed, else the copy in the source tree)
  --log-level LEVEL         trace, debug, info, warn, error, critical or off (default info)
  --access-log DEST         FILE, - (stdout, default) or off
  --access-log-format F     combined (nginx's, default), text or json
  --debug                   Corio debug mode: slow-step warnings, task ages in /debug/tasks
  --debug-tasks             serve /debug/tasks (the live task tree) to loopback clients; off by
                            default (behind a reverse proxy on this host, use --debug-token)
  --debug-token TOKEN       serve /debug/tasks to clients sending "Authorization: Bearer TOKEN"
                            only (16 characters or more; loopback clients need it too)
  -h, --help                this text
  -V, --version             the version

Limits (sizes take k/m/g suffixes, times ms/s/m/h; a bare number is bytes or seconds):
  --max-header-bytes SIZE   request line + headers (431 beyond; default 8k)
  --max-header-fields N     header fields per request (431 beyond; default 100)
  --max-body-bytes SIZE     request body (413 beyond; default 1m)
  --header-timeout T        first byte of a request to its complete head; also a new
                            connection's wait for its first byte (default 10s)
  --idle-timeout T          keep-alive wait for the next request (default 60s)
  --body-timeout T          reading a request body, all of it (default 30s)
  --body-read-timeout T     the longest wait for more of a request body (default 10s)
  --write-timeout T         writing one response (default 30s)
  --request-timeout T       a handler's time before the client gets 504 (default 30s)
  --max-connections N       concurrent connections; excess ones wait in the backlog (default 10000)
  --drain-timeout T         on SIGINT/SIGTERM: time for in-flight requests (default 10s)
  --chat-presence-interval T  chat joins and leaves are announced together at most once per T
                            (default 100ms; 0: each at once)
  --max-cpu-n N             the largest n /api/cpu accepts (default 100000000; its default n
                            is 5000000 or N, whichever is smaller)
  --max-fanout-n N          the largest n /api/fanout accepts, up to 10000 (default 10000)
  --redis URL               share the chat room with every corio-serve using this Redis
                            (redis://[[USER]:PASSWORD@]HOST[:PORT]; pub/sub)
)";
}

parse_result parse_command_line(const std::vector<std::string>& args) {
  config cfg;
  using setter = std::function<void(const std::string&)>;
  const std::map<std::string, setter> with_value = {
      {"--host", [&](const std::string& v) { cfg.host = v; }},
      {"--port", [&](const std::string& v) { cfg.port = static_cast<std::uint16_t>(parse_count(v, 65535)); }},
      {"--threads",
       [&](const std::string& v) {
         cfg.threads = static_cast<unsigned>(parse_count(v, 256));
         if (cfg.threads == 0) throw std::invalid_argument("--threads must be at least 1");
       }},
      {"--acceptor",
       [&](const std::string& v) {
         if (v == "reuseport") cfg.acceptor = acceptor_mode::reuseport;
         else if (v == "single") cfg.acceptor = acceptor_mode::single;
         else throw std::invalid_argument("--acceptor is reuseport or single, not '" + v + "'");
       }},
      {"--static", [&](const std::string& v) { cfg.static_dir = v; }},
      {"--www", [&](const std::string& v) { cfg.www_dir = v; }},
      {"--log-level",
       [&](const std::string& v) {
         static const char* const levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
         for (const char* l : levels)
           if (v == l) {
             cfg.log_level = v;
             return;
           }
         throw std::invalid_argument("unknown log level '" + v + "'");
       }},
      {"--access-log", [&](const std::string& v) { cfg.access_log = v; }},
      {"--access-log-format",
       [&](const std::string& v) {
         if (v == "combined") cfg.access_log_format = log_format::combined;
         else if (v == "text") cfg.access_log_format = log_format::text;
         else if (v == "json") cfg.access_log_format = log_format::json;
         else throw std::invalid_argument("--access-log-format is combined, text or json, not '" + v + "'");
       }},
      {"--max-header-bytes",
       [&](const std::string& v) {
         cfg.lim.header_bytes = parse_size(v);
         if (cfg.lim.header_bytes < 256) throw std::invalid_argument("--max-header-bytes must be at least 256");
       }},
      {"--max-header-fields",
       [&](const std::string& v) { cfg.lim.header_fields = parse_count(v, 100000); }},
      {"--max-body-bytes", [&](const std::string& v) { cfg.lim.body_bytes = parse_size(v); }},
      {"--header-timeout", [&](const std::string& v) { cfg.lim.header_timeout = parse_duration(v); }},
      {"--idle-timeout", [&](const std::string& v) { cfg.lim.idle_timeout = parse_duration(v); }},
      {"--body-timeout", [&](const std::string& v) { cfg.lim.body_timeout = parse_duration(v); }},
      {"--body-read-timeout", [&](const std::string& v) { cfg.lim.body_read_timeout = parse_duration(v); }},
      {"--write-timeout", [&](const std::string& v) { cfg.lim.write_timeout = parse_duration(v); }},
      {"--request-timeout", [&](const std::string& v) { cfg.lim.request_timeout = parse_duration(v); }},
      {"--max-connections",
       [&](const std::string& v) {
         cfg.lim.max_connections = parse_count(v, 10'000'000);
         if (cfg.lim.max_connections == 0) throw std::invalid_argument("--max-connections must be at least 1");
       }},
      {"--drain-timeout", [&](const std::string& v) { cfg.lim.drain_timeout = parse_duration(v); }},
      {"--chat-presence-interval",
       [&](const std::string& v) {
         cfg.chat_presence_interval = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(v));
         if (cfg.chat_presence_interval > std::chrono::seconds(60)) {
           throw std::invalid_argument("--chat-presence-interval: at most 60s");
         }
       }},
      {"--max-cpu-n",
       [&](const std::string& v) {
         cfg.cpu_max_n = parse_count(v, 100'000'000);
         if (cfg.cpu_max_n == 0) throw std::invalid_argument("at least 1");
       }},
      {"--max-fanout-n",
       [&](const std::string& v) {
         cfg.fanout_max_n = parse_count(v, 10'000);
         if (cfg.fanout_max_n == 0) throw std::invalid_argument("at least 1");
       }},
      {"--redis",
       [&](const std::string& v) {
         try {
           (void)corio::redis::parse_url(v);
         } catch (const corio::redis::error& e) {
           throw std::invalid_argument(e.message());
         }
         cfg.redis_url = v;
       }},
      {"--debug-token",
       [&](const std::string& v) {
         if (v.size() < 16 || v.find_first_of(" \t\r\n") != std::string::npos) {
           throw std::invalid_argument("--debug-token needs 16 characters or more, without spaces");
         }
         cfg.debug_token = v;
         cfg.debug_tasks = true;
       }},
  };
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      std::string name = args[i];
      std::string value;
      bool has_value = false;
      if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (name == "-h" || name == "--help") return show_help{};
      if (name == "-V" || name == "--version") return show_version{};
      if (name == "--debug") {
        cfg.debug = true;
        continue;
      }
      if (name == "--debug-tasks") {
        cfg.debug_tasks = true;
        continue;
      }
      auto it = with_value.find(name);
      if (it == with_value.end()) return "unknown option '" + name + "'";
      if (!has_value) {
        if (i + 1 >= args.size()) return "option " + name + " needs a value";
        value = args[++i];
      }
      try {
        it->second(value);
      } catch (const std::invalid_argument& e) {
        return name + ": " + e.what();
      }
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  return cfg;
}

std::string www_dir(const config& cfg) {
  if (!cfg.www_dir.empty()) return cfg.www_dir;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = (exe.parent_path() / CORIO_SERVE_WWW_FROM_BIN).lexically_normal();
    if (std::filesystem::is_regular_file(installed / "index.html", ec)) return installed.string();
  }
  return CORIO_SERVE_WWW_DIR;
}

}  // namespace serve
