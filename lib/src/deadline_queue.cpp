#include <corio/detail/deadline_queue.hpp>
#include <corio/detail/context_service.hpp>
#include <corio/detail/traced_executor.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/strand.hpp>

#include <cassert>

namespace corio::detail {

deadline_queue::deadline_queue(asio::execution_context& ctx) : service(ctx) {}

deadline_queue::~deadline_queue() { generation.fetch_add(1, std::memory_order_acq_rel); }

deadline_queue& deadline_queue::of(const executor& ex) { return context_service<deadline_queue>(ex); }

void deadline_queue::shutdown() {
  std::vector<entry*> abandoned;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    ++generation_;
    timer_.reset();  // a pending wait is abandoned with the context's other operations
    armed_ = clock::time_point::max();
    // Entries whose owners wait only on this queue (sleeps) are dropped here, as Asio drops its
    // pending operations; the others stay queued until their owners remove them.
    std::vector<node> keep;
    for (const node& n : heap_) {
      if (n.e->abandon) {
        n.e->st = state::idle;
        abandoned.push_back(n.e);
      } else {
        keep.push_back(n);
      }
    }
    heap_ = std::move(keep);
    for (std::size_t i = 0; i < heap_.size(); ++i) heap_[i].e->index = i;
    for (std::size_t i = heap_.size() / 2; i-- > 0;) sift_down(i);
  }
  for (entry* e : abandoned) e->abandon(*e);
}

void deadline_queue::add(entry& e, const executor& ex) {
  assert(e.st == state::idle);
  std::lock_guard lock(mutex_);
  if (!ex_) {
    // The timer waits on the context itself, not on the caller's strand or traced executor.
    // (Any executor of the context would be correct: fire() dispatches to each entry's own.)
    const executor plain = untraced(ex);
    if (const auto* s = plain.target<asio::strand<asio::io_context::executor_type>>()) {
      ex_.emplace(s->get_inner_executor());
    } else if (const auto* sa = plain.target<asio::strand<executor>>()) {
      ex_.emplace(sa->get_inner_executor());
    } else {
      ex_.emplace(plain);
    }
  }
  e.st = state::queued;
  heap_.push_back(node{e.deadline, next_seq_++, &e});  // equal deadlines: in the order added
  e.index = heap_.size() - 1;
  sift_up(e.index);
  if (e.deadline < armed_ && !shut_down_) arm_locked(e.deadline);
}

deadline_queue::state deadline_queue::remove(entry& e, bool disarm_when_empty) noexcept {
  std::lock_guard lock(mutex_);
  const state was = e.st;
  if (was != state::queued) return was;
  assert(e.index < heap_.size() && heap_[e.index].e == &e);
  erase_at(e.index);
  e.st = state::idle;
  if (heap_.empty() && disarm_when_empty && armed_ != clock::time_point::max() && !check_posted_ &&
      !shut_down_) {
    check_posted_ = true;
    try {
      asio::post(*ex_, [this] { check_idle(); });
    } catch (...) {
      check_posted_ = false;  // out of memory: the timer just wakes once for nothing
    }
  }
  return was;
}

void deadline_queue::update(entry& e, clock::time_point tp) {
  std::lock_guard lock(mutex_);
  if (e.st != state::queued) return;
  const auto old = e.deadline;
  e.deadline = tp;
  heap_[e.index].deadline = tp;
  if (tp < old) sift_up(e.index);
  else sift_down(e.index);
  if (tp < armed_ && !shut_down_) arm_locked(tp);
}

void deadline_queue::fired(entry& e) noexcept {
  std::lock_guard lock(mutex_);
  assert(e.st == state::firing);
  e.st = state::idle;
}

void deadline_queue::sift_up(std::size_t i) noexcept {
  const node e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!earlier(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void deadline_queue::sift_down(std::size_t i) noexcept {
  const node e = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], e)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

void deadline_queue::erase_at(std::size_t i) noexcept {
  const node last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;  // it was the last one
  const node removed = heap_[i];
  place(i, last);
  if (earlier(last, removed)) sift_up(i);
  else sift_down(i);
}

void deadline_queue::arm_locked(clock::time_point tp) {
  if (!timer_) timer_.emplace(*ex_);
  armed_ = tp;
  const auto gen = ++generation_;
  timer_->expires_at(tp);  // completes a pending wait, which then sees a stale generation
  timer_->async_wait([this, gen](boost::system::error_code) { on_wake(gen); });
}

void deadline_queue::on_wake(std::uint64_t gen) {
  entry* first = nullptr;
  entry** last = &first;
  {
    std::lock_guard lock(mutex_);
    if (gen != generation_ || shut_down_) return;
    armed_ = clock::time_point::max();
    const auto now = clock::now();
    while (!heap_.empty() && heap_[0].deadline <= now) {
      entry* e = heap_[0].e;
      assert(e->st == state::queued && e->index == 0);
      erase_at(0);
      e->st = state::firing;
      e->next_fired = nullptr;
      *last = e;
      last = &e->next_fired;
    }
    if (!heap_.empty()) arm_locked(heap_[0].deadline);
  }
  // Earliest first. An entry stays alive while firing (its owner waits for fired()). No entry
  // may be touched after its fire() returned false: its owner may be running on another thread.
  entry* resumed = nullptr;
  entry** resumed_last = &resumed;
  while (first) {
    entry* next = first->next_fired;
    if (first->fire(*first)) {
      first->next_fired = nullptr;
      *resumed_last = first;
      resumed_last = &first->next_fired;
    }
    first = next;
  }
  // Only now may owners run (and perhaps cancel one another): each of these has expired already.
  while (resumed) {
    entry* next = resumed->next_fired;
    resumed->resume(*resumed);  // may destroy the entry
    resumed = next;
  }
}

void deadline_queue::check_idle() {
  std::lock_guard lock(mutex_);
  check_posted_ = false;
  if (!heap_.empty() || armed_ == clock::time_point::max() || shut_down_) return;
  ++generation_;  // the cancelled wait's completion is ignored
  armed_ = clock::time_point::max();
  timer_->cancel();
}

}  // namespace corio::detail
