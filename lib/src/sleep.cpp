// corio::sleep's coroutine, compiled once (corio/sleep.hpp declares it).
#include <corio/sleep.hpp>

#include <corio/detail/sleeper.hpp>
#include <corio/detail/task_state.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

namespace corio::detail {

awaitable<void> sleep_until(clock::time_point tp, clock::time_point now) {
  sleeper s;
  note_waiting("sleep");
  // (The executor is a temporary of this full expression: it lives until the coroutine resumes.)
  auto [ec] = co_await s.async_wait(co_await asio::this_coro::executor, tp, now, asio::as_tuple(asio::deferred));
  if (ec) throw boost::system::system_error(ec, "corio::sleep");
}

}  // namespace corio::detail
