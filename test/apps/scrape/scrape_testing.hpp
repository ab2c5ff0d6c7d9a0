// Helpers for the in-process tests of the scraper: run it on a test io_context (real time) and
// read its JSON Lines back.
#pragma once

#include "scrape/scraper.hpp"

#include "support/http/http_testing.hpp"
#include "support/http/test_server.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace scrape_test {

inline scrape::options quick_options() {
  scrape::options o;
  o.timeout = 20;
  o.retries = 0;
  o.grace = 5;
  return o;
}

/// Every line of `out` parsed; fails the test on a line that is not a JSON object.
inline std::vector<boost::json::object> lines(const std::string& out) {
  std::vector<boost::json::object> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) v.push_back(boost::json::parse(line).as_object());
  return v;
}

/// The rows by their "url".
inline std::map<std::string, boost::json::object> by_url(const std::string& out) {
  std::map<std::string, boost::json::object> m;
  for (auto& o : lines(out)) m[std::string(o.at("url").as_string())] = o;
  return m;
}

/// A URL list built by a call, not a braced list: GCC 12 rejects a braced list inside co_await.
template <typename... S>
std::vector<std::string> url_list(S&&... s) {
  std::vector<std::string> v;
  (v.emplace_back(std::forward<S>(s)), ...);
  return v;
}

inline std::string str(const boost::json::object& o, const char* key) {
  const auto& v = o.at(key);
  return v.is_null() ? std::string("null") : std::string(v.as_string());
}

inline long long num(const boost::json::object& o, const char* key) {
  const auto& v = o.at(key);
  return v.is_null() ? -1 : v.to_number<long long>();
}

}  // namespace scrape_test
