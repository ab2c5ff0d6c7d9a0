// Internal: the response parser. Derived from Beast's basic_parser so that header fields go into
// corio::http::fields (Beast 1.81's basic_fields throws on values of 64 KiB or more, and
// http::read lets that escape; here an oversized field is an ordinary error), the body is decoded
// and size-checked as it arrives, and every limit becomes an error code.
#pragma once

#include "decoder.hpp"

#include <corio/http/fields.hpp>
#include <corio/http/request.hpp>

#include <boost/beast/http/basic_parser.hpp>

#include <memory>
#include <optional>
#include <string>

namespace corio::http::detail {

/// Errors found by the parser's callbacks (category "corio.http.parse").
enum class parse_error {
  field_too_large = 1,
  body_too_large,
  decoded_too_large,
  bad_encoding,
  unsupported_encoding,
  truncated,  ///< not a failure: the body reached the limit of a request that truncates
};
[[nodiscard]] boost::system::error_code make_error_code(parse_error e) noexcept;
[[nodiscard]] const boost::system::error_category& parse_category() noexcept;

/// Field values of this size or more are refused (Beast's own field storage cannot hold them).
inline constexpr std::size_t max_field_value = 65535 - 2;
/// More content codings stacked on one body than this are refused (each is a decoder's state).
inline constexpr std::size_t max_stacked_codings = 3;

class response_parser final : public boost::beast::http::basic_parser<false> {
public:
  /// `truncate`: a body over `max_body` is cut there (the parse then ends with
  /// parse_error::truncated) instead of being an error.
  response_parser(std::size_t max_header, std::size_t max_body, bool decompress, bool truncate = false);

  unsigned status = 0;
  unsigned version = 11;
  std::string reason;
  fields headers;
  std::string body;
  std::uint64_t wire_bytes = 0;
  /// Decoded body bytes (body holds them unless `sink` takes them).
  std::uint64_t body_bytes = 0;
  /// Takes the decoded body instead of `body` (begin() once the final header is parsed).
  body_sink* sink = nullptr;
  /// Details for parse_error::bad_encoding / unsupported_encoding.
  std::string detail;
  [[nodiscard]] std::size_t max_body() const noexcept { return max_body_; }

private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field, boost::beast::string_view name, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  std::size_t max_body_;
  bool decompress_;
  bool truncate_;
  std::unique_ptr<decoder> decoder_;
};

}  // namespace corio::http::detail

template <>
struct boost::system::is_error_code_enum<corio::http::detail::parse_error> : std::true_type {};
