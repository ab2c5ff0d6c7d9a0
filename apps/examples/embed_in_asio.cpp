// Corio inside an existing Asio program: the program keeps its io_context, its callbacks and its
// own co_spawn; Corio's toolkit is used from any coroutine on that context, and a Corio task can
// be awaited by callback code too (tasks are Asio async operations).
#include <corio/corio.hpp>

#include <boost/asio.hpp>

#include <chrono>
#include <iostream>

using namespace std::chrono_literals;
namespace asio = boost::asio;

corio::awaitable<int> fetch(int id) {
  co_await corio::sleep(10ms * id);
  co_return id * 10;
}

corio::awaitable<int> fetch_all() {
  auto [a, b] = co_await corio::gather(fetch(1), fetch(2));   // Corio in a plain Asio coroutine
  co_return a + b;
}

int main() {
  asio::io_context ctx;  // the program's own context

  asio::steady_timer legacy(ctx, 5ms);  // existing callback code keeps working
  legacy.async_wait([](boost::system::error_code) { std::cout << "legacy timer fired\n"; });

  auto t = corio::spawn(ctx, fetch_all(), "fetch_all");
  t.async_wait([](std::exception_ptr e, int sum) {  // awaited by a plain callback
    if (!e) std::cout << "callback got " << sum << "\n";
  });

  asio::co_spawn(ctx, corio::wait_for(fetch(3), 1s),  // and by Asio's own co_spawn
                 [](std::exception_ptr e, int v) {
                   if (!e) std::cout << "co_spawn got " << v << "\n";
                 });
  ctx.run();
}
