// Captures what Corio logs during a test (installs a logger with a memory sink, restores after).
#pragma once

#include <corio/log.hpp>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

namespace corio::test {

class capture_log {
public:
  capture_log() : previous_(corio::logger()), sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    auto l = std::make_shared<spdlog::logger>("corio-test", sink_);
    l->set_level(spdlog::level::trace);
    l->set_pattern("%l %v");
    corio::set_logger(l);
  }
  ~capture_log() { corio::set_logger(previous_); }
  capture_log(const capture_log&) = delete;
  capture_log& operator=(const capture_log&) = delete;

  [[nodiscard]] std::vector<std::string> lines() const { return sink_->last_formatted(); }

private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace corio::test
