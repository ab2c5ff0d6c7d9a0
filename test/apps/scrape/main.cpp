// corio-scrape's in-process tests; one suite per file, one ctest entry per suite.
#define BOOST_TEST_MODULE scrape
#include <boost/test/unit_test.hpp>
