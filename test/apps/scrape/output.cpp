#include "scrape/output.hpp"

#include "scrape/resume.hpp"
#include "scrape/scraper.hpp"
#include "scrape_testing.hpp"

#include <corio/sleep.hpp>
#include <corio/task_group.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/resource.h>

using namespace std::chrono_literals;
using corio::test::http_test_server;
using namespace scrape_test;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

/// A file in a fresh temporary directory, removed with it.
struct temp_file {
  std::filesystem::path dir;
  std::string path;
  explicit temp_file(const char* name) {
    char tmpl[] = "/tmp/corio-scrape-output-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = (dir / name).string();
  }
  ~temp_file() { std::filesystem::remove_all(dir); }
};

/// The process's file size limit lowered for a scope (SIGXFSZ ignored, so writes fail with EFBIG).
struct file_size_limit {
  rlimit old{};
  explicit file_size_limit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit l{bytes, old.rlim_max};
    ::setrlimit(RLIMIT_FSIZE, &l);
  }
  ~file_size_limit() { ::setrlimit(RLIMIT_FSIZE, &old); }
};

/// A sink that fails on its Nth write, taking none of that write's lines.
class failing_sink final : public scrape::sink {
public:
  explicit failing_sink(int fail_at) : fail_at_(fail_at) {}
  void write(std::string_view lines) override {
    if (++writes_ >= fail_at_) throw scrape::write_error("cannot write test output: No space left on device", 0);
    text += lines;
  }
  [[nodiscard]] std::string name() const override { return "test output"; }
  std::string text;

private:
  int fail_at_;
  int writes_ = 0;
};

/// Polls (real time, bounded) until `done()`.
template <typename Pred>
corio::awaitable<bool> eventually(Pred done) {
  for (int i = 0; i < 4000 && !done(); ++i) co_await corio::sleep(5ms);
  co_return done();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scrape_output)

BOOST_AUTO_TEST_CASE(a_write_cut_by_a_file_size_limit_leaves_only_whole_lines) {
  temp_file f("out.jsonl");
  auto sink = scrape::fd_sink::open(f.path, false);
  sink.write("one\n");
  try {
    file_size_limit limit(10);  // "one\n" + "two\n" + 2 bytes of "three\n"
    sink.write("two\nthree\nfour\n");
    BOOST_FAIL("the write should fail");
  } catch (const scrape::write_error& e) {
    BOOST_TEST(e.lines_written() == 1u);
    BOOST_TEST(std::string(e.what()) == "cannot write " + f.path + ": File too large");
  }
  BOOST_TEST(read_file(f.path) == "one\ntwo\n");
}

BOOST_AUTO_TEST_CASE(a_write_to_a_full_device_fails_with_no_line_written) {
  scrape::fd_sink full = scrape::fd_sink::open("/dev/full", false);
  try {
    full.write("a\nb\n");
    BOOST_FAIL("the write should fail");
  } catch (const scrape::write_error& e) {
    BOOST_TEST(e.lines_written() == 0u);
    BOOST_TEST(std::string(e.what()) == "cannot write /dev/full: No space left on device");
  }
}

BOOST_AUTO_TEST_CASE(resuming_cuts_a_torn_line_and_drops_interrupted_and_repeated_rows) {
  temp_file f("out.jsonl");
  write_file(f.path,
             "{\"url\":\"http://a/\",\"final_url\":\"http://a/moved\",\"error_kind\":null}\n"
             "{\"url\":\"http://b/\",\"error_kind\":\"interrupted\"}\n"
             "{\"url\":\"http://a/\",\"error_kind\":null,\"again\":1}\n"
             "{\"url\":\"http://c/\",\"error_kind\":\"connect\"}\n"
             "{\"url\":\"http://d");
  write_file(scrape::state_path(f.path), std::string(scrape::state_header()) +
                                             "D 0 http://a/\nD 1 http://b/\nF http://a/\nD 1 http://b/\nD 2 http://e/\nD 3 http://");
  const auto prev = scrape::load_previous_run(f.path, true);
  BOOST_TEST(prev.torn);
  BOOST_TEST(prev.dropped == 2u);
  BOOST_TEST(prev.done.size() == 2u);
  BOOST_TEST(prev.done.count("http://a/") == 1u);
  BOOST_TEST(prev.done.count("http://c/") == 1u);  // a failed URL is done: its row is final
  BOOST_TEST(prev.final_urls == std::vector<std::string>{"http://a/moved"});
  BOOST_TEST(read_file(f.path) ==
             "{\"url\":\"http://a/\",\"final_url\":\"http://a/moved\",\"error_kind\":null}\n"
             "{\"url\":\"http://c/\",\"error_kind\":\"connect\"}\n");
  BOOST_TEST(prev.discovered.size() == 3u);  // a, b (once), e; the torn record is cut off
  BOOST_TEST(prev.discovered.at(2).first == "http://e/");
  BOOST_TEST(prev.discovered.at(2).second == 2);
  BOOST_TEST(read_file(scrape::state_path(f.path)).ends_with("D 2 http://e/\n"));
}

BOOST_AUTO_TEST_CASE(resuming_refuses_a_file_that_is_not_corio_scrape_output) {
  temp_file f("out.jsonl");
  write_file(f.path, "{\"url\":\"http://a/\"}\nnot json\n");
  BOOST_CHECK_THROW((void)scrape::load_previous_run(f.path, false), scrape::setup_error);
  BOOST_TEST(read_file(f.path) == "{\"url\":\"http://a/\"}\nnot json\n");
}

CORIO_HTTP_TEST(a_failed_write_stops_the_run_and_every_url_is_written_unwritten_or_not_attempted) {
  http_test_server srv;
  auto o = quick_options();
  o.concurrency = 4;
  failing_sink out(2);
  scrape::scraper s(o, out);
  std::vector<std::string> urls;
  for (int i = 0; i < 50; ++i) urls.push_back(srv.url("/slow?ms=20&i=" + std::to_string(i)));
  const auto sum = co_await s.run(urls);
  BOOST_TEST(sum.write_error() == "cannot write test output: No space left on device");
  BOOST_TEST(sum.rows_not_written() >= 1u);
  const auto written = lines(out.text).size();
  BOOST_TEST(written >= 1u);
  BOOST_TEST(written + sum.rows_not_written() + sum.not_attempted().size() == urls.size());
  BOOST_TEST(srv.requests() < urls.size());  // it stopped scheduling
}

CORIO_HTTP_TEST(urls_fed_while_running_get_their_rows_before_the_input_closes) {
  http_test_server srv;
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  s.open_input();
  scrape::summary sum;
  bool first_row_before_close = false;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto feeder = [&]() -> corio::awaitable<void> {
      BOOST_TEST(s.feed(srv.url("/ok?fed=1")));
      first_row_before_close = co_await eventually([&] { return lines(out.str()).size() == 1; });
      BOOST_TEST(s.feed(srv.url("/ok?fed=2")));
      s.close_input();
    };
    g.spawn(feeder);
    sum = co_await s.run({});  // gcc12-ok: run's by-value vector parameter
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(first_row_before_close);
  BOOST_TEST(sum.rows() == 2u);
  BOOST_TEST(!s.feed(srv.url("/ok?fed=3")));  // finished: taken by the caller as not attempted
}

CORIO_HTTP_TEST(an_interrupt_while_waiting_for_input_ends_the_run) {
  std::ostringstream out;
  scrape::scraper s(quick_options(), out);
  s.open_input();
  scrape::summary sum;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto stopper = [&]() -> corio::awaitable<void> {
      co_await corio::sleep(10ms);
      s.interrupt();
      BOOST_TEST(s.stopped());
    };
    g.spawn(stopper);
    sum = co_await s.run({});  // gcc12-ok: run's by-value vector parameter
  };
  co_await corio::task_group::run(body);
  BOOST_TEST(sum.interrupted());
  BOOST_TEST(sum.rows() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
