// corio/detail/scope.hpp — the machinery shared by task_group, supervisor, gather, race, shield
// and the timeout scopes: a set of child tasks on one executor that a parent coroutine joins.
// Internal.
//
// Lifecycle: open → cancelling (first failure, cancel(), or the joiner was cancelled) → closed
// (every child has ended and the join returned). The parent never leaves join() while a child
// is alive, so children may point at the scope.
#pragma once

#include <corio/cancellation.hpp>
#include <corio/config.hpp>
#include <corio/detail/post_completion.hpp>
#include <corio/detail/task_state.hpp>
#include <corio/detail/spawn.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <cassert>
#include <stdexcept>
#include <string>
#include <vector>

namespace corio::detail {

class scope final : public exit_observer {
public:
  enum class on_error : std::uint8_t {
    cancel_all,  // task_group, gather, race: the first failure cancels every other child
    keep_going,  // supervisor, gather_settled: children fail independently
  };
  enum class on_outer_cancel : std::uint8_t {
    cancel_children,  // the default: a cancelled joiner cancels the children and waits for them
    shield,           // shield(): the children run on; the joiner still waits for them
  };
  enum class state : std::uint8_t { open, cancelling, closed };

  explicit scope(executor ex, on_error mode = on_error::cancel_all, const char* kind = "task_group")
      : ex_(std::move(ex)),
        info_{next_task_id(), current_task ? current_task->id_ : 0, kind},  // owner: known in debug mode
        mode_(mode),
        kind_(kind) {}
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;
  ~scope() {
    // Only reachable if the joining coroutine was torn down without finishing join() (its
    // context destroyed): detach the children so that none reports to a dead scope.
    for (task_base* c = head_; c;) {
      task_base* next = c->scope_next_;
      c->observer_ = nullptr;
      c = next;
    }
  }

  [[nodiscard]] const executor& get_executor() const noexcept { return ex_; }
  [[nodiscard]] state current_state() const noexcept { return state_; }
  [[nodiscard]] std::size_t live() const noexcept { return live_; }
  [[nodiscard]] bool cancelled_from_outside() const noexcept { return outer_cancelled_; }

  /// Starts a child (its value into `*out` if given: see task_state::out_). Throws
  /// std::logic_error once the scope is shutting down or finished.
  template <typename T>
  task<T> spawn(awaitable<T> aw, std::string name = {}, std::optional<value_or_monostate<T>>* out = nullptr,
                const context_ptr* context = nullptr, bool eager = false) {
    if (state_ != state::open) {
      throw std::logic_error(std::string("corio::") + kind_ +
                             (state_ == state::closed ? " is finished: cannot spawn into it"
                                                      : " is shutting down: cannot spawn into it"));
    }
    // Linked before its first step: an eager child may end inside spawn_in.
    return spawn_in<T>(ex_, std::move(aw), std::move(name), this, out, context, eager, &adopt_child, this);
  }

  static void adopt_child(void* self, task_base& child) noexcept {
    auto* s = static_cast<scope*>(self);
    child.scope_ = &s->info_;
    s->link(child);
  }

  /// Cancels every live child and refuses new ones. Idempotent.
  void cancel() noexcept {
    if (state_ == state::open) state_ = state::cancelling;  // (closed stays closed: nothing is live)
    for (task_base* c = head_; c;) {
      task_base* next = c->scope_next_;
      c->request_cancel();
      c = next;
    }
  }

  /// Keeps join() waiting until the matching release() (a timeout's timer, say).
  void hold() noexcept {
    assert(state_ != state::closed && "corio: a closed scope takes no hold");
    ++live_;
  }
  void release() noexcept {
    assert(live_ > 0);
    if (--live_ == 0) wake_joiner();
  }

  /// Called for each child as it ends, before the scope's own bookkeeping (race, timeouts).
  void set_exit_hook(void (*hook)(void*, task_base&) noexcept, void* ctx) noexcept {
    hook_ = hook;
    hook_ctx_ = ctx;
  }

  /// Errors of children that ended with something other than the cancellation this scope asked
  /// for, in the order they ended.
  [[nodiscard]] std::vector<std::exception_ptr>& errors() noexcept { return errors_; }

  /// Waits until every child (and hold) has ended. Never throws a cancellation itself: if the
  /// awaiting coroutine is (or becomes) cancelled, the children are cancelled (unless shielded)
  /// and waited for, and cancelled_from_outside() tells the caller to rethrow it.
  awaitable<void> join(on_outer_cancel policy = on_outer_cancel::cancel_children);

  void child_exited(task_base& t) noexcept override {
    assert(state_ != state::closed && live_ > 0 && "corio: a child ends before its scope closes");
    unlink(t);
    // (finish() has classified the error already: no second rethrow to recognise a cancellation.)
    if (t.error_ && !(t.cancel_requested_ && t.status_ == task_status::cancelled)) {
      t.error_retrieved_ = true;
      errors_.push_back(t.error_);
      if (mode_ == on_error::cancel_all) cancel();
    }
    if (hook_) hook_(hook_ctx_, t);
    release();
  }

private:
  void outer_cancelled(on_outer_cancel policy) noexcept {
    outer_cancelled_ = true;
    if (policy == on_outer_cancel::cancel_children) cancel();
  }

  // join() and wake_joiner() are compiled once, in lib/src/scope.cpp.
  void wake_joiner() noexcept;

  void link(task_base& t) noexcept {
    assert(state_ == state::open && "corio: children join an open scope only");
    ++live_;
    t.scope_prev_ = tail_;
    t.scope_next_ = nullptr;
    if (tail_) tail_->scope_next_ = &t;
    else head_ = &t;
    tail_ = &t;
  }
  void unlink(task_base& t) noexcept {
    if (t.scope_prev_) t.scope_prev_->scope_next_ = t.scope_next_;
    else head_ = t.scope_next_;
    if (t.scope_next_) t.scope_next_->scope_prev_ = t.scope_prev_;
    else tail_ = t.scope_prev_;
    t.scope_prev_ = t.scope_next_ = nullptr;
    t.observer_ = nullptr;
  }

  executor ex_;
  scope_info info_;
  task_base* head_ = nullptr;
  task_base* tail_ = nullptr;
  std::size_t live_ = 0;
  std::vector<std::exception_ptr> errors_;
  asio::any_completion_handler<void()> joiner_;
  void (*hook_)(void*, task_base&) noexcept = nullptr;
  void* hook_ctx_ = nullptr;
  on_error mode_;
  state state_ = state::open;
  bool outer_cancelled_ = false;
  const char* kind_;
};

/// The value of a child that has ended (std::monostate for void); rethrows its exception.
template <typename T>
value_or_monostate<T> value_of(const task<T>& t) {
  if constexpr (std::is_void_v<T>) {
    t.get();
    return {};
  } else {
    return t.get();
  }
}

}  // namespace corio::detail
