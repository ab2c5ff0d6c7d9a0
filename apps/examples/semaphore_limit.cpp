// 50 "fetches" limited to 5 at a time by a semaphore; the example measures the peak concurrency it
// observed. asyncio: `async with sem:` around aiohttp requests.
#include <corio/corio.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

using namespace std::chrono_literals;

corio::awaitable<int> fetch(int id, corio::semaphore& sem, int& running, int& peak) {
  auto permit = co_await sem.acquire();
  peak = std::max(peak, ++running);
  co_await corio::sleep(20ms);  // the "request"
  --running;
  co_return id;
}

corio::awaitable<void> amain() {
  corio::semaphore sem(5);
  int running = 0, peak = 0;
  std::vector<corio::awaitable<int>> fetches;
  for (int id = 0; id < 50; ++id) fetches.push_back(fetch(id, sem, running, peak));
  const auto t0 = corio::clock::now();
  auto results = co_await corio::gather(std::move(fetches));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(corio::clock::now() - t0).count();
  std::cout << results.size() << " fetches done, peak concurrency " << peak << " (limit 5)\n";
  std::cout << "took " << ms << " ms (10 rounds of 20 ms)\n";
}

int main() {
  corio::run(amain());
  return 0;
}
