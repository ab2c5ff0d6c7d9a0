// serve/request_parser.hpp — an HTTP/1.1 request parser for a public server: Beast's
// basic_parser plus the checks Boost 1.81's own http::parser leaves to the application.
//
// Boost 1.81's http::request_parser inserts every field into http::fields, which throws
// std::length_error for a field over 64 KiB (in a trailer, or in a header once the header limit
// is raised) — out of async_read and, unhandled, out of io_context::run(). And it accepts framings
// that let a request be smuggled past a proxy. This parser never throws and rejects, each with the
// status a server should answer before closing the connection:
//   400  Transfer-Encoding together with Content-Length; a Transfer-Encoding whose last coding is
//        not chunked, or with chunked twice; Transfer-Encoding in HTTP/1.0; Content-Length that is
//        a list or repeated; missing (HTTP/1.1) or repeated Host; obs-fold continuation lines
//        anywhere in the head; chunk extensions beyond limits::chunk_extension_bytes; a target that
//        is neither origin-form, absolute-form nor "*"; malformed lines (Beast's own errors)
//   431  head beyond limits::header_bytes or header_fields; one field beyond 64 KiB
//   413  body beyond limits::body_bytes (declared or received)
//   501  a transfer coding other than chunked
//   505  an HTTP version other than 1.0 and 1.1
// Trailer fields are bounded by the connection's read buffer and discarded.
//
// Use: feed() bytes until done() or failed(); `feed` consumes what it can and leaves the rest
// (a pipelined next request) to the caller. One parser per request (`reset()` for the next).
// The body goes to request().body(), or — in streaming mode — to take_body_piece().
//
// Cancellation: not applicable (no I/O).  Exceptions: std::bad_alloc only.
// Thread safety: one parser per connection; not shared.
#pragma once

#include <serve/config.hpp>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace serve {

namespace http = boost::beast::http;

using request = http::request<http::string_body>;

class request_parser final : public http::basic_parser<true> {
public:
  explicit request_parser(const limits& lim);

  /// Parses from `data`; returns the number of bytes consumed (the rest belongs to a later
  /// message or needs more input). Returns at the end of the head (is_header_done()) so that the
  /// caller can choose how to take the body; then call it again, with eager(true) if it likes.
  std::size_t feed(std::string_view data);

  /// True once the parser needs more bytes to make progress.
  [[nodiscard]] bool needs_more() const noexcept { return needs_more_; }
  [[nodiscard]] bool failed() const noexcept { return status_ != http::status::unknown; }
  /// The status to answer a rejected request with (unknown when not failed).
  [[nodiscard]] http::status failure_status() const noexcept { return status_; }
  [[nodiscard]] const std::string& failure_reason() const noexcept { return reason_; }

  /// The connection ended: the message is complete only if it had no framed body pending.
  void feed_eof();

  [[nodiscard]] request& get() noexcept { return req_; }
  [[nodiscard]] bool expects_continue() const noexcept { return expect_continue_; }

  /// Body bytes go to a piece buffer that take_body_piece() empties, instead of the request.
  void stream_body(bool on) noexcept { streaming_ = on; }
  [[nodiscard]] std::string take_body_piece();

  /// Fails the request with `status` (used by the connection for limits it enforces itself).
  void fail(http::status status, std::string reason);

private:
  void on_request_impl(http::verb method, boost::beast::string_view method_str, boost::beast::string_view target,
                       int version, boost::beast::error_code& ec) override;
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(http::field f, boost::beast::string_view name, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  /// Records a rejection and sets `ec` so that Beast stops.
  void reject(http::status status, std::string reason, boost::beast::error_code& ec);
  /// Scans head bytes not yet checked for an obs-fold (CRLF followed by SP or HTAB).
  bool head_has_obs_fold(std::string_view data);
  bool append_body(std::string_view piece, boost::beast::error_code& ec);

  const limits& lim_;
  request req_;
  std::string piece_;
  std::string transfer_codings_;  // every Transfer-Encoding value, comma-joined
  std::size_t fields_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t body_size_ = 0;
  std::size_t head_checked_ = 0;  // bytes at the front of the unconsumed input already scanned
  http::status status_ = http::status::unknown;
  std::string reason_;
  int hosts_ = 0;
  int content_lengths_ = 0;
  bool head_done_ = false;
  bool head_end_seen_ = false;
  bool expect_continue_ = false;
  bool streaming_ = false;
  bool needs_more_ = false;
};

}  // namespace serve
