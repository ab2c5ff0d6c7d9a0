#include "scrape/options.hpp"

#include <corio/http/error.hpp>
#include <corio/http/proxy.hpp>

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <string_view>

namespace scrape {

namespace {

double parse_number(std::string_view flag, std::string_view v, double min) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d) || d < min) {
    throw usage_error(std::string(flag) + " expects a number" + (min > 0 ? " greater than 0" : " of at least 0") +
                      ", got '" + std::string(v) + "'");
  }
  return d;
}

std::size_t parse_count(std::string_view flag, std::string_view v, std::size_t min) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < min) {
    throw usage_error(std::string(flag) + " expects a whole number of at least " + std::to_string(min) + ", got '" +
                      std::string(v) + "'");
  }
  return n;
}

std::size_t parse_size(std::string_view flag, std::string_view v) {
  std::size_t mult = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'k': case 'K': mult = std::size_t{1} << 10; break;
      case 'm': case 'M': mult = std::size_t{1} << 20; break;
      case 'g': case 'G': mult = std::size_t{1} << 30; break;
      default: break;
    }
    if (mult != 1) v.remove_suffix(1);
  }
  return parse_count(flag, v, 1) * mult;
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
      {"--concurrency", [&](auto f, auto v) { o.concurrency = parse_count(f, v, 1); }},
      {"--per-host", [&](auto f, auto v) { o.per_host = parse_count(f, v, 1); }},
      {"--rate", [&](auto f, auto v) { o.rate = parse_number(f, v, 0); }},
      {"--burst", [&](auto f, auto v) { o.burst = parse_count(f, v, 1); }},
      {"--timeout", [&](auto f, auto v) { o.timeout = parse_number(f, v, 1e-3); }},
      {"--connect-timeout", [&](auto f, auto v) { o.connect_timeout = parse_number(f, v, 1e-3); }},
      {"--read-timeout", [&](auto f, auto v) { o.read_timeout = parse_number(f, v, 1e-3); }},
      {"--retries", [&](auto f, auto v) { o.retries = static_cast<int>(parse_count(f, v, 0)); }},
      {"--max-bytes", [&](auto f, auto v) { o.max_bytes = parse_size(f, v); }},
      {"--user-agent", [&](auto f, auto v) {
         if (v.empty()) throw usage_error(std::string(f) + " must not be empty");
         o.user_agent = v;
       }},
      {"--depth", [&](auto f, auto v) { o.depth = static_cast<int>(parse_count(f, v, 0)); }},
      {"--max-urls", [&](auto f, auto v) { o.max_urls = parse_count(f, v, 1); }},
      {"--out", [&](auto, auto v) {
         if (v.empty()) throw usage_error("--out needs a file name");
         o.out = v;
       }},
      {"--grace", [&](auto f, auto v) { o.grace = parse_number(f, v, 0); }},
      {"--proxy", [&](auto f, auto v) { o.proxy = checked_proxy(f, v); }},
      {"--noproxy", [&](auto, auto v) { o.noproxy = v; }},
      {"--cookie-jar", [&](auto f, auto v) {
         if (v.empty()) throw usage_error(std::string(f) + " needs a file name");
         o.cookie_jar = v;
         o.cookies = true;
       }},
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
      {"-c", "--concurrency"}, {"-i", "--input"}, {"-o", "--out"}, {"-d", "--depth"}, {"-h", "--help"}};
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
    if (auto s = short_names.find(a); s != short_names.end()) a = s->second;
    if (a == "--help") o.help = true;
    else if (a == "--insecure") o.insecure = true;
    else if (a == "--same-host") o.same_host = true;
    else if (a == "--robots") o.robots = true;
    else if (a == "--progress") o.progress = true;
    else if (a == "--resume") o.resume = true;
    else if (a == "--cookies") o.cookies = true;
    else if (auto it = valued.find(a); it != valued.end()) {
      if (!has_value) {
        if (i + 1 >= argc) throw usage_error(std::string(a) + " needs a value");
        value = argv[++i];
      }
      it->second(a, value);
      continue;
    } else {
      throw usage_error("unknown option '" + std::string(argv[i]) + "'");
    }
    if (has_value) throw usage_error(std::string(a) + " takes no value");
  }
  if (o.resume && (o.out.empty() || o.out == "-")) {
    throw usage_error("--resume needs --out FILE: the rows already written there are what it goes on from");
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

  -c, --concurrency N     requests in flight overall (32)
      --per-host N        requests (connections) in flight per origin (8)
      --rate R            requests per second per origin, token bucket (unlimited)
      --burst N           token bucket size for --rate (1)
      --timeout S         seconds per attempt, redirects included (30)
      --connect-timeout S seconds for DNS + connect + TLS handshake (10)
      --read-timeout S    seconds without any data before giving up (15)
      --retries N         retries after network errors, 429 and 5xx (2)
      --max-bytes N       largest body, also after decompression; k/M/G suffixes (10M)
      --user-agent UA     User-Agent header (corio-scrape/0.1)
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
  -d, --depth N           crawl: follow links N levels deep (0: no crawling)
      --same-host         crawl: follow links only to the hosts of the given URLs
      --max-urls N        crawl: stop discovering new URLs after N
      --robots            honour robots.txt (RFC 9309): its first 500 KiB; a 5xx or an
                          unreachable robots.txt disallows the origin, a 4xx allows it;
                          its Crawl-delay (at most 60 s) spaces the origin's requests
  -i, --input FILE        read URLs from FILE ("-": stdin)
  -o, --out FILE          write JSON Lines to FILE (stdout)
      --resume            go on from an earlier run into --out FILE: URLs that already
                          have a row there are skipped (interrupted rows are fetched again
                          and replaced); a crawl also requeues what it had discovered,
                          from the journal FILE.state it keeps while crawling into a file
      --progress          live progress bar on stderr (when it is a terminal)
      --grace S           after Ctrl-C, seconds to let requests in flight finish (5)
      --log-level L       trace, debug, info, warn, error, off (warn)
  -h, --help              this text

Each row: url, final_url, status, content_type, bytes, elapsed_ms, attempts, error_kind,
error; with --robots robots_wait_ms (time spent waiting for robots.txt and its Crawl-delay
before the request, not included in elapsed_ms); crawling, depth, title (UTF-8, converted from
the page's charset), links.

Input is read as the run goes: a list on a pipe is fetched while it is still being written.
Every write is checked: when one fails (disk full, a closed pipe), the run stops, says what
failed and how many rows are not written, and the output ends with the last whole row.

Ctrl-C (or SIGTERM) stops scheduling, lets requests in flight finish (--grace), writes their
rows and the summary, listing every URL not attempted. A second Ctrl-C cancels the requests in
flight at once (their rows say "cancelled by a second interrupt"). A third one ends the process
on the spot: the rows of requests still in flight and the summary are lost; --out holds whole
rows only, and --resume goes on from there.

Exit status: 0 when the run completed (even if some URLs failed), 1 for set-up errors (a file
that cannot be opened), 2 for usage errors, 3 when a write to the output failed (rows lost),
130 when interrupted by Ctrl-C (SIGINT; 143 for SIGTERM).
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
