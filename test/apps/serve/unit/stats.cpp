#include <serve/stats.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(serve_stats)

BOOST_AUTO_TEST_CASE(every_latency_falls_in_a_bucket_whose_upper_bound_is_within_seven_percent) {
  for (std::uint64_t us : {0ull, 1ull, 15ull, 16ull, 17ull, 100ull, 999ull, 12345ull, 1000000ull, 987654321ull}) {
    const auto b = serve::stats::bucket_of(us);
    const auto upper = serve::stats::bucket_upper_us(b);
    BOOST_TEST(upper >= us);
    BOOST_TEST(static_cast<double>(upper) <= static_cast<double>(us) * 1.07 + 1);
    if (b > 0) BOOST_TEST(serve::stats::bucket_upper_us(b - 1) < us);
  }
}

BOOST_AUTO_TEST_CASE(shards_are_summed_and_percentiles_come_from_the_histogram) {
  serve::stats s(2);
  for (int i = 0; i < 98; ++i) s.request_done(0, 200, 100us);
  s.request_done(1, 404, 10ms);
  s.request_done(1, 500, 50ms);
  s.connection_opened(0);
  s.connection_opened(1);
  s.connection_closed(1);
  const auto snap = s.take();
  BOOST_TEST(snap.requests == 100u);
  BOOST_TEST(snap.by_class[2] == 98u);
  BOOST_TEST(snap.by_class[4] == 1u);
  BOOST_TEST(snap.by_class[5] == 1u);
  BOOST_TEST(snap.active_connections == 1);
  BOOST_TEST(snap.connections_total == 2u);
  BOOST_TEST(snap.connections_by_shard == (std::vector<std::uint64_t>{1, 1}), boost::test_tools::per_element());
  BOOST_TEST(snap.percentile_us(0.5) >= 100.0);
  BOOST_TEST(snap.percentile_us(0.5) < 107.0);
  BOOST_TEST(snap.percentile_us(0.99) >= 10000.0);
  BOOST_TEST(snap.percentile_us(0.99) < 10700.0);
  BOOST_TEST(snap.percentile_us(1.0) >= 50000.0);
}

BOOST_AUTO_TEST_CASE(a_window_between_two_snapshots_counts_only_what_happened_in_it) {
  serve::stats s;
  for (int i = 0; i < 10; ++i) s.request_done(0, 200, 5ms);
  const auto before = s.take();
  for (int i = 0; i < 3; ++i) s.request_done(0, 200, 1us);
  const auto window = s.take().since(before);
  BOOST_TEST(window.requests == 3u);
  BOOST_TEST(window.percentile_us(0.99) <= 1.0);
  BOOST_TEST(serve::stats::snapshot{}.percentile_us(0.99) == 0.0);
}

BOOST_AUTO_TEST_CASE(routes_are_counted_one_by_one_across_shards_with_their_errors) {
  serve::stats st(2);
  st.request_done(0, 200, 100us, 0);  // before set_routes: counted in the totals only
  st.set_routes({"GET /a", "POST /b"});
  st.request_done(0, 200, 100us, 0);
  st.request_done(1, 200, 300us, 0);
  st.request_done(1, 404, 50us, 1);
  st.request_done(0, 503, 10ms, 1);
  st.request_done(1, 0, 20ms, 1);  // cut off after it started: a server error
  st.request_done(0, 404, 10us, serve::stats::no_route);
  st.request_done(0, 404, 10us, 99);  // an index out of range counts as no route
  const auto snap = st.take();
  BOOST_TEST(snap.requests == 8u);
  BOOST_REQUIRE(snap.routes.size() == 3u);
  BOOST_TEST(snap.routes[0].name == "GET /a");
  BOOST_TEST(snap.routes[0].requests == 2u);
  BOOST_TEST(snap.routes[0].client_errors + snap.routes[0].server_errors == 0u);
  BOOST_TEST(snap.routes[0].percentile_us(1.0) >= 300.0);
  BOOST_TEST(snap.routes[0].percentile_us(0.5) < 300.0);
  BOOST_TEST(snap.routes[1].requests == 3u);
  BOOST_TEST(snap.routes[1].client_errors == 1u);
  BOOST_TEST(snap.routes[1].server_errors == 2u);
  BOOST_TEST(snap.routes[2].name == "(no route)");
  BOOST_TEST(snap.routes[2].requests == 2u);
  st.request_done(1, 200, 1us, 0);
  const auto window = st.take().since(snap);
  BOOST_TEST(window.routes[0].requests == 1u);
  BOOST_TEST(window.routes[1].requests == 0u);
  const auto json = snap.to_json();
  BOOST_TEST(json.at("routes").as_array().size() == 3u);  // those with requests
}

BOOST_AUTO_TEST_SUITE_END()
