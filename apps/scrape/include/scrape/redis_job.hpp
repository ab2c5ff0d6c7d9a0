// scrape/redis_job.hpp — corio-scrape's distributed mode: a crawl (or a list) shared by any number
// of workers through a job on Redis, and the commands that inspect and end it.
//
//   corio-scrape --redis redis://127.0.0.1:6379 --job site -d 3 --same-host -o w1.jsonl https://site/
//   corio-scrape --redis redis://127.0.0.1:6379 --job site --status       # one JSON object
//   corio-scrape --redis redis://127.0.0.1:6379 --job site --export -o all.jsonl
//
// The job's keys (NAME:...): options (hash: the job options, fixed by the first worker), seen (set:
// 64-bit hashes of every URL the job knows), pending (list of "DEPTH<TAB>URL", FIFO), leased
// (sorted set of "DEPTH<TAB>URL" scored by lease expiry, ms; a URL leaves it when its row is
// recorded), results (stream: url, row — the job's record), finishes (hash: worker → the number
// and answer of its last batch of rows), counts (hash: done, failed, and the rows of the current
// and previous 10-second buckets), origins (hash: "scheme://host:port" → rows recorded), hosts
// (set: the seeds' hosts, for corio-scrape's --same-host option), workers (sorted set: worker → last seen, ms), pace
// (hash: origin → the GCRA time of its next request, µs: --rate across workers), holds (hash:
// origin → the request slots each worker holds: --per-host across workers), adding (sorted set:
// the workers adding seeds → until when, ms).
// Every step is one Lua script, so it is atomic: adding URLs (a URL the job has seen is a no-op);
// leasing (expired leases are taken back first, then pending URLs move to leased); finishing
// (first wins: a URL's row is appended to results in the same step that marks it done, so the
// stream holds each URL once whatever dies when); the finished check (pending and leased both
// empty). Times are Redis's own (TIME), so the workers' clocks do not matter.
// redis_frontier is the job's operations; run_redis_cli is corio-scrape's --redis mode.
//
// Cancellation: every operation is a cancellable corio::redis call.
// Exceptions: corio::redis::error (the server unreachable, a reply not of the job's shape),
// job_conflict (a worker's options differ from the job's), setup_error (no such job).
// Thread safety: executor-affine, like corio::redis::client.
#pragma once

#include "scrape/options.hpp"
#include "scrape/output.hpp"

#include <corio/config.hpp>
#include <corio/redis/client.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace scrape {

/// A worker's options differ from those its job was created with (exit status 2).
class job_conflict : public usage_error {
public:
  using usage_error::usage_error;
};

class redis_frontier {
public:
  redis_frontier(corio::redis::client& c, std::string job, std::string worker);

  /// Creates the job with the crawl options of `o` (depth, same-host, max-urls, rate, per-host,
  /// robots), or checks them against the job's. Throws job_conflict naming the first difference.
  [[nodiscard]] corio::awaitable<void> create_or_check(const options& o);
  /// Adds URLs at `depth` (each with its host, for --same-host): those the job has not seen go to
  /// pending. Depth 0 (seeds) records their hosts, is not capped by max-urls, and marks this
  /// worker as adding seeds (the job is not finished until done_adding(), or a minute after its
  /// last batch). Returns how many were new.
  [[nodiscard]] corio::awaitable<std::size_t> add(std::vector<std::pair<std::string, std::string>> url_hosts,
                                                  int depth);

  /// Marks this worker as adding seeds before its first add() (as add() of seeds does).
  [[nodiscard]] corio::awaitable<void> start_adding();
  /// This worker has added all its seeds.
  [[nodiscard]] corio::awaitable<void> done_adding();

  struct leased_url {
    std::string member;  ///< "DEPTH<TAB>URL", as the job keeps it
    std::string url;
    int depth = 0;
  };
  struct lease_result {
    bool cancelled = false;
    std::vector<leased_url> urls;
  };
  /// Leases up to `n` URLs for `lease_ms` (expired leases first, then pending ones): step() with
  /// nothing else.
  [[nodiscard]] corio::awaitable<lease_result> lease(std::size_t n, long long lease_ms);
  /// Extends the leases still held (those another worker took back are left alone).
  [[nodiscard]] corio::awaitable<void> renew(const std::vector<std::string>& members, long long lease_ms);

  struct finishing {
    std::string member;
    std::string url;
    std::string line;  ///< the row's JSON
    bool failed = false;
    std::string landed;  ///< where the page redirected to (counted as seen), or empty
  };
  /// Records the rows: each URL still leased (by this worker, or by another after this one's
  /// lease expired) is marked done by dropping its lease and has its row appended to results;
  /// a URL another worker recorded already is left alone. Returns, per row, whether it was this
  /// worker's (first wins; a batch sent again after a lost reply gets the same answer). step()
  /// with the rows only.
  [[nodiscard]] corio::awaitable<std::vector<bool>> finish(const std::vector<finishing>& rows);
  /// One origin's request slots (--per-host, shared by the job's workers) asked for.
  struct hold_request {
    std::string origin;
    std::size_t busy = 0;  ///< requests this worker has in flight there (never taken away)
    std::size_t want = 0;  ///< slots it could use now (0: it gives them all back)
  };
  /// Asks for slots: per request, the requests this worker may have in flight there now (its
  /// grant; it holds at least `busy` until those end; see the script in the source for how the
  /// slots are shared). They expire after `ttl_ms` unless asked for again.
  [[nodiscard]] corio::awaitable<std::vector<std::size_t>> hold(const std::vector<hold_request>& requests,
                                                               std::size_t per_host, long long ttl_ms);
  /// Reserves the times of `n` requests to `origin` under the job's rate (GCRA: one every
  /// 1/rate s, bursts of `burst`): per request, how long from now it may be sent.
  [[nodiscard]] corio::awaitable<std::vector<std::chrono::microseconds>> pace(const std::string& origin, std::size_t n,
                                                                             double rate, std::size_t burst);
  using url_host_list = std::vector<std::pair<std::string, std::string>>;
  struct step_result {
    std::vector<bool> won;  ///< per row, as finish()
    lease_result leased;    ///< as lease() (empty when no lease was asked for)
    std::vector<std::size_t> held;  ///< per hold request, as hold()
  };
  /// One round trip (scripts sent with EVAL in one pipelined batch, in this order): marks where
  /// the pages of `rows` landed (redirects) as seen, adds each group of links at its depth
  /// (before the rows: a page recorded has its links in the job), records `rows`, asks for the slots in `holds` (with
  /// `per_host`, for `lease_ms`), then leases up to `lease_n` URLs (0: none).
  [[nodiscard]] corio::awaitable<step_result> step(const std::vector<std::pair<url_host_list, int>>& adds,
                                                   const std::vector<finishing>& rows, std::size_t lease_n,
                                                   long long lease_ms, const std::vector<hold_request>& holds = {},
                                                   std::size_t per_host = 0);
  /// Gives leases back to pending (a worker stopping with URLs it did not finish).
  [[nodiscard]] corio::awaitable<void> release(const std::vector<std::string>& members);
  enum class job_state { running, finished, cancelled };
  /// finished: no URL is pending nor leased and no worker is adding seeds (checked atomically);
  /// cancelled: --cancel-job.
  [[nodiscard]] corio::awaitable<job_state> state();

  /// The job's state as one JSON object (no newline); workers seen within `window_s` seconds.
  /// Throws setup_error when the job does not exist.
  [[nodiscard]] corio::awaitable<std::string> status(int window_s = 60);
  /// Writes every row of the job to `out`, in the order recorded. Returns how many.
  [[nodiscard]] corio::awaitable<std::size_t> export_rows(sink& out);
  /// Marks the job cancelled: workers stop leasing. Throws setup_error when there is no such job.
  [[nodiscard]] corio::awaitable<void> cancel();
  /// Deletes the job's keys; returns how many existed. Throws setup_error, deleting nothing, while
  /// workers hold leases that have not expired.
  [[nodiscard]] corio::awaitable<long long> remove();

  /// Round trips made, for the worker's summary (batching at a glance).
  struct call_counts {
    std::size_t round_trips = 0, leases = 0, leased_urls = 0, adds = 0, finishes = 0, finished_rows = 0, renewals = 0,
                checks = 0, holds = 0, paces = 0;
  };
  [[nodiscard]] const call_counts& counts() const noexcept { return counts_; }

  /// After step() threw: the answer for its rows if Redis recorded them before another script of
  /// the step failed (per row, as finish()), else nothing (whether they were recorded is unknown).
  [[nodiscard]] const std::optional<std::vector<bool>>& answer_before_failure() const noexcept {
    return answer_before_failure_;
  }

private:
  [[nodiscard]] std::string key(const char* what) const { return job_ + ":" + what; }
  call_counts counts_;
  std::uint64_t finish_batch_ = 0;  ///< the number of the next batch of rows
  std::optional<std::vector<bool>> answer_before_failure_;
  corio::redis::client& c_;
  std::string job_;
  std::string worker_;
};

/// run_cli for --redis: the job actions (--status, --export, --cancel-job, --delete-job) or a
/// worker. Returns the exit status. Throws usage_error, job_conflict, setup_error.
int run_redis_cli(const options& o, int in_fd, std::ostream& err);

}  // namespace scrape
