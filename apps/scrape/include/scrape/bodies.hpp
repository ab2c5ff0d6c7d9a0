// scrape/bodies.hpp — --save-bodies: response bodies stored by content, as they arrive.
//
// A body_saver is the corio::http body sink of one fetch: the body streams into a temporary file
// in DIR while its SHA-256 is computed, and commit() moves it to DIR/<first two hex digits>/<sha256>
// (rename within one directory tree: a reader never sees a partial file under its final name). A
// body already stored (the same content fetched twice) is kept once. Each begin() (a redirect's
// body, a retried status) starts over. With `keep`, the body is also held in memory (crawl mode
// parses it).
//
// Cancellation: not applicable (synchronous file I/O on the calling thread).
// Exceptions: none from the sink calls: a failure (disk full, permissions) is remembered and
//   reported by failure(); commit() returns nothing then and removes the temporary file.
// Thread safety: one saver per fetch, used from the scraper's executor only.
#pragma once

#include <corio/http/request.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace scrape {

class body_saver final : public corio::http::body_sink {
public:
  /// `dir` must exist (scraper::run creates it); `keep`: hold the body in memory too.
  body_saver(std::string dir, bool keep);
  ~body_saver() override;
  body_saver(const body_saver&) = delete;
  body_saver& operator=(const body_saver&) = delete;

  void begin(unsigned status, const corio::http::fields& headers) override;
  void write(std::string_view data) noexcept override;

  struct stored {
    std::string path;    ///< DIR/ab/<sha256>
    std::string sha256;  ///< lower-case hex
  };
  /// Finishes the last body: where it is stored, or nothing if saving failed (see failure()).
  [[nodiscard]] std::optional<stored> commit();
  /// Empty, or what went wrong ("cannot write DIR/.body-...: No space left on device").
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }
  /// The body (with `keep`).
  [[nodiscard]] std::string& kept() noexcept { return kept_; }

private:
  void fail(const std::string& what) noexcept;
  void discard() noexcept;

  std::string dir_;
  bool keep_;
  std::string temp_;
  std::FILE* file_ = nullptr;
  struct hasher;
  std::unique_ptr<hasher> hash_;
  std::string kept_;
  std::string failure_;
};

}  // namespace scrape
