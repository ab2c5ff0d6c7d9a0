// corio/generator.hpp — async generators: `co_yield` values, `co_await` in between (Python's
// `async def ... yield`; the paginated-API fetch).
//
//   corio::generator<page> pages(client& c) {
//     for (std::string url = first; !url.empty();) {
//       page p = co_await c.get(url);       // any corio::awaitable<U> or Asio async operation
//       url = p.next;
//       co_yield std::move(p);
//     }
//   }
//   auto gen = pages(c);
//   while (auto p = co_await gen.next()) consume(*p);
//
// The body does not start until the first next(). Each next() runs the body until its next
// `co_yield` (a value), its end (an empty optional; every later next() is empty too) or an error
// (rethrown by that next(); the generator is then finished). Inside the body, `co_await` accepts
// corio::awaitable<U> and Asio async operations (e.g. `sock.async_read_some(buf, asio::deferred)`);
// each runs as a child on the consumer's executor.
//
// Cancellation: cancelling a pending next() cancels what the body is awaiting; the body sees
// operation_aborted there and at every later co_await (level-triggered), so it unwinds cleanly and
// next() rethrows. Destroying the generator while the body awaits something cancels that operation
// and destroys the body once it has ended; destroying it between values destroys the body at once.
// Exceptions: the body's errors, through next(); std::logic_error for two concurrent next() calls.
// Thread safety: executor-affine: call next() from coroutines on one executor.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/post_completion.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

namespace corio {

template <typename T>
class generator {
public:
  struct promise_type;
  using handle = std::coroutine_handle<promise_type>;

  generator(generator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  generator& operator=(generator&& o) noexcept {
    if (this != &o) {
      release();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~generator() { release(); }

  /// The next value; empty once the body has finished. See the header comment.
  [[nodiscard]] awaitable<std::optional<T>> next();

private:
  struct control {
    handle h;
    asio::cancellation_signal inner_cancel;  // cancels the operation the body awaits
    asio::any_completion_handler<void(boost::system::error_code)> waiter;  // the pending next()
    executor ex;
    bool cancelled = false;  // level-triggered inside the body
    bool awaiting = false;   // the body is suspended in an inner co_await
    bool abandoned = false;  // the generator object is gone; destroy the body when it can be
    bool finished = false;

    void wake_consumer() {
      if (!waiter) return;
      auto w = std::move(waiter);
      w.get_cancellation_slot().clear();
      detail::post_completion(ex, std::move(w), boost::system::error_code{});
    }
    void resume_body() {
      awaiting = false;
      if (abandoned) h.destroy();
      else h.resume();
    }
  };

  explicit generator(handle h) : h_(h) {}

  void release() noexcept {
    if (!h_) return;
    auto& ctl = *h_.promise().ctl;
    if (ctl.awaiting) {
      ctl.abandoned = true;
      ctl.cancelled = true;
      ctl.inner_cancel.emit(asio::cancellation_type::terminal);
    } else {
      h_.destroy();
    }
    h_ = {};
  }

  template <typename U>
  struct inner_awaiter {
    std::shared_ptr<control> ctl;
    awaitable<U> aw;
    std::optional<std::conditional_t<std::is_void_v<U>, std::monostate, U>> result;
    std::exception_ptr error;

    bool await_ready() {
      if (ctl->cancelled) error = cancellation_error();
      return ctl->cancelled;
    }
    void await_suspend(std::coroutine_handle<>) {
      ctl->awaiting = true;
      auto done = [this, c = ctl](std::exception_ptr e, auto&&... v) {
        error = e;
        if (!e) {
          if constexpr (std::is_void_v<U>) result.emplace();
          else result.emplace(std::move(v)...);
        }
        c->resume_body();
      };
      asio::co_spawn(ctl->ex, std::move(aw), asio::bind_cancellation_slot(ctl->inner_cancel.slot(), std::move(done)));
    }
    U await_resume() {
      if (error) std::rethrow_exception(error);
      if constexpr (!std::is_void_v<U>) return std::move(*result);
    }
  };

public:
  struct promise_type {
    std::shared_ptr<control> ctl = std::make_shared<control>();
    std::optional<T> current;
    std::exception_ptr error;

    generator get_return_object() {
      ctl->h = handle::from_promise(*this);
      return generator(ctl->h);
    }
    std::suspend_always initial_suspend() noexcept { return {}; }

    struct final_awaiter {
      bool await_ready() noexcept { return false; }
      void await_suspend(handle h) noexcept {
        auto c = h.promise().ctl;  // keep the control alive past a destroy below
        c->finished = true;
        if (c->abandoned) {
          h.destroy();
          return;
        }
        c->wake_consumer();
      }
      void await_resume() noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }

    struct yield_awaiter {
      bool await_ready() noexcept { return false; }
      void await_suspend(handle h) noexcept { h.promise().ctl->wake_consumer(); }
      void await_resume() noexcept {}
    };
    template <typename U>
    yield_awaiter yield_value(U&& v) {
      current.emplace(std::forward<U>(v));
      return {};
    }

    template <typename U>
    inner_awaiter<U> await_transform(awaitable<U> aw) {
      return {ctl, std::move(aw), {}, {}};
    }
    template <typename Op>
      requires asio::is_async_operation<Op>::value
    auto await_transform(Op&& op) {
      return await_transform(std::forward<Op>(op)(asio::use_awaitable_t<executor>{}));
    }
  };

private:
  template <typename Token>
  auto async_step(Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          auto& ctl = *h_.promise().ctl;
          detail::store_handler(ctl.waiter, std::move(handler));
          auto slot = ctl.waiter.get_cancellation_slot();
          if (slot.is_connected()) {
            slot.assign([c = h_.promise().ctl](asio::cancellation_type t) {
              c->cancelled = true;
              if (c->awaiting) c->inner_cancel.emit(t);
            });
          }
          h_.resume();  // runs the body up to its next co_yield, co_await or end
        },
        token);
  }

  handle h_;
};

template <typename T>
awaitable<std::optional<T>> generator<T>::next() {
  if (!h_) throw std::logic_error("corio::generator::next: the generator was moved from");
  auto& ctl = *h_.promise().ctl;
  if (ctl.finished) co_return std::nullopt;
  if (ctl.waiter) throw std::logic_error("corio::generator::next: another next() is still pending");
  ctl.ex = co_await asio::this_coro::executor;
  h_.promise().current.reset();
  co_await async_step(asio::deferred);
  auto& p = h_.promise();
  if (p.error) std::rethrow_exception(std::exchange(p.error, nullptr));
  if (ctl.finished) co_return std::nullopt;
  co_return std::move(p.current);
}

}  // namespace corio
