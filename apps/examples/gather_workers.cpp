// Three workers gathered: they run concurrently, so the total is about the longest (300 ms), not
// the sum (600 ms). asyncio: `await asyncio.gather(worker("a", .1), worker("b", .2), worker("c", .3))`.
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

corio::awaitable<std::string> worker(std::string name, std::chrono::milliseconds d) {
  std::cout << name << " started\n";
  co_await corio::sleep(d);
  std::cout << name << " finished after " << d.count() << " ms\n";
  co_return name + " done";
}

corio::awaitable<void> amain() {
  const auto t0 = corio::clock::now();
  auto [a, b, c] = co_await corio::gather(worker("a", 100ms), worker("b", 300ms), worker("c", 200ms));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(corio::clock::now() - t0).count();
  std::cout << "results: " << a << ", " << b << ", " << c << "\n";
  std::cout << "total " << ms << " ms (sum of the three: 600 ms)\n";
}

int main() {
  corio::run(amain());
  return 0;
}
