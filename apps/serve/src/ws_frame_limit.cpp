#include <serve/ws_frame_limit.hpp>

#include <boost/system/errc.hpp>

namespace serve {

boost::system::error_code frame_limited_socket::scan(const unsigned char* p, std::size_t n) {
  while (n > 0) {
    if (skip_ > 0) {
      const std::uint64_t k = skip_ < n ? skip_ : n;
      p += k;
      n -= static_cast<std::size_t>(k);
      skip_ -= k;
      continue;
    }
    header_[have_++] = *p++;
    --n;
    if (have_ == 2) {  // RFC 6455 §5.2: 7-bit length, or 126 (16-bit) / 127 (64-bit) after it; a mask key
      const unsigned len7 = header_[1] & 0x7Fu;
      need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80u) ? 4 : 0);
    }
    if (have_ < 2 || have_ < need_) continue;
    const unsigned len7 = header_[1] & 0x7Fu;
    std::uint64_t payload = len7;
    if (len7 >= 126) {
      payload = 0;
      for (std::size_t i = 0; i < (len7 == 126 ? 2u : 8u); ++i) payload = (payload << 8) | header_[2 + i];
    }
    const bool fin = (header_[0] & 0x80u) != 0;
    const bool control = (header_[0] & 0x08u) != 0;
    have_ = 0;
    need_ = 2;
    skip_ = payload;
    if (control) {
      if (in_message_ && ++control_frames_ > max_frames_) return make_error_code(boost::system::errc::message_size);
      continue;
    }
    if (++data_frames_ > max_frames_) return make_error_code(boost::system::errc::message_size);
    in_message_ = !fin;
    if (fin) data_frames_ = control_frames_ = 0;
  }
  return {};
}

void teardown(boost::beast::role_type role, frame_limited_socket& s, boost::system::error_code& ec) {
  boost::beast::websocket::teardown(role, s.socket(), ec);
}

void beast_close_socket(frame_limited_socket& s) {
  boost::system::error_code ignored;
  s.socket().close(ignored);
}

}  // namespace serve
