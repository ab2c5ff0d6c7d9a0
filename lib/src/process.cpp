// Boost.Process v2 (header-only) is compiled here alone; the public header does not include it.
// Boost 1.81's v2 with std::filesystem (Boost.Filesystem is not needed then) needs boost::optional
// and Boost.TypeTraits' unqualified names declared before its headers.
#define BOOST_PROCESS_USE_STD_FS 1
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>

#include <corio/process.hpp>

#include <corio/exception_group.hpp>
#include <corio/task_group.hpp>
#include <corio/timeout.hpp>
#include <corio/with.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect_pipe.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>

#include <csignal>
#include <filesystem>
#include <mutex>
#include <sys/wait.h>
#include <unistd.h>

namespace corio {

namespace bp = boost::process::v2;

namespace {

// Launcher hooks (Boost.Process v2 initializers): the environment, and a child that exits at once
// with _exit when exec fails. The launcher's own fallback is exit(), which would run this
// process's atexit handlers and static destructors in the child (joining thread pools that do
// not exist there).
struct child_setup {
  std::vector<std::string> env_strings;
  std::vector<const char*> env;  // null-terminated; empty: inherit
  bool new_group = false;

  boost::system::error_code on_setup(bp::posix::default_launcher& l, const std::filesystem::path&,
                                     const char* const*) {
    if (!env.empty()) l.env = env.data();
    return {};
  }
  boost::system::error_code on_exec_setup(bp::posix::default_launcher&, const std::filesystem::path&,
                                          const char* const*) {
    ::signal(SIGPIPE, SIG_DFL);  // see the header comment: ours is ignored, theirs is not
    if (new_group && ::setpgid(0, 0) != 0) return {errno, boost::system::system_category()};
    return {};
  }
  void on_exec_error(bp::posix::default_launcher&, const std::filesystem::path&, const char* const*,
                     const boost::system::error_code&) {
    ::_exit(127);
  }
};

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);
  });
}

process_exit decode(int status) {
  process_exit e;
  if (WIFSIGNALED(status)) {
    e.signal = WTERMSIG(status);
    e.exit_code = -e.signal;
  } else {
    e.exit_code = WEXITSTATUS(status);
  }
  return e;
}

}  // namespace

namespace detail {

// Lifecycle: running → reaped (exit_ set, the Boost.Process handle detached so that its
// destructor cannot signal a recycled pid).
struct process_state {
  process_state(bp::process p, asio::writable_pipe in, asio::readable_pipe out, asio::readable_pipe err,
                duration grace, bool group)
      : proc(std::move(p)), in_pipe(std::move(in)), out_pipe(std::move(out)), err_pipe(std::move(err)),
        kill_grace(grace), pid_(proc.id()), group_(group) {
    // (Also set here, as the shell does: signalled before the child's own setpgid, the group would
    // not exist yet. Failing with EACCES once the child has exec'd is harmless: it set it itself.)
    if (group_) ::setpgid(pid_, pid_);
  }
  process_state(const process_state&) = delete;
  process_state& operator=(const process_state&) = delete;
  ~process_state() {
    if (group_ && !exit_) ::kill(-pid_, SIGKILL);  // proc's destructor then reaps the child
  }

  bp::process proc;  // its destructor kills (SIGKILL) and reaps a child still running
  pipe_writer in_pipe;
  pipe_reader out_pipe, err_pipe;
  duration kill_grace;
  int pid_;
  bool group_;  // the child leads a process group: signals go to -pid_
  bool group_ended_ = false;
  std::optional<process_exit> exit_;

  // What is left of the group once the child is reaped. The group's id cannot be reused while
  // any member lives, so -pid_ still names this group (or nothing: ESRCH).
  void end_group() {
    if (group_ && exit_ && !group_ended_) {
      group_ended_ = true;
      ::kill(-pid_, SIGKILL);
    }
  }

  awaitable<process_exit> wait_exit() {
    if (!exit_) {
      auto [ec, code] = co_await proc.async_wait(asio::as_tuple(asio::deferred));
      if (ec) throw boost::system::system_error(ec);
      if (!exit_) {
        exit_ = decode(proc.native_exit_code());
        proc.detach();
      }
    }
    co_return *exit_;
  }

  void signal(int sig) {
    if (!exit_) ::kill(group_ ? -pid_ : pid_, sig);
  }

  awaitable<process_exit> stop() {
    if (!exit_) {
      signal(SIGTERM);
      auto wait = [this] { return wait_exit(); };
      const auto done = co_await move_on_after(kill_grace, wait);
      if (!done) {
        signal(SIGKILL);
        co_await wait_exit();
      }
    }
    end_group();
    co_return *exit_;
  }
};

}  // namespace detail

process_error::process_error(std::string program, std::error_code code)
    : std::runtime_error("corio: cannot run " + program + ": " + code.message()), program_(std::move(program)),
      code_(code) {}

process_output_limit_error::process_output_limit_error(std::string program, std::string stream, std::size_t limit)
    : std::runtime_error("corio: " + program + " wrote more than " + std::to_string(limit) + " bytes to " + stream),
      program_(std::move(program)), stream_(std::move(stream)), limit_(limit) {}

void pipe_reader::close() noexcept {
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

awaitable<void> pipe_writer::write(std::string_view data) {
  co_await asio::async_write(pipe_, asio::buffer(data), asio::deferred);
}

void pipe_writer::close() noexcept {
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

process::process(std::unique_ptr<detail::process_state> state) : state_(std::move(state)) {}
process::process(process&&) noexcept = default;
process& process::operator=(process&&) noexcept = default;
process::~process() = default;

int process::pid() const noexcept { return state_->pid_; }
pipe_writer& process::stdin_pipe() noexcept { return state_->in_pipe; }
pipe_reader& process::stdout_pipe() noexcept { return state_->out_pipe; }
pipe_reader& process::stderr_pipe() noexcept { return state_->err_pipe; }

awaitable<process_exit> process::wait() {
  auto* s = state_.get();
  auto stop = [s]() -> awaitable<void> { co_await s->stop(); };
  co_return co_await finally(s->wait_exit(), stop);
}

awaitable<process_exit> process::stop() { return state_->stop(); }
void process::send_signal(int sig) { state_->signal(sig); }
void process::terminate() { state_->signal(SIGTERM); }
void process::kill() { state_->signal(SIGKILL); }

awaitable<process> spawn_process(std::vector<std::string> argv, process_options opts) {
  if (argv.empty()) throw std::invalid_argument("corio::spawn_process: empty argv");
  ignore_sigpipe_once();
  const std::string program = argv.front();
  std::filesystem::path exe = program;
  if (program.find('/') == std::string::npos) {
    exe = bp::environment::find_executable(program);
    if (exe.empty()) throw process_error(program, std::make_error_code(std::errc::no_such_file_or_directory));
  }
  auto ex = co_await asio::this_coro::executor;
  child_setup setup;
  setup.new_group = opts.new_process_group;
  if (opts.env) {
    for (const auto& [k, v] : *opts.env) setup.env_strings.push_back(k + "=" + v);
    for (const auto& s : setup.env_strings) setup.env.push_back(s.c_str());
    setup.env.push_back(nullptr);
  }
  asio::writable_pipe in(ex);
  asio::readable_pipe out(ex), err(ex);
  const std::vector<std::string> args(argv.begin() + 1, argv.end());
  // The child's ends of the stdout / stderr pipes: dup2'd onto 1 and 2 in the child, closed here
  // when this function returns (the launcher closes every other descriptor in the child).
  asio::writable_pipe out_w(ex), err_w(ex);
  bp::process_stdio stdio{in, {}, {}};
  if (opts.capture_stdout) {
    asio::connect_pipe(out, out_w);
    stdio.out.fd = out_w.native_handle();
  }
  if (opts.capture_stderr) {
    asio::connect_pipe(err, err_w);
    stdio.err.fd = err_w.native_handle();
  }
  boost::system::error_code ec;
  std::optional<bp::process> child;
  bp::default_process_launcher launcher;
  // Between fork and exec the child runs the launcher's code on a copy of this process: it tells
  // `ex`'s execution context about the fork (each service's notify_fork, which may throw: Asio's
  // reactor re-creates its descriptors there). An exception must not come back up this copy of the
  // stack (it would go on running the caller's code, in a second process): the child ends there.
  const pid_t parent = ::getpid();
  try {
    if (opts.cwd.empty()) {
      child.emplace(launcher(ex, ec, exe, args, stdio, setup));
    } else {
      bp::process_start_dir dir{opts.cwd};
      child.emplace(launcher(ex, ec, exe, args, stdio, setup, dir));
    }
  } catch (...) {
    if (::getpid() != parent) ::_exit(127);
    throw;
  }
  if (ec) {
    // The launcher reports the child's exec error but leaves the child (which has _exit'ed or is
    // about to) unreaped: reap it here, or it stays a zombie.
    if (launcher.pid > 0) ::waitpid(launcher.pid, nullptr, 0);
    throw process_error(program, std::error_code(ec.value(), std::system_category()));
  }
  co_return process(std::make_unique<detail::process_state>(std::move(*child), std::move(in), std::move(out),
                                                             std::move(err), opts.kill_grace,
                                                             opts.new_process_group));
}

namespace {

// Reads `from` to its end into `to`, never holding more than `limit` bytes.
awaitable<void> drain(pipe_reader& from, std::string& to, std::size_t limit, const std::string& program,
                      const char* name) {
  for (;;) {
    const std::string chunk = co_await from.read_some(std::min<std::size_t>(65536, limit - to.size() + 1));
    if (chunk.empty()) co_return;
    if (to.size() + chunk.size() > limit) throw process_output_limit_error(program, name, limit);
    to += chunk;
  }
}

awaitable<void> feed(pipe_writer& to, const std::string& input) {
  try {
    if (!input.empty()) co_await to.write(input);
  } catch (const boost::system::system_error& e) {
    // A child that exits (or closes its stdin) without reading all of it is not an error here:
    // its exit status says what happened.
    if (e.code() != asio::error::broken_pipe) throw;
  }
  to.close();
}

}  // namespace

awaitable<process_result> run_process(std::vector<std::string> argv, process_options opts) {
  const std::string program = argv.empty() ? std::string() : argv.front();
  process p = co_await spawn_process(std::move(argv), opts);
  process_result r;
  auto communicate = [&]() -> awaitable<void> {
    auto io = [&](task_group& g) -> awaitable<void> {
      g.spawn(feed(p.stdin_pipe(), opts.input));
      if (opts.capture_stdout) g.spawn(drain(p.stdout_pipe(), r.stdout_data, opts.max_output, program, "stdout"));
      if (opts.capture_stderr) g.spawn(drain(p.stderr_pipe(), r.stderr_data, opts.max_output, program, "stderr"));
      co_return;
    };
    try {
      co_await task_group::run(io);
    } catch (const exception_group& g) {
      if (g.size() == 1) std::rethrow_exception(g.exceptions().front());  // the limit error itself
      throw;
    }
    static_cast<process_exit&>(r) = co_await p.wait();
  };
  auto stop = [&]() -> awaitable<void> { co_await p.stop(); };
  try {
    if (opts.timeout) {
      co_await finally(with_timeout(*opts.timeout, communicate), stop);
    } else {
      co_await finally(communicate(), stop);
    }
  } catch (const process_timeout_error&) {
    throw;
  } catch (const timeout_error&) {
    throw process_timeout_error(program);
  }
  co_return r;
}

}  // namespace corio
