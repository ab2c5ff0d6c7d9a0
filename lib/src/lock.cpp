// corio::lock::acquire, compiled once (corio/lock.hpp declares it).
#include <corio/lock.hpp>

namespace corio {

// A free lock is taken without suspending (asyncio does the same): no scheduler round trip on the
// uncontended path. try_acquire() never overtakes a waiter, so FIFO order holds.
awaitable<lock::guard> lock::acquire() {
  if (auto g = try_acquire()) co_return std::move(*g);
  co_return co_await async_acquire(asio::deferred);
}

}  // namespace corio
