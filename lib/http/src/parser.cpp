#include "parser.hpp"

namespace corio::http::detail {

namespace {

// error_category's destructor is protected and non-virtual by design; GCC's -Wnon-virtual-dtor
// cannot tell (as in corio/channel_error.hpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class parse_category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "corio.http.parse"; }
  std::string message(int ev) const override {
    switch (static_cast<parse_error>(ev)) {
      case parse_error::field_too_large: return "a header field value of 64 KiB or more";
      case parse_error::body_too_large: return "the body exceeds the size limit";
      case parse_error::decoded_too_large: return "the decoded body exceeds the size limit";
      case parse_error::bad_encoding: return "the body cannot be decoded";
      case parse_error::unsupported_encoding: return "unsupported Content-Encoding";
      case parse_error::truncated: return "the body was cut at the size limit";
    }
    return "unknown parse error";
  }
};
#pragma GCC diagnostic pop

std::string lower_trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string s(v);
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

const boost::system::error_category& parse_category() noexcept {
  static const parse_category_impl cat;
  return cat;
}

boost::system::error_code make_error_code(parse_error e) noexcept {
  return {static_cast<int>(e), parse_category()};
}

response_parser::response_parser(std::size_t max_header, std::size_t max_body, bool decompress, bool truncate)
    : max_body_(max_body), decompress_(decompress), truncate_(truncate) {
  header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header, UINT32_MAX)));
  if (truncate) {
    body_limit(boost::none);  // the callbacks cut the body
  } else {
    body_limit(max_body);
  }
  eager(true);
}

void response_parser::on_response_impl(int code, boost::beast::string_view r, int v, boost::beast::error_code&) {
  status = static_cast<unsigned>(code);
  reason.assign(r.data(), r.size());
  version = static_cast<unsigned>(v);
}

void response_parser::on_field_impl(boost::beast::http::field, boost::beast::string_view name,
                                    boost::beast::string_view value, boost::beast::error_code& ec) {
  if (value.size() >= max_field_value || name.size() >= max_field_value) {
    ec = parse_error::field_too_large;
    detail = "field '" + std::string(name.substr(0, 64)) + "' is " + std::to_string(value.size()) + " bytes";
    return;
  }
  headers.add_unchecked({name.data(), name.size()}, {value.data(), value.size()});
}

void response_parser::on_header_impl(boost::beast::error_code& ec) {
  // The codings in the order the server applied them, over every Content-Encoding field
  // ("gzip, br" or two fields): undone last to first. identity is no coding.
  std::vector<decoder::coding> applied;
  if (decompress_) {
    for (auto field : headers.get_all("Content-Encoding")) {
      while (!field.empty()) {
        const auto comma = field.find(',');
        const std::string name = lower_trimmed(field.substr(0, comma));
        field = comma == std::string_view::npos ? std::string_view{} : field.substr(comma + 1);
        if (name.empty() || name == "identity") continue;
        if (name == "gzip" || name == "x-gzip") {
          applied.push_back(decoder::coding::gzip);
        } else if (name == "deflate") {
          applied.push_back(decoder::coding::deflate);
        } else if (name == "br") {
          applied.push_back(decoder::coding::br);
        } else if (name == "zstd") {
          applied.push_back(decoder::coding::zstd);
        } else {
          ec = parse_error::unsupported_encoding;
          detail = "'" + name + "' (gzip, deflate, br and zstd are accepted)";
          return;
        }
      }
    }
    if (applied.size() > max_stacked_codings) {
      ec = parse_error::unsupported_encoding;
      detail = std::to_string(applied.size()) + " codings stacked (at most " + std::to_string(max_stacked_codings) +
               " are decoded)";
      return;
    }
  }
  decoder_ = std::make_unique<decoder>(applied, max_body_);
  if (sink && status >= 200) sink->begin(status, headers);
}

void response_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                        boost::beast::error_code& ec) {
  if (content_length && *content_length > max_body_ && !truncate_) {
    ec = parse_error::body_too_large;
    detail = "Content-Length " + std::to_string(*content_length);
    return;
  }
  if (content_length && !sink) body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*content_length, 1 << 20)));
}

std::size_t response_parser::on_body_impl(boost::beast::string_view b, boost::beast::error_code& ec) {
  std::string_view in(b.data(), b.size());
  bool cut = false;
  if (wire_bytes + in.size() > max_body_) {
    if (!truncate_) {
      wire_bytes += in.size();
      ec = parse_error::body_too_large;
      return 0;
    }
    in = in.substr(0, max_body_ - wire_bytes);
    cut = true;
  }
  wire_bytes += in.size();
  const auto before = body.size();
  const auto decoded = decoder_->feed(in, body);
  body_bytes += body.size() - before;
  if (sink && !body.empty()) {
    sink->write(body);
    body.clear();  // (the limit still holds: decoders count what they produced; identity's is on the wire)
  }
  switch (decoded) {
    case decoder::status::ok:
      if (cut) ec = parse_error::truncated;
      break;
    case decoder::status::too_large: ec = truncate_ ? parse_error::truncated : parse_error::decoded_too_large; break;
    case decoder::status::bad_data:
      ec = parse_error::bad_encoding;
      detail = decoder_->message();
      break;
  }
  return b.size();
}

std::size_t response_parser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view b, boost::beast::error_code& ec) {
  return on_body_impl(b, ec);
}

void response_parser::on_finish_impl(boost::beast::error_code& ec) {
  if (decoder_ && decoder_->finish() != decoder::status::ok) {
    ec = parse_error::bad_encoding;
    detail = "the compressed body ends early";
  }
}

}  // namespace corio::http::detail
