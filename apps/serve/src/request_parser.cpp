#include <serve/request_parser.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cctype>

namespace serve {

namespace {

namespace beast = boost::beast;

// Beast's http::fields stores a field's name and value lengths in 16 bits and throws
// std::length_error beyond; stay clear of it so that inserting can never throw.
constexpr std::size_t max_field_bytes = 65000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_host(std::string_view s) {
  // reg-name / IPv4 / [IPv6] with an optional port; enough to refuse spaces, paths and userinfo.
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']' || c == '~' ||
           c == '%';
  });
}

/// Beast reports a malformed version and an unsupported one alike: only a request line of three
/// parts (method SP target SP version: a space inside the target makes more) that ends in a
/// well-formed "HTTP/d.d" (so far) gets 505, anything else is a bad request.
bool well_formed_version(std::string_view data) {
  const auto lf = data.find('\n');
  auto line = data.substr(0, lf);
  if (lf != std::string_view::npos) {
    if (line.empty() || line.back() != '\r') return false;  // a bare LF: malformed
    line.remove_suffix(1);
  }
  if (line.size() < 9 || std::count(line.begin(), line.end(), ' ') != 2) return false;
  const auto v = line.substr(line.size() - 9);  // " HTTP/d.d"
  return v.substr(0, 6) == " HTTP/" && v[6] >= '0' && v[6] <= '9' && v[7] == '.' && v[8] >= '0' && v[8] <= '9';
}

}  // namespace

request_parser::request_parser(const limits& lim) : lim_(lim) {
  header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(lim.header_bytes, 0xffffffffu)));
  body_limit(lim.body_bytes);
}

std::size_t request_parser::feed(std::string_view data) {
  needs_more_ = false;
  if (failed() || is_done()) return 0;
  if (!head_done_ && head_has_obs_fold(data)) {
    fail(http::status::bad_request, "obsolete line folding in the request head");
    return 0;
  }
  beast::error_code ec;
  const std::size_t n = put(boost::asio::const_buffer(data.data(), data.size()), ec);
  head_checked_ = head_checked_ > n ? head_checked_ - n : 0;
  if (ec == http::error::need_more) {
    needs_more_ = true;
  } else if (ec && !failed()) {
    if (ec == http::error::header_limit) fail(http::status::request_header_fields_too_large, "request head too large");
    else if (ec == http::error::body_limit) fail(http::status::payload_too_large, "request body too large");
    else if (ec == http::error::bad_version && well_formed_version(data)) fail(http::status::http_version_not_supported, "HTTP version not supported");
    else fail(http::status::bad_request, ec.message());
  }
  return n;
}

void request_parser::feed_eof() {
  if (failed() || is_done() || !got_some()) return;
  beast::error_code ec;
  put_eof(ec);
  if (ec) fail(http::status::bad_request, "the connection ended inside the request");
}

std::string request_parser::take_body_piece() {
  std::string out;
  out.swap(piece_);
  return out;
}

void request_parser::fail(http::status status, std::string reason) {
  if (failed()) return;
  status_ = status;
  reason_ = std::move(reason);
}

void request_parser::reject(http::status status, std::string reason, beast::error_code& ec) {
  fail(status, std::move(reason));
  ec = http::error::bad_value;  // any error stops Beast; our status is what counts
}

bool request_parser::head_has_obs_fold(std::string_view data) {
  // A field line that starts with SP or HTAB continues the previous one (obs-fold, RFC 9112
  // 5.2): proxies disagree on it, so it is a smuggling vector. Scan each byte of the head once;
  // the last byte is re-scanned when it is a LF that the next read may continue.
  if (head_end_seen_) return false;
  std::size_t i = head_checked_;
  while (i < data.size()) {
    const std::size_t lf = data.find('\n', i);
    if (lf == std::string_view::npos) {
      head_checked_ = data.size();
      return false;
    }
    if (lf + 1 >= data.size()) {
      head_checked_ = lf;
      return false;
    }
    const char next = data[lf + 1];
    if (next == ' ' || next == '\t') return true;
    if (next == '\r') {  // the empty line that ends the head: what follows is body or the next request
      head_end_seen_ = true;
      return false;
    }
    i = lf + 1;
  }
  head_checked_ = data.size();
  return false;
}

void request_parser::on_request_impl(http::verb method, beast::string_view method_str, beast::string_view target,
                                     int version, beast::error_code& ec) {
  const std::string_view t(target.data(), target.size());
  const bool origin_form = !t.empty() && t.front() == '/';
  const bool asterisk = t == "*" && method == http::verb::options;
  const bool absolute_form = t.rfind("http://", 0) == 0 || t.rfind("https://", 0) == 0;
  if (!origin_form && !asterisk && !absolute_form) return reject(http::status::bad_request, "bad request target", ec);
  if (method != http::verb::unknown) req_.method(method);
  else req_.method_string(method_str);
  req_.target(target);
  req_.version(version);
}

void request_parser::on_response_impl(int, beast::string_view, int, beast::error_code& ec) {
  ec = http::error::bad_method;  // unreachable for a request parser
}

void request_parser::on_field_impl(http::field f, beast::string_view name, beast::string_view value,
                                   beast::error_code& ec) {
  if (head_done_) return;  // a trailer field: bounded by the read buffer, and discarded
  if (++fields_ > lim_.header_fields) {
    return reject(http::status::request_header_fields_too_large, "too many header fields", ec);
  }
  if (name.size() > max_field_bytes || value.size() > max_field_bytes) {
    return reject(http::status::request_header_fields_too_large, "header field too large", ec);
  }
  const std::string_view v(value.data(), value.size());
  switch (f) {
    case http::field::host:
      if (++hosts_ > 1) return reject(http::status::bad_request, "repeated Host", ec);
      if (!valid_host(trim(v))) return reject(http::status::bad_request, "bad Host", ec);
      break;
    case http::field::content_length:
      if (++content_lengths_ > 1) return reject(http::status::bad_request, "repeated Content-Length", ec);
      if (!all_digits(trim(v))) return reject(http::status::bad_request, "bad Content-Length", ec);
      break;
    case http::field::transfer_encoding:
      // An empty one is refused outright: read as "no coding" it would frame the body by
      // Content-Length here and as chunked by a peer that skips it (in either order).
      if (trim(v).empty()) return reject(http::status::bad_request, "empty Transfer-Encoding", ec);
      if (!transfer_codings_.empty()) transfer_codings_ += ',';
      transfer_codings_.append(v);
      break;
    case http::field::expect:
      if (beast::iequals(trim(v), "100-continue")) expect_continue_ = true;
      break;
    default:
      break;
  }
  req_.insert(f, name, value);
}

void request_parser::on_header_impl(beast::error_code& ec) {
  head_done_ = true;
  if (!transfer_codings_.empty()) {
    if (req_.version() < 11) return reject(http::status::bad_request, "Transfer-Encoding in HTTP/1.0", ec);
    if (content_lengths_ > 0) {
      return reject(http::status::bad_request, "Transfer-Encoding together with Content-Length", ec);
    }
    int chunked = 0;
    bool other = false;
    std::string_view last;
    std::string_view rest = transfer_codings_;
    while (true) {
      const auto comma = rest.find(',');
      const auto coding = trim(rest.substr(0, comma));
      if (coding.empty()) return reject(http::status::bad_request, "bad Transfer-Encoding", ec);
      if (beast::iequals(coding, "chunked")) ++chunked;
      else other = true;
      last = coding;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!beast::iequals(last, "chunked") || chunked > 1) {
      return reject(http::status::bad_request, "Transfer-Encoding must end with a single chunked", ec);
    }
    if (other) return reject(http::status::not_implemented, "unsupported transfer coding", ec);
  }
  if (req_.version() >= 11 && hosts_ == 0) return reject(http::status::bad_request, "missing Host", ec);
}

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code& ec) {
  if (content_length && *content_length > lim_.body_bytes) {
    return reject(http::status::payload_too_large, "request body too large", ec);
  }
  if (content_length && !streaming_) req_.body().reserve(static_cast<std::size_t>(*content_length));
}

bool request_parser::append_body(std::string_view piece, beast::error_code& ec) {
  body_size_ += piece.size();
  if (body_size_ > lim_.body_bytes) {
    reject(http::status::payload_too_large, "request body too large", ec);
    return false;
  }
  (streaming_ ? piece_ : req_.body()).append(piece);
  return true;
}

std::size_t request_parser::on_body_impl(beast::string_view body, beast::error_code& ec) {
  return append_body(std::string_view(body.data(), body.size()), ec) ? body.size() : 0;
}

void request_parser::on_chunk_header_impl(std::uint64_t, beast::string_view extensions, beast::error_code& ec) {
  extension_bytes_ += extensions.size();
  if (extension_bytes_ > lim_.chunk_extension_bytes) {
    reject(http::status::bad_request, "chunk extensions too long", ec);
  }
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code& ec) {
  return append_body(std::string_view(body.data(), body.size()), ec) ? body.size() : 0;
}

void request_parser::on_finish_impl(beast::error_code&) {}

}  // namespace serve
