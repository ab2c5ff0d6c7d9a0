// Internal: streaming gzip/deflate decoding (zlib) with an output limit.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace corio::http::detail {

class decoder {
public:
  enum class coding { identity, gzip, deflate };
  enum class status { ok, too_large, bad_data };

  /// `limit`: the most bytes `out` may hold after decoding.
  decoder(coding c, std::size_t limit);
  ~decoder();
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  /// Decodes `in`, appending to `out`; stops as soon as `out` would exceed the limit.
  status feed(std::string_view in, std::string& out);
  /// At the end of the body: bad_data if a compressed stream is incomplete.
  [[nodiscard]] status finish() const;
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
  struct zstate;
  coding coding_;
  std::size_t limit_;
  std::unique_ptr<zstate> z_;
  bool ended_ = false;
  bool raw_retry_possible_ = true;
  std::string message_;
};

}  // namespace corio::http::detail
