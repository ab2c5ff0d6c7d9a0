#include "scrape/redis_job.hpp"

#include "scrape/scraper.hpp"

#include <corio/cancellation.hpp>
#include <corio/event.hpp>
#include <corio/exception_group.hpp>
#include <corio/http/error.hpp>
#include <corio/http/url.hpp>
#include <corio/run.hpp>
#include <corio/sleep.hpp>
#include <corio/task_group.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <openssl/evp.h>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <unordered_map>

#include <unistd.h>

namespace scrape {

namespace asio = boost::asio;
namespace redis = corio::redis;
using namespace std::chrono_literals;

namespace {

// Each script's keys are given in KEYS; its times are Redis's (TIME). A URL's key in seen is the
// first 64 bits of its SHA-1, in hex, computed by the worker (url_key).

const redis::script create_script(R"(
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  redis.call('HSET', KEYS[1], 'created', redis.call('TIME')[1])
  return ''
end
for i = 1, #ARGV, 2 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v ~= ARGV[i + 1] then return {ARGV[i], v or ''} end
end
return ''
)");

// Bulk commands in chunks (a Lua call takes at most a few thousand arguments), so that a script
// runs a few commands per batch, not several per URL. bulk_pairs keeps pairs together (1000: even).
const std::string lua_bulk = R"(
local function bulk(cmd, key, list)
  for i = 1, #list, 1000 do redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list))) end
end
local function bulk_reply(cmd, key, list)
  local out = {}
  for i = 1, #list, 1000 do
    for _, v in ipairs(redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))) do out[#out + 1] = v end
  end
  return out
end
)";

// KEYS: options seen pending hosts adding; ARGV: depth, worker, ttl ms, then (url host key)... Seeds
// (depth 0) record their hosts, and the worker adding them (the job is not finished while a
// worker is adding seeds: it has more to come); other URLs are kept to those hosts with same_host,
// and to max_urls seen in all.
const redis::script add_script(lua_bulk + R"(
local depth = ARGV[1]
local seeds = depth == '0'
if seeds then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[5], now + tonumber(ARGV[3]), ARGV[2])
  local hosts = {}
  for i = 5, #ARGV, 3 do if ARGV[i] ~= '' then hosts[#hosts + 1] = ARGV[i] end end
  bulk('SADD', KEYS[4], hosts)
end
local host_ok = nil
if not seeds and redis.call('HGET', KEYS[1], 'same_host') == '1' then
  host_ok = {}
  local distinct = {}
  for i = 5, #ARGV, 3 do
    if host_ok[ARGV[i]] == nil then host_ok[ARGV[i]] = false; distinct[#distinct + 1] = ARGV[i] end
  end
  local member = bulk_reply('SMISMEMBER', KEYS[4], distinct)
  for k, h in ipairs(distinct) do host_ok[h] = member[k] == 1 end
end
local urls, hashes, in_batch = {}, {}, {}
for i = 4, #ARGV, 3 do
  if host_ok == nil or host_ok[ARGV[i + 1]] then
    local h = ARGV[i + 2]
    if not in_batch[h] then
      in_batch[h] = true
      urls[#urls + 1] = ARGV[i]
      hashes[#hashes + 1] = h
    end
  end
end
local room = math.huge
local maxu = tonumber(redis.call('HGET', KEYS[1], 'max_urls') or '0') or 0
if not seeds and maxu > 0 then room = maxu - redis.call('SCARD', KEYS[2]) end
local known = bulk_reply('SMISMEMBER', KEYS[2], hashes)
local new_hashes, new_members = {}, {}
for k = 1, #urls do
  if known[k] == 0 then
    if #new_members >= room then break end
    new_hashes[#new_hashes + 1] = hashes[k]
    new_members[#new_members + 1] = depth .. '\t' .. urls[k]
  end
end
bulk('SADD', KEYS[2], new_hashes)
bulk('RPUSH', KEYS[3], new_members)
return #new_members
)");

// KEYS: options pending leased workers; ARGV: n, lease ms, worker. {-1} when cancelled, else
// {0, member...}: expired leases first, then pending URLs.
const redis::script lease_script(lua_bulk + R"(
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return {-1} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[4], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 86400000)  -- workers not seen for a day
local n = tonumber(ARGV[1])
local out = {0}
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, n)
for _, m in ipairs(expired) do out[#out + 1] = m end
local want = n - #expired
if want > 0 then
  local got = redis.call('LPOP', KEYS[2], want)
  if got then for _, m in ipairs(got) do out[#out + 1] = m end end
end
local exp = string.format('%d', now + tonumber(ARGV[2]))
local scored = {}
for i = 2, #out do scored[#scored + 1] = exp; scored[#scored + 1] = out[i] end
bulk('ZADD', KEYS[3], scored)
return out
)");

// KEYS: leased workers; ARGV: lease ms, worker, member...
const redis::script renew_script(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now, ARGV[2])
local exp = now + tonumber(ARGV[1])
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then redis.call('ZADD', KEYS[1], exp, ARGV[i]) end
end
return 0
)");

// KEYS: leased results counts origins finishes; ARGV: worker, batch number, then (member url row
// failed origin)... Returns 1 or 0 per row: recorded by this worker. A URL is recorded by the
// first worker to finish it while it is still leased: its member leaves NAME:leased then, and a
// lease taken back and given to another worker is the same member, so the later finisher finds it
// gone. A batch sent again after its reply was lost gets its first answer (the last batch number
// and answer of each worker are kept in finishes).
const redis::script finish_script(lua_bulk + R"(
local me, seq = ARGV[1], ARGV[2]
local last = redis.call('HGET', KEYS[5], me)
if last and string.sub(last, 1, #seq + 1) == seq .. ':' then
  local again = {}
  for k = #seq + 2, #last do again[#again + 1] = string.byte(last, k) - 48 end
  return again
end
local bucket = math.floor(tonumber(redis.call('TIME')[1]) / 10)
local b = tonumber(redis.call('HGET', KEYS[3], 'bucket') or '0') or 0
if b ~= bucket then
  local bn = redis.call('HGET', KEYS[3], 'bucket_rows') or '0'
  if b ~= bucket - 1 then bn = '0' end
  redis.call('HSET', KEYS[3], 'previous_rows', bn, 'bucket', bucket, 'bucket_rows', 0)
end
local members = {}
for i = 3, #ARGV, 5 do members[#members + 1] = ARGV[i] end
local scores = bulk_reply('ZMSCORE', KEYS[1], members)
bulk('ZREM', KEYS[1], members)
local won, taken, recorded, failed, per_origin = {}, {}, 0, 0, {}
for k = 1, #members do
  local i = 3 + (k - 1) * 5
  if scores[k] and not taken[members[k]] then
    taken[members[k]] = true
    redis.call('XADD', KEYS[2], '*', 'url', ARGV[i + 1], 'row', ARGV[i + 2])
    recorded = recorded + 1
    if ARGV[i + 3] == '1' then failed = failed + 1 end
    per_origin[ARGV[i + 4]] = (per_origin[ARGV[i + 4]] or 0) + 1
    won[k] = 1
  else
    won[k] = 0
  end
end
redis.call('HSET', KEYS[5], me, seq .. ':' .. table.concat(won))
if recorded > 0 then
  redis.call('HINCRBY', KEYS[3], 'done', recorded)
  redis.call('HINCRBY', KEYS[3], 'bucket_rows', recorded)
  if failed > 0 then redis.call('HINCRBY', KEYS[3], 'failed', failed) end
  for origin, count in pairs(per_origin) do redis.call('HINCRBY', KEYS[4], origin, count) end
end
return won
)");

// Where redirected pages landed: seen, so that a link to one is not fetched again.
// KEYS: seen; ARGV: URL key...
const redis::script landed_script(lua_bulk + R"(
bulk('SADD', KEYS[1], ARGV)
return 0
)");

// GCRA (the generic cell rate algorithm) shared by the job's workers: per origin, the theoretical
// arrival time (TAT, µs) of its next request. Reserves n request times one after the other.
// KEYS: pace; ARGV: origin, interval µs, tolerance µs ((burst - 1) × interval), n. Returns, per
// request, how long after now (µs) it may be sent.
const redis::script pace_script(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance = tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
if tat < now then tat = now end
local out = {}
for i = 1, tonumber(ARGV[4]) do
  local at = tat - tolerance
  if at < now then at = now end
  out[i] = at - now
  tat = math.max(tat, at) + interval
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', tat))
return out
)");

// The per-origin request slots (--per-host) shared by the job's workers. Per origin a JSON object
// worker → [slots held, expiry ms, slots wanted]; a worker's holding expires unless renewed (a
// killed worker's slots come back after its lease). A worker is granted what it wants of the slots
// the others do not hold; while another worker wants more than it holds, no worker is granted more
// than an equal share. A worker holds what it is granted, or more while it has more requests busy
// (it starts none until it is under its grant: holders shrink to an equal share as their requests
// end, and the others get the slots as they come free).
// KEYS: holds; ARGV: worker, per_host, ttl ms, then (origin busy want)... Returns the grants.
const redis::script hold_script(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me, cap, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 3 do
  local origin, busy, want = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local raw = redis.call('HGET', KEYS[1], origin)
  local m = raw and cjson.decode(raw) or {}
  local others, wanting, starving = 0, 0, false
  if want > 0 then wanting = 1 end
  for w, v in pairs(m) do
    if w ~= me then
      if v[2] < now then
        m[w] = nil
      else
        others = others + v[1]
        if v[3] > 0 then wanting = wanting + 1 end
        if v[3] > v[1] then starving = true end
      end
    end
  end
  local grant = math.max(math.min(want, cap - others), 0)
  if starving then grant = math.min(grant, math.max(1, math.floor(cap / wanting))) end
  local holding = math.max(grant, busy)
  if holding > 0 or want > 0 then m[me] = {holding, now + ttl, want} else m[me] = nil end
  if next(m) == nil then
    redis.call('HDEL', KEYS[1], origin)
  else
    redis.call('HSET', KEYS[1], origin, cjson.encode(m))
  end
  out[#out + 1] = grant
end
return out
)");

// KEYS: leased pending; ARGV: member...
const redis::script release_script(R"(
local n = 0
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('LPUSH', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n
)");

// KEYS: adding; ARGV: worker, ttl ms. Marks the worker as adding seeds.
const redis::script adding_script(R"(
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2]), ARGV[1])
return 0
)");

// KEYS: options pending leased adding. 2: cancelled, 1: finished (nothing pending nor leased, and
// no worker adding seeds — a killed one's mark expires like its leases), 0: not yet.
const redis::script finished_script(R"(
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return 2 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('LLEN', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 and
   redis.call('ZCOUNT', KEYS[4], '(' .. now, '+inf') == 0 then
  return 1
end
return 0
)");

// KEYS: options pending leased seen counts origins workers adding; ARGV: window s. nil: no such job.
const redis::script status_script(R"(
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {redis.call('LLEN', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('ZCOUNT', KEYS[3], '-inf', now),
        redis.call('SCARD', KEYS[4]), redis.call('ZCOUNT', KEYS[7], now - tonumber(ARGV[1]) * 1000, '+inf'),
        tonumber(t[1]), redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[5]),
        redis.call('HGETALL', KEYS[6]), redis.call('ZCOUNT', KEYS[8], '(' .. now, '+inf')}
)");

const redis::script cancel_script(R"(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'cancelled', '1')
return 1
)");

// KEYS: every key of the job, options and leased first. -N: N leases not expired (running
// workers): nothing deleted; else the number of keys deleted.
const redis::script delete_script(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local active = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
if active > 0 then return -active end
return redis.call('DEL', unpack(KEYS))
)");

// (done: where jobs created by earlier versions kept which worker recorded each URL.)
constexpr const char* job_keys[] = {"options", "leased", "seen",    "pending", "done", "results", "counts", "origins",
                                    "hosts",   "workers", "pace", "holds", "adding", "finishes"};

// How long a worker's "adding seeds" mark lasts unless a batch renews it (a killed worker's goes).
constexpr long long adding_ttl_ms = 60'000;

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

/// The options a job fixes, as stored in NAME:options (canonical spellings).
std::vector<std::pair<std::string, std::string>> job_options(const options& o) {
  return {{"depth", std::to_string(o.depth)},       {"same_host", o.same_host ? "1" : "0"},
          {"max_urls", std::to_string(o.max_urls)}, {"rate", fmt::format("{}", o.rate)},
          {"burst", std::to_string(o.burst)},       {"per_host", std::to_string(o.per_host)},
          {"robots", o.robots ? "1" : "0"}};
}

/// The command-line spelling of a stored option and its value.
std::string shown_option(const std::string& name, const std::string& value) {
  if (name == "same_host" || name == "robots") {
    return (value == "1" ? "--" : "no --") + std::string(name == "same_host" ? "same-host" : "robots");
  }
  std::string flag = "--" + name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag + " " + value;
}

std::map<std::string, std::string> as_map(const redis::reply& flat) {
  std::map<std::string, std::string> m;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) m[flat[i].as_string()] = flat[i + 1].as_string();
  return m;
}

long long number_in(const std::map<std::string, std::string>& m, const std::string& k) {
  const auto it = m.find(k);
  if (it == m.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return 0;
  }
}

/// "scheme://authority" of a URL (the per-origin counts' key); "(not a URL)" if it has none.
std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "(not a URL)";
  return std::string(url.substr(0, url.find_first_of("/?#", scheme_end + 3)));
}

std::string host_of(const std::string& url) {
  try {
    auto h = std::string(corio::http::parse_url(url).encoded_host());
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h;
  } catch (const corio::http::error&) {
    return {};
  }
}

/// A URL's key in NAME:seen: the first 64 bits of its SHA-1, as 16 hex digits.
/// (OpenSSL's one-shot SHA1() looks the algorithm up on every call, several times the cost of
/// the digest itself: the algorithm is fetched once and one context per thread is reused.)
std::string url_key(std::string_view url) {
  struct digest {
    std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md{EVP_MD_fetch(nullptr, "SHA1", nullptr), &EVP_MD_free};
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  };
  thread_local const digest d;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!d.md || !d.ctx || EVP_DigestInit_ex2(d.ctx.get(), d.md.get(), nullptr) != 1 ||
      EVP_DigestUpdate(d.ctx.get(), url.data(), url.size()) != 1 || EVP_DigestFinal_ex(d.ctx.get(), md, &len) != 1 ||
      len < 8) {
    throw std::runtime_error("OpenSSL cannot compute a SHA-1");
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = digits[md[i] >> 4];
    out[2 * i + 1] = digits[md[i] & 0xf];
  }
  return out;
}

/// EVAL with the script's source (for batches: never NOSCRIPT, even after a Redis restart).
redis::command eval_command(const redis::script& sc, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args) {
  redis::command c("EVAL");
  c.arg(sc.source()).arg(keys.size()).args(keys).args(args);
  return c;
}

redis_frontier::lease_result parse_lease(const redis::reply& r) {
  redis_frontier::lease_result out;
  if (r.size() == 0 || r[0].as_integer() < 0) {
    out.cancelled = true;
    return out;
  }
  for (std::size_t i = 1; i < r.size(); ++i) {
    redis_frontier::leased_url u;
    u.member = r[i].as_string();
    const auto tab = u.member.find('\t');
    if (tab == std::string::npos) throw redis::error(redis::errc::reply_type, "a leased URL without its depth: " + u.member);
    u.depth = std::atoi(u.member.substr(0, tab).c_str());
    u.url = u.member.substr(tab + 1);
    out.urls.push_back(std::move(u));
  }
  return out;
}


std::vector<std::string> hold_args(const std::string& worker, const std::vector<redis_frontier::hold_request>& holds,
                                   std::size_t per_host, long long ttl_ms) {
  std::vector<std::string> args{worker, std::to_string(per_host), std::to_string(ttl_ms)};
  for (const auto& h : holds) {
    args.push_back(h.origin);
    args.push_back(std::to_string(h.busy));
    args.push_back(std::to_string(h.want));
  }
  return args;
}

std::vector<std::size_t> parse_held(const redis::reply& r, std::size_t n) {
  std::vector<std::size_t> held;
  for (const auto& e : r.as_array()) held.push_back(static_cast<std::size_t>(std::max<long long>(0, e.as_integer())));
  if (held.size() != n) throw redis::error(redis::errc::reply_type, "the hold script answered for other origins");
  return held;
}

std::vector<bool> parse_won(const redis::reply& r, std::size_t rows) {
  std::vector<bool> won;
  for (const auto& e : r.as_array()) won.push_back(e.as_integer() == 1);
  if (won.size() != rows) throw redis::error(redis::errc::reply_type, "the finish script answered for other rows");
  return won;
}

}  // namespace

namespace {

/// EVAL of `sc` with its keys, the arguments to be appended (straight into the command: no copy
/// of the rows and URLs in between).
redis::command script_command(const redis::script& sc, const std::vector<std::string>& keys) {
  redis::command c("EVAL");
  c.arg(sc.source()).arg(keys.size()).args(keys);
  return c;
}

/// add_script for urls[from, to) at `depth`.
redis::command add_command(const std::vector<std::string>& keys, int depth, const std::string& worker,
                           const std::vector<std::pair<std::string, std::string>>& urls, std::size_t from,
                           std::size_t to) {
  redis::command c = script_command(add_script, keys);
  std::size_t bytes = 64 + worker.size();
  for (std::size_t j = from; j < to; ++j) bytes += urls[j].first.size() + urls[j].second.size() + 48;
  c.reserve(bytes);
  c.arg(static_cast<long long>(depth)).arg(worker).arg(adding_ttl_ms);
  for (std::size_t j = from; j < to; ++j) c.arg(urls[j].first).arg(urls[j].second).arg(url_key(urls[j].first));
  return c;
}

redis::command finish_command(const std::vector<std::string>& keys, const std::string& worker, std::uint64_t batch,
                              const std::vector<redis_frontier::finishing>& rows) {
  redis::command c = script_command(finish_script, keys);
  std::size_t bytes = 40 + worker.size();
  for (const auto& f : rows) bytes += f.member.size() + 2 * f.url.size() + f.line.size() + 80;
  c.reserve(bytes);
  c.arg(worker).arg(static_cast<long long>(batch));
  for (const auto& f : rows) c.arg(f.member).arg(f.url).arg(f.line).arg(f.failed ? "1" : "0").arg(origin_of(f.url));
  return c;
}

}  // namespace

redis_frontier::redis_frontier(redis::client& c, std::string job, std::string worker)
    : c_(c), job_(std::move(job)), worker_(std::move(worker)) {}

corio::awaitable<void> redis_frontier::create_or_check(const options& o) {
  std::vector<std::string> keys{key("options")};
  std::vector<std::string> args;
  for (auto& [k, v] : job_options(o)) {
    args.push_back(k);
    args.push_back(v);
  }
  const redis::reply r = co_await c_.eval(create_script, std::move(keys), std::move(args));
  if (r.is_array() && r.size() == 2) {
    const std::string name = r[0].as_string();
    std::string given;
    for (auto& [k, v] : job_options(o)) {
      if (k == name) given = v;
    }
    throw job_conflict("job " + job_ + " was created with " + shown_option(name, r[1].as_string()) +
                       ", this worker has " + shown_option(name, given) +
                       " (every worker of a job runs with the job's options)");
  }
}

corio::awaitable<std::size_t> redis_frontier::add(std::vector<std::pair<std::string, std::string>> url_hosts,
                                                  int depth) {
  std::size_t added = 0;
  constexpr std::size_t per_call = 1000;
  const std::vector<std::string> keys{key("options"), key("seen"), key("pending"), key("hosts"), key("adding")};
  for (std::size_t i = 0; i < url_hosts.size(); i += per_call) {
    ++counts_.adds;
    ++counts_.round_trips;
    const redis::reply r =
        co_await c_.exec(add_command(keys, depth, worker_, url_hosts, i, std::min(url_hosts.size(), i + per_call)));
    r.throw_if_error();
    added += static_cast<std::size_t>(r.as_integer());
  }
  co_return added;
}

corio::awaitable<void> redis_frontier::start_adding() {
  std::vector<std::string> keys{key("adding")};
  std::vector<std::string> args{worker_, std::to_string(adding_ttl_ms)};
  ++counts_.round_trips;
  co_await c_.eval(adding_script, std::move(keys), std::move(args));
}

corio::awaitable<void> redis_frontier::done_adding() {
  ++counts_.round_trips;
  co_await c_.exec(redis::command("ZREM", key("adding"), worker_));
}

corio::awaitable<redis_frontier::lease_result> redis_frontier::lease(std::size_t n, long long lease_ms) {
  const std::vector<std::pair<url_host_list, int>> no_adds;  // (named: GCC 12 and braced temporaries in co_await)
  const std::vector<finishing> no_rows;
  step_result r = co_await step(no_adds, no_rows, n, lease_ms);
  co_return std::move(r.leased);
}

corio::awaitable<void> redis_frontier::renew(const std::vector<std::string>& members, long long lease_ms) {
  std::vector<std::string> keys{key("leased"), key("workers")};
  std::vector<std::string> args{std::to_string(lease_ms), worker_};
  args.insert(args.end(), members.begin(), members.end());
  ++counts_.renewals;
  ++counts_.round_trips;
  co_await c_.eval(renew_script, std::move(keys), std::move(args));
}

corio::awaitable<std::vector<bool>> redis_frontier::finish(const std::vector<finishing>& rows) {
  const std::vector<std::pair<url_host_list, int>> no_adds;  // (named: GCC 12 and braced temporaries in co_await)
  step_result r = co_await step(no_adds, rows, 0, 0);
  co_return std::move(r.won);
}

corio::awaitable<redis_frontier::step_result> redis_frontier::step(const std::vector<std::pair<url_host_list, int>>& adds,
                                                                   const std::vector<finishing>& rows,
                                                                   std::size_t lease_n, long long lease_ms,
                                                                   const std::vector<hold_request>& holds,
                                                                   std::size_t per_host) {
  std::vector<redis::command> cmds;
  std::vector<std::string> landed;
  for (const auto& f : rows) {
    if (!f.landed.empty()) landed.push_back(url_key(f.landed));
  }
  if (!landed.empty()) cmds.push_back(eval_command(landed_script, {key("seen")}, landed));  // before the links
  const std::vector<std::string> add_keys{key("options"), key("seen"), key("pending"), key("hosts"), key("adding")};
  for (const auto& [uh, depth] : adds) {
    for (std::size_t i = 0; i < uh.size(); i += 1000) {
      cmds.push_back(add_command(add_keys, depth, worker_, uh, i, std::min(uh.size(), i + 1000)));
      ++counts_.adds;
    }
  }
  const std::size_t finish_at = cmds.size();
  if (!rows.empty()) {
    const std::vector<std::string> keys{key("leased"), key("results"), key("counts"), key("origins"), key("finishes")};
    cmds.push_back(finish_command(keys, worker_, finish_batch_, rows));
    ++counts_.finishes;
  }
  const std::size_t hold_at = cmds.size();
  if (!holds.empty()) {
    const std::vector<std::string> keys{key("holds")};
    cmds.push_back(eval_command(hold_script, keys, hold_args(worker_, holds, per_host, lease_ms)));
    ++counts_.holds;
  }
  const std::size_t lease_at = cmds.size();
  if (lease_n > 0) {
    const std::vector<std::string> keys{key("options"), key("pending"), key("leased"), key("workers")};
    const std::vector<std::string> args{std::to_string(lease_n), std::to_string(lease_ms), worker_};
    cmds.push_back(eval_command(lease_script, keys, args));
    ++counts_.leases;
  }
  step_result out;
  answer_before_failure_.reset();
  if (cmds.empty()) co_return out;
  ++counts_.round_trips;
  const std::vector<redis::reply> replies = co_await c_.exec_batch(std::move(cmds));
  // The rows may be recorded while another script of the step failed (Redis refusing a lease
  // once out of memory): their answer is kept for a worker that gives up (sent again, the batch
  // gets the same answer anyway).
  if (!rows.empty() && !replies.at(finish_at).is_error()) {
    answer_before_failure_ = parse_won(replies.at(finish_at), rows.size());
  }
  for (const auto& r : replies) r.throw_if_error();
  if (!rows.empty()) {
    out.won = std::move(*answer_before_failure_);  // (no failure: the answer parsed above)
    answer_before_failure_.reset();
    ++finish_batch_;  // (a batch whose reply was lost is sent again under the same number)
    counts_.finished_rows += rows.size();
  }
  if (!holds.empty()) out.held = parse_held(replies.at(hold_at), holds.size());
  if (lease_n > 0) {
    out.leased = parse_lease(replies.at(lease_at));
    counts_.leased_urls += out.leased.urls.size();
  }
  co_return out;
}

corio::awaitable<std::vector<std::size_t>> redis_frontier::hold(const std::vector<hold_request>& requests,
                                                               std::size_t per_host, long long ttl_ms) {
  if (requests.empty()) co_return std::vector<std::size_t>{};
  ++counts_.holds;
  ++counts_.round_trips;
  std::vector<std::string> keys{key("holds")};  // (named: GCC 12 rejects a braced list in a co_await)
  std::vector<std::string> args = hold_args(worker_, requests, per_host, ttl_ms);
  const redis::reply r = co_await c_.eval(hold_script, std::move(keys), std::move(args));
  co_return parse_held(r, requests.size());
}

corio::awaitable<std::vector<std::chrono::microseconds>> redis_frontier::pace(const std::string& origin, std::size_t n,
                                                                             double rate, std::size_t burst) {
  const double interval = 1e6 / rate;
  const double tolerance = interval * static_cast<double>(std::max<std::size_t>(burst, 1) - 1);
  ++counts_.paces;
  ++counts_.round_trips;
  std::vector<std::string> keys{key("pace")};
  std::vector<std::string> args{origin, fmt::format("{:.3f}", interval), fmt::format("{:.3f}", tolerance),
                                std::to_string(n)};
  const redis::reply r = co_await c_.eval(pace_script, std::move(keys), std::move(args));
  std::vector<std::chrono::microseconds> out;
  for (const auto& e : r.as_array()) out.emplace_back(std::max<long long>(0, e.as_integer()));
  if (out.size() != n) throw redis::error(redis::errc::reply_type, "the pace script answered for other requests");
  co_return out;
}

corio::awaitable<void> redis_frontier::release(const std::vector<std::string>& members) {
  if (members.empty()) co_return;
  std::vector<std::string> keys{key("leased"), key("pending")};
  std::vector<std::string> args = members;
  co_await c_.eval(release_script, std::move(keys), std::move(args));
}

corio::awaitable<redis_frontier::job_state> redis_frontier::state() {
  std::vector<std::string> keys{key("options"), key("pending"), key("leased"), key("adding")};
  std::vector<std::string> args;
  ++counts_.checks;
  ++counts_.round_trips;
  const redis::reply r = co_await c_.eval(finished_script, std::move(keys), std::move(args));
  const auto v = r.as_integer();
  co_return v == 2 ? job_state::cancelled : v == 1 ? job_state::finished : job_state::running;
}

corio::awaitable<std::string> redis_frontier::status(int window_s) {
  std::vector<std::string> keys{key("options"), key("pending"), key("leased"),  key("seen"),
                                key("counts"),  key("origins"), key("workers"), key("adding")};
  std::vector<std::string> args{std::to_string(window_s)};
  const redis::reply r = co_await c_.eval(status_script, std::move(keys), std::move(args));
  if (r.is_null()) throw setup_error("no job " + job_ + " on this Redis");
  const auto pending = r[0].as_integer();
  const auto leased = r[1].as_integer();
  const auto opts = as_map(r[6]);
  const auto counts = as_map(r[7]);
  const auto origins = as_map(r[8]);
  const long long now_bucket = r[5].as_integer() / 10;
  const long long bucket = number_in(counts, "bucket");
  // Rows per second over the last whole 10 seconds.
  const double rate = bucket == now_bucket       ? static_cast<double>(number_in(counts, "previous_rows")) / 10
                      : bucket == now_bucket - 1 ? static_cast<double>(number_in(counts, "bucket_rows")) / 10
                                                 : 0.0;
  const bool cancelled = opts.count("cancelled") && opts.at("cancelled") == "1";
  std::string j = "{\"job\":" + json_string(job_);
  j += ",\"pending\":" + std::to_string(pending);
  j += ",\"leased\":" + std::to_string(leased);
  j += ",\"expired_leases\":" + std::to_string(r[2].as_integer());
  j += ",\"done\":" + std::to_string(number_in(counts, "done"));
  j += ",\"failed\":" + std::to_string(number_in(counts, "failed"));
  j += ",\"seen\":" + std::to_string(r[3].as_integer());
  j += ",\"workers\":" + std::to_string(r[4].as_integer());
  j += ",\"workers_window_s\":" + std::to_string(window_s);
  const auto adding = r[9].as_integer();
  j += ",\"workers_adding\":" + std::to_string(adding);
  j += ",\"rate\":" + fmt::format("{}", rate);
  j += std::string(",\"cancelled\":") + (cancelled ? "true" : "false");
  j += std::string(",\"finished\":") + (pending == 0 && leased == 0 && adding == 0 ? "true" : "false");
  j += ",\"options\":{";
  bool first = true;
  for (const auto& [k, v] : job_options(options{})) {
    const auto it = opts.find(k);
    if (it == opts.end()) continue;
    j += (first ? "" : ",") + json_string(k) + ":";
    j += (k == "same_host" || k == "robots") ? (it->second == "1" ? "true" : "false") : it->second;
    first = false;
  }
  j += "},\"origins\":{";
  first = true;
  for (const auto& [k, v] : origins) {
    j += (first ? "" : ",") + json_string(k) + ":" + v;
    first = false;
  }
  j += "}}";
  co_return j;
}

corio::awaitable<std::size_t> redis_frontier::export_rows(sink& out) {
  std::size_t n = 0;
  std::string start = "-";
  for (;;) {
    redis::command xrange("XRANGE", key("results"), start, "+", "COUNT", 1000);
    const redis::reply r = co_await c_.exec(std::move(xrange));
    if (r.size() == 0) break;
    std::string lines;
    for (const auto& entry : r.as_array()) {
      const auto& fields = entry[1];
      for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].as_string() == "row") {
          lines += fields[i + 1].as_string();
          lines += '\n';
          ++n;
        }
      }
    }
    out.write(lines);
    start = "(" + r[r.size() - 1][0].as_string();
  }
  co_return n;
}

corio::awaitable<void> redis_frontier::cancel() {
  std::vector<std::string> keys{key("options")};
  std::vector<std::string> args;
  const redis::reply r = co_await c_.eval(cancel_script, std::move(keys), std::move(args));
  if (r.as_integer() == 0) throw setup_error("no job " + job_ + " on this Redis");
}

corio::awaitable<long long> redis_frontier::remove() {
  std::vector<std::string> keys;
  for (const char* k : job_keys) keys.push_back(key(k));
  std::vector<std::string> args;
  const redis::reply r = co_await c_.eval(delete_script, std::move(keys), std::move(args));
  if (r.as_integer() < 0) {
    throw setup_error("job " + job_ + " has " + std::to_string(-r.as_integer()) +
                      " URLs leased by running workers: stop them first (or --cancel-job and let them end; the "
                      "leases of a killed worker expire after --lease)");
  }
  co_return r.as_integer();
}

namespace {

/// Redis has been unreachable for --redis-timeout.
class redis_gone : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A failure worth waiting out: the server unreachable or restarting.
bool transient(const redis::error& e) {
  switch (e.kind()) {
    case redis::errc::connect:
    case redis::errc::timeout:
    case redis::errc::connection:
    case redis::errc::protocol:
      return true;
    case redis::errc::server: {
      const auto code = e.server_code();
      return code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" || code == "TRYAGAIN" || code == "READONLY";
    }
    default:
      return false;
  }
}

redis::options client_options(const options& o) {
  redis::options c;
  c.url = o.redis;
  const auto cap = std::chrono::duration_cast<corio::duration>(std::chrono::duration<double>(o.redis_timeout));
  c.connect_timeout = std::min<corio::duration>(5s, cap);
  c.timeout = std::min<corio::duration>(10s, cap);
  c.stall_timeout = c.timeout;
  return c;
}

/// host:pid:64 random bits. The random part keeps two processes apart that share a host name and
/// a pid (a container restarted in place runs as pid 1 again): a worker's last batch of rows is
/// kept under its id (NAME:finishes), and a new process must never get another's answer.
std::string new_worker_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  const std::uint64_t nonce = (std::uint64_t{rd()} << 32) ^ rd();
  return fmt::format("{}:{}:{:016x}", host, ::getpid(), nonce);
}

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

/// One worker of a job: seeds in, leases to the scraper, its rows and links back to the job.
class worker {
public:
  worker(const options& o, std::ostream& err)
      : o_(o),
        err_(err),
        client_(client_options(o)),
        job_(client_, o.job, new_worker_id()),
        s_(o, null_out_, o.progress && ::isatty(STDERR_FILENO) ? &err : nullptr) {
    lease_ms_ = static_cast<long long>(o.lease * 1000);
  }

  corio::awaitable<int> run();

private:
  template <typename F>
  corio::awaitable<void> retrying(const char* what, F f);
  /// Adds the seeds (the URLs given as arguments, then the lines of corio-scrape's --input option) to the job,
  /// 1,000 URLs per round trip, then removes this worker from the job's adding set.
  corio::awaitable<void> add_seeds();
  /// add_seeds() while the worker works; Redis gone for good stops the worker as in pump.
  corio::awaitable<void> seed_or_give_up();
  corio::awaitable<void> watch_signals(asio::signal_set& signals);
  corio::awaitable<void> pump();
  corio::awaitable<void> pump_or_give_up();
  /// Redis gone for good, or refusing the job's steps (out of memory, say): stops the worker,
  /// writing the rows fetched to the output (`also`: what else is said). False for any other
  /// exception, which the caller rethrows.
  bool give_up(const std::exception& e, const char* also);
  /// One round trip: with `record`, adds the links found and records the rows; leases up to
  /// `lease_n` URLs. Returns the lease.
  corio::awaitable<redis_frontier::lease_result> step(bool record, std::size_t lease_n);
  /// Rows the job answered for: those won go to --out, every one stops being held.
  void settle(const std::vector<redis_frontier::finishing>& rows, const std::vector<bool>& won);
  void on_row(const std::string& fed, std::string line, bool failed, bool final, const std::string& landed);
  /// Requests this worker may have in flight: the request slots it holds (--per-host, shared with
  /// the job's other workers) up to --concurrency; at least 16, so that a worker without slots
  /// yet leases URLs to ask slots for.
  [[nodiscard]] std::size_t in_flight_share() const {
    std::size_t held = 0;
    for (const auto& [origin, sl] : slots_) held += sl.held;
    return std::max<std::size_t>(16, std::min(held, s_.max_in_flight()));
  }
  /// Rows recorded, and URLs leased, this many at a time at steady state: the share, at least 16
  /// (one round trip per 16 URLs or more).
  [[nodiscard]] std::size_t batch() const { return in_flight_share(); }
  /// URLs to hold (queued and in flight): the share and two batches, so that a lease goes out
  /// while a batch is still queued and comes back before the queue runs dry. The rest stays
  /// pending in the job for the other workers.
  [[nodiscard]] std::size_t target() const { return in_flight_share() + 2 * batch(); }
  void write_out(const std::string& lines);

  // --rate across the job's workers: a request waits for a time reserved in Redis (pace_script).
  // Per origin, those waiting are served in batches: one of them (the caller) reserves times for
  // every request waiting then, while the next ones queue for the following batch.
  struct pace_waiter {
    corio::event ready;  // the caller's role was handed over, or a time was given
    std::optional<corio::clock::time_point> at;
    bool caller = false;
  };
  struct pace_line {
    std::deque<std::shared_ptr<pace_waiter>> waiting;
    bool calling = false;  // a caller exists (reserving, or about to)
  };
  corio::awaitable<void> pace(std::string origin);
  corio::awaitable<void> reserve(const std::string& origin, pace_line& line);
  static void hand_off(pace_line& line);

  // --per-host across the job's workers: the request slots this worker holds per origin
  // (hold_script); the scraper starts no more than that.
  struct slots {
    std::size_t held = 0;
    std::size_t asked = 0;  // the want last asked for
    std::size_t busy = 0;   // the requests in flight then (held above the grant until they end)
    std::chrono::steady_clock::time_point asked_at;
  };
  /// The slot requests due: changed wants, renewals (every second), and with `urgent_only` only
  /// if some origin has URLs waiting for slots it lacks (then every request due is sent).
  std::vector<redis_frontier::hold_request> due_holds(bool urgent_only);
  void took_holds(const std::vector<redis_frontier::hold_request>& asked, const std::vector<std::size_t>& held);
  /// Asks for the slot requests due (with `urgent_only`, only when some are urgent).
  corio::awaitable<void> update_holds(bool urgent_only = true);
  corio::awaitable<void> release_holds();

  const options& o_;
  std::ostream& err_;
  redis::client client_;
  redis_frontier job_;
  std::ostringstream null_out_;  // (the scraper's output: unused, rows go to on_row)
  scraper s_;
  std::optional<fd_sink> out_;
  long long lease_ms_ = 60'000;
  std::unordered_map<std::string, std::string> held_;  // leased URL → its member, until finished
  std::vector<redis_frontier::finishing> rows_;       // rows to record
  std::vector<std::pair<std::vector<std::string>, int>> links_;  // links to add, with their depth
  corio::event wake_;
  bool run_done_ = false;
  bool closing_ = false;   // the job is finished: the input is closed
  bool cancelled_ = false;
  std::string gone_;       // Redis unreachable for good: why
  std::string write_failure_;
  int signal_ = 0;
  std::chrono::steady_clock::time_point first_row_at_;  // when the oldest of rows_ came
  std::size_t recorded_ = 0;  // rows this worker recorded in the job
  std::size_t lost_ = 0;      // rows another worker recorded first
  std::unordered_map<std::string, pace_line> pacing_;
  bool pacing_gone_ = false;  // Redis gone while pacing: requests wait until the stop cancels them
  corio::event never_;        // (never set)
  std::unordered_map<std::string, slots> slots_;
};

template <typename F>
corio::awaitable<void> worker::retrying(const char* what, F f) {
  std::optional<std::chrono::steady_clock::time_point> since;
  corio::duration delay = 100ms;
  const auto limit = std::chrono::duration<double>(o_.redis_timeout);
  for (;;) {
    std::string failure;
    try {
      co_await f();
      if (since) spdlog::warn("Redis is back ({})", what);
      co_return;
    } catch (const redis::error& e) {
      if (!transient(e)) throw;
      failure = e.what();
    }
    const auto now = std::chrono::steady_clock::now();
    if (!since) {
      since = now;
      spdlog::warn("Redis: {} failed ({}): retrying for up to --redis-timeout {} s", what, failure, o_.redis_timeout);
    }
    if (now - *since >= limit) {
      throw redis_gone("Redis unreachable for --redis-timeout " + fmt::format("{}", o_.redis_timeout) + " s (" +
                       failure + ")");
    }
    co_await corio::sleep(delay);
    delay = std::min<corio::duration>(delay * 2, 2s);
  }
}

void worker::write_out(const std::string& lines) {
  if (lines.empty() || !write_failure_.empty()) return;
  try {
    out_->write(lines);
  } catch (const write_error& e) {
    write_failure_ = e.what();
    spdlog::error("{}: stopping (the rows are recorded in the job all the same)", write_failure_);
    s_.interrupt();
  }
}

corio::awaitable<void> worker::pace(std::string origin) {
  if (pacing_gone_ || !gone_.empty()) co_await never_.wait();
  auto& line = pacing_[origin];  // (node-based: stays valid as others are added)
  auto me = std::make_shared<pace_waiter>();
  line.waiting.push_back(me);
  if (!line.calling) {
    line.calling = true;
    me->caller = true;
  }
  try {
    while (!me->at && !pacing_gone_) {
      if (me->caller) {
        co_await reserve(origin, line);
      } else {
        co_await me->ready.wait();
        me->ready.clear();
      }
    }
  } catch (...) {  // cancelled: out of the line; a caller hands its role on
    if (const auto it = std::find(line.waiting.begin(), line.waiting.end(), me); it != line.waiting.end()) {
      line.waiting.erase(it);
    }
    if (me->caller && !me->at) {
      me->caller = false;
      hand_off(line);
    }
    throw;
  }
  if (!me->at) co_await never_.wait();  // Redis is gone: the stop cancels this request
  co_await corio::sleep_until(*me->at);
}

void worker::hand_off(pace_line& line) {
  if (line.waiting.empty()) {
    line.calling = false;
    return;
  }
  line.waiting.front()->caller = true;
  line.waiting.front()->ready.set();
}

corio::awaitable<void> worker::reserve(const std::string& origin, pace_line& line) {
  co_await corio::yield();  // the requests arriving in this turn join the batch
  std::vector<std::shared_ptr<pace_waiter>> batch(line.waiting.begin(), line.waiting.end());
  line.waiting.clear();
  std::vector<std::chrono::microseconds> after;
  try {
    co_await retrying("pacing requests", [&]() -> corio::awaitable<void> {
      after = co_await job_.pace(origin, batch.size(), o_.rate, o_.burst);
    });
  } catch (const std::exception& e) {
    // Redis gone for good, or refusing (say, out of memory): the pump meets it too and stops the
    // worker; meanwhile every request waiting, now or later, waits for that stop.
    if (corio::is_cancellation(e)) {  // the caller was cancelled: the batch waits for the next caller
      line.waiting.insert(line.waiting.begin(), batch.begin(), batch.end());
      throw;
    }
    spdlog::error("pacing requests: {}", e.what());
    pacing_gone_ = true;
    for (auto& w : batch) w->ready.set();
    for (auto& w : line.waiting) w->ready.set();
    co_return;
  }
  const auto now = corio::clock::now();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i]->at = now + after[i];
    batch[i]->caller = false;
    batch[i]->ready.set();
  }
  hand_off(line);
}

std::vector<redis_frontier::hold_request> worker::due_holds(bool urgent_only) {
  const auto now = std::chrono::steady_clock::now();
  const std::size_t most = std::min(o_.per_host, s_.max_in_flight());
  std::vector<redis_frontier::hold_request> due;
  bool urgent = false;
  std::unordered_map<std::string, bool> busy_origins;
  for (const auto& l : s_.demand()) {
    busy_origins.emplace(l.origin, true);
    auto& sl = slots_[l.origin];
    // As many as could be used (not the URLs there now, which change at every step): asked for
    // when URLs for the origin come, given back when none is left.
    const std::size_t want = most;
    const bool starved = sl.held < want && l.queued > 0 && l.in_flight >= sl.held;
    if (starved && (sl.asked != want || now - sl.asked_at >= 200ms)) urgent = true;
    // Over its grant (another worker wanted a share): each request ending gives a slot back.
    const bool shrinking = sl.busy > sl.held && l.in_flight < sl.busy;
    urgent = urgent || shrinking;
    if (sl.asked != want || now - sl.asked_at >= 1s || shrinking || (starved && now - sl.asked_at >= 200ms)) {
      due.push_back({l.origin, l.in_flight, want});
    }
  }
  for (const auto& [origin, sl] : slots_) {  // no URL there any more: the slots go back
    if (!busy_origins.count(origin) && (sl.held > 0 || sl.asked > 0)) due.push_back({origin, 0, 0});
  }
  if (urgent_only && !urgent) return {};
  return due;
}

void worker::took_holds(const std::vector<redis_frontier::hold_request>& asked, const std::vector<std::size_t>& held) {
  const auto now = std::chrono::steady_clock::now();
  bool more = false;
  for (std::size_t i = 0; i < asked.size() && i < held.size(); ++i) {
    auto& sl = slots_[asked[i].origin];
    more = more || held[i] > sl.held;
    sl.held = held[i];
    sl.asked = asked[i].want;
    sl.busy = asked[i].busy;
    sl.asked_at = now;
    if (sl.held == 0 && sl.asked == 0) slots_.erase(asked[i].origin);
  }
  if (more) s_.reschedule();
}

corio::awaitable<void> worker::update_holds(bool urgent_only) {
  const auto due = due_holds(urgent_only);
  if (due.empty()) co_return;
  std::vector<std::size_t> held;
  co_await retrying("sharing --per-host", [&]() -> corio::awaitable<void> {
    held = co_await job_.hold(due, o_.per_host, lease_ms_);
  });
  took_holds(due, held);
}

corio::awaitable<void> worker::release_holds() {
  std::vector<redis_frontier::hold_request> all;
  for (const auto& [origin, sl] : slots_) all.push_back({origin, 0, 0});
  if (all.empty()) co_return;
  try {
    co_await retrying("giving request slots back", [&]() -> corio::awaitable<void> {
      (void)co_await job_.hold(all, o_.per_host, lease_ms_);
    });
  } catch (const redis_gone&) {  // they expire after --lease
  }
  slots_.clear();
}

void worker::on_row(const std::string& fed, std::string line, bool failed, bool final, const std::string& landed) {
  if (!final) return;  // interrupted: its lease is given back at the end
  if (!gone_.empty()) {  // not recorded in the job: kept here at least
    write_out(line + "\n");
    return;
  }
  const auto it = held_.find(fed);
  if (it == held_.end()) {  // (cannot happen: every URL fed was leased)
    spdlog::error("a row for {} which this worker did not lease: kept in the output only", fed);
    write_out(line + "\n");
    return;
  }
  if (rows_.empty()) first_row_at_ = std::chrono::steady_clock::now();
  rows_.push_back(redis_frontier::finishing{it->second, fed, std::move(line), failed, landed});
  if (rows_.size() >= batch() || s_.holding() + batch() <= target()) wake_.set();
}

corio::awaitable<redis_frontier::lease_result> worker::step(bool record, std::size_t lease_n) {
  std::vector<redis_frontier::finishing> rows;
  std::vector<std::pair<redis_frontier::url_host_list, int>> adds;
  if (record) {
    rows.swap(rows_);
    std::map<int, redis_frontier::url_host_list> by_depth;
    for (auto& [links, depth] : links_) {
      auto& v = by_depth[depth];
      for (auto& l : links) {
        auto host = o_.same_host ? host_of(l) : std::string();  // (hosts matter for --same-host only)
        v.emplace_back(std::move(l), std::move(host));
      }
    }
    links_.clear();
    for (auto& [depth, v] : by_depth) adds.emplace_back(std::move(v), depth);
  }
  redis_frontier::step_result r;
  const auto holds = due_holds(false);
  try {
    co_await retrying(lease_n ? "leasing URLs" : "recording rows", [&]() -> corio::awaitable<void> {
      r = co_await job_.step(adds, rows, lease_n, lease_ms_, holds, o_.per_host);
    });
  } catch (...) {  // Redis gone or refusing: the rows are written to the output by pump_or_give_up
    std::size_t n = 0;
    for (const auto& a : adds) n += a.first.size();
    if (n) spdlog::error("{} links found on the pages fetched could not be added to the job", n);
    if (const auto& answer = job_.answer_before_failure()) {  // recorded: only the rows won are this worker's
      settle(rows, *answer);
      rows.clear();
    }
    rows.insert(rows.end(), std::make_move_iterator(rows_.begin()), std::make_move_iterator(rows_.end()));
    rows_.swap(rows);
    throw;
  }
  took_holds(holds, r.held);
  settle(rows, r.won);
  co_return std::move(r.leased);
}

void worker::settle(const std::vector<redis_frontier::finishing>& rows, const std::vector<bool>& won) {
  std::string lines;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    held_.erase(rows[i].url);
    if (won[i]) {
      lines += rows[i].line;
      lines += '\n';
      ++recorded_;
    } else {
      ++lost_;
      spdlog::debug("{}: another worker recorded its row first", rows[i].url);
    }
  }
  write_out(lines);
}

corio::awaitable<void> worker::pump() {
  auto next_renew = std::chrono::steady_clock::now() + std::chrono::milliseconds(lease_ms_ / 3);
  corio::duration idle = 20ms;
  // After a lease that came back short (nothing more pending just then), the next one waits for
  // the worker's own rows (recorded and leased in one round trip) or for `dry`, doubling to 500 ms:
  // a crawl's tail, when every row's arrival could ask again, costs a few round trips, not one a row.
  corio::duration dry = 20ms;
  auto lease_after = std::chrono::steady_clock::time_point{};
  for (;;) {
    const bool last = run_done_;  // the scraper is done: record what is left
    // Rows go batch() at a time, or after a second; everything at once when the scraper holds
    // nothing (the job may be finished) or stops. Leases when batch() URLs or more are missing.
    const bool force = last || closing_ || s_.stopped() || s_.holding() == 0;
    const bool record = (!rows_.empty() || !links_.empty()) &&
                        (force || rows_.size() >= batch() || std::chrono::steady_clock::now() - first_row_at_ >= 1s);
    std::size_t lease_n = 0;
    if (!last && !s_.stopped() && !closing_) {
      const std::size_t holding = s_.holding();
      const std::size_t target = this->target();
      if ((holding + batch() <= target || holding == 0) &&
          (record || holding == 0 || std::chrono::steady_clock::now() >= lease_after)) {
        lease_n = target - holding;
      }
    }
    bool got = false;
    if (record || lease_n > 0) {
      const redis_frontier::lease_result l = co_await step(record, lease_n);
      if (lease_n > 0 && l.cancelled) {
        spdlog::warn("job {} is cancelled: finishing what this worker holds", o_.job);
        cancelled_ = true;
        closing_ = true;
        s_.close_input();
        continue;
      }
      if (lease_n > 0 && l.urls.size() < lease_n) {
        lease_after = std::chrono::steady_clock::now() + dry;
        dry = std::min<corio::duration>(dry * 2, 500ms);
      } else if (lease_n > 0) {
        lease_after = {};
        dry = 20ms;
      }
      for (const auto& u : l.urls) {
        if (!held_.emplace(u.url, u.member).second) continue;  // our own lease, expired and taken again
        got = true;
        // Once the scraper stops taking URLs, the rest stay held: given back at the end.
        if (!s_.stopped()) (void)s_.feed(u.url, u.depth);
      }
    }
    if (last) break;
    co_await update_holds();  // URLs waiting for request slots this worker lacks
    if (lease_n > 0 && !got && s_.holding() == 0 && rows_.empty() && links_.empty()) {
      redis_frontier::job_state st{};
      co_await retrying("checking whether the job is finished",
                        [&]() -> corio::awaitable<void> { st = co_await job_.state(); });
      if (st != redis_frontier::job_state::running) {
        cancelled_ = st == redis_frontier::job_state::cancelled;
        closing_ = true;
        s_.close_input();
        continue;
      }
    }
    if (std::chrono::steady_clock::now() >= next_renew && !held_.empty()) {
      std::vector<std::string> members;
      for (const auto& [u, m] : held_) members.push_back(m);
      co_await retrying("renewing leases", [&]() -> corio::awaitable<void> { co_await job_.renew(members, lease_ms_); });
      co_await update_holds(false);  // (the slots expire with the leases)
      next_renew = std::chrono::steady_clock::now() + std::chrono::milliseconds(lease_ms_ / 3);
    }
    // Nothing held: the job may end any moment (another worker's last rows), so look often.
    idle = got ? 20ms : std::min<corio::duration>(idle * 2, s_.holding() == 0 ? 50ms : 500ms);
    (void)co_await corio::move_on_after(idle, [&] { return wake_.wait(); });
    wake_.clear();
  }
}

bool worker::give_up(const std::exception& e, const char* also) {
  if (corio::is_cancellation(e)) return false;
  if (dynamic_cast<const redis_gone*>(&e)) {
    gone_ = e.what();
  } else if (dynamic_cast<const redis::error*>(&e)) {
    gone_ = std::string("Redis: ") + e.what();
  } else {
    return false;
  }
  spdlog::error("{}: stopping; the rows fetched are written to the output only{}", gone_, also);
  std::string lines;
  for (auto& r : rows_) lines += r.line + "\n";
  rows_.clear();
  write_out(lines);
  s_.interrupt();
  s_.close_input();
  wake_.set();
  return true;
}

corio::awaitable<void> worker::pump_or_give_up() {
  try {
    co_await pump();
  } catch (const std::exception& e) {
    if (!give_up(e, "")) throw;
  }
}

corio::awaitable<void> worker::add_seeds() {
  std::vector<std::pair<std::string, std::string>> batch;
  auto send = [&]() -> corio::awaitable<void> {
    co_await retrying("adding URLs", [&]() -> corio::awaitable<void> {
      auto copy = batch;
      (void)co_await job_.add(std::move(copy), 0);
    });
    batch.clear();
    wake_.set();  // the pump may have found the job empty a moment ago: these can be leased now
  };
  auto take = [&](const std::string& seed) {
    bool credentials = false;
    std::string url = fetched_url(seed, o_.crawl(), &credentials);
    if (credentials) {
      throw usage_error("URLs with credentials cannot be given with --redis (they would be stored in Redis): " +
                        corio::http::redact_userinfo(seed));
    }
    auto host = o_.same_host ? host_of(url) : std::string();  // (the job's hosts serve --same-host only)
    batch.emplace_back(std::move(url), std::move(host));
  };
  for (const auto& u : o_.urls) take(u);
  if (!o_.input.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (o_.input != "-") {
      file.open(o_.input);
      if (!file) throw setup_error("cannot read " + o_.input);
      in = &file;
    }
    std::string line;
    while (std::getline(*in, line)) {
      if (auto u = url_in_line(line); !u.empty()) take(std::string(u));
      if (batch.size() >= 1000) co_await send();
      if (signal_ != 0) co_return;  // stopped: the rest is added when the command runs again
    }
    if (in->bad()) throw setup_error("cannot read " + o_.input);
  }
  if (!batch.empty()) co_await send();
  co_await retrying("adding URLs", [&]() -> corio::awaitable<void> { co_await job_.done_adding(); });
}

corio::awaitable<void> worker::seed_or_give_up() {
  try {
    co_await add_seeds();
  } catch (const std::exception& e) {
    if (!give_up(e, "; not every seed could be added to the job")) throw;
  }
}

corio::awaitable<void> worker::watch_signals(asio::signal_set& signals) {
  for (int n = 1;; ++n) {
    const int sig = co_await signals.async_wait(asio::deferred);
    if (n == 1) {
      signal_ = sig;
      spdlog::warn("interrupted: no new URLs; those in flight get their grace period (again to cancel them)");
    } else if (n >= 3) {
      signals.clear();
      std::signal(sig, SIG_DFL);
      std::raise(sig);
    }
    s_.interrupt();
    wake_.set();
  }
}

corio::awaitable<int> worker::run() {
  const auto ex = co_await asio::this_coro::executor;
  asio::signal_set signals(ex, SIGINT, SIGTERM);
  try {
    if (!o_.out.empty() && o_.out != "-") {
      out_.emplace(fd_sink::open(o_.out, true));  // appended to: a worker started again keeps its rows
    } else {
      out_.emplace(STDOUT_FILENO, "stdout");
    }
  } catch (const std::system_error& e) {
    throw setup_error(e.what());
  }
  try {
    co_await client_.wait_connected(std::chrono::duration_cast<corio::duration>(
        std::chrono::duration<double>(o_.redis_timeout)));
  } catch (const redis::error& e) {
    throw setup_error(std::string("cannot connect to Redis at ") + o_.redis + ": " + e.what());
  }
  co_await retrying("creating the job", [&]() -> corio::awaitable<void> { co_await job_.create_or_check(o_); });
  // Seeds are added while the work starts (a long list costs no wait), except from stdin, which
  // is read synchronously: all of it first. The job is not finished while seeds are being added.
  const bool seeds_first = o_.input == "-";
  for (const auto& u : o_.urls) {  // (refused before any work, like the other usage errors)
    bool credentials = false;
    (void)fetched_url(u, o_.crawl(), &credentials);
    if (credentials) {
      throw usage_error("URLs with credentials cannot be given with --redis (they would be stored in Redis): " +
                        corio::http::redact_userinfo(u));
    }
  }
  if (!o_.input.empty() && !seeds_first && !std::ifstream(o_.input)) throw setup_error("cannot read " + o_.input);
  if (seeds_first) {
    co_await add_seeds();
  } else if (!o_.urls.empty() || !o_.input.empty()) {  // (before any look at whether the job is finished)
    co_await retrying("adding URLs", [&]() -> corio::awaitable<void> { co_await job_.start_adding(); });
  }
  spdlog::info("job {}: working (Ctrl-C stops gracefully)", o_.job);
  external_frontier ext;
  ext.links = [this](std::vector<std::string> links, int depth) { links_.emplace_back(std::move(links), depth); };
  ext.row = [this](const std::string& fed, std::string line, bool failed, bool final, const std::string& landed) {
    on_row(fed, std::move(line), failed, final, landed);
  };
  if (o_.rate > 0) ext.pace = [this](const std::string& origin) { return pace(origin); };
  ext.allowance = [this](const std::string& origin) -> std::size_t {
    const auto it = slots_.find(origin);
    return it == slots_.end() ? 0 : it->second.held;
  };
  s_.set_external(std::move(ext));
  s_.open_input();
  summary sum;
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    auto watcher = g.spawn(watch_signals(signals), "signals");
    auto pumping = g.spawn(pump_or_give_up(), "job");
    std::optional<corio::task<void>> seeding;
    if (!seeds_first) seeding = g.spawn(seed_or_give_up(), "seeds");
    sum = co_await s_.run({});  // gcc12-ok: value-initialises run's by-value vector parameter
    run_done_ = true;
    wake_.set();
    co_await pumping.wait();
    if (seeding) co_await seeding->wait();
    watcher.cancel();
  };
  try {
    co_await corio::task_group::run(body);
  } catch (const corio::exception_group& eg) {
    rethrow_user_error(eg);
    corio::rethrow_first<redis::error>(eg);  // (Redis refusing a step: exit 1 saying why)
    throw;
  }
  if (gone_.empty()) co_await release_holds();
  // What this worker leased and did not finish (interrupted, not attempted) goes back to the job.
  if (gone_.empty() && !held_.empty()) {
    std::vector<std::string> members;
    for (const auto& [u, m] : held_) members.push_back(m);
    try {
      co_await retrying("giving leases back", [&]() -> corio::awaitable<void> { co_await job_.release(members); });
    } catch (const redis_gone& e) {
      spdlog::warn("{}: {} leases not given back (other workers take them after --lease)", e.what(), members.size());
    }
  }
  err_ << sum.format();
  err_ << "corio-scrape: job " << o_.job << ": this worker recorded " << recorded_ << " rows";
  if (lost_) err_ << " (" << lost_ << " more were recorded first by other workers)";
  err_ << "\n";
  const auto& c = job_.counts();
  spdlog::info("job {}: {} round trips: {} leases ({} URLs), {} adds, {} finishes ({} rows), {} renewals, {} checks, "
               "{} slot requests, {} pacings",
               o_.job, c.round_trips, c.leases, c.leased_urls, c.adds, c.finishes, c.finished_rows, c.renewals,
               c.checks, c.holds, c.paces);
  if (!gone_.empty()) {
    err_ << "corio-scrape: " << gone_ << "\n" << std::flush;
    co_return EXIT_FAILURE;
  }
  if (!write_failure_.empty()) {
    err_ << std::flush;
    co_return exit_write_error;
  }
  if (signal_ != 0 && !closing_) {
    err_ << "corio-scrape: interrupted by " << signal_name(signal_) << "; run the same command to go on\n" << std::flush;
    co_return 128 + signal_;
  }
  if (cancelled_) {
    err_ << "corio-scrape: job " << o_.job << " is cancelled\n" << std::flush;
    co_return exit_job_cancelled;
  }
  err_ << "corio-scrape: job " << o_.job << " is finished\n" << std::flush;
  co_return EXIT_SUCCESS;
}

/// A worker, made and destroyed inside the run (its connections' tasks end with it, not when
/// the io_context's work runs out).
corio::awaitable<int> run_worker(const options& o, std::ostream& err) {
  worker w(o, err);
  co_return co_await w.run();
}

/// --status, --export, --cancel-job, --delete-job.
corio::awaitable<int> job_action(const options& o, std::ostream& err) {
  redis::client c(client_options(o));
  redis_frontier job(c, o.job, new_worker_id());
  try {
    co_await c.wait_connected(std::chrono::duration_cast<corio::duration>(std::chrono::duration<double>(o.redis_timeout)));
  } catch (const redis::error& e) {
    throw setup_error(std::string("cannot connect to Redis at ") + o.redis + ": " + e.what());
  }
  switch (o.action) {
    case options::job_action::status: {
      const std::string s = co_await job.status();
      std::cout << s << "\n" << std::flush;
      break;
    }
    case options::job_action::export_rows: {
      std::optional<fd_sink> out;
      try {
        if (!o.out.empty() && o.out != "-") {
          out.emplace(fd_sink::open(o.out, false));
        } else {
          out.emplace(STDOUT_FILENO, "stdout");
        }
      } catch (const std::system_error& e) {
        throw setup_error(e.what());
      }
      try {
        const std::size_t n = co_await job.export_rows(*out);
        spdlog::info("job {}: {} rows exported", o.job, n);
      } catch (const write_error& e) {
        err << "corio-scrape: " << e.what() << "\n";
        co_return exit_write_error;
      }
      break;
    }
    case options::job_action::cancel:
      co_await job.cancel();
      err << "corio-scrape: job " << o.job << " cancelled: its workers stop\n";
      break;
    case options::job_action::remove: {
      const long long n = co_await job.remove();
      err << "corio-scrape: job " << o.job << ": " << n << " keys deleted\n";
      break;
    }
    case options::job_action::none:
      break;
  }
  co_return EXIT_SUCCESS;
}

}  // namespace

int run_redis_cli(const options& given, int in_fd, std::ostream& err) {
  (void)in_fd;  // --input - reads std::cin
  options o = given;
  take_proxy_environment(o, [](const char* name) { return std::getenv(name); });
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  corio::run_options ro;
  ro.handle_signals = false;
  auto wrap = [&](corio::awaitable<int> a) {
    try {
      return corio::run(std::move(a), ro);
    } catch (const redis::error& e) {
      throw setup_error(std::string("Redis: ") + e.what());
    }
  };
  if (o.action != options::job_action::none) return wrap(job_action(o, err));
  return wrap(run_worker(o, err));
}

}  // namespace scrape
