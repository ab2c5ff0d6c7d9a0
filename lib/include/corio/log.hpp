// corio/log.hpp — where Corio's few log lines go.
//
// Corio logs only what it cannot report otherwise (a failed task nobody awaited, debug-mode
// warnings) through one spdlog logger. By default that is the logger registered with spdlog under
// the name "corio", or, if none is registered when Corio first logs, one it creates (stderr,
// level "warn"). Install your own with set_logger() or by registering "corio" yourself first.
//
// Cancellation: not applicable.  Exceptions: none (logging failures are swallowed by spdlog).
// Thread safety: both functions are safe from any thread.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace corio {

[[nodiscard]] std::shared_ptr<spdlog::logger> logger();
void set_logger(std::shared_ptr<spdlog::logger> l);

}  // namespace corio
