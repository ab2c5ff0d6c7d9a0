// scrape/report.hpp — corio-scrape's output: one JSON line per URL, and the summary at the end.
//
// A row's keys, always present and in this order: url, final_url, status, content_type, bytes
// (the body, decoded), elapsed_ms, attempts, error_kind, error, redirects (the URLs redirected
// from, in order), http_version ("1.1", "1.0"), remote_ip, wire_bytes (the body as received, before
// decoding), content_encoding, timestamp (when the URL's turn came: ISO 8601, UTC, milliseconds),
// queue_ms, ttfb_ms — with --robots robots_wait_ms — with --save-bodies body_path and sha256 — and
// in crawl mode depth, title, links.
// Timing: queue_ms is the time the URL waited once its turn came: for robots.txt and its
// Crawl-delay, the origin's --rate and a connection slot; elapsed_ms is the fetch itself (every
// attempt, its backoff, redirects; no waiting in the queue), ttfb_ms the part of it until the
// first byte of the last response. robots_wait_ms is the robots.txt share of queue_ms.
// status, content_type, error_kind, error, http_version, remote_ip, content_encoding, ttfb_ms,
// body_path and sha256 are null when they do not apply (error is null exactly when a response
// arrived with a status below 400). error_kind is a corio::http::errc name, or
// "http_status", "robots" (disallowed by robots.txt) or "interrupted" (cancelled after SIGINT).
// A URL cut by --max-time is a "timeout" row whose error says so; its attempts are those started
// before the cap (0 if it came before the request was sent).
//
// Cancellation: not applicable.  Exceptions: std::bad_alloc only.
// Thread safety: value types; summary is not synchronised.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scrape {

struct row {
  std::string url;
  std::string final_url;
  std::optional<unsigned> status;
  std::string content_type;
  std::uint64_t bytes = 0;
  double elapsed_ms = 0;
  int attempts = 0;
  std::string error_kind;  ///< empty: no error
  std::string error;
  std::vector<std::string> redirects;
  std::string http_version;
  std::string remote_ip;
  std::uint64_t wire_bytes = 0;
  std::string content_encoding;
  std::string timestamp;
  double queue_ms = 0;
  std::optional<double> ttfb_ms;
  /// With --robots: how long the URL waited for its origin's robots.txt and Crawl-delay.
  std::optional<double> robots_wait_ms;
  /// With --save-bodies (the key is absent otherwise; "" is null): where the body is, its SHA-256.
  std::optional<std::string> body_path;
  std::string sha256;
  // crawl mode
  int depth = 0;
  std::optional<std::string> title;
  std::optional<std::size_t> links;
};

/// The row as one line of JSON (no trailing newline). `bodies` (--save-bodies): body_path and
/// sha256 are present even when the row has none.
[[nodiscard]] std::string to_json_line(const row& r, bool crawl, bool bodies = false);

class summary {
public:
  void add(const row& r);
  void set_elapsed(double seconds) { elapsed_s_ = seconds; }
  /// Crawling: URLs known (fetched, queued or skipped as seen; at most --max-urls) and the most
  /// that waited in the queue at once.
  void set_frontier(std::size_t known, std::size_t peak_queued) {
    frontier_ = known;
    peak_queued_ = peak_queued;
  }
  [[nodiscard]] std::optional<std::size_t> frontier() const noexcept { return frontier_; }
  [[nodiscard]] std::size_t peak_queued() const noexcept { return peak_queued_; }
  /// The most requests in flight at once.
  void set_peak_in_flight(std::size_t n) { peak_in_flight_ = n; }
  [[nodiscard]] std::size_t peak_in_flight() const noexcept { return peak_in_flight_; }
  void add_not_attempted(std::string url) { not_attempted_.push_back(std::move(url)); }
  void set_interrupted() { interrupted_ = true; }
  /// The write that failed and how many rows could not be written (the run stopped there).
  void set_write_error(std::string what, std::size_t rows_not_written) {
    write_error_ = std::move(what);
    rows_not_written_ = rows_not_written;
  }
  /// Seeds skipped because a resumed run's output already has their final row.
  void add_skipped(std::size_t n = 1) { skipped_ += n; }
  void set_resumed() { resumed_ = true; }

  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t errors() const noexcept { return errors_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::size_t retries() const noexcept { return retries_; }
  [[nodiscard]] bool interrupted() const noexcept { return interrupted_; }
  /// Empty unless a write failed.
  [[nodiscard]] const std::string& write_error() const noexcept { return write_error_; }
  [[nodiscard]] std::size_t rows_not_written() const noexcept { return rows_not_written_; }
  [[nodiscard]] std::size_t skipped() const noexcept { return skipped_; }
  [[nodiscard]] bool resumed() const noexcept { return resumed_; }
  [[nodiscard]] const std::map<unsigned, std::size_t>& by_status() const noexcept { return by_status_; }
  [[nodiscard]] const std::map<std::string, std::size_t>& by_error() const noexcept { return by_error_; }
  [[nodiscard]] const std::vector<std::string>& not_attempted() const noexcept { return not_attempted_; }
  /// Latency percentile (0..100) over the rows that made a request, in ms; 0 without any.
  [[nodiscard]] double percentile(double p) const;

  /// The human-readable summary (several lines, ending with a newline).
  [[nodiscard]] std::string format() const;

private:
  std::optional<std::size_t> frontier_;
  std::size_t peak_queued_ = 0;
  std::size_t peak_in_flight_ = 0;
  std::size_t rows_ = 0;
  std::size_t errors_ = 0;
  std::size_t retries_ = 0;
  std::uint64_t bytes_ = 0;
  double elapsed_s_ = 0;
  bool interrupted_ = false;
  bool resumed_ = false;
  std::string write_error_;
  std::size_t rows_not_written_ = 0;
  std::size_t skipped_ = 0;
  std::map<unsigned, std::size_t> by_status_;
  std::map<std::string, std::size_t> by_error_;
  mutable std::vector<double> latencies_;
  mutable bool sorted_ = true;
  std::vector<std::string> not_attempted_;
};

/// The progress line: "[=====>      ] 1234/5000  812.0/s  errors 3  ETA 5s".
[[nodiscard]] std::string progress_line(std::size_t done, std::size_t total, double rate, std::size_t errors,
                                        std::size_t width = 30);

}  // namespace scrape
