#include <corio/detail/registry.hpp>
#include <corio/detail/context_service.hpp>
#include <corio/detail/task_state.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

#include <atomic>
#include <ctime>
#include <mutex>
#include <set>

namespace corio::detail {

namespace {
std::mutex all_mutex;
std::set<task_registry*> all_registries;
}  // namespace

task_registry::task_registry(asio::execution_context& ctx) : service(ctx) {
  std::lock_guard lock(all_mutex);
  all_registries.insert(this);
}

void task_registry::for_each_registry(const std::function<void(task_registry&)>& f) {
  std::lock_guard lock(all_mutex);
  for (auto* r : all_registries) f(*r);
}

std::uint64_t next_task_id() noexcept {
  // Each thread takes ids in blocks: one shared atomic increment per block, not per task.
  constexpr std::uint64_t block = 256;
  static std::atomic<std::uint64_t> next_block{1};
  thread_local std::uint64_t next = 0;
  thread_local std::uint64_t end = 0;
  if (next == end) {
    next = next_block.fetch_add(block, std::memory_order_relaxed);
    end = next + block;
  }
  return next++;
}

std::chrono::steady_clock::time_point coarse_now() noexcept {
  // CLOCK_MONOTONIC_COARSE is steady_clock's clock (CLOCK_MONOTONIC) at the last timer tick: a
  // few ms behind at most, and read without the TSC.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

task_registry& task_registry::of(const executor& ex) { return context_service<task_registry>(ex); }

task_registry::~task_registry() {
  {
    std::lock_guard lock(all_mutex);
    all_registries.erase(this);
  }
  generation.fetch_add(1, std::memory_order_acq_rel);
}

void task_registry::add(task_base& t) noexcept {
  std::lock_guard lock(mutex_);
  t.reg_prev_ = tail_;
  t.reg_next_ = nullptr;
  if (tail_) tail_->reg_next_ = &t;
  else head_ = &t;
  tail_ = &t;
  ++size_;
}

void task_registry::remove(task_base& t) noexcept {
  std::lock_guard lock(mutex_);
  if (t.reg_prev_) t.reg_prev_->reg_next_ = t.reg_next_;
  else head_ = t.reg_next_;
  if (t.reg_next_) t.reg_next_->reg_prev_ = t.reg_prev_;
  else tail_ = t.reg_prev_;
  t.reg_prev_ = t.reg_next_ = nullptr;
  t.registry_ = nullptr;
  --size_;
}

std::size_t task_registry::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

void task_registry::for_each(const std::function<void(task_base&)>& f) const {
  std::lock_guard lock(mutex_);
  for (task_base* t = head_; t; t = t->reg_next_) f(*t);
}

const char* to_string(task_status s) noexcept {
  switch (s) {
    case task_status::scheduled: return "scheduled";
    case task_status::running: return "running";
    case task_status::suspended: return "suspended";
    case task_status::done: return "done";
    case task_status::failed: return "failed";
    case task_status::cancelled: return "cancelled";
  }
  return "?";
}

}  // namespace corio::detail
