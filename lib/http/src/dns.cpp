#include "dns.hpp"

#include <corio/http/error.hpp>
#include <corio/task.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <utility>

namespace corio::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct lookup_result {
  boost::system::error_code ec;
  std::vector<tcp::endpoint> endpoints;
};

// Never throws (an error nobody awaits any more would be logged as an unretrieved task failure).
awaitable<lookup_result> lookup(std::string host, std::uint16_t port) {
  lookup_result out;
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

awaitable<std::vector<tcp::endpoint>> resolve(std::string host, std::uint16_t port, std::string url) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(addr, port)};
  auto t = corio::spawn(co_await asio::this_coro::executor, lookup(host, port), "dns " + host);
  auto r = co_await t.wait();
  if (r.ec == asio::error::operation_aborted) throw boost::system::system_error(r.ec);
  if (r.ec || r.endpoints.empty()) {
    throw error(errc::dns, "cannot resolve host '" + host + "': " + (r.ec ? r.ec.message() : "no addresses"),
                std::move(url));
  }
  co_return std::move(r.endpoints);
}

}  // namespace corio::http::detail
