// corio-serve's access log (serve/access_log.hpp).
#include <serve/access_log.hpp>

#include <corio/race.hpp>
#include <corio/sleep.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/signal_set.hpp>

#include <spdlog/async.h>
#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <mutex>

namespace serve {

namespace {

/// A file opened for appending that can be closed and opened again by name (after logrotate has
/// moved it). Writes, flushes and reopens take the sink's mutex.
class reopening_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit reopening_file_sink(const std::string& path) { file_.open(path, false); }

  std::string reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      open_ = false;
      file_.reopen(false);
      open_ = true;
      return {};
    } catch (const spdlog::spdlog_ex& e) {  // closed: lines are dropped until a reopen succeeds
      return e.what();
    }
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!open_) return;
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    file_.write(line);  // (throws when the disk refuses: spdlog's error handler reports it)
  }
  void flush_() override {
    if (open_) file_.flush();
  }

 private:
  spdlog::details::file_helper file_;
  bool open_ = true;  // false after a failed reopen
};

}  // namespace

std::shared_ptr<spdlog::logger> make_access_log(const config& cfg) {
  if (cfg.access_log == "off") return nullptr;
  spdlog::init_thread_pool(65536, 1);
  spdlog::sink_ptr sink;
  if (cfg.access_log == "-") sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  else sink = std::make_shared<reopening_file_sink>(cfg.access_log);
  auto log = std::make_shared<spdlog::async_logger>("access", sink, spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::overrun_oldest);
  log->set_pattern(cfg.access_log_format == log_format::text ? "%Y-%m-%dT%H:%M:%S.%e %v" : "%v");
  log->set_level(spdlog::level::info);
  return log;
}

std::string reopen_access_log(spdlog::logger& access) {
  for (const auto& s : access.sinks()) {
    if (auto* f = dynamic_cast<reopening_file_sink*>(s.get())) return f->reopen();
  }
  return {};
}

corio::awaitable<void> keep_access_log(std::shared_ptr<spdlog::logger> access, spdlog::logger& log,
                                       boost::asio::signal_set& hup) {
  for (;;) {
    const auto woke = co_await corio::race(hup.async_wait(boost::asio::deferred), corio::sleep(std::chrono::seconds(1)));
    if (!access) continue;
    if (woke.index() == 0) {
      if (const auto problem = reopen_access_log(*access); problem.empty()) {
        log.info("SIGHUP: access log reopened");
      } else {
        log.error("SIGHUP: the access log could not be reopened ({}): its lines are lost until the next SIGHUP",
                  problem);
      }
    } else {
      access->flush();
    }
  }
}

}  // namespace serve
