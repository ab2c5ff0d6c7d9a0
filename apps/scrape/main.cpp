// corio-scrape: fetch URLs concurrently, or crawl from them; one JSON line per URL.
// Thin by design: arguments, logging, then scrape::run_cli (apps/scrape/src/cli.cpp).
#include "scrape/options.hpp"
#include "scrape/scraper.hpp"

#include <corio/log.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include <unistd.h>

namespace {

/// A usage error as GNU tools print it: what is wrong, then where to look.
int report_usage_error(const scrape::usage_error& e) {
  std::cerr << "corio-scrape: " << e.what() << "\nTry 'corio-scrape --help' for more information.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  scrape::options opts;
  try {
    opts = scrape::parse_args(argc, argv);
  } catch (const scrape::usage_error& e) {
    return report_usage_error(e);
  }
  if (opts.help) {
    std::cout << scrape::usage();
    return EXIT_SUCCESS;
  }
  if (opts.version) {
    std::cout << "corio-scrape " CORIO_VERSION "\n";  // the CMake project's version
    return EXIT_SUCCESS;
  }
  auto log = spdlog::stderr_logger_mt("corio-scrape");
  log->set_pattern("corio-scrape: %l: %v");
  log->set_level(spdlog::level::from_str(opts.log_level));
  spdlog::set_default_logger(log);
  corio::set_logger(log);
  try {
    return scrape::run_cli(opts, STDIN_FILENO, std::cerr);
  } catch (const scrape::usage_error& e) {
    return report_usage_error(e);
  } catch (const std::exception& e) {
    std::cerr << "corio-scrape: " << e.what() << "\n";
    return EXIT_FAILURE;
  }
}
