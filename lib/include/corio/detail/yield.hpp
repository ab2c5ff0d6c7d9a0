// corio/detail/yield.hpp — yield()'s operation: one post, completing with operation_aborted when
// a cancellation arrived while it was queued. Internal; corio/sleep.hpp is the interface.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/system/error_code.hpp>

#include <utility>

namespace corio::detail {

/// yield()'s operation: a post to the handler's executor that completes with operation_aborted if
/// a cancellation reached the handler while it was queued. A coroutine's handler carries its
/// thread's cancellation state, which records every cancellation: comparing it before and after
/// costs two loads. Any other handler gets a cancellation-slot handler for the wait.
struct yield_initiation {
  struct on_cancel {
    bool cancelled = false;
    void operator()(asio::cancellation_type) noexcept { cancelled = true; }
  };

  template <typename Handler>
  void operator()(Handler handler) const {
    using ec_type = boost::system::error_code;
    auto ex = handler_executor(handler);
    if constexpr (has_cancellation_state<Handler>) {
      const auto before = handler.get_cancellation_state().cancelled();
      // (As asio::post(token) does it: straight to the executor, as a fork.)
      asio::prefer(ex, asio::execution::blocking.never, asio::execution::relationship.fork)
          .execute([h = std::move(handler), before]() mutable {
            const bool aborted = h.get_cancellation_state().cancelled() != before;
            std::move(h)(aborted ? ec_type(asio::error::operation_aborted) : ec_type());
          });
    } else {
      auto slot = asio::get_associated_cancellation_slot(handler);
      const bool* cancelled = slot.is_connected() ? &slot.template emplace<on_cancel>().cancelled : nullptr;
      asio::post(ex, [h = std::move(handler), cancelled]() mutable {
        const bool aborted = cancelled && *cancelled;
        if (cancelled) asio::get_associated_cancellation_slot(h).clear();
        std::move(h)(aborted ? ec_type(asio::error::operation_aborted) : ec_type());
      });
    }
  }
};

}  // namespace corio::detail
