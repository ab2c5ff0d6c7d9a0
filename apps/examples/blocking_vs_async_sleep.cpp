// Why blocking calls hurt: three tasks that block the thread (std::this_thread::sleep_for) run one
// after another; three that await corio::sleep overlap. asyncio's time.sleep vs asyncio.sleep.
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>
#include <thread>

using namespace std::chrono_literals;

corio::awaitable<void> blocking_nap() {
  std::this_thread::sleep_for(100ms);  // blocks the whole event loop
  co_return;
}

corio::awaitable<void> async_nap() { co_await corio::sleep(100ms); }

template <typename F>
corio::awaitable<long> timed(F nap) {
  const auto t0 = corio::clock::now();
  co_await corio::gather(nap(), nap(), nap());
  co_return std::chrono::duration_cast<std::chrono::milliseconds>(corio::clock::now() - t0).count();
}

corio::awaitable<void> amain() {
  const long blocking = co_await timed(blocking_nap);
  const long async = co_await timed(async_nap);
  std::cout << "3 x blocking sleep(100 ms): " << blocking << " ms\n";
  std::cout << "3 x corio::sleep(100 ms):   " << async << " ms\n";
}

int main() {
  corio::run(amain());
  return 0;
}
