// corio::lock::acquire, compiled once (corio/lock.hpp declares it).
#include <corio/lock.hpp>

namespace corio {

awaitable<lock::guard> lock::acquire() { return detail::acquire_now_or_wait(*this); }

}  // namespace corio
