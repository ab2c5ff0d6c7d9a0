// The shared-counter race: read, await, write back — without a lock the awaits interleave and
// updates are lost; with corio::lock every increment survives. asyncio: asyncio.Lock.
#include <corio/corio.hpp>

#include <iostream>

corio::awaitable<void> unsafe_increment(int& counter) {
  const int seen = counter;
  co_await corio::yield();  // another task runs here and reads the same value
  counter = seen + 1;
}

corio::awaitable<void> safe_increment(int& counter, corio::lock& l) {
  auto guard = co_await l.acquire();  // released when guard goes away
  const int seen = counter;
  co_await corio::yield();
  counter = seen + 1;
}

corio::awaitable<void> amain() {
  int unsafe = 0, safe = 0;
  corio::lock l;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    for (int i = 0; i < 100; ++i) {
      g.spawn(unsafe_increment(unsafe));
      g.spawn(safe_increment(safe, l));
    }
    co_return;
  });
  std::cout << "without a lock: " << unsafe << " of 100 increments survived\n";
  std::cout << "with a lock:    " << safe << " of 100 increments survived\n";
}

int main() {
  corio::run(amain());
  return 0;
}
