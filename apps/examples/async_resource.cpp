// A resource whose close must be awaited (a connection saying goodbye, a file flushed): corio::with
// runs its async close after the work succeeds, after it fails and after it is cancelled.
// asyncio: `async with open_connection() as conn: ...` (`__aexit__` awaited in every case).
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

class connection {
public:
  explicit connection(std::string name) : name_(std::move(name)) { std::cout << name_ << ": opened\n"; }
  corio::awaitable<void> send(const std::string& what) {
    co_await corio::sleep(10ms);
    if (what == "bad") throw std::runtime_error("the server refused '" + what + "'");
    std::cout << name_ << ": sent " << what << "\n";
  }
  // The async close corio::with awaits: a goodbye that takes time, whatever happened before.
  corio::awaitable<void> aclose() {
    co_await corio::sleep(20ms);
    std::cout << name_ << ": closed after saying goodbye\n";
  }

private:
  std::string name_;
};

corio::awaitable<void> amain() {
  connection ok("a");
  co_await corio::with(ok, [](connection& c) -> corio::awaitable<void> { co_await c.send("hello"); });

  connection failing("b");
  try {
    co_await corio::with(failing, [](connection& c) -> corio::awaitable<void> { co_await c.send("bad"); });
  } catch (const std::exception& e) {
    std::cout << "main: b failed: " << e.what() << "\n";
  }

  connection slow("c");
  try {
    co_await corio::wait_for(corio::with(slow,
                                         [](connection& c) -> corio::awaitable<void> {
                                           co_await corio::sleep(10s);  // cancelled at the deadline
                                           co_await c.send("never");
                                         }),
                             50ms);
  } catch (const corio::timeout_error&) {
    std::cout << "main: c timed out\n";
  }
}

int main() {
  corio::run(amain());
  return 0;
}
