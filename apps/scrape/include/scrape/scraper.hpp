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
// each normalised URL is fetched at most once; with same_host only the seeds' hosts are followed.
// Interrupting (interrupt(), SIGINT via run_with_signals): the first call stops scheduling and
// gives requests in flight `grace` seconds, then cancels them (each gets a row with error_kind
// "interrupted"); a second call cancels them at once. Every seed (and every discovered URL) ends
// with a row or in summary::not_attempted() — nothing is lost; the rows written are complete lines.
//
// Cancellation: cancelling run() cancels every request at once and throws operation_aborted (no
// summary); use interrupt() for a graceful stop.
// Exceptions: corio::exception_group only for bugs (every expected failure is a row).
// Thread safety: executor-affine; interrupt() must be called on the executor running run().
#pragma once

#include "scrape/options.hpp"
#include "scrape/report.hpp"

#include <corio/config.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace scrape {

class scraper {
public:
  /// `out` receives the JSON lines (whole lines, flushed whenever the scraper waits for a result,
  /// so in batches under load); `progress`, if given, a live progress line.
  scraper(options opts, std::ostream& out, std::ostream* progress = nullptr);
  ~scraper();
  scraper(const scraper&) = delete;
  scraper& operator=(const scraper&) = delete;

  /// Queues `seeds` after those given to add(), then fetches until every URL has its row.
  /// A scraper runs once (a second run() throws std::logic_error).
  [[nodiscard]] corio::awaitable<summary> run(std::vector<std::string> seeds);
  /// Queues one seed before run(), as run() queues its own: a long list can be streamed in without
  /// being held twice. A bad URL gets its row at once. Throws std::logic_error once run() started.
  void add(std::string url);
  /// How many seeds add() was given.
  [[nodiscard]] std::size_t added() const noexcept;
  void interrupt();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// run() with SIGINT/SIGTERM handled: the first two signals call interrupt(), a third one
/// ends the process with the default action. (Seeds given to s.add() before are fetched too.)
[[nodiscard]] corio::awaitable<summary> run_with_signals(scraper& s, std::vector<std::string> seeds);

/// main()'s body after argument parsing: reads the input, opens the output, runs, prints the
/// summary to `err`. Returns the exit status. Throws setup_error (cannot open a file) and
/// usage_error (no URLs).
int run_cli(const options& o, std::istream& in, std::ostream& err);

class setup_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

}  // namespace scrape
