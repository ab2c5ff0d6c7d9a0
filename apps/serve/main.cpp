// corio-serve: parse the command line, set up logging, run the server (serve/server.hpp).
#include <serve/access_log.hpp>
#include <serve/config.hpp>
#include <serve/server.hpp>

#include <corio/log.hpp>
#include <corio/run.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

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
  try {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto log = std::make_shared<spdlog::logger>("serve", sink);
    log->set_level(spdlog::level::from_str(cfg.log_level));
    auto corio_log = std::make_shared<spdlog::logger>("corio", sink);
    corio_log->set_level(spdlog::level::from_str(cfg.log_level));
    corio::set_logger(corio_log);
    auto access = serve::make_access_log(cfg);
    const int status = corio::run(serve::run_server(cfg, log, access), {.threads = cfg.threads, .debug = cfg.debug});
    spdlog::shutdown();
    return status;
  } catch (const std::exception& e) {
    std::cerr << "corio-serve: " << e.what() << "\n";
    spdlog::shutdown();
    return EXIT_FAILURE;
  }
}
