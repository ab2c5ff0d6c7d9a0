// corio-serve's in-process test binary; one suite per file here (serve_<stem>), each a ctest
// entry serve.<stem>.
#define BOOST_TEST_MODULE corio_serve
#include <boost/test/unit_test.hpp>
