// corio/detail/timer.hpp — a one-shot deadline timer that waits in real time (asio::steady_timer)
// or, on a thread with an active virtual clock, in virtual time. Internal.
//
// One wait at a time. Completion: void(error_code), operation_aborted when cancelled (by cancel()
// or through the handler's cancellation slot).
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/virtual_clock.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <corio/detail/post_completion.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>

namespace corio::detail {

class timer {
public:
  explicit timer(const executor& ex) : ex_(ex), vc_(current_virtual_clock) {
    if (!vc_) real_.emplace(ex);
  }
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  ~timer() {
    if (scheduled_) vc_->remove(it_);
  }

  [[nodiscard]] clock::time_point expiry() const noexcept { return expiry_; }

  /// Sets the deadline; a pending wait is cancelled (as with asio::steady_timer).
  void expires_at(clock::time_point tp) {
    cancel();
    expiry_ = tp;
    if (real_) real_->expires_at(tp);
  }

  void cancel() noexcept {
    if (real_) {
      real_->cancel();
    } else if (handler_) {
      complete(asio::error::operation_aborted);
    }
  }

  template <typename Token>
  auto async_wait(Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          if (real_) {
            real_->async_wait(std::move(handler));
            return;
          }
          store_handler(handler_, std::move(handler));
          if (expiry_ <= vc_->now()) {
            complete({});
            return;
          }
          it_ = vc_->schedule(expiry_, this);
          scheduled_ = true;
          auto slot = handler_.get_cancellation_slot();
          if (slot.is_connected()) slot.assign([this](asio::cancellation_type) { cancel(); });
        },
        token);
  }

  /// Called by the virtual clock when the deadline is reached.
  void fire() { complete({}); }

private:
  void complete(boost::system::error_code ec) {
    if (scheduled_) {
      vc_->remove(it_);
      scheduled_ = false;
    }
    auto h = std::move(handler_);
    h.get_cancellation_slot().clear();
    post_completion(ex_, std::move(h), ec);
  }

  executor ex_;
  virtual_clock* vc_;
  std::optional<asio::steady_timer> real_;
  clock::time_point expiry_{};
  asio::any_completion_handler<void(boost::system::error_code)> handler_;
  virtual_clock::queue::iterator it_{};
  bool scheduled_ = false;
};

}  // namespace corio::detail
