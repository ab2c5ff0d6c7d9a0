#include <corio/detail/resolve.hpp>

#include <corio/task.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>

#include <utility>

namespace corio::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Never throws: an abandoned lookup has nobody to report an error to (it would be logged as an
// unretrieved task failure).
awaitable<resolved> lookup(std::string host, std::uint16_t port) {
  resolved out;
  try {
    tcp::resolver r(co_await asio::this_coro::executor);
    auto [ec, results] = co_await r.async_resolve(host, std::to_string(port), asio::as_tuple(asio::deferred));
    out.ec = ec;
    for (const auto& e : results) out.endpoints.push_back(e.endpoint());
  } catch (const boost::system::system_error& e) {
    out.ec = e.code();
  }
  co_return out;
}

}  // namespace

awaitable<resolved> resolve(std::string host, std::uint16_t port, std::string task_name) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (!ec) co_return resolved{{}, {tcp::endpoint(addr, port)}};
  auto t = spawn(co_await asio::this_coro::executor, lookup(std::move(host), port), std::move(task_name));
  try {
    co_return co_await t.wait();
  } catch (...) {
    t.cancel();
    throw;
  }
}

}  // namespace corio::detail
