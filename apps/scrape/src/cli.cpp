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
#include <optional>
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
  const std::size_t n = s.added() + seeds.size();
  spdlog::info("{} URL{} to fetch; Ctrl-C stops gracefully", n, n == 1 ? "" : "s");
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto watcher = g.spawn(watch_signals(signals, s), "signals");
    out = co_await s.run(std::move(seeds));
    watcher.cancel();
  };
  co_await corio::task_group::run(body);
  co_return out;
}

int run_cli(const options& o, std::istream& in, std::ostream& err) {
  std::ifstream input;
  std::istream* list = nullptr;  // where to read more URLs from, after the arguments
  if (!o.input.empty() && o.input != "-") {
    input.open(o.input);
    if (!input) throw setup_error("cannot read " + o.input + ": " + std::strerror(errno));
    list = &input;
  } else if (o.input == "-" || (o.urls.empty() && !::isatty(STDIN_FILENO))) {
    list = &in;
  }

  std::ofstream file;
  std::ostream* out = &std::cout;
  std::ostream* progress = o.progress && ::isatty(STDERR_FILENO) ? &err : nullptr;
  std::optional<scraper> s;
  // Each URL goes straight into its origin's queue as it is read: a long list is never held twice.
  // The output is opened at the first URL, so a run without any truncates nothing.
  auto add = [&](std::string u) {
    if (!s) {
      if (!o.out.empty() && o.out != "-") {
        file.open(o.out, std::ios::out | std::ios::trunc);
        if (!file) throw setup_error("cannot write " + o.out + ": " + std::strerror(errno));
        out = &file;
      }
      s.emplace(o, *out, progress);
    }
    s->add(std::move(u));
  };
  for (const auto& u : o.urls) add(u);
  if (list) read_urls(*list, add);
  if (!s) throw usage_error("no URLs: give them as arguments, with --input FILE, or on stdin");
  corio::run_options ro;
  ro.handle_signals = false;  // run_with_signals makes SIGINT graceful
  const summary sum = corio::run(run_with_signals(*s, {}), ro);
  err << sum.format() << std::flush;
  return 0;
}

}  // namespace scrape
