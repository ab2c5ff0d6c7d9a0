// corio/detail/read_buffer.hpp — the read side shared by tcp_stream and the pipes of a child
// process: a buffer of bytes received and not yet read, and the asyncio StreamReader operations
// on top of any Asio AsyncReadStream (a socket, a readable pipe).
//
// Invariants: bytes [head_, buf_.size()) are unread; read_until / read_line never hold more than
// their `max` plus one read. A cancelled read has taken nothing from the stream (the Asio read was
// cancelled before it transferred anything), so nothing is lost (stream_cancelled_read_loses_no_data).
#pragma once

#include <corio/config.hpp>
#include <corio/stream_error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace corio::detail {

class read_buffer {
public:
  [[nodiscard]] std::size_t size() const noexcept { return buf_.size() - head_; }

  template <typename Stream>
  awaitable<std::string> read_some(Stream& s, std::size_t max) {
    if (max == 0) co_return std::string();
    if (size() == 0) co_await fill(s, max);
    co_return take(std::min(max, size()));
  }

  // (for (;;) with the awaited value named: CONTRIBUTING.md, "GCC 12 coroutine pitfalls", 3 —
  // `while (...) { if (!co_await fill(...)) ... }` crashed here at -O2.)
  template <typename Stream>
  awaitable<std::string> read_exactly(Stream& s, std::size_t n) {
    for (;;) {
      if (size() >= n) co_return take(n);
      const bool more = co_await fill(s, std::max<std::size_t>(n - size(), 4096));
      if (!more) throw incomplete_read_error(take(size()), n);
    }
  }

  template <typename Stream>
  awaitable<std::string> read_until(Stream& s, std::string delim, std::size_t max) {
    if (delim.empty()) throw std::invalid_argument("corio: read_until with an empty delimiter");
    std::size_t searched = 0;  // offset (from head_) before which no delimiter starts
    for (;;) {
      const std::string_view unread(buf_.data() + head_, size());
      const auto at = unread.find(delim, searched);
      if (at != std::string_view::npos) {
        if (at + delim.size() > max) throw limit_overrun_error(max, size());
        co_return take(at + delim.size());
      }
      // Not found: a delimiter may still start in the last delim.size() - 1 bytes.
      searched = unread.size() >= delim.size() ? unread.size() - delim.size() + 1 : 0;
      if (unread.size() >= max) throw limit_overrun_error(max, size());
      // Read no more than the limit can use: the buffer stays within max (+ one 4 KiB read).
      const bool more = co_await fill(s, std::max<std::size_t>(max - unread.size(), 4096));
      if (!more) throw incomplete_read_error(take(size()), 0);
    }
  }

private:
  // Appends what one read gives (at most `at_most` bytes); false at end of stream.
  template <typename Stream>
  awaitable<bool> fill(Stream& s, std::size_t at_most) {
    if (head_ > 0 && head_ >= buf_.size() / 2) {  // compact: the unread part moves to the front
      buf_.erase(0, head_);
      head_ = 0;
    }
    const std::size_t old = buf_.size();
    buf_.resize(old + at_most);
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf_.data() + old, at_most), asio::as_tuple(asio::deferred));
    buf_.resize(old + n);
    if (ec == asio::error::eof) co_return false;
    if (ec) throw boost::system::system_error(ec);
    co_return true;
  }

  std::string take(std::size_t n) {
    std::string out = buf_.substr(head_, n);
    head_ += n;
    if (head_ == buf_.size()) {
      buf_.clear();
      head_ = 0;
    }
    return out;
  }

  std::string buf_;
  std::size_t head_ = 0;
};

}  // namespace corio::detail
