// corio::redis's tests; one suite per file, one ctest entry per suite.
#define BOOST_TEST_MODULE redis
#include <boost/test/unit_test.hpp>
