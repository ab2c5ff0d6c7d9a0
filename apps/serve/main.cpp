// corio-serve: parse the command line, set up logging, run the server (serve/server.hpp).
#include <serve/config.hpp>
#include <serve/server.hpp>

#include <corio/log.hpp>
#include <corio/run.hpp>

#include <spdlog/async.h>
#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

namespace {

/// A file sink that can be reopened under the same name (after logrotate moved the file away).
class reopenable_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit reopenable_file_sink(const std::string& path) { file_.open(path); }
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(false);
  }

private:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    file_.write(line);
  }
  void flush_() override { file_.flush(); }
  spdlog::details::file_helper file_;
};

std::atomic<bool> reopen_requested{false};
extern "C" void on_sighup(int) { reopen_requested.store(true); }

/// The access log: asynchronous, so that a slow disk or terminal never stalls a shard. Under
/// overload the oldest queued lines are dropped rather than blocking the server. Lines reach the
/// file within a second (a flusher thread), and SIGHUP reopens the file (logrotate).
struct access_log {
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<reopenable_file_sink> file;  // null for stdout
  std::thread flusher;
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;

  explicit access_log(const serve::config& cfg) {
    if (cfg.access_log == "off") return;
    spdlog::init_thread_pool(65536, 1);
    spdlog::sink_ptr sink;
    if (cfg.access_log == "-") {
      sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    } else {
      file = std::make_shared<reopenable_file_sink>(cfg.access_log);
      sink = file;
    }
    log = std::make_shared<spdlog::async_logger>("access", sink, spdlog::thread_pool(),
                                                 spdlog::async_overflow_policy::overrun_oldest);
    log->set_pattern(cfg.access_log_format == serve::log_format::text ? "%Y-%m-%dT%H:%M:%S.%e %v" : "%v");
    log->set_level(spdlog::level::info);
    flusher = std::thread([this] {
      std::unique_lock<std::mutex> lock(m);
      while (!cv.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop; })) {
        if (file && reopen_requested.exchange(false)) {
          log->flush();  // (what was logged before the signal goes to the old file)
          file->reopen();
        }
        log->flush();
      }
    });
  }
  ~access_log() {
    if (!flusher.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(m);
      stop = true;
    }
    cv.notify_one();
    flusher.join();
    log->flush();
  }
  access_log(const access_log&) = delete;
  access_log& operator=(const access_log&) = delete;
};

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = serve::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  if (std::holds_alternative<serve::show_help>(parsed)) {
    std::cout << serve::usage();
    return EXIT_SUCCESS;
  }
  if (std::holds_alternative<serve::show_version>(parsed)) {
    std::cout << "corio-serve " CORIO_VERSION "\n";  // the CMake project's version
    return EXIT_SUCCESS;
  }
  if (const auto* problem = std::get_if<std::string>(&parsed)) {
    // One line, then where to look (as GNU tools do): the whole help would bury the problem.
    std::cerr << "corio-serve: " << *problem << "\nTry 'corio-serve --help' for more information.\n";
    return 2;
  }
  const auto& cfg = std::get<serve::config>(parsed);
  std::signal(SIGHUP, on_sighup);  // reopens the access log file (and never ends the server)
  try {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto log = std::make_shared<spdlog::logger>("serve", sink);
    log->set_level(spdlog::level::from_str(cfg.log_level));
    auto corio_log = std::make_shared<spdlog::logger>("corio", sink);
    corio_log->set_level(spdlog::level::from_str(cfg.log_level));
    corio::set_logger(corio_log);
    int status = EXIT_FAILURE;
    {
      access_log access(cfg);
      status = corio::run(serve::run_server(cfg, log, access.log), {.threads = cfg.threads, .debug = cfg.debug});
    }
    spdlog::shutdown();
    return status;
  } catch (const std::exception& e) {
    std::cerr << "corio-serve: " << e.what() << "\n";
    spdlog::shutdown();
    return EXIT_FAILURE;
  }
}
