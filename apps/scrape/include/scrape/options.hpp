// scrape/options.hpp — corio-scrape's command line: what to fetch and how politely.
//
// parse_args() turns argv into `options` or throws usage_error with one sentence (also for a
// combination that cannot work: --resume without --out FILE, -X HEAD with --depth); usage() is the
// --help text. Durations are in seconds (fractions allowed), sizes accept k/M/G suffixes (1024).
// Every number is range-checked (the ranges are in usage() and in the usage_error's sentence): a
// value that would overflow a std::chrono duration, wrap a size or an int, or round a rate to "no
// limit" is a usage error, never a silently different setting. A -H header is checked as an HTTP
// field (a token name, no control characters in the value); -H 'User-Agent: x' is --user-agent x.
// Files named by options (--input, --cacert) are not opened here: run_cli reports them as setup_error.
//
// Cancellation: not applicable.  Exceptions: usage_error.
// Thread safety: pure functions.
#pragma once

#include <corio/exception_group.hpp>

#include <cstddef>
#include <istream>
#include <stdexcept>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scrape {

class usage_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A file that cannot be read or written before the run starts (exit status 1).
class setup_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Rethrows the first usage_error or setup_error in `eg` (what main() explains in one line);
/// returns if it holds neither (a bug stays an exception_group).
void rethrow_user_error(const corio::exception_group& eg);

struct options {
  std::vector<std::string> urls;  ///< positional arguments
  std::string input;              ///< --input FILE ("-": stdin)
  std::size_t concurrency = 32;   ///< requests in flight overall
  std::size_t per_host = 8;       ///< requests in flight (= connections) per origin
  double rate = 0;                ///< requests per second per origin (0: unlimited)
  std::size_t burst = 1;
  double timeout = 30;            ///< seconds per attempt (redirects included)
  double connect_timeout = 10;
  double read_timeout = 15;
  int retries = 2;
  std::size_t max_bytes = std::size_t{10} << 20;
  /// Crawling: bodies held at once stay under this (max(1, max_memory / max_bytes) pages in flight).
  std::size_t max_memory = std::size_t{512} << 20;
  std::string user_agent = "corio-scrape/0.1";
  /// -H/--header, in order (never User-Agent: that one sets user_agent); sent with every request.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string method = "GET";     ///< -X/--request: GET or HEAD
  int max_redirects = 10;         ///< 0: a redirect is the URL's row (not followed)
  std::string cacert;             ///< --cacert FILE: extra trusted CA certificates (PEM)
  double max_time = 0;            ///< seconds per URL, everything included (0: no cap)
  double max_retry_after = 60;    ///< a longer Retry-After is not waited for: no retry
  bool insecure = false;
  int depth = 0;                  ///< crawl: follow links this many levels (0: no crawling)
  bool same_host = false;
  bool robots = false;
  std::size_t max_urls = 0;       ///< crawl: stop discovering after this many URLs (0: no limit)
  std::string out;                ///< --out FILE (JSON Lines; default stdout)
  std::string save_bodies;        ///< --save-bodies DIR: bodies stored by SHA-256 ("": not kept)
  bool resume = false;            ///< --resume: go on from what --out (and its .state) hold
  bool progress = false;
  double grace = 5;               ///< seconds in-flight requests get after SIGINT
  std::optional<std::string> proxy;        ///< --proxy URL for every scheme ("": none, nor the environment's)
  std::optional<std::string> https_proxy;  ///< for https:// in place of `proxy` (from the environment)
  std::optional<std::string> noproxy;      ///< --noproxy LIST (curl's NO_PROXY syntax)
  bool cookies = false;                    ///< --cookies: one cookie jar for the run
  std::string cookie_jar;                  ///< --cookie-jar FILE: the jar written there at the end
  // Distributed mode (redis_job.hpp): a job on Redis shared by every worker running it.
  std::string redis;              ///< --redis redis://HOST[:PORT][/DB] ("": not distributed)
  std::string job;                ///< --job NAME: the job's keys are NAME:...
  double lease = 60;              ///< --lease S: a URL taken and not finished is given out again after S
  double redis_timeout = 60;      ///< --redis-timeout S: how long Redis may be unreachable before giving up
  /// --export, --status, --cancel-job, --delete-job: act on the job instead of crawling.
  enum class job_action { none, export_rows, status, cancel, remove };
  job_action action = job_action::none;
  std::string log_level = "warn";
  bool help = false;
  bool version = false;

  [[nodiscard]] bool crawl() const noexcept { return depth > 0; }
};

/// Parses argv (argv[0] is skipped). Throws usage_error.
[[nodiscard]] options parse_args(int argc, const char* const* argv);

/// Fills in what the environment says when the command line did not: `proxy` from http_proxy
/// (lower case only, as curl: HTTP_PROXY may come from a CGI request's Proxy header) and
/// `https_proxy` from https_proxy or HTTPS_PROXY, unless --proxy was given (it then serves every
/// scheme); `noproxy` from no_proxy or NO_PROXY unless --noproxy was given. `getenv` looks a
/// variable up (nullptr or "": unset). Afterwards `proxy`, `https_proxy` (unless --proxy) and
/// `noproxy` are set (empty: none). Throws usage_error for a proxy URL that is not valid.
void take_proxy_environment(options& o, const std::function<const char*(const char*)>& getenv);

/// The --help text.
[[nodiscard]] std::string usage();

/// The URL a line of a list holds: trimmed; empty for a blank line or a '#' comment.
[[nodiscard]] std::string_view url_in_line(std::string_view line) noexcept;
/// URLs from a stream: one per line; blank lines and lines starting with '#' are skipped.
[[nodiscard]] std::vector<std::string> read_urls(std::istream& in);
/// The same, one URL at a time to `each`, in order, as they are read (a long list is never held).
void read_urls(std::istream& in, const std::function<void(std::string)>& each);

}  // namespace scrape
