// Must not compile: corio::wait_for of a coroutine whose executor type is not any_io_executor.
// expect: corio::wait_for takes corio::awaitable<T>
#include <corio/timeout.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>

boost::asio::awaitable<int, boost::asio::io_context::executor_type> typed() { co_return 1; }

corio::awaitable<void> user() { (void)co_await corio::wait_for(typed(), std::chrono::seconds(1)); }

int main() {}
