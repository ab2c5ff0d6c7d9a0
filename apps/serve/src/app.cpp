#include <serve/app.hpp>
#include <serve/handler.hpp>

#include <corio/debug.hpp>
#include <corio/event.hpp>
#include <corio/gather.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <sstream>

namespace serve {

app::app(config cfg, std::shared_ptr<spdlog::logger> log, std::shared_ptr<spdlog::logger> access)
    : cfg_(std::move(cfg)),
      stats_(cfg_.threads),
      log_(log ? std::move(log) : spdlog::default_logger()),
      access_(std::move(access)) {}

app::~app() = default;

void app::set_shards(std::vector<corio::executor> shards) {
  shards_ = std::move(shards);
  for (const auto& f : shard_hooks_) f(shards_);
}

void app::fill_figures(boost::json::object& o) const {
  for (const auto& f : figures_) f(o);
}

corio::awaitable<void> app::run_background() const {
  std::vector<corio::awaitable<void>> all;
  for (const auto& f : background_) all.push_back(f());
  if (all.empty()) {
    corio::event never;  // nothing to run: wait for the server to end, as a running task would
    co_await never.wait();
  }
  (void)co_await corio::gather(std::move(all));
}

namespace {

/// A field for a quoted place in the log: '"', '\\' and bytes outside printable ASCII as \xHH.
std::string escaped(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      static constexpr char hex[] = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

void app::log_access(const access_entry& e) const {
  if (!access_) return;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(e.took).count();
  // The connection and request: from the connection task's context (handler.hpp).
  const auto ids = current_request.get_or(nullptr);
  const std::uint64_t connection = ids ? ids->connection : 0;
  const std::uint64_t request_no = ids ? ids->request : 0;
  std::ostringstream remote;
  remote << e.remote;
  if (cfg_.access_log_format == log_format::json) {
    boost::json::object o;
    o["ts_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    o["remote"] = remote.str();
    o["method"] = e.method;
    o["target"] = e.target;
    o["version"] = e.version == 10 ? "1.0" : "1.1";
    o["status"] = e.status;
    o["bytes"] = e.bytes;
    o["us"] = us;
    o["conn"] = connection;
    o["req"] = request_no;
    access_->info(boost::json::serialize(o));
  } else if (cfg_.access_log_format == log_format::combined) {
    // nginx's "combined": $remote_addr - $remote_user [$time_local] "$request" $status
    // $body_bytes_sent "$http_referer" "$http_user_agent" (time in UTC; quotes, backslashes and
    // control bytes in the quoted fields escaped as \xHH, as nginx does).
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char when[40];
    std::strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    access_->info("{} - - [{}] \"{} {} HTTP/{}.{}\" {} {} \"{}\" \"{}\"", e.remote.address().to_string(), when,
                  escaped(e.method), escaped(e.target), e.version / 10, e.version % 10, e.status, e.bytes,
                  e.referer.empty() ? "-" : escaped(e.referer), e.user_agent.empty() ? "-" : escaped(e.user_agent));
  } else {
    access_->info("{} \"{} {} HTTP/{}.{}\" {} {} {}us conn={} req={}", remote.str(), e.method, e.target,
                  e.version / 10, e.version % 10, e.status, e.bytes, us, connection, request_no);
  }
}

std::size_t app::live_tasks() { return corio::live_tasks(); }

}  // namespace serve
