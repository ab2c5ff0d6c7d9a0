// corio::semaphore::acquire, compiled once (corio/semaphore.hpp declares it).
#include <corio/semaphore.hpp>

namespace corio {

awaitable<semaphore::guard> semaphore::acquire() { return detail::acquire_now_or_wait(*this); }

}  // namespace corio
