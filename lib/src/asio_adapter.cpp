// The part of corio/detail/asio_adapter.hpp that reads Asio 1.26's private per-thread call stack.
#include <corio/detail/asio_adapter.hpp>

#include <boost/asio/detail/call_stack.hpp>
#include <boost/asio/detail/executor_op.hpp>
#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/detail/strand_executor_service.hpp>
#include <boost/asio/detail/strand_service.hpp>
#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/system_executor.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace corio::detail {
namespace {

// Asio keeps, per thread, a stack of the schedulers the thread is running (call_stack::top_, each
// entry's key_ the scheduler), but exposes only "is this scheduler on the stack". The top entry's
// key is read through explicit instantiations, which may name private members (C++20
// [temp.spec.general]/6): each `reader` instantiation defines a friend returning the member pointer.
using thread_call_stack = asio::detail::call_stack<asio::detail::thread_context, asio::detail::thread_info_base>;
using stack_entry = thread_call_stack::context;

struct top_member {
  using type = asio::detail::tss_ptr<stack_entry>*;
  friend type get(top_member);
};
struct key_member {
  using type = asio::detail::thread_context* stack_entry::*;
  friend type get(key_member);
};

template <typename Member, typename Member::type Pointer>
struct reader {
  friend typename Member::type get(Member) { return Pointer; }
};
template struct reader<top_member, &thread_call_stack::top_>;
template struct reader<key_member, &stack_entry::key_>;

// The same for the stacks of strands being run (one per strand implementation).
using executor_strand = asio::detail::strand_executor_service::strand_impl;
using legacy_strand = asio::detail::strand_service::strand_impl;
template <typename Impl>
using strand_stack = asio::detail::call_stack<Impl>;

struct executor_strand_top {
  using type = asio::detail::tss_ptr<strand_stack<executor_strand>::context>*;
  friend type get(executor_strand_top);
};
struct executor_strand_key {
  using type = executor_strand* strand_stack<executor_strand>::context::*;
  friend type get(executor_strand_key);
};
struct legacy_strand_top {
  using type = asio::detail::tss_ptr<strand_stack<legacy_strand>::context>*;
  friend type get(legacy_strand_top);
};
struct legacy_strand_key {
  using type = legacy_strand* strand_stack<legacy_strand>::context::*;
  friend type get(legacy_strand_key);
};
template struct reader<executor_strand_top, &strand_stack<executor_strand>::top_>;
template struct reader<executor_strand_key, &strand_stack<executor_strand>::context::key_>;
template struct reader<legacy_strand_top, &strand_stack<legacy_strand>::top_>;
template struct reader<legacy_strand_key, &strand_stack<legacy_strand>::context::key_>;


/// An executor that posts to a scheduler — what io_context's and thread_pool's executors do — for
/// a context known only by its scheduler (the execution context's concrete type is not).
template <bool Tracked>
class scheduler_executor {
public:
  explicit scheduler_executor(asio::detail::scheduler& s) noexcept : s_(&s) { start(); }
  scheduler_executor(const scheduler_executor& other) noexcept : s_(other.s_) { start(); }
  scheduler_executor(scheduler_executor&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  scheduler_executor& operator=(const scheduler_executor& other) noexcept {
    scheduler_executor copy(other);
    std::swap(s_, copy.s_);
    return *this;
  }
  scheduler_executor& operator=(scheduler_executor&& other) noexcept {
    std::swap(s_, other.s_);
    return *this;
  }
  ~scheduler_executor() {
    if (Tracked && s_) s_->work_finished();
  }

  [[nodiscard]] asio::execution_context& query(asio::execution::context_t) const noexcept { return s_->context(); }
  static constexpr asio::execution::blocking_t query(asio::execution::blocking_t) noexcept {
    return asio::execution::blocking.never;
  }
  static constexpr asio::execution::outstanding_work_t query(asio::execution::outstanding_work_t) noexcept {
    if constexpr (Tracked) return asio::execution::outstanding_work.tracked;
    else return asio::execution::outstanding_work.untracked;
  }
  [[nodiscard]] scheduler_executor require(asio::execution::blocking_t::never_t) const noexcept { return *this; }
  [[nodiscard]] scheduler_executor<true> prefer(asio::execution::outstanding_work_t::tracked_t) const noexcept {
    return scheduler_executor<true>(*s_);
  }
  [[nodiscard]] scheduler_executor<false> prefer(asio::execution::outstanding_work_t::untracked_t) const noexcept {
    return scheduler_executor<false>(*s_);
  }

  template <typename Function>
  void execute(Function&& f) const {
    using op = asio::detail::executor_op<std::decay_t<Function>, std::allocator<void>, asio::detail::scheduler_operation>;
    std::allocator<void> alloc;
    typename op::ptr p = {std::addressof(alloc), op::ptr::allocate(alloc), nullptr};
    p.p = new (p.v) op(std::forward<Function>(f), alloc);
    s_->post_immediate_completion(p.p, false);
    p.v = p.p = nullptr;
  }

  friend bool operator==(const scheduler_executor& a, const scheduler_executor& b) noexcept { return a.s_ == b.s_; }
  friend bool operator!=(const scheduler_executor& a, const scheduler_executor& b) noexcept { return a.s_ != b.s_; }

private:
  void start() noexcept {
    if (Tracked && s_) s_->work_started();
  }

  asio::detail::scheduler* s_;
};

}  // namespace

executor initiating_executor() noexcept {
  if (const stack_entry* top = *get(top_member{})) {
    // On POSIX only asio::detail::scheduler pushes entries on this stack (io_context, thread_pool
    // and system_context all run on one).
    return scheduler_executor<false>(*static_cast<asio::detail::scheduler*>(top->*get(key_member{})));
  }
  return asio::system_executor();
}

bool running_a_context() noexcept { return *get(top_member{}) != nullptr; }

const void* running_strand() noexcept {
  using executor_context = strand_stack<executor_strand>::context;
  using legacy_context = strand_stack<legacy_strand>::context;
  if (const executor_context* top = *get(executor_strand_top{})) return top->*get(executor_strand_key{});
  if (const legacy_context* top = *get(legacy_strand_top{})) return top->*get(legacy_strand_key{});
  return nullptr;
}

}  // namespace corio::detail
