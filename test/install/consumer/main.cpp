// Uses the installed headers and library: gather two sleeps, print the result.
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>

using namespace std::chrono_literals;

corio::awaitable<int> twice(int v) {
  co_await corio::sleep(1ms);
  co_return 2 * v;
}

corio::awaitable<int> amain() {
  auto [a, b] = co_await corio::gather(twice(20), twice(1));
  co_return a + b;
}

int main() {
  std::cout << "consumer says " << corio::run(amain()) << "\n";
  return 0;
}
