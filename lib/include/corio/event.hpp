// corio/event.hpp — asyncio.Event: a flag that coroutines can wait for.
//
//   corio::event ready;
//   ... ready.set();                  // wakes every waiter; later waits return at once
//   co_await ready.wait();            // returns at once if set
//   ready.clear();                    // later waits suspend again
//
// set() wakes every coroutine waiting at that moment, even if clear() follows before they resume
// (each was released by that set()). `async_wait(token)`: any Asio completion token; signature
// `void(boost::system::error_code)`; the handler runs on its associated executor, never inside
// set() (handler executors: see HANDLERS below).
//
// Cancellation: a waiting wait() is cancellable through its cancellation slot (terminal, partial,
// total): it completes with operation_aborted (wait() throws it as boost::system::system_error).
// Once set() has released a waiter, a cancellation arriving before it resumes no longer applies.
// Exceptions: only the cancellation.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: use from coroutines and handlers of one executor (or strand).
// Destroying an event with waiters completes them with operation_aborted.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

namespace corio {

class event {
public:
  event() = default;
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event();

  [[nodiscard]] bool is_set() const noexcept { return set_; }

  /// Sets the flag and wakes every waiter.
  void set();
  /// Resets the flag; later waits suspend until the next set().
  void clear() noexcept {
    detail::affinity::use in_use(affinity_, "corio::event");
    set_ = false;
  }

  /// Waits until the flag is set. Signature void(error_code).
  template <typename CompletionToken>
  auto async_wait(CompletionToken&& token);

  /// `co_await ev.wait();`
  [[nodiscard]] auto wait();

  // Implementation

private:
  struct node : detail::wait_op {
    explicit node(event* e) noexcept : owner(e) {}
    event* owner;
  };

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<node&>(w);
    n.owner->waiters_.erase(&n);
    n.complete(detail::aborted());
  }

  detail::wait_list<node> waiters_;
  bool set_ = false;
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

inline event::~event() {
  while (node* n = waiters_.pop_front()) n->complete(detail::aborted());
}

inline void event::set() {
  detail::affinity::use in_use(affinity_, "corio::event");
  set_ = true;
  while (node* n = waiters_.pop_front()) n->complete({});
}

template <typename CompletionToken>
auto event::async_wait(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code)>(
      [this](auto handler) {
        detail::affinity::use in_use(affinity_, "corio::event");
        if (set_) {
          detail::post_now(std::move(handler), detail::error_code());
          return;
        }
        auto* op = detail::make_op<node, detail::complete_ec>(std::move(handler), this);
        waiters_.push_back(op);
        op->arm(&on_cancel);
      },
      token);
}

inline auto event::wait() { return async_wait(asio::deferred); }

}  // namespace corio
