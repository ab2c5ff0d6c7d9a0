// Must not compile: corio::spawn of a coroutine whose executor type is not any_io_executor.
// expect: corio::spawn runs corio::awaitable<T>
#include <corio/task.hpp>

#include <boost/asio/io_context.hpp>

boost::asio::awaitable<void, boost::asio::io_context::executor_type> typed() { co_return; }

int main() {
  boost::asio::io_context io;
  auto t = corio::spawn(corio::executor(io.get_executor()), typed());
  (void)t;
}
