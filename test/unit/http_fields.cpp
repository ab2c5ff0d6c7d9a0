#include <corio/http/fields.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

namespace http = corio::http;

BOOST_AUTO_TEST_SUITE(http_fields)

BOOST_AUTO_TEST_CASE(lookup_ignores_case_and_returns_the_first_value) {
  http::fields f{{"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}, {"Content-Type", "text/html"}};
  BOOST_TEST(f.get("CONTENT-TYPE").value_or("") == "text/html");
  BOOST_TEST(f.get("set-COOKIE").value_or("") == "a=1");
  BOOST_TEST(f.get_all("Set-Cookie").size() == 2u);
  BOOST_TEST(!f.get("Missing").has_value());
}

BOOST_AUTO_TEST_CASE(set_replaces_every_field_of_that_name_and_keeps_the_others_in_order) {
  http::fields f{{"A", "1"}, {"B", "2"}, {"a", "3"}};
  f.set("A", "4");
  BOOST_TEST(f.size() == 2u);
  BOOST_TEST(f.begin()->first == "B");
  BOOST_TEST(f.get("a").value_or("") == "4");
  BOOST_TEST(f.erase("b") == 1u);
  BOOST_TEST(f.size() == 1u);
}

BOOST_AUTO_TEST_CASE(names_and_values_that_could_inject_headers_are_refused) {
  http::fields f;
  BOOST_CHECK_THROW(f.add("X", "a\r\nEvil: 1"), std::invalid_argument);
  BOOST_CHECK_THROW(f.add("X", std::string("a\0b", 3)), std::invalid_argument);
  BOOST_CHECK_THROW(f.set("Bad Name", "v"), std::invalid_argument);
  BOOST_CHECK_THROW(f.add("", "v"), std::invalid_argument);
  BOOST_CHECK_THROW(f.add("X:Y", "v"), std::invalid_argument);
  BOOST_TEST(f.empty());
}

BOOST_AUTO_TEST_CASE(iequals_compares_ascii_case_insensitively) {
  BOOST_TEST(http::iequals("Content-Length", "content-length"));
  BOOST_TEST(!http::iequals("Content-Length", "Content-Lengths"));
}

BOOST_AUTO_TEST_SUITE_END()
