// corio-scrape's proxy settings: --proxy and --noproxy, and what the environment adds when they
// are not given (scrape::take_proxy_environment), as curl reads it.
#include "scrape/options.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

namespace {

scrape::options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "corio-scrape");
  return scrape::parse_args(static_cast<int>(args.size()), args.data());
}

/// `o` with the environment `env` applied.
scrape::options with_env(scrape::options o, std::map<std::string, std::string> env) {
  scrape::take_proxy_environment(o, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scrape_proxy_options)

BOOST_AUTO_TEST_CASE(proxy_and_noproxy_flags_are_parsed) {
  const auto o = parse({"--proxy", "http://p.test:3128", "--noproxy=a.test,b.test", "http://x.test/"});
  BOOST_TEST(*o.proxy == "http://p.test:3128");
  BOOST_TEST(*o.noproxy == "a.test,b.test");
  const auto none = parse({"http://x.test/"});
  BOOST_TEST(!none.proxy);
  BOOST_TEST(!none.noproxy);
}

BOOST_AUTO_TEST_CASE(a_malformed_proxy_is_a_usage_error_without_the_password) {
  for (const char* bad : {"ftp://p.test", "http://u:pw-secret@p.test:70000", "http://p.test:3128/x", "https://p.test"}) {
    try {
      (void)parse({"--proxy", bad, "http://x.test/"});
      BOOST_ERROR("accepted " << bad);
    } catch (const scrape::usage_error& e) {
      BOOST_TEST(std::string(e.what()).starts_with("--proxy: invalid proxy URL"), e.what());
      BOOST_TEST(std::string(e.what()).find("pw-secret") == std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_environment_gives_http_proxy_lower_case_only_and_https_proxy_either_case) {
  auto o = with_env(parse({"http://x.test/"}), {{"http_proxy", "http://h.test:1"}, {"HTTPS_PROXY", "http://s.test:2"}});
  BOOST_TEST(*o.proxy == "http://h.test:1");
  BOOST_TEST(*o.https_proxy == "http://s.test:2");
  o = with_env(parse({"http://x.test/"}), {{"HTTP_PROXY", "http://h.test:1"}, {"https_proxy", "http://s.test:3"},
                                          {"HTTPS_PROXY", "http://s.test:2"}});
  BOOST_TEST(o.proxy->empty());  // HTTP_PROXY may come from a CGI request's Proxy header: ignored as in curl
  BOOST_TEST(*o.https_proxy == "http://s.test:3");
  o = with_env(parse({"http://x.test/"}), {{"http_proxy", "http://h.test:1"}});
  BOOST_TEST(o.https_proxy->empty());  // https:// goes direct
}

BOOST_AUTO_TEST_CASE(the_proxy_flag_wins_over_the_environment_for_every_scheme) {
  const std::map<std::string, std::string> env = {{"http_proxy", "http://h.test:1"}, {"https_proxy", "http://s.test:2"}};
  auto o = with_env(parse({"--proxy", "http://p.test:3", "http://x.test/"}), env);
  BOOST_TEST(*o.proxy == "http://p.test:3");
  BOOST_TEST(!o.https_proxy);  // the client then uses `proxy` for https:// too
  o = with_env(parse({"--proxy", "", "http://x.test/"}), env);
  BOOST_TEST(o.proxy->empty());
  BOOST_TEST(!o.https_proxy);
}

BOOST_AUTO_TEST_CASE(no_proxy_comes_from_the_flag_or_the_environment) {
  auto o = with_env(parse({"http://x.test/"}), {{"no_proxy", "a.test"}, {"NO_PROXY", "b.test"}});
  BOOST_TEST(*o.noproxy == "a.test");
  o = with_env(parse({"http://x.test/"}), {{"NO_PROXY", "b.test"}});
  BOOST_TEST(*o.noproxy == "b.test");
  o = with_env(parse({"--noproxy", "", "http://x.test/"}), {{"no_proxy", "a.test"}});
  BOOST_TEST(o.noproxy->empty());
}

BOOST_AUTO_TEST_CASE(an_empty_environment_leaves_every_setting_set_and_empty) {
  const auto o = with_env(parse({"http://x.test/"}), {{"http_proxy", ""}});
  BOOST_TEST_REQUIRE(o.proxy.has_value());
  BOOST_TEST_REQUIRE(o.https_proxy.has_value());
  BOOST_TEST_REQUIRE(o.noproxy.has_value());
  BOOST_TEST(o.proxy->empty());
  BOOST_TEST(o.https_proxy->empty());
  BOOST_TEST(o.noproxy->empty());
}

BOOST_AUTO_TEST_CASE(a_malformed_proxy_in_the_environment_is_a_usage_error_naming_it) {
  for (const char* var : {"http_proxy", "https_proxy", "HTTPS_PROXY"}) {
    try {
      (void)with_env(parse({"http://x.test/"}), {{var, "socks5://u:pw-secret@p.test"}});
      BOOST_ERROR("accepted " << var);
    } catch (const scrape::usage_error& e) {
      BOOST_TEST(std::string(e.what()).starts_with(std::string("the environment's ") + var + ": invalid proxy URL"),
                 e.what());
      BOOST_TEST(std::string(e.what()).find("pw-secret") == std::string::npos, e.what());
    }
  }
  // ... unless --proxy makes the environment irrelevant.
  BOOST_CHECK_NO_THROW(with_env(parse({"--proxy", "", "http://x.test/"}), {{"http_proxy", "::bad::"}}));
}

BOOST_AUTO_TEST_SUITE_END()
