#include "scrape/scraper.hpp"

#include "scrape/bodies.hpp"
#include "scrape/links.hpp"
#include "scrape/robots.hpp"

#include <corio/cancellation.hpp>
#include <corio/clock.hpp>
#include <corio/context.hpp>
#include <corio/http/client.hpp>
#include <corio/http/cookies.hpp>
#include <corio/http/url.hpp>
#include <corio/queue.hpp>
#include <corio/sleep.hpp>
#include <corio/task_group.hpp>
#include <corio/timeout.hpp>

#include <spdlog/spdlog.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdint>
#include <stdexcept>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace scrape {

namespace http = corio::http;
using namespace std::chrono_literals;

namespace {

/// The URL a fetch task works on (set when it is spawned; its children inherit it).
const corio::context_var<std::string> fetching_url{"url"};

corio::duration seconds(double s) {
  return std::chrono::duration_cast<corio::duration>(std::chrono::duration<double>(s));
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double ms(corio::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

/// Now as ISO 8601 in UTC with milliseconds: "2026-01-31T23:59:59.123Z". (The date and time
/// of day are formatted once per second: this runs for every URL.)
std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  thread_local std::time_t formatted = -1;
  thread_local std::string prefix;  // "2026-01-31T23:59:59."
  if (secs != formatted) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];  // (room for any int, which GCC checks)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    prefix = buf;
    formatted = secs;
  }
  std::string out;
  out.reserve(prefix.size() + 4);
  out = prefix;
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

/// A sink that keeps nothing: in list mode only the body's size matters (the client counts it),
/// so bodies are never held whole.
struct discard_body final : http::body_sink {
  void begin(unsigned, const http::fields&) override {}
  void write(std::string_view) noexcept override {}
};

/// What the trace says about the time after `t1` (the request's start): the waiting in the
/// client's queue moves from elapsed_ms to queue_ms.
void account_time(row& r, const http::request_trace& tr, std::chrono::steady_clock::time_point t1, bool responded) {
  const double queued = ms(tr.queued);
  r.queue_ms += queued;
  r.elapsed_ms = std::max(0.0, ms_since(t1) - queued);
  if (responded && tr.first_byte) r.ttfb_ms = std::max(0.0, ms(*tr.first_byte - t1) - queued);
  r.redirects.clear();
  for (const auto& u : tr.redirects) r.redirects.push_back(http::redact_userinfo(u));
  r.remote_ip = tr.remote_address;
}

/// True when `e` is a retryable status whose Retry-After is longer than --max-retry-after.
/// The statuses corio::http retries by default (corio-scrape keeps that list).
bool is_retry_status(unsigned status) {
  static const std::vector<unsigned> statuses = http::client_options().retry_statuses;
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

bool retry_after_over_cap(const http::error& e, corio::duration cap) {
  return e.kind() == http::errc::http_status && e.retry_after() && *e.retry_after() > cap;
}

/// "3600 s" (rounded up: an HTTP date may be a fraction of a second away).
std::string whole_seconds(corio::duration d) {
  return std::to_string(std::chrono::ceil<std::chrono::seconds>(d).count()) + " s";
}

/// "2 s", "0.5 s": a number of seconds as given on the command line.
std::string given_seconds(double s) {
  std::string t = std::to_string(s);  // "2.000000"
  t.erase(t.find_last_not_of('0') + 1);
  if (t.back() == '.') t.pop_back();
  return t + " s";
}

http::client_options client_options_for(const options& o, std::shared_ptr<http::cookie_jar> jar) {
  http::client_options c;
  c.cookies = std::move(jar);
  c.user_agent = o.user_agent;
  c.total_timeout = seconds(o.timeout);
  c.connect_timeout = std::min(seconds(o.connect_timeout), c.total_timeout);
  c.read_timeout = std::min(seconds(o.read_timeout), c.total_timeout);
  c.max_body_bytes = o.max_bytes;
  c.max_redirects = o.max_redirects;
  c.connections_per_host = o.per_host;
  c.retry = http::retries(o.retries);
  // A server's Retry-After is used as is up to --max-retry-after (corio::retry caps a hint at
  // max_delay: that must not shorten it); over the cap the status is not retried at all, and the
  // row says why (fetch()). The rest is the client's own default for idempotent methods, which
  // GET and HEAD (the only ones corio-scrape sends) are.
  const corio::duration cap = seconds(o.max_retry_after);
  c.retry.max_delay = std::max(c.retry.max_delay, cap);
  c.retry.retryable = [cap](const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const http::error& he) {
      switch (he.kind()) {
        case http::errc::http_status: return !retry_after_over_cap(he, cap);
        case http::errc::connect:
        case http::errc::timeout:
        case http::errc::connection: return true;
        default: return false;
      }
    } catch (...) {
      return false;
    }
  };
  // (Called deep in the client's retry loop, which knows no URL: the fetch task's context does.)
  c.retry.on_retry = [](int attempt, const std::exception_ptr& e, corio::duration d) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::debug("{}: attempt {} failed ({}); retrying in {} ms", fetching_url.get_or("(no URL)"), attempt,
                    ex.what(), std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    }
  };
  c.rate_per_host = o.rate;
  c.rate_burst = o.burst;
  c.verify_tls = !o.insecure;
  c.proxy = o.proxy.value_or("");
  c.https_proxy = o.https_proxy;
  c.no_proxy = o.noproxy.value_or("");
  c.ca_file = o.cacert;
  return c;
}

/// --cookie-jar: the jar written to a temporary file renamed over `path` (never half a file).
/// A failure is logged (the rows are written; only the jar is lost).
void write_cookie_jar(const std::string& path, const http::cookie_jar& jar) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << jar.to_netscape();
    f.close();
    if (f) {
      std::error_code ec;
      std::filesystem::rename(tmp, path, ec);
      if (!ec) return;
      spdlog::error("cannot write the cookie jar {}: {}", path, ec.message());
    } else {
      spdlog::error("cannot write the cookie jar {}: {}", path, std::strerror(errno));
    }
  }
  std::error_code ignored;
  std::filesystem::remove(tmp, ignored);
}

/// The -H fields, sent with every request (Authorization may be added per origin).
http::fields extra_headers(const options& o) {
  http::fields h;
  for (const auto& [name, value] : o.headers) h.add(name, value);
  return h;
}

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

/// "example.com/path" or "127.0.0.1:8080/" (no scheme; what follows a ':' in the authority is a
/// port) as "http://..."; empty for anything else ("mailto:a@b", "javascript:x").
std::optional<std::string> with_default_scheme(std::string_view s) {
  if (s.empty() || s.find("://") != std::string_view::npos) return std::nullopt;
  const auto c0 = static_cast<unsigned char>(s.front());
  if (!(std::isalnum(c0) || c0 == '[' || c0 >= 0x80)) return std::nullopt;
  const std::string_view authority = s.substr(0, s.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() != '[') {
    if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
      const auto port = authority.substr(colon + 1);
      if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    }
  }
  return "http://" + std::string(s);
}

/// origin_key() of the common URL "http[s]://lower-case-host[:port]/..." without parsing it
/// (Boost.URL's parse costs several thousand instructions, and the client parses the URL again);
/// empty for anything else, which is parsed. The rest of the URL is the client's to check.
std::optional<std::string> simple_origin_key(std::string_view s) {
  std::size_t i;
  std::uint16_t port;
  if (s.starts_with("http://")) {
    i = 7;
    port = 80;
  } else if (s.starts_with("https://")) {
    i = 8;
    port = 443;
  } else {
    return std::nullopt;
  }
  const std::size_t host_start = i;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-')) ++i;
  const std::size_t host_end = i;
  if (host_end == host_start || s[host_start] == '.' || s[host_start] == '-') return std::nullopt;
  if (i < s.size() && s[i] == ':') {
    std::uint32_t p = 0;
    std::size_t digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 6; ++i, ++digits) p = p * 10 + static_cast<std::uint32_t>(s[i] - '0');
    if (digits == 0 || digits > 5 || p == 0 || p > 65535) return std::nullopt;
    port = static_cast<std::uint16_t>(p);
  }
  if (i < s.size() && s[i] != '/' && s[i] != '?' && s[i] != '#') return std::nullopt;
  std::string key(s.substr(0, host_end));
  key += ':';
  key += std::to_string(port);
  return key;
}

/// "scheme://host:port" — the unit of per-origin limits (as in the client's pool).
std::string origin_key(const boost::urls::url& u) {
  return lower(std::string(u.scheme()) + "://" + std::string(u.encoded_host())) + ":" +
         std::to_string(http::effective_port(u));
}

}  // namespace

struct scraper::impl {
  struct item {
    std::string url;
    int depth = 0;
  };
  /// The URLs waiting for one origin. Each is kept without the "scheme://authority" it begins with
  /// (each spelling of that kept once, at most max_prefixes; more are queued whole), the rests back
  /// to back in one string: 20,000 queued URLs cost ~0.7 MB instead of ~1.5 MB as strings in a deque.
  struct origin_queue {
    struct waiting_url {
      std::uint32_t offset;  // into text
      std::uint32_t size;
      std::int32_t depth;
      std::uint32_t prefix;  // index into prefixes; 0: "" (the URL is queued whole)
    };
    std::deque<waiting_url> waiting;
    std::string text;
    std::size_t consumed = 0;  // text before this belongs to URLs already taken
    std::vector<std::string> prefixes{std::string()};
    std::size_t in_flight = 0;
    bool in_ready = false;
    corio::clock::time_point next_start{};  // robots.txt's Crawl-delay: the next request's slot

    static constexpr std::size_t max_prefixes = 4;

    void push(const item& it) {
      const std::string_view url = it.url;
      const auto scheme_end = url.find("://");
      std::size_t cut = 0;
      if (scheme_end != std::string_view::npos) {
        cut = url.find_first_of("/?#", scheme_end + 3);
        if (cut == std::string_view::npos) cut = url.size();
      }
      const std::string_view prefix = url.substr(0, cut);
      std::uint32_t index = 0;
      for (std::size_t i = 1; i < prefixes.size() && index == 0; ++i) {
        if (prefixes[i] == prefix) index = static_cast<std::uint32_t>(i);
      }
      if (index == 0 && cut > 0 && prefixes.size() <= max_prefixes) {
        prefixes.emplace_back(prefix);
        index = static_cast<std::uint32_t>(prefixes.size() - 1);
      }
      const std::string_view rest = index == 0 ? url : url.substr(cut);
      if (rest.size() > std::numeric_limits<std::uint32_t>::max() - text.size()) {
        throw std::length_error("corio-scrape: more than 4 GiB of URLs queued for one origin");
      }
      waiting.push_back(waiting_url{static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(rest.size()),
                                    it.depth, index});
      text.append(rest);
    }
    /// The URL exactly as it was queued.
    [[nodiscard]] std::string url_of(const waiting_url& w) const {
      std::string url = prefixes[w.prefix];
      url.append(text, w.offset, w.size);
      return url;
    }
    item pop() {
      const waiting_url w = waiting.front();
      item it{url_of(w), w.depth};
      waiting.pop_front();
      consumed = w.offset + w.size;
      if (waiting.empty()) {
        std::string().swap(text);
        consumed = 0;
      } else if (consumed > 4096 && consumed > text.size() / 2) {
        // Most of the text is taken: keep only what is still queued (amortised O(1) per URL).
        text.erase(0, consumed);
        for (auto& q : waiting) q.offset -= static_cast<std::uint32_t>(consumed);
        consumed = 0;
      }
      return it;
    }
  };
  struct result {
    row r;
    std::vector<std::string> links;
    std::uint64_t id = 0;
    std::string save_failure;  // --save-bodies could not store the body (the run stops)
    bool wake = false;  // no result: the input closed (the dispatcher re-checks whether it is done)
  };
  static result wake_up() {
    result r;
    r.wake = true;
    return r;
  }
  /// Why requests in flight were cancelled (their rows say so).
  enum class cancel_reason { grace, second_interrupt, write_error };

  impl(options o, sink& out_, std::ostream* progress_, sink* journal_)
      : opts(std::move(o)), out(out_), progress(progress_), journal(opts.crawl() ? journal_ : nullptr) {}
  impl(options o, std::ostream& out_, std::ostream* progress_)
      : opts(std::move(o)), own_out(std::make_unique<stream_sink>(out_)), out(*own_out), progress(progress_) {}

  corio::awaitable<summary> run(std::vector<std::string> seeds);
  /// Fetches running[id]'s URL (its entry stays until handle() erases it).
  corio::awaitable<void> fetch(std::uint64_t id);
  corio::awaitable<void> fetch_url(const item& it, const std::string& key, result& res,
                                   std::optional<std::chrono::steady_clock::time_point>& requested,
                                   http::request_trace& trace);
  corio::awaitable<robots_rules> fetch_robots(std::string key);
  corio::awaitable<void> ticker();
  corio::awaitable<void> grace_then_cancel();
  void add_seed(std::string s, int depth = 0);
  [[nodiscard]] bool done_earlier(const std::string& url) const;
  void enqueue(item it, const std::string& key);
  void schedule();
  /// Crawling, each page in flight may hold --max-bytes until it is parsed: --max-memory bounds
  /// them (list mode streams bodies: nothing to bound there).
  [[nodiscard]] std::size_t most_in_flight() const noexcept {
    return opts.crawl() ? std::min(opts.concurrency, std::max<std::size_t>(1, opts.max_memory / opts.max_bytes))
                        : opts.concurrency;
  }
  /// Requests allowed in flight to an origin: per_host, or the job's share of it (external).
  [[nodiscard]] std::size_t per_host_limit(const std::string& key) const {
    if (external && external->allowance) return std::min(opts.per_host, external->allowance(key));
    return opts.per_host;
  }
  void handle(result res);
  void discover_links(result& res);
  void write(const row& r, const std::string& fed_url);
  void flush_rows();
  void interrupt();
  void cancel_running(cancel_reason why);
  void write_failed(const write_error& e, std::size_t lost);
  void discovered(const std::string& url, int depth);
  void draw_progress();

  options opts;
  std::unique_ptr<sink> own_out;
  sink& out;
  std::ostream* progress;
  sink* journal = nullptr;  // crawling with a journal only
  std::shared_ptr<http::cookie_jar> jar;  // --cookies
  std::optional<http::client> client;
  corio::task_group* group = nullptr;  // while run() schedules
  corio::queue<result> results;        // finished fetches, to the dispatcher
  std::unordered_map<std::string, origin_queue> origins;
  std::deque<std::string> ready;  // origins with waiting URLs, served round-robin
  std::unordered_set<std::string> seen;
  std::unordered_set<std::string> hosts;  // --same-host
  std::unordered_map<std::string, std::string> credentials;  // crawling: origin → Authorization
  struct fetching {
    corio::task<void> task;
    item it;  // (listed as not attempted if cancelled before it starts)
    std::string origin;
    bool started = false;
  };
  std::map<std::uint64_t, fetching> running;
  std::map<std::string, corio::task<robots_rules>> robots;
  std::optional<corio::task<void>> grace_task;
  std::uint64_t next_id = 0;
  std::size_t in_flight = 0;
  std::size_t queued = 0;
  std::size_t peak_queued = 0;  // the frontier's largest size
  std::size_t peak_in_flight = 0;
  std::size_t added = 0;  // seeds given to scraper::add()
  std::string batch;      // rows written but not yet handed to `out` (whole lines)
  std::size_t batch_rows = 0;
  // The journal's records for the batch: D records go out before the rows (a page's links are
  // on record before its row says it is done), F records after them, for the rows written.
  std::string journal_found;
  std::vector<std::pair<std::size_t, std::string>> finished;  // (row index in batch, url)
  std::string failure;                 // the write that failed; nothing is written after it
  std::size_t rows_not_written = 0;
  std::unordered_set<std::string> done_before;  // resume: URLs with a final row already
  bool input_open = false;
  bool fed = false;  // open_input() was called
  std::optional<external_frontier> external;  // distributed mode
  cancel_reason cancelled_by = cancel_reason::grace;
  std::size_t done = 0;
  /// idle → scheduling → (draining: interrupted once, in-flight requests get their grace period
  /// → cancelling: interrupted twice, the grace period is over, or a write failed) → finished.
  enum class phase { idle, scheduling, draining, cancelling, finished };
  phase state = phase::idle;
  [[nodiscard]] bool stopping() const noexcept { return state == phase::draining || state == phase::cancelling; }
  [[nodiscard]] bool taking_urls() const noexcept {
    return (state == phase::idle || state == phase::scheduling) && failure.empty();
  }
  summary sum;
  std::chrono::steady_clock::time_point started;
};

std::string fetched_url(std::string_view seed, bool crawl, bool* credentials) {
  if (credentials) *credentials = false;
  if (!crawl && simple_origin_key(seed)) return std::string(seed);
  boost::urls::url u;
  std::string s(seed);
  try {
    u = http::parse_url(s);
  } catch (const http::error&) {
    auto fixed = with_default_scheme(s);
    if (!fixed) return s;
    try {
      u = http::parse_url(*fixed);
    } catch (const http::error&) {
      return s;
    }
    s = std::move(*fixed);
  }
  if (credentials) *credentials = u.has_password() || (u.has_userinfo() && !u.encoded_user().empty());
  return crawl ? http::normalize_url(u) : s;
}

scraper::scraper(options opts, std::ostream& out, std::ostream* progress)
    : impl_(std::make_unique<impl>(std::move(opts), out, progress)) {}
scraper::scraper(options opts, sink& out, std::ostream* progress, sink* journal)
    : impl_(std::make_unique<impl>(std::move(opts), out, progress, journal)) {}
scraper::~scraper() = default;

corio::awaitable<summary> scraper::run(std::vector<std::string> seeds) { return impl_->run(std::move(seeds)); }

void scraper::add(std::string url) {
  if (impl_->state != impl::phase::idle) throw std::logic_error("scrape::scraper::add: the scraper has started");
  ++impl_->added;
  impl_->add_seed(std::move(url));
}

std::size_t scraper::added() const noexcept { return impl_->added; }
void scraper::interrupt() { impl_->interrupt(); }
bool scraper::stopped() const noexcept { return !impl_->taking_urls(); }

void scraper::open_input() {
  if (impl_->state != impl::phase::idle) throw std::logic_error("scrape::scraper::open_input: the scraper has started");
  impl_->input_open = true;
  impl_->fed = true;
}

bool scraper::feed(std::string url) { return feed(std::move(url), 0); }

bool scraper::feed(std::string url, int depth) {
  if (!impl_->fed) throw std::logic_error("scrape::scraper::feed: open_input() was not called");
  if (!impl_->input_open || !impl_->taking_urls()) return false;
  ++impl_->added;
  impl_->add_seed(std::move(url), depth);
  if (impl_->state == impl::phase::scheduling) impl_->schedule();
  return true;
}

void scraper::set_external(external_frontier f) {
  if (impl_->state != impl::phase::idle) throw std::logic_error("scrape::scraper::set_external: the scraper has started");
  impl_->external = std::move(f);
}

std::size_t scraper::holding() const noexcept { return impl_->queued + impl_->in_flight; }

std::vector<scraper::origin_load> scraper::demand() const {
  std::vector<origin_load> out;
  for (const auto& [key, q] : impl_->origins) {
    if (q.in_flight + q.waiting.size() > 0) out.push_back(origin_load{key, q.in_flight, q.waiting.size()});
  }
  return out;
}

std::size_t scraper::max_in_flight() const noexcept { return impl_->most_in_flight(); }

void scraper::reschedule() {
  if (impl_->state == impl::phase::scheduling) impl_->schedule();
}

void scraper::close_input() {
  if (!impl_->input_open) return;
  impl_->input_open = false;
  // The dispatcher may be waiting with nothing in flight: wake it to see that it is done.
  if (impl_->state != impl::phase::idle) impl_->results.try_put(impl::wake_up());
}

void scraper::resume(previous_run prev) {
  auto& m = *impl_;
  if (m.state != impl::phase::idle) throw std::logic_error("scrape::scraper::resume: the scraper has started");
  m.sum.set_resumed();
  if (m.opts.crawl()) {
    // Everything seen before stays seen: done pages (and where they redirected), and the frontier.
    for (const auto& u : prev.done) m.seen.insert(u);
    for (const auto& u : prev.final_urls) {
      try {
        m.seen.insert(http::normalize_url(u));
      } catch (const http::error&) {
      }
    }
    for (auto& [url, depth] : prev.discovered) {
      boost::urls::url u;
      try {
        u = http::parse_url(url);
      } catch (const http::error&) {
        continue;  // (recorded normalised: cannot happen short of an edited journal)
      }
      if (depth == 0) m.hosts.insert(lower(std::string(u.encoded_host())));
      m.seen.insert(url);
      if (prev.done.count(url)) continue;
      m.enqueue(impl::item{std::move(url), depth}, origin_key(u));
    }
  }
  m.done_before = std::move(prev.done);
}

void scraper::impl::write(const row& r, const std::string& fed_url) {
  // Whole lines only, in batches: the dispatcher writes out what it has whenever it would wait
  // for a result (and every 64 KiB), so an interrupted run leaves valid JSON Lines and a busy one
  // makes one write per batch rather than one per line.
  sum.add(r);
  if (external) {
    std::string landed;  // where a redirected page came from, normalised (crawling)
    if (opts.crawl() && !r.final_url.empty() && r.final_url != fed_url) {
      try {
        landed = http::normalize_url(r.final_url);
      } catch (const http::error&) {
      }
      if (landed == fed_url) landed.clear();
    }
    external->row(fed_url, to_json_line(r, opts.crawl(), !opts.save_bodies.empty()),
                  !r.error_kind.empty() || !r.error.empty(), is_final_error_kind(r.error_kind), landed);
    return;
  }
  if (!failure.empty()) {
    ++rows_not_written;
    return;
  }
  if (journal && is_final_error_kind(r.error_kind)) finished.emplace_back(batch_rows, r.url);
  batch += to_json_line(r, opts.crawl(), !opts.save_bodies.empty());
  batch += '\n';
  ++batch_rows;
  if (state == phase::idle || batch.size() >= 64 * 1024) flush_rows();
}

void scraper::impl::discovered(const std::string& url, int depth) {
  if (!journal) return;
  journal_found += "D ";
  journal_found += std::to_string(depth);
  journal_found += ' ';
  journal_found += url;
  journal_found += '\n';
}

void scraper::impl::flush_rows() {
  if (!failure.empty()) return;
  const std::size_t rows = batch_rows;
  std::size_t written = 0;
  try {
    if (!journal_found.empty()) {
      journal->write(journal_found);
      journal_found.clear();
    }
    if (!batch.empty()) {
      try {
        out.write(batch);
      } catch (const write_error& e) {
        written = e.lines_written();
        // The rows that did reach the output are finished all the same.
        std::string f;
        for (const auto& [i, url] : finished) {
          if (i < written) f += "F " + url + "\n";
        }
        if (journal && !f.empty()) journal->write(f);
        throw;
      }
      written = rows;
    }
    if (!finished.empty()) {
      std::string f;
      for (const auto& [i, url] : finished) f += "F " + url + "\n";
      journal->write(f);
    }
  } catch (const write_error& e) {
    write_failed(e, rows - written);
  }
  batch.clear();
  batch_rows = 0;
  finished.clear();
}

void scraper::impl::write_failed(const write_error& e, std::size_t lost) {
  // Nothing more can be recorded: stop at once (as a second interrupt does) and count what is lost.
  failure = e.what();
  rows_not_written += lost;
  journal_found.clear();
  spdlog::error("{}: stopping", failure);
  if (state == phase::scheduling || state == phase::draining) {
    state = phase::draining;
    cancel_running(cancel_reason::write_error);
  }
}

bool scraper::impl::done_earlier(const std::string& url) const {
  if (done_before.empty()) return false;
  // Rows show a password in a URL as "***" (http::redact_userinfo): a resumed run matches that.
  if (url.find('@') == std::string::npos) return done_before.count(url) != 0;
  return done_before.count(http::redact_userinfo(url)) != 0;
}

void scraper::impl::add_seed(std::string s, int depth) {
  if (done_earlier(s)) {  // (its row is the one given: a bad URL's too)
    sum.add_skipped();
    return;
  }
  if (!opts.crawl()) {  // list mode: the URL is queued as given, only its origin matters here
    if (auto key = simple_origin_key(s)) {
      enqueue(item{std::move(s), 0}, *key);
      return;
    }
  }
  boost::urls::url u;
  try {
    u = http::parse_url(s);
  } catch (const http::error& e) {
    // Like curl, a URL without a scheme is fetched over http (the row shows the URL fetched).
    std::optional<boost::urls::url> fixed_url;
    auto fixed = with_default_scheme(s);
    if (fixed) {
      try {
        fixed_url = http::parse_url(*fixed);
      } catch (const http::error&) {
      }
    }
    if (!fixed_url) {
      row r;
      r.url = http::redact_userinfo(s);
      r.error_kind = std::string(http::to_string(e.kind()));
      r.error = e.what();
      write(r, s);
      ++done;
      return;
    }
    spdlog::warn("'{}' has no scheme: fetching {}", s, *fixed);
    u = std::move(*fixed_url);
    s = std::move(*fixed);
    if (done_earlier(s)) {
      sum.add_skipped();
      return;
    }
  }
  std::string url = std::move(s);  // the queue keeps the only copy of each URL
  if (external) {  // the job deduplicated it, and gives it as it will expect it in the row
    const std::string key = origin_key(u);
    enqueue(item{std::move(url), depth}, key);
    return;
  }
  if (opts.crawl()) {
    // The normal form has no user info: a seed's credentials are kept for its origin, and sent
    // with every request to it (the client drops them on a redirect to another origin).
    if (u.has_password() || (u.has_userinfo() && !u.encoded_user().empty())) {
      credentials[origin_key(u)] = http::basic_authorization(u.user(), u.password());
    }
    url = http::normalize_url(u);
    hosts.insert(lower(std::string(u.encoded_host())));
    if (!seen.insert(url).second) {  // the same page twice: one row (or done in an earlier run)
      if (done_before.count(url)) sum.add_skipped();
      return;
    }
    discovered(url, 0);
  } else if (done_earlier(url)) {
    sum.add_skipped();
    return;
  }
  enqueue(item{std::move(url), 0}, origin_key(u));
}

void scraper::impl::enqueue(item it, const std::string& key) {
  auto& q = origins[key];
  q.push(it);
  ++queued;
  peak_queued = std::max(peak_queued, queued);
  if (!q.in_ready) {
    q.in_ready = true;
    ready.push_back(key);
  }
}

void scraper::impl::schedule() {
  const std::size_t most = most_in_flight();
  while (taking_urls() && in_flight < most && !ready.empty()) {
    bool started_one = false;
    for (std::size_t n = ready.size(); n > 0 && !started_one; --n) {
      std::string key = std::move(ready.front());
      ready.pop_front();
      auto& q = origins[key];
      if (q.in_flight >= per_host_limit(key)) {  // busy: try the next origin, keep its place in the ring
        ready.push_back(std::move(key));
        continue;
      }
      item it = q.pop();
      --queued;
      ++q.in_flight;
      ++in_flight;
      peak_in_flight = std::max(peak_in_flight, in_flight);
      if (q.waiting.empty()) {
        q.in_ready = false;
      } else {
        ready.push_back(key);
      }
      const std::uint64_t id = next_id++;
      // (fetch() starts after this returns, and finds its URL and origin here.) With debug logging
      // on, its context names the URL for the log lines written inside it. (Only then: a task with a
      // context pays on each of its resumptions, corio/context.hpp.)
      auto t = spdlog::should_log(spdlog::level::debug)
                   ? group->spawn(fetch(id), "fetch", corio::context().with(fetching_url, it.url))
                   : group->spawn(fetch(id), "fetch");
      running.emplace(id, fetching{std::move(t), std::move(it), std::move(key)});
      started_one = true;
    }
    if (!started_one) return;  // every origin with work is at its per-host limit
  }
}

corio::awaitable<robots_rules> scraper::impl::fetch_robots(std::string key) {
  http::request req;
  req.url = key + "/robots.txt";
  req.max_body_bytes = robots_rules::max_size;  // a larger file is cut there, not refused
  req.truncate_body = true;
  req.headers = extra_headers(opts);
  try {
    auto r = co_await client->send(std::move(req));
    if (r.status >= 200 && r.status < 300) co_return robots_rules::parse(r.body, opts.user_agent);
    if (r.status >= 500) {  // RFC 9309 §2.3.1.4
      co_return robots_rules::disallow_all("robots.txt answered HTTP " + std::to_string(r.status));
    }
    co_return robots_rules();  // 4xx (and 3xx left over): unavailable, no rules
  } catch (const http::error& e) {
    // Too many redirects, or one to nowhere: unavailable (§2.3.1.2). Anything else (DNS, connect,
    // TLS, timeout, reset, garbage) is unreachable, which disallows everything (§2.3.1.4).
    if (e.kind() == http::errc::too_many_redirects || e.kind() == http::errc::bad_url) co_return robots_rules();
    co_return robots_rules::disallow_all("robots.txt could not be fetched (" + std::string(e.what()) + ")");
  }
}

corio::awaitable<void> scraper::impl::fetch(std::uint64_t id) {
  const auto f = running.find(id);
  if (f == running.end()) co_return;  // counted as not attempted by cancel_running()
  f->second.started = true;  // (from now on only handle() erases the entry: these stay valid)
  const item& it = f->second.it;
  const std::string& key = f->second.origin;
  result res;
  res.id = id;
  row& r = res.r;
  r.url = http::redact_userinfo(it.url);
  r.depth = it.depth;
  r.timestamp = utc_timestamp();
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> requested;  // when the request was sent
  http::request_trace trace;
  // Time not spent fetching: before the request, waiting for robots.txt and its Crawl-delay.
  auto account_unfinished = [&](row& into) {
    if (requested) {
      into.queue_ms = into.robots_wait_ms.value_or(0);
      account_time(into, trace, *requested, false);
    } else {
      into.queue_ms = ms_since(t0);
      if (opts.robots) into.robots_wait_ms = into.queue_ms;
    }
  };
  try {
    if (opts.max_time > 0) {
      co_await corio::with_timeout(seconds(opts.max_time),
                                   [&] { return fetch_url(it, key, res, requested, trace); });
    } else {
      co_await fetch_url(it, key, res, requested, trace);
    }
  } catch (const corio::timeout_error&) {
    // --max-time: whatever the URL was doing (an attempt, a retry's wait, robots.txt) is over.
    // (How many attempts were made is not known here: the client's retries were cancelled.)
    row cut;  // nothing of an unfinished attempt is kept
    cut.url = std::move(r.url);
    cut.depth = r.depth;
    cut.timestamp = std::move(r.timestamp);
    cut.robots_wait_ms = r.robots_wait_ms;
    account_unfinished(cut);
    cut.error_kind = "timeout";
    cut.error = "timeout: the per-URL time cap (--max-time " + given_seconds(opts.max_time) + ") was reached ";
    if (requested) {
      cut.attempts = std::max(1, trace.attempts);  // (the client counts the attempts it started)
      cut.error += "(attempts, retry waits and Retry-After included)";
    } else {
      cut.error += "before the request was sent (waiting for robots.txt or its Crawl-delay)";
    }
    r = std::move(cut);
    res.links.clear();
  } catch (const boost::system::system_error& e) {
    if (!corio::is_cancellation(e)) throw;
    account_unfinished(r);
    r.error_kind = "interrupted";
    switch (cancelled_by) {
      case cancel_reason::grace: r.error = "interrupted: cancelled after the grace period"; break;
      case cancel_reason::second_interrupt: r.error = "interrupted: cancelled by a second interrupt"; break;
      case cancel_reason::write_error: r.error = "interrupted: cancelled after a write error"; break;
    }
  }
  results.try_put(std::move(res));  // unbounded: never suspends (we may be cancelled)
}

/// fetch()'s work for one URL: robots.txt and its Crawl-delay, then the request; fills res.
corio::awaitable<void> scraper::impl::fetch_url(const item& it, const std::string& key, result& res,
                                                std::optional<std::chrono::steady_clock::time_point>& requested,
                                                http::request_trace& trace) {
  row& r = res.r;
  const auto t0 = std::chrono::steady_clock::now();
  if (opts.robots) {
    auto found = robots.find(key);
    if (found == robots.end()) found = robots.emplace(key, group->spawn(fetch_robots(key), "robots")).first;
    auto task = found->second;
    const robots_rules rules = co_await task.wait();
    const auto u = http::parse_url(it.url);
    if (!rules.allowed(u.encoded_target().empty() ? "/" : std::string(u.encoded_target()))) {
      r.error_kind = "robots";
      r.error = rules.why_disallowed().empty() ? "robots: disallowed by robots.txt"
                                               : "robots: " + rules.why_disallowed() + ": everything is disallowed";
      r.robots_wait_ms = ms_since(t0);
      r.queue_ms = *r.robots_wait_ms;
      co_return;
    }
    if (rules.crawl_delay() > 0) {
      // Requests to the origin start crawl_delay apart (the client's --rate spacing applies
      // as well: the larger one shows).
      auto& q = origins[key];
      const auto now = corio::clock::now();
      const auto slot = std::max(now, q.next_start);
      q.next_start = slot + seconds(rules.crawl_delay());
      if (slot > now) co_await corio::sleep_until(slot);
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  requested = t1;
  if (opts.robots) {
    r.robots_wait_ms = ms_since(t0);
    r.queue_ms = *r.robots_wait_ms;
  }
  try {
    r.attempts = 1;  // until known better
    http::request req;
    req.method = opts.method;
    req.url = it.url;
    req.headers = extra_headers(opts);
    if (!credentials.empty()) {
      if (auto c = credentials.find(key); c != credentials.end()) req.headers.set("Authorization", c->second);
    }
    req.trace = &trace;
    discard_body discard;
    std::optional<body_saver> saver;
    if (!opts.save_bodies.empty()) {
      saver.emplace(opts.save_bodies, opts.crawl());
      req.sink = &*saver;
    } else if (!opts.crawl()) {
      req.sink = &discard;
    }
    auto resp = co_await client->send(std::move(req));
    if (saver) {
      if (auto stored = saver->commit()) {
        r.body_path = std::move(stored->path);
        r.sha256 = std::move(stored->sha256);
      }
      res.save_failure = saver->failure();
      resp.body = std::move(saver->kept());
    }
    account_time(r, trace, t1, true);
    r.final_url = resp.url;
    r.status = resp.status;
    r.content_type = resp.content_type();
    r.bytes = resp.body_bytes;
    r.wire_bytes = resp.wire_bytes;
    r.attempts = resp.attempts;
    r.http_version = resp.version == 10 ? "1.0" : "1.1";
    if (resp.headers.contains("Content-Encoding")) {  // (rare: get_all only then)
      for (const auto coding : resp.headers.get_all("Content-Encoding")) {
        if (!r.content_encoding.empty()) r.content_encoding += ", ";
        r.content_encoding += coding;
      }
    }
    if (resp.status >= 400) {
      r.error_kind = "http_status";
      r.error = "http_status: HTTP " + std::to_string(resp.status) + (resp.reason.empty() ? "" : " " + resp.reason);
      // A status the client would have retried, had its Retry-After not been over the cap: the
      // response is the row (status, type, size), and it says why it was not retried.
      const auto ra = resp.retry_after();
      if (ra && *ra > seconds(opts.max_retry_after) && resp.attempts <= opts.retries && is_retry_status(resp.status)) {
        r.error += "; not retried: Retry-After " + whole_seconds(*ra) + " is over --max-retry-after (" +
                   given_seconds(opts.max_retry_after) + ")";
        spdlog::info("{}: {}", r.url, r.error);
      }
    }
    if (opts.crawl()) {
      if (resp.ok() && is_html(r.content_type)) {
        auto info = extract_page(resp.body, resp.url, charset_of(resp.headers.get("Content-Type").value_or("")));
        r.title = std::move(info.title);
        r.links = info.links.size();
        res.links = std::move(info.links);
      }
    }
  } catch (const http::error& e) {
    account_time(r, trace, t1, false);
    r.final_url = e.url();
    r.attempts = e.attempts();
    r.error_kind = std::string(http::to_string(e.kind()));
    r.error = e.what();
  }
}

void scraper::impl::handle(result res) {
  if (res.wake) return;
  const auto f = running.find(res.id);
  --origins[f->second.origin].in_flight;
  const std::string fed_url = std::move(f->second.it.url);
  running.erase(f);
  --in_flight;
  ++done;
  // A page's links are journaled before its row is written (write() may flush at once), so that
  // a resumed crawl knows them whenever it finds the row; also while the run is stopping, when
  // they are not fetched now but --resume goes on with them.
  if (opts.crawl()) discover_links(res);
  write(res.r, fed_url);
  if (!res.save_failure.empty()) {  // the rows so far (this one too: it says so) are written, then stop
    flush_rows();
    if (failure.empty()) write_failed(write_error(res.save_failure, 0), 0);
  }
}

void scraper::impl::discover_links(result& res) {
  if (external) {  // the job deduplicates, filters and queues them (also while stopping: none is lost)
    if (res.r.depth + 1 <= opts.depth && !res.links.empty()) external->links(std::move(res.links), res.r.depth + 1);
    return;
  }
  // Where the page really came from counts as seen too (a redirect target is not fetched again).
  if (!res.r.final_url.empty()) {
    try {
      seen.insert(http::normalize_url(res.r.final_url));
    } catch (const http::error&) {
    }
  }
  if (res.r.depth + 1 > opts.depth) return;
  const bool fetch_now = !stopping();
  for (auto& link : res.links) {
    if (opts.max_urls && seen.size() >= opts.max_urls) break;
    if (seen.count(link)) continue;
    const auto u = http::parse_url(link);  // normalised http(s) URLs by construction
    if (opts.same_host && !hosts.count(lower(std::string(u.encoded_host())))) continue;
    seen.insert(link);
    discovered(link, res.r.depth + 1);
    if (fetch_now) enqueue(item{std::move(link), res.r.depth + 1}, origin_key(u));
  }
}

void scraper::impl::cancel_running(cancel_reason why) {
  // The grace timer may fire just as the last request ends: then there is nothing to cancel.
  if (state == phase::finished || state == phase::cancelling) return;
  assert(state == phase::draining);
  state = phase::cancelling;
  cancelled_by = why;
  for (auto f = running.begin(); f != running.end();) {
    f->second.task.cancel();
    if (f->second.started) {
      ++f;
      continue;
    }
    // Cancelled before its first step, its body never runs (nor posts a result): it was not
    // attempted. (A write failure right after scheduling cancels such fetches.)
    --in_flight;
    --origins[f->second.origin].in_flight;
    sum.add_not_attempted(http::redact_userinfo(f->second.it.url));
    f = running.erase(f);
  }
  if (in_flight == 0) results.try_put(wake_up());  // the dispatcher may be waiting for none
}

corio::awaitable<void> scraper::impl::grace_then_cancel() {
  co_await corio::sleep(seconds(opts.grace));
  cancel_running(cancel_reason::grace);
}

void scraper::impl::interrupt() {
  switch (state) {
    case phase::idle:
    case phase::finished:
    case phase::cancelling:
      return;  // nothing (more) to stop
    case phase::scheduling:
      state = phase::draining;
      sum.set_interrupted();
      grace_task = group->spawn(grace_then_cancel(), "grace");
      if (in_flight == 0) results.try_put(wake_up());  // waiting for input that is not taken now
      return;
    case phase::draining:
      cancel_running(cancel_reason::second_interrupt);
      return;
  }
}

void scraper::impl::draw_progress() {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  *progress << "\r\033[K" << progress_line(done, done + in_flight + (stopping() ? 0 : queued), rate, sum.errors())
            << std::flush;
}

corio::awaitable<void> scraper::impl::ticker() {
  for (;;) {
    draw_progress();
    co_await corio::sleep(250ms);
  }
}

corio::awaitable<summary> scraper::impl::run(std::vector<std::string> seeds) {
  if (state != phase::idle) throw std::logic_error("scrape::scraper::run: a scraper runs once");
  started = std::chrono::steady_clock::now();
  if (opts.cookies) jar = std::make_shared<http::cookie_jar>();
  {
    auto co = client_options_for(opts, jar);
    if (external && external->pace) {  // the job paces every request: the rate is the job's
      co.rate_per_host = 0;
      co.pacer = external->pace;
    }
    client.emplace(std::move(co));
  }
  auto body = [&](corio::task_group& g) -> corio::awaitable<void> {
    group = &g;
    state = phase::scheduling;
    for (auto& s : seeds) add_seed(std::move(s));
    std::vector<std::string>().swap(seeds);  // every URL now lives in its origin's queue only
    std::optional<corio::task<void>> tick;
    if (progress) tick = g.spawn(ticker(), "progress");
    for (;;) {
      schedule();
      // With the input open, wait for more URLs unless no more are taken.
      if (in_flight == 0 && (!input_open || !taking_urls())) break;
      if (auto arrived = results.try_get()) {  // (no coroutine frame when a result is waiting)
        handle(std::move(*arrived));
        continue;
      }
      flush_rows();
      handle(co_await results.get());
    }
    group = nullptr;
    state = phase::finished;
    if (tick) tick->cancel();
    if (grace_task) grace_task->cancel();
    for (auto& [k, t] : robots) t.cancel();
  };
  try {
    co_await corio::task_group::run(body);
  } catch (...) {
    flush_rows();  // the rows written so far are not lost
    throw;
  }
  flush_rows();
  if (!failure.empty()) sum.set_write_error(failure, rows_not_written);
  if (progress) *progress << "\r\033[K" << std::flush;
  // Whatever is still queued was never attempted (interrupted): list it, in order.
  for (const auto& key : ready) {
    auto& q = origins[key];
    for (auto& it : q.waiting) sum.add_not_attempted(http::redact_userinfo(q.url_of(it)));
  }
  sum.set_elapsed(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (jar && !opts.cookie_jar.empty()) write_cookie_jar(opts.cookie_jar, *jar);
  if (opts.crawl() && !external) sum.set_frontier(seen.size(), peak_queued);  // (external: the job knows it)
  sum.set_peak_in_flight(peak_in_flight);
  client.reset();
  co_return sum;
}

}  // namespace scrape
