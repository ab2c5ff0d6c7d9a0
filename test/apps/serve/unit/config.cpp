#include <serve/config.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {
serve::parse_result parse(std::vector<std::string> args) { return serve::parse_command_line(args); }
}  // namespace

BOOST_AUTO_TEST_SUITE(serve_config)

BOOST_AUTO_TEST_CASE(defaults_are_safe_and_every_limit_has_a_flag) {
  const auto r = parse({});
  const auto& cfg = std::get<serve::config>(r);
  BOOST_TEST(cfg.host == "127.0.0.1");
  BOOST_TEST(cfg.port == 8080);
  BOOST_TEST(cfg.lim.header_bytes == 8192u);
  const auto usage = serve::usage();
  for (const char* flag : {"--max-header-bytes", "--max-header-fields", "--max-body-bytes", "--header-timeout",
                           "--idle-timeout", "--body-timeout", "--write-timeout", "--request-timeout",
                           "--max-connections", "--drain-timeout", "--host", "--port", "--threads", "--static",
                           "--log-level", "--help"}) {
    BOOST_TEST(usage.find(flag) != std::string::npos, flag);
  }
}

BOOST_AUTO_TEST_CASE(options_parse_with_a_space_or_an_equals_sign) {
  const auto r = parse({"--host", "0.0.0.0", "--port=0", "--threads", "4", "--acceptor=single", "--static", "/srv",
                        "--log-level", "debug", "--access-log", "off", "--access-log-format=json", "--debug",
                        "--max-header-bytes", "16k", "--max-body-bytes=2m", "--header-timeout", "2500ms",
                        "--idle-timeout", "2m", "--request-timeout", "1.5s", "--max-connections", "7",
                        "--drain-timeout", "3"});
  const auto& cfg = std::get<serve::config>(r);
  BOOST_TEST(cfg.host == "0.0.0.0");
  BOOST_TEST(cfg.port == 0);
  BOOST_TEST(cfg.threads == 4u);
  BOOST_TEST((cfg.acceptor == serve::acceptor_mode::single));
  BOOST_TEST(cfg.static_dir == "/srv");
  BOOST_TEST(cfg.log_level == "debug");
  BOOST_TEST(cfg.access_log == "off");
  BOOST_TEST((cfg.access_log_format == serve::log_format::json));
  BOOST_TEST(cfg.debug);
  BOOST_TEST(cfg.lim.header_bytes == 16384u);
  BOOST_TEST(cfg.lim.body_bytes == 2u * 1024 * 1024);
  BOOST_TEST((cfg.lim.header_timeout == 2500ms));
  BOOST_TEST((cfg.lim.idle_timeout == 120s));
  BOOST_TEST((cfg.lim.request_timeout == 1500ms));
  BOOST_TEST(cfg.lim.max_connections == 7u);
  BOOST_TEST((cfg.lim.drain_timeout == 3s));
}

BOOST_AUTO_TEST_CASE(bad_arguments_give_one_sentence_naming_the_option) {
  auto problem = [](std::vector<std::string> args) { return std::get<std::string>(parse(std::move(args))); };
  BOOST_TEST(problem({"--bogus"}).find("--bogus") != std::string::npos);
  BOOST_TEST(problem({"--port"}).find("needs a value") != std::string::npos);
  BOOST_TEST(problem({"--port", "70000"}).find("--port") != std::string::npos);
  BOOST_TEST(problem({"--threads", "0"}).find("--threads") != std::string::npos);
  BOOST_TEST(problem({"--idle-timeout", "5 parsecs"}).find("--idle-timeout") != std::string::npos);
  BOOST_TEST(problem({"--max-body-bytes", "-1"}).find("--max-body-bytes") != std::string::npos);
  BOOST_TEST(problem({"--log-level", "loud"}).find("--log-level") != std::string::npos);
  BOOST_TEST(std::holds_alternative<serve::show_help>(parse({"--port", "1", "-h"})));
  BOOST_TEST(problem({"--debug-token", "short"}).find("--debug-token") != std::string::npos);
  BOOST_TEST(problem({"--debug-token", "sixteen chars with spaces"}).find("--debug-token") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(debug_tasks_is_off_by_default_and_a_token_enables_it) {
  BOOST_TEST(!std::get<serve::config>(parse({})).debug_tasks);
  BOOST_TEST(std::get<serve::config>(parse({"--debug-tasks"})).debug_tasks);
  const auto cfg = std::get<serve::config>(parse({"--debug-token=0123456789abcdef"}));
  BOOST_TEST(cfg.debug_tasks);
  BOOST_TEST(cfg.debug_token == "0123456789abcdef");
  BOOST_TEST(std::holds_alternative<serve::show_version>(parse({"-V"})));
  BOOST_TEST(std::holds_alternative<serve::show_version>(parse({"--version"})));
}

BOOST_AUTO_TEST_CASE(chat_presence_interval_defaults_to_100ms_and_is_bounded) {
  using std::chrono::milliseconds;
  BOOST_TEST(std::get<serve::config>(parse({})).chat_presence_interval.count() == 100);
  BOOST_TEST(std::get<serve::config>(parse({"--chat-presence-interval", "0"})).chat_presence_interval.count() == 0);
  BOOST_TEST(std::get<serve::config>(parse({"--chat-presence-interval=250ms"})).chat_presence_interval.count() == 250);
  auto problem = [](std::vector<std::string> args) { return std::get<std::string>(parse(std::move(args))); };
  BOOST_TEST(problem({"--chat-presence-interval", "2m"}).find("--chat-presence-interval") != std::string::npos);
  BOOST_TEST(problem({"--chat-presence-interval", "-1"}).find("--chat-presence-interval") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(max_cpu_n_defaults_to_a_hundred_million_and_is_bounded) {
  BOOST_TEST(std::get<serve::config>(parse({})).cpu_max_n == 100'000'000u);
  BOOST_TEST(std::get<serve::config>(parse({"--max-cpu-n", "1000"})).cpu_max_n == 1000u);
  BOOST_TEST(serve::usage().find("--max-cpu-n") != std::string::npos);
  auto problem = [](std::vector<std::string> args) { return std::get<std::string>(parse(std::move(args))); };
  BOOST_TEST(problem({"--max-cpu-n", "0"}).find("--max-cpu-n") != std::string::npos);
  BOOST_TEST(problem({"--max-cpu-n", "100000001"}).find("--max-cpu-n") != std::string::npos);
  BOOST_TEST(problem({"--max-cpu-n", "lots"}).find("--max-cpu-n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(max_fanout_n_defaults_to_ten_thousand_and_is_bounded) {
  BOOST_TEST(std::get<serve::config>(parse({})).fanout_max_n == 10'000u);
  BOOST_TEST(std::get<serve::config>(parse({"--max-fanout-n", "200"})).fanout_max_n == 200u);
  BOOST_TEST(std::get<serve::config>(parse({"--max-fanout-n=1"})).fanout_max_n == 1u);
  BOOST_TEST(serve::usage().find("--max-fanout-n") != std::string::npos);
  auto problem = [](std::vector<std::string> args) { return std::get<std::string>(parse(std::move(args))); };
  BOOST_TEST(problem({"--max-fanout-n", "0"}).find("--max-fanout-n") != std::string::npos);
  BOOST_TEST(problem({"--max-fanout-n", "10001"}).find("--max-fanout-n") != std::string::npos);
  BOOST_TEST(problem({"--max-fanout-n", "-5"}).find("--max-fanout-n") != std::string::npos);
  BOOST_TEST(problem({"--max-fanout-n", ""}).find("--max-fanout-n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(redis_takes_a_redis_url_and_refuses_anything_else_without_echoing_a_password) {
  BOOST_TEST(std::get<serve::config>(parse({})).redis_url.empty());
  BOOST_TEST(std::get<serve::config>(parse({"--redis", "redis://127.0.0.1:6380"})).redis_url == "redis://127.0.0.1:6380");
  BOOST_TEST(serve::usage().find("--redis") != std::string::npos);
  auto problem = [](std::vector<std::string> args) { return std::get<std::string>(parse(std::move(args))); };
  BOOST_TEST(problem({"--redis", "http://127.0.0.1"}).find("--redis") != std::string::npos);
  const auto secret = problem({"--redis", "redis://:s3cret@127.0.0.1:notaport"});
  BOOST_TEST(secret.find("--redis") != std::string::npos);
  BOOST_TEST(secret.find("s3cret") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
