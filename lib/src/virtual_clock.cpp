#include <corio/detail/timer.hpp>
#include <corio/detail/virtual_clock.hpp>

namespace corio::detail {

std::chrono::steady_clock::time_point virtual_now(const virtual_clock& c) noexcept { return c.now(); }

virtual_clock::~virtual_clock() = default;

void virtual_clock::fire_due() {
  while (!timers_.empty() && timers_.begin()->first <= now_) {
    timers_.begin()->second->fire();  // removes its own entry
  }
}

void virtual_clock::advance(clock::duration d) {
  // Step through each deadline in order so that timers fire in deadline order.
  const auto target = now_ + d;
  while (!timers_.empty() && timers_.begin()->first <= target) {
    now_ = std::max(now_, timers_.begin()->first);
    fire_due();
  }
  now_ = target;
}

bool virtual_clock::jump_to_next() {
  if (timers_.empty()) return false;
  now_ = std::max(now_, timers_.begin()->first);
  fire_due();
  return true;
}

}  // namespace corio::detail
