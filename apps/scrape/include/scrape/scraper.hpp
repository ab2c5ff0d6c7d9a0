// scrape/scraper.hpp — corio-scrape's engine: fetch a list of URLs, or crawl from them, with
// global and per-origin concurrency limits, per-origin rate limits, retries and robots.txt; one
// JSON line per URL written as results arrive; a summary at the end.
//
//   scrape::scraper s(opts, std::cout, &std::cerr);
//   scrape::summary sum = co_await s.run(seeds);
//
// Scheduling: URLs wait in per-origin queues served round-robin, so one slow origin cannot take
// every slot; at most `concurrency` requests run at once, at most `per_host` per origin (which is
// also the client's connection limit). Crawl mode (depth > 0): HTML pages are parsed for links;
// each normalised URL is fetched at most once; with same_host only the hosts of the starting URLs
// (those given on the command line or as input) are followed.
// Interrupting (interrupt(), SIGINT via run_cli): the first call stops scheduling and
// gives requests in flight `grace` seconds, then cancels them (each gets a row with error_kind
// "interrupted" saying why: the grace period or a second interrupt); a second call cancels them at
// once. Every seed (and every discovered URL) ends with a row or in summary::not_attempted() —
// nothing is lost; the rows written are complete lines.
// Output: every write is checked. When one fails (disk full, a closed pipe), the run stops as
// after a second interrupt, writes nothing more, and the summary says what failed and how many
// rows are not written (summary::write_error()); the output holds whole lines only (output.hpp).
// Input: with open_input(), seeds may be fed while run() runs (a list read from a pipe as it
// comes); run() then ends only after close_input().
// Cookies (options::cookies): one jar for the run, shared by every request (robots.txt ones too),
// RFC 6265's rules (corio/http/cookies.hpp); with options::cookie_jar it is written there in the
// Netscape format when run() ends (a failure to write it is logged, the rows are unaffected).
// Resuming (resume()): URLs done in an earlier run are skipped, a crawl's frontier is requeued,
// and crawling with a journal records what is discovered and finished (resume.hpp).
// Limits per URL: max_time bounds everything a URL does (robots.txt and its Crawl-delay, every
// attempt, backoff and Retry-After wait): at the cap the URL gets a "timeout" row saying so. A
// Retry-After over max_retry_after is not waited for: the status is the row, which says why.
//
// Cancellation: cancelling run() cancels every request at once and throws operation_aborted (no
// summary); use interrupt() for a graceful stop.
// Exceptions: corio::exception_group only for bugs (every expected failure is a row).
// Thread safety: executor-affine; interrupt() must be called on the executor running run().
#pragma once

#include "scrape/options.hpp"
#include "scrape/output.hpp"
#include "scrape/report.hpp"
#include "scrape/resume.hpp"

#include <corio/config.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scrape {

/// Distributed mode (redis_job.hpp): a job elsewhere keeps the frontier and decides which rows
/// count; the scraper fetches what it is fed and hands back rows and links.
struct external_frontier {
  /// The links of a crawled page (normalised http(s) URLs, not deduplicated, not filtered by
  /// same_host or max_urls: the job does that), to be queued at `depth`.
  std::function<void(std::vector<std::string> links, int depth)> links;
  /// Every row, in place of the output: `fed` is the URL as given to feed() (the row's own url
  /// may differ: credentials redacted), `line` the row's JSON (no newline), `failed` whether it
  /// is an error row, `final` whether it counts as done (false: interrupted), `landed` where a
  /// crawled page redirected to, normalised (empty: it did not, or not crawling) — a URL the job
  /// should count as seen.
  std::function<void(const std::string& fed, std::string line, bool failed, bool final, const std::string& landed)> row;
  /// Optional: awaited before each request is written (http::client_options::pacer), in place
  /// of the local --rate, which the caller then enforces (a rate shared by several workers).
  std::function<corio::awaitable<void>(const std::string& origin)> pace;
  /// Optional: the requests allowed in flight to an origin ("scheme://host:port", as demand()
  /// names it) now, at most per_host: the caller's share of a limit shared with other workers.
  /// When it grows, call reschedule().
  std::function<std::size_t(const std::string& origin)> allowance;
};

class scraper {
public:
  /// `out` receives the JSON lines (whole lines, flushed whenever the scraper waits for a result,
  /// so in batches under load); `progress`, if given, a live progress line.
  scraper(options opts, std::ostream& out, std::ostream* progress = nullptr);
  /// The same with the rows going to `out`, and, crawling, the journal (resume.hpp) to `journal`
  /// if given (its header already written). Both must outlive the scraper.
  scraper(options opts, sink& out, std::ostream* progress = nullptr, sink* journal = nullptr);
  ~scraper();
  scraper(const scraper&) = delete;
  scraper& operator=(const scraper&) = delete;

  /// Queues `seeds` after those given to add(), then fetches until every URL has its row.
  /// A scraper runs once (a second run() throws std::logic_error).
  [[nodiscard]] corio::awaitable<summary> run(std::vector<std::string> seeds);
  /// Queues one seed before run(), as run() queues its own: a long list can be streamed in without
  /// being held twice. A bad URL gets its row at once. Throws std::logic_error once run() started.
  void add(std::string url);
  /// How many seeds add() and feed() were given.
  [[nodiscard]] std::size_t added() const noexcept;
  /// Before run(): goes on from an earlier run. Seeds it has a final row for are skipped (counted
  /// in summary::skipped()); crawling, the URLs it discovered but did not finish are queued first.
  /// Throws std::logic_error once run() started.
  void resume(previous_run prev);
  /// Before run(): more seeds will come through feed() while run() runs; run() does not end
  /// before close_input() (nor before requests in flight end, after an interrupt).
  void open_input();
  /// After open_input(): queues one more seed, like add(). Returns false once the scraper takes
  /// no more URLs (interrupted, stopped by a write failure, finished, or the input closed): the
  /// caller keeps the URL as not attempted. Throws std::logic_error without open_input().
  bool feed(std::string url);
  void close_input();
  /// Before run(): the frontier is external (set both callbacks). Seeds are then fed with their
  /// depth, none is deduplicated here, no row goes to the output, and crawling keeps no set of
  /// the URLs seen (memory does not grow with the crawl). Throws std::logic_error once run() started.
  void set_external(external_frontier f);
  /// feed() at a crawl depth (external frontier: the depth the job queued the URL at).
  bool feed(std::string url, int depth);
  /// URLs queued or in flight.
  [[nodiscard]] std::size_t holding() const noexcept;
  struct origin_load {
    std::string origin;  ///< "scheme://host:port", lower case
    std::size_t in_flight = 0;
    std::size_t queued = 0;
  };
  /// The origins with URLs queued or in flight.
  [[nodiscard]] std::vector<origin_load> demand() const;
  /// Requests in flight at most (concurrency, or what --max-memory allows crawling).
  [[nodiscard]] std::size_t max_in_flight() const noexcept;
  /// Starts what may start now (after external_frontier::allowance grew).
  void reschedule();
  /// True once the scraper takes no more URLs (see feed()).
  [[nodiscard]] bool stopped() const noexcept;
  void interrupt();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// The URL a seed is fetched as and named by in its row: "http://" added when it has no scheme,
/// normalised when crawling; the seed as given when it is not a URL (its row is an error row).
/// `credentials` is set when the URL has user info.
[[nodiscard]] std::string fetched_url(std::string_view seed, bool crawl, bool* credentials = nullptr);

/// Exit statuses of corio-scrape beyond 0 (completed), 1 (set-up error) and 2 (usage error).
inline constexpr int exit_write_error = 3;   ///< a write to the output or the journal failed
inline constexpr int exit_job_cancelled = 4;  ///< --redis: the job was cancelled (--cancel-job)
inline constexpr int exit_interrupted = 130;  ///< SIGINT (128 + the signal; SIGTERM gives 143)

/// main()'s body after argument parsing: takes the proxy settings the command line left to the
/// environment (take_proxy_environment), reads the input as the run goes (a list on a pipe is
/// fetched as it arrives), opens the output, runs with SIGINT/SIGTERM handled from the start (the
/// first two signals call interrupt(), a third ends the process with the default action), prints
/// the summary to `err`. `in_fd` is stdin. Returns the exit status. Throws setup_error (a file
/// that cannot be opened, a --cacert file without a usable certificate: checked before anything
/// is read or written) and usage_error (no URLs, an invalid proxy URL in the environment).
int run_cli(const options& o, int in_fd, std::ostream& err);

}  // namespace scrape
