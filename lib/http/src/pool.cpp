#include "pool.hpp"

#include <algorithm>

namespace corio::http::detail {

pool::pool(std::size_t per_host, duration idle_expiry, double rate_per_host, std::size_t rate_burst)
    : per_host_(std::max<std::size_t>(per_host, 1)), idle_expiry_(idle_expiry), rate_(rate_per_host),
      burst_(std::max<std::size_t>(rate_burst, 1)) {}

pool::~pool() { close_idle(); }

pool::host& pool::host_for(const origin& o) {
  auto& h = hosts_[o];
  if (!h) {
    h = std::make_unique<host>(per_host_);
    if (rate_ > 0) h->rate.emplace(rate_, burst_);
  }
  return *h;
}

void pool::drop_expired(host& h) {
  // Idle connections are appended as they become idle (and taken from the back), so the oldest
  // are first: only the expired prefix is looked at, not every idle connection.
  const auto now = clock::now();
  auto end = h.idle.begin();
  while (end != h.idle.end() && now - (*end)->idle_since >= idle_expiry_) {
    (*end)->close();
    ++end;
  }
  h.idle.erase(h.idle.begin(), end);
}

awaitable<pool::lease> pool::acquire(const origin& o) {
  host& h = host_for(o);  // stable: hosts are never erased while the pool lives
  lease l;
  if (auto free = h.permits.try_acquire()) {  // (the common case: no coroutine frame to wait in)
    l.permit = std::move(*free);
  } else {
    l.permit = co_await h.permits.acquire();
  }
  drop_expired(h);
  while (!h.idle.empty()) {
    auto c = std::move(h.idle.back());
    h.idle.pop_back();
    if (c->unusable()) {
      c->close();
      continue;
    }
    l.conn = std::move(c);
    l.reused = true;
    break;
  }
  co_return l;
}

rate_limiter* pool::rate_for(const origin& o) {
  if (rate_ <= 0) return nullptr;
  auto& h = host_for(o);
  return h.rate ? &*h.rate : nullptr;
}

void pool::give_back(lease& l) {
  if (!l.conn) return;
  host& h = host_for(l.conn->where());
  l.conn->idle_since = clock::now();
  h.idle.push_back(std::move(l.conn));
  drop_expired(h);
  l.permit = semaphore::guard();  // after the connection is idle, so the next waiter finds it
}

void pool::close_idle() noexcept {
  for (auto& [o, h] : hosts_) {
    for (auto& c : h->idle) c->close();
    h->idle.clear();
  }
}

}  // namespace corio::http::detail
