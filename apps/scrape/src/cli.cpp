#include "scrape/scraper.hpp"

#include <corio/run.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace scrape {

namespace asio = boost::asio;

namespace {

corio::awaitable<void> watch_signals(asio::signal_set& signals, scraper& s) {
  for (int n = 1;; ++n) {
    const int sig = co_await signals.async_wait(asio::deferred);
    if (n == 1) {
      spdlog::warn("interrupted: no new requests; those in flight get their grace period (again to cancel them)");
    } else if (n == 2) {
      spdlog::warn("interrupted again: cancelling the requests in flight");
    } else {
      signals.clear();
      std::signal(sig, SIG_DFL);
      std::raise(sig);
    }
    s.interrupt();
  }
}

}  // namespace

corio::awaitable<summary> run_with_signals(scraper& s, std::vector<std::string> seeds) {
  summary out;
  // Installed before anything is fetched (and before the line below, which tests wait for).
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
  spdlog::info("{} URL{} to fetch; Ctrl-C stops gracefully", seeds.size(), seeds.size() == 1 ? "" : "s");
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto watcher = g.spawn(watch_signals(signals, s), "signals");
    out = co_await s.run(std::move(seeds));
    watcher.cancel();
  };
  co_await corio::task_group::run(body);
  co_return out;
}

int run_cli(const options& o, std::istream& in, std::ostream& err) {
  std::vector<std::string> seeds = o.urls;
  if (!o.input.empty() && o.input != "-") {
    std::ifstream f(o.input);
    if (!f) throw setup_error("cannot read " + o.input + ": " + std::strerror(errno));
    read_urls(f, seeds);
  } else if (o.input == "-" || (seeds.empty() && !::isatty(STDIN_FILENO))) {
    read_urls(in, seeds);
  }
  if (seeds.empty()) throw usage_error("no URLs: give them as arguments, with --input FILE, or on stdin");

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!o.out.empty() && o.out != "-") {
    file.open(o.out, std::ios::out | std::ios::trunc);
    if (!file) throw setup_error("cannot write " + o.out + ": " + std::strerror(errno));
    out = &file;
  }
  std::ostream* progress = o.progress && ::isatty(STDERR_FILENO) ? &err : nullptr;

  scraper s(o, *out, progress);
  corio::run_options ro;
  ro.handle_signals = false;  // run_with_signals makes SIGINT graceful
  const summary sum = corio::run(run_with_signals(s, std::move(seeds)), ro);
  err << sum.format() << std::flush;
  return 0;
}

}  // namespace scrape
