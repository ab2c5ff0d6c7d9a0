// An async generator walks a paginated API page by page. The consumer stops as soon as it has what
// it wants: the producer, paused at its co_yield, is not asked for another page and unwinds (its
// cleanup runs). A consumer cancelled while the producer awaits a page cancels that request too.
// asyncio: `async def pages(): ... yield page` and `async for page in pages(): ... break`.
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

struct page {
  int number;
  std::vector<std::string> items;
  std::optional<int> next;  // the next page, if any
};

// Stands in for an HTTP call: 50 ms per page, 10 pages of 3 items each.
corio::awaitable<page> fetch_page(int n) {
  co_await corio::sleep(50ms);
  page p{n, {}, n < 10 ? std::optional<int>(n + 1) : std::nullopt};
  for (int i = 0; i < 3; ++i) p.items.push_back("item " + std::to_string(n * 3 + i));
  co_return p;
}

corio::generator<page> pages() {
  struct in_flight {
    ~in_flight() { std::cout << "producer: stopped, request closed\n"; }
  } guard;
  for (std::optional<int> n = 1; n;) {
    std::cout << "producer: fetching page " << *n << "\n";
    page p = co_await fetch_page(*n);
    n = p.next;
    co_yield std::move(p);
  }
}

corio::awaitable<void> amain() {
  std::vector<std::string> wanted;
  {
    auto gen = pages();
    while (auto p = co_await gen.next()) {
      for (auto& item : p->items) wanted.push_back(std::move(item));
      std::cout << "consumer: page " << p->number << ", " << wanted.size() << " items\n";
      if (wanted.size() >= 7) break;  // enough: the producer is not asked for more
    }
    // Leaving the scope destroys the generator: the body unwinds (its guard runs) before this
    // coroutine goes on.
  }
  std::cout << "consumer: kept " << wanted.size() << " items, first \"" << wanted.front() << "\"\n";

  // Cancelling the consumer while the producer is awaiting a page ends both.
  auto gen = pages();
  try {
    co_await corio::wait_for(
        [&]() -> corio::awaitable<void> {
          while (co_await gen.next()) {
          }
        }(),
        120ms);
  } catch (const corio::timeout_error&) {
    std::cout << "consumer: timed out while the producer was fetching\n";
  }
}

int main() {
  corio::run(amain());
  return 0;
}
