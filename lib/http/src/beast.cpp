// Beast's and Asio SSL's separately compiled implementations, built once for every target that
// links corio::http.
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
