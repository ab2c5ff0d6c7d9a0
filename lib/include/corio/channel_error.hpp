// corio/channel_error.hpp — how queues and channels report that they are closed, or that a
// broadcast receiver fell behind.
//
// The completion-token forms (`async_get`, `async_put`, `async_recv`, ...) report these as
// `boost::system::error_code`s of `corio::channel_category()`: `channel_errc::closed`,
// `channel_errc::lagged`, `channel_errc::broken`. The coroutine forms (`co_await q.get()`, `q.put(x)`,
// `rx.recv()`) throw `corio::queue_closed`, `corio::queue_broken` (a put after the receiving side
// closed) and broadcast's `corio::lagged`, which derive from
// boost::system::system_error and carry the same codes, so either catch clause works:
//
//   try { auto x = co_await q.get(); } catch (const corio::queue_closed&) { ... }
//
// Cancellation: not applicable.  Exceptions: none thrown by this header's functions.
// Thread safety: everything here is immutable or a value type.
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <type_traits>

namespace corio {

enum class channel_errc : int {
  closed = 1,  // closed and drained: nothing more will come (or: put/send after close)
  lagged = 2,  // a broadcast receiver fell behind; it continues with the oldest retained item
  broken = 3,  // the receiving side is closed: nothing sent will ever be received
};

[[nodiscard]] const boost::system::error_category& channel_category() noexcept;

[[nodiscard]] inline boost::system::error_code make_error_code(channel_errc e) noexcept {
  return {static_cast<int>(e), channel_category()};
}

/// Thrown by the coroutine forms when a queue or channel is closed (see above).
class queue_closed : public boost::system::system_error {
public:
  queue_closed() : boost::system::system_error(make_error_code(channel_errc::closed)) {}
};

/// Thrown by a queue's put()/try_put() once its receiving side is closed (Trio's
/// BrokenResourceError): what is sent can never be received.
class queue_broken : public boost::system::system_error {
public:
  queue_broken() : boost::system::system_error(make_error_code(channel_errc::broken)) {}
};

// Implementation

namespace detail {

// error_category's destructor is protected and non-virtual by design (categories are never
// deleted through a base pointer); GCC's -Wnon-virtual-dtor cannot tell.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class channel_category_impl final : public boost::system::error_category {
public:
  // A fixed id keeps codes comparable even if this inline category were instantiated twice.
  constexpr channel_category_impl() noexcept : boost::system::error_category(0xC0610C4A77E1C0DEULL) {}
  [[nodiscard]] const char* name() const noexcept override { return "corio.channel"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<channel_errc>(ev)) {
      case channel_errc::closed:
        return "the queue or channel is closed";
      case channel_errc::lagged:
        return "the receiver lagged behind and missed items";
      case channel_errc::broken:
        return "the receiving side of the queue or channel is closed";
    }
    return "unknown corio.channel error";
  }
};
#pragma GCC diagnostic pop

}  // namespace detail

inline const boost::system::error_category& channel_category() noexcept {
  static const detail::channel_category_impl instance;
  return instance;
}

}  // namespace corio

template <>
struct boost::system::is_error_code_enum<corio::channel_errc> : std::true_type {};
