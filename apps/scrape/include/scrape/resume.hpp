// scrape/resume.hpp — going on from where an earlier run of corio-scrape stopped (--resume).
//
// The output file is the record of what is done: a URL is done when it has a final row there (any
// row but error_kind "interrupted"). A crawl also keeps a journal beside it, FILE.state:
//
//   corio-scrape crawl state 1        header
//   D <depth> <url>                   discovered: queued at that depth (seeds at depth 0)
//   F <url>                           finished: its row is in FILE
//
// The scraper appends in batches and orders the writes so that a kill at any point loses
// nothing: a page's discovered links are journaled before its row is written, and its F record
// after. After a crash a URL has its row, or it has no row and is fetched again — never neither;
// only the last unflushed batch is fetched twice. Nothing is fsync'ed: a killed process is
// covered, a power cut is not.
//
// Cancellation: not applicable.  Exceptions: setup_error (a file that cannot be read, rewritten or
// truncated, or that is not corio-scrape's), std::bad_alloc.
// Thread safety: plain functions on files; one process resumes one output at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace scrape {

/// What an earlier run left behind, read by load_previous_run().
struct previous_run {
  std::unordered_set<std::string> done;  ///< url of every final row in FILE
  std::vector<std::string> final_urls;   ///< final_url of those rows (crawl: already seen)
  /// From FILE.state: every URL discovered, first record each, in order, with its depth.
  std::vector<std::pair<std::string, int>> discovered;
  bool had_output = false;     ///< FILE existed
  bool had_state = false;      ///< FILE.state existed
  bool torn = false;           ///< FILE ended in a torn line, now cut away
  std::size_t dropped = 0;     ///< rows removed from FILE: interrupted, or a URL's second row
};

/// The crawl journal beside an output file.
[[nodiscard]] std::string state_path(const std::string& out);
/// The journal's first line (with its newline).
[[nodiscard]] std::string_view state_header();

/// Reads `out` (and `state_path(out)` when crawling) for a resumed run: cuts a torn last line off
/// both, and rewrites `out` without its non-final and duplicate rows when it has any (through a
/// temporary file renamed over it, so a kill meanwhile leaves one or the other). A missing `out`
/// is a fresh start. Throws setup_error.
[[nodiscard]] previous_run load_previous_run(const std::string& out, bool crawl);

/// True for a row a resumed run keeps (and does not fetch again): any but an interrupted one.
[[nodiscard]] bool is_final_error_kind(std::string_view error_kind) noexcept;

}  // namespace scrape
