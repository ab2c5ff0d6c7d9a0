#include <serve/router.hpp>

#include <serve/app.hpp>

#include <boost/test/unit_test.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <string>

namespace http = boost::beast::http;

namespace {

serve::handler named(std::string name) {
  return serve::sync_handler([name](serve::request_context&) -> serve::response {
    return serve::text(http::status::ok, name);
  });
}

serve::router example() {
  serve::router r;
  r.add(http::verb::get, "/", named("root"));
  r.add(http::verb::get, "/items/{id}", named("item"));
  r.add(http::verb::put, "/items/{id}", named("put item"));
  r.add(http::verb::get, "/items/{id}/parts/{part}", named("part"));
  r.add(http::verb::get, "/{*path}", named("files"));
  r.add(http::verb::get, "/late", named("late"));
  return r;
}

std::string handler_name(const serve::router::match& m) {
  if (!m.found) return "none";
  serve::request req;
  serve::config cfg;
  serve::app a(cfg, std::make_shared<spdlog::logger>("router-test", std::make_shared<spdlog::sinks::null_sink_mt>()));
  serve::request_context ctx{req, {}, "/", "", {}, a};
  auto res = std::get<serve::sync_handler>(m.found->h)(ctx);
  return std::get<serve::string_response>(res).body();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_router)

BOOST_AUTO_TEST_CASE(literal_segments_and_parameters_match_whole_segments_only) {
  const auto r = example();
  BOOST_TEST(handler_name(r.find(http::verb::get, "/")) == "root");
  auto m = r.find(http::verb::get, "/items/42");
  BOOST_TEST(handler_name(m) == "item");
  BOOST_TEST(m.params.size() == 1u);
  BOOST_TEST(m.params[0].first == "id");
  BOOST_TEST(m.params[0].second == "42");
  m = r.find(http::verb::get, "/items/7/parts/wheel");
  BOOST_TEST(handler_name(m) == "part");
  BOOST_TEST(m.params[1].second == "wheel");
  // An empty parameter does not match; the catch-all takes it.
  BOOST_TEST(handler_name(r.find(http::verb::get, "/items/")) == "files");
}

BOOST_AUTO_TEST_CASE(a_catch_all_comes_after_every_other_route_even_one_added_later) {
  const auto r = example();
  BOOST_TEST(handler_name(r.find(http::verb::get, "/late")) == "late");
  auto m = r.find(http::verb::get, "/a/b/c.txt");
  BOOST_TEST(handler_name(m) == "files");
  BOOST_TEST(m.params[0].second == "a/b/c.txt");
}

BOOST_AUTO_TEST_CASE(a_known_path_with_another_method_is_405_with_allow_and_head_falls_back_to_get) {
  const auto r = example();
  auto m = r.find(http::verb::delete_, "/items/1");
  BOOST_TEST(!m.found);
  BOOST_TEST(m.status == http::status::method_not_allowed);
  BOOST_TEST(m.allow == "GET, HEAD, PUT");
  BOOST_TEST(handler_name(r.find(http::verb::put, "/items/1")) == "put item");
  BOOST_TEST(handler_name(r.find(http::verb::head, "/items/1")) == "item");
  serve::router bare;
  bare.add(http::verb::post, "/only-post", named("p"));
  m = bare.find(http::verb::get, "/nothing");
  BOOST_TEST(m.status == http::status::not_found);
}

BOOST_AUTO_TEST_CASE(head_on_a_streaming_route_is_405_never_its_body) {
  serve::router r;
  r.add(http::verb::get, "/events", serve::stream_handler([](serve::request_context&, serve::stream&) -> corio::awaitable<void> {
          co_return;
        }));
  r.add(http::verb::get, "/page", named("page"));
  auto m = r.find(http::verb::head, "/events");
  BOOST_TEST(!m.found);
  BOOST_TEST(m.status == http::status::method_not_allowed);
  BOOST_TEST(m.allow == "GET");
  BOOST_TEST(r.find(http::verb::get, "/events").found != nullptr);
  BOOST_TEST(handler_name(r.find(http::verb::head, "/page")) == "page");
  // A streaming GET beside a plain catch-all: HEAD goes to neither the stream nor past it.
  r.add(http::verb::get, "/{*rest}", named("files"));
  m = r.find(http::verb::head, "/events");
  BOOST_TEST(m.status == http::status::method_not_allowed);
}

BOOST_AUTO_TEST_CASE(malformed_patterns_are_refused) {
  serve::router r;
  BOOST_CHECK_THROW(r.add(http::verb::get, "no-slash", named("x")), std::invalid_argument);
  BOOST_CHECK_THROW(r.add(http::verb::get, "/{*rest}/more", named("x")), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(query_parameters_are_percent_decoded_and_plus_is_a_space) {
  serve::request req;
  serve::config cfg;
  serve::app a(cfg, std::make_shared<spdlog::logger>("router-test", std::make_shared<spdlog::sinks::null_sink_mt>()));
  serve::request_context ctx{req, {}, "/", "name=Ada+Lovelace&x=%41%2f&flag&bad=%G1", {}, a};
  BOOST_TEST(ctx.query_param("name").value() == "Ada Lovelace");
  BOOST_TEST(ctx.query_param("x").value() == "A/");
  BOOST_TEST(ctx.query_param("flag").value() == "");
  BOOST_TEST(!ctx.query_param("bad").has_value());
  BOOST_TEST(!ctx.query_param("missing").has_value());
  BOOST_TEST(!serve::percent_decode("%4").has_value());
  BOOST_TEST(serve::percent_decode("a+b").value() == "a+b");
}

BOOST_AUTO_TEST_SUITE_END()
