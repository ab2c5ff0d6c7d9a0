// Beast's separately compiled implementation, built once for every target that links corio::http.
// (Asio SSL's is corio::tls's.)
#include <boost/beast/src.hpp>
