// Must not compile: BOOST_ASIO_NO_DEPRECATED in a translation unit of a program whose Asio (inside
// libcorio) was built with the deprecated interfaces — an ODR violation that would otherwise link.
// flags: -DBOOST_ASIO_NO_DEPRECATED
// expect: libcorio's Asio was built with Asio's deprecated interfaces
#include <corio/semaphore.hpp>

int main() {}
