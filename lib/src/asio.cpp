// Asio's separately compiled implementation, built once for every target that links corio::corio.
#include <boost/asio/impl/src.hpp>
