// An Asio program in the old style — io_service, io_service::work, io_service::strand::wrap,
// io_service::post, callback handlers run by four threads — adopting Corio one primitive at a
// time: a semaphore and a queue used with plain lambdas as completion tokens. Checks that the
// deprecated names still compile with Corio linked and that every Corio handler runs on a thread
// that is running the io_service (never on a thread of Asio's system executor).
#include <corio/queue.hpp>
#include <corio/semaphore.hpp>

#include <boost/asio.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;

int main() {
  asio::io_service io;
  std::optional<asio::io_service::work> work(std::in_place, io);
  asio::io_service::strand strand(io);
  corio::semaphore sem(1);
  corio::queue<int> q(2);
  std::atomic<int> handlers{0}, off_thread{0}, sum{0};
  auto check_thread = [&] {
    if (!io.get_executor().running_in_this_thread()) ++off_thread;
    if (++handlers == 15) strand.post([&] { work.reset(); });
  };
  // Everything touching the semaphore and the queue runs on the strand (their documented rule).
  io.post(strand.wrap([&] {
    for (int i = 1; i <= 5; ++i) {
      sem.async_acquire([&, i](boost::system::error_code ec, corio::semaphore::guard g) {
        check_thread();
        if (ec) return;
        // The permit is handed on when this guard goes away, back on the strand.
        auto held = std::make_shared<corio::semaphore::guard>(std::move(g));
        strand.post([&, i, held]() mutable {
          q.async_put(i, [&](boost::system::error_code put_ec) {
            check_thread();
            if (put_ec) std::printf("put failed: %s\n", put_ec.message().c_str());
          });
          held.reset();
        });
      });
    }
    for (int i = 0; i < 5; ++i) {
      q.async_get(strand.wrap([&](boost::system::error_code ec, int v) {
        check_thread();
        if (!ec) sum += v;
      }));
    }
  }));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run(); });
  for (auto& t : threads) t.join();
  if (handlers != 15 || off_thread != 0 || sum != 15) {
    std::printf("handlers %d, off the io_service's threads %d, sum %d\n", handlers.load(), off_thread.load(),
                sum.load());
    return 1;
  }
  std::printf("old-style consumer: 15 handlers on the io_service's threads, sum 15\n");
  return 0;
}
