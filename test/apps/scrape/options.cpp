#include "scrape/options.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <vector>

namespace {

scrape::options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "corio-scrape");
  return scrape::parse_args(static_cast<int>(args.size()), args.data());
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
  auto message = [](std::vector<const char*> args) -> std::string {
    try {
      (void)parse(std::move(args));
    } catch (const scrape::usage_error& e) {
      return e.what();
    }
    return "accepted";
  };
  BOOST_TEST(message({"--bogus"}) == "unknown option '--bogus'");
  BOOST_TEST(message({"--concurrency"}) == "--concurrency needs a value");
  BOOST_TEST(message({"--concurrency", "0"}) == "--concurrency expects a whole number of at least 1, got '0'");
  BOOST_TEST(message({"--rate", "fast"}) == "--rate expects a number of at least 0, got 'fast'");
  BOOST_TEST(message({"--timeout", "0"}) == "--timeout expects a number greater than 0, got '0'");
  BOOST_TEST(message({"--max-bytes", "10X"}) == "--max-bytes expects a whole number of at least 1, got '10X'");
  BOOST_TEST(message({"--insecure=yes"}) == "--insecure takes no value");
  BOOST_TEST(message({"--log-level", "loud"}) == "--log-level expects trace, debug, info, warn, error or off");
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

BOOST_AUTO_TEST_SUITE_END()
