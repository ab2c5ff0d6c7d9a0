// corio/queue.hpp — asyncio.Queue, PriorityQueue and LifoQueue, with Trio/Python 3.13 closing.
//
//   corio::queue<job> q(100);                        // capacity 100; 0 = unbounded
//   co_await q.put(j);                                // suspends while full (backpressure)
//   job j = co_await q.get();                         // suspends while empty
//   while (auto j = co_await q.next()) { ...; q.task_done(); }   // until closed and drained
//   co_await q.join();                                // every item put has been task_done()
//   q.close();                                        // producers are done
//
// `queue<T>` is first in, first out; `priority_queue<T, Compare = std::less<T>>` gives the smallest
// first (asyncio.PriorityQueue), equal ones in insertion order; `lifo_queue<T>` the newest first.
// All three are one template, `basic_queue<T, Container>`. Getters and putters are each served
// first come, first served: a put hands its item straight to the oldest waiting getter, a get
// makes room for the oldest waiting putter. Move-only T works everywhere; `async_get` (only) needs a
// default-constructible T, for the value that accompanies an error.
//
// Closing (Python 3.13 shutdown(immediate=False), Trio's channel close): after close(), get/next
// still drain what is left, then report closed — `get()` throws corio::queue_closed, `next()`
// returns an empty optional, `try_get()` throws queue_closed once empty. `put`/`try_put` after close
// fail with queue_closed; putters blocked at close() are woken with it (their items are not added).
// join() is not affected. close() is idempotent.
//
// Closing the receiving side (Trio's receive-channel close, Python 3.13 shutdown(immediate=True)):
// `close_receiving()` says no consumer will take anything again. Items still queued are dropped
// (destroyed, and counted as done for join(), which they can no longer block); `put`/`try_put`
// then fail with corio::queue_broken (channel_errc::broken), and putters blocked at that moment
// are woken with it (their items are not added); getters, blocked or later, report closed as
// after close(). close() afterwards changes nothing; close_receiving() is idempotent.
//
// Completion-token forms, for callbacks and asio::use_future (the handler runs on its associated
// executor, never inside the call that woke it; handler executors: see HANDLERS below):
//   async_put(x, token)  void(error_code)                  closed: channel_errc::closed (broken)
//   async_get(token)     void(error_code, T)               closed: channel_errc::closed
//   async_next(token)    void(error_code, std::optional<T>) closed: no error, empty optional
//   async_join(token)    void(error_code)
// (get() and put() are small coroutines over these that turn channel_errc::closed into
// queue_closed; next() and join() are the async forms with asio::deferred.)
//
// Cancellation: every waiting operation is cancellable through its cancellation slot (terminal,
// partial, total); it completes with operation_aborted (thrown as boost::system::system_error by
// the coroutine forms). A cancelled get takes no item: the next item goes to the next getter. A
// cancelled put adds nothing (its item is dropped with the operation). An item or a slot handed to
// a waiter whose cancellation arrives before it resumes is not lost: the waiter receives it.
// Exceptions: queue_closed and queue_broken as above; std::logic_error from task_done() called more often than
// items were put; the cancellation.
// HANDLERS: a completion handler runs on its associated executor (a coroutine's, or one bound with
// asio::bind_executor, e.g. a strand). A handler without one (a plain lambda) runs on the
// io_context or thread_pool that the thread starting the operation is running, as Asio's I/O
// objects fall back to their own executor; only an operation started from a thread that runs
// neither completes on Asio's system executor.
// Thread safety: executor-affine: use a queue from coroutines and handlers of one executor (or
// strand); no locking. Across threads and executors use corio::concurrent_queue. Destroying a
// queue with waiters completes them with operation_aborted.
#pragma once

#include <corio/channel_error.hpp>
#include <corio/config.hpp>
#include <corio/detail/affinity.hpp>
#include <corio/detail/queue_containers.hpp>
#include <corio/detail/wait_op.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace corio {

template <typename T, typename Container, typename Sync = detail::executor_affine>
class basic_queue {
  static_assert(std::is_move_constructible_v<T>, "corio::queue: T must be move-constructible");

public:
  using value_type = T;

  /// `capacity` 0: unbounded.
  explicit basic_queue(std::size_t capacity = 0) noexcept : capacity_(capacity) {}
  basic_queue(const basic_queue&) = delete;
  basic_queue& operator=(const basic_queue&) = delete;
  ~basic_queue();

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] bool full() const;
  /// True after close() or close_receiving().
  [[nodiscard]] bool closed() const;
  /// True after close_receiving().
  [[nodiscard]] bool receiving_closed() const;
  /// Items put and not yet task_done().
  [[nodiscard]] std::size_t unfinished_tasks() const;

  /// Puts without waiting: false if full (x is left untouched). Throws queue_closed if closed,
  /// queue_broken if the receiving side is closed.
  bool try_put(T&& x) { return try_put_impl(std::move(x)); }
  bool try_put(const T& x) { return try_put_impl(x); }
  /// Takes without waiting: empty if nothing is there. Throws queue_closed if closed and drained.
  [[nodiscard]] std::optional<T> try_get();

  template <typename CompletionToken>
  auto async_put(T x, CompletionToken&& token);
  /// `co_await q.put(x);` Throws queue_closed if the queue is (or gets) closed, queue_broken if
  /// its receiving side is (or gets) closed.
  [[nodiscard]] awaitable<void> put(T x);

  template <typename CompletionToken>
    requires std::is_default_constructible_v<T>
  auto async_get(CompletionToken&& token);
  /// `T x = co_await q.get();` Throws queue_closed once closed and drained.
  [[nodiscard]] awaitable<T> get();

  template <typename CompletionToken>
  auto async_next(CompletionToken&& token);
  /// `while (auto x = co_await q.next())`: the next item, empty once closed and drained.
  [[nodiscard]] auto next();

  /// Marks one item taken by a consumer as processed (asyncio's task_done()).
  void task_done();
  template <typename CompletionToken>
  auto async_join(CompletionToken&& token);
  /// Waits until every item put so far has been task_done().
  [[nodiscard]] auto join();

  /// Refuses further puts; gets drain what is left, then report closed. Idempotent.
  void close();
  /// No consumer will get again: drops what is queued; puts fail with queue_broken. Idempotent.
  void close_receiving();

  // Implementation

private:
  using mutex_type = typename Sync::mutex_type;
  using lock_type = std::lock_guard<mutex_type>;
  static constexpr bool track = Sync::track_work;

  struct getter : detail::wait_op {
    explicit getter(basic_queue* q) noexcept : owner(q) {}
    basic_queue* owner;
    std::optional<T> item;
  };
  struct putter : detail::wait_op {
    putter(basic_queue* q, T&& x) : owner(q), item(std::move(x)) {}
    basic_queue* owner;
    T item;
  };
  struct joiner : detail::wait_op {
    explicit joiner(basic_queue* q) noexcept : owner(q) {}
    basic_queue* owner;
  };

  // void(error_code, T): an error comes with T{}.
  struct get_completion {
    static std::tuple<detail::error_code, T> make(detail::error_code ec, std::optional<T>&& v) {
      if (v) return {ec, std::move(*v)};
      return {ec, T{}};
    }
    static auto args(getter& n, detail::error_code ec) { return make(ec, std::move(n.item)); }
  };
  // void(error_code, optional<T>): closed is the end of the sequence, not an error.
  struct next_completion {
    static std::tuple<detail::error_code, std::optional<T>> make(detail::error_code ec, std::optional<T>&& v) {
      if (ec == channel_errc::closed) ec = {};
      return {ec, std::move(v)};
    }
    static auto args(getter& n, detail::error_code ec) { return make(ec, std::move(n.item)); }
  };

  // A cancellation may race (concurrent_queue) with a completion under the mutex: re-check there.
  template <typename Node, auto List>
  static void on_cancel(detail::wait_op& w) {
    auto& n = static_cast<Node&>(w);
    basic_queue* q = n.owner;
    lock_type lk(q->mutex_);
    if (n.done()) return;
    (q->*List).erase(&n);
    n.complete(detail::aborted());
  }

  [[nodiscard]] bool full_locked() const noexcept { return capacity_ != 0 && items_.size() >= capacity_; }

  [[noreturn]] static void throw_closed() { throw queue_closed(); }
  // Why a put is refused (under the mutex; closed_ is set).
  [[nodiscard]] detail::error_code put_refusal() const noexcept {
    return broken_ ? channel_errc::broken : channel_errc::closed;
  }
  [[noreturn]] void throw_put_refused() const {
    if (broken_) throw queue_broken();
    throw_closed();
  }

  // Hands `x` to the oldest getter, or stores it if there is room. Under the mutex; not closed.
  template <typename U>
  bool accept(U&& x) {
    // Invariant: getters wait only while the queue is empty, putters only while it is full.
    if (getter* g = getters_.pop_front()) {
      g->item.emplace(std::forward<U>(x));
      ++unfinished_;
      g->complete({});
      return true;
    }
    if (full_locked()) return false;
    items_.push(std::forward<U>(x));
    ++unfinished_;
    return true;
  }

  // After a get: room for the oldest putters.
  void admit_putters() {
    while (!putters_.empty() && !full_locked()) {
      putter* p = putters_.pop_front();
      items_.push(std::move(p->item));
      ++unfinished_;
      p->complete({});
    }
  }

  template <typename U>
  bool try_put_impl(U&& x);

  template <typename Completion, typename Handler>
  void start_get(Handler handler);

  template <typename Completion, typename Handler>
  static void post_result(Handler&& handler, detail::error_code ec, std::optional<T>&& v) {
    std::apply([&](auto&&... a) { detail::post_now(std::move(handler), std::move(a)...); },
               Completion::make(ec, std::move(v)));
  }

  mutable mutex_type mutex_;
  Container items_;
  detail::wait_list<getter> getters_;
  detail::wait_list<putter> putters_;
  detail::wait_list<joiner> joiners_;
  std::size_t capacity_;
  std::size_t unfinished_ = 0;
  bool closed_ = false;
  bool broken_ = false;  // the receiving side is closed (closed_ is set too)
  mutable detail::affinity affinity_;  // debug mode's check of single-executor use (corio::queue & co.)
};

/// First in, first out (asyncio.Queue).
template <typename T>
using queue = basic_queue<T, detail::fifo_container<T>>;

/// Smallest first under Compare, ties in insertion order (asyncio.PriorityQueue).
template <typename T, typename Compare = std::less<T>>
using priority_queue = basic_queue<T, detail::priority_container<T, Compare>>;

/// Newest first (asyncio.LifoQueue).
template <typename T>
using lifo_queue = basic_queue<T, detail::lifo_container<T>>;

template <typename T, typename C, typename S>
basic_queue<T, C, S>::~basic_queue() {
  while (getter* g = getters_.pop_front()) g->complete(detail::aborted());
  while (putter* p = putters_.pop_front()) p->complete(detail::aborted());
  while (joiner* j = joiners_.pop_front()) j->complete(detail::aborted());
}

template <typename T, typename C, typename S>
std::size_t basic_queue<T, C, S>::size() const {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  return items_.size();
}

template <typename T, typename C, typename S>
bool basic_queue<T, C, S>::full() const {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  return full_locked();
}

template <typename T, typename C, typename S>
bool basic_queue<T, C, S>::closed() const {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  return closed_;
}

template <typename T, typename C, typename S>
bool basic_queue<T, C, S>::receiving_closed() const {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  return broken_;
}

template <typename T, typename C, typename S>
std::size_t basic_queue<T, C, S>::unfinished_tasks() const {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  return unfinished_;
}

template <typename T, typename C, typename S>
template <typename U>
bool basic_queue<T, C, S>::try_put_impl(U&& x) {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  if (closed_) throw_put_refused();
  return accept(std::forward<U>(x));
}

template <typename T, typename C, typename S>
std::optional<T> basic_queue<T, C, S>::try_get() {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  if (items_.empty()) {
    if (closed_) throw_closed();
    return std::nullopt;
  }
  std::optional<T> v(items_.pop());
  admit_putters();
  return v;
}

template <typename T, typename C, typename S>
template <typename CompletionToken>
auto basic_queue<T, C, S>::async_put(T x, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code)>(
      [this](auto handler, T item) {
        lock_type lk(mutex_);
        detail::affinity::use in_use(affinity_, S::name, S::affine);
        if (closed_) {
          detail::post_now(std::move(handler), put_refusal());
          return;
        }
        if (accept(std::move(item))) {
          detail::post_now(std::move(handler), detail::error_code());
          return;
        }
        auto* op = detail::make_op<putter, detail::complete_ec, track>(std::move(handler), this, std::move(item));
        putters_.push_back(op);
        op->arm(&on_cancel<putter, &basic_queue::putters_>);
      },
      token, std::move(x));
}

template <typename T, typename C, typename S>
awaitable<void> basic_queue<T, C, S>::put(T x) {
  // Room now: no suspension, no scheduler round trip (asyncio's put does the same). try_put_impl
  // leaves `x` alone when full and never overtakes a waiting putter.
  if (try_put_impl(std::move(x))) co_return;
  auto [ec] = co_await async_put(std::move(x), asio::as_tuple(asio::deferred));
  if (ec == channel_errc::closed) throw_closed();
  if (ec == channel_errc::broken) throw queue_broken();
  if (ec) throw boost::system::system_error(ec, std::string(S::name) + "::put");
}

template <typename T, typename C, typename S>
template <typename Completion, typename Handler>
void basic_queue<T, C, S>::start_get(Handler handler) {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  if (!items_.empty()) {
    std::optional<T> v(items_.pop());
    admit_putters();
    post_result<Completion>(std::move(handler), {}, std::move(v));
    return;
  }
  if (closed_) {
    post_result<Completion>(std::move(handler), channel_errc::closed, std::nullopt);
    return;
  }
  auto* op = detail::make_op<getter, Completion, track>(std::move(handler), this);
  getters_.push_back(op);
  op->arm(&on_cancel<getter, &basic_queue::getters_>);
}

template <typename T, typename C, typename S>
template <typename CompletionToken>
  requires std::is_default_constructible_v<T>
auto basic_queue<T, C, S>::async_get(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code, T)>(
      [this](auto handler) { this->template start_get<get_completion>(std::move(handler)); }, token);
}

template <typename T, typename C, typename S>
template <typename CompletionToken>
auto basic_queue<T, C, S>::async_next(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code, std::optional<T>)>(
      [this](auto handler) { this->template start_get<next_completion>(std::move(handler)); }, token);
}

template <typename T, typename C, typename S>
auto basic_queue<T, C, S>::next() {
  return async_next(asio::deferred);
}

template <typename T, typename C, typename S>
awaitable<T> basic_queue<T, C, S>::get() {
  // An item ready now is taken without suspending (drain while items are ready).
  if (std::optional<T> ready = try_get()) co_return std::move(*ready);
  std::optional<T> v = co_await next();
  if (!v) throw_closed();
  co_return std::move(*v);
}

template <typename T, typename C, typename S>
void basic_queue<T, C, S>::task_done() {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  if (unfinished_ == 0) {
    throw std::logic_error(std::string(S::name) + "::task_done: called more times than items were put");
  }
  if (--unfinished_ == 0) {
    while (joiner* j = joiners_.pop_front()) j->complete({});
  }
}

template <typename T, typename C, typename S>
template <typename CompletionToken>
auto basic_queue<T, C, S>::async_join(CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(detail::error_code)>(
      [this](auto handler) {
        lock_type lk(mutex_);
        detail::affinity::use in_use(affinity_, S::name, S::affine);
        if (unfinished_ == 0) {
          detail::post_now(std::move(handler), detail::error_code());
          return;
        }
        auto* op = detail::make_op<joiner, detail::complete_ec, track>(std::move(handler), this);
        joiners_.push_back(op);
        op->arm(&on_cancel<joiner, &basic_queue::joiners_>);
      },
      token);
}

template <typename T, typename C, typename S>
auto basic_queue<T, C, S>::join() {
  return async_join(asio::deferred);
}

template <typename T, typename C, typename S>
void basic_queue<T, C, S>::close() {
  lock_type lk(mutex_);
  detail::affinity::use in_use(affinity_, S::name, S::affine);
  if (closed_) return;
  closed_ = true;
  // Getters wait only while the queue is empty: nothing is left for them.
  while (getter* g = getters_.pop_front()) g->complete(channel_errc::closed);
  while (putter* p = putters_.pop_front()) p->complete(channel_errc::closed);
}

template <typename T, typename C, typename S>
void basic_queue<T, C, S>::close_receiving() {
  C dropped;
  {
    lock_type lk(mutex_);
    detail::affinity::use in_use(affinity_, S::name, S::affine);
    if (broken_) return;
    broken_ = true;
    closed_ = true;
    while (getter* g = getters_.pop_front()) g->complete(channel_errc::closed);
    while (putter* p = putters_.pop_front()) p->complete(channel_errc::broken);
    // Dropped items count as done: join() must not wait for what nobody will take.
    const std::size_t n = items_.size();
    using std::swap;
    swap(dropped, items_);
    unfinished_ = unfinished_ >= n ? unfinished_ - n : 0;
    if (unfinished_ == 0) {
      while (joiner* j = joiners_.pop_front()) j->complete({});
    }
  }
  // `dropped` is destroyed here, outside the lock (an item's destructor may use the queue).
}

}  // namespace corio
