// A callback-style Asio program — four threads run one io_context, handlers are plain lambdas on a
// strand — adopting three Corio pieces with completion tokens: a semaphore limits how many jobs run
// at once, a queue carries their results, and async_wait_for puts a deadline on an Asio operation.
#include <corio/queue.hpp>
#include <corio/semaphore.hpp>
#include <corio/timeout.hpp>

#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using error_code = boost::system::error_code;

int main() {
  asio::io_context io;
  auto strand = asio::make_strand(io);  // the Corio objects below are used on this strand only
  corio::semaphore slots(2);            // at most two jobs at once
  corio::queue<int> results;            // job numbers; negative: timed out
  int running = 0, peak = 0;

  for (int job = 1; job <= 5; ++job) {
    asio::post(strand, [&, job] {
      slots.async_acquire(asio::bind_executor(strand, [&, job](error_code, corio::semaphore::guard g) {
        peak = std::max(peak, ++running);
        // The job is an Asio operation (a timer here; job 3 hangs) with a 200 ms deadline.
        auto work = std::make_shared<asio::steady_timer>(io, job == 3 ? 1h : 20ms);
        corio::async_wait_for(work->async_wait(asio::deferred), 200ms,
                              asio::bind_executor(strand, [&, job, work, g = std::move(g)](error_code ec) mutable {
                                --running;
                                g.release();  // on the strand, where the semaphore lives
                                results.async_put(ec == asio::error::timed_out ? -job : job, [](error_code) {});
                              }));
      }));
    });
  }

  std::vector<int> done;
  std::function<void()> take_next = [&] {
    results.async_get(asio::bind_executor(strand, [&](error_code, int v) {
      done.push_back(v);
      if (done.size() < 5) take_next();
    }));
  };
  asio::post(strand, take_next);

  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run(); });
  for (auto& t : threads) t.join();

  std::sort(done.begin(), done.end(), [](int a, int b) { return std::abs(a) < std::abs(b); });
  std::cout << "at most " << peak << " jobs at once\n";
  for (int v : done) std::cout << "job " << (v < 0 ? -v : v) << (v < 0 ? ": timed out\n" : ": done\n");
}
