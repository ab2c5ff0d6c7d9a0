// corio/detail/queue_containers.hpp — the storage policies behind corio::queue (FIFO),
// priority_queue and lifo_queue, and the synchronization policies behind corio::queue (executor-
// affine) and concurrent_queue (thread-safe). Internal.
//
// A container policy offers empty(), size(), push(U&&) and pop() → T (the element that leaves
// next). A sync policy names the mutex (a no-op for executor-affine queues) and whether waiting
// operations keep their handler's executor busy (needed when the wake-up comes from another thread).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace corio::detail {

template <typename T>
class fifo_container {
public:
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  template <typename U>
  void push(U&& x) {
    items_.emplace_back(std::forward<U>(x));
  }
  T pop() {
    T x = std::move(items_.front());
    items_.pop_front();
    return x;
  }

private:
  std::deque<T> items_;
};

template <typename T>
class lifo_container {
public:
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  template <typename U>
  void push(U&& x) {
    items_.emplace_back(std::forward<U>(x));
  }
  T pop() {
    T x = std::move(items_.back());
    items_.pop_back();
    return x;
  }

private:
  std::vector<T> items_;
};

/// Smallest first under Compare (Python's heapq); equal elements leave in insertion order.
template <typename T, typename Compare>
class priority_container {
public:
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  template <typename U>
  void push(U&& x) {
    heap_.push_back(entry{T(std::forward<U>(x)), seq_++});
    std::push_heap(heap_.begin(), heap_.end(), leaves_later{&comp_});
  }
  T pop() {
    std::pop_heap(heap_.begin(), heap_.end(), leaves_later{&comp_});
    T x = std::move(heap_.back().value);
    heap_.pop_back();
    return x;
  }

private:
  struct entry {
    T value;
    std::uint64_t seq;
  };
  // std's heap keeps the "largest" on top: the entry that must not leave after any other.
  struct leaves_later {
    Compare* comp;
    bool operator()(const entry& a, const entry& b) const {
      if ((*comp)(b.value, a.value)) return true;
      if ((*comp)(a.value, b.value)) return false;
      return a.seq > b.seq;
    }
  };

  std::vector<entry> heap_;
  std::uint64_t seq_ = 0;
  [[no_unique_address]] Compare comp_{};
};

struct null_mutex {
  void lock() noexcept {}
  void unlock() noexcept {}
};

/// corio::queue & co.: one executor (or strand), no locking.
struct executor_affine {
  using mutex_type = null_mutex;
  static constexpr bool track_work = false;
  static constexpr bool affine = true;  // debug mode checks single-executor use
  static constexpr const char* name = "corio::queue";
};

/// corio::concurrent_queue: any thread; waiters keep their own executor busy while they wait.
struct thread_safe {
  using mutex_type = std::mutex;
  static constexpr bool track_work = true;
  static constexpr bool affine = false;
  static constexpr const char* name = "corio::concurrent_queue";
};

}  // namespace corio::detail
