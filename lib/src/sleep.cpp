// corio::sleep's coroutine, compiled once (corio/sleep.hpp declares it).
#include <corio/sleep.hpp>

namespace corio::detail {

awaitable<void> sleep_until(clock::time_point tp, clock::time_point now) {
  sleeper s;
  note_waiting("sleep");
  // (The executor is a temporary of this full expression: it lives until the coroutine resumes.)
  auto [ec] = co_await s.async_wait(co_await asio::this_coro::executor, tp, now, asio::as_tuple(asio::deferred));
  if (ec) throw boost::system::system_error(ec, "corio::sleep");
}

}  // namespace corio::detail
