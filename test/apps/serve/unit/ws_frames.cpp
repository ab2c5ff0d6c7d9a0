#include <serve/ws_frame_limit.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/errc.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

namespace {

using bytes = std::vector<unsigned char>;

/// One client frame (masked) with `n` payload bytes, its length encoded as the peer chooses:
/// 7-bit, 16-bit or 64-bit.
bytes frame(unsigned opcode, bool fin, std::uint64_t n, int length_bytes = 0) {
  bytes b{static_cast<unsigned char>((fin ? 0x80u : 0u) | opcode)};
  if (length_bytes == 0 && n < 126) {
    b.push_back(static_cast<unsigned char>(0x80u | n));
  } else {
    const int k = length_bytes ? length_bytes : (n < 65536 ? 2 : 8);
    b.push_back(static_cast<unsigned char>(0x80u | (k == 2 ? 126u : 127u)));
    for (int i = k - 1; i >= 0; --i) b.push_back(static_cast<unsigned char>(n >> (8 * i)));
  }
  b.insert(b.end(), {1, 2, 3, 4});  // the mask key
  b.insert(b.end(), static_cast<std::size_t>(n), 'x');
  return b;
}

bytes operator+(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bytes repeat(const bytes& b, int times) {
  bytes out;
  for (int i = 0; i < times; ++i) out = out + b;
  return out;
}

/// Feeds `in` to a fresh layer with limit `max`, `chunk` bytes at a time; the first error.
boost::system::error_code feed(const bytes& in, std::size_t max, std::size_t chunk) {
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::socket sock(ctx);
  serve::frame_limited_socket layer(sock, max);
  for (std::size_t i = 0; i < in.size(); i += chunk) {
    const std::size_t n = std::min(chunk, in.size() - i);
    if (auto ec = layer.scan(in.data() + i, n)) return ec;
  }
  return {};
}

const auto too_many = make_error_code(boost::system::errc::message_size);

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_ws_frames)

BOOST_AUTO_TEST_CASE(a_message_of_max_frames_passes_and_one_more_fails_whatever_the_chunking) {
  const bytes ok = frame(0x1, false, 1) + repeat(frame(0x0, false, 0), 2) + frame(0x0, true, 3);  // 4 frames
  const bytes over = frame(0x1, false, 1) + repeat(frame(0x0, false, 0), 3) + frame(0x0, true, 3);  // 5
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    BOOST_TEST(!feed(ok, 4, chunk), chunk);
    BOOST_TEST(feed(over, 4, chunk) == too_many, chunk);
  }
}

BOOST_AUTO_TEST_CASE(the_count_starts_again_with_each_message) {
  const bytes message = frame(0x1, false, 0) + frame(0x0, false, 0) + frame(0x0, true, 0);  // 3 frames
  BOOST_TEST(!feed(repeat(message, 50), 3, 5));
  BOOST_TEST(!feed(repeat(frame(0x2, true, 10), 500), 1, 64));  // unfragmented binary messages
}

BOOST_AUTO_TEST_CASE(payloads_are_skipped_by_their_length_in_every_encoding) {
  // Payload bytes that look like headers must not be read as frames: 200 and 70,000 bytes of
  // 0x00 would otherwise be thousands of empty continuation frames.
  bytes b = frame(0x1, false, 200) + frame(0x0, false, 70'000) + frame(0x0, true, 5, 8);
  for (auto& c : b) c = c == 'x' ? 0x00 : c;
  for (std::size_t chunk : {1u, 13u, 4096u}) BOOST_TEST(!feed(b, 3, chunk), chunk);
  BOOST_TEST(feed(b, 2, 4096) == too_many);
}

BOOST_AUTO_TEST_CASE(control_frames_count_only_inside_a_message) {
  const bytes pings = repeat(frame(0x9, true, 0), 1000);
  BOOST_TEST(!feed(pings + frame(0x1, true, 2) + pings, 4, 9));  // between messages: keep-alive
  const bytes inside = frame(0x1, false, 1) + repeat(frame(0xA, true, 0), 4) + frame(0x0, true, 1);
  BOOST_TEST(!feed(inside, 4, 3));
  const bytes flood = frame(0x1, false, 1) + repeat(frame(0x9, true, 0), 5) + frame(0x0, true, 1);
  BOOST_TEST(feed(flood, 4, 3) == too_many);
}

BOOST_AUTO_TEST_SUITE_END()
