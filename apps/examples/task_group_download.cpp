// A task group "downloads" five items; one fails. The failure cancels the others, and the error
// group is handled per type — `except* E` in Python 3.11+.
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

struct not_found : std::runtime_error {
  using std::runtime_error::runtime_error;
};

corio::awaitable<void> download(int item) {
  try {
    co_await corio::sleep(std::chrono::milliseconds(20 * item));
    if (item == 3) throw not_found("item 3: 404 not found");
    std::cout << "item " << item << " downloaded\n";
  } catch (const boost::system::system_error& e) {
    if (corio::is_cancellation(e)) std::cout << "item " << item << " cancelled\n";
    throw;
  }
}

corio::awaitable<void> amain() {
  try {
    co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
      for (int item = 1; item <= 5; ++item) g.spawn(download(item), "download " + std::to_string(item));
      co_return;
    });
  } catch (const corio::exception_group& eg) {
    std::cout << "group failed: " << eg.what() << "\n";
    if (auto [missing, rest] = eg.split<not_found>(); missing) {
      std::cout << "handled " << missing->size() << " not_found error(s)\n";
      if (rest) throw *rest;  // anything else is not ours to handle
    }
  }
}

int main() {
  corio::run(amain());
  return 0;
}
