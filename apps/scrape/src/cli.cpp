#include "scrape/redis_job.hpp"
#include "scrape/scraper.hpp"

#include <filesystem>
#include <corio/cancellation.hpp>
#include <corio/exception_group.hpp>
#include <corio/http/client.hpp>
#include <corio/http/url.hpp>
#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/task_group.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <optional>
#include <ostream>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace scrape {

namespace asio = boost::asio;

namespace {

/// URLs from a file descriptor, one line at a time, as they arrive: a pipe or terminal is waited
/// on without blocking the event loop (so signals and fetches go on while it is quiet); a regular
/// file (which epoll cannot wait on, and which never blocks for long) is read directly, yielding
/// between chunks.
class url_reader {
public:
  url_reader(const asio::any_io_executor& ex, int fd, std::string name) : fd_(fd), name_(std::move(name)) {
    // epoll refuses regular files and /dev/null (Asio would then fail each wait): those are read
    // directly.
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || ::isatty(fd))) {
      pollable_.emplace(ex, fd);
    }
  }
  ~url_reader() {
    if (pollable_) pollable_->release();  // the descriptor is not ours to close
  }
  url_reader(const url_reader&) = delete;
  url_reader& operator=(const url_reader&) = delete;

  /// The next URL, or nullopt at the end of the input. Throws setup_error on a read error.
  [[nodiscard]] corio::awaitable<std::optional<std::string>> next() {
    for (;;) {
      if (auto u = take_line()) co_return u;
      if (eof_) co_return std::nullopt;
      if (pollable_) {
        co_await pollable_->async_wait(asio::posix::descriptor_base::wait_read, asio::deferred);
      } else {
        co_await corio::yield();  // a long file must not keep signals and fetches waiting
      }
      read_some();
    }
  }

  /// The next URL already read, if any (no coroutine frame per URL for what is buffered).
  [[nodiscard]] std::optional<std::string> next_buffered() { return take_line(); }

  /// What can be read now without waiting (a regular file: all of it), as URLs.
  [[nodiscard]] std::vector<std::string> drain() {
    for (;;) {
      if (pollable_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || p.revents == 0) break;
      }
      if (eof_ || !read_some()) break;
    }
    std::vector<std::string> urls;
    while (auto u = take_line()) urls.push_back(std::move(*u));
    return urls;
  }

  [[nodiscard]] bool at_end() const noexcept { return eof_ && buf_.empty(); }

private:
  /// One read; false if it would have blocked.
  bool read_some() {
    char chunk[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n > 0) {
        buf_.append(chunk, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      throw setup_error("cannot read " + name_ + ": " + std::strerror(errno));
    }
  }

  std::optional<std::string> take_line() {
    for (;;) {
      auto nl = buf_.find('\n', pos_);
      if (nl == std::string::npos && !eof_) {
        buf_.erase(0, pos_);
        pos_ = 0;
        return std::nullopt;
      }
      if (nl == std::string::npos) nl = buf_.size();
      if (pos_ >= buf_.size()) {
        buf_.clear();
        pos_ = 0;
        return std::nullopt;
      }
      const std::string_view line = std::string_view(buf_).substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (auto u = url_in_line(line); !u.empty()) return std::string(u);
    }
  }

  int fd_;
  std::string name_;
  std::optional<asio::posix::stream_descriptor> pollable_;
  std::string buf_;
  std::size_t pos_ = 0;  // buf_ before this is consumed
  bool eof_ = false;
};

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

/// One corio-scrape run: input, output, journal, scraper, signals.
class session {
public:
  session(const options& o, int list_fd, std::string list_name, std::ostream& err)
      : o_(o), list_fd_(list_fd), list_name_(std::move(list_name)), err_(err) {}

  corio::awaitable<int> run();

private:
  corio::awaitable<void> watch_signals(asio::signal_set& signals);
  corio::awaitable<void> feed();
  bool start(const std::vector<std::string>& first);

  const options& o_;
  int list_fd_;
  std::string list_name_;
  std::ostream& err_;
  std::optional<url_reader> reader_;
  std::optional<fd_sink> out_file_, journal_;
  std::optional<fd_sink> stdout_;
  std::optional<scraper> s_;
  std::optional<corio::task<std::optional<std::string>>> waiting_for_first_;
  std::vector<std::string> late_;  // read after the scraper stopped taking URLs
  int signal_ = 0;                 // the first signal received
};

corio::awaitable<void> session::watch_signals(asio::signal_set& signals) {
  for (int n = 1;; ++n) {
    const int sig = co_await signals.async_wait(asio::deferred);
    if (n == 1) {
      signal_ = sig;
      spdlog::warn("interrupted: no new requests; those in flight get their grace period (again to cancel them)");
    } else if (n == 2) {
      spdlog::warn("interrupted again: cancelling the requests in flight (again to end at once)");
    } else {
      signals.clear();
      std::signal(sig, SIG_DFL);
      std::raise(sig);
    }
    if (s_) {
      s_->interrupt();
    } else if (waiting_for_first_) {
      waiting_for_first_->cancel();
    }
  }
}

corio::awaitable<void> session::feed() {
  try {
    while (reader_ && !s_->stopped()) {
      auto u = reader_->next_buffered();
      if (!u) u = co_await reader_->next();
      if (!u) break;
      if (!s_->feed(std::move(*u))) {
        late_.push_back(std::move(*u));
        break;
      }
    }
  } catch (const boost::system::system_error& e) {
    if (!corio::is_cancellation(e)) throw;
  }
  if (reader_ && s_->stopped()) {
    // Whatever is already there is listed as not attempted; a pipe still open is left unread.
    for (auto& u : reader_->drain()) late_.push_back(std::move(u));
    if (!reader_->at_end()) spdlog::warn("stopped reading {} before its end", list_name_);
  }
  s_->close_input();
}

/// Opens the output (and the journal), going on from an earlier run with --resume. Returns false
/// when there is nothing to fetch, leaving the output unopened (--resume has tidied it: a torn
/// line cut off, interrupted and repeated rows removed).
bool session::start(const std::vector<std::string>& first) {
  previous_run prev;
  sink* out = nullptr;
  sink* journal = nullptr;
  if (!o_.out.empty() && o_.out != "-") {
    if (o_.resume) prev = load_previous_run(o_.out, o_.crawl());
    if (first.empty()) {  // a resumed crawl may need no seeds: its journal has the frontier
      bool pending = false;
      for (const auto& d : prev.discovered) pending = pending || !prev.done.count(d.first);
      if (!pending) return false;
    }
    try {
      out_file_.emplace(fd_sink::open(o_.out, o_.resume));
      out = &*out_file_;
      if (o_.crawl() && out_file_->regular_file()) {
        const std::string path = state_path(o_.out);
        journal_.emplace(fd_sink::open(path, o_.resume && prev.had_state));
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && st.st_size == 0) journal_->write(state_header());
        journal = &*journal_;
      }
    } catch (const std::system_error& e) {
      throw setup_error(e.what());
    } catch (const write_error& e) {
      throw setup_error(e.what());
    }
    if (prev.torn) spdlog::warn("{} ended in a torn line: cut off", o_.out);
    if (prev.dropped) spdlog::info("{}: {} interrupted or repeated rows removed", o_.out, prev.dropped);
  } else {
    if (first.empty()) return false;
    stdout_.emplace(STDOUT_FILENO, "stdout");
    out = &*stdout_;
  }
  std::ostream* progress = o_.progress && ::isatty(STDERR_FILENO) ? &err_ : nullptr;
  s_.emplace(o_, *out, progress, journal);
  if (o_.resume) s_->resume(std::move(prev));
  if (reader_) s_->open_input();
  for (const auto& u : first) s_->add(u);
  return true;
}

corio::awaitable<int> session::run() {
  std::ostream& err = err_;
  const auto ex = co_await asio::this_coro::executor;
  // Installed before anything is read or fetched (and before the line below, which tests wait for).
  asio::signal_set signals(ex, SIGINT, SIGTERM);
  if (list_fd_ >= 0) reader_.emplace(ex, list_fd_, list_name_);
  // The reader's descriptor belongs to the io_context, which corio::run destroys before the
  // session: let it go while the context lives, whichever way this coroutine ends.
  struct drop_reader {
    std::optional<url_reader>& r;
    ~drop_reader() { r.reset(); }
  } dropper{reader_};
  spdlog::info("URLs to fetch: {}{}; Ctrl-C stops gracefully", o_.urls.size(),
               reader_ ? " and those read from " + list_name_ : std::string());
  const std::string proxy = o_.proxy.value_or("");
  const std::string https_proxy = o_.https_proxy.value_or(proxy);
  if (!proxy.empty()) spdlog::info("proxy for http:// URLs: {}", corio::http::redact_userinfo(proxy));
  if (!https_proxy.empty()) spdlog::info("proxy for https:// URLs: {}", corio::http::redact_userinfo(https_proxy));
  if ((!proxy.empty() || !https_proxy.empty()) && !o_.noproxy.value_or("").empty()) {
    spdlog::info("no proxy for: {}", *o_.noproxy);
  }
  const auto t0 = std::chrono::steady_clock::now();
  summary sum;
  bool started = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto watcher = g.spawn(watch_signals(signals), "signals");
    // The output is opened at the first URL, so a run without any truncates nothing.
    std::vector<std::string> first = o_.urls;
    if (first.empty() && reader_) {
      waiting_for_first_ = g.spawn(reader_->next(), "input");
      try {
        if (auto u = co_await waiting_for_first_->wait()) first.push_back(std::move(*u));
      } catch (const boost::system::system_error& e) {
        if (!corio::is_cancellation(e)) throw;
      }
      waiting_for_first_.reset();
    }
    if (signal_ == 0 && start(first)) {
      started = true;
      auto feeder = g.spawn(feed(), "input");
      sum = co_await s_->run({});  // gcc12-ok: value-initialises run's by-value vector parameter
      feeder.cancel();
    }
    watcher.cancel();
  };
  try {
    co_await corio::task_group::run(body);
  } catch (const corio::exception_group& eg) {
    rethrow_user_error(eg);
    throw;
  }
  if (!started && signal_ == 0) throw usage_error("no URLs: give them as arguments, with --input FILE, or on stdin");
  if (!started && reader_) {  // interrupted before the first URL: what is there was not attempted
    for (auto& u : reader_->drain()) late_.push_back(std::move(u));
  }
  for (auto& u : late_) sum.add_not_attempted(corio::http::redact_userinfo(u));
  if (!started) {
    sum.set_interrupted();
    sum.set_elapsed(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  err << sum.format();
  if (!sum.write_error().empty()) {
    err << std::flush;
    co_return exit_write_error;
  }
  // (A signal that arrived after the run had finished interrupted nothing.)
  if (signal_ != 0 && sum.interrupted()) {
    err << "corio-scrape: interrupted by " << signal_name(signal_)
        << (out_file_ ? "; --resume goes on from here" : "") << "\n"
        << std::flush;
    co_return 128 + signal_;
  }
  // A crawl that is complete needs no journal any more.
  if (journal_ && sum.not_attempted().empty()) ::unlink(state_path(o_.out).c_str());
  err << std::flush;
  co_return EXIT_SUCCESS;
}

}  // namespace

int run_cli(const options& given, int in_fd, std::ostream& err) {
  if (!given.redis.empty()) return run_redis_cli(given, in_fd, err);
  options o = given;
  take_proxy_environment(o, [](const char* name) { return std::getenv(name); });
  // A closed pipe or a file size limit is a write error to report, not a reason to die silently.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  int list_fd = -1;
  std::string list_name;
  struct closer {
    int fd = -1;
    ~closer() {
      if (fd >= 0) ::close(fd);
    }
  } owned;
  if (!o.save_bodies.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.save_bodies, ec);
    if (ec || ::access(o.save_bodies.c_str(), W_OK) != 0) {
      throw setup_error("cannot save bodies in " + o.save_bodies + ": " +
                        (ec ? ec.message() : std::string(std::strerror(errno))));
    }
  }
  if (!o.input.empty() && o.input != "-") {
    owned.fd = list_fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (list_fd < 0) throw setup_error("cannot read " + o.input + ": " + std::strerror(errno));
    list_name = o.input;
  } else if (o.input == "-" || (o.urls.empty() && !::isatty(in_fd))) {
    list_fd = in_fd;
    list_name = "stdin";
  }
  if (!o.cacert.empty()) {
    // Before anything is read or written: a CA file that cannot be used is a set-up error, not a
    // "tls" row for every https URL.
    const int fd = ::open(o.cacert.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw setup_error("cannot read " + o.cacert + " (--cacert): " + std::strerror(errno));
    ::close(fd);
    try {
      corio::http::client_options c;
      c.ca_file = o.cacert;
      corio::http::client probe(c);  // loads the file as the run's client will
    } catch (const std::exception& e) {
      throw setup_error("--cacert " + o.cacert + " holds no usable PEM certificate (" + e.what() + ")");
    }
  }
  session s(o, list_fd, list_name, err);
  corio::run_options ro;
  ro.handle_signals = false;  // the session makes SIGINT graceful
  return corio::run(s.run(), ro);
}

}  // namespace scrape
