#include <corio/thread.hpp>

#include <algorithm>
#include <thread>

namespace corio {

asio::thread_pool& default_thread_pool() {
  static asio::thread_pool pool(std::max(4u, std::thread::hardware_concurrency()));
  return pool;
}

}  // namespace corio
