#include <corio/detail/task_state.hpp>
#include <corio/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace corio {
namespace {
std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> installed;
}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(logger_mutex);
  if (!installed) {
    installed = spdlog::get("corio");
    if (!installed) {
      installed = spdlog::stderr_color_mt("corio");
      installed->set_level(spdlog::level::warn);
    }
  }
  return installed;
}

void set_logger(std::shared_ptr<spdlog::logger> l) {
  std::lock_guard lock(logger_mutex);
  installed = std::move(l);
}

namespace detail {

std::string describe_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

void report_unretrieved(const task_base& t) noexcept {
  try {
    logger()->error("task #{} '{}' failed and nobody retrieved its error: {}", t.id_, t.name(),
                    describe_exception(t.error_));
  } catch (...) {
    // Reporting must never turn into a second failure.
  }
}

}  // namespace detail
}  // namespace corio
