#include <corio/http/client.hpp>

#include <corio/http/proxy.hpp>
#include <corio/http/url.hpp>

#include "connection.hpp"
#include "dns.hpp"
#include "parser.hpp"
#include "pool.hpp"

#include <corio/cancellation.hpp>
#include <corio/timeout.hpp>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>

namespace corio::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using detail::connection;
using detail::origin;
using tcp = asio::ip::tcp;
using boost::system::error_code;

corio::retry_policy retries(int n) {
  corio::retry_policy p;
  p.max_attempts = std::max(n, 0) + 1;
  p.initial_delay = std::chrono::milliseconds(200);
  return p;
}

namespace {

std::string ms(duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

[[noreturn]] void throw_cancelled_ec(error_code ec) { throw boost::system::system_error(ec); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

origin origin_of(const boost::urls::url& u) {
  origin o;
  o.tls = u.scheme_id() == boost::urls::scheme::https;
  o.host = lower(u.host_address());
  o.port = effective_port(u);
  return o;
}

bool is_redirect(unsigned s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

/// The request head and body as bytes on the wire. `forward`: the proxy that forwards this plain
/// HTTP request (absolute-form request line, Proxy-Authorization with its credentials).
/// `jar_cookie`: the cookie jar's Cookie value for this URL, after the caller's own Cookie if any.
std::string serialize(const std::string& method, const boost::urls::url& u, const fields& user, const std::string& body,
                      const client_options& opts, const proxy_address* forward, std::string_view jar_cookie) {
  std::string out;
  out.reserve(256 + body.size());
  for (char c : method) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      throw std::invalid_argument("corio::http: invalid method '" + method + "'");
    }
  }
  std::string host(u.encoded_host());
  const bool default_port = effective_port(u) == (u.scheme_id() == boost::urls::scheme::https ? 443 : 80);
  if (!default_port) host += ":" + std::to_string(effective_port(u));
  out += method;
  out += ' ';
  if (forward) out += "http://" + host;  // absolute-form (RFC 9112 §3.2.2)
  const auto target = u.encoded_target();
  if (target.empty() || target.front() != '/') out += '/';
  out += target;
  out += " HTTP/1.1\r\n";
  auto add = [&](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  if (!user.contains("Host")) add("Host", host);
  if (forward && !forward->authorization.empty() && !user.contains("Proxy-Authorization")) {
    add("Proxy-Authorization", forward->authorization);
  }
  if (!user.contains("User-Agent") && !opts.user_agent.empty()) add("User-Agent", opts.user_agent);
  if (!user.contains("Accept")) add("Accept", "*/*");
  if (opts.decompress && !user.contains("Accept-Encoding")) add("Accept-Encoding", "gzip, deflate, br, zstd");
  if (!user.contains("Content-Length") && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    add("Content-Length", std::to_string(body.size()));
  }
  bool cookie_sent = jar_cookie.empty();
  for (const auto& [n, v] : user) {
    if (!cookie_sent && iequals(n, "Cookie")) {
      add(n, std::string(v) + "; " + std::string(jar_cookie));
      cookie_sent = true;
      continue;
    }
    add(n, v);
  }
  if (!cookie_sent) add("Cookie", jar_cookie);
  out += "\r\n";
  out += body;
  return out;
}

/// Turns a failed read or write into the typed error (or rethrows a cancellation).
[[noreturn]] void throw_io_error(error_code ec, const detail::response_parser* p, const client_options& opts,
                                 const std::string& url, bool any_bytes) {
  if (ec == asio::error::operation_aborted) throw_cancelled_ec(ec);
  if (ec == asio::error::timed_out) {
    throw error(errc::timeout, "no data for " + ms(opts.read_timeout) + " (read timeout)", url);
  }
  if (ec.category() == detail::parse_category()) {
    const std::string detail = p && !p->detail.empty() ? " (" + p->detail + ")" : "";
    const std::size_t limit = p ? p->max_body() : opts.max_body_bytes;
    switch (static_cast<detail::parse_error>(ec.value())) {
      case detail::parse_error::field_too_large:
        throw error(errc::protocol, "the response has a header field value of 64 KiB or more" + detail, url);
      case detail::parse_error::body_too_large:
        throw error(errc::too_large, "the body exceeds the limit of " + std::to_string(limit) +
                                         " bytes" + detail, url);
      case detail::parse_error::decoded_too_large:
        throw error(errc::too_large, "the decoded body exceeds the limit of " + std::to_string(limit) +
                                         " bytes", url);
      case detail::parse_error::bad_encoding:
        throw error(errc::protocol, "the body cannot be decoded" + detail, url);
      case detail::parse_error::unsupported_encoding:
        throw error(errc::protocol, "unsupported Content-Encoding" + detail, url);
      case detail::parse_error::truncated:  // (read_response ends the body there: not an error)
        break;
    }
  }
  if (ec == bhttp::error::body_limit) {
    const std::size_t limit = p ? p->max_body() : opts.max_body_bytes;
    throw error(errc::too_large, "the body exceeds the limit of " + std::to_string(limit) + " bytes", url);
  }
  if (ec == bhttp::error::header_limit) {
    throw error(errc::too_large, "the response header (or trailer) exceeds the limit of " +
                                     std::to_string(opts.max_header_bytes) + " bytes", url);
  }
  if (ec == bhttp::error::partial_message) {
    throw error(errc::connection, "the connection closed before the response was complete", url);
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    throw error(errc::connection,
                any_bytes ? "the connection closed before the response was complete"
                          : "the server closed the connection without responding", url);
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    throw error(errc::protocol, "invalid HTTP response: " + ec.message(), url);
  }
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::make_error_code(asio::ssl::error::stream_truncated).category()) {
    throw error(errc::tls, "TLS error: " + ec.message(), url);
  }
  throw error(errc::connection, ec.message(), url);
}

/// "HTTP/1.1 200\r\n" without a reason phrase: Beast requires the space before the (empty)
/// phrase, curl and browsers accept the line without it. Inserts that space. `buf` holds the start
/// of a response (at least 13 bytes).
void add_missing_reason_space(boost::beast::flat_buffer& buf) {
  const auto d = buf.data();
  const std::string_view v(static_cast<const char*>(d.data()), d.size());
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!(v.starts_with("HTTP/") && digit(v[5]) && v[6] == '.' && digit(v[7]) && v[8] == ' ' && digit(v[9]) &&
        digit(v[10]) && digit(v[11]) && (v[12] == '\r' || v[12] == '\n'))) {
    return;
  }
  std::string fixed;
  fixed.reserve(v.size() + 1);
  fixed.append(v.substr(0, 12));
  fixed += ' ';
  fixed.append(v.substr(12));
  buf.consume(buf.size());
  const auto room = buf.prepare(fixed.size());
  std::memcpy(room.data(), fixed.data(), fixed.size());
  buf.commit(fixed.size());
}

struct hop {
  std::string method;
  boost::urls::url url;
  fields headers;
  std::string body;
  std::size_t max_body = 0;
  bool truncate = false;
  request_trace* trace = nullptr;
  body_sink* sink = nullptr;
  std::string jar_cookie;  // what the cookie jar sends with this hop
};

}  // namespace

struct client::impl {
  explicit impl(client_options o)
      : opts(std::move(o)), conns(opts.connections_per_host, opts.idle_expiry, opts.rate_per_host, opts.rate_burst) {
    if (!opts.ca_file.empty()) (void)tls();  // a bad ca_file is reported by the constructor
    // (Bad proxy URLs too.)
    if (!opts.proxy.empty()) http_proxy = parse_proxy(opts.proxy);
    if (!opts.https_proxy) {
      https_proxy = http_proxy;
    } else if (!opts.https_proxy->empty()) {
      https_proxy = parse_proxy(*opts.https_proxy);
    }
  }

  /// The proxy a request to `o` goes through (nullptr: direct).
  const proxy_address* route(const origin& o) const {
    const auto& p = o.tls ? https_proxy : http_proxy;
    if (!p || (!opts.no_proxy.empty() && bypasses_proxy(opts.no_proxy, o.host))) return nullptr;
    return &*p;
  }

  /// The TLS context, made on first use: OpenSSL 3's SSL_CTX_new costs about a millisecond, which
  /// a client that only speaks plain HTTP should not pay.
  asio::ssl::context& tls() {
    if (!tls_ctx) {
      auto& c = tls_ctx.emplace(asio::ssl::context::tls_client);
      error_code ec;
      c.set_default_verify_paths(ec);  // no system store: only ca_file is trusted
      if (!opts.ca_file.empty()) c.load_verify_file(opts.ca_file);
      c.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    }
    return *tls_ctx;
  }

  /// `self` (this) keeps the pool alive while the request runs.
  awaitable<response> send(std::shared_ptr<impl> self, request r);
  error total_timeout_error(const request& r, duration total);
  awaitable<response> attempt(const request& r, const boost::urls::url& url, duration total);
  awaitable<response> follow(const request& r, const boost::urls::url& url);
  awaitable<response> exchange(const hop& h, const std::string& url_text);
  awaitable<std::shared_ptr<connection>> connect(origin o, std::string url, const proxy_address* proxy);
  awaitable<std::optional<response>> read_response(connection& c, const hop& h, const std::string& url_text,
                                                   bool reused, bool& keep_alive);

  client_options opts;
  std::optional<proxy_address> http_proxy, https_proxy;
  std::optional<asio::ssl::context> tls_ctx;
  detail::pool conns;
  client_stats stats;
};

client::client(client_options opts) : impl_(std::make_shared<impl>(std::move(opts))) {}
client::~client() { impl_->conns.close_idle(); }

const client_options& client::options() const noexcept { return impl_->opts; }
client_stats client::stats() const noexcept { return impl_->stats; }
void client::close_idle() noexcept { impl_->conns.close_idle(); }

awaitable<response> client::send(request r) {
  return impl_->send(impl_, std::move(r));  // (one coroutine frame per request, not two)
}

namespace {
request make_request(std::string method, std::string url, fields headers, std::string body = {}) {
  request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}
}  // namespace

awaitable<response> client::get(std::string url, fields headers) {
  return send(make_request("GET", std::move(url), std::move(headers)));
}

awaitable<response> client::head(std::string url, fields headers) {
  return send(make_request("HEAD", std::move(url), std::move(headers)));
}

awaitable<response> client::post(std::string url, std::string body, std::string content_type, fields headers) {
  if (!headers.contains("Content-Type")) headers.set("Content-Type", content_type);
  return send(make_request("POST", std::move(url), std::move(headers), std::move(body)));
}

awaitable<response> client::impl::send(std::shared_ptr<impl> self, request r) {
  (void)self;  // (held by the frame)
  const boost::urls::url url = parse_url(r.url);  // a bad URL fails at once, without retries
  if (opts.retry.max_attempts == 1) {  // no retries: no policy to copy, no retry loop to run
    const duration total = r.total_timeout.value_or(opts.total_timeout);
    if (r.trace) r.trace->attempts = 1;
    try {  // (attempt()'s body, without its coroutine frame)
      response resp = co_await corio::with_timeout(total, [&]() -> awaitable<response> { return follow(r, url); });
      resp.attempts = 1;
      co_return resp;
    } catch (const corio::timeout_error&) {
      throw total_timeout_error(r, total).with_attempts(1);
    } catch (error& e) {
      e.with_attempts(1);
      throw;
    }
  }
  corio::retry_policy policy = opts.retry;
  const bool idempotent = is_idempotent(r.method);
  if (!policy.retryable) {
    policy.retryable = [idempotent](const std::exception_ptr& e) {
      try {
        std::rethrow_exception(e);
      } catch (const error& he) {
        switch (he.kind()) {
          case errc::connect:      // nothing was sent
          case errc::http_status:  // the server asked for it (or failed before doing anything)
            return true;
          case errc::timeout:
          case errc::connection:
            return idempotent;
          default:
            return false;
        }
      } catch (...) {
        return false;
      }
    };
  }
  if (!policy.delay_hint) {
    policy.delay_hint = [](const std::exception_ptr& e) -> std::optional<duration> {
      try {
        std::rethrow_exception(e);
      } catch (const error& he) {
        return he.retry_after();
      } catch (...) {
        return std::nullopt;
      }
    };
  }
  const int max_attempts = policy.max_attempts;
  // A retryable status that the policy will not retry (its hook says no: say a Retry-After longer
  // than the caller waits) is the answer: the response is returned, not dropped for an error.
  const auto retryable = policy.retryable;
  const duration total = r.total_timeout.value_or(opts.total_timeout);
  int attempts = 0;
  auto once = [&](int attempt) -> awaitable<response> {
    attempts = attempt;
    if (r.trace) r.trace->attempts = attempt;
    response resp = co_await this->attempt(r, url, total);
    const bool retry_status =
        std::find(opts.retry_statuses.begin(), opts.retry_statuses.end(), resp.status) != opts.retry_statuses.end();
    if (retry_status && attempt < max_attempts) {
      error e(errc::http_status, "HTTP " + std::to_string(resp.status) + " " + resp.reason, resp.url);
      e.with_status(resp.status, resp.retry_after());
      if (retryable(std::make_exception_ptr(e))) throw e;
    }
    co_return resp;
  };
  try {
    response resp = co_await corio::retry(std::move(policy), once);
    resp.attempts = attempts;
    co_return resp;
  } catch (error& e) {
    e.with_attempts(attempts);
    throw;
  }
}

awaitable<response> client::impl::attempt(const request& r, const boost::urls::url& url, duration total) {
  try {
    co_return co_await corio::with_timeout(total, [&]() -> awaitable<response> { return follow(r, url); });
  } catch (const corio::timeout_error&) {
    throw total_timeout_error(r, total);
  }
}

error client::impl::total_timeout_error(const request& r, duration total) {
  return error(errc::timeout, "no complete response within " + ms(total) + " (total timeout)", redact_userinfo(r.url));
}

awaitable<response> client::impl::follow(const request& r, const boost::urls::url& url) {
  hop h{r.method, url, r.headers, r.body, r.max_body_bytes.value_or(opts.max_body_bytes), r.truncate_body,
        r.trace, r.sink, {}};
  if (h.trace) h.trace->redirects.clear();  // (this attempt's chain)
  std::vector<std::string> chain;  // the normalised URLs so far, made at the first redirect
  for (int redirects = 0;; ++redirects) {
    // Credentials in the URL are sent as Basic authorization (unless the caller set one), never
    // in a URL: not in the request line, not in response::url or an error. A redirect to another
    // origin drops them (below), as curl does.
    if (h.url.has_userinfo()) {
      if (!h.headers.contains("Authorization") && (h.url.has_password() || !h.url.encoded_user().empty())) {
        h.headers.set("Authorization", basic_authorization(h.url.user(), h.url.password()));
      }
      h.url.remove_userinfo();
    }
    const std::string url_text(h.url.buffer());
    if (opts.cookies) h.jar_cookie = opts.cookies->cookie_header(h.url);
    response resp = co_await exchange(h, url_text);
    if (opts.cookies) opts.cookies->store(h.url, resp.headers);  // redirects' cookies too
    resp.url = url_text;
    resp.redirects = redirects;
    auto location = resp.headers.get("Location");
    if (!is_redirect(resp.status) || !location || opts.max_redirects <= 0) co_return resp;
    auto next = join_url(url_text, *location);
    if (!next) {
      throw error(errc::bad_url, "redirect to an invalid or non-HTTP location '" + std::string(*location) + "'",
                  url_text);
    }
    if (chain.empty()) chain.push_back(normalize_url(h.url));
    if (std::find(chain.begin(), chain.end(), *next) != chain.end()) {
      std::string path;
      for (const auto& c : chain) path += c + " -> ";
      throw error(errc::too_many_redirects, "redirect loop: " + path + *next, url_text);
    }
    if (redirects + 1 > opts.max_redirects) {
      throw error(errc::too_many_redirects, "more than " + std::to_string(opts.max_redirects) + " redirects",
                  url_text);
    }
    chain.push_back(*next);
    if (h.trace) h.trace->redirects.push_back(url_text);
    auto next_url = parse_url(*next);
    if (resp.status == 303 || ((resp.status == 301 || resp.status == 302) && h.method == "POST")) {
      if (h.method != "HEAD") h.method = "GET";
      h.body.clear();
      h.headers.erase("Content-Type");
      h.headers.erase("Content-Length");
    }
    if (origin_of(next_url) != origin_of(h.url)) {
      h.headers.erase("Authorization");
      h.headers.erase("Proxy-Authorization");
      h.headers.erase("Cookie");
    }
    h.url = std::move(next_url);
  }
}

awaitable<std::shared_ptr<connection>> client::impl::connect(origin o, std::string url, const proxy_address* proxy) {
  const std::string& host = proxy ? proxy->host : o.host;
  const std::uint16_t port = proxy ? proxy->port : o.port;
  std::vector<tcp::endpoint> eps;  // (not a conditional expression: GCC 12 miscompiles co_await in ?:)
  if (opts.resolver) {
    eps = co_await opts.resolver(host, port);
  } else {
    eps = co_await detail::resolve(host, port, url);
  }
  auto c = std::make_shared<connection>(co_await asio::this_coro::executor, o, o.tls ? &tls() : nullptr,
                                        opts.read_timeout);
  co_await c->open(eps, opts.verify_tls, url, proxy);
  ++stats.connections_opened;
  co_return c;
}

awaitable<response> client::impl::exchange(const hop& h, const std::string& url_text) {
  origin o = origin_of(h.url);
  const proxy_address* proxy = route(o);
  if (proxy) o.via = proxy->to_string() + " " + proxy->authorization;
  const std::string wire = serialize(h.method, h.url, h.headers, h.body, opts, proxy && !o.tls ? proxy : nullptr,
                                     h.jar_cookie);
  const auto queued_at = h.trace ? clock::now() : clock::time_point{};  // (read only for a trace)
  auto lease = co_await conns.acquire(o);
  if (h.trace) h.trace->queued += clock::now() - queued_at;
  // A pooled connection may have been closed by the server just as we picked it: if it fails
  // before any response byte arrives, an idempotent request is sent once more on a new one.
  for (int round = 0;; ++round) {
    // Rate limits: every request written counts, a resend too; waited for holding the permit
    // (in the trace, the wait is queue time).
    auto* rate = conns.rate_for(o);
    if (rate || opts.pacer) {
      const auto paced_at = h.trace ? clock::now() : clock::time_point{};
      if (rate) co_await rate->acquire();
      if (opts.pacer) co_await opts.pacer(o.to_string());
      if (h.trace) h.trace->queued += clock::now() - paced_at;
    }
    const bool reused = lease.conn != nullptr;
    if (!reused) {
      try {
        lease.conn = co_await corio::wait_for(connect(o, url_text, proxy), opts.connect_timeout);
      } catch (const corio::timeout_error&) {
        throw error(errc::timeout, "connecting to " + o.to_string() +
                                       (proxy ? " through the proxy " + proxy->to_string() : std::string()) +
                                       " took longer than " + ms(opts.connect_timeout) + " (connect timeout)", url_text);
      }
    }
    ++stats.requests;
    if (reused) ++stats.connections_reused;
    if (h.trace) h.trace->remote_address = lease.conn->remote_address();
    const bool may_resend = reused && round == 0 && is_idempotent(h.method);
    // (Most requests go out at once: no asynchronous write, no coroutine frame for it.)
    const std::size_t sent = lease.conn->write_now(wire);
    error_code ec;
    if (sent < wire.size()) ec = co_await lease.conn->write(std::string_view(wire).substr(sent));
    if (ec) {
      if (may_resend && ec != asio::error::operation_aborted && ec != asio::error::timed_out) {
        ++stats.stale_retries;
        lease.conn->close();
        lease.conn.reset();
        continue;
      }
      throw_io_error(ec, nullptr, opts, url_text, false);
    }
    bool keep_alive = false;
    auto resp = co_await read_response(*lease.conn, h, url_text, may_resend, keep_alive);
    if (!resp) {  // stale connection: nothing came back
      ++stats.stale_retries;
      lease.conn->close();
      lease.conn.reset();
      continue;
    }
    resp->reused_connection = reused;
    if (keep_alive) conns.give_back(lease);
    co_return std::move(*resp);
  }
}

awaitable<std::optional<response>> client::impl::read_response(connection& c, const hop& h,
                                                               const std::string& url_text, bool may_resend,
                                                               bool& keep_alive) {
  // Bytes that may wait unparsed in the buffer: a header, a chunk header line or a trailer being
  // received (the body is consumed as it arrives). Beast bounds headers but not trailers.
  const std::size_t cap = std::max<std::size_t>(opts.max_header_bytes, 16 * 1024) + 16 * 1024;
  bool any_bytes = false;
  for (;;) {  // 1xx interim responses are skipped
    detail::response_parser p(opts.max_header_bytes, h.max_body, opts.decompress, h.truncate);
    p.sink = h.sink;
    bool truncated = false;
    bool start_line_checked = false;
    // A response to HEAD has no body; neither has a CONNECT's (a 2xx opens a tunnel, and the body
    // of a refusal is not read: the connection is closed either way).
    const bool connect_method = h.method == "CONNECT";
    if (h.method == "HEAD" || connect_method) p.skip(true);
    auto& buf = c.buffer;
    error_code ec;
    for (;;) {
      if (buf.size() > 0) {
        if (!any_bytes && h.trace) h.trace->first_byte = clock::now();
        any_bytes = true;
        // (Beast parses the start line only once the whole header is buffered: 13 bytes at least.)
        if (!start_line_checked && buf.size() >= 13) {
          start_line_checked = true;
          add_missing_reason_space(buf);
        }
        std::size_t used = 0;
        try {
          used = p.put(buf.data(), ec);
        } catch (const std::exception& e) {
          // Defence in depth: nothing the server sends may throw out of the read.
          throw error(errc::protocol, std::string("invalid HTTP response (") + e.what() + ")", url_text);
        }
        buf.consume(used);
        if (p.is_done()) break;
        if (ec == detail::parse_error::truncated) {
          truncated = true;
          break;
        }
        if (ec == bhttp::error::need_more || (!ec && used == 0)) {
          ec = {};
        } else if (ec) {
          throw_io_error(ec, &p, opts, url_text, true);
        } else {
          continue;
        }
      }
      if (buf.size() >= cap) throw_io_error(bhttp::error::header_limit, &p, opts, url_text, true);
      auto [rec, n] = co_await c.read_some(buf.prepare(c.read_size));
      if (rec == asio::error::eof || rec == asio::ssl::error::stream_truncated) {
        if (!any_bytes && may_resend) co_return std::nullopt;
        if (!p.got_some()) throw_io_error(rec, &p, opts, url_text, any_bytes);  // put_eof asserts got_some()
        error_code eof_ec;
        p.put_eof(eof_ec);
        if (!eof_ec && p.is_done()) break;
        throw_io_error(eof_ec ? eof_ec : rec, &p, opts, url_text, any_bytes);
      }
      if (rec) {
        if (!any_bytes && may_resend && rec != asio::error::operation_aborted && rec != asio::error::timed_out) {
          co_return std::nullopt;
        }
        throw_io_error(rec, &p, opts, url_text, any_bytes);
      }
      buf.commit(n);
      if (n == c.read_size && c.read_size < 64 * 1024) c.read_size *= 2;
    }
    // Interim responses (100, 102, 103, any 1xx but 101) are skipped (RFC 9110 §15.2). 101 is
    // final: the connection now speaks another protocol.
    if (p.status >= 100 && p.status < 200 && p.status != 101) continue;
    // Reused only when the next response's framing is known: not after 101 (another protocol),
    // a CONNECT (a tunnel or a refusal), Connection: close or HTTP/1.0 without keep-alive, a body
    // delimited by the close, or bytes nobody asked for (a HEAD answered with a body, a
    // Content-Length shorter than what came). (http_protocol_edges:
    // no_response_with_unknown_framing_returns_its_connection_to_the_pool)
    keep_alive = p.keep_alive() && !p.need_eof() && p.status != 101 && !connect_method && buf.size() == 0 &&
                 !truncated;
    response r;
    r.status = p.status;
    r.reason = std::move(p.reason);
    r.version = p.version;
    r.headers = std::move(p.headers);
    r.body = std::move(p.body);
    r.wire_bytes = p.wire_bytes;
    r.body_bytes = p.body_bytes;
    r.truncated = truncated;
    co_return r;
  }
}

}  // namespace corio::http
