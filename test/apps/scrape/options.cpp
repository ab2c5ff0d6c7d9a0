#include "scrape/options.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

scrape::options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "corio-scrape");
  return scrape::parse_args(static_cast<int>(args.size()), args.data());
}

/// The usage error's sentence, or "accepted".
std::string message(std::vector<const char*> args) {
  try {
    (void)parse(std::move(args));
  } catch (const scrape::usage_error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scrape_options)

BOOST_AUTO_TEST_CASE(defaults_are_polite_and_list_mode) {
  const auto o = parse({"http://a.test/"});
  BOOST_TEST(o.urls.size() == 1u);
  BOOST_TEST(o.concurrency == 32u);
  BOOST_TEST(o.per_host == 8u);
  BOOST_TEST(o.retries == 2);
  BOOST_TEST(!o.crawl());
  BOOST_TEST(!o.insecure);
}

BOOST_AUTO_TEST_CASE(every_option_is_parsed_in_both_spellings) {
  const auto o = parse({"-c", "100", "--per-host=4", "--rate", "2.5", "--burst", "3", "--timeout", "1.5",
                        "--connect-timeout=2", "--read-timeout", "3", "--retries", "0", "--max-bytes", "2M",
                        "--user-agent", "ua/1", "--insecure", "-d", "3", "--same-host", "--robots", "--max-urls", "50",
                        "-o", "out.jsonl", "--progress", "--grace", "0", "-i", "urls.txt", "--log-level", "debug",
                        "http://x.test/", "--", "--not-an-option"});
  BOOST_TEST(o.concurrency == 100u);
  BOOST_TEST(o.per_host == 4u);
  BOOST_TEST(o.rate == 2.5);
  BOOST_TEST(o.burst == 3u);
  BOOST_TEST(o.timeout == 1.5);
  BOOST_TEST(o.connect_timeout == 2.0);
  BOOST_TEST(o.read_timeout == 3.0);
  BOOST_TEST(o.retries == 0);
  BOOST_TEST(o.max_bytes == 2u << 20);
  BOOST_TEST(o.user_agent == "ua/1");
  BOOST_TEST(o.insecure);
  BOOST_TEST(o.depth == 3);
  BOOST_TEST(o.same_host);
  BOOST_TEST(o.robots);
  BOOST_TEST(o.max_urls == 50u);
  BOOST_TEST(o.out == "out.jsonl");
  BOOST_TEST(o.progress);
  BOOST_TEST(o.grace == 0.0);
  BOOST_TEST(o.input == "urls.txt");
  BOOST_TEST(o.log_level == "debug");
  BOOST_TEST(o.urls == (std::vector<std::string>{"http://x.test/", "--not-an-option"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_usage_errors_with_one_clear_sentence) {
  BOOST_TEST(message({"--bogus"}) == "unknown option '--bogus'");
  BOOST_TEST(message({"--concurrency"}) == "--concurrency needs a value");
  BOOST_TEST(message({"-H"}) == "-H needs a value");
  BOOST_TEST(message({"--concurrency", "0"}) == "--concurrency expects a whole number from 1 to 100000, got '0'");
  BOOST_TEST(message({"--rate", "fast"}) ==
             "--rate expects requests per second from 0.001 to 1000000, or 0 for no limit, got 'fast'");
  BOOST_TEST(message({"--timeout", "0"}) == "--timeout expects seconds from 0.001 to 1000000, got '0'");
  BOOST_TEST(message({"--max-bytes", "10X"}) ==
             "--max-bytes expects a size from 1 byte to 4G (bytes, or k, M, G for KiB, MiB, GiB), got '10X'");
  BOOST_TEST(message({"--insecure=yes"}) == "--insecure takes no value");
  BOOST_TEST(message({"--log-level", "loud"}) == "--log-level expects trace, debug, info, warn, error or off");
}

BOOST_AUTO_TEST_CASE(every_duration_is_range_checked_before_it_becomes_a_chrono_duration) {
  // Each would overflow (or round to nothing) when converted to nanoseconds.
  for (const char* flag : {"--timeout", "--connect-timeout", "--read-timeout", "--max-time"}) {
    const std::string f = flag;
    for (const char* bad : {"1e300", "1000000.5", "0", "0.0009", "-1", "inf", "nan", "1e999", "", "2s"}) {
      BOOST_TEST(message({flag, bad}) == f + " expects seconds from 0.001 to 1000000, got '" + bad + "'",
                 f << " " << bad);
    }
    BOOST_TEST(message({flag, "1000000"}) == "accepted", f);
    BOOST_TEST(message({flag, "0.001"}) == "accepted", f);
  }
  for (const char* bad : {"1e300", "1000001", "-1", "nan"}) {
    BOOST_TEST(message({"--grace", bad}) ==
               std::string("--grace expects seconds from 0 to 1000000, got '") + bad + "'");
    BOOST_TEST(message({"--max-retry-after", bad}) ==
               std::string("--max-retry-after expects seconds from 0 to 86400, got '") + bad + "'");
  }
  BOOST_TEST(parse({"--grace", "0"}).grace == 0.0);
  BOOST_TEST(parse({"--max-retry-after", "0"}).max_retry_after == 0.0);
  BOOST_TEST(parse({"--max-retry-after", "86400"}).max_retry_after == 86400.0);
  BOOST_TEST(message({"--max-retry-after", "86401"}) ==
             "--max-retry-after expects seconds from 0 to 86400, got '86401'");
}

BOOST_AUTO_TEST_CASE(sizes_never_wrap_whatever_their_suffix) {
  const std::string range = "--max-bytes expects a size from 1 byte to 4G (bytes, or k, M, G for KiB, MiB, GiB), got '";
  // 17179869184G is 2^64 bytes: it wrapped to 0 before.
  for (const char* bad : {"17179869184G", "5G", "4194305M", "4294967297k", "4294967297", "18446744073709551616",
                          "0", "0k", "G", "-1M", "1.5M", "1KB", ""}) {
    BOOST_TEST(message({"--max-bytes", bad}) == range + bad + "'", bad);
  }
  BOOST_TEST(parse({"--max-bytes", "4G"}).max_bytes == std::size_t{4} << 30);
  BOOST_TEST(parse({"--max-bytes", "4096M"}).max_bytes == std::size_t{4} << 30);
  BOOST_TEST(parse({"--max-bytes", "4194304k"}).max_bytes == std::size_t{4} << 30);
  BOOST_TEST(parse({"--max-bytes", "4294967296"}).max_bytes == std::size_t{4} << 30);
  BOOST_TEST(parse({"--max-bytes", "3g"}).max_bytes == std::size_t{3} << 30);
  BOOST_TEST(parse({"--max-bytes", "7K"}).max_bytes == 7u << 10);
  BOOST_TEST(parse({"--max-bytes", "1"}).max_bytes == 1u);
}

BOOST_AUTO_TEST_CASE(counts_must_fit_their_field) {
  struct bound {
    const char* flag;
    const char* lo;
    const char* hi;
    const char* over;
  };
  const bound bounds[] = {{"--concurrency", "1", "100000", "100001"},
                          {"--per-host", "1", "10000", "10001"},
                          {"--burst", "1", "1000000", "1000001"},
                          {"--retries", "0", "100", "101"},
                          {"--depth", "0", "1000000", "1000001"},
                          {"--max-urls", "1", "1000000000", "1000000001"},
                          {"--max-redirects", "0", "100", "101"}};
  for (const auto& b : bounds) {
    const std::string range = std::string(b.flag) + " expects a whole number from " + b.lo + " to " + b.hi + ", got '";
    // 99999999999 wrapped an int before; 2^64 does not fit in 64 bits at all.
    for (const char* bad : {b.over, "99999999999", "18446744073709551616", "-1", "1.5", "2x", ""}) {
      BOOST_TEST(message({b.flag, bad}) == range + bad + "'", b.flag << " " << bad);
    }
    BOOST_TEST(message({b.flag, b.hi}) == "accepted", b.flag);
    BOOST_TEST(message({b.flag, b.lo}) == "accepted", b.flag);
  }
  BOOST_TEST(parse({"--retries", "100"}).retries == 100);
  BOOST_TEST(parse({"--depth", "1000000"}).depth == 1000000);
  BOOST_TEST(parse({"--max-redirects", "0"}).max_redirects == 0);
  BOOST_TEST(parse({"-c", "100000"}).concurrency == 100000u);
  BOOST_TEST(message({"-c", "0"}) == "-c expects a whole number from 1 to 100000, got '0'");  // named as given
}

BOOST_AUTO_TEST_CASE(rates_that_mean_nothing_are_refused) {
  const std::string range = "--rate expects requests per second from 0.001 to 1000000, or 0 for no limit, got '";
  // 1e-9: one request per 30 years (its interval overflows nothing, but it is no rate); 1e-300's
  // interval overflows; 1e12's rounds to 0 ns, i.e. no limit.
  for (const char* bad : {"1e-9", "0.0009", "1e-300", "1000001", "1e12", "-1", "inf", "nan", ""}) {
    BOOST_TEST(message({"--rate", bad}) == range + bad + "'", bad);
  }
  BOOST_TEST(parse({"--rate", "0"}).rate == 0.0);
  BOOST_TEST(parse({"--rate", "0.001"}).rate == 0.001);
  BOOST_TEST(parse({"--rate", "1000000"}).rate == 1000000.0);
}

BOOST_AUTO_TEST_CASE(headers_are_repeatable_checked_and_user_agent_is_the_default_one) {
  const auto o = parse({"-H", "X-One: 1", "--header", "X-Two:two  ", "-H", "X-One:\t again",
                        "--header=Accept: text/html", "-H", "X-Empty:", "-H", "user-agent: me/2", "http://a.test/"});
  using fields = std::vector<std::pair<std::string, std::string>>;
  BOOST_TEST((o.headers == fields{{"X-One", "1"}, {"X-Two", "two"}, {"X-One", "again"}, {"Accept", "text/html"},
                                  {"X-Empty", ""}}));
  BOOST_TEST(o.user_agent == "me/2");  // replaces the default (and is what robots.txt is matched against)
  BOOST_TEST(parse({"-H", "User-Agent: a", "--user-agent", "b"}).user_agent == "b");  // the last one wins
  BOOST_TEST(parse({}).headers.empty());

  const std::string syntax = "-H expects 'Name: value' (a name of letters, digits and !#$%&'*+-.^_`|~), got '";
  for (const char* bad : {"no colon", ": no name", "Bad Name: x", "Bad\rName: x", "X(y): z", ""}) {
    BOOST_TEST(message({"-H", bad}) == syntax + bad + "'", bad);
  }
  for (const char* bad : {"X: a\r\nInjected: yes", "X: a\nb", "X: a\rb", "X: nul\x01", "X: del\x7f"}) {
    BOOST_TEST(message({"-H", bad}) == "-H X: a header value must not contain control characters (CR, LF, NUL...)",
               bad);
  }
  BOOST_TEST(message({"--header", "Content-Length: 5"}) ==
             "--header Content-Length: corio-scrape sends no request body");
  BOOST_TEST(message({"-H", "transfer-encoding: chunked"}) ==
             "-H transfer-encoding: corio-scrape sends no request body");
  BOOST_TEST(message({"-H", "User-Agent:"}) == "-H User-Agent must not be empty");
}

BOOST_AUTO_TEST_CASE(request_method_cacert_limits_and_version) {
  auto o = parse({"http://a.test/"});
  BOOST_TEST(o.method == "GET");
  BOOST_TEST(o.max_redirects == 10);
  BOOST_TEST(o.max_time == 0.0);  // no cap
  BOOST_TEST(o.max_retry_after == 60.0);
  BOOST_TEST(o.cacert.empty());
  BOOST_TEST(!o.version);
  o = parse({"-X", "HEAD", "--max-redirects", "0", "--cacert", "ca.pem", "--max-time=2.5", "--max-retry-after", "5",
             "-V"});
  BOOST_TEST(o.method == "HEAD");
  BOOST_TEST(o.max_redirects == 0);
  BOOST_TEST(o.cacert == "ca.pem");
  BOOST_TEST(o.max_time == 2.5);
  BOOST_TEST(o.max_retry_after == 5.0);
  BOOST_TEST(o.version);
  BOOST_TEST(parse({"--request", "GET"}).method == "GET");
  BOOST_TEST(parse({"--version"}).version);
  for (const char* bad : {"POST", "head", "get", "DELETE", ""}) {
    BOOST_TEST(message({"-X", bad}) == std::string("-X expects GET or HEAD, got '") + bad + "'", bad);
  }
  BOOST_TEST(message({"--cacert", ""}) == "--cacert needs a file name");
  // HEAD has no bodies, so no links: crawling with it would silently find nothing.
  BOOST_TEST(message({"-X", "HEAD", "--depth", "1"}) ==
             "-X HEAD cannot crawl: --depth needs the pages' bodies to find their links");
  BOOST_TEST(message({"-X", "HEAD", "--depth", "0"}) == "accepted");
}

BOOST_AUTO_TEST_CASE(url_lists_skip_blank_lines_comments_and_surrounding_space) {
  std::istringstream in("http://a.test/\n\n  # comment\n  http://b.test/x  \r\n");
  BOOST_TEST(scrape::read_urls(in) == (std::vector<std::string>{"http://a.test/", "http://b.test/x"}),
             boost::test_tools::per_element());
  // One at a time, in order, after what the caller already has (URLs given as arguments first).
  std::istringstream more("http://c.test/\n# end\n  http://d.test/\n");
  std::vector<std::string> urls{"http://arg.test/"};
  scrape::read_urls(more, [&](std::string u) { urls.push_back(std::move(u)); });
  BOOST_TEST(urls == (std::vector<std::string>{"http://arg.test/", "http://c.test/", "http://d.test/"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(max_memory_and_save_bodies) {
  const auto o = parse({"--max-memory", "64M", "--save-bodies", "bodies", "-d", "1", "--max-bytes", "1M", "http://a.test/"});
  BOOST_TEST(o.max_memory == std::size_t{64} << 20);
  BOOST_TEST(o.save_bodies == "bodies");
  BOOST_TEST(parse({"http://a.test/"}).max_memory == std::size_t{512} << 20);
  // Crawling, a page is held whole until parsed: a budget smaller than one page cannot work.
  BOOST_CHECK_THROW(parse({"-d", "1", "--max-memory", "1M", "--max-bytes", "2M", "http://a.test/"}), scrape::usage_error);
  BOOST_CHECK_NO_THROW(parse({"--max-memory", "1M", "--max-bytes", "2M", "http://a.test/"}));  // list mode streams
  BOOST_CHECK_THROW(parse({"--save-bodies", "", "http://a.test/"}), scrape::usage_error);
}

BOOST_AUTO_TEST_CASE(redis_mode_options_are_checked_and_need_each_other) {
  const auto o = parse({"--redis", "redis://127.0.0.1:6379/2", "--job", "site-1", "--lease", "30", "--redis-timeout",
                        "0.5", "http://a.test/"});
  BOOST_TEST(o.redis == "redis://127.0.0.1:6379/2");
  BOOST_TEST(o.job == "site-1");
  BOOST_TEST(o.lease == 30.0);
  BOOST_TEST(o.redis_timeout == 0.5);
  BOOST_TEST((o.action == scrape::options::job_action::none));
  const auto d = parse({"--redis", "redis://h", "--job", "j"});
  BOOST_TEST(d.lease == 60.0);
  BOOST_TEST(d.redis_timeout == 60.0);
  BOOST_TEST((parse({"--redis=redis://h", "--job=j", "--status"}).action == scrape::options::job_action::status));
  BOOST_TEST((parse({"--redis=redis://h", "--job=j", "--export", "-o", "x"}).action ==
              scrape::options::job_action::export_rows));
  BOOST_TEST((parse({"--redis=redis://h", "--job=j", "--cancel-job"}).action == scrape::options::job_action::cancel));
  BOOST_TEST((parse({"--redis=redis://h", "--job=j", "--delete-job"}).action == scrape::options::job_action::remove));

  BOOST_TEST(message({"--redis", "redis://h", "http://a.test/"}) == "--redis needs --job NAME: the job the workers share");
  BOOST_TEST(message({"--job", "j", "http://a.test/"}).find("need --redis URL") != std::string::npos);
  BOOST_TEST(message({"--status"}).find("need --redis URL") != std::string::npos);
  BOOST_TEST(message({"--redis", "http://h", "--job", "j"}).find("--redis expects redis://") == 0);
  BOOST_TEST(message({"--redis", "redis://", "--job", "j"}).find("--redis expects redis://") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", ""}).find("--job expects") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "a b"}).find("--job expects") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", std::string(201, 'a').c_str()}).find("--job expects") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--lease", "0.5"}).find("--lease expects") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--lease", "86401"}).find("--lease expects") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--redis-timeout", "0"}).find("--redis-timeout expects") == 0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--status", "--delete-job"}).find("exclude each other") !=
             std::string::npos);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--status", "http://a.test/"}) ==
             "--status, --cancel-job and --delete-job take no URLs");
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--export", "http://a.test/"}).find("--export takes no URLs") ==
             0);
  BOOST_TEST(message({"--redis", "redis://h", "--job", "j", "--resume", "-o", "x", "http://a.test/"})
                 .find("--resume does not apply with --redis") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
