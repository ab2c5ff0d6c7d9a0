// serve/ws_frame_limit.hpp — a socket layer under Beast's WebSocket stream that counts the frames
// a peer sends per message.
//
// Beast limits a message's size (read_message_max), not its frames: zero-length non-final frames
// and continuations are consumed in a loop inside one async_read, so a peer could keep a read
// going forever (and the connection's idle timer fed) without the message ever growing. This
// layer reads the incoming byte stream's frame headers as they pass (skipping payloads by their
// length: no copy, no unmasking) and fails the read with `errc::message_size` when a message has
// more than `max_frames` data frames (its first frame and its continuations, empty ones
// included), or when more than `max_frames` control frames (ping, pong) arrive in the middle of
// one message. Between messages control frames are not limited here (keep-alive pings).
//
// Usage: `websocket::stream<frame_limited_socket> ws(frame_limited_socket(sock, 128));`.
// Cancellation and executors: reads complete through the socket's operation (asio::async_compose:
// the caller's cancellation slot and executor are kept); writes are the socket's own.
// Thread safety: as the socket's (one read and one write at a time, on its executor).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace serve {

class frame_limited_socket {
public:
  using socket_type = boost::asio::ip::tcp::socket;
  using executor_type = socket_type::executor_type;

  frame_limited_socket(socket_type& s, std::size_t max_frames) : sock_(&s), max_frames_(max_frames) {}

  executor_type get_executor() noexcept { return sock_->get_executor(); }
  socket_type& socket() noexcept { return *sock_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        read_op<MutableBuffers>{*this, buffers}, token, *sock_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return sock_->async_write_some(buffers, std::forward<Token>(token));
  }

  /// Feeds `n` received bytes to the frame-header reader; an error once the limit is passed.
  /// (Public for the unit tests.)
  boost::system::error_code scan(const unsigned char* p, std::size_t n);

private:
  template <class MutableBuffers>
  struct read_op {
    frame_limited_socket& self_;
    MutableBuffers buffers_;
    bool started_ = false;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      if (!started_) {
        started_ = true;
        self_.sock_->async_read_some(buffers_, std::move(self));
        return;
      }
      std::size_t left = n;
      for (auto it = boost::asio::buffer_sequence_begin(buffers_); !ec && left > 0 &&
                                                                  it != boost::asio::buffer_sequence_end(buffers_);
           ++it) {
        const boost::asio::mutable_buffer b(*it);
        const std::size_t k = b.size() < left ? b.size() : left;
        ec = self_.scan(static_cast<const unsigned char*>(b.data()), k);
        left -= k;
      }
      self.complete(ec, n);
    }
  };

  socket_type* sock_;
  std::size_t max_frames_;
  unsigned char header_[14] = {};
  std::size_t have_ = 0;          // header bytes read
  std::size_t need_ = 2;          // header bytes this frame has (known once two are read)
  std::uint64_t skip_ = 0;        // payload bytes left of the current frame
  bool in_message_ = false;       // a data frame without FIN was seen
  std::size_t data_frames_ = 0;   // in the current message
  std::size_t control_frames_ = 0;  // in the middle of the current message
};

// Beast's closing handshake ends with these on the underlying TCP socket.
void teardown(boost::beast::role_type role, frame_limited_socket& s, boost::system::error_code& ec);

template <class Handler>
void async_teardown(boost::beast::role_type role, frame_limited_socket& s, Handler&& h) {
  boost::beast::websocket::async_teardown(role, s.socket(), std::forward<Handler>(h));
}

// Beast's timeouts and failures close the stream with this.
void beast_close_socket(frame_limited_socket& s);

}  // namespace serve
