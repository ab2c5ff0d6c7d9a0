#include "scrape/options.hpp"

#include <corio/http/error.hpp>
#include <corio/http/fields.hpp>
#include <corio/http/proxy.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>

namespace scrape {

void rethrow_user_error(const corio::exception_group& eg) {
  corio::rethrow_first<usage_error>(eg);
  corio::rethrow_first<setup_error>(eg);
}

namespace {

// The accepted ranges (usage() states them too).
constexpr double max_seconds = 1'000'000;   // ~11.6 days: far from std::chrono's limits
constexpr double max_retry_after_s = 86'400;  // the client reads a Retry-After as at most a day
constexpr double min_rate = 0.001, max_rate = 1'000'000;  // one per 1000 s .. one per µs
constexpr std::uint64_t max_body = std::uint64_t{4} << 30;  // 4G: a body is held in memory

/// A bound as messages show it: 0.001, 1000000.
std::string show(double d) {
  char buf[64];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(d);
}

/// A decimal number, whole (no trailing garbage); nullopt if it is not one (or out of double's range).
std::optional<double> number(std::string_view v) {
  double d = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

double parse_seconds(std::string_view flag, std::string_view v, double lo, double hi) {
  const auto d = number(v);
  if (!d || *d < lo || *d > hi) {
    throw usage_error(std::string(flag) + " expects seconds from " + show(lo) + " to " + show(hi) + ", got '" +
                      std::string(v) + "'");
  }
  return *d;
}

double parse_rate(std::string_view flag, std::string_view v) {
  const auto d = number(v);
  if (!d || !(*d == 0 || (*d >= min_rate && *d <= max_rate))) {
    throw usage_error(std::string(flag) + " expects requests per second from " + show(min_rate) + " to " +
                      show(max_rate) + ", or 0 for no limit, got '" + std::string(v) + "'");
  }
  return *d;
}

std::uint64_t parse_whole(std::string_view v, bool& ok) {
  std::uint64_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  ok = ec == std::errc() && p == v.data() + v.size();
  return n;
}

template <typename T>
T parse_count(std::string_view flag, std::string_view v, T lo, T hi) {
  bool ok = false;
  const std::uint64_t n = parse_whole(v, ok);
  if (!ok || n < static_cast<std::uint64_t>(lo) || n > static_cast<std::uint64_t>(hi)) {
    throw usage_error(std::string(flag) + " expects a whole number from " + std::to_string(lo) + " to " +
                      std::to_string(hi) + ", got '" + std::string(v) + "'");
  }
  return static_cast<T>(n);
}

/// Bytes, or KiB/MiB/GiB with a k/M/G suffix; from 1 byte to max_body.
std::size_t parse_size(std::string_view flag, std::string_view v) {
  const std::string_view given = v;
  std::uint64_t mult = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'k': case 'K': mult = std::uint64_t{1} << 10; break;
      case 'm': case 'M': mult = std::uint64_t{1} << 20; break;
      case 'g': case 'G': mult = std::uint64_t{1} << 30; break;
      default: break;
    }
    if (mult != 1) v.remove_suffix(1);
  }
  bool ok = false;
  const std::uint64_t n = parse_whole(v, ok);
  // n > max / mult: the product would be over the limit (or wrap) — checked before multiplying.
  if (!ok || n == 0 || n > max_body / mult) {
    throw usage_error(std::string(flag) +
                      " expects a size from 1 byte to 4G (bytes, or k, M, G for KiB, MiB, GiB), got '" +
                      std::string(given) + "'");
  }
  return static_cast<std::size_t>(n * mult);
}

bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// -H 'Name: value' (RFC 9110 field syntax; the value trimmed of surrounding spaces and tabs).
void add_header(options& o, std::string_view flag, std::string_view v) {
  const auto colon = v.find(':');
  const std::string_view name = v.substr(0, colon);
  if (colon == std::string_view::npos || name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
    throw usage_error(std::string(flag) +
                      " expects 'Name: value' (a name of letters, digits and !#$%&'*+-.^_`|~), got '" +
                      std::string(v) + "'");
  }
  std::string_view value = v.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      throw usage_error(std::string(flag) + " " + std::string(name) +
                        ": a header value must not contain control characters (CR, LF, NUL...)");
    }
  }
  if (corio::http::iequals(name, "Content-Length") || corio::http::iequals(name, "Transfer-Encoding")) {
    throw usage_error(std::string(flag) + " " + std::string(name) + ": corio-scrape sends no request body");
  }
  if (corio::http::iequals(name, "User-Agent")) {
    if (value.empty()) throw usage_error(std::string(flag) + " User-Agent must not be empty");
    o.user_agent = value;  // (robots.txt rules are matched against it too)
    return;
  }
  o.headers.emplace_back(name, value);
}

/// A proxy URL as given ("": no proxy); usage_error naming `what` if it is not valid.
std::string checked_proxy(std::string_view what, std::string_view v) {
  if (v.empty()) return {};
  try {
    (void)corio::http::parse_proxy(v);
  } catch (const corio::http::error& e) {
    throw usage_error(std::string(what) + ": " + e.message());
  }
  return std::string(v);
}

}  // namespace

void take_proxy_environment(options& o, const std::function<const char*(const char*)>& getenv) {
  auto env = [&](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  if (!o.proxy) {
    o.proxy = checked_proxy("the environment's http_proxy", env("http_proxy").value_or(""));
    const bool lower = env("https_proxy").has_value();
    o.https_proxy = checked_proxy(lower ? "the environment's https_proxy" : "the environment's HTTPS_PROXY",
                                  env(lower ? "https_proxy" : "HTTPS_PROXY").value_or(""));
  }
  if (!o.noproxy) o.noproxy = env("no_proxy").value_or(env("NO_PROXY").value_or(""));
}

options parse_args(int argc, const char* const* argv) {
  options o;
  using setter = std::function<void(std::string_view flag, std::string_view value)>;
  // Flags that take a value.
  const std::map<std::string_view, setter> valued = {
      {"--input", [&](auto, auto v) { o.input = v; }},
      {"--concurrency", [&](auto f, auto v) { o.concurrency = parse_count<std::size_t>(f, v, 1, 100'000); }},
      {"--per-host", [&](auto f, auto v) { o.per_host = parse_count<std::size_t>(f, v, 1, 10'000); }},
      {"--rate", [&](auto f, auto v) { o.rate = parse_rate(f, v); }},
      {"--burst", [&](auto f, auto v) { o.burst = parse_count<std::size_t>(f, v, 1, 1'000'000); }},
      {"--timeout", [&](auto f, auto v) { o.timeout = parse_seconds(f, v, 0.001, max_seconds); }},
      {"--connect-timeout", [&](auto f, auto v) { o.connect_timeout = parse_seconds(f, v, 0.001, max_seconds); }},
      {"--read-timeout", [&](auto f, auto v) { o.read_timeout = parse_seconds(f, v, 0.001, max_seconds); }},
      {"--max-time", [&](auto f, auto v) { o.max_time = parse_seconds(f, v, 0.001, max_seconds); }},
      {"--retries", [&](auto f, auto v) { o.retries = parse_count<int>(f, v, 0, 100); }},
      {"--max-retry-after", [&](auto f, auto v) { o.max_retry_after = parse_seconds(f, v, 0, max_retry_after_s); }},
      {"--max-redirects", [&](auto f, auto v) { o.max_redirects = parse_count<int>(f, v, 0, 100); }},
      {"--max-bytes", [&](auto f, auto v) { o.max_bytes = parse_size(f, v); }},
      {"--max-memory", [&](auto f, auto v) { o.max_memory = parse_size(f, v); }},
      {"--user-agent", [&](auto f, auto v) {
         if (v.empty()) throw usage_error(std::string(f) + " must not be empty");
         o.user_agent = v;
       }},
      {"--header", [&](auto f, auto v) { add_header(o, f, v); }},
      {"--request", [&](auto f, auto v) {
         if (v != "GET" && v != "HEAD") {
           throw usage_error(std::string(f) + " expects GET or HEAD, got '" + std::string(v) + "'");
         }
         o.method = v;
       }},
      {"--cacert", [&](auto f, auto v) {
         if (v.empty()) throw usage_error(std::string(f) + " needs a file name");
         o.cacert = v;
       }},
      {"--depth", [&](auto f, auto v) { o.depth = parse_count<int>(f, v, 0, 1'000'000); }},
      {"--max-urls", [&](auto f, auto v) { o.max_urls = parse_count<std::size_t>(f, v, 1, 1'000'000'000); }},
      {"--out", [&](auto, auto v) {
         if (v.empty()) throw usage_error("--out needs a file name");
         o.out = v;
       }},
      {"--save-bodies", [&](auto f, auto v) {
         if (v.empty()) throw usage_error(std::string(f) + " needs a directory");
         o.save_bodies = v;
       }},
            {"--grace", [&](auto f, auto v) { o.grace = parse_seconds(f, v, 0, max_seconds); }},
      {"--proxy", [&](auto f, auto v) { o.proxy = checked_proxy(f, v); }},
      {"--noproxy", [&](auto, auto v) { o.noproxy = v; }},
      {"--cookie-jar", [&](auto f, auto v) {
         if (v.empty()) throw usage_error(std::string(f) + " needs a file name");
         o.cookie_jar = v;
         o.cookies = true;
       }},
      {"--redis", [&](auto f, auto v) {
         if (!v.starts_with("redis://") || v.size() == 8) {
           throw usage_error(std::string(f) + " expects redis://HOST[:PORT][/DB], got '" + std::string(v) + "'");
         }
         o.redis = v;
       }},
      {"--job", [&](auto f, auto v) {
         if (v.empty() || v.size() > 200 ||
             v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") !=
                 std::string_view::npos) {
           throw usage_error(std::string(f) + " expects a name of 1 to 200 letters, digits and _.:-, got '" +
                             std::string(v) + "'");
         }
         o.job = v;
       }},
      {"--lease", [&](auto f, auto v) { o.lease = parse_seconds(f, v, 1, 86'400); }},
      {"--redis-timeout", [&](auto f, auto v) { o.redis_timeout = parse_seconds(f, v, 0.1, 86'400); }},
      {"--log-level", [&](auto f, auto v) {
         for (std::string_view l : {"trace", "debug", "info", "warn", "error", "off"}) {
           if (v == l) {
             o.log_level = v;
             return;
           }
         }
         throw usage_error(std::string(f) + " expects trace, debug, info, warn, error or off");
       }},
  };
  const std::map<std::string_view, std::string_view> short_names = {
      {"-c", "--concurrency"}, {"-i", "--input"}, {"-o", "--out"},     {"-d", "--depth"},
      {"-h", "--help"},        {"-H", "--header"}, {"-X", "--request"}, {"-V", "--version"}};
  bool only_urls = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (only_urls || a.empty() || a[0] != '-' || a == "-") {
      o.urls.emplace_back(a);
      continue;
    }
    if (a == "--") {
      only_urls = true;
      continue;
    }
    std::string_view value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string_view::npos && a.rfind("--", 0) == 0) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    std::string_view shown = a;  // as given: -H, not --header
    if (auto s = short_names.find(a); s != short_names.end()) a = s->second;
    if (a == "--help") o.help = true;
    else if (a == "--version") o.version = true;
    else if (a == "--insecure") o.insecure = true;
    else if (a == "--same-host") o.same_host = true;
    else if (a == "--robots") o.robots = true;
    else if (a == "--progress") o.progress = true;
    else if (a == "--resume") o.resume = true;
    else if (a == "--cookies") o.cookies = true;
    else if (a == "--export" || a == "--status" || a == "--cancel-job" || a == "--delete-job") {
      const auto action = a == "--export"   ? options::job_action::export_rows
                          : a == "--status" ? options::job_action::status
                          : a == "--cancel-job" ? options::job_action::cancel
                                                : options::job_action::remove;
      if (o.action != options::job_action::none && o.action != action) {
        throw usage_error("--export, --status, --cancel-job and --delete-job exclude each other");
      }
      o.action = action;
    }
    else if (auto it = valued.find(a); it != valued.end()) {
      if (!has_value) {
        if (i + 1 >= argc) throw usage_error(std::string(shown) + " needs a value");
        value = argv[++i];
      }
      it->second(shown, value);
      continue;
    } else {
      throw usage_error("unknown option '" + std::string(argv[i]) + "'");
    }
    if (has_value) throw usage_error(std::string(a) + " takes no value");
  }
  if (o.crawl() && o.max_memory < o.max_bytes) {
    throw usage_error("--max-memory must be at least --max-bytes when crawling (a page is held whole until parsed)");
  }
  if (o.resume && (o.out.empty() || o.out == "-")) {
    throw usage_error("--resume needs --out FILE: the rows already written there are what it goes on from");
  }
  if (o.method == "HEAD" && o.crawl()) {
    throw usage_error("-X HEAD cannot crawl: --depth needs the pages' bodies to find their links");
  }
  if (!o.redis.empty() && o.job.empty()) throw usage_error("--redis needs --job NAME: the job the workers share");
  if (o.redis.empty() && (!o.job.empty() || o.action != options::job_action::none)) {
    throw usage_error("--job, --export, --status, --cancel-job and --delete-job need --redis URL");
  }
  if (!o.redis.empty()) {
    if (o.resume) throw usage_error("--resume does not apply with --redis: the job on Redis is what a worker goes on from");
    if (o.action != options::job_action::none && o.action != options::job_action::export_rows && !o.urls.empty()) {
      throw usage_error("--status, --cancel-job and --delete-job take no URLs");
    }
    if (o.action == options::job_action::export_rows && (!o.urls.empty() || !o.input.empty())) {
      throw usage_error("--export takes no URLs (it writes the job's rows to --out FILE or stdout)");
    }
  }
  return o;
}

std::string usage() {
  return R"(usage: corio-scrape [options] [URL...]
Fetches URLs concurrently (or crawls from them) and writes one JSON line per URL.
URLs come from the arguments, from --input FILE, or from stdin (one per line). A URL without a
scheme (example.com/path) is fetched over http:// (with a warning); a Unicode host name is
converted to its IDNA (punycode) form. Credentials in a URL (http://user:pass@host/) are sent
as Basic authorization to that origin only, and rows show them as http://user:***@host/.

  -c, --concurrency N     requests in flight overall, 1 to 100000 (32)
      --per-host N        requests (connections) in flight per origin, 1 to 10000 (8)
      --rate R            requests per second per origin, token bucket: 0.001 to 1000000,
                          or 0 for no limit (0)
      --burst N           token bucket size for --rate, 1 to 1000000 (1)
      --timeout S         seconds per attempt, redirects included (30)
      --connect-timeout S seconds for DNS + connect + TLS handshake (10)
      --read-timeout S    seconds without any data before giving up (15)
      --max-time S        seconds per URL, everything included: attempts, retry waits,
                          Retry-After, robots.txt and its Crawl-delay; a URL cut by it gets a
                          "timeout" row saying so (no limit)
      --retries N         retries after network errors, 429 and 5xx, 0 to 100 (2)
      --max-retry-after S longest Retry-After to wait for, 0 to 86400 (60): a server asking
                          for longer is not retried, its response is the row (which says so)
      --max-redirects N   redirects to follow, 0 to 100; 0: a redirect is the row (10)
      --max-bytes N       largest body, also after decompression; k/M/G suffixes (KiB, MiB,
                          GiB), 1 to 4G (10M)
      --max-memory N      crawling: bodies held at once stay under N; k/M/G (512M): at
                          most N / --max-bytes pages are fetched at once (each is held
                          whole until parsed). Without --depth bodies are never held
  -X, --request M         GET (default) or HEAD (not with --depth: no bodies, no links)
  -H, --header 'N: V'     send this header field with every request (repeatable; replaces
                          the default field of that name; -H 'User-Agent: X' is --user-agent X)
      --user-agent UA     User-Agent header (corio-scrape/0.1)
      --cacert FILE       also trust the CA certificates in FILE (PEM)
      --insecure          do not verify TLS certificates
      --proxy URL         HTTP proxy for every URL, http://[user:pass@]host[:port] (port
                          1080 if none); https:// URLs go through a CONNECT tunnel. Without
                          it: the environment's http_proxy and https_proxy (or HTTPS_PROXY);
                          --proxy '' ignores them. Rows show a password as ***
      --noproxy LIST      hosts reached directly, comma-separated: a name also covers the
                          names under it, IP addresses or ranges (10.0.0.0/8), '*' for all;
                          ports are ignored (default: the environment's no_proxy/NO_PROXY)
      --cookies           keep the cookies servers set during the run and send them back
                          (RFC 6265: domain, path, Secure, expiry; redirects included)
      --cookie-jar FILE   --cookies, and write them to FILE at the end (Netscape format,
                          as curl -c)
  -d, --depth N           crawl: follow links N levels deep, 0 to 1000000 (0: no crawling)
      --same-host         crawl: follow links only to the hosts of the given URLs
      --max-urls N        crawl: stop discovering new URLs after N, 1 to 1000000000
      --robots            honour robots.txt (RFC 9309): its first 500 KiB; a 5xx or an
                          unreachable robots.txt disallows the origin, a 4xx allows it;
                          its Crawl-delay (at most 60 s) spaces the origin's requests
  -i, --input FILE        read URLs from FILE ("-": stdin)
  -o, --out FILE          write JSON Lines to FILE (stdout)
      --resume            go on from an earlier run into --out FILE: URLs that already
                          have a row there are skipped (interrupted rows are fetched again
                          and replaced); a crawl also requeues what it had discovered,
                          from the journal FILE.state it keeps while crawling into a file
      --save-bodies DIR   store each final response's body as DIR/ab/<sha256> (content-
                          addressed: the same body is stored once); rows get body_path and
                          sha256; a body that cannot be stored stops the run (exit 3)
      --progress          live progress bar on stderr (when it is a terminal)
      --grace S           after Ctrl-C, seconds to let requests in flight finish (5)
      --log-level L       trace, debug, info, warn, error, off (warn)

Crawling with several machines (a job on Redis; every worker runs the same command):
      --redis URL         redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: take URLs from the job
                          and record rows there (needs --job); --out gets the rows this
                          worker won. Exits 0 when the job has nothing pending nor leased.
                          Seeds are added to the job; stdin is read only with --input -.
                          The job fixes --depth --same-host --max-urls --rate --burst
                          --per-host --robots; --rate and --per-host hold for the job's
                          workers together, per origin
      --job NAME          the job: its keys are NAME:*; 1 to 200 of A-Z a-z 0-9 _.:-
      --lease S           a URL taken by a worker that does not finish it within S is
                          given to another worker, 1 to 86400 (60)
      --redis-timeout S   give up (exit 1) when Redis is unreachable for S, 0.1 to 86400
                          (60); rows fetched and not yet recorded are written to --out
      --export            write the job's rows (JSON Lines) to --out FILE or stdout
      --status            print the job's state as one JSON object
      --cancel-job        stop the job: workers finish what they hold, then exit 4
      --delete-job        remove the job's keys from Redis (refused while workers hold
                          leases: stop them, or --cancel-job and let them end)
  -h, --help              this text
  -V, --version           the version

Seconds (S) may have a fraction: 0.001 to 1000000 (--grace from 0).

Each row: url, final_url, status, content_type, bytes (decoded), elapsed_ms, attempts,
error_kind, error, redirects, http_version, remote_ip, wire_bytes (before decoding),
content_encoding, timestamp, queue_ms, ttfb_ms; with --robots robots_wait_ms; with
--save-bodies body_path, sha256; crawling, depth, title (UTF-8, converted from the page's
charset), links. queue_ms is the wait once the URL's turn came (robots.txt, Crawl-delay, --rate,
a connection slot); elapsed_ms is the fetch itself, ttfb_ms its part until the first byte.

Input is read as the run goes: a list on a pipe is fetched while it is still being written.
Every write is checked: when one fails (disk full, a closed pipe), the run stops, says what
failed and how many rows are not written, and the output ends with the last whole row.

Ctrl-C (or SIGTERM) stops scheduling, lets requests in flight finish (--grace), writes their
rows and the summary, listing every URL not attempted. A second Ctrl-C cancels the requests in
flight at once (their rows say "cancelled by a second interrupt"). A third one ends the process
on the spot: the rows of requests still in flight and the summary are lost; --out holds whole
rows only, and --resume goes on from there.

Exit status: 0 when the run completed (even if some URLs failed), 1 for set-up errors (a file
that cannot be opened), 2 for usage errors, 3 when a write to the output (or of a body) failed,
4 when the job was cancelled (--redis), 130 when interrupted by Ctrl-C (SIGINT; 143 for SIGTERM).
)";
}

std::string_view url_in_line(std::string_view line) noexcept {
  const auto b = line.find_first_not_of(" \t\r");
  if (b == std::string_view::npos || line[b] == '#') return {};
  const auto e = line.find_last_not_of(" \t\r");
  return line.substr(b, e - b + 1);
}

void read_urls(std::istream& in, const std::function<void(std::string)>& each) {
  std::string line;
  while (std::getline(in, line)) {
    if (auto u = url_in_line(line); !u.empty()) each(std::string(u));
  }
}

std::vector<std::string> read_urls(std::istream& in) {
  std::vector<std::string> out;
  read_urls(in, [&](std::string u) { out.push_back(std::move(u)); });
  return out;
}

}  // namespace scrape
