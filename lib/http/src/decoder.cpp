#include "decoder.hpp"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace corio::http::detail {

namespace {

using status = decoder::status;

/// Output is made in chunks of at most this much, and one byte more than the room left, so that
/// going over the limit is seen without decoding further.
constexpr std::size_t max_chunk = 64 * 1024;

/// Grows `out` by the next chunk; returns its old size.
std::size_t grow(std::string& out, std::size_t produced, std::size_t limit, std::size_t& chunk) {
  chunk = std::min<std::size_t>(limit - produced + 1, max_chunk);
  const std::size_t old = out.size();
  out.resize(old + chunk);
  return old;
}

/// Counts `got` new bytes at the end of `out`; false (and `out` cut back to the limit) if the
/// total passed it.
bool account(std::string& out, std::size_t old, std::size_t got, std::size_t& produced, std::size_t limit) {
  out.resize(old + got);
  produced += got;
  if (produced <= limit) return true;
  out.resize(out.size() - (produced - limit));
  produced = limit;
  return false;
}

class zlib_stage final : public decoder::stage {
public:
  explicit zlib_stage(bool gzip) : gzip_(gzip), raw_retry_possible_(!gzip) {
    // gzip: 16 + 15 (gzip wrapper only); deflate: 32 + 15 detects a zlib wrapper, and raw deflate
    // (what some servers send for "deflate") is retried below on the first error.
    start(gzip ? 16 + MAX_WBITS : 32 + MAX_WBITS);
  }
  ~zlib_stage() override {
    if (init_) inflateEnd(&s_);
  }

  status feed(std::string_view in, std::string& out, std::size_t limit) override {
    if (!init_) {
      message = "cannot initialise zlib";
      return status::bad_data;
    }
    const bool first_input = s_.total_in == 0;
    s_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      // Bytes after the end of the compressed stream (e.g. a second gzip member) are ignored.
      if (ended_) return status::ok;
      std::size_t chunk = 0;
      const std::size_t old = grow(out, produced_, limit, chunk);
      s_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
      s_.avail_out = static_cast<uInt>(chunk);
      const int rc = inflate(&s_, Z_NO_FLUSH);
      if (!account(out, old, chunk - s_.avail_out, produced_, limit)) return status::too_large;
      if (rc == Z_STREAM_END) {
        ended_ = true;
        return status::ok;
      }
      if (rc == Z_DATA_ERROR && raw_retry_possible_ && first_input && s_.total_out == 0) {
        // "deflate" sent as raw deflate without the zlib wrapper (common): start over raw.
        raw_retry_possible_ = false;
        start(-MAX_WBITS);
        return feed(in, out, limit);
      }
      if (rc == Z_BUF_ERROR) return status::ok;  // needs more input
      if (rc != Z_OK) {
        message = std::string("invalid ") + (gzip_ ? "gzip" : "deflate") + " data" +
                  (s_.msg ? std::string(" (") + s_.msg + ")" : std::string());
        return status::bad_data;
      }
      if (s_.avail_in == 0 && s_.avail_out != 0) return status::ok;  // all input used, no output pending
    }
  }

  [[nodiscard]] bool complete() const override { return ended_ || s_.total_in == 0; }

private:
  void start(int window_bits) {
    if (init_) inflateEnd(&s_);
    std::memset(&s_, 0, sizeof s_);
    init_ = inflateInit2(&s_, window_bits) == Z_OK;
  }

  z_stream s_{};
  bool init_ = false;
  bool ended_ = false;
  bool gzip_;
  bool raw_retry_possible_;
  std::size_t produced_ = 0;
};

class brotli_stage final : public decoder::stage {
public:
  brotli_stage() : st_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~brotli_stage() override {
    if (st_) BrotliDecoderDestroyInstance(st_);
  }

  status feed(std::string_view in, std::string& out, std::size_t limit) override {
    if (!st_) {
      message = "cannot initialise the brotli decoder";
      return status::bad_data;
    }
    any_input_ = any_input_ || !in.empty();
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    std::size_t avail_in = in.size();
    for (;;) {
      if (BrotliDecoderIsFinished(st_)) return status::ok;  // (bytes after the stream are ignored)
      std::size_t chunk = 0;
      const std::size_t old = grow(out, produced_, limit, chunk);
      auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + old);
      std::size_t avail_out = chunk;
      const auto r = BrotliDecoderDecompressStream(st_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      if (!account(out, old, chunk - avail_out, produced_, limit)) return status::too_large;
      if (r == BROTLI_DECODER_RESULT_ERROR) {
        message = std::string("invalid br data (") + BrotliDecoderErrorString(BrotliDecoderGetErrorCode(st_)) + ")";
        return status::bad_data;
      }
      if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) return status::ok;  // done, or needs more input
    }
  }

  [[nodiscard]] bool complete() const override { return !any_input_ || BrotliDecoderIsFinished(st_); }

private:
  BrotliDecoderState* st_;
  bool any_input_ = false;
  std::size_t produced_ = 0;
};

class zstd_stage final : public decoder::stage {
public:
  zstd_stage() : ctx_(ZSTD_createDCtx()) {
    // HTTP's zstd (RFC 9659) has windows of at most 8 MiB: a frame asking for more (memory the
    // decoder would allocate before producing anything) is refused.
    if (ctx_) ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, 23);
  }
  ~zstd_stage() override { ZSTD_freeDCtx(ctx_); }

  status feed(std::string_view in, std::string& out, std::size_t limit) override {
    if (!ctx_) {
      message = "cannot initialise the zstd decoder";
      return status::bad_data;
    }
    any_input_ = any_input_ || !in.empty();
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    for (;;) {
      std::size_t chunk = 0;
      const std::size_t old = grow(out, produced_, limit, chunk);
      ZSTD_outBuffer ob{out.data() + old, chunk, 0};
      const std::size_t r = ZSTD_decompressStream(ctx_, &ob, &ib);
      if (!account(out, old, ob.pos, produced_, limit)) return status::too_large;
      if (ZSTD_isError(r)) {
        message = std::string("invalid zstd data (") + ZSTD_getErrorName(r) + ")";
        return status::bad_data;
      }
      frame_pending_ = r != 0;
      if (ib.pos == ib.size && ob.pos < ob.size) return status::ok;  // all input used, no output pending
    }
  }

  [[nodiscard]] bool complete() const override { return !any_input_ || !frame_pending_; }

private:
  ZSTD_DCtx* ctx_;
  bool any_input_ = false;
  bool frame_pending_ = false;
  std::size_t produced_ = 0;
};

}  // namespace

decoder::decoder(const std::vector<coding>& applied, std::size_t limit) : limit_(limit) {
  for (auto c = applied.rbegin(); c != applied.rend(); ++c) {  // the last applied is undone first
    switch (*c) {
      case coding::identity: break;
      case coding::gzip: stages_.push_back(std::make_unique<zlib_stage>(true)); break;
      case coding::deflate: stages_.push_back(std::make_unique<zlib_stage>(false)); break;
      case coding::br: stages_.push_back(std::make_unique<brotli_stage>()); break;
      case coding::zstd: stages_.push_back(std::make_unique<zstd_stage>()); break;
    }
  }
  if (stages_.size() > 1) between_.resize(stages_.size() - 1);
}

decoder::~decoder() = default;

decoder::status decoder::feed(std::string_view in, std::string& out) {
  if (stages_.empty()) {
    if (out.size() + in.size() > limit_) return status::too_large;
    out.append(in);
    return status::ok;
  }
  std::string_view cur = in;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const bool last = i + 1 == stages_.size();
    std::string& dst = last ? out : between_[i];
    if (!last) dst.clear();
    const status st = stages_[i]->feed(cur, dst, limit_);
    if (st == status::bad_data) message_ = stages_[i]->message;
    if (st != status::ok) return st;
    cur = dst;
  }
  return status::ok;
}

decoder::status decoder::finish() const {
  for (const auto& s : stages_) {
    if (!s->complete()) return status::bad_data;
  }
  return status::ok;
}

}  // namespace corio::http::detail
