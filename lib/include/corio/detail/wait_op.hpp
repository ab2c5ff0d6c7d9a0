// corio/detail/wait_op.hpp — the pending operation behind every waiting call of the synchronization
// primitives and queues (lock, semaphore, event, condition, barrier, capacity_limiter, queues,
// broadcast). Internal.
//
// One allocation per suspended wait, made with the handler's associated allocator (by default
// Asio's recycling allocator, so a steady state allocates nothing): the handler, the intrusive links
// of the primitive's FIFO and the primitive's payload (a guard, an item) live in that one block.
//
// Lifecycle of an op: waiting (linked into a primitive's list; a cancellation unlinks it) → done
// (complete() was called: the result is stored and a runner is posted to the handler's executor;
// cancellation is ignored from here on, which is how a permit or item handed to a waiter whose
// cancellation arrives at the same moment is never lost) → finished (the runner cleared the
// cancellation slot, freed the op and invoked the handler). The op outlives its `done` transition
// so that a late cancellation finds `done_` instead of freed memory; the slot is cleared on the
// handler's executor, never inside the cancellation handler itself.
#pragma once

#include <corio/config.hpp>
#include <corio/detail/asio_adapter.hpp>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace boost::asio {
template <typename... Signatures>
class any_completion_handler;  // only the name is needed (its header is large)
}  // namespace boost::asio

namespace corio::detail {

using error_code = boost::system::error_code;

/// The primitive-independent part of a pending operation.
class wait_op {
public:
  wait_op() = default;
  wait_op(const wait_op&) = delete;
  wait_op& operator=(const wait_op&) = delete;
  virtual ~wait_op() = default;

  /// Ends the wait with `ec` (the payload, if any, is already stored). The caller has unlinked the
  /// op. The handler runs later on its own executor; never inline.
  void complete(error_code ec) {
    assert(!done());
    ec_ = ec;
    done_.store(true, std::memory_order_release);
    post_runner();
  }

  /// True once complete() was called: the wait is decided, cancellation no longer applies.
  [[nodiscard]] bool done() const noexcept { return done_.load(std::memory_order_acquire); }

  /// Frees the op without invoking its handler (its coroutine frame, if any, goes with it).
  virtual void destroy() noexcept = 0;

  // Intrusive links (see wait_list).
  wait_op* prev_ = nullptr;
  wait_op* next_ = nullptr;
  // Called when a cancellation reaches a waiting op (on the thread that emitted it).
  void (*on_cancel_)(wait_op&) = nullptr;
  // Primitive-specific state (a condition waiter: waiting to be notified or re-acquiring).
  std::uint8_t phase_ = 0;

protected:
  virtual void post_runner() = 0;

  error_code ec_;

private:
  // Atomic only for concurrent_queue, where a cancellation on the waiter's thread may check it
  // while another thread completes the op (under the queue's mutex).
  std::atomic<bool> done_{false};
};

/// An intrusive FIFO of ops of type Node (derived from wait_op). Does not own the ops.
template <typename Node>
class wait_list {
public:
  wait_list() = default;
  wait_list(const wait_list&) = delete;
  wait_list& operator=(const wait_list&) = delete;

  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] Node* front() const noexcept { return static_cast<Node*>(head_); }

  void push_back(Node* n) noexcept {
    wait_op* w = n;
    w->prev_ = tail_;
    w->next_ = nullptr;
    if (tail_) tail_->next_ = w;
    else head_ = w;
    tail_ = w;
    ++size_;
  }

  Node* pop_front() noexcept {
    Node* n = front();
    if (n) erase(n);
    return n;
  }

  void erase(Node* n) noexcept {
    wait_op* w = n;
    if (w->prev_) w->prev_->next_ = w->next_;
    else head_ = w->next_;
    if (w->next_) w->next_->prev_ = w->prev_;
    else tail_ = w->prev_;
    w->prev_ = w->next_ = nullptr;
    --size_;
  }

  template <typename F>
  [[nodiscard]] Node* find_if(F pred) const {
    for (wait_op* w = head_; w; w = w->next_) {
      if (pred(*static_cast<Node*>(w))) return static_cast<Node*>(w);
    }
    return nullptr;
  }

private:
  wait_op* head_ = nullptr;
  wait_op* tail_ = nullptr;
  std::size_t size_ = 0;
};

template <typename Handler>
struct is_any_completion_handler : std::false_type {};
template <typename... Signatures>
struct is_any_completion_handler<asio::any_completion_handler<Signatures...>> : std::true_type {};

/// True if the handler's executor is fixed by the handler alone (an awaitable's, a bound one).
template <typename Handler>
inline constexpr bool has_own_executor =
    !std::is_same_v<asio::associated_executor_t<Handler, asio::system_executor>, asio::system_executor> &&
    !is_any_completion_handler<Handler>::value;

/// The executor a handler runs on: its associated executor; for a handler without one (a plain
/// lambda in callback code), the io_context or thread_pool that the initiating thread is running —
/// as Asio's I/O objects fall back to their own executor — and Asio's system executor only when the
/// operation was started from a thread that runs none.
template <typename Handler>
using handler_executor_t =
    std::conditional_t<has_own_executor<Handler>, asio::associated_executor_t<Handler, asio::system_executor>,
                       asio::associated_executor_t<Handler, executor>>;

template <typename Handler>
handler_executor_t<Handler> handler_executor(const Handler& h) {
  if constexpr (has_own_executor<Handler>) {
    return asio::get_associated_executor(h);
  } else {
    return asio::get_associated_executor(h, initiating_executor());
  }
}

/// The op: Node (the primitive's node type, with its payload) plus the handler.
/// `Completion::args(Node&, error_code)` returns the tuple the handler is invoked with.
/// The op keeps the handler's executor busy while it waits (Asio's rule for asynchronous
/// operations: a callback waiting on a semaphore keeps io_context::run() from returning), except
/// for a coroutine's handler, whose coroutine thread does that already — unless TrackWork asks
/// for it anyway (concurrent_queue: the wake-up comes from another thread).
template <typename Node, typename Handler, typename Completion, bool TrackWork = false>
class async_op final : public Node {
  static constexpr bool track_work = TrackWork || !is_coroutine_handler<Handler>::value;

  using default_alloc = asio::recycling_allocator<void>;
  using alloc_type = typename std::allocator_traits<
      asio::associated_allocator_t<Handler, default_alloc>>::template rebind_alloc<async_op>;
  using plain_executor = handler_executor_t<Handler>;
  using executor_type =
      std::conditional_t<track_work,
                         std::decay_t<decltype(asio::prefer(
                             std::declval<const plain_executor&>(),
                             asio::execution::outstanding_work.tracked))>,
                         plain_executor>;

public:
  /// Allocates the op with the handler's allocator; `args` construct the Node.
  template <typename... A>
  static async_op* create(Handler&& h, A&&... args) {
    alloc_type alloc(asio::get_associated_allocator(h, default_alloc()));
    async_op* p = std::allocator_traits<alloc_type>::allocate(alloc, 1);
    try {
      return ::new (static_cast<void*>(p)) async_op(std::move(h), std::forward<A>(args)...);
    } catch (...) {
      std::allocator_traits<alloc_type>::deallocate(alloc, p, 1);
      throw;
    }
  }

  /// Connects the handler's cancellation slot (if any) to `on_cancel`. Call once the op is linked.
  void arm(void (*on_cancel)(wait_op&)) {
    this->on_cancel_ = on_cancel;
    if (slot_.is_connected()) slot_.template emplace<cancel_handler>(cancel_handler{this});
  }

  void destroy() noexcept override {
    if (slot_.is_connected()) slot_.clear();
    free_self(alloc_type(asio::get_associated_allocator(handler_, default_alloc())));
  }

private:
  template <typename... A>
  explicit async_op(Handler&& h, A&&... args)
      : Node(std::forward<A>(args)...),
        handler_(std::move(h)),
        ex_(make_executor(handler_)),
        slot_(asio::get_associated_cancellation_slot(handler_)) {}

  static executor_type make_executor(const Handler& h) {
    if constexpr (track_work) {
      return asio::prefer(handler_executor(h), asio::execution::outstanding_work.tracked);
    } else {
      return handler_executor(h);
    }
  }

  struct cancel_handler {
    wait_op* op;
    void operator()(asio::cancellation_type type) const {
      // Waiting has no side effects, so every kind (terminal, partial, total) can be honoured.
      constexpr auto any = asio::cancellation_type::terminal | asio::cancellation_type::partial |
                           asio::cancellation_type::total;
      if ((type & any) == asio::cancellation_type::none) return;
      if (!op->done() && op->on_cancel_) op->on_cancel_(*op);
    }
  };

  // Owns the op while the completion is queued; an executor that is destroyed before running it
  // frees the op (and its payload: a guard releases its permit) without invoking the handler.
  struct runner {
    async_op* op;
    explicit runner(async_op* o) noexcept : op(o) {}
    runner(runner&& other) noexcept : op(std::exchange(other.op, nullptr)) {}
    runner& operator=(runner&&) = delete;
    ~runner() {
      if (op) op->destroy();
    }
    void operator()() { std::exchange(op, nullptr)->finish(); }
  };

  void post_runner() override { asio::post(ex_, runner(this)); }

  void finish() {
    if (slot_.is_connected()) slot_.clear();
    alloc_type alloc(asio::get_associated_allocator(handler_, default_alloc()));
    Handler h(std::move(handler_));
    auto args = Completion::args(static_cast<Node&>(*this), this->ec_);
    // Freed before the upcall, as Asio does, so the handler may reuse the memory.
    free_self(alloc);
    std::apply(std::move(h), std::move(args));
  }

  void free_self(alloc_type alloc) noexcept {
    this->~async_op();
    std::allocator_traits<alloc_type>::deallocate(alloc, this, 1);
  }

  Handler handler_;
  executor_type ex_;
  asio::associated_cancellation_slot_t<Handler> slot_;
};

/// Starts an op for `handler` (moved in); returns it unlinked and unarmed.
template <typename Node, typename Completion, bool TrackWork = false, typename Handler, typename... A>
auto* make_op(Handler handler, A&&... args) {
  return async_op<Node, Handler, Completion, TrackWork>::create(std::move(handler),
                                                               std::forward<A>(args)...);
}

/// Completes `handler(args...)` without waiting: posted to the handler's executor (see
/// handler_executor), never inline.
template <typename Handler, typename... Args>
void post_now(Handler handler, Args&&... args) {
  auto ex = handler_executor(handler);
  asio::post(ex, [h = std::move(handler), a = std::make_tuple(std::forward<Args>(args)...)]() mutable {
    std::apply(std::move(h), std::move(a));
  });
}

/// Completion policies for nodes without a payload.
struct complete_ec {
  template <typename Node>
  static std::tuple<error_code> args(Node&, error_code ec) {
    return {ec};
  }
};

inline error_code aborted() noexcept { return asio::error::operation_aborted; }

}  // namespace corio::detail
