// Internal: streaming content decoding — gzip/deflate (zlib), br (brotli), zstd — with an output
// limit, for one coding or a stack of them ("Content-Encoding: gzip, br" is decoded br first).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace corio::http::detail {

class decoder {
public:
  enum class coding { identity, gzip, deflate, br, zstd };
  enum class status { ok, too_large, bad_data };

  /// `applied`: the codings in the order the server applied them (Content-Encoding's order);
  /// empty or identity only: the body as it is. `limit`: the most bytes `out` may hold after
  /// decoding — and each intermediate layer of a stack, so that a bomb inside stops there too.
  decoder(const std::vector<coding>& applied, std::size_t limit);
  decoder(coding c, std::size_t limit) : decoder(std::vector<coding>{c}, limit) {}
  ~decoder();
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  /// Decodes `in`, appending to `out`; stops as soon as `out` would exceed the limit.
  status feed(std::string_view in, std::string& out);
  /// At the end of the body: bad_data if a compressed stream is incomplete.
  [[nodiscard]] status finish() const;
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  /// One layer: decodes its input, appending at most `limit` bytes in total to its output.
  struct stage {
    virtual ~stage() = default;
    virtual status feed(std::string_view in, std::string& out, std::size_t limit) = 0;
    [[nodiscard]] virtual bool complete() const = 0;
    std::string message;
  };

private:
  std::vector<std::unique_ptr<stage>> stages_;  // in decoding order
  std::vector<std::string> between_;            // stages_[i]'s output, stages_[i + 1]'s input
  std::size_t limit_;
  std::string message_;
};

}  // namespace corio::http::detail
