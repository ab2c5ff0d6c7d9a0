// corio-serve's access log: where its lines go and how they reach the disk.
//
// Lines are queued to spdlog's background thread, so a slow disk or terminal never stalls a
// shard; under overload the oldest queued lines are dropped rather than blocking the server. The
// file is opened for appending; keep_access_log() flushes it once a second (a line reaches the
// file within about a second of its request) and reopens it by name on SIGHUP, as logrotate's
// `postrotate` expects; the lines still queued are written at exit (spdlog::shutdown()).
//
// Thread safety: the sink serialises writes, flushes and reopens on its own mutex; any thread may
// call reopen_access_log(). Exceptions: opening a file that cannot be opened throws
// spdlog::spdlog_ex at start; a failed reopen keeps no file (the lines until the next good reopen
// are lost) and is reported by reopen_access_log()'s return value.
#pragma once

#include <serve/config.hpp>

#include <corio/config.hpp>

#include <boost/asio/signal_set.hpp>
#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace serve {

/// The access log `cfg` asks for (a file, "-" for stdout), or null for "off".
[[nodiscard]] std::shared_ptr<spdlog::logger> make_access_log(const config& cfg);

/// Closes and reopens the log's file by name (nothing for stdout). Returns an empty string, or
/// why the file could not be opened.
[[nodiscard]] std::string reopen_access_log(spdlog::logger& access);

/// Runs until cancelled: flushes `access` (if any) every second, and reopens it each time `hup`
/// (a signal set holding SIGHUP, installed before the server announces itself, so that a reload
/// signal never ends the server, with or without an access log) fires, logging the result to `log`.
corio::awaitable<void> keep_access_log(std::shared_ptr<spdlog::logger> access, spdlog::logger& log,
                                       boost::asio::signal_set& hup);

}  // namespace serve
