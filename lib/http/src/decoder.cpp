#include "decoder.hpp"

#include <zlib.h>

#include <cstring>

namespace corio::http::detail {

struct decoder::zstate {
  z_stream s{};
  bool init = false;
  ~zstate() {
    if (init) inflateEnd(&s);
  }
  bool start(int window_bits) {
    if (init) inflateEnd(&s);
    std::memset(&s, 0, sizeof s);
    init = inflateInit2(&s, window_bits) == Z_OK;
    return init;
  }
};

decoder::decoder(coding c, std::size_t limit) : coding_(c), limit_(limit) {
  if (coding_ == coding::identity) return;
  z_ = std::make_unique<zstate>();
  // gzip: 16 + 15 (gzip wrapper only); deflate: 32 + 15 detects a zlib wrapper, and raw deflate
  // (what some servers send for "deflate") is retried below on the first error.
  z_->start(coding_ == coding::gzip ? 16 + MAX_WBITS : 32 + MAX_WBITS);
}

decoder::~decoder() = default;

decoder::status decoder::feed(std::string_view in, std::string& out) {
  if (coding_ == coding::identity) {
    if (out.size() + in.size() > limit_) return status::too_large;
    out.append(in);
    return status::ok;
  }
  if (!z_->init) {
    message_ = "cannot initialise zlib";
    return status::bad_data;
  }
  auto& s = z_->s;
  const bool first_input = s.total_in == 0;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    // Bytes after the end of the compressed stream (e.g. a second gzip member) are ignored.
    if (ended_) return status::ok;
    // Room for one byte more than the limit, so that exceeding it is seen without inflating more.
    const std::size_t room = limit_ - out.size();
    const std::size_t chunk = std::min<std::size_t>(room + 1, 64 * 1024);
    const std::size_t old = out.size();
    out.resize(old + chunk);
    s.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    s.avail_out = static_cast<uInt>(chunk);
    const int rc = inflate(&s, Z_NO_FLUSH);
    out.resize(old + (chunk - s.avail_out));
    if (out.size() > limit_) {
      out.resize(limit_);
      return status::too_large;
    }
    if (rc == Z_STREAM_END) {
      ended_ = true;
      return status::ok;
    }
    if (rc == Z_DATA_ERROR && coding_ == coding::deflate && raw_retry_possible_ && first_input && s.total_out == 0) {
      // "deflate" sent as raw deflate without the zlib wrapper (common): start over raw.
      raw_retry_possible_ = false;
      z_->start(-MAX_WBITS);
      return feed(in, out);
    }
    if (rc == Z_BUF_ERROR) return status::ok;  // needs more input
    if (rc != Z_OK) {
      message_ = std::string("invalid ") + (coding_ == coding::gzip ? "gzip" : "deflate") + " data" +
                 (s.msg ? std::string(" (") + s.msg + ")" : std::string());
      return status::bad_data;
    }
    if (s.avail_in == 0 && s.avail_out != 0) return status::ok;  // all input used, no output pending
  }
}

decoder::status decoder::finish() const {
  if (coding_ == coding::identity || ended_) return status::ok;
  if (z_->s.total_in == 0) return status::ok;  // an empty body
  return status::bad_data;
}

}  // namespace corio::http::detail
