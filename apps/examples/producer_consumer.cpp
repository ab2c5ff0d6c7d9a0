// A pipeline: one producer, a bounded queue (backpressure), three consumers that stop when the
// queue is closed and drained — no sentinel values. asyncio: Queue + shutdown() (3.13).
#include <corio/corio.hpp>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

corio::awaitable<void> producer(corio::queue<int>& q) {
  for (int job = 1; job <= 9; ++job) co_await q.put(job);  // waits while 3 jobs are queued
  q.close();
  std::cout << "producer: 9 jobs queued, queue closed\n";
}

corio::awaitable<void> consumer(std::string name, corio::queue<int>& q, int& done) {
  while (auto job = co_await q.next()) {  // empty once closed and drained
    co_await corio::sleep(10ms);
    ++done;
  }
  std::cout << name << ": queue closed and drained\n";
}

corio::awaitable<void> amain() {
  corio::queue<int> q(3);
  int done = 0;
  co_await corio::task_group::run([&](corio::task_group& g) -> corio::awaitable<void> {
    g.spawn(producer(q));
    for (const char* name : {"consumer a", "consumer b", "consumer c"}) g.spawn(consumer(name, q, done));
    co_return;
  });
  std::cout << "jobs done: " << done << "\n";
}

int main() {
  corio::run(amain());
  return 0;
}
