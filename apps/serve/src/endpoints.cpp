#include <serve/endpoints.hpp>

#include <serve/chat.hpp>
#include <serve/endpoints/events.hpp>
#include <serve/handler.hpp>
#include <serve/http_date.hpp>
#include <serve/static_files.hpp>

#include <corio/debug.hpp>
#include <corio/gather.hpp>
#include <corio/sleep.hpp>
#include <corio/thread.hpp>
#include <corio/timeout.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace serve {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// A query parameter as an integer in [lo, hi]; `fallback` if absent; empty optional if invalid.
std::optional<long long> int_param(const request_context& c, std::string_view name, long long fallback, long long lo,
                                   long long hi) {
  const auto v = c.query_param(name);
  if (!v) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < lo || out > hi) return std::nullopt;
  return out;
}

string_response bad_param(std::string_view name, long long lo, long long hi) {
  return error(http::status::bad_request,
               "query parameter '" + std::string(name) + "' must be a whole number from " + std::to_string(lo) +
                   " to " + std::to_string(hi));
}

double ms_since(corio::clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(corio::clock::now() - t0).count();
}

corio::awaitable<response> api_sleep(request_context& c) {
  const auto ms = int_param(c, "ms", 100, 0, 600'000);
  if (!ms) co_return bad_param("ms", 0, 600'000);
  co_await corio::sleep(milliseconds(*ms));
  co_return json(http::status::ok, {{"slept_ms", *ms}});
}

corio::awaitable<std::int64_t> sub_operation(milliseconds d) {
  co_await corio::sleep(d);
  co_return d.count();
}

corio::awaitable<response> api_fanout(request_context& c) {
  const auto max_n = static_cast<long long>(c.server.cfg().fanout_max_n);
  const auto n = int_param(c, "n", std::min(10LL, max_n), 1, max_n);
  if (!n) co_return bad_param("n", 1, max_n);
  const auto ms = int_param(c, "ms", 100, 0, 60'000);
  if (!ms) co_return bad_param("ms", 0, 60'000);
  std::vector<corio::awaitable<std::int64_t>> subs;
  subs.reserve(static_cast<std::size_t>(*n));
  for (long long i = 0; i < *n; ++i) subs.push_back(sub_operation(milliseconds(*ms * (i + 1) / *n)));
  const auto t0 = corio::clock::now();
  const auto each = co_await corio::gather(std::move(subs));
  std::int64_t sum = 0, max = 0;
  for (auto v : each) {
    sum += v;
    max = std::max(max, v);
  }
  co_return json(http::status::ok,
                 {{"n", *n}, {"sum_ms", sum}, {"max_ms", max}, {"elapsed_ms", std::llround(ms_since(t0))}});
}

corio::awaitable<response> api_timeout(request_context& c) {
  const auto ms = int_param(c, "ms", 2000, 0, 600'000);
  if (!ms) co_return bad_param("ms", 0, 600'000);
  const auto limit = int_param(c, "limit", 1000, 0, 600'000);
  if (!limit) co_return bad_param("limit", 0, 600'000);
  const auto t0 = corio::clock::now();
  try {
    co_await corio::wait_for(corio::sleep(milliseconds(*ms)), milliseconds(*limit));
  } catch (const corio::timeout_error&) {
    co_return json(http::status::gateway_timeout, {{"error", "timed out"},
                                                   {"work_ms", *ms},
                                                   {"limit_ms", *limit},
                                                   {"elapsed_ms", std::llround(ms_since(t0))}});
  }
  co_return json(http::status::ok, {{"completed", true}, {"work_ms", *ms}, {"limit_ms", *limit}});
}

std::uint64_t count_primes(std::uint64_t n) {
  if (n < 3) return 0;
  std::vector<bool> composite(n, false);
  std::uint64_t count = 0;
  for (std::uint64_t i = 2; i < n; ++i) {
    if (composite[i]) continue;
    ++count;
    for (std::uint64_t j = i * i; j < n; j += i) composite[j] = true;
  }
  return count;
}

corio::awaitable<response> api_cpu(request_context& c) {
  const auto max_n = static_cast<long long>(c.server.cfg().cpu_max_n);
  const auto n = int_param(c, "n", std::min(5'000'000LL, max_n), 1, max_n);
  if (!n) co_return bad_param("n", 1, max_n);
  const auto t0 = std::chrono::steady_clock::now();
  const auto primes = co_await corio::to_thread(count_primes, static_cast<std::uint64_t>(*n));
  const auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  co_return json(http::status::ok, {{"n", *n}, {"primes_below_n", primes}, {"elapsed_ms", std::llround(took)}});
}

constexpr std::size_t echo_buffer = 64 * 1024;

corio::awaitable<void> api_echo(request_context& c, stream& s) {
  const bool keep = c.req.keep_alive();
  std::string type = "application/octet-stream";
  if (auto it = c.req.find(http::field::content_type); it != c.req.end()) type = std::string(it->value());
  // A body of up to echo_buffer bytes is read whole, framing and trailers validated, before any
  // byte of the response: a bad chunk or a body over the limit then gets its 400/413 (read_body
  // throws request_rejected, answered by the connection). A larger one is echoed as it comes; if
  // it then fails, the response is cut off (counted as aborted in /api/stats).
  std::string body;
  bool whole = false;
  while (body.size() < echo_buffer) {
    auto piece = co_await s.read_body();
    if (!piece) {
      whole = true;
      break;
    }
    body += *piece;
  }
  if (whole || c.req.version() < 11) {
    // All of it, or an HTTP/1.0 client (no chunked responses): answer in one piece.
    while (!whole) {
      auto more = co_await s.read_body();
      if (!more) break;
      body += *more;
    }
    co_await s.send(text(http::status::ok, std::move(body), type), keep);
    co_return;
  }
  co_await s.begin_chunked(http::status::ok, type, keep);
  co_await s.write_chunk(body);
  while (auto piece = co_await s.read_body()) co_await s.write_chunk(*piece);
  co_await s.end_chunked();
}

/// Compares without stopping at the first difference (the time taken says nothing of the token).
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

response debug_tasks(request_context& c) {
  if (auto refused = task_dump_refusal(c)) return std::move(*refused);
  if (c.query_param("format").value_or("") == "text") return text(http::status::ok, corio::dump_tasks());
  return text(http::status::ok, corio::dump_tasks_json(), "application/json");
}

void mount(app& a, const std::string& prefix, std::shared_ptr<const file_server> files) {
  a.routes().add(http::verb::get, prefix + "{*path}", sync_handler([files](request_context& c) -> response {
                   return files->serve(c.req, c.param("path"));
                 }));
}

}  // namespace

std::optional<response> task_dump_refusal(const request_context& c) {
  const config& cfg = c.server.cfg();
  if (!cfg.debug_tasks && cfg.debug_token.empty()) return error(http::status::not_found, "not found");
  if (const auto& token = cfg.debug_token; !token.empty()) {
    const auto auth = c.req[http::field::authorization];
    const std::string_view given(auth.data(), auth.size());
    if (given.rfind("Bearer ", 0) != 0 || !same_secret(given.substr(7), token)) {
      auto res = error(http::status::unauthorized, "/debug/tasks needs its token");
      res.set(http::field::www_authenticate, "Bearer");
      return res;
    }
  } else if (!c.remote.address().is_loopback()) {
    return error(http::status::forbidden, "/debug/tasks is for loopback clients only");
  }
  return std::nullopt;
}

boost::json::object stats_json(app& a, const stats::snapshot& snap) {
  auto o = snap.to_json();
  o["live_tasks"] = app::live_tasks();
  a.fill_figures(o);  // the endpoints' own (the chat room's)
  o["shards"] = a.shards().size();
  return o;
}

void register_endpoints(app& a) {
  router& r = a.routes();
  r.add(http::verb::get, "/plaintext",
        sync_handler([](request_context&) -> response { return text(http::status::ok, "Hello, World!"); }));
  r.add(http::verb::get, "/json", sync_handler([](request_context&) -> response {
          // Built and serialized per request (as the benchmark asks), on the stack: no allocation
          // for the object.
          unsigned char storage[256];
          boost::json::monotonic_resource mr(storage, sizeof storage);
          boost::json::object o(&mr);
          o.emplace("message", "Hello, World!");
          return json(http::status::ok, o);
        }));
  r.add(http::verb::get, "/api/sleep", async_handler(api_sleep));
  r.add(http::verb::get, "/api/fanout", async_handler(api_fanout));
  r.add(http::verb::get, "/api/timeout", async_handler(api_timeout));
  r.add(http::verb::get, "/api/cpu", async_handler(api_cpu));
  r.add(http::verb::post, "/api/echo", stream_handler(api_echo));
  r.add(http::verb::get, "/api/stats", sync_handler([&a](request_context&) -> response {
          return json(http::status::ok, stats_json(a, a.counters().take()));
        }));
  r.add(http::verb::get, "/api/events", stream_handler(api_events));
  register_chat(a);  // /ws/chat and its room (serve/chat.hpp)
  if (a.cfg().debug_tasks || !a.cfg().debug_token.empty()) r.add(http::verb::get, "/debug/tasks", sync_handler(debug_tasks));

  std::shared_ptr<const file_server> dashboard;
  try {
    dashboard = std::make_shared<const file_server>(www_dir(a.cfg()), "/dashboard/");
  } catch (const std::exception& e) {
    a.log().warn("no dashboard: {}", e.what());
  }
  if (dashboard) {
    r.add(http::verb::get, "/dashboard", sync_handler([](request_context&) -> response {
            auto res = error(http::status::moved_permanently, "moved");
            res.set(http::field::location, "/dashboard/");
            return res;
          }));
    mount(a, "/dashboard/", dashboard);
  }
  if (!a.cfg().static_dir.empty()) {
    mount(a, "/", std::make_shared<const file_server>(a.cfg().static_dir, "/"));
  } else if (dashboard) {
    mount(a, "/", std::make_shared<const file_server>(dashboard->root(), "/"));
  }
  a.counters().set_routes(r.names());  // per-route counters (/api/stats, the dashboard's table)
}

}  // namespace serve
