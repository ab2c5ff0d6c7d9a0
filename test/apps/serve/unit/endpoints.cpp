// corio-serve's demo endpoints called through the router, in virtual time: each shows its Corio
// idea with exact numbers.
#include <serve/endpoints.hpp>

#include <serve/app.hpp>

#include <corio/testing.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = boost::asio::ip::tcp;

namespace {

tcp::endpoint loopback() { return {boost::asio::ip::make_address("127.0.0.1"), 5}; }

serve::config with_debug_tasks(std::string token = {}) {
  serve::config c;
  c.debug_tasks = true;
  c.debug_token = std::move(token);
  return c;
}

struct fixture {
  serve::config cfg;
  serve::app a{cfg, std::make_shared<spdlog::logger>("endpoints-test", std::make_shared<spdlog::sinks::null_sink_mt>())};
  explicit fixture(serve::config c = with_debug_tasks()) : cfg(std::move(c)) { serve::register_endpoints(a); }

  /// Calls the route for `target` as a client at `from` would (with `authorization`, if any);
  /// the response's status and body (404 when no route matches).
  corio::awaitable<std::pair<unsigned, std::string>> call(std::string target, tcp::endpoint from = loopback(),
                                                          std::string authorization = {}) {
    serve::request req(http::verb::get, target, 11);
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    const auto q = target.find('?');
    const std::string path = target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    auto m = a.routes().find(http::verb::get, path);
    if (!m.found) co_return std::make_pair(404u, std::string());
    serve::request_context ctx{req, std::move(m.params), path, query, from, a};
    serve::response res;
    if (auto* s = std::get_if<serve::sync_handler>(&m.found->h)) res = (*s)(ctx);
    else res = co_await std::get<serve::async_handler>(m.found->h)(ctx);
    auto& r = std::get<serve::string_response>(res);
    co_return std::make_pair(r.result_int(), r.body());
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_endpoints)

CORIO_TEST_CASE(fanout_takes_as_long_as_the_longest_sub_operation_not_the_sum) {
  fixture f;
  const auto t0 = corio::clock::now();
  auto [status, body] = co_await f.call("/api/fanout?n=10&ms=1000");
  BOOST_TEST(status == 200u);
  BOOST_TEST((corio::clock::now() - t0 == 1s));
  const auto v = json::parse(body).as_object();
  BOOST_TEST(v.at("max_ms").as_int64() == 1000);
  BOOST_TEST(v.at("sum_ms").as_int64() == 5500);
  BOOST_TEST(v.at("elapsed_ms").as_int64() == 1000);
}

CORIO_TEST_CASE(timeout_answers_504_exactly_at_the_limit_and_200_within_it) {
  fixture f;
  const auto t0 = corio::clock::now();
  auto [late, body] = co_await f.call("/api/timeout?ms=5000&limit=1500");
  BOOST_TEST(late == 504u);
  BOOST_TEST((corio::clock::now() - t0 == 1500ms));
  BOOST_TEST(json::parse(body).as_object().at("elapsed_ms").as_int64() == 1500);
  auto [in_time, ignored] = co_await f.call("/api/timeout?ms=100&limit=1500");
  BOOST_TEST(in_time == 200u);
}

CORIO_TEST_CASE(sleep_waits_exactly_and_rejects_parameters_out_of_range) {
  fixture f;
  const auto t0 = corio::clock::now();
  auto [ok, body] = co_await f.call("/api/sleep?ms=250");
  BOOST_TEST(ok == 200u);
  BOOST_TEST((corio::clock::now() - t0 == 250ms));
  for (const char* bad : {"/api/sleep?ms=-1", "/api/sleep?ms=abc", "/api/sleep?ms=99999999", "/api/fanout?n=0",
                          "/api/fanout?n=20000", "/api/cpu?n=0"}) {
    auto [status, reason] = co_await f.call(bad);
    BOOST_TEST(status == 400u, bad);
    BOOST_TEST(reason.find("query parameter") != std::string::npos);
  }
}

CORIO_TEST_CASE(cpu_counts_primes_on_the_thread_pool) {
  fixture f;
  auto [status, body] = co_await f.call("/api/cpu?n=1000");
  BOOST_TEST(status == 200u);
  BOOST_TEST(json::parse(body).as_object().at("primes_below_n").as_int64() == 168);
}

CORIO_TEST_CASE(cpu_refuses_an_n_over_the_configured_maximum_and_defaults_below_it) {
  serve::config cfg = with_debug_tasks();
  cfg.cpu_max_n = 1000;
  fixture f(cfg);
  auto [over, reason] = co_await f.call("/api/cpu?n=1001");
  BOOST_TEST(over == 400u);
  BOOST_TEST(reason.find("from 1 to 1000") != std::string::npos, reason);
  auto [at, body] = co_await f.call("/api/cpu?n=1000");
  BOOST_TEST(at == 200u);
  auto [fallback, counted] = co_await f.call("/api/cpu");  // the default, 5,000,000, capped to 1000
  BOOST_TEST(fallback == 200u);
  BOOST_TEST(json::parse(counted).as_object().at("n").as_int64() == 1000);
  BOOST_TEST(json::parse(counted).as_object().at("primes_below_n").as_int64() == 168);
}

CORIO_TEST_CASE(fanout_refuses_an_n_over_the_configured_maximum_and_defaults_below_it) {
  serve::config cfg = with_debug_tasks();
  cfg.fanout_max_n = 5;
  fixture f(cfg);
  auto [over, reason] = co_await f.call("/api/fanout?n=6&ms=0");
  BOOST_TEST(over == 400u);
  BOOST_TEST(reason.find("from 1 to 5") != std::string::npos, reason);
  auto [at, body] = co_await f.call("/api/fanout?n=5&ms=50");
  BOOST_TEST(at == 200u);
  BOOST_TEST(json::parse(body).as_object().at("n").as_int64() == 5);
  BOOST_TEST(json::parse(body).as_object().at("sum_ms").as_int64() == 150);  // 10 + 20 + ... + 50
  auto [fallback, ran] = co_await f.call("/api/fanout?ms=0");  // the default, 10, capped to 5
  BOOST_TEST(fallback == 200u);
  BOOST_TEST(json::parse(ran).as_object().at("n").as_int64() == 5);
}

CORIO_TEST_CASE(debug_tasks_is_for_loopback_clients_only) {
  fixture f;
  auto [local, body] = co_await f.call("/debug/tasks");
  BOOST_TEST(local == 200u);
  BOOST_TEST(json::parse(body).as_object().contains("tasks"));
  // Named, not braced: GCC 12 destroys a braced temporary argument of a co_await twice.
  const tcp::endpoint elsewhere(boost::asio::ip::make_address("192.0.2.7"), 5);
  const tcp::endpoint local_v6(boost::asio::ip::make_address("::1"), 5);
  auto [remote, refused] = co_await f.call("/debug/tasks", elsewhere);
  BOOST_TEST(remote == 403u);
  auto [v6, also] = co_await f.call("/debug/tasks", local_v6);
  BOOST_TEST(v6 == 200u);
}

CORIO_TEST_CASE(debug_tasks_is_off_unless_enabled) {
  fixture f{serve::config{}};
  auto [status, body] = co_await f.call("/debug/tasks");
  BOOST_TEST(status == 404u);
}

CORIO_TEST_CASE(with_a_token_debug_tasks_needs_it_from_every_client_loopback_too) {
  fixture f{with_debug_tasks("0123456789abcdef-secret")};
  auto [none, a] = co_await f.call("/debug/tasks");
  BOOST_TEST(none == 401u);  // a loopback peer is not trusted: a reverse proxy may be one
  auto [wrong, b] = co_await f.call("/debug/tasks", loopback(), "Bearer 0123456789abcdef-secreT");
  BOOST_TEST(wrong == 401u);
  auto [prefix, c] = co_await f.call("/debug/tasks", loopback(), "Bearer 0123456789abcdef");
  BOOST_TEST(prefix == 401u);
  auto [basic, d] = co_await f.call("/debug/tasks", loopback(), "Basic 0123456789abcdef-secret");
  BOOST_TEST(basic == 401u);
  const tcp::endpoint elsewhere(boost::asio::ip::make_address("192.0.2.7"), 5);
  auto [remote, body] = co_await f.call("/debug/tasks", elsewhere, "Bearer 0123456789abcdef-secret");
  BOOST_TEST(remote == 200u);
  BOOST_TEST(json::parse(body).as_object().contains("tasks"));
}

CORIO_TEST_CASE(stats_reports_requests_connections_tasks_and_percentiles) {
  fixture f;
  f.a.counters().request_done(0, 200, 2ms);
  auto [status, body] = co_await f.call("/api/stats");
  BOOST_TEST(status == 200u);
  const auto v = json::parse(body).as_object();
  BOOST_TEST(v.at("requests").as_int64() == 1);
  BOOST_TEST(v.at("live_tasks").as_int64() >= 1);
  BOOST_TEST(v.at("latency").as_object().at("p99_us").as_int64() >= 2000);
}

BOOST_AUTO_TEST_SUITE_END()
