// The test binary's entry point; suites live in unit/<stem>.cpp, one per public header.
#define BOOST_TEST_MODULE corio
#include <boost/test/unit_test.hpp>
