#include <serve/endpoints/events.hpp>

#include <serve/app.hpp>
#include <serve/endpoints.hpp>

#include <corio/debug.hpp>
#include <corio/sleep.hpp>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace serve {

namespace {
constexpr std::size_t max_tree_tasks = 500;  // oldest first: the server's own tasks, then connections
}  // namespace

corio::awaitable<void> api_events(request_context& c, stream& s) {
  bool stop = false;
  s.on_shutdown([&stop] { stop = true; });
  // The live task tree rides along for clients that may see /debug/tasks (its names carry client
  // addresses): --debug-tasks and loopback, or the token.
  const bool tree = !task_dump_refusal(c).has_value();
  co_await s.begin_events();
  app& a = c.server;
  auto prev = a.counters().take();
  auto prev_at = corio::clock::now();
  while (!stop) {
    co_await corio::sleep(std::chrono::seconds(1));
    const auto now = corio::clock::now();
    auto snap = a.counters().take();
    const auto window = snap.since(prev);
    const double secs = std::chrono::duration<double>(now - prev_at).count();
    auto o = stats_json(a, snap);
    o["rps"] = std::llround(static_cast<double>(window.requests) / std::max(secs, 1e-3));
    o["window_p50_us"] = std::llround(window.percentile_us(0.50));
    o["window_p99_us"] = std::llround(window.percentile_us(0.99));
    // Per route that has served anything: the last second's rate and latency, the totals' errors.
    boost::json::array routes;
    for (std::size_t k = 0; k < snap.routes.size() && k < window.routes.size(); ++k) {
      const auto& total = snap.routes[k];
      const auto& last = window.routes[k];
      if (total.requests == 0) continue;
      boost::json::object r;
      r["route"] = total.name;
      r["requests"] = total.requests;
      r["rps"] = std::llround(static_cast<double>(last.requests) / std::max(secs, 1e-3));
      r["p50_us"] = std::llround(last.percentile_us(0.50));
      r["p99_us"] = std::llround(last.percentile_us(0.99));
      r["client_errors"] = total.client_errors;
      r["server_errors"] = total.server_errors;
      routes.push_back(std::move(r));
    }
    o["routes"] = std::move(routes);
    if (tree) {
      auto dump = boost::json::parse(corio::dump_tasks_json());
      auto& tasks = dump.as_object()["tasks"].as_array();
      o["task_count"] = tasks.size();
      if (tasks.size() > max_tree_tasks) tasks.resize(max_tree_tasks);
      o["task_tree"] = std::move(tasks);
    }
    o["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
    co_await s.send_event(boost::json::serialize(o));
    prev = std::move(snap);
    prev_at = now;
  }
  co_await s.end_chunked();
}

}  // namespace serve
