#include "dns.hpp"

#include <corio/detail/resolve.hpp>
#include <corio/http/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <utility>

namespace corio::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

awaitable<std::vector<tcp::endpoint>> resolve(std::string host, std::uint16_t port, std::string url) {
  corio::detail::resolved r = co_await corio::detail::resolve(host, port, "dns " + host);
  if (r.ec == asio::error::operation_aborted) throw boost::system::system_error(r.ec);
  if (r.ec || r.endpoints.empty()) {
    throw error(errc::dns, "cannot resolve host '" + host + "': " + (r.ec ? r.ec.message() : "no addresses"),
                std::move(url));
  }
  co_return std::move(r.endpoints);
}

}  // namespace corio::http::detail
