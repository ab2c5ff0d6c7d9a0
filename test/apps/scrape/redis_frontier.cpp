// corio-scrape's job on Redis (scrape::redis_frontier) against a real redis-server: who records a
// URL's row when leases expire and are taken again, and what a batch sent again gets.
#include "redis/redis_server.hpp"

#include "scrape/redis_job.hpp"

#include <corio/sleep.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace redis = corio::redis;
using corio::test::redis_server;
using scrape::redis_frontier;

namespace {

std::vector<redis_frontier::finishing> rows_for(const redis_frontier::lease_result& leased, const std::string& by) {
  std::vector<redis_frontier::finishing> rows;
  for (const auto& u : leased.urls) {
    rows.push_back(redis_frontier::finishing{u.member, u.url, R"({"url":")" + u.url + R"(","by":")" + by + "\"}",
                                             false, {}});
  }
  return rows;
}

long long stream_length(const redis_server& server, const std::string& job) {
  const std::string key = job + ":results";
  const std::string r = server.raw("*2\r\n$4\r\nXLEN\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n");
  return std::stoll(r.substr(1));  // ":N\r\n"
}

corio::awaitable<redis_frontier::lease_result> lease_all(redis_frontier& f, std::size_t n, long long lease_ms) {
  auto l = co_await f.lease(n, lease_ms);
  BOOST_TEST_REQUIRE(l.urls.size() == n);
  co_return l;
}

using answer = std::vector<bool>;
const scrape::options defaults;  // (named: GCC 12 destroys a braced temporary in co_await twice)
const answer won3{true, true, true}, lost3{false, false, false};

bool finished(redis_frontier::job_state s) { return s == redis_frontier::job_state::finished; }

const std::vector<std::pair<std::string, std::string>> three{
    {"http://a.test/1", ""}, {"http://a.test/2", ""}, {"http://a.test/3", ""}};

/// Creates the job with `three` as its seeds, all added (seeds mark their worker as adding: the
/// job is not finished before done_adding()).
corio::awaitable<void> start_job(redis_frontier& f) {
  co_await f.create_or_check(defaults);
  BOOST_TEST(co_await f.add(three, 0) == 3u);
  co_await f.done_adding();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(redis_frontier_rows)

CORIO_REDIS_TEST(the_first_worker_to_finish_a_url_records_it_and_a_later_one_is_told_it_lost) {
  redis_server server;
  redis::client c(server.url());
  redis_frontier a(c, "j", "worker-a"), b(c, "j", "worker-b");
  co_await start_job(a);

  // a's leases expire; b takes them again: the same URLs, leased twice.
  const auto by_a = co_await lease_all(a, 3, 1);
  co_await corio::sleep(20ms);
  const auto by_b = co_await lease_all(b, 3, 60'000);
  BOOST_TEST(by_a.urls[0].member == by_b.urls[0].member);

  // a finishes first, with a lease expired: its rows are the job's; b's come too late.
  const auto rows_a = rows_for(by_a, "a"), rows_b = rows_for(by_b, "b");
  const answer first = co_await a.finish(rows_a);
  BOOST_TEST(first == won3);
  const answer later = co_await b.finish(rows_b);
  BOOST_TEST(later == lost3);
  BOOST_TEST(stream_length(server, "j") == 3);
  BOOST_TEST(finished(co_await a.state()));
}

CORIO_REDIS_TEST(the_worker_holding_a_lease_taken_again_can_win_and_the_first_holder_then_loses) {
  redis_server server;
  redis::client c(server.url());
  redis_frontier a(c, "j", "worker-a"), b(c, "j", "worker-b");
  co_await start_job(a);
  const auto by_a = co_await lease_all(a, 3, 1);
  co_await corio::sleep(20ms);
  const auto by_b = co_await lease_all(b, 3, 60'000);
  const auto rows_a = rows_for(by_a, "a"), rows_b = rows_for(by_b, "b");
  const answer first = co_await b.finish(rows_b);
  BOOST_TEST(first == won3);
  const answer later = co_await a.finish(rows_a);
  BOOST_TEST(later == lost3);
  BOOST_TEST(stream_length(server, "j") == 3);
}

CORIO_REDIS_TEST(a_batch_sent_again_after_its_reply_was_lost_gets_its_first_answer) {
  redis_server server;
  redis::client c(server.url());
  redis_frontier a(c, "j", "worker-a");
  co_await start_job(a);
  const auto leased = co_await lease_all(a, 2, 60'000);
  const auto rows = rows_for(leased, "a");
  const answer both{true, true}, neither{false, false}, new_one{false, true};
  const answer first = co_await a.finish(rows);
  BOOST_TEST(first == both);

  // The same worker (its id, a fresh count of batches: as if the reply of its first batch had been
  // lost and the batch were sent again): the first answer, and nothing recorded twice.
  redis_frontier again(c, "j", "worker-a");
  const answer resent = co_await again.finish(rows);
  BOOST_TEST(resent == both);
  BOOST_TEST(stream_length(server, "j") == 2);

  // Its next batch is a new one: a row already recorded is lost, the new one recorded.
  const auto last = co_await lease_all(again, 1, 60'000);
  auto next = rows_for(last, "a");
  next.insert(next.begin(), rows.front());
  const answer second = co_await again.finish(next);
  BOOST_TEST(second == new_one);
  // Another worker sending the same rows is told it lost them.
  redis_frontier other(c, "j", "worker-b");
  const answer others = co_await other.finish(rows);
  BOOST_TEST(others == neither);
  BOOST_TEST(stream_length(server, "j") == 3);
  BOOST_TEST(finished(co_await a.state()));
}

CORIO_REDIS_TEST(a_url_given_back_and_leased_again_is_recorded_once) {
  redis_server server;
  redis::client c(server.url());
  redis_frontier a(c, "j", "worker-a"), b(c, "j", "worker-b");
  co_await start_job(a);
  const auto by_a = co_await lease_all(a, 3, 60'000);
  std::vector<std::string> members;
  for (const auto& u : by_a.urls) members.push_back(u.member);
  co_await a.release(members);  // a stops: its leases go back to pending
  const auto by_b = co_await lease_all(b, 3, 60'000);
  // The same row twice in one batch counts once.
  auto rows = rows_for(by_b, "b");
  rows.push_back(rows.front());
  const answer once{true, true, true, false};
  const answer first = co_await b.finish(rows);
  BOOST_TEST(first == once);
  const auto rows_a = rows_for(by_a, "a");
  const answer later = co_await a.finish(rows_a);
  BOOST_TEST(later == lost3);
  BOOST_TEST(stream_length(server, "j") == 3);
}

CORIO_REDIS_TEST(rows_recorded_before_another_script_of_the_step_failed_keep_their_answer) {
  redis_server server;
  redis::client c(server.url());
  redis_frontier a(c, "j", "worker-a");
  co_await start_job(a);
  const auto leased = co_await lease_all(a, 2, 60'000);
  const auto rows = rows_for(leased, "a");
  // The lease that rides in the same step fails (its workers key holds a string): the rows were
  // recorded all the same, and the worker learns which were its own.
  (void)server.raw("*3\r\n$3\r\nSET\r\n$9\r\nj:workers\r\n$1\r\nx\r\n");
  const std::vector<std::pair<redis_frontier::url_host_list, int>> no_adds;
  bool failed = false;
  try {
    (void)co_await a.step(no_adds, rows, 1, 60'000);
  } catch (const redis::error& e) {
    failed = e.kind() == redis::errc::server;
  }
  BOOST_TEST(failed);
  BOOST_TEST_REQUIRE(a.answer_before_failure().has_value());
  const answer both{true, true};
  BOOST_TEST(*a.answer_before_failure() == both);
  BOOST_TEST(stream_length(server, "j") == 2);
  // Sent again (the same batch number: the step failed), the rows get the same answer; a step
  // whose rows fail leaves none.
  const answer again = co_await a.finish(rows);
  BOOST_TEST(again == both);
  BOOST_TEST(stream_length(server, "j") == 2);
  (void)server.raw("*3\r\n$3\r\nSET\r\n$10\r\nj:finishes\r\n$1\r\nx\r\n");
  failed = false;
  try {
    (void)co_await a.step(no_adds, rows, 0, 0);
  } catch (const redis::error&) {
    failed = true;
  }
  BOOST_TEST(failed);
  BOOST_TEST(!a.answer_before_failure().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
