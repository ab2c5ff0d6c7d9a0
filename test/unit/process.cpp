// test-labels: processes
// Real child processes (/bin/sh, /bin/cat, /bin/true, /bin/false, sleep), in real time: a
// virtual clock would jump past a timeout while a child runs. Time bounds are generous.
#include <corio/process.hpp>

#include <corio/cancellation.hpp>
#include <corio/sleep.hpp>
#include <corio/task.hpp>
#include <corio/testing.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include "support/real_time.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using corio::test::expect_error;
using corio::test::ms_since;

namespace {

const corio::testing::options real = corio::test::real_time();
const corio::process_options defaults;

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// True if this process has a child (zombie or not) that nobody reaped.
bool has_unreaped_children() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

// Whether `pid` is a live process (a zombie left to a parent that does not reap counts as gone).
bool alive(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const auto name_end = line.rfind(')');
  return name_end != std::string::npos && name_end + 2 < line.size() && line[name_end + 2] != 'Z';
}

// Waits (at most 10 s, real time) until `pid` is gone; whether it is.
corio::awaitable<bool> gone(int pid) {
  for (int i = 0; i < 1000 && alive(pid); ++i) co_await corio::sleep(10ms);
  co_return !alive(pid);
}

// argv as arguments: a braced std::vector inside a co_await is one of GCC 12's coroutine pitfalls.
template <typename... Args>
corio::awaitable<corio::process_result> run_with(corio::process_options o, Args... args) {
  return corio::run_process(std::vector<std::string>{args...}, std::move(o));
}
template <typename... Args>
corio::awaitable<corio::process_result> run(Args... args) {
  return run_with(corio::process_options{}, args...);
}
template <typename... Args>
corio::awaitable<corio::process> spawn_with(corio::process_options o, Args... args) {
  return corio::spawn_process(std::vector<std::string>{args...}, std::move(o));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(process)

CORIO_TEST_CASE_WITH(exit_codes_are_reported_and_a_non_zero_one_is_not_an_error, real) {
  const auto t = co_await run("/bin/true");
  BOOST_TEST(t.exit_code == 0);
  const auto f = co_await run("/bin/false");
  BOOST_TEST(f.exit_code == 1);
  const auto s = co_await run("/bin/sh", "-c", "exit 42");
  BOOST_TEST(s.exit_code == 42);
  BOOST_TEST(s.signal == 0);
}

CORIO_TEST_CASE_WITH(a_child_ended_by_a_signal_reports_minus_the_signal, real) {
  const auto r = co_await run("/bin/sh", "-c", "kill -KILL $$");
  BOOST_TEST(r.signal == SIGKILL);
  BOOST_TEST(r.exit_code == -SIGKILL);
}

CORIO_TEST_CASE_WITH(input_goes_through_cat_to_stdout_and_stderr_is_separate, real) {
  corio::process_options o;
  o.input = std::string(300000, 'x') + "\nend\n";  // more than a pipe holds: needs concurrent reading
  const auto r = co_await run_with(o, "/bin/cat");
  BOOST_TEST(r.stdout_data == o.input);
  BOOST_TEST(r.stderr_data.empty());
  const auto e = co_await run("/bin/sh", "-c", "echo out; echo err >&2");
  BOOST_TEST(e.stdout_data == "out\n");
  BOOST_TEST(e.stderr_data == "err\n");
}

CORIO_TEST_CASE_WITH(programs_without_a_slash_are_found_in_path, real) {
  const auto r = co_await run("sh", "-c", "echo hi");
  BOOST_TEST(r.stdout_data == "hi\n");
}

CORIO_TEST_CASE_WITH(env_replaces_the_environment_and_cwd_sets_the_directory, real) {
  corio::process_options o;
  o.env = std::map<std::string, std::string>{{"CORIO_X", "42"}};
  o.cwd = "/tmp";
  const auto r = co_await run_with(o, "/bin/sh", "-c", "echo $CORIO_X; echo ${HOME:-unset}; pwd");
  BOOST_TEST(r.stdout_data == "42\nunset\n/tmp\n");
}

CORIO_TEST_CASE_WITH(a_program_that_cannot_be_started_is_a_process_error_with_its_errno, real) {
  auto missing = co_await expect_error<corio::process_error>(run("/no/such/program"), "process_error");
  BOOST_TEST(missing.code().value() == static_cast<int>(std::errc::no_such_file_or_directory));
  BOOST_TEST(missing.program() == "/no/such/program");
  const std::string plain_file = (std::filesystem::temp_directory_path() / "corio-process-not-executable").string();
  std::ofstream(plain_file) << "data\n";
  std::filesystem::permissions(plain_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto not_exec = co_await expect_error<corio::process_error>(run(plain_file), "process_error");
  std::filesystem::remove(plain_file);
  BOOST_TEST(not_exec.code().value() == static_cast<int>(std::errc::permission_denied));
  auto not_in_path = co_await expect_error<corio::process_error>(run("corio-no-such-program"),
                                                                 "process_error");
  BOOST_TEST(not_in_path.code().value() == static_cast<int>(std::errc::no_such_file_or_directory));
  corio::process_options o;
  o.cwd = "/no/such/dir";
  auto bad_cwd = co_await expect_error<corio::process_error>(run_with(o, "/bin/true"), "process_error");
  BOOST_TEST(bad_cwd.code().value() == static_cast<int>(std::errc::no_such_file_or_directory));
  BOOST_TEST(!has_unreaped_children());
}

/// A service whose fork notification throws in the child, as Asio's reactor does when it cannot
/// re-create its descriptors there.
struct throws_in_forked_child : asio::execution_context::service {
  using key_type = throws_in_forked_child;
  static inline asio::execution_context::id id;
  explicit throws_in_forked_child(asio::execution_context& ctx) : service(ctx) {}
  void shutdown() override {}
  void notify_fork(asio::execution_context::fork_event e) override {
    if (e == asio::execution_context::fork_child) throw std::runtime_error("no descriptors left in the child");
  }
};

CORIO_TEST_CASE_WITH(a_child_whose_fork_notification_throws_exits_127_and_never_runs_the_callers_code, real) {
  auto ex = co_await asio::this_coro::executor;
  asio::use_service<throws_in_forked_child>(asio::query(ex, asio::execution::context));
  const pid_t me = ::getpid();
  // A child that escaped would go on running this process's code from here: it ends itself with 99.
  std::optional<corio::process_result> r;
  try {
    r = co_await run("/bin/true");
  } catch (...) {
    if (::getpid() != me) ::_exit(99);
    throw;
  }
  if (::getpid() != me) ::_exit(99);
  BOOST_TEST(r->exit_code == 127);
  BOOST_TEST(!has_unreaped_children());
}

CORIO_TEST_CASE_WITH(output_beyond_max_output_kills_the_flooding_child_with_a_typed_error, real) {
  corio::process_options o;
  o.max_output = 100000;
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_error<corio::process_output_limit_error>(run_with(o, "/bin/cat", "/dev/zero"),
                                                                     "process_output_limit_error");
  BOOST_TEST(e.stream() == "stdout");
  BOOST_TEST(e.limit() == 100000u);
  BOOST_TEST(ms_since(t0) < 4000);  // cat dies of SIGTERM, no grace period needed
  BOOST_TEST(!has_unreaped_children());
  corio::process_options exact;
  exact.max_output = 5;
  const auto r = co_await run_with(exact, "/bin/sh", "-c", "printf 12345");
  BOOST_TEST(r.stdout_data == "12345");
}

CORIO_TEST_CASE_WITH(a_timeout_stops_and_reaps_the_child_then_throws_process_timeout_error, real) {
  corio::process_options o;
  o.timeout = 200ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto e = co_await expect_error<corio::process_timeout_error>(run_with(o, "sleep", "100"),
                                                               "process_timeout_error");
  BOOST_TEST(e.program() == "sleep");
  BOOST_TEST(ms_since(t0) >= 200);
  BOOST_TEST(ms_since(t0) < 4000);
  BOOST_TEST(!has_unreaped_children());
}

CORIO_TEST_CASE_WITH(a_child_ignoring_sigterm_is_killed_after_the_grace_period, real) {
  corio::process_options o;
  o.kill_grace = 500ms;
  corio::process p = co_await spawn_with(o, "/bin/sh", "-c", "trap '' TERM; echo ready; sleep 100");
  const std::string ready = co_await p.stdout_pipe().read_line(100);  // the trap is in place
  BOOST_TEST(ready == "ready\n");
  const auto t0 = std::chrono::steady_clock::now();
  auto t = corio::spawn(co_await asio::this_coro::executor, p.wait(), "wait");
  co_await corio::sleep(50ms);
  t.cancel();
  BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  BOOST_TEST(ms_since(t0) >= 500);
  BOOST_TEST(ms_since(t0) < 5000);
  BOOST_TEST(!has_unreaped_children());
  const auto e = co_await p.wait();  // reaped: the same answer again
  BOOST_TEST(e.signal == SIGKILL);
}

CORIO_TEST_CASE_WITH(cancelling_a_thousand_children_leaks_no_descriptor_and_no_zombie, real) {
  std::size_t fds_before = 0;
  // Batch 0 warms up (the context creates its timer and services on first use); then 20 x 50.
  for (int batch = 0; batch <= 20; ++batch) {
    if (batch == 1) fds_before = open_fds();
    std::vector<corio::task<corio::process_result>> runs;
    for (int i = 0; i < 50; ++i) {
      runs.push_back(corio::spawn(co_await asio::this_coro::executor, run("sleep", "100"), "child"));
    }
    co_await corio::sleep(10ms);
    for (auto& t : runs) t.cancel();
    for (auto& t : runs) BOOST_CHECK_THROW(co_await t.wait(), boost::system::system_error);
  }
  BOOST_TEST(open_fds() == fds_before);
  BOOST_TEST(!has_unreaped_children());
}

CORIO_TEST_CASE_WITH(a_spawned_cat_echoes_lines_and_exits_zero_when_stdin_closes, real) {
  corio::process p = co_await spawn_with(defaults, "/bin/cat");
  BOOST_TEST(p.pid() > 0);
  for (int i = 0; i < 3; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    co_await p.stdin_pipe().write(line);
    const std::string back = co_await p.stdout_pipe().read_line(100);
    BOOST_TEST(back == line);
  }
  p.stdin_pipe().close();
  const std::string rest = co_await p.stdout_pipe().read_some();
  BOOST_TEST(rest.empty());  // end of stream
  const auto e = co_await p.wait();
  BOOST_TEST(e.exit_code == 0);
}

CORIO_TEST_CASE_WITH(a_process_destroyed_while_its_child_runs_kills_and_reaps_it, real) {
  {
    corio::process p = co_await spawn_with(defaults, "sleep", "100");
  }
  BOOST_TEST(!has_unreaped_children());
}

CORIO_TEST_CASE_WITH(stopping_a_group_leader_ends_the_programs_it_started_and_only_then, real) {
  for (const bool group : {false, true}) {
    corio::process_options o;
    o.new_process_group = group;
    o.kill_grace = 300ms;
    // The shell ignores SIGTERM (SIGKILL after the grace period); its background sleep does not.
    corio::process p = co_await spawn_with(o, "/bin/sh", "-c", "trap '' TERM; sleep 100 & echo $!; wait");
    const std::string line = co_await p.stdout_pipe().read_line(100);
    const int grandchild = std::stoi(line);
    BOOST_TEST(alive(grandchild));
    const auto e = co_await p.stop();
    BOOST_TEST(e.signal == SIGKILL);
    if (group) {
      BOOST_TEST(co_await gone(grandchild));
    } else {
      BOOST_TEST(alive(grandchild));  // without a group of its own, a child's children are its own affair
      ::kill(grandchild, SIGKILL);
    }
  }
  BOOST_TEST(!has_unreaped_children());
}

CORIO_TEST_CASE_WITH(a_timed_out_or_destroyed_group_leader_takes_its_group_with_it, real) {
  const auto dir = std::filesystem::temp_directory_path() / ("corio-pgroup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string pidfile = (dir / "pid").string();
  corio::process_options o;
  o.new_process_group = true;
  o.timeout = 300ms;
  o.kill_grace = 200ms;
  (void)co_await expect_error<corio::process_timeout_error>(
      run_with(o, "/bin/sh", "-c", "sleep 100 & echo $! > " + pidfile + "; wait"), "process_timeout_error");
  std::ifstream f(pidfile);
  int grandchild = 0;
  f >> grandchild;
  BOOST_TEST(grandchild > 0);
  BOOST_TEST(co_await gone(grandchild));
  {
    corio::process p = co_await spawn_with(o, "/bin/sh", "-c", "sleep 100 & echo $!; wait");
    const std::string line = co_await p.stdout_pipe().read_line(100);
    grandchild = std::stoi(line);
  }  // destroyed while running: the group gets SIGKILL, the child is reaped
  BOOST_TEST(co_await gone(grandchild));
  BOOST_TEST(!has_unreaped_children());
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
