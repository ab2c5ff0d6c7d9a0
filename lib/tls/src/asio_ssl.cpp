// Asio SSL's separately compiled implementation, built once for every target that links corio::tls
// (corio::http included).
#include <boost/asio/ssl/impl/src.hpp>
