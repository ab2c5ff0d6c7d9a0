// corio/broadcast.hpp — one sender, many receivers, each sees every item (Tokio's broadcast).
//
//   corio::broadcast<event> bus(64);
//   auto rx = bus.subscribe();              // sees what is sent from now on
//   bus.send(e);                            // never waits
//   event e = co_await rx.recv();           // in order; throws corio::lagged if it fell behind
//   while (auto e = co_await rx.next()) {}  // until closed and drained
//
// The channel keeps the last `capacity` items. Each receiver reads them in order at its own pace;
// send() never waits for anyone. A receiver that falls more than `capacity` items behind has lost
// the oldest ones: its next recv() throws `corio::lagged` (missed() says how many it skipped) and
// the following recv() continues with the oldest item still retained — it never stalls the sender
// or the other receivers. After close(), receivers drain what they have not seen, then recv()
// throws corio::queue_closed and next() returns an empty optional; send() after close throws
// queue_closed. A receiver supports one waiting recv at a time.
// `rx.async_recv(token)`: any Asio completion token; signature
// `void(boost::system::error_code, T)` with `channel_errc::lagged` (count in `rx.missed()`) or
// `channel_errc::closed` (T default-constructed; async_recv needs a default-constructible T). The
// handler runs on its associated executor, never inside send() (handler executors: see HANDLERS
// below). T must be copyable: every receiver gets its own copy.
//
// Cancellation: a waiting recv is cancellable through its cancellation slot (terminal, partial,
// total); it completes with operation_aborted (thrown as boost::system::system_error) and the
// receiver's position is unchanged — no item is skipped. An item handed to a receiver whose
// cancellation arrives before it resumes is delivered.
// Exceptions: lagged and queue_closed as above (both boost::system::system_error, codes from
// corio/channel_error.hpp); std::invalid_argument for capacity 0; std::logic_error for a second
// concurrent recv on one receiver; the cancellation.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: the channel and its receivers belong to one executor (or
// strand). Receivers may outlive the channel (they then report closed); destroying a receiver
// with a waiting recv completes it with operation_aborted.
#pragma once

#include <corio/channel_error.hpp>
#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace corio {

/// Thrown by a broadcast receiver that fell behind; the next recv continues with the oldest item.
class lagged : public boost::system::system_error {
public:
  explicit lagged(std::uint64_t missed)
      : boost::system::system_error(make_error_code(channel_errc::lagged),
                                    "corio::broadcast: the receiver missed " + std::to_string(missed) + " items"),
        missed_(missed) {}
  [[nodiscard]] std::uint64_t missed() const noexcept { return missed_; }

private:
  std::uint64_t missed_;
};

template <typename T>
class broadcast {
  static_assert(std::is_copy_constructible_v<T>, "corio::broadcast: every receiver gets a copy: T must be copyable");

  struct receiver_state;

public:
  class receiver {
  public:
    /// A receiver of nothing (recv reports closed).
    receiver() = default;
    receiver(receiver&&) noexcept = default;
    receiver& operator=(receiver&& other) noexcept {
      if (this != &other) {
        unsubscribe();
        st_ = std::move(other.st_);
      }
      return *this;
    }
    ~receiver() { unsubscribe(); }

    /// The next item. Signature void(error_code, T); see the header comment for the errors.
    template <typename CompletionToken>
      requires std::is_default_constructible_v<T>
    auto async_recv(CompletionToken&& token);

    /// `T x = co_await rx.recv();` Throws lagged, queue_closed, or the cancellation.
    [[nodiscard]] awaitable<T> recv();
    /// `while (auto x = co_await rx.next())`: empty once closed and drained. Throws lagged.
    [[nodiscard]] awaitable<std::optional<T>> next();
    /// Without waiting: empty if nothing new. Throws lagged, or queue_closed once closed and drained.
    [[nodiscard]] std::optional<T> try_recv();

    /// How many items the last lagged report skipped.
    [[nodiscard]] std::uint64_t missed() const noexcept { return st_ ? st_->missed : 0; }
    /// Items this receiver can take without waiting (lagged ones excluded).
    [[nodiscard]] std::size_t available() const noexcept;

  private:
    friend class broadcast;
    explicit receiver(std::unique_ptr<receiver_state> st) noexcept : st_(std::move(st)) {}
    template <typename Completion, typename CompletionToken>
    auto initiate(CompletionToken&& token);
    void unsubscribe() noexcept {
      if (st_ && st_->owner) st_->owner->unsubscribe(*st_);
    }
    [[noreturn]] void throw_error(boost::system::error_code ec) const;

    std::unique_ptr<receiver_state> st_;
  };

  /// Keeps the last `capacity` items (at least 1).
  explicit broadcast(std::size_t capacity);
  broadcast(const broadcast&) = delete;
  broadcast& operator=(const broadcast&) = delete;
  ~broadcast();

  /// A receiver that sees every item sent from now on.
  [[nodiscard]] receiver subscribe();
  /// Sends to every receiver; never waits. Returns the number of receivers. Throws queue_closed.
  std::size_t send(T x);
  /// No more items; receivers drain, then see closed. Idempotent.
  void close();

  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t receiver_count() const noexcept { return receivers_; }

  // Implementation

private:
  struct recv_node;

  // A receiver's position; lives on the heap so that receivers can move while linked here.
  struct receiver_state {
    broadcast* owner = nullptr;
    std::uint64_t next = 0;  // sequence number of the next item to read
    std::uint64_t missed = 0;
    recv_node* pending = nullptr;
    receiver_state* prev = nullptr;
    receiver_state* next_rx = nullptr;
  };

  struct recv_node : detail::wait_op {
    recv_node(broadcast* b, receiver_state* s) noexcept : owner(b), st(s) {}
    broadcast* owner;
    receiver_state* st;
    std::optional<T> item;
  };

  // void(error_code, T): errors come with T{}.
  struct value_completion {
    using signature = void(detail::error_code, T);
    static std::tuple<detail::error_code, T> make(detail::error_code ec, std::optional<T>&& v) {
      if (v) return {ec, std::move(*v)};
      return {ec, T{}};
    }
    static auto args(recv_node& n, detail::error_code ec) { return make(ec, std::move(n.item)); }
  };
  // void(error_code, optional<T>), for recv() and next().
  struct optional_completion {
    using signature = void(detail::error_code, std::optional<T>);
    static std::tuple<detail::error_code, std::optional<T>> make(detail::error_code ec, std::optional<T>&& v) {
      return {ec, std::move(v)};
    }
    static auto args(recv_node& n, detail::error_code ec) { return make(ec, std::move(n.item)); }
  };

  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<recv_node&>(w);
    n.owner->waiters_.erase(&n);
    n.st->pending = nullptr;  // the position is unchanged: nothing is skipped
    n.complete(detail::aborted());
  }

  [[nodiscard]] std::uint64_t tail() const noexcept { return head_ + items_.size(); }

  /// Reads without waiting: an item, or an error (lagged / closed), or nothing yet.
  std::optional<T> poll(receiver_state& st, detail::error_code& ec) {
    if (st.next < head_) {
      st.missed = head_ - st.next;
      st.next = head_;
      ec = channel_errc::lagged;
      return std::nullopt;
    }
    if (st.next < tail()) return items_[static_cast<std::size_t>(st.next++ - head_)];
    if (closed_) ec = channel_errc::closed;
    return std::nullopt;
  }

  template <typename Completion, typename Handler>
  void start_recv(receiver_state& st, Handler handler) {
    detail::error_code ec;
    std::optional<T> v = poll(st, ec);
    if (v || ec) {
      std::apply([&](auto&&... a) { detail::post_now(std::move(handler), std::move(a)...); },
                 Completion::make(ec, std::move(v)));
      return;
    }
    auto* op = detail::make_op<recv_node, Completion>(std::move(handler), this, &st);
    st.pending = op;
    waiters_.push_back(op);
    op->arm(&on_cancel);
  }

  void unsubscribe(receiver_state& st) noexcept {
    if (recv_node* n = std::exchange(st.pending, nullptr)) {
      waiters_.erase(n);
      n->complete(detail::aborted());
    }
    if (st.prev) st.prev->next_rx = st.next_rx;
    else first_ = st.next_rx;
    if (st.next_rx) st.next_rx->prev = st.prev;
    st.prev = st.next_rx = nullptr;
    st.owner = nullptr;
    --receivers_;
  }

  std::deque<T> items_;
  std::uint64_t head_ = 0;  // sequence number of items_.front()
  detail::wait_list<recv_node> waiters_;
  receiver_state* first_ = nullptr;
  std::size_t receivers_ = 0;
  std::size_t capacity_;
  bool closed_ = false;
  detail::affinity affinity_;  // debug mode's check of single-executor use
};

template <typename T>
broadcast<T>::broadcast(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("corio::broadcast: the capacity must be at least 1");
}

template <typename T>
broadcast<T>::~broadcast() {
  // Nothing more will come: waiting receivers see closed, later ones too (owner is cleared).
  while (recv_node* n = waiters_.pop_front()) {
    n->st->pending = nullptr;
    n->complete(channel_errc::closed);
  }
  while (first_) unsubscribe(*first_);
}

template <typename T>
typename broadcast<T>::receiver broadcast<T>::subscribe() {
  auto st = std::make_unique<receiver_state>();
  st->owner = this;
  st->next = tail();
  st->next_rx = first_;
  if (first_) first_->prev = st.get();
  first_ = st.get();
  ++receivers_;
  return receiver(std::move(st));
}

template <typename T>
std::size_t broadcast<T>::send(T x) {
  detail::affinity::use in_use(affinity_, "corio::broadcast");
  if (closed_) throw queue_closed();
  items_.push_back(std::move(x));
  if (items_.size() > capacity_) {
    items_.pop_front();
    ++head_;
  }
  // Waiting receivers are exactly those that had read everything: the new item is theirs.
  while (recv_node* n = waiters_.pop_front()) {
    n->item.emplace(items_.back());
    n->st->next = tail();
    n->st->pending = nullptr;
    n->complete({});
  }
  return receivers_;
}

template <typename T>
void broadcast<T>::close() {
  detail::affinity::use in_use(affinity_, "corio::broadcast");
  if (closed_) return;
  closed_ = true;
  while (recv_node* n = waiters_.pop_front()) {
    n->st->pending = nullptr;
    n->complete(channel_errc::closed);
  }
}

template <typename T>
template <typename Completion, typename CompletionToken>
auto broadcast<T>::receiver::initiate(CompletionToken&& token) {
  // Checked here, not in the initiation: with asio::deferred the initiation runs after the
  // coroutine has suspended, where an exception could not reach it.
  if (st_ && st_->pending) throw std::logic_error("corio::broadcast::receiver: only one recv may wait at a time");
  return asio::async_initiate<CompletionToken, typename Completion::signature>(
      [st = st_.get()](auto handler) {
        if (!st || !st->owner) {
          std::apply([&](auto&&... a) { detail::post_now(std::move(handler), std::move(a)...); },
                     Completion::make(channel_errc::closed, std::nullopt));
          return;
        }
        detail::affinity::use in_use(st->owner->affinity_, "corio::broadcast");
        st->owner->template start_recv<Completion>(*st, std::move(handler));
      },
      token);
}

template <typename T>
template <typename CompletionToken>
  requires std::is_default_constructible_v<T>
auto broadcast<T>::receiver::async_recv(CompletionToken&& token) {
  return initiate<value_completion>(std::forward<CompletionToken>(token));
}

template <typename T>
void broadcast<T>::receiver::throw_error(boost::system::error_code ec) const {
  if (ec == channel_errc::closed) throw queue_closed();
  if (ec == channel_errc::lagged) throw lagged(missed());
  throw boost::system::system_error(ec, "corio::broadcast::receiver::recv");
}

template <typename T>
awaitable<T> broadcast<T>::receiver::recv() {
  auto [ec, v] = co_await initiate<optional_completion>(asio::as_tuple(asio::deferred));
  if (ec) throw_error(ec);
  co_return std::move(*v);
}

template <typename T>
awaitable<std::optional<T>> broadcast<T>::receiver::next() {
  auto [ec, v] = co_await initiate<optional_completion>(asio::as_tuple(asio::deferred));
  if (ec == channel_errc::closed) co_return std::nullopt;
  if (ec) throw_error(ec);
  co_return std::move(v);
}

template <typename T>
std::optional<T> broadcast<T>::receiver::try_recv() {
  if (!st_ || !st_->owner) throw queue_closed();
  detail::error_code ec;
  std::optional<T> v = st_->owner->poll(*st_, ec);
  if (ec) throw_error(ec);
  return v;
}

template <typename T>
std::size_t broadcast<T>::receiver::available() const noexcept {
  if (!st_ || !st_->owner) return 0;
  const broadcast& b = *st_->owner;
  const std::uint64_t from = st_->next < b.head_ ? b.head_ : st_->next;
  return static_cast<std::size_t>(b.tail() - from);
}

}  // namespace corio
