// A CPU-heavy function runs with to_thread while a heartbeat keeps ticking on time; the same work
// run directly on the event loop would freeze the heartbeat. asyncio: asyncio.to_thread.
#include <corio/corio.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>

using namespace std::chrono_literals;

std::uint64_t count_primes(std::uint64_t limit) {
  std::uint64_t n = 0;
  for (std::uint64_t i = 2; i < limit; ++i) {
    bool prime = true;
    for (std::uint64_t d = 2; d * d <= i && prime; ++d) prime = i % d != 0;
    n += prime;
  }
  return n;
}

corio::awaitable<void> heartbeat(int& beats) {
  for (;;) {
    co_await corio::sleep(20ms);
    ++beats;
  }
}

corio::awaitable<void> amain() {
  int beats = 0;
  auto ex = co_await boost::asio::this_coro::executor;
  auto hb = corio::spawn(ex, heartbeat(beats), "heartbeat");
  const auto t0 = corio::clock::now();
  const auto primes = co_await corio::to_thread(count_primes, 2'000'000);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(corio::clock::now() - t0).count();
  hb.cancel();
  try {
    co_await hb.wait();
  } catch (const boost::system::system_error&) {
  }
  std::cout << "primes below 2,000,000: " << primes << "\n";
  std::cout << "heartbeat kept ticking: " << (beats > 0 && beats >= ms / 20 / 2 ? "yes" : "no") << " (" << beats
            << " beats in " << ms << " ms)\n";
}

int main() {
  corio::run(amain());
  return 0;
}
