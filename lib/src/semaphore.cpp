// corio::semaphore::acquire, compiled once (corio/semaphore.hpp declares it).
#include <corio/semaphore.hpp>

namespace corio {

// A free semaphore is taken without suspending (asyncio does the same): no scheduler round trip on
// the uncontended path. try_acquire() never overtakes a waiter, so FIFO order holds.
awaitable<semaphore::guard> semaphore::acquire() {
  if (auto g = try_acquire()) co_return std::move(*g);
  co_return co_await async_acquire(asio::deferred);
}

}  // namespace corio
