// A long-running job under wait_for: at the deadline it is cancelled, its cleanup runs, and only
// then does wait_for throw timeout_error. asyncio: `await asyncio.wait_for(job(), timeout=0.2)`.
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>

using namespace std::chrono_literals;

corio::awaitable<int> long_job() {
  struct cleanup {
    ~cleanup() { std::cout << "job: cleanup ran (connection closed)\n"; }
  } c;
  std::cout << "job: working for 10 s...\n";
  co_await corio::sleep(10s);
  co_return 1;
}

corio::awaitable<void> amain() {
  const auto t0 = corio::clock::now();
  try {
    co_await corio::wait_for(long_job(), 200ms);
  } catch (const corio::timeout_error& e) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(corio::clock::now() - t0).count();
    std::cout << "main: " << e.what() << " after " << ms << " ms\n";
  }
}

int main() {
  corio::run(amain());
  return 0;
}
