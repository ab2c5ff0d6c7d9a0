// corio/process.hpp — child processes: asyncio's create_subprocess_exec, communicate() and wait().
//
//   std::vector<std::string> argv{"git", "status", "--short"};      // named: a braced argument in
//   corio::process_result r = co_await corio::run_process(argv);     // a co_await trips GCC 12
//   if (r.exit_code != 0) throw std::runtime_error(r.stderr_data);
//
//   std::vector<std::string> cat{"cat"};
//   corio::process p = co_await corio::spawn_process(cat);
//   co_await p.stdin_pipe().write("hello\n");
//   std::string line = co_await p.stdout_pipe().read_line(1024);          // "hello\n"
//   p.stdin_pipe().close();
//   corio::process_exit e = co_await p.wait();                             // e.exit_code == 0
//
// argv[0] names the program: a path if it contains '/', else looked up in PATH (as execvp does).
// The child's stdin is a pipe (run_process writes options.input to it, then closes it); its
// stdout and stderr are pipes when captured, else inherited from this process. The child gets no
// other file descriptor of ours. The result's exit_code is asyncio's returncode: the exit status,
// or -N when signal N ended the child (then signal == N). A non-zero exit is a result, not an error.
// run_process reads stdout and stderr concurrently with the writing of stdin, so a child that
// fills one pipe while we write the other cannot deadlock. Each captured stream holds at most
// options.max_output bytes: a child that writes more is killed (see below) and
// process_output_limit_error thrown — memory never grows past the limit, whatever the child does.
//
// Stopping a child: SIGTERM, then SIGKILL if it has not exited within options.kill_grace
// (default 5 s), then it is reaped. This happens when run_process is cancelled, times out
// (options.timeout) or exceeds max_output, and when a wait() is cancelled. A `process` destroyed
// while its child runs kills it with SIGKILL at once and reaps it (blocking for the moment the
// kernel takes). So no path leaves a zombie or a descriptor behind. With
// options.new_process_group the child leads a group of its own and every one of these signals goes
// to the group; once the child is reaped, what is left of the group (grandchildren that ignored
// SIGTERM or outlived it) gets SIGKILL — so cancelling a shell script also ends what it started.
// Without it only the child is signalled: its own children are its business (as in asyncio).
// The first spawn sets SIGPIPE to "ignore" in this process if it was at its default (as Python
// does; otherwise writing to a child that exited kills this process); children get it back at
// its default.
//
// Cancellation: cancelling run_process or wait() stops the child as above and, once it is reaped,
// throws operation_aborted. A cancelled read or write of a pipe behaves as tcp_stream's.
// Exceptions: process_error when the program cannot be started (code(): ENOENT, EACCES...; also
// a cwd that does not exist; a child that fails between fork and exec for any other reason, such
// as an Asio service's fork notification throwing in it, exits with status 127 instead of going on
// running the caller's code); process_output_limit_error beyond max_output;
// process_timeout_error (a corio::timeout_error) when options.timeout expires; pipe reads and
// writes: as tcp_stream (stream_error.hpp), broken_pipe writing to a child that closed its stdin.
// Thread safety: executor-affine, like an Asio pipe: one read per pipe and one wait() at a time.
#pragma once

#include <corio/clock.hpp>
#include <corio/config.hpp>
#include <corio/detail/read_buffer.hpp>
#include <corio/stream_error.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace corio {

struct process_options {
  /// run_process: written to the child's stdin, which is then closed (spawn_process ignores it).
  std::string input;
  /// Pipes for the child's stdout / stderr (false: the child writes to ours).
  bool capture_stdout = true;
  bool capture_stderr = true;
  /// The child's whole environment; empty optional: ours.
  std::optional<std::map<std::string, std::string>> env;
  /// The child's working directory; empty: ours.
  std::string cwd;
  /// run_process: limit on the whole run; none by default.
  std::optional<duration> timeout;
  /// run_process: bytes kept per captured stream.
  std::size_t max_output = 64 * 1024 * 1024;
  /// Between SIGTERM and SIGKILL when the child is stopped.
  duration kill_grace = std::chrono::seconds(5);
  /// The child leads a process group of its own (asyncio's process_group=0): stopping it, its
  /// signals (send_signal, terminate, kill) and its destruction reach the whole group, so the
  /// programs it started (a shell's pipeline, `make -j`'s jobs) go with it; a Ctrl-C at the
  /// terminal no longer reaches it.
  bool new_process_group = false;
};

/// How a child ended.
struct process_exit {
  /// The exit status, or -N if signal N ended the child (asyncio's returncode).
  int exit_code = 0;
  /// The signal that ended the child, 0 if it exited.
  int signal = 0;
};

struct process_result : process_exit {
  std::string stdout_data;  // empty unless captured
  std::string stderr_data;
};

/// The program could not be started. code(): the errno of the failed exec (or chdir).
class process_error : public std::runtime_error {
public:
  process_error(std::string program, std::error_code code);
  [[nodiscard]] const std::string& program() const noexcept { return program_; }
  [[nodiscard]] std::error_code code() const noexcept { return code_; }

private:
  std::string program_;
  std::error_code code_;
};

/// run_process: the child wrote more than max_output bytes to `stream()` ("stdout" or "stderr");
/// it has been killed and reaped.
class process_output_limit_error : public std::runtime_error {
public:
  process_output_limit_error(std::string program, std::string stream, std::size_t limit);
  [[nodiscard]] const std::string& program() const noexcept { return program_; }
  [[nodiscard]] const std::string& stream() const noexcept { return stream_; }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }

private:
  std::string program_, stream_;
  std::size_t limit_;
};

/// run_process: options.timeout expired; the child has been stopped and reaped.
class process_timeout_error : public timeout_error {
public:
  explicit process_timeout_error(std::string program) : program_(std::move(program)) {}
  [[nodiscard]] const std::string& program() const noexcept { return program_; }

private:
  std::string program_;
};

/// The read end of a child's stdout or stderr: tcp_stream's read operations.
class pipe_reader {
public:
  explicit pipe_reader(asio::readable_pipe pipe) : pipe_(std::move(pipe)) {}
  [[nodiscard]] awaitable<std::string> read_some(std::size_t max = 65536) { return buf_.read_some(pipe_, max); }
  [[nodiscard]] awaitable<std::string> read_exactly(std::size_t n) { return buf_.read_exactly(pipe_, n); }
  [[nodiscard]] awaitable<std::string> read_until(std::string delim, std::size_t max) {
    return buf_.read_until(pipe_, std::move(delim), max);
  }
  [[nodiscard]] awaitable<std::string> read_line(std::size_t max) { return buf_.read_until(pipe_, "\n", max); }
  [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size(); }
  /// Closes the pipe (a child writing to it then gets EPIPE). Idempotent.
  void close() noexcept;

private:
  asio::readable_pipe pipe_;
  detail::read_buffer buf_;
};

/// The write end of a child's stdin.
class pipe_writer {
public:
  explicit pipe_writer(asio::writable_pipe pipe) : pipe_(std::move(pipe)) {}
  /// Writes every byte (asyncio's write() + drain()); the data must stay valid until then.
  [[nodiscard]] awaitable<void> write(std::string_view data);
  /// Closes the pipe: the child reads end of file. Idempotent.
  void close() noexcept;

private:
  asio::writable_pipe pipe_;
};

namespace detail {
struct process_state;
}

/// A running (or ended) child. Move-only; see the header comment.
class process {
public:
  explicit process(std::unique_ptr<detail::process_state> state);
  process(process&&) noexcept;
  process& operator=(process&&) noexcept;
  /// A child still running is killed (SIGKILL) and reaped.
  ~process();

  [[nodiscard]] int pid() const noexcept;
  [[nodiscard]] pipe_writer& stdin_pipe() noexcept;
  /// Closed (reads throw bad_descriptor) unless captured.
  [[nodiscard]] pipe_reader& stdout_pipe() noexcept;
  [[nodiscard]] pipe_reader& stderr_pipe() noexcept;

  /// Waits for the child to end and reaps it (again after the first time: the same value).
  /// Cancelled: stops the child (SIGTERM, kill_grace, SIGKILL), reaps it, throws operation_aborted.
  [[nodiscard]] awaitable<process_exit> wait();
  /// Stops the child as a cancelled wait() does, and returns how it ended.
  [[nodiscard]] awaitable<process_exit> stop();
  /// asyncio's send_signal / terminate (SIGTERM) / kill (SIGKILL); nothing once the child is reaped.
  void send_signal(int sig);
  void terminate();
  void kill();

private:
  std::unique_ptr<detail::process_state> state_;
};

/// Starts argv[0] with arguments argv[1...]. Throws process_error if it cannot be started,
/// std::invalid_argument for an empty argv.
[[nodiscard]] awaitable<process> spawn_process(std::vector<std::string> argv, process_options opts = {});
/// Starts argv, writes options.input to it, collects its output, waits for it (communicate()).
[[nodiscard]] awaitable<process_result> run_process(std::vector<std::string> argv, process_options opts = {});

}  // namespace corio
